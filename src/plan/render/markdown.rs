//! The pull-request comment rendering of a plan. Reviewers need the destructive changes first
//! and whole; per-resource details come after and are cut to fit GitHub's 65,536-character
//! comment limit, saying how many were left out. With a base revision (`--base`), a section
//! lists which changed files of the pull request produced which resource changes.

use super::{
    action_phrase, attr_line, changed_outputs, is_actionable, output_line, path_width, reasons_line,
};
use crate::plan::files::BaseComparison;
use crate::plan::{Action, Change, Plan};
use std::fmt::Write;

/// GitHub's limit on the body of an issue or pull-request comment.
pub const MAX_COMMENT_LEN: usize = 65_536;

/// Room kept for the closing notes when filling the comment.
const RESERVE: usize = 600;

/// Renders the plan as a Markdown comment of at most `MAX_COMMENT_LEN` bytes.
pub fn render(plan: &Plan) -> String {
    render_with_limit(plan, MAX_COMMENT_LEN)
}

/// As `render`, with another size limit in bytes (at least a few hundred).
pub fn render_with_limit(plan: &Plan, limit: usize) -> String {
    render_with_base(plan, None, limit)
}

/// As `render_with_limit`, adding the changed-files section when `base` is given.
pub fn render_with_base(plan: &Plan, base: Option<&BaseComparison>, limit: usize) -> String {
    let budget = limit.saturating_sub(RESERVE);
    let mut out = header(plan);

    if !plan.has_changes() {
        out.push_str("\nNo changes. Your infrastructure matches the configuration.\n");
        if let Some(base) = base {
            base_section(&mut out, plan, base, budget);
        }
        return out;
    }

    // Destructive changes: kept whole unless they alone would break the limit.
    // Replacements first (they name what forces them), then deletions.
    let mut destructive: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action.destroys())
        .collect();
    destructive.sort_by_key(|c| c.action != Action::Replace);
    if !destructive.is_empty() {
        let _ = writeln!(out, "\n### Destructive changes ({})\n", destructive.len());
        for (i, c) in destructive.iter().enumerate() {
            let line = destructive_line(c);
            if out.len() + line.len() > budget {
                let _ = writeln!(
                    out,
                    "- ... and {} more destructive changes (see the JSON or text plan)",
                    destructive.len() - i
                );
                break;
            }
            out.push_str(&line);
        }
    }

    if !plan.imported.is_empty() || !plan.moved.is_empty() {
        let _ = writeln!(
            out,
            "\n### Imports and moves ({})\n",
            plan.imported.len() + plan.moved.len()
        );
        for i in &plan.imported {
            let line = format!(
                "- `{}` imported from `{}`\n",
                code_safe(&i.address),
                code_safe(&i.id)
            );
            if out.len() + line.len() <= budget {
                out.push_str(&line);
            }
        }
        for m in &plan.moved {
            let line = format!(
                "- `{}` moved to `{}`\n",
                code_safe(&m.from),
                code_safe(&m.to)
            );
            if out.len() + line.len() <= budget {
                out.push_str(&line);
            }
        }
    }

    if let Some(base) = base {
        base_section(&mut out, plan, base, budget);
    }

    // Details per resource, then outputs, while they fit.
    let mut sections: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| is_actionable(c) || !c.attrs.is_empty())
        .map(details)
        .collect();
    let outputs = changed_outputs(&plan.outputs);
    let has_outputs = !outputs.is_empty();
    if has_outputs {
        let width = outputs.iter().map(|o| o.name.len()).max().unwrap_or(0);
        let body: Vec<String> = outputs
            .iter()
            .map(|o| {
                let (sym, text) = output_line(o, width);
                format!("{} {text}", diff_symbol(sym))
            })
            .collect();
        sections.push(details_block(
            &format!("Outputs ({} changed)", outputs.len()),
            &body,
        ));
    }
    if !sections.is_empty() {
        out.push_str("\n### Changes\n\n");
    }
    let total = sections.len();
    let mut shown = 0;
    for s in &sections {
        if out.len() + s.len() > budget {
            break;
        }
        out.push_str(s);
        shown += 1;
    }
    if shown < total {
        let _ = writeln!(
            out,
            "_{} of {total} change details left out to fit the comment size limit; run \
             `terrane plan` for the full plan._",
            total - shown
        );
    }
    out
}

