//! Turns a `Plan` into what people and tools read: Terraform-like text for terminals, a stable
//! JSON document for tools, and Markdown for pull-request comments. All three mask sensitive
//! values the same way (helpers below), so a secret cannot leak through one of them.

pub mod json;
pub mod markdown;
pub mod text;

#[cfg(test)]
mod tests;

use super::{
    is_sensitive_path, join_index, join_key, Action, AttrChange, Change, OutputChange, Plan,
};
use std::collections::BTreeSet;
use terrane_provider::{format_number, Value};

/// Shown instead of a sensitive value in text and Markdown.
pub const SENSITIVE_TEXT: &str = "(sensitive value)";
/// Shown for values known only after apply.
pub const UNKNOWN_TEXT: &str = "(known after apply)";

/// HCL-like rendering of a value at `path`, masking every sensitive path inside it.
pub(crate) fn show_value(v: &Value, path: &str, sens: &BTreeSet<String>) -> String {
    if is_sensitive_path(path, sens) {
        return SENSITIVE_TEXT.to_string();
    }
    match v {
        Value::Null => "null".to_string(),
        Value::Unknown => UNKNOWN_TEXT.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format_number(*n),
        Value::String(s) => serde_json::Value::String(s.clone()).to_string(),
        Value::List(items) => {
            let parts: Vec<String> = items
                .iter()
                .enumerate()
                .map(|(i, x)| show_value(x, &join_index(path, i), sens))
                .collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Map(m) if m.is_empty() => "{}".to_string(),
        Value::Map(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, x)| {
                    let key = if join_key("", k) == *k {
                        k.clone()
                    } else {
                        serde_json::Value::String(k.clone()).to_string()
                    };
                    format!("{key} = {}", show_value(x, &join_key(path, k), sens))
                })
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
    }
}

fn attr_is_sensitive(c: &Change, a: &AttrChange) -> bool {
    a.sensitive || c.is_sensitive_path(&a.path)
}

/// The symbol of a change's header line, as Terraform prints it.
pub(crate) fn action_symbol(c: &Change) -> &'static str {
    match c.action {
        Action::Create => "+",
        Action::Update => "~",
        Action::Replace if c.create_before_destroy => "+/-",
        Action::Replace => "-/+",
        Action::Delete => "-",
        Action::Read => "<=",
        Action::Forget => ".",
        Action::NoOp => "~",
    }
}

/// What happens, after the address: "will be created".
pub(crate) fn action_phrase(c: &Change) -> &'static str {
    match c.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in-place",
        Action::Replace if c.create_before_destroy => {
            "must be replaced (new one created before the old one is destroyed)"
        }
        Action::Replace => "must be replaced",
        Action::Delete => "will be destroyed",
        Action::Read => "will be read during apply",
        Action::Forget => "will be forgotten: removed from terrane's store but left in the cloud",
        Action::NoOp => {
            "differs from the configuration (observed only; terrane will not change it)"
        }
    }
}

/// The reasons as one clause list, or None when there are none.
pub(crate) fn reasons_line(c: &Change) -> Option<String> {
    if c.reasons.is_empty() {
        return None;
    }
    let parts: Vec<String> = c.reasons.iter().map(|r| r.describe()).collect();
    Some(format!("(because {})", parts.join("; ")))
}

/// `resource "aws_s3_bucket" "b"` or `data "aws_ami" "a"`, from the address.
pub(crate) fn block_header(c: &Change) -> String {
    let (is_data, name) = split_address(&c.address, &c.type_name);
    let kw = if is_data { "data" } else { "resource" };
    format!("{kw} \"{}\" \"{name}\"", c.type_name)
}

