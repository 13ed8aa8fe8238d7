//! The drift report as Markdown, for an issue or a pull-request comment. The verdict and counts
//! come first; sections follow while they fit GitHub's comment size limit, each saying how many
//! entries were left out. Long values are shortened: the JSON report has them whole.

use super::{drift_counts, ignored_line, pending_phrase, percent, plural, seconds, show};
use crate::drift::{AttrDiff, DriftReport};
use crate::plan::render::markdown::MAX_COMMENT_LEN;
use std::fmt::Write;

/// Longest value shown in a table cell, in characters.
const MAX_CELL: usize = 120;
/// Room kept for the closing lines.
const RESERVE: usize = 600;

/// Renders the report as Markdown of at most `MAX_COMMENT_LEN` bytes.
pub fn render(r: &DriftReport) -> String {
    render_with_limit(r, MAX_COMMENT_LEN)
}

/// As `render`, with another size limit in bytes (at least a few hundred).
pub fn render_with_limit(r: &DriftReport, limit: usize) -> String {
    let budget = limit.saturating_sub(RESERVE);
    let mut out = format!("## terrane drift report for `{}`", code(&r.meta.stack));
    if let Some(c) = &r.meta.commit {
        let short: String = c.chars().take(12).collect();
        let _ = write!(out, " at `{}`", code(&short));
    }
    out.push_str("\n\n");
    let s = &r.summary;
    if s.has_drift() {
        let _ = writeln!(out, ":warning: **Drift found**: {}.", drift_counts(r));
    } else {
        let _ = writeln!(
            out,
            ":white_check_mark: **No drift**: the cloud matches what terrane last applied."
        );
    }
    let mut figures = format!("{} checked", plural(s.checked, "managed resource"));
    if let Some(st) = &r.stats {
        let _ = write!(
            figures,
            " in {} with {}",
            seconds(st.duration_ms),
            plural(st.api_calls as usize, "API call")
        );
    }
    if s.pending > 0 {
        let _ = write!(
            figures,
            "; {} not applied yet (not drift)",
            plural(s.pending, "configuration change")
        );
    }
    let _ = writeln!(out, "\n{figures}.");

    // (title, table header, one entry per resource)
    let mut sections: Vec<(String, String, Vec<String>)> = Vec::new();
    if !r.changed.is_empty() {
        let items = r
            .changed
            .iter()
            .map(|c| {
                let rows = attr_table("Expected (last applied)", "Actual (cloud)", &c.attrs);
                format!(
                    "<details><summary><code>{}</code>: {} changed</summary>\n\n{rows}\n</details>\n\n",
                    html(&c.address),
                    plural(c.attrs.len(), "attribute")
                )
            })
            .collect();
        sections.push((
            format!("Changed outside terrane ({})", r.changed.len()),
            String::new(),
            items,
        ));
    }
    if !r.deleted.is_empty() {
        let items = r
            .deleted
            .iter()
            .map(|d| format!("- `{}` (id `{}`)\n", code(&d.address), code(&d.id)))
            .collect();
        sections.push((
            format!("Deleted outside terrane ({})", r.deleted.len()),
            String::new(),
            items,
        ));
    }
    if !r.unmanaged.is_empty() {
        let items = r.unmanaged.iter().map(|u| {
            let tags: Vec<String> = u.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!(
                "| `{}` | {} | {} |\n",
                code(&u.type_name),
                cell(&u.id),
                cell(&tags.join(", "))
            )
        });
        sections.push((
            format!("Unmanaged ({})", r.unmanaged.len()),
            "| Type | Id | Tags |\n|---|---|---|\n".to_string(),
            items.collect(),
        ));
    }
    if !r.pending.is_empty() {
        let items = r
            .pending
            .iter()
            .map(|p| {
                let mut item = format!("- `{}` {}", code(&p.address), pending_phrase(p));
                if !p.attrs.is_empty() {
                    let paths: Vec<String> = p
                        .attrs
                        .iter()
                        .map(|a| format!("`{}`", code(&a.path)))
                        .collect();
                    let _ = write!(item, ": {}", paths.join(", "));
                }
                item.push('\n');
                item
            })
            .collect();
        sections.push((
            format!(
                "Pending configuration changes, not drift ({})",
                r.pending.len()
            ),
            String::new(),
            items,
        ));
    }
    if !r.coverage.is_empty() {
        let items = r.coverage.iter().map(|c| {
            format!(
                "| `{}` | {} | {} | {} |\n",
                code(&c.type_name),
                c.managed,
                c.unmanaged,
                percent(c.ratio())
            )
        });
        sections.push((
            "Coverage".to_string(),
            "| Type | Managed | Unmanaged | Coverage |\n|---|--:|--:|--:|\n".to_string(),
            items.collect(),
        ));
    }

    let mut left_out = 0;
    for (title, table_head, items) in sections {
        let head = format!("\n### {title}\n\n{table_head}");
        if out.len() + head.len() > budget {
            left_out += items.len();
            continue;
        }
        out.push_str(&head);
        let total = items.len();
        for (i, item) in items.iter().enumerate() {
            if out.len() + item.len() > budget {
                left_out += total - i;
                break;
            }
            out.push_str(item);
        }
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "\n_{left_out} entries left out to fit the comment size limit; see the JSON report \
             (`terrane drift --format json`)._"
        );
    }
    if let Some(line) = ignored_line(r) {
        let _ = writeln!(out, "\n_{line}_");
    }
    out
}

fn attr_table(expected: &str, actual: &str, attrs: &[AttrDiff]) -> String {
    let mut t = format!("| Attribute | {expected} | {actual} |\n|---|---|---|\n");
    for a in attrs {
        let (e, x) = from_difference(&show(&a.expected), &show(&a.actual));
        let _ = writeln!(t, "| `{}` | {} | {} |", code(&a.path), cell(&e), cell(&x));
    }
    t
}

/// Two long values that start alike (policies) are shown from a little before where they
/// differ, so the shortened cells still show the difference.
fn from_difference(a: &str, b: &str) -> (String, String) {
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let longest = a.chars().count().max(b.chars().count());
    if longest <= MAX_CELL || common < 40 {
        return (a.to_string(), b.to_string());
    }
    let skip = common - 20;
    let tail = |s: &str| format!("…{}", s.chars().skip(skip).collect::<String>());
    (tail(a), tail(b))
}

/// A table cell: code span, shortened, with pipes and newlines made harmless.
fn cell(s: &str) -> String {
    let mut v: String = s.chars().take(MAX_CELL).collect();
    if v.len() < s.len() {
        v.push('…');
    }
    let v = v.replace('\n', " ").replace('|', "\\|");
    if v.is_empty() {
        return String::new();
    }
    let longest = v.split(|ch| ch != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if v.starts_with('`') || v.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{v}{pad}{fence}")
}

fn code(s: &str) -> String {
    s.replace('`', "'")
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
