//! Untrusted text (names, comments from Personio) made safe to show a person: no control or
//! bidirectional-override characters (U+202E can reorder the dates a person reads), one line.

/// Removes control and bidi formatting characters and collapses whitespace to single spaces.
pub fn clean(text: &str) -> String {
    let kept: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|c| !is_bidi_control(*c))
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}
