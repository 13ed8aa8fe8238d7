//! The real [`StackRunner`]: Git through a [`Fetcher`], configuration loaded from the fetched
//! tree, and the engine's refresh/plan/apply against the store. Policy that is about *what* to
//! apply lives here (prune, leaving drift alone when `drift = "report"`); policy about *when*
//! lives in the scheduler.

use super::config::{DriftPolicy, StackConfig};
use super::git::{Fetched, Fetcher};
use super::runner::{Commit, DriftReport, PlanCounts, RunError, StackRunner, SyncReport};
use crate::cli::{load_from, ConfigArgs};
use crate::config::Config;
use crate::diag::render_all;
use crate::engine::{ApplyEvent, ApplyOptions, Engine, EngineError, PlanOptions, Progress};
use crate::graph::Graph;
use crate::plan::{render, Action, Plan, Reason, Summary};
use crate::providers::Registry;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use terrane_provider::{CallStats, Client, Provider, ProviderResult, Schema, Value};
use terrane_state::{CommitInfo, Outcome, Store};

/// The clients a stack's runs configured, kept to read their API call counts.
type ClientSink = Arc<Mutex<Vec<Arc<dyn Client>>>>;

/// Runs stacks on the engine. One instance serves every stack of a service.
pub struct EngineRunner {
    registry: Registry,
    store: Arc<dyn Store>,
    fetcher: Arc<dyn Fetcher>,
    /// Per stack: the last fetched tree and the clients its runs configured (for API counts).
    stacks: Mutex<HashMap<String, PerStack>>,
}

#[derive(Default)]
struct PerStack {
    fetched: Option<Arc<Fetched>>,
    clients: ClientSink,
}

impl EngineRunner {
    pub fn new(registry: Registry, store: Arc<dyn Store>, fetcher: Arc<dyn Fetcher>) -> Self {
        EngineRunner {
            registry,
            store,
            fetcher,
            stacks: Mutex::new(HashMap::new()),
        }
    }

    fn per_stack<T>(&self, stack: &str, f: impl FnOnce(&mut PerStack) -> T) -> T {
        let mut m = self.stacks.lock().unwrap_or_else(|p| p.into_inner());
        f(m.entry(stack.to_string()).or_default())
    }

    /// A registry whose providers record the clients they configure, so a run's cloud API
    /// calls can be counted (each run configures fresh clients).
    fn recording_registry(&self, stack: &str) -> (Registry, ClientSink) {
        let sink = self.per_stack(stack, |p| p.clients.clone());
        let providers = self
            .registry
            .providers
            .iter()
            .map(|p| {
                Arc::new(Recording {
                    inner: p.clone(),
                    sink: sink.clone(),
                }) as Arc<dyn Provider>
            })
            .collect();
        (Registry { providers }, sink)
    }
}

fn commit_info(c: &Commit) -> CommitInfo {
    CommitInfo {
        id: c.id.clone(),
        author: c.author.clone(),
        message: c.message.clone(),
    }
}

/// True if the change exists only because the cloud moved away from what was applied.
fn is_drift(c: &crate::plan::Change) -> bool {
    c.reasons.contains(&Reason::Drifted)
        || (c.reasons.contains(&Reason::Gone) && !c.reasons.contains(&Reason::RemovedFromConfig))
}

