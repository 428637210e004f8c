//! The HTML of the confirmation page (maud: escaping by default, checked at compile time).
//!
//! Every untrusted string goes through [`human_text::clean`] (one line, no control or bidi
//! characters, capped) and then maud's escaping. The page has no script and no inline `style`
//! attribute; its one `<style>` block is allowed by its SHA-256 in the CSP ([`STYLE_HASH`]).

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest, Sha256};

use super::i18n::{Lang, Texts};
use crate::policy::human_text;
use crate::policy::state::{ApprovalAction, ApprovalState, ApprovalView, UnixMillis, now_millis};

/// The page's stylesheet, inlined in a `<style>` block.
pub const STYLE: &str = include_str!("style.css");

/// The CSP source for [`STYLE`]: `'sha256-…'`.
pub static STYLE_HASH: LazyLock<String> = LazyLock::new(|| {
    format!(
        "'sha256-{}'",
        STANDARD.encode(Sha256::digest(STYLE.as_bytes()))
    )
});

/// Caps for untrusted text on the page (characters).
const MAX_NAME: usize = 120;
const MAX_TYPE: usize = 80;
const MAX_COMMENT: usize = 500;

/// The outcome banners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Banner {
    Approved,
    Declined,
    Consumed,
    Expired,
    Unknown,
    Forbidden,
    Unavailable,
}

impl Banner {
    /// The banner for an approval that can no longer be answered.
    pub fn for_state(state: ApprovalState) -> Banner {
        match state {
            ApprovalState::Approved => Banner::Approved,
            ApprovalState::Declined => Banner::Declined,
            ApprovalState::Consumed => Banner::Consumed,
            ApprovalState::Expired => Banner::Expired,
            ApprovalState::Unknown | ApprovalState::Pending => Banner::Unknown,
        }
    }

    fn parts(self, t: &'static Texts) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Banner::Approved => ("ok", "✓", t.approved_title, t.approved_text),
            Banner::Declined => ("no", "✕", t.declined_title, t.declined_text),
            Banner::Consumed => ("ok", "✓", t.consumed_title, t.consumed_text),
            Banner::Expired => ("wait", "!", t.expired_title, t.expired_text),
            Banner::Unknown => ("wait", "?", t.unknown_title, t.unknown_text),
            Banner::Forbidden => ("no", "!", t.forbidden_title, t.forbidden_text),
            Banner::Unavailable => ("wait", "!", t.unavailable_title, t.unavailable_text),
        }
    }
}

fn layout(lang: Lang, title: &str, body: Markup) -> String {
    let t = lang.t();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                meta name="robots" content="noindex, nofollow";
                title { (title) " · " (t.product) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    div class="bar" { span class="mark" { "P" } span { (t.product) } }
                    div class="body" { (body) }
                }
            }
        }
    }
    .into_string()
}

