//! Apply: executes a `Plan` in dependency order (deletions in reverse) with at most
//! `parallelism` cloud calls in flight.
//!
//! Each node is re-evaluated when its dependencies are done, so values that were unknown at plan
//! time come from the results just applied. Before a mutating call its intent is flushed to the
//! store; after it, the result (the resource record, or its removal) and the intent's clearing
//! are written in one atomic, flushed step. Calls that start together share one intent flush and
//! calls that finish together share one result flush (group commit), so the cost per resource is
//! constant. A failed node skips its dependents only; every other branch carries on, and the
//! summary lists each failure.

use super::clients::Clients;
use super::{ApplyOptions, Engine, EngineError, ValueMap};
use crate::config::{Config, DeletionPolicy, Instance};
use crate::plan::{diff_resource, Action, Change, DiffInput, Plan, Reason};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use terrane_provider::{Client, CreateRequest, DeleteRequest, Owner, UpdateRequest, Value};
use terrane_state::{
    Intent, IntentAction, IntentResult, Outcome, OutputRecord, Outputs, ResourceRecord,
};
use tokio::task::JoinSet;

/// One step of an apply, for progress display.
#[derive(Debug, Clone, Copy)]
pub enum ApplyEvent<'a> {
    Started {
        address: &'a str,
        action: Action,
    },
    Finished {
        address: &'a str,
        action: Action,
        elapsed: Duration,
        id: Option<&'a str>,
    },
    Failed {
        address: &'a str,
        action: Action,
        elapsed: Duration,
        error: &'a str,
    },
    /// Not attempted because a resource it depends on failed.
    Skipped {
        address: &'a str,
        because: &'a str,
    },
}

/// Receives apply progress (the CLI prints it; the service logs it).
pub trait Progress: Send + Sync {
    fn event(&self, event: ApplyEvent<'_>);
}

/// Progress that goes nowhere.
pub struct NoProgress;

impl Progress for NoProgress {
    fn event(&self, _: ApplyEvent<'_>) {}
}

/// A resource whose change failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub address: String,
    pub action: String,
    pub message: String,
}

/// What an apply did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApplySummary {
    /// The run recorded in the store's history.
    pub run_id: u64,
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    pub forgotten: usize,
    pub imported: usize,
    pub moved: usize,
    pub failures: Vec<Failure>,
    /// Not attempted because something they depend on failed.
    pub skipped: Vec<String>,
    /// Intents left by an earlier run that died mid-call; this run's plan redid their work.
    pub recovered_intents: usize,
    /// Outputs as stored after the apply (sensitive ones flagged, never printed by us).
    #[serde(skip)]
    pub outputs: Outputs,
}

impl ApplySummary {
    pub fn succeeded(&self) -> bool {
        self.failures.is_empty() && self.skipped.is_empty()
    }