/// Applies the stack's policy to a plan: with `prune = false` deletions of resources removed
/// from Git are dropped (the records stay, listed as unpruned); with `drift = "report"`
/// in-place updates that only undo drift, and re-creations of resources deleted outside
/// terrane, are kept as no-ops, so a new commit does not silently revert what the drift
/// report is flagging. Returns the unpruned addresses.
fn apply_policy(stack: &StackConfig, plan: &mut Plan) -> Vec<String> {
    let mut unpruned = Vec::new();
    if !stack.prune {
        plan.changes.retain(|c| {
            let removed =
                c.action == Action::Delete && c.reasons.contains(&Reason::RemovedFromConfig);
            if removed {
                unpruned.push(c.address.clone());
            }
            !removed
        });
    }
    if stack.drift == DriftPolicy::Report {
        for c in &mut plan.changes {
            if c.action == Action::Update && c.reasons.iter().all(|r| *r == Reason::Drifted) {
                keep_as_is(c);
            }
        }
        // Deleted behind terrane's back: the drift check reports it, so it is not recreated
        // either, unless a change this commit makes depends on it (that change could not be
        // applied without it). Repeated until stable: a recreated resource may need others.
        let mut candidates: BTreeSet<usize> = (plan.changes.iter().enumerate())
            .filter(|(_, c)| c.action == Action::Create && c.reasons == [Reason::Gone])
            .map(|(i, _)| i)
            .collect();
        loop {
            let needed: Vec<&String> = (plan.changes.iter().enumerate())
                .filter(|(i, c)| c.action != Action::NoOp && !candidates.contains(i))
                .flat_map(|(_, c)| &c.dependencies)
                .collect();
            let before = candidates.len();
            candidates.retain(|&i| {
                let a = &plan.changes[i].address;
                !needed.iter().any(|d| {
                    crate::engine::address_matches(d, a) || crate::engine::address_matches(a, d)
                })
            });
            if candidates.len() == before {
                break;
            }
        }
        for i in candidates {
            keep_as_is(&mut plan.changes[i]);
        }
    }
    plan.summary = Summary::of(&plan.changes);
    unpruned
}

/// Turns a change into a no-op that leaves the cloud as it is.
fn keep_as_is(c: &mut crate::plan::Change) {
    c.action = Action::NoOp;
    c.after = c.before.clone();
    c.attrs.clear();
}

/// Apply progress as log lines.
struct LogProgress<'a> {
    stack: &'a str,
}

impl Progress for LogProgress<'_> {
    fn event(&self, e: ApplyEvent<'_>) {
        let stack = self.stack;
        match e {
            ApplyEvent::Started { address, action } => {
                tracing::info!(stack, address, action = action.as_str(), "applying")
            }
            ApplyEvent::Finished {
                address,
                action,
                elapsed,
                ..
            } => tracing::info!(
                stack,
                address,
                action = action.as_str(),
                ?elapsed,
                "applied"
            ),
            ApplyEvent::Failed {
                address,
                action,
                error,
                ..
            } => tracing::warn!(
                stack,
                address,
                action = action.as_str(),
                error,
                "apply failed"
            ),
            ApplyEvent::Skipped { address, because } => {
                tracing::warn!(stack, address, because, "skipped: a dependency failed")
            }
        }
    }
}

/// One run's worth of owned data: the configuration at a commit, the store and the clients.
struct Job {
    registry: Registry,
    store: Arc<dyn Store>,
    stack: StackConfig,
    commit: Commit,
    fetched: Arc<Fetched>,
    sink: ClientSink,
}

impl EngineRunner {
    fn job(&self, stack: &StackConfig, commit: &Commit) -> Result<Job, RunError> {
        let fetched = self
            .per_stack(&stack.name, |p| p.fetched.clone())
            .filter(|f| f.commit.id == commit.id)
            .ok_or_else(|| {
                RunError::new(format!(
                    "commit {} is not the last fetched one; fetch again",
                    commit.id
                ))
            })?;
        let (registry, sink) = self.recording_registry(&stack.name);
        Ok(Job {
            registry,
            store: self.store.clone(),
            stack: stack.clone(),
            commit: commit.clone(),
            fetched,
            sink,
        })
    }
}

#[async_trait::async_trait]
impl StackRunner for EngineRunner {
    async fn fetch(&self, stack: &StackConfig) -> Result<Commit, RunError> {
        let fetched = Arc::new(self.fetcher.fetch(stack).await?);
        let commit = fetched.commit.clone();
        self.per_stack(&stack.name, |p| p.fetched = Some(fetched));
        Ok(commit)
    }

    async fn sync(
        &self,
        stack: &StackConfig,
        commit: &Commit,
        apply: bool,
    ) -> Result<SyncReport, RunError> {
        let job = self.job(stack, commit)?;
        job.recorded("serve-plan", job.sync(apply).await)
    }

    async fn drift(
        &self,
        stack: &StackConfig,
        commit: &Commit,
        correct: bool,
    ) -> Result<DriftReport, RunError> {
        let job = self.job(stack, commit)?;
        job.recorded("serve-drift", job.drift(correct).await)
    }
}

