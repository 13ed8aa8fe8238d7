//! Planning: refresh, then walk the graph in dependency order and diff each instance against
//! the refreshed cloud and the last applied configuration. Each instance is evaluated with the
//! planned values of what it depends on, so a value known only after apply stays unknown down
//! the whole chain of dependents, and everything known is shown as it will be.

use super::refresh::cloud_fingerprint;
use super::{address_matches, config_hash, Engine, EngineError, PlanOptions, ValueMap};
use crate::addr::{InstanceAddr, Mode};
use crate::config::{Config, DeletionPolicy, Lifecycle, Management};
use crate::diag::Diagnostic;
use crate::graph::Graph;
use crate::plan::{
    diff_resource, Action, Change, DesiredUpdate, DiffInput, Imported, Move, OutputChange, Plan,
    PlanMeta,
};
use petgraph::Direction;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use terrane_provider::{ReadRequest, Value};
use terrane_state::ResourceRecord;

impl Engine {
    /// Plans the stack: refresh (unless `opts.refresh` is false), moved and import blocks, the
    /// diff of every instance in scope, resources removed from the configuration, and outputs.
    /// Refuses (with located diagnostics) a plan that would destroy a `prevent_destroy`
    /// resource.
    pub async fn plan(
        &self,
        cfg: &Config,
        graph: &Graph,
        opts: &PlanOptions,
    ) -> Result<Plan, EngineError> {
        let all = self.store.list_resources(&self.stack)?;
        let scope = Scope::new(cfg, graph, &opts.targets, &all)?;
        let idx_of: HashMap<&InstanceAddr, usize> = cfg
            .instances
            .iter()
            .enumerate()
            .map(|(i, inst)| (&inst.addr, i))
            .collect();
        let moves = self.effective_moves(cfg)?;
        let moved_from: HashMap<&str, &str> = moves
            .iter()
            .map(|m| (m.from.as_str(), m.to.as_str()))
            .collect();

        // Records in scope, refreshed under their stored addresses (so the cache write does not
        // create a second record), then renamed by `moved` blocks.
        let mut records: Vec<ResourceRecord> = all
            .into_iter()
            .filter(|r| {
                let addr = moved_from
                    .get(r.address.as_str())
                    .copied()
                    .unwrap_or(&r.address);
                scope.has_record(addr)
            })
            .collect();

        let mut refs: BTreeSet<String> = records.iter().map(|r| r.provider.clone()).collect();
        for inst in &cfg.instances {
            if scope.has_instance(&inst.addr) {
                refs.insert(inst.provider.to_string());
            }
        }
        let clients = self.configure(Some(cfg), &refs).await?;
        if opts.refresh {
            self.refresh_records(&clients, &mut records, opts.parallelism, true)
                .await?;
        }
        for r in &mut records {
            if let Some(to) = moved_from.get(r.address.as_str()) {
                r.address = to.to_string();
            }
            for d in &mut r.dependencies {
                if let Some(to) = moved_from.get(d.as_str()) {
                    *d = to.to_string();
                }
            }
        }
        let cloud_fp = cloud_fingerprint(&records, opts.refresh);
        let mut records: BTreeMap<String, ResourceRecord> = records
            .into_iter()
            .map(|r| (r.address.clone(), r))
            .collect();

        let mut diags = Vec::new();
        let mut imported = Vec::new();
        if !opts.destroy {
            for imp in &cfg.imports {
                let addr = imp.to.to_string();
                if records.contains_key(&addr) || !scope.has_instance(&imp.to) {
                    continue;
                }
                let Some(inst) = cfg.instance(&imp.to) else {
                    diags.push(
                        Diagnostic::error(format!(
                            "import block targets {addr}, which is not in the configuration"
                        ))
                        .at(imp.span)
                        .help("add a resource block for it, or remove the import block"),
                    );
                    continue;
                };
                let provider = inst.provider.to_string();
                let Some(client) = clients.get(&provider) else {
                    continue;
                };
                match client.import(&inst.type_name, &imp.id).await {
                    Ok(Some(value)) => {
                        let id = value.get_str("id").unwrap_or(&imp.id).to_string();
                        imported.push(Imported {
                            address: addr.clone(),
                            type_name: inst.type_name.clone(),
                            provider: provider.clone(),
                            id: id.clone(),
                            value: value.clone(),
                        });
                        records.insert(
                            addr.clone(),
                            ResourceRecord {
                                address: addr,
                                type_name: inst.type_name.clone(),
                                provider,
                                id,
                                cloud: value,
                                desired: Value::Null,
                                dependencies: Vec::new(),
                                sensitive_attrs: Vec::new(),
                                schema_version: 0,
                                deletion_policy_orphan: false,
                                updated_at: super::now(),
                            },
                        );
                    }
                    Ok(None) => diags.push(
                        Diagnostic::error(format!(
                            "cannot import {addr}: no {} with id {:?} exists",
                            inst.type_name, imp.id
                        ))
                        .at(imp.span),
                    ),
                    Err(e) => diags
                        .push(Diagnostic::error(format!("cannot import {addr}: {e}")).at(imp.span)),
                }
            }
        }

        // The walk over the configuration, dependencies first.
        // Dependents see each instance's planned value where it lives, in `changes`: no copy.
        let mut planned: HashMap<InstanceAddr, usize> = HashMap::new();
        let mut cloud_only = ValueMap::default();
        let mut changes: Vec<Change> = Vec::new();
        let mut desired_updates = Vec::new();
        let mut actions: HashMap<String, Action> = HashMap::new();
        let mut lifecycles: HashMap<String, &Lifecycle> = HashMap::new();
        let in_config: HashSet<String> = cfg.instances.iter().map(|i| i.addr.to_string()).collect();
        for addr in graph.topo_order() {
            if !scope.has_instance(&addr) {
                continue;
            }
            let idx = idx_of[&addr];
            let inst = &cfg.instances[idx];
            let addr_s = addr.to_string();
            lifecycles.insert(addr_s.clone(), &inst.lifecycle);
            if opts.destroy {
                continue;
            }
            let Some(schema) = self.schemas.get(addr.resource.mode, &inst.type_name) else {
                diags.push(
                    Diagnostic::error(format!("no provider supports {}", inst.type_name))
                        .at(inst.span),
                );
                continue;
            };
            let deps = dependencies(graph, &addr);
            let body = {
                let values = Planned {
                    changes: &changes,
                    index: &planned,
                    fallback: &cloud_only,
                };
                let session = cfg.session(&values, None);
                session.instance(idx)
            };
            let body = match body {
                Ok(b) => b,
                Err(mut d) => {
                    diags.append(&mut d);
                    continue;
                }
            };
            let mut attrs = body.attrs;
            let mut sensitive = body.sensitive.clone();
            let client = clients.get(&inst.provider.to_string());
            if let Some(c) = client {
                let before = attrs.clone();
                c.plan(&inst.type_name, &mut attrs);
                sensitive.extend(derived_sensitive(&before, &attrs, &body.sensitive));
            }
            if let (Some(c), Some(imp)) = (
                client,
                imported
                    .iter_mut()
                    .find(|i: &&mut Imported| i.address == addr_s),
            ) {
                // Read the imported object again with the configuration's known values as the
                // prior, as for a resource terrane made: attributes the cloud does not report
                // (or reports only when asked for) then compare as they would after an apply.
                let req = ReadRequest {
                    type_name: inst.type_name.clone(),
                    id: imp.id.clone(),
                    prior: import_prior(&imp.value, &attrs),
                };
                match c.read(&req).await {
                    Ok(Some(v)) => {
                        imp.value = v.clone();
                        if let Some(r) = records.get_mut(&addr_s) {
                            r.cloud = v;
                        }
                    }
                    Ok(None) => {}
                    Err(e) => diags.push(
                        Diagnostic::error(format!("cannot import {addr_s}: {e}")).at(inst.span),
                    ),
                }
            }
            // The refreshed cloud value moves into the change; a record in the configuration is
            // not read for it again (orphans, read below, are not in the configuration).
            let mut cloud = records
                .get_mut(&addr_s)
                .map(|r| std::mem::take(&mut r.cloud))
                .filter(|c| !c.is_null());
            let rec = records.get(&addr_s);
            if addr.resource.mode == Mode::Data {
                cloud = None;
                if attrs.is_wholly_known() {
                    if let Some(c) = client {
                        match c.read_data(&inst.type_name, &attrs).await {
                            Ok(v) => cloud = Some(v),
                            Err(e) => diags.push(
                                Diagnostic::error(format!("reading {addr_s}: {e}")).at(inst.span),
                            ),
                        }
                    }
                }
            }
            let triggered = if rec.is_some() {
                inst.lifecycle
                    .replace_triggered_by
                    .iter()
                    .find(|t| {
                        actions.iter().any(|(a, act)| {
                            matches!(act, Action::Create | Action::Update | Action::Replace)
                                && (address_matches(a, t) || address_matches(t, a))
                        })
                    })
                    .cloned()
            } else {
                None
            };
            let last_applied = rec.map(|r| &r.desired).filter(|d| !d.is_null());
            let change = diff_resource(DiffInput {
                address: &addr_s,
                type_name: &inst.type_name,
                provider: &inst.provider.to_string(),
                schema,
                config: Some(&attrs),
                cloud: cloud.as_ref(),
                last_applied,
                lifecycle: &inst.lifecycle,
                sensitive_attrs: &sensitive,
                deletion_policy: inst.deletion_policy,
                management: inst.management,
                replace_triggered: triggered.as_deref(),
                dependencies: &deps,
            });
            if change.action == Action::NoOp
                && addr.resource.mode == Mode::Managed
                && attrs.is_wholly_known()
                && rec.is_some_and(|r| r.desired != attrs)
            {
                desired_updates.push(DesiredUpdate {
                    address: addr_s.clone(),
                    desired: attrs.clone(),
                });
            }
            if change.after.is_some() {
                planned.insert(addr.clone(), changes.len());
            } else if let Some(v) = cloud {
                cloud_only.0.insert(addr.clone(), v);
            }
            actions.insert(addr_s, change.action);
            changes.push(change);
        }

        // Resources in the store that the configuration no longer has (or all, for destroy):
        // dependents before their dependencies, so the list reads in deletion order.
        let mut orphans: Vec<&ResourceRecord> = records
            .values()
            .filter(|r| opts.destroy || !in_config.contains(&r.address))
            .collect();
        orphans = deletion_order(orphans);
        let none = Lifecycle::default();
        for rec in orphans {
            let Some(schema) = self.schemas.get(Mode::Managed, &rec.type_name) else {
                diags.push(Diagnostic::error(format!(
                    "{} is in the store but no provider in this build supports {}; \
                     use `terrane state rm {}` to forget it",
                    rec.address, rec.type_name, rec.address
                )));
                continue;
            };
            let sensitive: BTreeSet<String> = rec.sensitive_attrs.iter().cloned().collect();
            let lifecycle = lifecycles.get(&rec.address).copied().unwrap_or(&none);
            let cloud = (!rec.cloud.is_null()).then_some(&rec.cloud);
            let change = diff_resource(DiffInput {
                address: &rec.address,
                type_name: &rec.type_name,
                provider: &rec.provider,
                schema,
                config: None,
                cloud,
                last_applied: Some(&rec.desired),
                lifecycle,
                sensitive_attrs: &sensitive,
                deletion_policy: if rec.deletion_policy_orphan {
                    DeletionPolicy::Orphan
                } else {
                    DeletionPolicy::Delete
                },
                management: Management::Full,
                replace_triggered: None,
                dependencies: &rec.dependencies,
            });
            changes.push(change);
        }

        let outputs = if opts.destroy {
            Vec::new()
        } else {
            let values = Planned {
                changes: &changes,
                index: &planned,
                fallback: &cloud_only,
            };
            let session = cfg.session(&values, None);
            match session.outputs() {
                Ok(o) => o,
                Err(mut d) => {
                    diags.append(&mut d);
                    Vec::new()
                }
            }
        };
        let stored = self.store.get_outputs(&self.stack)?;
        let mut output_changes: Vec<OutputChange> = outputs
            .into_iter()
            .map(|(name, v, sensitive)| OutputChange {
                before: stored.get(&name).map(|o| o.value.clone()),
                sensitive: sensitive || stored.get(&name).is_some_and(|o| o.sensitive),
                after: Some(v),
                name,
            })
            .collect();
        for (name, o) in &stored {
            if !output_changes.iter().any(|c| &c.name == name) {
                output_changes.push(OutputChange {
                    name: name.clone(),
                    before: Some(o.value.clone()),
                    after: None,
                    sensitive: o.sensitive,
                });
            }
        }

        let refused = changes
            .iter()
            .filter(|c| opts.refuse_prevent_destroy && c.blocked_by_prevent_destroy());
        for c in refused {
            let span = cfg
                .instances
                .iter()
                .find(|i| i.addr.to_string() == c.address)
                .map(|i| i.span);
            let why = c
                .reasons
                .iter()
                .map(|r| r.describe())
                .collect::<Vec<_>>()
                .join("; ");
            diags.push(
                Diagnostic::error(format!(
                    "{} has lifecycle.prevent_destroy set, but this plan would {} it ({why})",
                    c.address,
                    if c.action == Action::Replace {
                        "replace"
                    } else {
                        "destroy"
                    }
                ))
                .at_opt(span)
                .help("remove prevent_destroy from its lifecycle block if destroying it is intended, or change the configuration so it is kept"),
            );
        }
        if !diags.is_empty() {
            return Err(EngineError::Config(diags));
        }

        let meta = PlanMeta {
            stack: self.stack.clone(),
            commit: None,
            commit_message: None,
            created_at: super::now(),
            config_hash: config_hash(cfg),
            store_fingerprint: self.store.fingerprint(&self.stack)?,
            cloud_fingerprint: cloud_fp,
            terrane_version: env!("CARGO_PKG_VERSION").to_string(),
            git: None,
        };
        let mut plan = Plan::new(meta, changes, output_changes);
        plan.moved = moves;
        plan.imported = imported;
        plan.desired_updates = desired_updates;
        Ok(plan)
    }

