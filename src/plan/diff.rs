//! Decides what to do with one resource: compares the desired configuration with the refreshed
//! cloud value (and the last applied configuration, to tell drift from a config change) under the
//! resource's schema, following Terraform's rules, and returns a `Change`.
//!
//! It works in two steps, as Terraform does: first the planned value (`after`) is built by
//! merging the config into the cloud value (optional+computed attributes left out keep the cloud
//! value, defaults fill in, ignored paths keep the cloud value); then `before` and `after` are
//! compared attribute by attribute. A changed `force_new` attribute turns the update into a
//! replacement, and the planned value is rebuilt as for a new object (computed attributes
//! unknown).
//!
//! `prevent_destroy` is not an error here: the change is produced with `prevent_destroy` set and
//! `Change::blocked_by_prevent_destroy()` true; the engine refuses such plans
//! (`Plan::prevent_destroy_violations`) so the user sees what would have happened.

use super::compare::{attr_eq, block_eq, block_items, blocks_eq, dyn_eq, field};
use super::{is_sensitive_path, join_index, join_key, Action, AttrChange, Change, Reason};
use crate::config::{DeletionPolicy, IgnoreChanges, Lifecycle, Management};
use std::collections::BTreeSet;
use terrane_provider::{AttrType, Block, Map, Nesting, ResourceMode, Schema, Value};

static NULL: Value = Value::Null;

/// Everything known about one resource instance when planning it.
#[derive(Debug, Clone, Copy)]
pub struct DiffInput<'a> {
    pub address: &'a str,
    pub type_name: &'a str,
    pub provider: &'a str,
    pub schema: &'a Schema,
    /// Desired value, evaluated (may hold `Value::Unknown`); None = not in the configuration.
    pub config: Option<&'a Value>,
    /// Refreshed cloud value; None = does not exist. For a data source: the result of reading
    /// it during plan, if the engine could.
    pub cloud: Option<&'a Value>,
    /// The configuration value last applied (from the store); None = never applied (or
    /// imported), in which case every difference counts as a configuration change.
    pub last_applied: Option<&'a Value>,
    pub lifecycle: &'a Lifecycle,
    /// Top-level attribute names whose values are sensitive (from sensitive variables).
    pub sensitive_attrs: &'a BTreeSet<String>,
    pub deletion_policy: DeletionPolicy,
    pub management: Management,
    /// Set by the engine when a reference named in `lifecycle.replace_triggered_by` changes in
    /// this plan: the resource is replaced, if it exists.
    pub replace_triggered: Option<&'a str>,
    pub dependencies: &'a [String],
}

/// Plans one resource instance. Never fails: odd inputs (a non-object config, unknown keys) are
/// the config checker's business; here they are compared as they are.
///
/// Outcomes without config or cloud: a resource gone from both is a `NoOp` with reasons
/// `RemovedFromConfig, Gone` (the engine drops it from the store); an observe-only resource that
/// does not exist is a `NoOp` with reason `Gone`; an observe-only or `Orphan` resource removed
/// from the configuration is `Forget`. A data source is `NoOp` if the engine read it during plan
/// (`cloud` given and the config wholly known), else `Read` during apply.
pub fn diff_resource(input: DiffInput) -> Change {
    let mut change = Change {
        address: input.address.to_string(),
        type_name: input.type_name.to_string(),
        provider: input.provider.to_string(),
        action: Action::NoOp,
        reasons: Vec::new(),
        attrs: Vec::new(),
        before: input.cloud.cloned(),
        after: None,
        sensitive_attrs: BTreeSet::new(),
        create_before_destroy: input.lifecycle.create_before_destroy,
        prevent_destroy: input.lifecycle.prevent_destroy,
        dependencies: input.dependencies.to_vec(),
    };
    if input.schema.mode == ResourceMode::Data {
        plan_data(&input, &mut change);
    } else {
        plan_managed(&input, &mut change);
    }
    collect_sensitive(&input, &mut change);
    change
}

fn plan_data(input: &DiffInput, change: &mut Change) {
    let Some(cfg) = input.config else {
        change.reasons.push(Reason::RemovedFromConfig);
        return;
    };
    change.reasons.push(Reason::DataSource);
    match input.cloud {
        Some(read) if cfg.is_wholly_known() => {
            change.after = Some(read.clone());
        }
        _ => {
            let after = planner(input, true).object(&input.schema.body, cfg, &NULL, "");
            change.action = Action::Read;
            change.before = None;
            change.attrs = to_attrs(
                diff(&input.schema.body, &NULL, &after, input.sensitive_attrs),
                |_| false,
                |_| false,
            );
            change.after = Some(after);
        }
    }
}