impl Job {
    fn engine(&self) -> Engine {
        Engine::new(
            self.registry.clone(),
            self.store.clone(),
            self.stack.name.clone(),
        )
    }

    /// Sums and forgets the stats of clients configured since the last call.
    fn take_stats(&self) -> CallStats {
        let clients = std::mem::take(&mut *self.sink.lock().unwrap_or_else(|p| p.into_inner()));
        clients.iter().fold(CallStats::default(), |a, c| {
            let s = c.stats();
            CallStats {
                calls: a.calls + s.calls,
                errors: a.errors + s.errors,
            }
        })
    }

    fn fail(&self, e: &EngineError, cfg: &Config, during_apply: bool) -> RunError {
        let message = match e {
            EngineError::Config(d) => render_all(d, &cfg.sources).trim_end().to_string(),
            other => other.to_string(),
        };
        let stats = self.take_stats();
        RunError {
            message,
            during_apply,
            api_calls: stats.calls,
            api_errors: stats.errors,
        }
    }

    /// The configuration at the job's commit.
    fn load(&self) -> Result<(Config, Graph), RunError> {
        let tree = self.fetched.tree.clone();
        let mut diags = Vec::new();
        let loaded = load_from(
            tree,
            Path::new(&self.stack.path),
            &ConfigArgs::default(),
            &self.registry,
            &mut diags,
        );
        loaded.ok_or_else(|| {
            RunError::new(format!(
                "the configuration at {} does not load:\n{}",
                self.commit.id,
                String::from_utf8_lossy(&diags).trim_end()
            ))
        })
    }

    fn record_run(
        &self,
        command: &str,
        outcome: Outcome,
        summary: &str,
        details: serde_json::Value,
    ) {
        let stack = self.stack.name.as_str();
        match self
            .store
            .begin_run(stack, command, Some(commit_info(&self.commit)))
        {
            Ok(r) => {
                if let Err(e) = self
                    .store
                    .finish_run(stack, r.id, outcome, summary, details)
                {
                    tracing::error!(stack, "cannot record the run: {e}");
                }
            }
            Err(e) => tracing::error!(stack, "cannot record the run: {e}"),
        }
    }

    /// Records a run that failed before any apply (the engine records applies itself, failed
    /// or not), so the history shows e.g. a commit whose configuration does not load.
    fn recorded<T>(&self, command: &str, result: Result<T, RunError>) -> Result<T, RunError> {
        if let Err(e) = &result {
            if !e.during_apply {
                self.record_run(
                    command,
                    Outcome::Failed,
                    "failed before applying",
                    serde_json::json!({ "error": e.message }),
                );
            }
        }
        result
    }

    fn resources(&self) -> usize {
        self.store
            .list_resources(&self.stack.name)
            .map(|r| r.len())
            .unwrap_or(0)
    }

    async fn plan(
        &self,
        engine: &Engine,
        cfg: &Config,
        graph: &Graph,
        opts: &PlanOptions,
    ) -> Result<Plan, RunError> {
        engine
            .plan(cfg, graph, opts)
            .await
            .map_err(|e| self.fail(&e, cfg, false))
    }

    /// Applies `plan`; a partial failure is an error that names each failed resource.
    async fn apply(&self, engine: &Engine, cfg: &Config, plan: &Plan) -> Result<(), RunError> {
        let opts = ApplyOptions {
            command: "serve".into(),
            commit: Some(commit_info(&self.commit)),
            ..ApplyOptions::default()
        };
        let progress = LogProgress {
            stack: &self.stack.name,
        };
        let summary = engine
            .apply(cfg, plan, &opts, &progress)
            .await
            .map_err(|e| self.fail(&e, cfg, true))?;
        if summary.succeeded() {
            return Ok(());
        }
        let mut lines: Vec<String> = summary
            .failures
            .iter()
            .map(|f| format!("{} ({}): {}", f.address, f.action, f.message))
            .collect();
        lines.extend(
            summary
                .skipped
                .iter()
                .map(|s| format!("{s}: skipped, a dependency failed")),
        );
        let stats = self.take_stats();
        Err(RunError {
            message: format!("apply failed ({}): {}", summary.line(), lines.join("; ")),
            during_apply: true,
            api_calls: stats.calls,
            api_errors: stats.errors,
        })
    }