    /// `moved` blocks whose `from` is in the store and whose `to` is free.
    fn effective_moves(&self, cfg: &Config) -> Result<Vec<Move>, EngineError> {
        let mut out = Vec::new();
        for m in &cfg.moved {
            let from = self.store.get_resource(&self.stack, &m.from)?;
            let to = self.store.get_resource(&self.stack, &m.to)?;
            if from.is_some() && to.is_none() {
                out.push(Move {
                    from: m.from.clone(),
                    to: m.to.clone(),
                });
            }
        }
        Ok(out)
    }
}

/// The instance addresses `addr` depends on directly, sorted.
pub(crate) fn dependencies(graph: &Graph, addr: &InstanceAddr) -> Vec<String> {
    let Some(&n) = graph.index.get(addr) else {
        return Vec::new();
    };
    let mut deps: Vec<String> = graph
        .graph
        .neighbors_directed(n, Direction::Incoming)
        .map(|d| graph.graph[d].to_string())
        .collect();
    deps.sort();
    deps.dedup();
    deps
}

/// Orders records so that every record comes before the records it depends on.
fn deletion_order(mut recs: Vec<&ResourceRecord>) -> Vec<&ResourceRecord> {
    recs.sort_by(|a, b| a.address.cmp(&b.address));
    let present: HashMap<&str, usize> = recs
        .iter()
        .enumerate()
        .map(|(i, r)| (r.address.as_str(), i))
        .collect();
    // Kahn's algorithm on "dependent before dependency".
    let mut blockers = vec![0usize; recs.len()];
    let mut unblocks: Vec<Vec<usize>> = vec![Vec::new(); recs.len()];
    for (i, r) in recs.iter().enumerate() {
        for d in &r.dependencies {
            if let Some(&j) = present.get(d.as_str()) {
                if j != i {
                    blockers[j] += 1;
                    unblocks[i].push(j);
                }
            }
        }
    }
    let mut ready: std::collections::VecDeque<usize> =
        (0..recs.len()).filter(|&i| blockers[i] == 0).collect();
    let mut out = Vec::with_capacity(recs.len());
    let mut done = vec![false; recs.len()];
    while let Some(i) = ready.pop_front() {
        done[i] = true;
        out.push(recs[i]);
        for &j in &unblocks[i] {
            blockers[j] -= 1;
            if blockers[j] == 0 {
                ready.push_back(j);
            }
        }
    }
    // A dependency cycle among stored records cannot come from a valid config; keep them all.
    out.extend((0..recs.len()).filter(|&i| !done[i]).map(|i| recs[i]));
    out
}

