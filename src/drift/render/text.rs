//! The terminal rendering of a drift report: drift first (what someone must act on), then
//! pending configuration changes, coverage and the figures. ANSI colours only when asked (the
//! CLI turns them on for a terminal without `NO_COLOR`).

use super::{
    drift_counts, drift_line, ignored_line, pending_line, pending_phrase, percent, plural, seconds,
};
use crate::drift::DriftReport;
use std::fmt::Write;

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const DIM: &str = "\x1b[2m";

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("{code}{s}{RESET}")
        } else {
            s.to_string()
        }
    }
}

/// Renders the report as text. `color` turns on ANSI colours.
pub fn render(r: &DriftReport, color: bool) -> String {
    let p = Painter { color };
    let mut out = String::new();
    let m = &r.meta;
    let _ = write!(out, "Drift report for stack {:?}", m.stack);
    if let Some(c) = &m.commit {
        let short: String = c.chars().take(12).collect();
        let _ = write!(out, " at {short}");
    }
    out.push('\n');
    let s = &r.summary;
    let mut figures = format!("Checked {}", plural(s.checked, "managed resource"));
    if let Some(st) = &r.stats {
        let _ = write!(
            figures,
            " in {} with {}",
            seconds(st.duration_ms),
            plural(st.api_calls as usize, "API call")
        );
    }
    let _ = writeln!(out, "{}.", p.paint(DIM, &figures));

    if !r.changed.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.paint(
                BOLD,
                &format!("Changed outside terrane ({}):", r.changed.len())
            )
        );
        for c in &r.changed {
            let _ = write!(
                out,
                "  {} {}",
                p.paint(YELLOW, "~"),
                p.paint(BOLD, &c.address)
            );
            let _ = write!(out, " (id {})", c.id);
            if let Some(l) = &c.location {
                let _ = write!(out, " {}", p.paint(DIM, &format!("declared at {l}")));
            }
            out.push('\n');
            for a in &c.attrs {
                let _ = writeln!(out, "      {}", drift_line(a));
            }
        }
    }
    if !r.deleted.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.paint(
                BOLD,
                &format!("Deleted outside terrane ({}):", r.deleted.len())
            )
        );
        for d in &r.deleted {
            let _ = write!(out, "  {} {}", p.paint(RED, "-"), p.paint(BOLD, &d.address));
            let _ = write!(out, " (id {})", d.id);
            if let Some(l) = &d.location {
                let _ = write!(out, " {}", p.paint(DIM, &format!("declared at {l}")));
            }
            out.push('\n');
        }
    }
    if !r.unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.paint(
                BOLD,
                &format!(
                    "Unmanaged: in the account, in no stack ({}):",
                    r.unmanaged.len()
                )
            )
        );
        for u in &r.unmanaged {
            let _ = write!(out, "  {} {} {}", p.paint(CYAN, "?"), u.type_name, u.id);
            if !u.tags.is_empty() {
                let tags: Vec<String> = u.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let _ = write!(out, " {}", p.paint(DIM, &format!("[{}]", tags.join(", "))));
            }
            out.push('\n');
        }
    }
    if !r.pending.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.paint(
                BOLD,
                &format!(
                    "Pending configuration changes, not drift ({}); `terrane apply` makes them:",
                    r.pending.len()
                )
            )
        );
        for c in &r.pending {
            let _ = writeln!(out, "  {} {}", c.address, pending_phrase(c));
            for a in &c.attrs {
                let _ = writeln!(out, "      {}", pending_line(a));
            }
        }
    }
    if !r.coverage.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.paint(BOLD, "Coverage (managed / all listed):")
        );
        let width = r
            .coverage
            .iter()
            .map(|c| c.type_name.len())
            .max()
            .unwrap_or(0);
        for c in &r.coverage {
            let _ = writeln!(
                out,
                "  {:<width$}  {:>4}  {} managed, {} unmanaged",
                c.type_name,
                percent(c.ratio()),
                c.managed,
                c.unmanaged
            );
        }
    }
    if let Some(line) = ignored_line(r) {
        let _ = writeln!(out, "\n{}", p.paint(DIM, &line));
    }
    out.push('\n');
    if s.has_drift() {
        let _ = writeln!(
            out,
            "{} {}.",
            p.paint(&format!("{BOLD}{RED}"), "Drift found:"),
            drift_counts(r)
        );
        if s.changed + s.deleted > 0 {
            let _ = writeln!(
                out,
                "Run `terrane apply` to restore what was applied, or change the configuration \
                 to accept the cloud's values."
            );
        }
    } else {
        let what = if s.unmanaged_checked {
            "the cloud matches what terrane last applied, and no unmanaged resources were found"
        } else {
            "the cloud matches what terrane last applied"
        };
        let _ = writeln!(
            out,
            "{} {what}.",
            p.paint(&format!("{BOLD}{GREEN}"), "No drift:")
        );
    }
    out
}
