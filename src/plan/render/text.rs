//! The terminal rendering of a plan, close to Terraform's so its readers feel at home. ANSI
//! colours only when asked (the CLI decides from the terminal and `NO_COLOR`).

use super::{
    action_phrase, action_symbol, attr_line, block_header, changed_outputs, is_actionable,
    is_imported_or_moved, is_observed_drift, output_line, path_width, provenance, reasons_line,
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
            render_change(&mut out, plan, c, &p);
        }
    }

    let actions: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| is_actionable(c) || (is_imported_or_moved(plan, c) && c.attrs.is_empty()))
        .collect();
    if !actions.is_empty() {
        out.push_str("terrane will perform the following actions:\n\n");
        for c in &actions {
            render_change(&mut out, plan, c, &p);
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
        if s.has_resource_changes() || !plan.imported.is_empty() || !plan.moved.is_empty() {
            let forget = if s.forget > 0 {
                format!(", {} to forget", s.forget)
            } else {
                String::new()
            };
            let import = if plan.imported.is_empty() {
                String::new()
            } else {
                format!("{} to import, ", plan.imported.len())
            };
            let _ = writeln!(
                out,
                "{} {import}{} to add, {} to change, {} to destroy{forget}.",
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

fn render_change(out: &mut String, plan: &Plan, c: &Change, p: &Painter) {
    // Nothing changes but how it is recorded: Terraform's wording, and no symbol.
    let only_moved = c.action == Action::NoOp && c.attrs.is_empty();
    let importing = plan.importing(&c.address).is_some();
    let (title, show_provenance) = match plan.previous_address(&c.address) {
        Some(from) if only_moved && !importing => {
            (format!("# {from} has moved to {}", c.address), false)
        }
        _ if only_moved => (format!("# {} will be imported", c.address), true),
        _ => (format!("# {} {}", c.address, action_phrase(c)), true),
    };
    let _ = writeln!(out, "  {}", p.paint(BOLD, &title));
    if let Some(line) = provenance(plan, c).filter(|_| show_provenance) {
        let _ = writeln!(out, "  {}", p.paint(DIM, &format!("# {line}")));
    }
    if let Some(line) = reasons_line(c).filter(|_| !only_moved) {
        let _ = writeln!(out, "  {}", p.paint(DIM, &format!("# {line}")));
    }
    // Terraform right-aligns the header symbol in a three-column gutter (`  +`, `-/+`, ` <=`).
    let sym = if only_moved { " " } else { action_symbol(c) };
    let pad = " ".repeat(3usize.saturating_sub(sym.chars().count()));
    let _ = writeln!(out, "{pad}{} {} {{", p.symbol(sym), block_header(c));
    if only_moved {
        // Which object it is, as Terraform shows it.
        if let Some(id) = c.before.as_ref().and_then(|b| b.get_str("id")) {
            let _ = writeln!(out, "        id = {}", serde_json::Value::String(id.into()));
        }
    } else if c.action != Action::Forget {
        let width = path_width(c);
        for a in &c.attrs {
            let (s, body) = attr_line(c, a, width);
            let _ = writeln!(out, "      {} {body}", p.symbol(&s.to_string()));
        }
    }
    out.push_str("    }\n\n");
}