fn title_of(view: &ApprovalView, t: &'static Texts) -> &'static str {
    match view.action {
        ApprovalAction::Create => t.title_create,
        ApprovalAction::Cancel => t.title_cancel,
    }
}

/// The details of the request, as rows.
fn details(view: &ApprovalView, lang: Lang) -> Markup {
    let t = lang.t();
    // Times are shown with their zone: the absence may be booked in another one than the
    // reader's (IANA names only, from the zone table; never free text).
    let zone = |time: Option<chrono::NaiveTime>| -> Markup {
        html! {
            @if let (Some(_), Some(z)) = (time, &view.zone) { " " span class="note" { (z) } }
        }
    };
    let day = |date, time: Option<chrono::NaiveTime>, half: bool| -> Markup {
        html! {
            (lang.date(date))
            @if let Some(time) = time { ", " (lang.time(time)) }
            (zone(time))
            @if half { " " span class="note" { (t.half_day) } }
        }
    };
    html! {
        dl {
            div class="row" {
                dt { (t.employee) }
                dd class="who" { (human_text::clean(&view.employee, MAX_NAME)) }
            }
            @if let Some(by) = &view.requested_by {
                div class="row" {
                    dt { (t.requested_by) }
                    dd { (human_text::clean(by, MAX_NAME)) }
                }
            }
            div class="row" {
                dt { (t.time_off_type) }
                dd { (human_text::clean(&view.time_off_type, MAX_TYPE)) }
            }
            @if view.start_date == view.end_date {
                div class="row" {
                    dt { (t.date) }
                    dd {
                        (lang.date(view.start_date))
                        @if let (Some(a), Some(b)) = (view.start_time, view.end_time) {
                            ", " (lang.time(a)) "–" (lang.time(b)) (zone(Some(b)))
                        }
                        @if view.half_day_start || view.half_day_end {
                            " " span class="note" { (t.half_day) }
                        }
                    }
                }
            } @else {
                div class="row" {
                    dt { (t.first_day) }
                    dd { (day(view.start_date, view.start_time, view.half_day_start)) }
                }
                div class="row" {
                    dt { (t.last_day) }
                    dd { (day(view.end_date, view.end_time, view.half_day_end)) }
                }
            }
            @if let Some(b) = &view.balance {
                div class="row" {
                    dt { @if view.action == ApprovalAction::Cancel { (t.gives_back) } @else { (t.uses) } }
                    dd { (lang.quantity(b.amount, b.unit)) }
                }
                @if let (Some(before), Some(after)) = (b.before, b.after) {
                    div class="row" {
                        dt { (t.balance) }
                        dd {
                            (lang.number(before)) " " span class="arrow" { "→" } " " (lang.quantity(after, b.unit))
                        }
                    }
                }
            }
            @if let Some(comment) = view.comment.as_deref().map(|c| human_text::clean(c, MAX_COMMENT)).filter(|c| !c.is_empty()) {
                div class="row" {
                    dt { (t.comment) }
                    dd class="comment" { (comment) }
                }
            }
        }
    }
}

fn minutes_left(expires_at: UnixMillis) -> u64 {
    expires_at
        .saturating_sub(now_millis())
        .div_ceil(60_000)
        .max(1)
}

/// The pending page: the details and the Confirm / Decline form.
pub fn pending_page(
    view: &ApprovalView,
    lang: Lang,
    action_path: &str,
    csrf: &str,
    expires_at: UnixMillis,
) -> String {
    let t = lang.t();
    let title = title_of(view, t);
    let lead = match view.action {
        ApprovalAction::Create => t.lead_create,
        ApprovalAction::Cancel => t.lead_cancel,
    };
    let valid = match minutes_left(expires_at) {
        1 => t.valid_one_minute.to_string(),
        n => t.valid_minutes.replace("{n}", &n.to_string()),
    };
    layout(
        lang,
        title,
        html! {
            h1 { (title) }
            p class="lead" { (lead) }
            (details(view, lang))
            form method="post" action=(action_path) {
                input type="hidden" name="csrf" value=(csrf);
                div class="actions" {
                    // Decline comes first in the form, so that Enter declines.
                    button type="submit" name="decision" value="decline" class="secondary" { (t.decline) }
                    button type="submit" name="decision" value="confirm" class="primary" { (t.confirm) }
                }
            }
            p class="fine" { (valid) " " (t.fine_print) }
        },
    )
}

/// A page with an outcome banner, and the details when there is an approval to show.
pub fn banner_page(banner: Banner, lang: Lang, view: Option<&ApprovalView>, again: bool) -> String {
    let t = lang.t();
    let (class, icon, title, text) = banner.parts(t);
    layout(
        lang,
        title,
        html! {
            div class={ "status " (class) } {
                span class="icon" { (icon) }
                div {
                    h1 { (title) }
                    p { (text) }
                    @if again { p { (t.already_text) } }
                }
            }
            @if let Some(view) = view { (details(view, lang)) }
        },
    )
}