/// Which instances and records a `--target` plan covers: the targets and everything they
/// depend on. No targets means everything.
struct Scope {
    instances: Option<HashSet<InstanceAddr>>,
    /// The same instances as strings, to match store records.
    names: HashSet<String>,
    targets: Vec<String>,
}

impl Scope {
    fn new(
        cfg: &Config,
        graph: &Graph,
        targets: &[String],
        stored: &[ResourceRecord],
    ) -> Result<Scope, EngineError> {
        if targets.is_empty() {
            return Ok(Scope {
                instances: None,
                names: HashSet::new(),
                targets: Vec::new(),
            });
        }
        let mut set = HashSet::new();
        let mut todo = Vec::new();
        for t in targets {
            let mut matched = stored.iter().any(|r| address_matches(t, &r.address));
            for inst in &cfg.instances {
                if address_matches(t, &inst.addr.to_string()) {
                    matched = true;
                    if let Some(&n) = graph.index.get(&inst.addr) {
                        todo.push(n);
                    }
                }
            }
            if !matched {
                return Err(EngineError::Invalid(format!(
                    "--target {t} matches no resource in the configuration or the store; \
                     `terrane state list` and `terrane graph` show the addresses"
                )));
            }
        }
        while let Some(n) = todo.pop() {
            if set.insert(graph.graph[n].clone()) {
                todo.extend(graph.graph.neighbors_directed(n, Direction::Incoming));
            }
        }
        Ok(Scope {
            names: set.iter().map(|a| a.to_string()).collect(),
            instances: Some(set),
            targets: targets.to_vec(),
        })
    }