fn header(plan: &Plan) -> String {
    let m = &plan.meta;
    let stack: String = m.stack.chars().take(200).collect();
    let mut out = format!("## terrane plan for `{}`", code_safe(&stack));
    if let Some(commit) = &m.commit {
        let short: String = commit.chars().take(12).collect();
        let _ = write!(out, " at `{}`", code_safe(&short));
    }
    out.push('\n');
    if let Some(msg) = m.commit_message.as_deref().and_then(|s| s.lines().next()) {
        if !msg.trim().is_empty() {
            // One line, bounded, so the header always fits the comment.
            let msg: String = msg.trim().chars().take(200).collect();
            let _ = writeln!(out, "\n> {}", html_escape(&msg));
        }
    }
    let s = &plan.summary;
    let _ = write!(
        out,
        "\n| Create | Update | Replace | Delete | Read | Forget |\n\
         |-------:|-------:|--------:|-------:|-----:|-------:|\n\
         | {} | {} | {} | {} | {} | {} |\n",
        s.create, s.update, s.replace, s.delete, s.read, s.forget
    );
    out
}

/// "Changed files": each file the pull request changes with the resource changes declared in
/// it, then the changes declared elsewhere. Lines are added while they fit the budget.
fn base_section(out: &mut String, plan: &Plan, base: &BaseComparison, budget: usize) {
    let short: String = base.base_commit.chars().take(12).collect();
    let name: String = base.base_ref.chars().take(200).collect();
    let _ = writeln!(
        out,
        "\n### Changed files ({} against `{}` at `{}`)\n",
        base.files.len(),
        code_safe(&name),
        code_safe(&short)
    );
    let (files, elsewhere) = base.group(plan);
    let mut lines: Vec<String> = files
        .iter()
        .map(|f| {
            let changes = if f.changes.is_empty() {
                "no resource changes".to_string()
            } else {
                change_list(&f.changes)
            };
            format!(
                "- `{}` ({}): {changes}\n",
                code_safe(&f.file.path),
                f.file.status.as_str()
            )
        })
        .collect();
    if files.is_empty() {
        lines.push("- no files differ\n".to_string());
    }
    if !elsewhere.is_empty() {
        lines.push(format!(
            "\nChanges not declared in a changed file (through references, variables, modules or \
             drift): {}\n",
            change_list(&elsewhere)
        ));
    }
    let total = lines.len();
    for (i, line) in lines.iter().enumerate() {
        if out.len() + line.len() > budget {
            let _ = writeln!(
                out,
                "- ... and {} more lines left out to fit the comment size limit",
                total - i
            );
            return;
        }
        out.push_str(line);
    }
}

fn change_list(changes: &[(Action, &str)]) -> String {
    changes
        .iter()
        .map(|(a, addr)| format!("**{}** `{}`", a.as_str(), code_safe(addr)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn destructive_line(c: &Change) -> String {
    let mut line = format!("- **{}** `{}`", c.action.as_str(), code_safe(&c.address));
    let forcing = c.forcing_paths();
    if !forcing.is_empty() {
        let list: Vec<String> = forcing
            .iter()
            .map(|p| format!("`{}`", code_safe(p)))
            .collect();
        let verb = if forcing.len() == 1 {
            "forces"
        } else {
            "force"
        };
        let _ = write!(line, ": {} {verb} replacement", list.join(", "));
    } else if c.action == Action::Replace {
        if let Some(r) = reasons_line(c) {
            let _ = write!(line, " {}", html_escape(&r));
        }
    }
    if c.blocked_by_prevent_destroy() {
        line.push_str(" (**blocked by `prevent_destroy`**: apply will refuse this plan)");
    }
    line.push('\n');
    line
}

fn details(c: &Change) -> String {
    let mut body = Vec::new();
    if let Some(r) = reasons_line(c) {
        body.push(format!("# {r}"));
    }
    let width = path_width(c);
    if c.action != Action::Forget {
        for a in &c.attrs {
            let (sym, text) = attr_line(c, a, width);
            body.push(format!("{} {text}", diff_symbol(sym)));
        }
    }
    let summary = format!(
        "<code>{}</code> {}",
        html_escape(&c.address),
        action_phrase(c)
    );
    details_block(&summary, &body)
}

/// A collapsed section with a ```diff block; the fence is longer than any backtick run inside.
fn details_block(summary: &str, lines: &[String]) -> String {
    let body = lines.join("\n");
    let longest = body.split(|ch| ch != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!(
        "<details><summary>{summary}</summary>\n\n{fence}diff\n{body}\n{fence}\n\n</details>\n\n"
    )
}

/// `~` is not a diff marker; `!` is highlighted as a change by GitHub.
fn diff_symbol(sym: char) -> char {
    if sym == '~' {
        '!'
    } else {
        sym
    }
}

fn code_safe(s: &str) -> String {
    s.replace('`', "'")
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