    /// Terraform's one-line summary.
    pub fn line(&self) -> String {
        format!(
            "{} added, {} changed, {} destroyed",
            self.added, self.changed, self.destroyed
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    Done,
    Failed,
    Skipped,
}

struct Node<'p> {
    change: &'p Change,
    /// What this node does: the change's action, or one half of a replacement that is not
    /// `create_before_destroy` (`Delete` then `Create`, split so that dependents' destroys come
    /// before it and dependents' creates after it).
    action: Action,
    instance: Option<(usize, &'p Instance)>,
    waiting_on: usize,
    dependents: Vec<usize>,
    state: State,
}

/// What a cloud call produced.
struct Done {
    node: usize,
    /// The resource's state afterwards, when it exists.
    state: Option<Value>,
    /// The resource is gone afterwards.
    gone: bool,
    error: Option<String>,
    elapsed: Duration,
}

/// A prepared cloud call.
struct Call {
    node: usize,
    action: Action,
    client: Arc<dyn Client>,
    address: String,
    type_name: String,
    owner: Owner,
    config: Value,
    prior: Value,
    prior_id: String,
    create_before_destroy: bool,
    /// A create of this address was cut off in an earlier run (its intent was left behind).
    interrupted: bool,
}

impl Engine {
    /// Applies `plan` (made by [`Engine::plan`] from the same `cfg`) and records the run.
    /// Per-resource failures are in the summary; `Err` means the run could not proceed (store
    /// failure, a `prevent_destroy` violation, a provider that cannot be configured).
    pub async fn apply(
        &self,
        cfg: &Config,
        plan: &Plan,
        opts: &ApplyOptions,
        progress: &dyn Progress,
    ) -> Result<ApplySummary, EngineError> {
        if let Some(c) = plan.prevent_destroy_violations().first() {
            return Err(EngineError::Invalid(format!(
                "{} has lifecycle.prevent_destroy set; refusing to apply a plan that destroys it",
                c.address
            )));
        }
        let run = self
            .store
            .begin_run(&self.stack, &opts.command, opts.commit.clone())?;
        let result = self.apply_run(cfg, plan, opts, progress).await;
        let (outcome, summary_line, details) = match &result {
            Ok(s) if s.succeeded() && !plan.has_changes() => (
                Outcome::NoChanges,
                "no changes".to_string(),
                serde_json::json!({}),
            ),
            Ok(s) => (
                if s.succeeded() {
                    Outcome::Succeeded
                } else {
                    Outcome::Failed
                },
                s.line(),
                serde_json::to_value(s).unwrap_or_default(),
            ),
            Err(e) => (
                Outcome::Failed,
                "error".to_string(),
                serde_json::json!({ "error": e.to_string() }),
            ),
        };
        self.store
            .finish_run(&self.stack, run.id, outcome, &summary_line, details)?;
        result.map(|mut s| {
            s.run_id = run.id;
            s
        })
    }

    async fn apply_run(
        &self,
        cfg: &Config,
        plan: &Plan,
        opts: &ApplyOptions,
        progress: &dyn Progress,
    ) -> Result<ApplySummary, EngineError> {
        let stack = self.stack.as_str();
        let mut summary = ApplySummary::default();

        // Work left by a run that died mid-call: the plan (made after it) redoes that work,
        // and providers adopt what a half-finished create made (creates of those addresses are
        // flagged `interrupted`, for providers that tag in a second call), so the trail can go.
        let stale = self.store.list_intents(stack)?;
        let interrupted: BTreeSet<String> = stale
            .iter()
            .filter(|i| matches!(i.action, IntentAction::Create | IntentAction::Replace))
            .map(|i| i.address.clone())
            .collect();
        if !stale.is_empty() {
            let clear: Vec<(u64, IntentResult)> = stale
                .iter()
                .map(|i| (i.id, IntentResult::Nothing))
                .collect();
            self.store.resolve_intents(stack, &clear)?;
            summary.recovered_intents = stale.len();
        }

        for m in &plan.moved {
            if self.store.get_resource(stack, &m.from)?.is_some() {
                self.store.rename_resource(stack, &m.from, &m.to)?;
                summary.moved += 1;
            }
        }
        let mut records: HashMap<String, ResourceRecord> = self
            .store
            .list_resources(stack)?
            .into_iter()
            .map(|r| (r.address.clone(), r))
            .collect();
        for imp in &plan.imported {
            if records.contains_key(&imp.address) {
                continue;
            }
            let rec = ResourceRecord {
                address: imp.address.clone(),
                type_name: imp.type_name.clone(),
                provider: imp.provider.clone(),
                id: imp.id.clone(),
                cloud: imp.value.clone(),
                desired: Value::Null,
                dependencies: Vec::new(),
                sensitive_attrs: Vec::new(),
                schema_version: 0,
                deletion_policy_orphan: false,
                updated_at: super::now(),
            };
            self.store.put_resource(stack, &rec)?;
            records.insert(rec.address.clone(), rec);
            summary.imported += 1;
        }
        // New last-applied configurations for resources that need no cloud change.
        let updated: Vec<ResourceRecord> = plan
            .desired_updates
            .iter()
            .filter_map(|u| {
                let mut r = records.get(&u.address)?.clone();
                r.desired = u.desired.clone();
                r.updated_at = super::now();
                Some(r)
            })
            .collect();
        self.store.put_resources(stack, &updated)?;
        for r in updated {
            records.insert(r.address.clone(), r);
        }
        // Records gone from both the configuration and the cloud: just forget them.
        for c in &plan.changes {
            if c.action == Action::NoOp
                && c.reasons.contains(&Reason::RemovedFromConfig)
                && records.contains_key(&c.address)
            {
                self.store.delete_resource(stack, &c.address)?;
            }
        }

        let by_addr: HashMap<String, (usize, &Instance)> = cfg
            .instances
            .iter()
            .enumerate()
            .map(|(i, inst)| (inst.addr.to_string(), (i, inst)))
            .collect();
        let mut values = ValueMap::default();
        let mut nodes: Vec<Node> = Vec::new();
        let mut create_of: HashMap<&str, usize> = HashMap::new();
        let mut destroy_of: HashMap<&str, usize> = HashMap::new();
        for c in &plan.changes {
            let instance = by_addr.get(&c.address).copied();
            if c.action == Action::NoOp {
                if let (Some((_, inst)), Some(v)) =
                    (instance, c.after.as_ref().or(c.before.as_ref()))
                {
                    values.0.insert(inst.addr.clone(), v.clone());
                }
                continue;
            }
            let node = |action| Node {
                change: c,
                action,
                instance,
                waiting_on: 0,
                dependents: Vec::new(),
                state: State::Waiting,
            };
            if c.action == Action::Replace && !c.create_before_destroy {
                destroy_of.insert(c.address.as_str(), nodes.len());
                nodes.push(node(Action::Delete));
                create_of.insert(c.address.as_str(), nodes.len());
                nodes.push(node(Action::Create));
            } else if matches!(c.action, Action::Delete | Action::Forget) {
                destroy_of.insert(c.address.as_str(), nodes.len());
                nodes.push(node(c.action));
            } else {
                create_of.insert(c.address.as_str(), nodes.len());
                nodes.push(node(c.action));
            }
        }
        // Edges, as Terraform orders them: creates/updates/reads (and create_before_destroy
        // replacements) wait for the creates and updates of what they depend on; a destroy
        // (a deletion, or the first half of a replacement) waits for the destroys of everything
        // that depends on it (as recorded, since the old object is what goes); a replacement's create waits for its
        // own destroy. So a replaced VPC is deleted only after its replaced subnets are.
        let mut edges = Vec::new();
        for (i, n) in nodes.iter().enumerate() {
            let destroying = matches!(n.action, Action::Delete | Action::Forget);
            if destroying {
                // The object being destroyed is the old one: what it depended on is on record.
                let old = records
                    .get(&n.change.address)
                    .map(|r| r.dependencies.as_slice())
                    .unwrap_or(&n.change.dependencies);
                for d in old {
                    if let Some(&j) = destroy_of.get(d.as_str()) {
                        if j != i {
                            edges.push((i, j));
                        }
                    }
                }
            } else {
                if n.change.action == Action::Replace {
                    if let Some(&j) = destroy_of.get(n.change.address.as_str()) {
                        edges.push((j, i));
                    }
                }
                for d in &n.change.dependencies {
                    if let Some(&j) = create_of.get(d.as_str()) {
                        edges.push((j, i));
                    }
                }
            }
        }
        edges.sort_unstable();
        edges.dedup();
        for (from, to) in edges {
            nodes[from].dependents.push(to);
            nodes[to].waiting_on += 1;
        }
        // A resource removed from the config goes only after the in-place updates of those
        // that used it (as recorded) and no longer do: AWS refuses to delete a security group
        // still listed on an instance. Skipped where it would close a cycle.
        for i in 0..nodes.len() {
            if nodes[i].action != Action::Update {
                continue;
            }
            let Some(rec) = records.get(&nodes[i].change.address) else {
                continue;
            };
            for d in &rec.dependencies {
                let Some(&j) = destroy_of.get(d.as_str()) else {
                    continue;
                };
                if nodes[j].change.action == Action::Delete
                    && !nodes[i].dependents.contains(&j)
                    && !reaches(&nodes, j, i)
                {
                    nodes[i].dependents.push(j);
                    nodes[j].waiting_on += 1;
                }
            }
        }

        let refs: BTreeSet<String> = nodes.iter().map(|n| n.change.provider.clone()).collect();
        let clients = self.configure(Some(cfg), &refs).await?;

        let parallelism = opts.parallelism.max(1);
        let mut ready: VecDeque<usize> = (0..nodes.len())
            .filter(|&i| nodes[i].waiting_on == 0)
            .collect();
        let mut running: JoinSet<Done> = JoinSet::new();
        let mut intent_of: HashMap<usize, u64> = HashMap::new();
        let mut desired_of: HashMap<usize, Value> = HashMap::new();
        let mut started_at: HashMap<usize, Instant> = HashMap::new();

        while !ready.is_empty() || !running.is_empty() {
            // Start what we can: evaluate, then record all the intents in one flush.
            let mut batch: Vec<Call> = Vec::new();
            let mut local_done: Vec<Done> = Vec::new();
            while running.len() + batch.len() < parallelism {
                let Some(i) = ready.pop_front() else { break };
                nodes[i].state = State::Running;
                started_at.insert(i, Instant::now());
                progress.event(ApplyEvent::Started {
                    address: &nodes[i].change.address,
                    action: nodes[i].action,
                });
                match self.prepare(cfg, &clients, &records, &values, &nodes[i], i) {
                    Ok(Prepared::Call(mut call, desired)) => {
                        call.interrupted = interrupted.contains(&call.address);
                        desired_of.insert(i, desired);
                        batch.push(*call);
                    }
                    Ok(Prepared::Forget) => local_done.push(Done {
                        node: i,
                        state: None,
                        gone: true,
                        error: None,
                        elapsed: Duration::ZERO,
                    }),
                    Err(message) => local_done.push(Done {
                        node: i,
                        state: None,
                        gone: false,
                        error: Some(message),
                        elapsed: Duration::ZERO,
                    }),
                }
            }
            let intents: Vec<Intent> = batch
                .iter()
                .filter(|c| c.action != Action::Read)
                .map(|c| Intent {
                    id: 0,
                    address: c.address.clone(),
                    action: match nodes[c.node].action {
                        Action::Create => IntentAction::Create,
                        Action::Update => IntentAction::Update,
                        Action::Replace => IntentAction::Replace,
                        _ => IntentAction::Delete,
                    },
                    type_name: c.type_name.clone(),
                    provider: nodes[c.node].change.provider.clone(),
                    started_at: super::now(),
                    desired: desired_of.get(&c.node).cloned().unwrap_or_default(),
                    prior_id: (!c.prior_id.is_empty()).then(|| c.prior_id.clone()),
                })
                .collect();
            let stored = self.store.put_intents(stack, &intents)?;
            let mut ids = stored.into_iter().map(|i| i.id);
            for call in batch {
                if call.action != Action::Read {
                    if let Some(id) = ids.next() {
                        intent_of.insert(call.node, id);
                    }
                }
                running.spawn(execute(call));
            }

            // Wait for at least one result (unless one is already here), then take every
            // result that is ready, and record them in one flush.
            let mut finished = local_done;
            if finished.is_empty() {
                if let Some(r) = running.join_next().await {
                    finished.push(r.map_err(|e| {
                        EngineError::Provider(format!("a provider call panicked: {e}"))
                    })?);
                }
            }
            while let Some(r) = running.try_join_next() {
                finished.push(r.map_err(|e| {
                    EngineError::Provider(format!("a provider call panicked: {e}"))
                })?);
            }

            let mut results: Vec<(u64, IntentResult)> = Vec::new();
            let mut forgets: Vec<String> = Vec::new();
            for d in &finished {
                let n = &nodes[d.node];
                let c = n.change;
                let result = match (&d.state, d.gone) {
                    (Some(state), _) if n.action != Action::Read => {
                        IntentResult::Put(Box::new(self.record_for(
                            c,
                            n.instance.map(|(_, i)| i),
                            state.clone(),
                            desired_of.get(&d.node).cloned().unwrap_or_default(),
                        )))
                    }
                    (None, true) => IntentResult::Delete(c.address.clone()),
                    _ => IntentResult::Nothing,
                };
                match intent_of.remove(&d.node) {
                    Some(id) => results.push((id, result)),
                    None if n.action == Action::Forget && d.error.is_none() => {
                        forgets.push(c.address.clone())
                    }
                    None => {}
                }
            }
            self.store.resolve_intents(stack, &results)?;
            for a in &forgets {
                self.store.delete_resource(stack, a)?;
            }
            for (_, r) in results {
                if let IntentResult::Put(rec) = r {
                    records.insert(rec.address.clone(), *rec);
                } else if let IntentResult::Delete(a) = r {
                    records.remove(&a);
                }
            }

            for d in finished {
                let i = d.node;
                let c = nodes[i].change;
                let action = nodes[i].action;
                let elapsed = started_at.get(&i).map(|t| t.elapsed()).unwrap_or(d.elapsed);
                if let (Some(state), Some((_, inst))) = (&d.state, nodes[i].instance) {
                    values.0.insert(inst.addr.clone(), state.clone());
                }
                match d.error {
                    None => {
                        nodes[i].state = State::Done;
                        match action {
                            Action::Create => summary.added += 1,
                            Action::Update => summary.changed += 1,
                            Action::Replace => {
                                summary.added += 1;
                                summary.destroyed += 1;
                            }
                            Action::Delete => summary.destroyed += 1,
                            Action::Forget => summary.forgotten += 1,
                            _ => {}
                        }
                        progress.event(ApplyEvent::Finished {
                            address: &c.address,
                            action,
                            elapsed,
                            id: d.state.as_ref().and_then(|s| s.get_str("id")),
                        });
                        for k in nodes[i].dependents.clone() {
                            nodes[k].waiting_on -= 1;
                            if nodes[k].waiting_on == 0 && nodes[k].state == State::Waiting {
                                ready.push_back(k);
                            }
                        }
                    }
                    Some(message) => {
                        nodes[i].state = State::Failed;
                        progress.event(ApplyEvent::Failed {
                            address: &c.address,
                            action,
                            elapsed,
                            error: &message,
                        });
                        summary.failures.push(Failure {
                            address: c.address.clone(),
                            action: action.as_str().to_string(),
                            message,
                        });
                        // Everything downstream is skipped.
                        let mut todo = nodes[i].dependents.clone();
                        while let Some(k) = todo.pop() {
                            if nodes[k].state == State::Waiting {
                                nodes[k].state = State::Skipped;
                                progress.event(ApplyEvent::Skipped {
                                    address: &nodes[k].change.address,
                                    because: &c.address,
                                });
                                summary.skipped.push(nodes[k].change.address.clone());
                                todo.extend(nodes[k].dependents.iter().copied());
                            }
                        }
                    }
                }
            }
        }

        // Nothing may be left waiting (the edges form no cycle, but a plan from elsewhere could):
        // report it rather than pretend it was done.
        for n in &nodes {
            if n.state == State::Waiting {
                summary.failures.push(Failure {
                    address: n.change.address.clone(),
                    action: n.action.as_str().to_string(),
                    message: "never started: its ordering constraints form a cycle".into(),
                });
            }
        }

        // Outputs: those that evaluate to known values are stored; the rest keep their old
        // value (a failed dependency leaves them unknown).
        let before = self.store.get_outputs(stack)?;
        let mut stored = before.clone();
        let keep: BTreeSet<&str> = plan
            .outputs
            .iter()
            .filter(|o| o.after.is_some())
            .map(|o| o.name.as_str())
            .collect();
        stored.retain(|k, _| keep.contains(k.as_str()));
        if !keep.is_empty() {
            let evaluated = {
                let session = cfg.session(&values, Some(time::OffsetDateTime::now_utc()));
                session.outputs()
            };
            if let Ok(outs) = evaluated {
                for (name, value, sensitive) in outs {
                    if keep.contains(name.as_str()) && value.is_wholly_known() {
                        stored.insert(name, OutputRecord { value, sensitive });
                    }
                }
            }
        }
        if stored != before {
            self.store.put_outputs(stack, &stored)?;
        }
        summary.outputs = stored;
        summary.skipped.sort();
        Ok(summary)
    }

    /// Evaluates a node's configuration with the values applied so far and builds its call.
    fn prepare(
        &self,
        cfg: &Config,
        clients: &Clients,
        records: &HashMap<String, ResourceRecord>,
        values: &ValueMap,
        node: &Node,
        i: usize,
    ) -> Result<Prepared, String> {
        let c = node.change;
        let action = node.action;
        if action == Action::Forget {
            return Ok(Prepared::Forget);
        }
        let client = clients
            .get(&c.provider)
            .ok_or_else(|| format!("provider {} is not configured", c.provider))?
            .clone();
        let rec = records.get(&c.address);
        let prior = c
            .before
            .clone()
            .or_else(|| rec.map(|r| r.cloud.clone()))
            .unwrap_or_default();
        let prior_id = rec
            .map(|r| r.id.clone())
            .or_else(|| prior.get_str("id").map(str::to_string))
            .unwrap_or_default();
        let mut config = Value::Null;
        let mut desired = Value::Null;
        if action != Action::Delete {
            let Some((idx, inst)) = node.instance else {
                return Err("it is no longer in the configuration".into());
            };
            let body = {
                let session = cfg.session(values, Some(time::OffsetDateTime::now_utc()));
                session.instance(idx)
            }
            .map_err(|d| {
                d.iter()
                    .map(|d| d.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            })?;
            let mut attrs = body.attrs;
            client.plan(&inst.type_name, &mut attrs);
            if !attrs.is_wholly_known() {
                return Err(
                    "its configuration is still unknown after its dependencies were applied".into(),
                );
            }
            desired = attrs.clone();
            config = attrs;
            if action == Action::Update {
                // Send the planned value (cloud merged with config, ignore_changes honoured),
                // re-planned now that every input is known.
                if let Some(schema) = self.schemas.get(inst.addr.resource.mode, &inst.type_name) {
                    let re = diff_resource(DiffInput {
                        address: &c.address,
                        type_name: &inst.type_name,
                        provider: &c.provider,
                        schema,
                        config: Some(&config),
                        cloud: Some(&prior),
                        last_applied: rec.map(|r| &r.desired),
                        lifecycle: &inst.lifecycle,
                        sensitive_attrs: &body.sensitive,
                        deletion_policy: inst.deletion_policy,
                        management: inst.management,
                        replace_triggered: None,
                        dependencies: &c.dependencies,
                    });
                    if let Some(after) = re.after.filter(Value::is_wholly_known) {
                        config = after;
                    }
                }
            }
        }
        Ok(Prepared::Call(
            Box::new(Call {
                node: i,
                action,
                client,
                address: c.address.clone(),
                type_name: c.type_name.clone(),
                owner: Owner {
                    stack: self.stack.clone(),
                    address: c.address.clone(),
                },
                config,
                prior,
                prior_id,
                create_before_destroy: c.create_before_destroy,
                interrupted: false,
            }),
            desired,
        ))
    }

    fn record_for(
        &self,
        c: &Change,
        inst: Option<&Instance>,
        state: Value,
        desired: Value,
    ) -> ResourceRecord {
        let schema_version = self
            .schemas
            .get(crate::addr::Mode::Managed, &c.type_name)
            .map(|s| s.version)
            .unwrap_or(0);
        ResourceRecord {
            address: c.address.clone(),
            type_name: c.type_name.clone(),
            provider: c.provider.clone(),
            id: state.get_str("id").unwrap_or_default().to_string(),
            cloud: state,
            desired,
            dependencies: c.dependencies.clone(),
            sensitive_attrs: c.sensitive_attrs.iter().cloned().collect(),
            schema_version,
            deletion_policy_orphan: inst
                .is_some_and(|i| i.deletion_policy == DeletionPolicy::Orphan),
            updated_at: super::now(),
        }
    }
}

enum Prepared {
    Call(Box<Call>, Value),
    Forget,
}

/// Makes the cloud call(s) for one node.
async fn execute(call: Call) -> Done {
    let start = Instant::now();
    let mut done = Done {
        node: call.node,
        state: None,
        gone: false,
        error: None,
        elapsed: Duration::ZERO,
    };
    let create = || CreateRequest {
        type_name: call.type_name.clone(),
        owner: call.owner.clone(),
        config: call.config.clone(),
        interrupted: call.interrupted,
    };
    let delete = || DeleteRequest {
        type_name: call.type_name.clone(),
        id: call.prior_id.clone(),
        prior: call.prior.clone(),
    };
    let c = &call.client;
    match call.action {
        Action::Create => match c.create(&create()).await {
            Ok(s) => done.state = Some(s),
            Err(e) => done.error = Some(e.to_string()),
        },
        Action::Update => {
            let req = UpdateRequest {
                type_name: call.type_name.clone(),
                owner: call.owner.clone(),
                id: call.prior_id.clone(),
                prior: call.prior.clone(),
                config: call.config.clone(),
            };
            match c.update(&req).await {
                Ok(s) => done.state = Some(s),
                Err(e) => done.error = Some(e.to_string()),
            }
        }
        Action::Delete => match c.delete(&delete()).await {
            Ok(()) => done.gone = true,
            Err(e) => done.error = Some(e.to_string()),
        },
        Action::Replace if call.create_before_destroy => match c.create(&create()).await {
            Ok(s) => {
                done.state = Some(s);
                if let Err(e) = c.delete(&delete()).await {
                    done.error = Some(format!(
                        "the replacement was created, but deleting the old object {} failed: {e}",
                        call.prior_id
                    ));
                }
            }
            Err(e) => done.error = Some(e.to_string()),
        },
        Action::Replace => match c.delete(&delete()).await {
            Ok(()) => match c.create(&create()).await {
                Ok(s) => done.state = Some(s),
                Err(e) => {
                    done.gone = true;
                    done.error = Some(format!(
                        "the old object was deleted, but creating its replacement failed: {e}"
                    ));
                }
            },
            Err(e) => done.error = Some(e.to_string()),
        },
        Action::Read => match c.read_data(&call.type_name, &call.config).await {
            Ok(s) => done.state = Some(s),
            Err(e) => done.error = Some(e.to_string()),
        },
        Action::NoOp | Action::Forget => {}
    }
    done.elapsed = start.elapsed();
    done
}

/// Whether `to` can be reached from `from` along dependents edges.
fn reaches(nodes: &[Node], from: usize, to: usize) -> bool {
    let mut seen = vec![false; nodes.len()];
    let mut stack = vec![from];
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if !std::mem::replace(&mut seen[n], true) {
            stack.extend(nodes[n].dependents.iter().copied());
        }
    }
    false
}