fn plan_managed(input: &DiffInput, change: &mut Change) {
    let body = &input.schema.body;
    let observe = input.management == Management::ObserveOnly;
    match (input.config, input.cloud) {
        (None, None) => {
            change.reasons = vec![Reason::RemovedFromConfig, Reason::Gone];
        }
        (None, Some(cloud)) => {
            change.reasons.push(Reason::RemovedFromConfig);
            if observe || input.deletion_policy == DeletionPolicy::Orphan {
                change.action = Action::Forget;
            } else {
                change.action = Action::Delete;
                change.attrs = to_attrs(
                    diff(body, cloud, &NULL, input.sensitive_attrs),
                    |_| false,
                    |_| false,
                );
            }
        }
        (Some(_), None) if observe => {
            change.reasons.push(Reason::Gone);
        }
        (Some(cfg), None) => {
            let after = planner(input, true).object(body, cfg, &NULL, "");
            change.action = Action::Create;
            change.reasons.push(if input.last_applied.is_some() {
                Reason::Gone
            } else {
                Reason::NewInConfig
            });
            change.attrs = to_attrs(
                diff(body, &NULL, &after, input.sensitive_attrs),
                |_| false,
                |_| false,
            );
            change.after = Some(after);
        }
        (Some(cfg), Some(cloud)) => plan_existing(input, change, cfg, cloud),
    }
}

fn plan_existing(input: &DiffInput, change: &mut Change, cfg: &Value, cloud: &Value) {
    let body = &input.schema.body;
    let planned = planner(input, false).object(body, cfg, cloud, "");
    let raws = diff(body, cloud, &planned, input.sensitive_attrs);

    if input.management == Management::ObserveOnly {
        // Nothing will change; every difference is reported as drift.
        if !raws.is_empty() {
            change.reasons.push(Reason::Drifted);
        }
        change.attrs = to_attrs(raws, |_| false, |_| true);
        change.after = Some(cloud.clone());
        return;
    }

    let drifted = |r: &Raw| {
        r.settable
            && input
                .last_applied
                .is_some_and(|la| dyn_eq(lookup(cfg, &r.anchor), lookup(la, &r.anchor)))
    };
    let drift_paths: BTreeSet<String> = raws
        .iter()
        .filter(|r| drifted(r))
        .map(|r| r.path.clone())
        .collect();
    if raws.iter().any(|r| r.settable && !drifted(r)) {
        change.reasons.push(Reason::ConfigChanged);
    }
    if !drift_paths.is_empty() {
        change.reasons.push(Reason::Drifted);
    }
    let forcing: Vec<String> = raws
        .iter()
        .filter(|r| r.force && r.settable)
        .map(|r| r.path.clone())
        .collect();

    if !forcing.is_empty() || input.replace_triggered.is_some() {
        let fresh = planner(input, true).object(body, cfg, cloud, "");
        let raws = diff(body, cloud, &fresh, input.sensitive_attrs);
        change.action = Action::Replace;
        change.attrs = to_attrs(
            raws,
            |p| forcing.iter().any(|f| f == p),
            |p| drift_paths.contains(p),
        );
        if !forcing.is_empty() {
            change.reasons.push(Reason::ForcesReplacement(forcing));
        }
        if let Some(by) = input.replace_triggered {
            change
                .reasons
                .push(Reason::ReplaceTriggeredBy(by.to_string()));
        }
        change.after = Some(fresh);
    } else {
        if !raws.is_empty() {
            change.action = Action::Update;
        }
        change.attrs = to_attrs(raws, |_| false, |p| drift_paths.contains(p));
        change.after = Some(planned);
    }
}

fn planner<'a>(input: &DiffInput<'a>, fresh: bool) -> Planner<'a> {
    Planner {
        ignore: &input.lifecycle.ignore_changes,
        fresh,
    }
}

/// Builds planned values from config and prior (cloud) values.
struct Planner<'a> {
    ignore: &'a IgnoreChanges,
    /// Plan a brand-new object (create or replace): computed values become unknown.
    fresh: bool,
}

