//! The drift comparison: a resource's cloud value against the configuration terrane last
//! applied; and, from the engine's plan, the configuration changes not yet applied (pending).
//!
//! Drift runs through the planner's `diff_resource` with the last-applied value standing in for
//! the configuration, so drift is exactly what `apply` would put back: the same normalised
//! equality (`plan::compare`: JSON policies parsed, numbers by value, sets unordered, null =
//! empty), the same `lifecycle.ignore_changes`, and the same rule that only attributes the user
//! set count (computed-only attributes, and optional+computed ones left unset, keep whatever the
//! cloud says). Replacement is irrelevant to drift, so `force_new` is cleared from the schema
//! first: otherwise a drifted `force_new` attribute would plan a fresh object and report every
//! computed attribute as unknown.

use super::{AttrDiff, Location, PendingChange, Shown};
use crate::config::{DeletionPolicy, Lifecycle, Management};
use crate::plan::{diff_resource, is_at_or_below, Action, AttrChange, Change, DiffInput, Reason};
use serde_json::Value as Json;
use std::collections::BTreeSet;
use terrane_provider::{AttrType, Block, Schema, Value};

/// One managed resource, as the engine knows it after refreshing.
#[derive(Debug, Clone, Copy)]
pub struct ManagedInput<'a> {
    pub address: &'a str,
    pub type_name: &'a str,
    pub provider: &'a str,
    pub id: &'a str,
    pub schema: &'a Schema,
    /// The configuration last applied (the store's `desired`).
    pub last_applied: &'a Value,
    /// The refreshed cloud value; None = gone.
    pub cloud: Option<&'a Value>,
    /// From the current configuration (`ignore_changes`); the default when the resource is no
    /// longer configured.
    pub lifecycle: &'a Lifecycle,
    /// Top-level attributes that held sensitive values (the store's `sensitive_attrs`).
    pub sensitive_attrs: &'a BTreeSet<String>,
    pub location: Option<&'a Location>,
}

/// The result of comparing one managed resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    InSync,
    /// The drifted attributes, masked; never empty.
    Changed(Vec<AttrDiff>),
    Deleted,
}

/// Compares a managed resource's cloud value with what was last applied.
pub fn compare_resource(input: &ManagedInput) -> Outcome {
    let Some(cloud) = input.cloud else {
        return Outcome::Deleted;
    };
    let schema = without_force_new(input.schema);
    // The stored configuration may hold computed values the provider's plan filled in
    // (`tags_all`, terraform_data's `output`); only what the user sets can drift.
    let last = without_computed(&schema.body, input.last_applied);
    let last = normalize_policies(&schema.body, &last);
    let cloud = normalize_policies(&schema.body, cloud);
    let change = diff_resource(DiffInput {
        address: input.address,
        type_name: input.type_name,
        provider: input.provider,
        schema: &schema,
        config: Some(&last),
        cloud: Some(&cloud),
        last_applied: Some(&last),
        lifecycle: input.lifecycle,
        sensitive_attrs: input.sensitive_attrs,
        deletion_policy: DeletionPolicy::Delete,
        management: Management::Full,
        replace_triggered: None,
        dependencies: &[],
    });
    if change.attrs.is_empty() {
        return Outcome::InSync;
    }
    // The planner's `before` is the cloud and `after` the value it would restore.
    let attrs = change
        .attrs
        .iter()
        .map(|a| attr_diff(&change, a, a.after.as_ref(), a.before.as_ref()))
        .collect();
    Outcome::Changed(attrs)
}

/// The configuration change in one planned change, if it holds one: the engine plans the
/// stack (which evaluates the configuration with data sources, `moved` and `import` blocks) and
/// each `Change` goes through here. Differences the planner marks as drift are left out (they
/// are reported as drift), and so are a planned replacement's computed attributes, which are
/// only "known after apply" because the object is new. `before` is the value now, `after` the
/// configuration's.
pub fn pending_from_change(
    c: &Change,
    schema: &Schema,
    location: Option<&Location>,
) -> Option<PendingChange> {
    let mk = |action, attrs| {
        Some(PendingChange {
            address: c.address.clone(),
            type_name: c.type_name.clone(),
            action,
            attrs,
            location: location.cloned(),
        })
    };
    let has = |r: &Reason| c.reasons.contains(r);
    match c.action {
        // Created again because it was deleted in the cloud: that is drift.
        Action::Create if has(&Reason::NewInConfig) => mk(Action::Create, Vec::new()),
        Action::Delete | Action::Forget if has(&Reason::RemovedFromConfig) => {
            mk(Action::Delete, Vec::new())
        }
        Action::Update | Action::Replace => {
            let attrs: Vec<AttrDiff> = c
                .attrs
                .iter()
                .filter(|a| {
                    !a.drift
                        && settable(schema, &a.path)
                        && (c.action == Action::Update
                            || a.forces_replacement
                            || !matches!(a.after, Some(Value::Unknown)))
                })
                .map(|a| attr_diff(c, a, a.before.as_ref(), a.after.as_ref()))
                .collect();
            let triggered = c
                .reasons
                .iter()
                .any(|r| matches!(r, Reason::ReplaceTriggeredBy(_)));
            let forced_by_config = c.attrs.iter().any(|a| a.forces_replacement && !a.drift);
            if attrs.is_empty() && !triggered {
                return None;
            }
            let action = if c.action == Action::Replace && (forced_by_config || triggered) {
                Action::Replace
            } else {
                Action::Update
            };
            mk(action, attrs)
        }
        _ => None,
    }
}