    async fn sync(&self, apply: bool) -> Result<SyncReport, RunError> {
        let (cfg, graph) = self.load()?;
        let engine = self.engine();
        let mut plan = self
            .plan(&engine, &cfg, &graph, &PlanOptions::default())
            .await?;
        plan.meta.commit = Some(self.commit.id.clone());
        plan.meta.commit_message = Some(self.commit.message.clone());
        let unpruned = apply_policy(&self.stack, &mut plan);
        let counts = PlanCounts::from_summary(&plan.summary);
        let applied = apply && plan.has_changes();
        if applied {
            self.apply(&engine, &cfg, &plan).await?;
        } else {
            let (outcome, line) = if plan.has_changes() {
                (
                    Outcome::Succeeded,
                    format!("planned, not applied: {counts}"),
                )
            } else {
                (Outcome::NoChanges, "no changes".to_string())
            };
            self.record_run(
                "serve-plan",
                outcome,
                &line,
                serde_json::json!({"plan": counts, "unpruned": unpruned}),
            );
        }
        let stats = self.take_stats();
        Ok(SyncReport {
            plan: counts,
            applied,
            resources: self.resources(),
            unpruned,
            plan_json: serde_json::from_str(&render::json::render(&plan)).unwrap_or_default(),
            plan_text: render::text::render(&plan, false),
            api_calls: stats.calls,
            api_errors: stats.errors,
        })
    }

    async fn drift(&self, correct: bool) -> Result<DriftReport, RunError> {
        let (cfg, graph) = self.load()?;
        let engine = self.engine();
        let plan = self
            .plan(&engine, &cfg, &graph, &PlanOptions::default())
            .await?;
        let found: Vec<String> = plan
            .changes
            .iter()
            .filter(|c| is_drift(c))
            .map(|c| c.address.clone())
            .collect();
        let mut report = DriftReport::default();
        if correct && !found.is_empty() {
            // Plan again limited to the drifted resources, so a pending commit's other changes
            // are not applied by a drift correction.
            let opts = PlanOptions {
                refresh: false,
                targets: found.clone(),
                ..PlanOptions::default()
            };
            let mut fix = self.plan(&engine, &cfg, &graph, &opts).await?;
            fix.changes
                .retain(|c| c.action == Action::NoOp || is_drift(c));
            fix.summary = Summary::of(&fix.changes);
            self.apply(&engine, &cfg, &fix).await?;
            report.corrected = found;
        } else {
            let (outcome, line) = if found.is_empty() {
                (Outcome::NoChanges, "no drift".to_string())
            } else {
                (
                    Outcome::Succeeded,
                    format!("{} drifted: {}", found.len(), found.join(", ")),
                )
            };
            self.record_run(
                "serve-drift",
                outcome,
                &line,
                serde_json::json!({"drifted": found}),
            );
            report.drifted = found;
        }
        let stats = self.take_stats();
        report.resources = self.resources();
        report.api_calls = stats.calls;
        report.api_errors = stats.errors;
        Ok(report)
    }
}

/// A provider that hands out its inner provider's clients and remembers them.
struct Recording {
    inner: Arc<dyn Provider>,
    sink: ClientSink,
}

#[async_trait::async_trait]
impl Provider for Recording {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn schemas(&self) -> Vec<Schema> {
        self.inner.schemas()
    }

    async fn configure(&self, config: &Value) -> ProviderResult<Arc<dyn Client>> {
        let c = self.inner.configure(config).await?;
        self.sink
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(c.clone());
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemSource;
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use terrane_provider::{
        AttrType, Attribute, Block, CreateRequest, DeleteRequest, ProviderError, ReadRequest,
        UpdateRequest,
    };
    use terrane_state::MemStore;

    /// An in-memory cloud whose objects a test can change behind terrane's back.
    #[derive(Default)]
    struct Cloud {
        objects: Mutex<BTreeMap<String, Value>>,
        down: AtomicBool,
        calls: AtomicU64,
        errors: AtomicU64,
    }

    impl Cloud {
        fn call(&self) -> ProviderResult<()> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            if self.down.load(Ordering::Relaxed) {
                self.errors.fetch_add(1, Ordering::Relaxed);
                return Err(ProviderError::invalid("connection refused"));
            }
            Ok(())
        }
        fn value_of(&self, name: &str) -> Option<String> {
            self.objects
                .lock()
                .unwrap()
                .values()
                .find(|v| v.get_str("name") == Some(name))
                .and_then(|v| v.get_str("value").map(str::to_string))
        }
        fn set_value(&self, name: &str, value: &str) {
            for v in self.objects.lock().unwrap().values_mut() {
                if v.get_str("name") == Some(name) {
                    v.as_map_mut()
                        .unwrap()
                        .insert("value".into(), Value::string(value));
                }
            }
        }
    }