/// Finds `[data.]TYPE.NAME[KEY]` in an address (outside brackets) and returns (is_data, NAME).
/// Falls back to the whole address when the type does not occur in it.
fn split_address(address: &str, type_name: &str) -> (bool, String) {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    let needle = format!("{type_name}.");
    for (i, ch) in address.char_indices() {
        if in_str {
            match ch {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match ch {
            '"' => in_str = true,
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        let at_segment = i == 0 || address[..i].ends_with('.');
        if depth == 0 && at_segment && address[i..].starts_with(&needle) {
            let rest = &address[i + needle.len()..];
            let name_end = rest.find('[').unwrap_or(rest.len());
            let is_data =
                address[..i].ends_with("data.") && (i == 5 || address[..i - 5].ends_with('.'));
            return (is_data, rest[..name_end].to_string());
        }
    }
    (address.starts_with("data."), address.to_string())
}

/// One attribute line of a resource body: (symbol, text after the symbol). Paths are padded to
/// `width` so the `=` signs line up.
pub(crate) fn attr_line(c: &Change, a: &AttrChange, width: usize) -> (char, String) {
    let sensitive = attr_is_sensitive(c, a);
    let show = |v: &Value| {
        if sensitive {
            SENSITIVE_TEXT.to_string()
        } else {
            show_value(v, &a.path, &c.sensitive_attrs)
        }
    };
    let (sym, value) = match (&a.before, &a.after) {
        (None, Some(after)) => ('+', show(after)),
        (Some(before), None) => ('-', format!("{} -> null", show(before))),
        (Some(_), Some(_)) if sensitive => ('~', SENSITIVE_TEXT.to_string()),
        (Some(before), Some(after)) => ('~', format!("{} -> {}", show(before), show(after))),
        (None, None) => ('~', "null".to_string()),
    };
    let mut notes = Vec::new();
    if a.forces_replacement {
        notes.push("forces replacement");
    }
    if a.drift {
        notes.push("changed outside terrane");
    }
    let comment = if notes.is_empty() {
        String::new()
    } else {
        format!(" # {}", notes.join(", "))
    };
    (sym, format!("{:<width$} = {value}{comment}", a.path))
}

/// Width of the widest attribute path of a change.
pub(crate) fn path_width(c: &Change) -> usize {
    c.attrs.iter().map(|a| a.path.len()).max().unwrap_or(0)
}

/// One output line: (symbol, text after the symbol).
pub(crate) fn output_line(o: &OutputChange, width: usize) -> (char, String) {
    let show = |v: &Value| {
        if o.sensitive {
            SENSITIVE_TEXT.to_string()
        } else {
            show_value(v, "", &BTreeSet::new())
        }
    };
    let (sym, value) = match (&o.before, &o.after) {
        (None, Some(a)) => ('+', show(a)),
        (Some(b), None) => ('-', format!("{} -> null", show(b))),
        (Some(_), Some(_)) if o.sensitive => ('~', SENSITIVE_TEXT.to_string()),
        (Some(b), Some(a)) => ('~', format!("{} -> {}", show(b), show(a))),
        (None, None) => ('~', "null".to_string()),
    };
    (sym, format!("{:<width$} = {value}", o.name))
}

/// Outputs that change, in order.
pub(crate) fn changed_outputs(outputs: &[OutputChange]) -> Vec<&OutputChange> {
    outputs
        .iter()
        .filter(|o| o.action() != Action::NoOp)
        .collect()
}

/// Whether a change is shown in the "will perform" list.
pub(crate) fn is_actionable(c: &Change) -> bool {
    c.action != Action::NoOp
}

/// Where a change's object comes from when this plan imports or moves it, as a comment line:
/// `(imported from "i-123")`, `(moved from aws_s3_bucket.old)`.
pub(crate) fn provenance(plan: &Plan, c: &Change) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(i) = plan.importing(&c.address) {
        parts.push(format!(
            "imported from {}",
            serde_json::Value::String(i.id.clone())
        ));
    }
    if let Some(from) = plan.previous_address(&c.address) {
        parts.push(format!("moved from {from}"));
    }
    (!parts.is_empty()).then(|| format!("({})", parts.join("; ")))
}

/// Whether the plan imports or moves this change's object (shown even when nothing else
/// happens to it).
pub(crate) fn is_imported_or_moved(plan: &Plan, c: &Change) -> bool {
    plan.importing(&c.address).is_some() || plan.previous_address(&c.address).is_some()
}

/// Whether a no-op change carries differences worth reporting (observe-only drift).
pub(crate) fn is_observed_drift(c: &Change) -> bool {
    c.action == Action::NoOp && !c.attrs.is_empty()
}