impl Planner<'_> {
    fn object(&self, block: &Block, cfg: &Value, prior: &Value, path: &str) -> Value {
        let has_prior = matches!(prior, Value::Map(_));
        let new_obj = self.fresh || !has_prior;
        // Keys the schema does not know are kept from the cloud for an update.
        let mut out: Map = match (self.fresh, prior) {
            (false, Value::Map(m)) => m.clone(),
            _ => Map::new(),
        };
        for (name, attr) in &block.attributes {
            let p = join_key(path, name);
            let prior_v = field(prior, name);
            let cfg_v = field(cfg, name);
            let settable = attr.required || attr.optional;
            let v = if !settable {
                // A computed attribute is unknown for a new object and keeps its cloud value on
                // update, unless the provider's plan (`Client::plan`) filled it in: then that is
                // what it will be (terraform_data's `output`, tags_all).
                if !cfg_v.is_null() {
                    if has_prior && attr_eq(&attr.ty, cfg_v, prior_v) {
                        prior_v.clone()
                    } else {
                        cfg_v.clone()
                    }
                } else if new_obj {
                    Value::Unknown
                } else {
                    prior_v.clone()
                }
            } else if has_prior && self.ignore.ignores(&p) {
                prior_v.clone()
            } else if cfg_v.is_null() {
                if attr.computed {
                    if new_obj {
                        Value::Unknown
                    } else {
                        prior_v.clone()
                    }
                } else {
                    attr.default.clone().unwrap_or(Value::Null)
                }
            } else {
                let merged = if has_prior {
                    self.merge_map_keys(&attr.ty, &p, cfg_v, prior_v)
                } else {
                    cfg_v.clone()
                };
                if has_prior && attr_eq(&attr.ty, &merged, prior_v) {
                    prior_v.clone()
                } else {
                    merged
                }
            };
            out.insert(name.clone(), v);
        }
        for (name, bs) in &block.blocks {
            let p = join_key(path, name);
            let prior_v = field(prior, name);
            if has_prior && self.ignore.ignores(&p) {
                out.insert(name.clone(), prior_v.clone());
                continue;
            }
            // Blocks from a `dynamic` block over an unknown collection: all unknown.
            if field(cfg, name).is_unknown() {
                out.insert(name.clone(), Value::Unknown);
                continue;
            }
            let cfg_items = block_items(field(cfg, name));
            let prior_items = block_items(prior_v);
            let items: Vec<Value> = match bs.nesting {
                Nesting::Single | Nesting::List => cfg_items
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let pr = prior_items.get(i).unwrap_or(&NULL);
                        self.object(&bs.block, c, pr, &join_index(&p, i))
                    })
                    .collect(),
                Nesting::Set => {
                    let mut used = vec![false; prior_items.len()];
                    cfg_items
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            for (j, pr) in prior_items.iter().enumerate() {
                                if used[j] {
                                    continue;
                                }
                                let cand = self.object(&bs.block, c, pr, &join_index(&p, j));
                                if block_eq(&bs.block, &cand, pr) {
                                    used[j] = true;
                                    return cand;
                                }
                            }
                            self.object(&bs.block, c, &NULL, &join_index(&p, i))
                        })
                        .collect()
                }
            };
            // No blocks in config: an optional-computed block type (Terraform's role
            // `inline_policy`) leaves what the cloud has alone rather than removing it. An
            // explicit `ingress = []` (attribute syntax) is not "no blocks": it wants none.
            let keep = items.is_empty()
                && !self.fresh
                && (prior_items.is_empty()
                    || (bs.computed && has_prior && field(cfg, name).is_null()));
            let v = if keep {
                prior_v.clone()
            } else {
                Value::List(items)
            };
            out.insert(name.clone(), v);
        }
        Value::Map(out)
    }

    /// For a map attribute with ignored keys (`tags.Owner`), keeps those keys as in the cloud.
    fn merge_map_keys(&self, ty: &AttrType, path: &str, cfg: &Value, prior: &Value) -> Value {
        let (AttrType::Map(_) | AttrType::Dynamic, IgnoreChanges::Paths(_)) = (ty, self.ignore)
        else {
            return cfg.clone();
        };
        let (Some(c), Some(p)) = (cfg.as_map(), prior.as_map()) else {
            return cfg.clone();
        };
        let mut out = Map::new();
        for k in c.keys().chain(p.keys()) {
            let src = if self.ignore.ignores(&join_key(path, k)) {
                p
            } else {
                c
            };
            if let Some(v) = src.get(k) {
                out.insert(k.clone(), v.clone());
            }
        }
        Value::Map(out)
    }
}