    struct MemProvider(Arc<Cloud>);
    struct MemClient(Arc<Cloud>, CallStats);

    #[async_trait::async_trait]
    impl Provider for MemProvider {
        fn name(&self) -> &'static str {
            "mem"
        }
        fn schemas(&self) -> Vec<Schema> {
            vec![Schema::managed(
                "mem_thing",
                Block::new()
                    .attr("name", Attribute::required(AttrType::String).force_new())
                    .attr("value", Attribute::optional(AttrType::String))
                    .attr("id", Attribute::computed(AttrType::String)),
            )]
        }
        async fn configure(&self, _: &Value) -> ProviderResult<Arc<dyn Client>> {
            // Stats are per client: remember the cloud's counters at creation.
            let base = CallStats {
                calls: self.0.calls.load(Ordering::Relaxed),
                errors: self.0.errors.load(Ordering::Relaxed),
            };
            Ok(Arc::new(MemClient(self.0.clone(), base)))
        }
    }

    #[async_trait::async_trait]
    impl Client for MemClient {
        async fn read(&self, req: &ReadRequest) -> ProviderResult<Option<Value>> {
            self.0.call()?;
            Ok(self.0.objects.lock().unwrap().get(&req.id).cloned())
        }
        async fn create(&self, req: &CreateRequest) -> ProviderResult<Value> {
            self.0.call()?;
            let mut m = req.config.as_map().cloned().unwrap_or_default();
            let id = format!("id-{}", m.get("name").and_then(Value::as_str).unwrap_or(""));
            m.insert("id".into(), Value::string(&id));
            let v = Value::Map(m);
            self.0.objects.lock().unwrap().insert(id, v.clone());
            Ok(v)
        }
        async fn update(&self, req: &UpdateRequest) -> ProviderResult<Value> {
            self.0.call()?;
            let mut m = req.config.as_map().cloned().unwrap_or_default();
            m.insert("id".into(), Value::string(&req.id));
            let v = Value::Map(m);
            self.0
                .objects
                .lock()
                .unwrap()
                .insert(req.id.clone(), v.clone());
            Ok(v)
        }
        async fn delete(&self, req: &DeleteRequest) -> ProviderResult<()> {
            self.0.call()?;
            self.0.objects.lock().unwrap().remove(&req.id);
            Ok(())
        }
        fn stats(&self) -> CallStats {
            CallStats {
                calls: self.0.calls.load(Ordering::Relaxed) - self.1.calls,
                errors: self.0.errors.load(Ordering::Relaxed) - self.1.errors,
            }
        }
    }

    /// Git stand-in: the test sets the commit id and files.
    #[derive(Default)]
    struct MemGit(Mutex<(String, Vec<(String, String)>)>);

    impl MemGit {
        fn set(&self, id: &str, files: &[(&str, &str)]) {
            *self.0.lock().unwrap() = (
                id.to_string(),
                files
                    .iter()
                    .map(|(p, t)| (p.to_string(), t.to_string()))
                    .collect(),
            );
        }
    }

    #[async_trait::async_trait]
    impl Fetcher for MemGit {
        async fn fetch(&self, _: &StackConfig) -> Result<Fetched, RunError> {
            let (id, files) = self.0.lock().unwrap().clone();
            let mut tree = MemSource::new();
            for (p, t) in &files {
                tree.insert(p.as_str(), t.as_str());
            }
            Ok(Fetched {
                commit: Commit {
                    id,
                    author: "dev".into(),
                    message: "msg".into(),
                },
                tree: Arc::new(tree),
            })
        }
    }

    fn thing(name: &str, value: &str) -> String {
        format!("resource \"mem_thing\" \"{name}\" {{\n  name  = \"{name}\"\n  value = \"{value}\"\n}}\n")
    }

    struct Env {
        cloud: Arc<Cloud>,
        git: Arc<MemGit>,
        store: Arc<MemStore>,
        runner: EngineRunner,
        stack: StackConfig,
    }

    fn env() -> Env {
        let cloud = Arc::new(Cloud::default());
        let git = Arc::new(MemGit::default());
        let store = Arc::new(MemStore::new());
        let registry = Registry::builtin().with(Arc::new(MemProvider(cloud.clone())));
        let runner = EngineRunner::new(registry, store.clone(), git.clone());
        let mut stack = StackConfig::new("s", "/unused");
        stack.path = "cfg".into();
        Env {
            cloud,
            git,
            store,
            runner,
            stack,
        }
    }

    impl Env {
        async fn sync(
            &self,
            id: &str,
            files: &[(&str, &str)],
            apply: bool,
        ) -> Result<SyncReport, RunError> {
            self.git.set(id, files);
            let c = self.runner.fetch(&self.stack).await?;
            assert_eq!(c.id, id);
            self.runner.sync(&self.stack, &c, apply).await
        }
        async fn drift(&self, correct: bool) -> DriftReport {
            let c = self.runner.fetch(&self.stack).await.unwrap();
            self.runner.drift(&self.stack, &c, correct).await.unwrap()
        }
        fn history(&self) -> Vec<(String, Outcome)> {
            self.store
                .list_runs("s")
                .unwrap()
                .into_iter()
                .map(|r| (r.command, r.outcome))
                .collect()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn applies_reports_and_corrects_drift_and_honours_prune() {
        let mut e = env();
        let ab = format!("{}{}", thing("a", "1"), thing("b", "1"));
        let r = e.sync("c1", &[("cfg/main.tf", &ab)], false).await.unwrap();
        assert_eq!((r.plan.add, r.applied), (2, false), "plan only");
        assert_eq!(e.cloud.objects.lock().unwrap().len(), 0);
        let r = e.sync("c1", &[("cfg/main.tf", &ab)], true).await.unwrap();
        assert_eq!((r.plan.add, r.applied, r.resources), (2, true, 2));
        assert!(r.api_calls >= 2, "{}", r.api_calls);
        assert_eq!(r.plan_json["summary"]["create"], 2);
        assert!(r.plan_text.contains("mem_thing.a"), "{}", r.plan_text);

        // Behind terrane's back: drift = report flags it and leaves it.
        e.cloud.set_value("a", "tampered");
        let d = e.drift(false).await;
        assert_eq!(d.drifted, vec!["mem_thing.a".to_string()]);
        assert!(d.corrected.is_empty());
        assert!(d.api_calls >= 2);
        assert_eq!(e.cloud.value_of("a").as_deref(), Some("tampered"));

        // A new commit changes b; with drift = report the drifted a is not reverted by it.
        let ab2 = format!("{}{}", thing("a", "1"), thing("b", "2"));
        let r = e.sync("c2", &[("cfg/main.tf", &ab2)], true).await.unwrap();
        assert_eq!((r.plan.change, r.applied), (1, true));
        assert_eq!(e.cloud.value_of("b").as_deref(), Some("2"));
        assert_eq!(e.cloud.value_of("a").as_deref(), Some("tampered"));

        // drift = correct reverts it.
        e.stack.drift = DriftPolicy::Correct;
        let d = e.drift(true).await;
        assert_eq!(d.corrected, vec!["mem_thing.a".to_string()]);
        assert!(d.drifted.is_empty());
        assert_eq!(e.cloud.value_of("a").as_deref(), Some("1"));
        assert!(e.drift(false).await.drifted.is_empty());

        // b removed from Git: kept with prune = false, deleted with prune = true.
        let a_only = thing("a", "1");
        let r = e
            .sync("c3", &[("cfg/main.tf", &a_only)], true)
            .await
            .unwrap();
        assert_eq!(r.unpruned, vec!["mem_thing.b".to_string()]);
        assert_eq!(r.plan.destroy, 0);
        assert!(e.cloud.value_of("b").is_some());
        assert_eq!(r.resources, 2);
        e.stack.prune = true;
        let r = e
            .sync("c3", &[("cfg/main.tf", &a_only)], true)
            .await
            .unwrap();
        assert_eq!((r.plan.destroy, r.applied, r.resources), (1, true, 1));
        assert!(e.cloud.value_of("b").is_none());

        // Deleted behind terrane's back with drift = report: flagged, and the next commit does
        // not recreate it.
        e.stack.drift = DriftPolicy::Report;
        e.cloud.objects.lock().unwrap().clear();
        assert_eq!(e.drift(false).await.drifted, ["mem_thing.a"]);
        let ac = format!("{}{}", thing("a", "1"), thing("c", "1"));
        let r = e.sync("c4", &[("cfg/main.tf", &ac)], true).await.unwrap();
        assert_eq!((r.plan.add, r.applied), (1, true), "{}", r.plan_text);
        assert_eq!(e.cloud.value_of("c").as_deref(), Some("1"));
        assert!(
            e.cloud.value_of("a").is_none(),
            "drift = report recreated a"
        );
        // Unless a new resource of the commit needs it: then it is created again for that.
        let d = "resource \"mem_thing\" \"d\" {\n  name  = \"d\"\n  value = mem_thing.a.id\n}\n";
        let acd = format!("{ac}{d}");
        let r = e.sync("c5", &[("cfg/main.tf", &acd)], true).await.unwrap();
        assert_eq!((r.plan.add, r.applied), (2, true), "{}", r.plan_text);
        assert!(e.cloud.value_of("a").is_some() && e.cloud.value_of("d").is_some());

        let h = e.history();
        assert!(
            h.contains(&("serve-plan".to_string(), Outcome::Succeeded)),
            "{h:?}"
        );
        assert!(
            h.contains(&("serve".to_string(), Outcome::Succeeded)),
            "{h:?}"
        );
        assert!(
            h.contains(&("serve-drift".to_string(), Outcome::Succeeded)),
            "{h:?}"
        );
        let runs = e.store.list_runs("s").unwrap();
        let last = runs.last().unwrap();
        assert_eq!(last.commit.as_ref().map(|c| c.id.as_str()), Some("c5"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failures_become_run_errors_with_counts_and_locations() {
        let e = env();
        let bad = "resource \"mem_thing\" \"a\" {\n  nam = \"x\"\n}\n";
        let err = e
            .sync("c1", &[("cfg/main.tf", bad)], true)
            .await
            .unwrap_err();
        assert!(err.message.contains("does not load"), "{}", err.message);
        assert!(err.message.contains("cfg/main.tf:2:3"), "{}", err.message);
        assert!(!err.during_apply);
        let runs = e.store.list_runs("s").unwrap();
        let last = runs.last().unwrap();
        assert_eq!(
            (last.command.as_str(), last.outcome),
            ("serve-plan", Outcome::Failed)
        );
        assert!(last.details["error"]
            .as_str()
            .unwrap()
            .contains("cfg/main.tf:2:3"));
        assert_eq!(last.commit.as_ref().map(|c| c.id.as_str()), Some("c1"));

        let ok = thing("a", "1");
        e.sync("c2", &[("cfg/main.tf", &ok)], true).await.unwrap();
        e.cloud.down.store(true, Ordering::Relaxed);
        let err = e
            .sync("c3", &[("cfg/main.tf", &thing("a", "2"))], true)
            .await
            .unwrap_err();
        assert!(
            err.message.contains("connection refused"),
            "{}",
            err.message
        );
        assert!(err.api_errors >= 1, "{err:?}");
        let failed = e.store.list_runs("s").unwrap();
        assert_eq!(failed.last().unwrap().outcome, Outcome::Failed);
        e.cloud.down.store(false, Ordering::Relaxed);
        let r = e
            .sync("c3", &[("cfg/main.tf", &thing("a", "2"))], true)
            .await
            .unwrap();
        assert!(r.applied);
        assert_eq!(e.cloud.value_of("a").as_deref(), Some("2"));

        // The scheduler may only drift-check the commit it fetched last.
        let stale = Commit {
            id: "old".into(),
            author: String::new(),
            message: String::new(),
        };
        let err = e.runner.drift(&e.stack, &stale, false).await.unwrap_err();
        assert!(
            err.message.contains("not the last fetched"),
            "{}",
            err.message
        );
    }
}
