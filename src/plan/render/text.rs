//! The terminal rendering of a plan, close to Terraform's so its readers feel at home. ANSI
//! colours only when asked (the CLI decides from the terminal and `NO_COLOR`).

use super::{
    action_phrase, action_symbol, attr_line, block_header, changed_outputs, is_actionable,
    is_observed_drift, output_line, path_width, reasons_line,
};
use crate::plan::{Action, Change, Plan};
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

    fn symbol(&self, sym: &str) -> String {
        let code = match sym {
            "+" => GREEN,
            "-" => RED,
            "~" => YELLOW,
            "<=" => CYAN,
            "-/+" | "+/-" => YELLOW,
            _ => DIM,
        };
        self.paint(code, sym)
    }
}

/// Renders the plan as text. `color` turns on ANSI colours.
pub fn render(plan: &Plan, color: bool) -> String {
    let p = Painter { color };
    let mut out = String::new();

    let drifted: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| is_observed_drift(c))
        .collect();
    if !drifted.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            p.paint(BOLD, "Note: Objects have changed outside of terrane")
        );
        for c in &drifted {
            render_change(&mut out, c, &p);
        }
    }

    let actions: Vec<&Change> = plan.changes.iter().filter(|c| is_actionable(c)).collect();
    if !actions.is_empty() {
        out.push_str("terrane will perform the following actions:\n\n");
        for c in &actions {
            render_change(&mut out, c, &p);
        }
    }

    let violations = plan.prevent_destroy_violations();
    for c in &violations {
        let _ = writeln!(
            out,
            "{} {} has lifecycle.prevent_destroy set, but the plan would destroy it.",
            p.paint(&format!("{BOLD}{RED}"), "Error:"),
            c.address
        );
    }
    if !violations.is_empty() {
        out.push('\n');
    }

    let s = &plan.summary;
    if plan.has_changes() {
        if s.has_resource_changes() {
            let forget = if s.forget > 0 {
                format!(", {} to forget", s.forget)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "{} {} to add, {} to change, {} to destroy{forget}.",
                p.paint(BOLD, "Plan:"),
                s.to_add(),
                s.to_change(),
                s.to_destroy()
            );
        }
    } else {
        let _ = writeln!(
            out,
            "{} Your infrastructure matches the configuration.",
            p.paint(&format!("{BOLD}{GREEN}"), "No changes.")
        );
    }

    let outputs = changed_outputs(&plan.outputs);
    if !outputs.is_empty() {
        out.push_str("\nChanges to Outputs:\n");
        let width = outputs.iter().map(|o| o.name.len()).max().unwrap_or(0);
        for o in outputs {
            let (sym, body) = output_line(o, width);
            let _ = writeln!(out, "  {} {body}", p.symbol(&sym.to_string()));
        }
    }
    out
}

fn render_change(out: &mut String, c: &Change, p: &Painter) {
    let _ = writeln!(
        out,
        "  {}",
        p.paint(BOLD, &format!("# {} {}", c.address, action_phrase(c)))
    );
    if let Some(line) = reasons_line(c) {
        let _ = writeln!(out, "  {}", p.paint(DIM, &format!("# {line}")));
    }
    // Terraform right-aligns the header symbol in a three-column gutter (`  +`, `-/+`, ` <=`).
    let sym = action_symbol(c);
    let pad = " ".repeat(3usize.saturating_sub(sym.chars().count()));
    let _ = writeln!(out, "{pad}{} {} {{", p.symbol(sym), block_header(c));
    if c.action != Action::Forget {
        let width = path_width(c);
        for a in &c.attrs {
            let (s, body) = attr_line(c, a, width);
            let _ = writeln!(out, "      {} {body}", p.symbol(&s.to_string()));
        }
    }
    out.push_str("    }\n\n");
}
