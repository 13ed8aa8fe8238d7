//! The drift report as SARIF 2.1.0, so code-scanning tools (GitHub code scanning among them)
//! show drift as alerts on the file that declares the resource. Three rules: a changed resource
//! and a deleted one are errors, an unmanaged resource a warning. Pending configuration changes
//! are not findings and are left out. Each result carries a partial fingerprint, so the same
//! drift seen on the next run is the same alert.

use super::drift_line;
use crate::drift::{DriftReport, Location};
use serde_json::{json, Value as Json};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// (id, name, short description, help, level)
const RULES: [(&str, &str, &str, &str, &str); 3] = [
    (
        "drift/changed",
        "ChangedOutsideTerrane",
        "A managed resource was changed outside terrane.",
        "Its cloud attributes differ from what terrane last applied. Run `terrane apply` to \
         restore them, or change the configuration to accept the cloud's values.",
        "error",
    ),
    (
        "drift/deleted",
        "DeletedOutsideTerrane",
        "A managed resource was deleted outside terrane.",
        "Run `terrane apply` to create it again, or remove it from the configuration.",
        "error",
    ),
    (
        "drift/unmanaged",
        "Unmanaged",
        "A resource of a supported type exists in the account but no stack manages it.",
        "Import it into a stack (`import` block or `terrane state import`), delete it, or list \
         it in .terraneignore as TYPE.ID.",
        "warning",
    ),
];

/// Renders the report as a SARIF 2.1.0 log, pretty-printed, ending with a newline.
pub fn render(r: &DriftReport) -> String {
    let mut s = serde_json::to_string_pretty(&to_json(r))
        .unwrap_or_else(|e| json!({ "error": e.to_string() }).to_string());
    s.push('\n');
    s
}

/// The SARIF log as a value.
pub fn to_json(r: &DriftReport) -> Json {
    let rules: Vec<Json> = RULES
        .iter()
        .map(|(id, name, short, help, level)| {
            json!({
                "id": id,
                "name": name,
                "shortDescription": { "text": short },
                "help": { "text": help },
                "defaultConfiguration": { "level": level },
            })
        })
        .collect();
    let mut results = Vec::new();
    for c in &r.changed {
        let lines: Vec<String> = c.attrs.iter().map(drift_line).collect();
        let paths: Vec<&str> = c.attrs.iter().map(|a| a.path.as_str()).collect();
        results.push(result(
            0,
            format!(
                "{} (id {}) changed outside terrane: {}",
                c.address,
                c.id,
                lines.join("; ")
            ),
            c.location.as_ref(),
            &c.address,
            "resource",
            format!("{}:{}", c.address, paths.join(",")),
        ));
    }
    for d in &r.deleted {
        results.push(result(
            1,
            format!("{} (id {}) was deleted outside terrane", d.address, d.id),
            d.location.as_ref(),
            &d.address,
            "resource",
            d.address.clone(),
        ));
    }
    for u in &r.unmanaged {
        let name = format!("{}.{}", u.type_name, u.id);
        results.push(result(
            2,
            format!(
                "{} {} exists in the account but no stack manages it",
                u.type_name, u.id
            ),
            None,
            &name,
            "object",
            name.clone(),
        ));
    }
    let mut driver = json!({
        "name": "terrane",
        "rules": rules,
    });
    if !r.meta.terrane_version.is_empty() {
        driver["version"] = json!(r.meta.terrane_version);
    }
    let repo = env!("CARGO_PKG_REPOSITORY");
    if !repo.is_empty() {
        driver["informationUri"] = json!(repo);
    }
    let mut run = json!({
        "tool": { "driver": driver },
        "automationDetails": { "id": format!("terrane-drift/{}/", r.meta.stack) },
        "results": results,
    });
    if let Some(commit) = &r.meta.commit {
        run["properties"] = json!({ "stack": r.meta.stack, "commit": commit });
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [run],
    })
}

fn result(
    rule: usize,
    message: String,
    location: Option<&Location>,
    name: &str,
    kind: &str,
    fingerprint: String,
) -> Json {
    let (id, _, _, _, level) = RULES[rule];
    let mut loc = json!({
        "logicalLocations": [{ "fullyQualifiedName": name, "kind": kind }],
    });
    if let Some(l) = location {
        loc["physicalLocation"] = json!({
            "artifactLocation": { "uri": uri(&l.file) },
            "region": { "startLine": l.line, "startColumn": l.column },
        });
    }
    json!({
        "ruleId": id,
        "ruleIndex": rule,
        "level": level,
        "message": { "text": message },
        "locations": [loc],
        "partialFingerprints": { "terraneDrift/v1": format!("{id}:{fingerprint}") },
    })
}

/// A relative file path as a URI reference: `/` separators, unsafe bytes percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
