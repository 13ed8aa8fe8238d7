//! The machine-readable drift report (`--format json`), with the stable schema documented in
//! docs/drift-json.md. Sensitive values are the string "(sensitive)", values known only after
//! apply (on the configuration side of a pending change) "(known after apply)".

use crate::drift::{AttrDiff, DriftReport, Location, Shown};
use crate::plan::render::json::SENSITIVE_JSON;
use crate::plan::render::UNKNOWN_TEXT;
use serde_json::{json, Value as Json};
use terrane_provider::Value;

/// Renders the report as pretty-printed JSON, ending with a newline.
pub fn render(r: &DriftReport) -> String {
    let mut s = serde_json::to_string_pretty(&to_json(r))
        .unwrap_or_else(|e| json!({ "error": e.to_string() }).to_string());
    s.push('\n');
    s
}

/// The JSON document as a value.
pub fn to_json(r: &DriftReport) -> Json {
    let s = &r.summary;
    json!({
        "format_version": r.format_version,
        "meta": {
            "stack": r.meta.stack,
            "commit": r.meta.commit,
            "created_at": r.meta.created_at,
            "terrane_version": r.meta.terrane_version,
        },
        "summary": {
            "drifted": s.has_drift(),
            "checked": s.checked,
            "in_sync": s.in_sync,
            "changed": s.changed,
            "deleted": s.deleted,
            "unmanaged": s.unmanaged,
            "unmanaged_checked": s.unmanaged_checked,
            "pending": s.pending,
            "ignored": {
                "attributes": s.ignored.attributes,
                "resources": s.ignored.resources,
                "unmanaged": s.ignored.unmanaged,
            },
        },
        "changed": r.changed.iter().map(|c| json!({
            "address": c.address,
            "type": c.type_name,
            "provider": c.provider,
            "id": c.id,
            "location": location(&c.location),
            "attributes": c.attrs.iter().map(|a| json!({
                "path": a.path,
                "expected": shown(&a.expected),
                "actual": shown(&a.actual),
                "sensitive": a.sensitive,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "deleted": r.deleted.iter().map(|d| json!({
            "address": d.address,
            "type": d.type_name,
            "provider": d.provider,
            "id": d.id,
            "location": location(&d.location),
        })).collect::<Vec<_>>(),
        "unmanaged": r.unmanaged.iter().map(|u| json!({
            "type": u.type_name,
            "id": u.id,
            "tags": u.tags,
        })).collect::<Vec<_>>(),
        "pending": r.pending.iter().map(|p| json!({
            "address": p.address,
            "type": p.type_name,
            "action": p.action.as_str(),
            "location": location(&p.location),
            "attributes": p.attrs.iter().map(pending_attr).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "in_sync": r.in_sync.iter().map(|i| json!({
            "address": i.address,
            "type": i.type_name,
            "id": i.id,
        })).collect::<Vec<_>>(),
        "coverage": r.coverage.iter().map(|c| json!({
            "type": c.type_name,
            "managed": c.managed,
            "unmanaged": c.unmanaged,
            "ratio": c.ratio(),
        })).collect::<Vec<_>>(),
        "stats": r.stats.map(|st| json!({
            "duration_ms": st.duration_ms,
            "api_calls": st.api_calls,
        })),
    })
}

fn pending_attr(a: &AttrDiff) -> Json {
    json!({
        "path": a.path,
        "before": shown(&a.expected),
        "after": shown(&a.actual),
        "sensitive": a.sensitive,
    })
}

fn location(l: &Option<Location>) -> Json {
    match l {
        Some(l) => json!({ "file": l.file, "line": l.line, "column": l.column }),
        None => Json::Null,
    }
}

fn shown(s: &Shown) -> Json {
    match s {
        Shown::Absent => Json::Null,
        Shown::Sensitive => Json::String(SENSITIVE_JSON.into()),
        Shown::Value(v) => value(v),
    }
}

fn value(v: &Value) -> Json {
    match v {
        Value::Unknown => Json::String(UNKNOWN_TEXT.into()),
        Value::List(items) => Json::Array(items.iter().map(value).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, x)| (k.clone(), value(x))).collect()),
        other => other.to_json(),
    }
}