/// One difference found by `diff`, before it becomes an `AttrChange`.
struct Raw {
    path: String,
    before: Value,
    after: Value,
    /// Inside a `force_new` attribute or block.
    force: bool,
    /// Set from config (not computed-only).
    settable: bool,
    sensitive: bool,
    /// Path used to look the value up in config and last-applied values to classify drift:
    /// the path itself, or the enclosing set block (set element indexes do not line up).
    anchor: String,
}

#[derive(Clone, Copy)]
struct Ctx<'a> {
    force: bool,
    sensitive: bool,
    anchor: Option<&'a str>,
    top_sensitive: &'a BTreeSet<String>,
}

/// Differences between two values of a resource body. `sensitive` holds the top-level names
/// marked sensitive by the configuration.
fn diff(block: &Block, before: &Value, after: &Value, sensitive: &BTreeSet<String>) -> Vec<Raw> {
    let mut out = Vec::new();
    let ctx = Ctx {
        force: false,
        sensitive: false,
        anchor: None,
        top_sensitive: sensitive,
    };
    diff_object(block, before, after, "", ctx, &mut out);
    out
}

fn diff_object(
    block: &Block,
    before: &Value,
    after: &Value,
    path: &str,
    ctx: Ctx,
    out: &mut Vec<Raw>,
) {
    for (name, attr) in &block.attributes {
        let (b, a) = (field(before, name), field(after, name));
        if attr_eq(&attr.ty, b, a) {
            continue;
        }
        let p = join_key(path, name);
        let sensitive = ctx.sensitive || attr.sensitive || is_sensitive_path(&p, ctx.top_sensitive);
        let mk = |path: String, b: &Value, a: &Value| Raw {
            anchor: ctx
                .anchor
                .map(str::to_string)
                .unwrap_or_else(|| path.clone()),
            path,
            before: b.clone(),
            after: a.clone(),
            force: ctx.force || attr.force_new,
            settable: attr.required || attr.optional,
            sensitive,
        };
        // A sensitive map is one masked value: its keys may be secret too.
        let per_key = !sensitive
            && matches!(attr.ty, AttrType::Map(_))
            && matches!(b, Value::Null | Value::Map(_))
            && matches!(a, Value::Null | Value::Map(_));
        match (&attr.ty, per_key) {
            (AttrType::Map(inner), true) => {
                let keys: BTreeSet<&String> = b
                    .as_map()
                    .into_iter()
                    .chain(a.as_map())
                    .flat_map(|m| m.keys())
                    .collect();
                for k in keys {
                    let (bv, av) = (field(b, k), field(a, k));
                    if !attr_eq(inner, bv, av) {
                        out.push(mk(join_key(&p, k), bv, av));
                    }
                }
            }
            _ => out.push(mk(p, b, a)),
        }
    }
    for (name, bs) in &block.blocks {
        let (b, a) = (field(before, name), field(after, name));
        if blocks_eq(bs, b, a) {
            continue;
        }
        let p = join_key(path, name);
        let inner = Ctx {
            force: ctx.force || bs.force_new,
            sensitive: ctx.sensitive || is_sensitive_path(&p, ctx.top_sensitive),
            ..ctx
        };
        if b.is_unknown() || a.is_unknown() {
            out.push(Raw {
                anchor: ctx.anchor.map(str::to_string).unwrap_or_else(|| p.clone()),
                path: p,
                before: b.clone(),
                after: a.clone(),
                force: inner.force,
                settable: true,
                sensitive: inner.sensitive,
            });
            continue;
        }
        let (bi, ai) = (block_items(b), block_items(a));
        match bs.nesting {
            Nesting::Single | Nesting::List => {
                for i in 0..bi.len().max(ai.len()) {
                    let (be, ae) = (bi.get(i).unwrap_or(&NULL), ai.get(i).unwrap_or(&NULL));
                    diff_object(&bs.block, be, ae, &join_index(&p, i), inner, out);
                }
            }
            Nesting::Set => {
                // Equal elements cancel out; the rest are paired in order so a changed element
                // shows as attribute changes. Extra removed elements get indexes past the end.
                let mut used = vec![false; ai.len()];
                let mut removed = Vec::new();
                for x in &bi {
                    match (0..ai.len()).find(|&j| !used[j] && block_eq(&bs.block, x, &ai[j])) {
                        Some(j) => used[j] = true,
                        None => removed.push(x),
                    }
                }
                let added: Vec<usize> = (0..ai.len()).filter(|&j| !used[j]).collect();
                let set_ctx = Ctx {
                    anchor: Some(ctx.anchor.unwrap_or(&p)),
                    ..inner
                };
                for k in 0..removed.len().max(added.len()) {
                    let idx = added.get(k).copied().unwrap_or(ai.len() + k - added.len());
                    let be = removed.get(k).copied().unwrap_or(&NULL);
                    let ae = added.get(k).map(|&j| &ai[j]).unwrap_or(&NULL);
                    diff_object(&bs.block, be, ae, &join_index(&p, idx), set_ctx, out);
                }
            }
        }
    }
}

