//! The machine-readable rendering of a plan (`plan --json`), with the stable schema documented
//! in docs/plan-json.md. Unlike the saved plan file it never holds a sensitive value, and unknown
//! values are the string "(known after apply)".

use crate::plan::{is_sensitive_path, join_index, join_key, Change, Plan, Reason};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeSet;
use terrane_provider::Value;

/// Replaces sensitive values in JSON output.
pub const SENSITIVE_JSON: &str = "(sensitive)";

/// Renders the plan as pretty-printed JSON, ending with a newline.
pub fn render(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(&to_json(plan)).unwrap_or_else(|e| {
        // Serialising a serde_json::Value cannot fail; keep a valid document regardless.
        json!({ "error": e.to_string() }).to_string()
    });
    s.push('\n');
    s
}

/// The JSON document as a value.
pub fn to_json(plan: &Plan) -> Json {
    let s = &plan.summary;
    let m = &plan.meta;
    json!({
        "format_version": plan.format_version,
        "meta": {
            "stack": m.stack,
            "commit": m.commit,
            "commit_message": m.commit_message,
            "created_at": m.created_at,
            "config_hash": m.config_hash,
            "store_fingerprint": m.store_fingerprint,
            "cloud_fingerprint": m.cloud_fingerprint,
            "terrane_version": m.terrane_version,
        },
        "summary": {
            "create": s.create,
            "update": s.update,
            "replace": s.replace,
            "delete": s.delete,
            "read": s.read,
            "forget": s.forget,
            "noop": s.noop,
            "import": plan.imported.len(),
            "move": plan.moved.len(),
            "to_add": s.to_add(),
            "to_change": s.to_change(),
            "to_destroy": s.to_destroy(),
        },
        "has_changes": plan.has_changes(),
        "changes": plan.changes.iter().map(|c| change_json(plan, c)).collect::<Vec<_>>(),
        "outputs": plan.outputs.iter().map(|o| {
            let side = |v: &Option<Value>| match v {
                None => Json::Null,
                Some(_) if o.sensitive => Json::String(SENSITIVE_JSON.into()),
                Some(v) => masked(v, "", &BTreeSet::new()),
            };
            json!({
                "name": o.name,
                "action": o.action().as_str(),
                "sensitive": o.sensitive,
                "before": side(&o.before),
                "after": side(&o.after),
            })
        }).collect::<Vec<_>>(),
    })
}

fn change_json(plan: &Plan, c: &Change) -> Json {
    let attributes: Vec<Json> = c
        .attrs
        .iter()
        .map(|a| {
            let sensitive = a.sensitive || c.is_sensitive_path(&a.path);
            let side = |v: &Option<Value>| match v {
                None => Json::Null,
                Some(_) if sensitive => Json::String(SENSITIVE_JSON.into()),
                Some(v) => masked(v, &a.path, &c.sensitive_attrs),
            };
            json!({
                "path": a.path,
                "before": side(&a.before),
                "after": side(&a.after),
                "sensitive": sensitive,
                "forces_replacement": a.forces_replacement,
                "drift": a.drift,
            })
        })
        .collect();
    let whole = |v: &Option<Value>| {
        v.as_ref()
            .map_or(Json::Null, |v| masked(v, "", &c.sensitive_attrs))
    };
    json!({
        "address": c.address,
        "type": c.type_name,
        "provider": c.provider,
        "action": c.action.as_str(),
        "reasons": c.reasons.iter().map(reason_json).collect::<Vec<_>>(),
        "create_before_destroy": c.create_before_destroy,
        "prevent_destroy": c.prevent_destroy,
        "blocked_by_prevent_destroy": c.blocked_by_prevent_destroy(),
        "dependencies": c.dependencies,
        "previous_address": plan.previous_address(&c.address),
        "importing": plan.importing(&c.address).map(|i| json!({ "id": i.id })),
        "attributes": attributes,
        "before": whole(&c.before),
        "after": whole(&c.after),
    })
}

fn reason_json(r: &Reason) -> Json {
    let mut o = Map::new();
    o.insert("kind".into(), Json::String(r.kind().into()));
    match r {
        Reason::ForcesReplacement(paths) => {
            o.insert("paths".into(), json!(paths));
        }
        Reason::ReplaceTriggeredBy(by) => {
            o.insert("by".into(), json!(by));
        }
        _ => {}
    }
    o.insert("message".into(), Json::String(r.describe()));
    Json::Object(o)
}

/// A value as JSON with sensitive paths and unknowns replaced by marker strings.
fn masked(v: &Value, path: &str, sens: &BTreeSet<String>) -> Json {
    if is_sensitive_path(path, sens) {
        return Json::String(SENSITIVE_JSON.into());
    }
    match v {
        Value::Unknown => Json::String(super::UNKNOWN_TEXT.into()),
        Value::List(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| masked(x, &join_index(path, i), sens))
                .collect(),
        ),
        Value::Map(m) => Json::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), masked(x, &join_key(path, k), sens)))
                .collect(),
        ),
        other => other.to_json(),
    }
}