    fn has_instance(&self, addr: &InstanceAddr) -> bool {
        self.instances.as_ref().is_none_or(|s| s.contains(addr))
    }

    fn has_record(&self, addr: &str) -> bool {
        match &self.instances {
            None => true,
            Some(_) => {
                self.targets.iter().any(|t| address_matches(t, addr)) || self.names.contains(addr)
            }
        }
    }
}

impl Engine {
    /// Refuses a saved plan whose world moved: another stack, a changed configuration, a store
    /// written since (an apply or a state command), or a cloud that reads differently now.
    pub async fn check_plan(
        &self,
        cfg: &Config,
        plan: &Plan,
        parallelism: usize,
    ) -> Result<(), EngineError> {
        let stale = |why: String| Err(EngineError::StalePlan(why));
        if plan.meta.stack != self.stack {
            return stale(format!(
                "it was made for stack {:?}, not {:?}",
                plan.meta.stack, self.stack
            ));
        }
        if config_hash(cfg) != plan.meta.config_hash {
            return stale(
                "the configuration (files or variables) changed since it was made".into(),
            );
        }
        if self.store.fingerprint(&self.stack)? != plan.meta.store_fingerprint {
            return stale(
                "the store changed since it was made (another apply or a state command ran)".into(),
            );
        }
        let moved: HashMap<&str, &str> = plan
            .moved
            .iter()
            .map(|m| (m.from.as_str(), m.to.as_str()))
            .collect();
        let planned: HashSet<&str> = plan.changes.iter().map(|c| c.address.as_str()).collect();
        let imported: HashSet<&str> = plan.imported.iter().map(|i| i.address.as_str()).collect();
        let mut records: Vec<ResourceRecord> = self
            .store
            .list_resources(&self.stack)?
            .into_iter()
            .filter(|r| {
                let a = moved.get(r.address.as_str()).copied().unwrap_or(&r.address);
                planned.contains(a) && !imported.contains(a)
            })
            .collect();
        let live = plan.meta.cloud_fingerprint.starts_with("live:");
        if live {
            let refs: BTreeSet<String> = records.iter().map(|r| r.provider.clone()).collect();
            let clients = self.configure(Some(cfg), &refs).await?;
            self.refresh_records(&clients, &mut records, parallelism, false)
                .await?;
        }
        for r in &mut records {
            if let Some(to) = moved.get(r.address.as_str()) {
                r.address = to.to_string();
            }
        }
        if cloud_fingerprint(&records, live) != plan.meta.cloud_fingerprint {
            return stale("the cloud changed since it was made".into());
        }
        Ok(())
    }
}