fn to_attrs(
    raws: Vec<Raw>,
    forces: impl Fn(&str) -> bool,
    drift: impl Fn(&str) -> bool,
) -> Vec<AttrChange> {
    raws.into_iter()
        .map(|r| AttrChange {
            forces_replacement: forces(&r.path),
            drift: drift(&r.path),
            sensitive: r.sensitive,
            before: (!r.before.is_null()).then_some(r.before),
            after: (!r.after.is_null()).then_some(r.after),
            path: r.path,
        })
        .collect()
}

/// Fills `Change::sensitive_attrs` and the `sensitive` flag of each attribute change.
fn collect_sensitive(input: &DiffInput, change: &mut Change) {
    let mut set: BTreeSet<String> = input.sensitive_attrs.clone();
    for v in [&change.before, &change.after].into_iter().flatten() {
        schema_sensitive_paths(&input.schema.body, v, "", &mut set);
    }
    for a in &mut change.attrs {
        a.sensitive |= is_sensitive_path(&a.path, input.sensitive_attrs);
        if a.sensitive {
            set.insert(a.path.clone());
        }
    }
    change.sensitive_attrs = set;
}

fn schema_sensitive_paths(block: &Block, v: &Value, path: &str, out: &mut BTreeSet<String>) {
    for (name, attr) in &block.attributes {
        if attr.sensitive {
            out.insert(join_key(path, name));
        }
    }
    for (name, bs) in &block.blocks {
        let p = join_key(path, name);
        for (i, item) in block_items(field(v, name)).iter().enumerate() {
            schema_sensitive_paths(&bs.block, item, &join_index(&p, i), out);
        }
    }
}

/// One step of an attribute path.
#[derive(Debug, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Parses the paths `join_key`/`join_index` produce. Malformed input yields what parsed so far.
fn parse_path(p: &str) -> Vec<Seg> {
    let mut segs = Vec::new();
    let mut rest = p;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            rest = r;
        } else if let Some(r) = rest.strip_prefix("[\"") {
            // A JSON string key: find its closing quote, skipping escapes.
            let mut end = None;
            let mut escaped = false;
            for (i, c) in r.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let Some(end) = end else { break };
            let Ok(key) = serde_json::from_str::<String>(&rest[1..end + 3]) else {
                break;
            };
            segs.push(Seg::Key(key));
            rest = r[end + 1..].strip_prefix(']').unwrap_or("");
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(close) = r.find(']') else { break };
            let Ok(i) = r[..close].parse() else { break };
            segs.push(Seg::Index(i));
            rest = &r[close + 1..];
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            segs.push(Seg::Key(rest[..end].to_string()));
            rest = &rest[end..];
        }
    }
    segs
}

/// The value at a path; null where the path does not exist. A lone object stands for a
/// one-element block list.
fn lookup<'a>(v: &'a Value, path: &str) -> &'a Value {
    let mut cur = v;
    for seg in parse_path(path) {
        cur = match (&seg, cur) {
            (Seg::Key(k), _) => field(cur, k),
            (Seg::Index(i), Value::List(l)) => l.get(*i).unwrap_or(&NULL),
            (Seg::Index(0), Value::Map(_)) => cur,
            _ => &NULL,
        };
    }
    cur
}

#[cfg(test)]
mod tests;
