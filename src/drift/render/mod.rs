//! Turns a `DriftReport` into what people and CI systems read: text for a terminal, JSON for
//! tools (docs/drift-json.md), Markdown for an issue or PR comment, JUnit XML (every CI shows
//! failed test cases natively) and SARIF 2.1.0 (code-scanning alerts). The report is masked when
//! built, so none of these can print a secret; they only choose how to show `Shown::Sensitive`.

pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;

#[cfg(test)]
mod tests;

use super::{AttrDiff, DriftReport, PendingChange, Shown};
use crate::plan::render::SENSITIVE_TEXT;
use crate::plan::Action;
use std::collections::BTreeSet;
use terrane_provider::Value;

/// The output formats of `terrane drift --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
    Junit,
    Sarif,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Text,
        Format::Json,
        Format::Markdown,
        Format::Junit,
        Format::Sarif,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Junit => "junit",
            Format::Sarif => "sarif",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "unknown drift format {s:?}; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// Renders the report in a format; `color` matters only for text.
pub fn render(report: &DriftReport, format: Format, color: bool) -> String {
    match format {
        Format::Text => text::render(report, color),
        Format::Json => json::render(report),
        Format::Markdown => markdown::render(report),
        Format::Junit => junit::render(report),
        Format::Sarif => sarif::render(report),
    }
}

/// HCL-like rendering of one side of a difference.
pub(crate) fn show(s: &Shown) -> String {
    match s {
        Shown::Absent => "null".to_string(),
        Shown::Sensitive => SENSITIVE_TEXT.to_string(),
        // A JSON document (a policy) reads better as JSON than as an escaped string.
        Shown::Value(Value::String(doc)) if doc.starts_with(['{', '[']) => {
            match serde_json::from_str::<serde_json::Value>(doc) {
                Ok(j) => j.to_string(),
                Err(_) => crate::plan::render::show_value(
                    &Value::String(doc.clone()),
                    "",
                    &BTreeSet::new(),
                ),
            }
        }
        Shown::Value(v) => crate::plan::render::show_value(v, "", &BTreeSet::new()),
    }
}

/// `path: expected X, actual Y` for drift.
pub(crate) fn drift_line(a: &AttrDiff) -> String {
    format!(
        "{}: expected {}, actual {}",
        a.path,
        show(&a.expected),
        show(&a.actual)
    )
}

/// `path: X -> Y` for a pending change (last applied -> configuration).
pub(crate) fn pending_line(a: &AttrDiff) -> String {
    format!("{}: {} -> {}", a.path, show(&a.expected), show(&a.actual))
}

/// "will be created", for a pending change.
pub(crate) fn pending_phrase(p: &PendingChange) -> &'static str {
    match p.action {
        Action::Create => "will be created (new in the configuration)",
        Action::Delete => "will be destroyed (removed from the configuration)",
        Action::Replace => "will be replaced (configuration changed)",
        _ => "will be updated (configuration changed)",
    }
}

/// "3 changed, 1 deleted, 2 unmanaged", listing only non-zero drift kinds.
pub(crate) fn drift_counts(r: &DriftReport) -> String {
    let s = &r.summary;
    let mut parts = Vec::new();
    if s.changed > 0 {
        parts.push(format!("{} changed", s.changed));
    }
    if s.deleted > 0 {
        parts.push(format!("{} deleted", s.deleted));
    }
    if s.unmanaged_checked && s.unmanaged > 0 {
        parts.push(format!("{} unmanaged", s.unmanaged));
    }
    parts.join(", ")
}

/// "1 attribute, 2 resources" silenced by .terraneignore; None when nothing was.
pub(crate) fn ignored_line(r: &DriftReport) -> Option<String> {
    let i = &r.summary.ignored;
    if i.attributes + i.resources + i.unmanaged == 0 {
        return None;
    }
    Some(format!(
        "Silenced by {}: {}, {}, {}.",
        super::IGNORE_FILE,
        plural(i.attributes, "drifted attribute"),
        plural(i.resources, "resource"),
        plural(i.unmanaged, "unmanaged resource")
    ))
}

/// "1 resource", "2 resources".
pub(crate) fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Coverage as a percentage, or "n/a".
pub(crate) fn percent(ratio: Option<f64>) -> String {
    match ratio {
        Some(r) => format!("{:.0}%", (r * 100.0).floor()),
        None => "n/a".to_string(),
    }
}

/// Seconds with one decimal: "1.3 s".
pub(crate) fn seconds(ms: u64) -> String {
    format!("{}.{} s", ms / 1000, (ms % 1000) / 100)
}