/// An attribute difference with both sides masked when anything at, above or below its path is
/// sensitive (a whole value is hidden rather than risk a secret nested in it).
fn attr_diff(
    change: &Change,
    a: &AttrChange,
    expected: Option<&Value>,
    actual: Option<&Value>,
) -> AttrDiff {
    let sensitive = a.sensitive
        || change.is_sensitive_path(&a.path)
        || change
            .sensitive_attrs
            .iter()
            .any(|s| is_at_or_below(s, &a.path));
    AttrDiff {
        path: a.path.clone(),
        expected: Shown::of(expected, sensitive),
        actual: Shown::of(actual, sensitive),
        sensitive,
    }
}

/// The value without attributes the user cannot set, at every level of nesting.
fn without_computed(block: &Block, v: &Value) -> Value {
    let Value::Map(m) = v else {
        return v.clone();
    };
    let mut out = m.clone();
    for (name, attr) in &block.attributes {
        if !(attr.required || attr.optional) {
            out.remove(name);
        }
    }
    for (name, bs) in &block.blocks {
        if let Some(Value::List(items)) = m.get(name) {
            let items = items
                .iter()
                .map(|i| without_computed(&bs.block, i))
                .collect();
            out.insert(name.clone(), Value::List(items));
        } else if let Some(item @ Value::Map(_)) = m.get(name) {
            out.insert(name.clone(), without_computed(&bs.block, item));
        }
    }
    Value::Map(out)
}

/// False for a path under a top-level attribute the user cannot set (computed only).
fn settable(schema: &Schema, path: &str) -> bool {
    let top = path.split(['.', '[']).next().unwrap_or(path);
    schema
        .body
        .attributes
        .get(top)
        .is_none_or(|a| a.required || a.optional)
}

/// The schema with every `force_new` flag cleared.
fn without_force_new(schema: &Schema) -> Schema {
    fn strip(block: &Block) -> Block {
        let mut b = block.clone();
        for a in b.attributes.values_mut() {
            a.force_new = false;
        }
        for bs in b.blocks.values_mut() {
            bs.force_new = false;
            bs.block = strip(&bs.block);
        }
        b
    }
    Schema {
        body: strip(&schema.body),
        ..schema.clone()
    }
}

/// The value with every top-level JSON attribute that holds an IAM policy (an object with a
/// `Statement`) rewritten in IAM's normal form, compactly serialised.
fn normalize_policies(block: &Block, v: &Value) -> Value {
    let Value::Map(m) = v else {
        return v.clone();
    };
    let mut out = m.clone();
    for (name, attr) in &block.attributes {
        if attr.ty != AttrType::Json {
            continue;
        }
        let Some(Value::String(doc)) = m.get(name) else {
            continue;
        };
        let Ok(Json::Object(o)) = serde_json::from_str::<Json>(doc) else {
            continue;
        };
        if !o.contains_key("Statement") {
            continue;
        }
        let normal = normalize_policy(Json::Object(o));
        out.insert(name.clone(), Value::String(normal.to_string()));
    }
    Value::Map(out)
}

/// IAM's equivalences: a one-item list is its item, string lists are sets.
fn normalize_policy(doc: Json) -> Json {
    let Json::Object(o) = doc else { return doc };
    let o = o
        .into_iter()
        .map(|(k, v)| {
            let v = if k == "Statement" {
                match one_or_many(v) {
                    Json::Array(items) => Json::Array(items.into_iter().map(statement).collect()),
                    single => statement(single),
                }
            } else {
                v
            };
            (k, v)
        })
        .collect();
    Json::Object(o)
}

fn statement(s: Json) -> Json {
    let Json::Object(o) = s else { return s };
    let o = o
        .into_iter()
        .map(|(k, v)| {
            let v = match k.as_str() {
                "Action" | "NotAction" | "Resource" | "NotResource" => string_set(v),
                // {"AWS": [...]} per principal kind; {"StringEquals": {"key": [...]}} per operator.
                "Principal" | "NotPrincipal" => map_values(v, string_set),
                "Condition" => map_values(v, |ops| map_values(ops, string_set)),
                _ => v,
            };
            (k, v)
        })
        .collect();
    Json::Object(o)
}

fn map_values(v: Json, f: impl Fn(Json) -> Json) -> Json {
    match v {
        Json::Object(o) => Json::Object(o.into_iter().map(|(k, x)| (k, f(x))).collect()),
        other => other,
    }
}

/// A list of strings sorted and de-duplicated, then as a single string if one is left.
fn string_set(v: Json) -> Json {
    match v {
        Json::Array(items) if items.iter().all(Json::is_string) => {
            let mut items = items;
            items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            items.dedup();
            one_or_many(Json::Array(items))
        }
        other => other,
    }
}

fn one_or_many(v: Json) -> Json {
    match v {
        Json::Array(mut items) if items.len() == 1 => items.pop().unwrap_or(Json::Null),
        other => other,
    }
}