/// The prior for re-reading an imported object: what the import read, with the configuration's
/// known, non-null top-level values laid over it.
fn import_prior(read: &Value, config: &Value) -> Value {
    let mut prior = read.as_map().cloned().unwrap_or_default();
    if let Some(cfg) = config.as_map() {
        for (k, v) in cfg {
            if !v.is_null() && v.is_wholly_known() {
                prior.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Map(prior)
}

/// Attributes the provider's plan filled in with the value of a sensitive attribute (as
/// `terraform_data` copies `input` to `output`): they are as secret as their source.
fn derived_sensitive(before: &Value, after: &Value, sensitive: &BTreeSet<String>) -> Vec<String> {
    let (Some(b), Some(a)) = (before.as_map(), after.as_map()) else {
        return Vec::new();
    };
    a.iter()
        .filter(|(k, v)| {
            !v.is_null()
                && b.get(*k).is_none_or(Value::is_null)
                && sensitive.iter().any(|s| b.get(s) == Some(*v))
        })
        .map(|(k, _)| k.clone())
        .collect()
}

/// Planned values for evaluation: an instance's `Change::after`, or its cloud value when the
/// change has none.
struct Planned<'a> {
    changes: &'a [Change],
    index: &'a HashMap<InstanceAddr, usize>,
    fallback: &'a ValueMap,
}

impl Planned<'_> {
    fn value(&self, addr: &InstanceAddr) -> Option<&Value> {
        match self.index.get(addr) {
            Some(&i) => self.changes[i].after.as_ref(),
            None => self.fallback.0.get(addr),
        }
    }
}

impl crate::config::ResourceValues for Planned<'_> {
    fn get(&self, addr: &InstanceAddr) -> Option<Value> {
        self.value(addr).cloned()
    }

    fn get_attr(&self, addr: &InstanceAddr, name: &str) -> Option<Option<Value>> {
        self.value(addr).map(|v| v.get(name).cloned())
    }
}
