//! Prompt templates from `prompts/*.md`, embedded at build time.
//!
//! Each file has YAML front matter (`name`, `title`, `description`, `arguments`) and a body with
//! `{{argument}}` placeholders. A body line that names an optional argument the user left out is
//! dropped, so templates read naturally without conditionals. Only the user's own arguments are
//! spliced in — never text from Personio.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{Error, Result};

const SOURCES: &[(&str, &str)] = &[
    (
        "request_time_off.md",
        include_str!("../../prompts/request_time_off.md"),
    ),
    ("who_is_out.md", include_str!("../../prompts/who_is_out.md")),
    (
        "team_availability.md",
        include_str!("../../prompts/team_availability.md"),
    ),
    (
        "my_leave_summary.md",
        include_str!("../../prompts/my_leave_summary.md"),
    ),
];

#[derive(Debug, Clone, Deserialize)]
pub struct PromptArgument {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, Deserialize)]
struct FrontMatter {
    name: String,
    title: Option<String>,
    description: String,
    #[serde(default)]
    arguments: Vec<PromptArgument>,
}

/// One parsed prompt template.
#[derive(Debug, Clone)]
pub struct PromptTemplate {
    pub name: String,
    pub title: Option<String>,
    pub description: String,
    pub arguments: Vec<PromptArgument>,
    body: String,
}

fn parse(file: &str, text: &str) -> Result<PromptTemplate> {
    let bad = |why: &str| Error::upstream(format!("prompt file {file}: {why}"));
    let rest = text
        .strip_prefix("---\n")
        .ok_or_else(|| bad("no front matter"))?;
    let (front, body) = rest
        .split_once("\n---\n")
        .ok_or_else(|| bad("unterminated front matter"))?;
    let meta: FrontMatter = serde_yaml_ng::from_str(front).map_err(|e| bad(&e.to_string()))?;
    Ok(PromptTemplate {
        name: meta.name,
        title: meta.title,
        description: meta.description,
        arguments: meta.arguments,
        body: body.trim().to_string(),
    })
}

/// All embedded prompts. A malformed file is a build-time mistake; it is skipped with a log line
/// rather than taking the server down.
pub fn all() -> Vec<PromptTemplate> {
    SOURCES
        .iter()
        .filter_map(|(file, text)| match parse(file, text) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::error!("{e}");
                None
            }
        })
        .collect()
}

impl PromptTemplate {
    /// The prompt as `prompts/list` shows it.
    pub fn describe(&self) -> rmcp::model::Prompt {
        let args = self
            .arguments
            .iter()
            .map(|a| {
                rmcp::model::PromptArgument::new(&a.name)
                    .with_description(&a.description)
                    .with_required(a.required)
            })
            .collect();
        let prompt = rmcp::model::Prompt::new(&self.name, Some(&self.description), Some(args));
        match &self.title {
            Some(t) => prompt.with_title(t),
            None => prompt,
        }
    }

    /// Fills the template. Missing required arguments are a VALIDATION_FAILED error.
    pub fn render(&self, args: &BTreeMap<String, String>) -> Result<String> {
        for a in &self.arguments {
            if a.required && args.get(&a.name).is_none_or(|v| v.trim().is_empty()) {
                return Err(Error::validation(format!(
                    "prompt {} needs the argument `{}`",
                    self.name, a.name
                )));
            }
        }
        let mut out = Vec::new();
        'lines: for line in self.body.lines() {
            let mut line = line.to_string();
            for a in &self.arguments {
                let placeholder = format!("{{{{{}}}}}", a.name);
                if !line.contains(&placeholder) {
                    continue;
                }
                match args
                    .get(&a.name)
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty())
                {
                    Some(v) => line = line.replace(&placeholder, v),
                    None => continue 'lines,
                }
            }
            out.push(line);
        }
        Ok(out.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_prompt_files_parse_and_declare_their_placeholders() {
        let prompts = all();
        assert_eq!(prompts.len(), SOURCES.len());
        for p in &prompts {
            for cap in p.body.split("{{").skip(1) {
                let name = cap.split("}}").next().unwrap();
                assert!(
                    p.arguments.iter().any(|a| a.name == name),
                    "{}: placeholder {name} is not a declared argument",
                    p.name
                );
            }
        }
        let names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
        for n in [
            "request_time_off", "who_is_out", "team_availability", "my_leave_summary",
        ] {
            assert!(names.contains(&n));
        }
    }

    #[test]
    fn optional_lines_drop_and_required_ones_are_enforced() {
        let p = all().into_iter().find(|p| p.name == "who_is_out").unwrap();
        let mut args = BTreeMap::new();
        assert!(p.render(&args).is_err());
        args.insert("period".to_string(), "next week".to_string());
        let text = p.render(&args).unwrap();
        assert!(text.contains("Who is out next week?"));
        assert!(!text.contains("{{"));
        assert!(!text.contains("Only consider the department"));
        args.insert("department".to_string(), "Sales".to_string());
        assert!(p.render(&args).unwrap().contains("department: Sales"));
    }
}
