//! Engine tests on an in-memory cloud and an in-memory store: every action, unknowns through a
//! chain, failures stopping only dependents, lifecycle rules, targets, stale plans, intents, and
//! secrets kept out of every renderer.

use super::*;
use crate::config::{load, LoadOptions};
use crate::graph::Graph;
use crate::plan::{render, Action, Plan, Reason};
use crate::source::MemSource;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use terrane_provider::{
    AttrType, Attribute, Block, Client, CreateRequest, DeleteRequest, Provider, ProviderError,
    ProviderResult, ReadRequest, Schema, UpdateRequest,
};
use terrane_state::{MemStore, Outcome};

/// A fake cloud: objects by id, a log of mutating calls, names whose create fails, and the
/// store, to check that an intent is on record whenever a mutating call arrives.
#[derive(Default)]
struct Cloud {
    objects: Mutex<BTreeMap<String, Value>>,
    log: Mutex<Vec<String>>,
    fail: Mutex<Vec<String>>,
    next: AtomicU64,
    store: Mutex<Option<Arc<MemStore>>>,
    calls_without_intent: AtomicU64,
    configures: AtomicU64,
    /// Refuse to delete an object while another one's attributes mention its id, as AWS
    /// refuses to delete a VPC that still has subnets (DependencyViolation).
    strict_deletes: std::sync::atomic::AtomicBool,
}

impl Cloud {
    fn log(&self, s: String) {
        self.log.lock().unwrap().push(s);
    }
    fn check_intent(&self, address: &str) {
        let store = self.store.lock().unwrap().clone();
        if let Some(store) = store {
            let intents = store.list_intents("default").unwrap();
            if !intents.iter().any(|i| i.address == address) {
                self.calls_without_intent.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    fn by_name(&self, name: &str) -> Vec<Value> {
        self.objects
            .lock()
            .unwrap()
            .values()
            .filter(|v| v.get_str("name") == Some(name))
            .cloned()
            .collect()
    }
    fn count(&self) -> usize {
        self.objects.lock().unwrap().len()
    }
}

/// True if `s` contains the object id `id` (`t-1` is in `t-1-b`, not in `t-10`).
fn mentions(s: &str, id: &str) -> bool {
    s.match_indices(id)
        .any(|(i, _)| !s[i + id.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

struct TestProvider(Arc<Cloud>);

fn thing_schema() -> Schema {
    Schema::managed(
        "test_thing",
        Block::new()
            .attr("name", Attribute::required(AttrType::String).force_new())
            .attr("value", Attribute::optional(AttrType::String))
            .attr("secret", Attribute::optional(AttrType::String).sensitive())
            .attr("arn", Attribute::computed(AttrType::String))
            .attr("id", Attribute::computed(AttrType::String)),
    )
}

#[async_trait]
impl Provider for TestProvider {
    fn name(&self) -> &'static str {
        "test"
    }
    fn schemas(&self) -> Vec<Schema> {
        vec![
            thing_schema(),
            Schema::data(
                "test_lookup",
                Block::new()
                    .attr("key", Attribute::required(AttrType::String))
                    .attr("result", Attribute::computed(AttrType::String)),
            ),
        ]
    }
    async fn configure(&self, _: &Value) -> ProviderResult<Arc<dyn Client>> {
        self.0.configures.fetch_add(1, Ordering::Relaxed);
        Ok(Arc::new(TestClient(self.0.clone())))
    }
}

struct TestClient(Arc<Cloud>);

fn with(config: &Value, id: &str) -> Value {
    let mut m = config.as_map().cloned().unwrap_or_default();
    let name = m
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    m.insert("id".into(), Value::string(id));
    m.insert("arn".into(), Value::string(format!("arn:{name}")));
    Value::Map(m)
}

#[async_trait]
impl Client for TestClient {
    async fn read(&self, req: &ReadRequest) -> ProviderResult<Option<Value>> {
        let mut found = self.0.objects.lock().unwrap().get(&req.id).cloned();
        // Like a write-only argument, a secret the cloud never stored is reported from the prior.
        if let Some(m) = found.as_mut().and_then(Value::as_map_mut) {
            if m.get("secret").is_none_or(Value::is_null) {
                if let Some(p) = req.prior.get("secret").filter(|v| !v.is_null()) {
                    m.insert("secret".into(), p.clone());
                }
            }
        }
        Ok(found)
    }
    async fn create(&self, req: &CreateRequest) -> ProviderResult<Value> {
        self.0.check_intent(&req.owner.address);
        let name = req.config.get_str("name").unwrap_or("").to_string();
        if self.0.fail.lock().unwrap().contains(&name) {
            return Err(ProviderError::invalid(format!("{name} is not allowed")));
        }
        let id = format!("t-{}", self.0.next.fetch_add(1, Ordering::Relaxed));
        let state = with(&req.config, &id);
        self.0
            .objects
            .lock()
            .unwrap()
            .insert(id.clone(), state.clone());
        let flag = if req.interrupted {
            " (interrupted)"
        } else {
            ""
        };
        self.0.log(format!("create {name} {id}{flag}"));
        Ok(state)
    }
    async fn update(&self, req: &UpdateRequest) -> ProviderResult<Value> {
        self.0.check_intent(&req.owner.address);
        let state = with(&req.config, &req.id);
        self.0
            .objects
            .lock()
            .unwrap()
            .insert(req.id.clone(), state.clone());
        self.0.log(format!("update {}", req.id));
        Ok(state)
    }
    async fn delete(&self, req: &DeleteRequest) -> ProviderResult<()> {
        let mut objects = self.0.objects.lock().unwrap();
        if self.0.strict_deletes.load(Ordering::Relaxed) {
            let user = objects.iter().find(|(id, v)| {
                *id != &req.id
                    && v.as_map().is_some_and(|m| {
                        m.iter().any(|(k, a)| {
                            k != "id" && a.as_str().is_some_and(|s| mentions(s, &req.id))
                        })
                    })
            });
            if let Some((user, _)) = user {
                self.0
                    .log(format!("refused delete {} (used by {user})", req.id));
                return Err(ProviderError::invalid(format!(
                    "DependencyViolation: {} is still used by {user}",
                    req.id
                )));
            }
        }
        objects.remove(&req.id);
        drop(objects);
        self.0.log(format!("delete {}", req.id));
        Ok(())
    }
    async fn read_data(&self, _: &str, config: &Value) -> ProviderResult<Value> {
        let key = config.get_str("key").unwrap_or("").to_string();
        Ok(Value::map([
            ("key", Value::string(key.clone())),
            ("result", Value::string(format!("r-{key}"))),
        ]))
    }
}

struct Env {
    cloud: Arc<Cloud>,
    store: Arc<MemStore>,
    engine: Engine,
}

fn env() -> Env {
    let cloud = Arc::new(Cloud::default());
    let store = Arc::new(MemStore::new());
    *cloud.store.lock().unwrap() = Some(store.clone());
    let registry = Registry::builtin().with(Arc::new(TestProvider(cloud.clone())));
    let engine = Engine::new(registry, store.clone(), "default");
    Env {
        cloud,
        store,
        engine,
    }
}

impl Env {
    fn load(&self, src: &str) -> (Config, Graph) {
        self.load_with(src, LoadOptions::default())
    }

    fn load_with(&self, src: &str, opts: LoadOptions) -> (Config, Graph) {
        let tree = MemSource::new().file("cfg/main.tf", src);
        let cfg = match load(
            Arc::new(tree),
            Path::new("cfg"),
            &opts,
            &self.engine.registry().schemas(),
        ) {
            Ok(c) => c,
            Err(e) => panic!("load failed:\n{}", e.render()),
        };
        let graph = Graph::build(&cfg).expect("no cycles");
        (cfg, graph)
    }

    async fn plan_opts(&self, src: &str, opts: PlanOptions) -> Plan {
        let (cfg, graph) = self.load(src);
        match self.engine.plan(&cfg, &graph, &opts).await {
            Ok(p) => p,
            Err(EngineError::Config(d)) => {
                panic!("plan failed: {}", crate::diag::render_all(&d, &cfg.sources))
            }
            Err(e) => panic!("plan failed: {e}"),
        }
    }

    async fn plan(&self, src: &str) -> Plan {
        self.plan_opts(src, PlanOptions::default()).await
    }

    async fn apply_plan(&self, src: &str, plan: &Plan) -> ApplySummary {
        let (cfg, _) = self.load(src);
        self.engine
            .apply(&cfg, plan, &ApplyOptions::default(), &NoProgress)
            .await
            .expect("apply runs")
    }

    async fn apply(&self, src: &str) -> (Plan, ApplySummary) {
        let plan = self.plan(src).await;
        let summary = self.apply_plan(src, &plan).await;
        (plan, summary)
    }

    fn record(&self, addr: &str) -> terrane_state::ResourceRecord {
        self.store
            .get_resource("default", addr)
            .unwrap()
            .unwrap_or_else(|| panic!("{addr} is not in the store"))
    }
}

fn action_of(plan: &Plan, addr: &str) -> Action {
    plan.changes
        .iter()
        .find(|c| c.address == addr)
        .unwrap_or_else(|| panic!("{addr} not in plan"))
        .action
}

const TWO: &str = r#"
resource "test_thing" "a" {
  name  = "a"
  value = "one"
}
resource "test_thing" "b" {
  name  = "b"
  value = test_thing.a.id
}
output "b_value" {
  value = test_thing.b.value
}
"#;

#[tokio::test]
async fn create_then_second_plan_is_empty() {
    let env = env();
    let (plan, summary) = env.apply(TWO).await;
    assert_eq!(plan.summary.create, 2);
    assert!(summary.succeeded(), "{:?}", summary.failures);
    assert_eq!(summary.added, 2);
    assert_eq!(env.cloud.count(), 2);
    let a = env.record("test_thing.a");
    let b = env.record("test_thing.b");
    assert_eq!(b.cloud.get_str("value"), Some(a.id.as_str()));
    assert_eq!(b.dependencies, vec!["test_thing.a".to_string()]);
    assert_eq!(
        env.store.get_outputs("default").unwrap()["b_value"].value,
        Value::string(a.id.clone())
    );
    assert!(env.store.list_intents("default").unwrap().is_empty());
    assert_eq!(env.cloud.calls_without_intent.load(Ordering::Relaxed), 0);

    let again = env.plan(TWO).await;
    assert!(!again.has_changes(), "{:#?}", again.changes);
    assert!(
        again.desired_updates.is_empty(),
        "{:?}",
        again.desired_updates
    );
    assert_eq!(again.summary.noop, 2);
    let runs = env.store.list_runs("default").unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].outcome, Outcome::Succeeded);
    // One provider configuration, configured once for plan, apply and plan again.
    assert_eq!(env.cloud.configures.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn update_in_place_keeps_the_object() {
    let env = env();
    env.apply(TWO).await;
    let id = env.record("test_thing.a").id;
    let changed = TWO.replace("\"one\"", "\"two\"");
    let (plan, summary) = env.apply(&changed).await;
    assert_eq!(action_of(&plan, "test_thing.a"), Action::Update);
    let c = plan
        .changes
        .iter()
        .find(|c| c.address == "test_thing.a")
        .unwrap();
    assert_eq!(c.reasons, vec![Reason::ConfigChanged]);
    assert_eq!(c.attrs.len(), 1);
    assert_eq!(c.attrs[0].path, "value");
    assert_eq!(summary.changed, 1);
    assert_eq!(env.record("test_thing.a").id, id);
    assert_eq!(env.cloud.by_name("a")[0].get_str("value"), Some("two"));
    assert_eq!(action_of(&plan, "test_thing.b"), Action::NoOp);
}

#[tokio::test]
async fn replace_when_a_force_new_attribute_changes() {
    let env = env();
    env.apply(TWO).await;
    let old = env.record("test_thing.a").id;
    let changed = TWO.replace("name  = \"a\"", "name  = \"a2\"");
    let (plan, summary) = env.apply(&changed).await;
    assert_eq!(action_of(&plan, "test_thing.a"), Action::Replace);
    let c = plan
        .changes
        .iter()
        .find(|c| c.address == "test_thing.a")
        .unwrap();
    assert!(c
        .reasons
        .contains(&Reason::ForcesReplacement(vec!["name".into()])));
    // b.value = a.id is unknown until a is replaced, so b updates too.
    assert_eq!(action_of(&plan, "test_thing.b"), Action::Update);
    assert!(summary.succeeded(), "{:?}", summary.failures);
    let new = env.record("test_thing.a").id;
    assert_ne!(old, new);
    assert!(env.cloud.by_name("a").is_empty());
    assert_eq!(env.cloud.by_name("a2").len(), 1);
    assert_eq!(
        env.cloud.by_name("b")[0].get_str("value"),
        Some(new.as_str())
    );
    assert_eq!(env.cloud.count(), 2);
}

#[tokio::test]
async fn removed_resources_are_deleted_dependents_first() {
    let env = env();
    env.apply(TWO).await;
    let (plan, summary) = env.apply("").await;
    assert_eq!(plan.summary.delete, 2);
    assert_eq!(summary.destroyed, 2);
    assert_eq!(env.cloud.count(), 0);
    assert!(env.store.list_resources("default").unwrap().is_empty());
    assert!(env.store.get_outputs("default").unwrap().is_empty());
    let log = env.cloud.log.lock().unwrap().clone();
    let del_b = log
        .iter()
        .position(|l| l.starts_with("delete t-1"))
        .unwrap();
    let del_a = log
        .iter()
        .position(|l| l.starts_with("delete t-0"))
        .unwrap();
    assert!(del_b < del_a, "b depends on a, so b goes first: {log:?}");
}

#[tokio::test]
async fn destroy_plans_every_resource_for_deletion() {
    let env = env();
    env.apply(TWO).await;
    let plan = env
        .plan_opts(
            TWO,
            PlanOptions {
                destroy: true,
                ..Default::default()
            },
        )
        .await;
    assert_eq!(plan.summary.delete, 2);
    let summary = env.apply_plan(TWO, &plan).await;
    assert_eq!(summary.destroyed, 2);
    assert_eq!(env.cloud.count(), 0);
}

#[tokio::test]
async fn unknown_values_flow_through_a_chain_of_three() {
    let env = env();
    let src = r#"
resource "test_thing" "a" { name = "a" }
resource "test_thing" "b" {
  name  = "b"
  value = "${test_thing.a.arn}/b"
}
resource "test_thing" "c" {
  name  = "c"
  value = "${test_thing.b.value}/c"
}
"#;
    let plan = env.plan(src).await;
    for addr in ["test_thing.b", "test_thing.c"] {
        let c = plan.changes.iter().find(|c| c.address == addr).unwrap();
        assert_eq!(
            c.after.as_ref().unwrap().get("value"),
            Some(&Value::Unknown),
            "{addr}"
        );
    }
    let summary = env.apply_plan(src, &plan).await;
    assert!(summary.succeeded(), "{:?}", summary.failures);
    assert_eq!(
        env.cloud.by_name("c")[0].get_str("value"),
        Some("arn:a/b/c")
    );
    assert!(!env.plan(src).await.has_changes());
}

#[tokio::test]
async fn a_failure_stops_only_its_dependents() {
    let env = env();
    env.cloud.fail.lock().unwrap().push("bad".into());
    let src = r#"
resource "test_thing" "a" { name = "bad" }
resource "test_thing" "b" {
  name  = "b"
  value = test_thing.a.id
}
resource "test_thing" "c" {
  name  = "c"
  value = test_thing.b.id
}
resource "test_thing" "d" { name = "d" }
"#;
    let (_, summary) = env.apply(src).await;
    assert_eq!(summary.failures.len(), 1);
    assert_eq!(summary.failures[0].address, "test_thing.a");
    assert!(summary.failures[0].message.contains("bad is not allowed"));
    assert_eq!(summary.skipped, vec!["test_thing.b", "test_thing.c"]);
    assert_eq!(summary.added, 1);
    assert_eq!(env.cloud.by_name("d").len(), 1);
    let stored: Vec<String> = env
        .store
        .list_resources("default")
        .unwrap()
        .into_iter()
        .map(|r| r.address)
        .collect();
    assert_eq!(stored, vec!["test_thing.d"]);
    assert!(env.store.list_intents("default").unwrap().is_empty());
    let runs = env.store.list_runs("default").unwrap();
    assert_eq!(runs.last().unwrap().outcome, Outcome::Failed);

    // Fixed: the next run finishes the work.
    env.cloud.fail.lock().unwrap().clear();
    let (plan, summary) = env.apply(src).await;
    assert_eq!(plan.summary.create, 3);
    assert!(summary.succeeded());
}

#[tokio::test]
async fn prevent_destroy_refuses_the_plan() {
    let env = env();
    let src = r#"
resource "test_thing" "a" {
  name = "a"
  lifecycle { prevent_destroy = true }
}
"#;
    env.apply(src).await;
    let (cfg, graph) = env.load(&src.replace("\"a\"\n", "\"a2\"\n"));
    let err = env
        .engine
        .plan(&cfg, &graph, &PlanOptions::default())
        .await
        .unwrap_err();
    let EngineError::Config(diags) = err else {
        panic!("expected diagnostics, got {err}")
    };
    let text = crate::diag::render_all(&diags, &cfg.sources);
    assert!(text.contains("prevent_destroy"), "{text}");
    assert!(text.contains("main.tf:2:1"), "{text}");

    let (cfg, graph) = env.load(src);
    let destroy = PlanOptions {
        destroy: true,
        ..Default::default()
    };
    assert!(env.engine.plan(&cfg, &graph, &destroy).await.is_err());
    assert_eq!(env.cloud.count(), 1);
}

#[tokio::test]
async fn ignore_changes_keeps_the_cloud_value() {
    let env = env();
    let src = r#"
resource "test_thing" "a" {
  name  = "a"
  value = "mine"
  lifecycle { ignore_changes = [value] }
}
"#;
    env.apply(src).await;
    let id = env.record("test_thing.a").id;
    // Someone changes it in the cloud; the config also changes: both are ignored.
    env.cloud
        .objects
        .lock()
        .unwrap()
        .get_mut(&id)
        .unwrap()
        .as_map_mut()
        .unwrap()
        .insert("value".into(), Value::string("theirs"));
    let plan = env.plan(&src.replace("\"mine\"", "\"other\"")).await;
    assert!(!plan.has_changes(), "{:#?}", plan.changes);

    // Without ignore_changes the same drift is an update, reported as drift.
    let plain = src.replace("  lifecycle { ignore_changes = [value] }\n", "");
    let plan = env.plan(&plain).await;
    let c = &plan.changes[0];
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.reasons, vec![Reason::Drifted]);
}

#[tokio::test]
async fn create_before_destroy_creates_the_replacement_first() {
    for cbd in [true, false] {
        let env = env();
        let src = format!(
            "resource \"test_thing\" \"a\" {{\n  name = \"a\"\n  lifecycle {{ create_before_destroy = {cbd} }}\n}}\n"
        );
        env.apply(&src).await;
        env.cloud.log.lock().unwrap().clear();
        let (plan, summary) = env.apply(&src.replace("\"a\"\n", "\"b\"\n")).await;
        assert_eq!(plan.changes[0].action, Action::Replace);
        assert!(summary.succeeded());
        let log = env.cloud.log.lock().unwrap().clone();
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(log[0].starts_with("create"), cbd, "cbd={cbd}: {log:?}");
        assert_eq!(env.cloud.count(), 1);
    }
}

#[tokio::test]
async fn target_limits_the_plan_to_it_and_its_dependencies() {
    let env = env();
    let src = r#"
resource "test_thing" "a" { name = "a" }
resource "test_thing" "b" { name = "b" }
resource "test_thing" "c" {
  name  = "c"
  value = test_thing.a.id
}
"#;
    let plan = env
        .plan_opts(
            src,
            PlanOptions {
                targets: vec!["test_thing.c".into()],
                ..Default::default()
            },
        )
        .await;
    let addrs: Vec<&str> = plan.changes.iter().map(|c| c.address.as_str()).collect();
    assert_eq!(addrs, vec!["test_thing.a", "test_thing.c"]);
    let summary = env.apply_plan(src, &plan).await;
    assert_eq!(summary.added, 2);
    assert!(env.cloud.by_name("b").is_empty());

    let (cfg, graph) = env.load(src);
    let bad = PlanOptions {
        targets: vec!["test_thing.zz".into()],
        ..Default::default()
    };
    let err = env.engine.plan(&cfg, &graph, &bad).await.unwrap_err();
    assert!(err.to_string().contains("matches no resource"), "{err}");
}

#[tokio::test]
async fn a_saved_plan_is_refused_once_the_world_moves() {
    let env = env();
    env.apply(TWO).await;
    let changed = TWO.replace("\"one\"", "\"two\"");
    let (cfg, _) = env.load(&changed);
    let plan = env.plan(&changed).await;
    env.engine
        .check_plan(&cfg, &plan, 4)
        .await
        .expect("fresh plan");

    // Config changed.
    let (other, _) = env.load(&TWO.replace("\"one\"", "\"three\""));
    let err = env.engine.check_plan(&other, &plan, 4).await.unwrap_err();
    assert!(err.to_string().contains("configuration"), "{err}");

    // Cloud changed behind terrane's back.
    let id = env.record("test_thing.a").id;
    env.cloud
        .objects
        .lock()
        .unwrap()
        .get_mut(&id)
        .unwrap()
        .as_map_mut()
        .unwrap()
        .insert("value".into(), Value::string("edited"));
    let err = env.engine.check_plan(&cfg, &plan, 4).await.unwrap_err();
    assert!(err.to_string().contains("cloud changed"), "{err}");

    // Store changed (another apply ran).
    let plan = env.plan(&changed).await;
    env.apply(&changed).await;
    let err = env.engine.check_plan(&cfg, &plan, 4).await.unwrap_err();
    assert!(err.to_string().contains("store changed"), "{err}");
    assert!(matches!(err, EngineError::StalePlan(_)));
}

#[tokio::test]
async fn secrets_never_reach_a_renderer() {
    let env = env();
    let src = r#"
variable "pw" {
  type      = string
  sensitive = true
  default   = "hunter2-var"
}
resource "test_thing" "a" {
  name   = "a"
  value  = var.pw
  secret = "hunter2-schema"
}
output "pw" {
  value     = var.pw
  sensitive = true
}
"#;
    let check = |plan: &Plan| {
        let outs = [
            render::text::render(plan, false),
            render::json::render(plan),
            render::markdown::render(plan),
        ];
        for out in outs {
            assert!(!out.contains("hunter2"), "secret leaked:\n{out}");
        }
    };
    let plan = env.plan(src).await;
    check(&plan);
    env.apply_plan(src, &plan).await;
    let updated = src
        .replace("hunter2-var", "hunter2-var2")
        .replace("hunter2-schema", "hunter2-schema2");
    let plan = env.plan(&updated).await;
    assert_eq!(plan.changes[0].action, Action::Update);
    check(&plan);
    let plan = env
        .plan_opts(
            src,
            PlanOptions {
                destroy: true,
                ..Default::default()
            },
        )
        .await;
    check(&plan);
}

#[tokio::test]
async fn refresh_notices_a_resource_deleted_outside_and_recreates_it() {
    let env = env();
    env.apply(TWO).await;
    let id = env.record("test_thing.a").id;
    env.cloud.objects.lock().unwrap().remove(&id);
    let (cfg, _) = env.load(TWO);
    let (_, report) = env.engine.refresh(Some(&cfg), 4).await.unwrap();
    assert_eq!(report.gone, vec!["test_thing.a"]);
    assert_eq!(report.read, 2);
    // Cached: a plan without refresh knows it is gone.
    let plan = env
        .plan_opts(
            TWO,
            PlanOptions {
                refresh: false,
                ..Default::default()
            },
        )
        .await;
    let c = plan
        .changes
        .iter()
        .find(|c| c.address == "test_thing.a")
        .unwrap();
    assert_eq!(c.action, Action::Create);
    assert_eq!(c.reasons, vec![Reason::Gone]);
    let summary = env.apply_plan(TWO, &plan).await;
    assert!(summary.succeeded(), "{:?}", summary.failures);
    assert_eq!(env.cloud.count(), 2);
}

#[tokio::test]
async fn moved_and_import_blocks() {
    let env = env();
    env.apply(TWO).await;
    let id_a = env.record("test_thing.a").id;
    let moved = TWO
        .replace("\"test_thing\" \"a\"", "\"test_thing\" \"first\"")
        .replace("test_thing.a.id", "test_thing.first.id")
        + "moved {\n  from = test_thing.a\n  to   = test_thing.first\n}\n";
    let (plan, summary) = env.apply(&moved).await;
    assert_eq!(plan.moved.len(), 1);
    assert_eq!(
        plan.summary.create + plan.summary.delete,
        0,
        "{:#?}",
        plan.changes
    );
    assert_eq!(summary.moved, 1);
    assert_eq!(env.record("test_thing.first").id, id_a);

    // An object made outside terrane, adopted with an import block.
    let other = super::tests::env();
    let outside = with(&Value::map([("name", Value::string("x"))]), "ext-1");
    other
        .cloud
        .objects
        .lock()
        .unwrap()
        .insert("ext-1".into(), outside);
    let src = "resource \"test_thing\" \"x\" { name = \"x\" }\nimport {\n  to = test_thing.x\n  id = \"ext-1\"\n}\n";
    let (plan, summary) = other.apply(src).await;
    assert_eq!(plan.imported.len(), 1);
    assert_eq!(plan.summary.create, 0);
    assert_eq!(summary.imported, 1);
    assert_eq!(other.record("test_thing.x").id, "ext-1");
    assert_eq!(other.cloud.count(), 1);
    // The imported object matched the configuration: that configuration is now on record.
    assert_eq!(plan.desired_updates.len(), 1);
    assert_eq!(
        other.record("test_thing.x").desired.get_str("name"),
        Some("x")
    );

    // The import is re-read with the configuration as the prior, so a value the cloud does not
    // report (here `secret`) compares as it would after an apply: nothing to change.
    let outside = with(&Value::map([("name", Value::string("y"))]), "ext-2");
    other
        .cloud
        .objects
        .lock()
        .unwrap()
        .insert("ext-2".into(), outside);
    let src = format!(
        "{src}resource \"test_thing\" \"y\" {{\n  name   = \"y\"\n  secret = \"s\"\n}}\nimport {{\n  to = test_thing.y\n  id = \"ext-2\"\n}}\n"
    );
    let plan = other.plan(&src).await;
    assert_eq!(
        action_of(&plan, "test_thing.y"),
        Action::NoOp,
        "{:#?}",
        plan.changes
    );
    assert_eq!(
        plan.importing("test_thing.y").map(|i| i.id.as_str()),
        Some("ext-2")
    );
    assert!(
        plan.importing("test_thing.x").is_none(),
        "already in the store"
    );
    let text = render::text::render(&plan, false);
    assert!(text.contains("# test_thing.y will be imported"), "{text}");
    assert!(text.contains("# (imported from \"ext-2\")"), "{text}");
    assert!(
        text.contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."),
        "{text}"
    );
}

#[tokio::test]
async fn stale_intents_from_a_crash_are_cleared_by_the_next_apply() {
    let env = env();
    env.store
        .put_intent(
            "default",
            &terrane_state::Intent {
                id: 0,
                address: "test_thing.a".into(),
                action: terrane_state::IntentAction::Create,
                type_name: "test_thing".into(),
                provider: "test".into(),
                started_at: terrane_state::now_rfc3339(),
                desired: Value::Null,
                prior_id: None,
            },
        )
        .unwrap();
    let (_, summary) = env.apply(TWO).await;
    assert_eq!(summary.recovered_intents, 1);
    assert!(env.store.list_intents("default").unwrap().is_empty());
    assert_eq!(env.cloud.count(), 2);
    // The provider is told which create was cut off, so it can adopt what that attempt made.
    let log = env.cloud.log.lock().unwrap().clone();
    assert!(
        log.contains(&"create a t-0 (interrupted)".to_string()),
        "{log:?}"
    );
    assert!(log.contains(&"create b t-1".to_string()), "{log:?}");
}

#[tokio::test]
async fn terraform_data_output_changes_reach_dependents_in_the_same_plan() {
    let env = env();
    let src = r#"
resource "terraform_data" "a" { input = "one" }
resource "terraform_data" "b" { input = "${terraform_data.a.output}/b" }
resource "terraform_data" "c" {
  triggers_replace = [terraform_data.b.output]
}
"#;
    let plan = env.plan(src).await;
    // terraform_data's output is input: known at plan time, even for a new object.
    let b = plan
        .changes
        .iter()
        .find(|c| c.address == "terraform_data.b")
        .unwrap();
    assert_eq!(
        b.after.as_ref().unwrap().get("input"),
        Some(&Value::string("one/b"))
    );
    env.apply_plan(src, &plan).await;
    let id_c = env.record("terraform_data.c").id;

    let changed = src.replace("\"one\"", "\"two\"");
    let plan = env.plan(&changed).await;
    assert_eq!(action_of(&plan, "terraform_data.a"), Action::Update);
    assert_eq!(action_of(&plan, "terraform_data.b"), Action::Update);
    assert_eq!(action_of(&plan, "terraform_data.c"), Action::Replace);
    let summary = env.apply_plan(&changed, &plan).await;
    assert!(summary.succeeded(), "{:?}", summary.failures);
    assert_eq!(
        env.record("terraform_data.b").cloud.get("output"),
        Some(&Value::string("two/b"))
    );
    assert_ne!(env.record("terraform_data.c").id, id_c);
    assert!(!env.plan(&changed).await.has_changes());
}

#[tokio::test]
async fn every_action_plan_snapshots() {
    let env = env();
    let before = r#"
variable "pw" {
  type      = string
  sensitive = true
  default   = "hunter2"
}
resource "test_thing" "keep" { name = "keep" }
resource "test_thing" "upd" {
  name  = "upd"
  value = "old"
}
resource "test_thing" "rep" { name = "rep" }
resource "test_thing" "cbd" {
  name = "cbd"
  lifecycle { create_before_destroy = true }
}
resource "test_thing" "gone" { name = "gone" }
resource "test_thing" "old_name" { name = "mv" }
"#;
    env.apply(before).await;
    let outside = with(&Value::map([("name", Value::string("imp"))]), "ext-9");
    env.cloud
        .objects
        .lock()
        .unwrap()
        .insert("ext-9".into(), outside);
    let after = before
        .replace("\"old\"", "\"new\"")
        .replace("\"rep\" }", "\"rep2\" }")
        .replace("name = \"cbd\"", "name = \"cbd2\"")
        .replace("resource \"test_thing\" \"gone\" { name = \"gone\" }\n", "")
        .replace("\"old_name\"", "\"renamed\"")
        + r#"
moved {
  from = test_thing.old_name
  to   = test_thing.renamed
}
resource "test_thing" "imp" { name = "imp" }
import {
  to = test_thing.imp
  id = "ext-9"
}
resource "test_thing" "new" {
  name   = "new"
  value  = test_thing.rep.id
  secret = var.pw
}
data "test_lookup" "now" { key = "k" }
data "test_lookup" "later" { key = test_thing.new.id }
output "later" { value = data.test_lookup.later.result }
output "now" { value = data.test_lookup.now.result }
"#;
    let mut plan = env.plan(&after).await;
    plan.meta.created_at = "2026-01-01T00:00:00Z".into();
    plan.meta.config_hash = "config-hash".into();
    plan.meta.store_fingerprint = "store-fingerprint".into();
    plan.meta.cloud_fingerprint = "cloud-fingerprint".into();
    let mut actions: Vec<(&str, Action)> = plan
        .changes
        .iter()
        .map(|c| (c.address.as_str(), c.action))
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        vec![
            ("data.test_lookup.later", Action::Read),
            ("data.test_lookup.now", Action::NoOp),
            ("test_thing.cbd", Action::Replace),
            ("test_thing.gone", Action::Delete),
            ("test_thing.imp", Action::NoOp),
            ("test_thing.keep", Action::NoOp),
            ("test_thing.new", Action::Create),
            ("test_thing.renamed", Action::NoOp),
            ("test_thing.rep", Action::Replace),
            ("test_thing.upd", Action::Update),
        ]
    );
    let text = render::text::render(&plan, false);
    let json = render::json::render(&plan);
    let markdown = render::markdown::render(&plan);
    for out in [&text, &json, &markdown] {
        assert!(!out.contains("hunter2"), "{out}");
    }
    insta::assert_snapshot!("engine_every_action_text", text);
    insta::assert_snapshot!("engine_every_action_json", json);
    insta::assert_snapshot!("engine_every_action_markdown", markdown);

    let summary = env.apply_plan(&after, &plan).await;
    assert!(summary.succeeded(), "{:?}", summary.failures);
    assert_eq!(
        summary.outputs["later"].value,
        Value::string(format!("r-{}", env.record("test_thing.new").id))
    );
    assert!(!env.plan(&after).await.has_changes());
}

/// The service runs the engine on a multi-threaded runtime: its futures must be `Send`.
#[allow(dead_code)]
fn engine_futures_are_send(e: &Engine, cfg: &Config, g: &Graph, p: &Plan) {
    fn send<T: Send>(_: T) {}
    send(e.plan(cfg, g, &PlanOptions::default()));
    send(e.apply(cfg, p, &ApplyOptions::default(), &NoProgress));
    send(e.refresh(Some(cfg), 1));
    send(e.check_plan(cfg, p, 1));
}

#[tokio::test]
async fn a_config_that_catches_up_with_the_cloud_is_recorded_without_a_cloud_call() {
    let env = env();
    env.apply(TWO).await;
    let id = env.record("test_thing.a").id;
    env.cloud
        .objects
        .lock()
        .unwrap()
        .get_mut(&id)
        .unwrap()
        .as_map_mut()
        .unwrap()
        .insert("value".into(), Value::string("cloud"));
    // The configuration adopts the cloud's value: nothing to do in the cloud...
    let caught_up = TWO.replace("\"one\"", "\"cloud\"");
    env.cloud.log.lock().unwrap().clear();
    let (plan, summary) = env.apply(&caught_up).await;
    assert!(!plan.has_changes(), "{:#?}", plan.changes);
    assert!(summary.succeeded());
    assert!(env.cloud.log.lock().unwrap().is_empty());
    // ...but the store now holds it as last applied, so a later cloud edit reads as drift.
    assert_eq!(
        env.record("test_thing.a").desired.get_str("value"),
        Some("cloud")
    );
    env.cloud
        .objects
        .lock()
        .unwrap()
        .get_mut(&id)
        .unwrap()
        .as_map_mut()
        .unwrap()
        .insert("value".into(), Value::string("edited"));
    let plan = env.plan(&caught_up).await;
    let c = plan
        .changes
        .iter()
        .find(|c| c.address == "test_thing.a")
        .unwrap();
    assert_eq!(c.reasons, vec![Reason::Drifted]);
}

/// a <- b <- c, each naming itself after the id of what it depends on (a force-new reference),
/// and c also mentioning a's id.
const CHAIN: &str = r#"
resource "test_thing" "a" { name = "a" }
resource "test_thing" "b" { name = "${test_thing.a.id}-b" }
resource "test_thing" "c" {
  name  = "${test_thing.b.id}-c"
  value = test_thing.a.id
}
"#;

fn log_index(log: &[String], prefix: &str) -> usize {
    log.iter()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in {log:?}"))
}

#[tokio::test]
async fn replacing_a_dependency_destroys_dependents_first_and_creates_them_after() {
    let env = env();
    let (_, first) = env.apply(CHAIN).await;
    assert!(first.succeeded(), "{:?}", first.failures);
    let old: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|n| env.record(&format!("test_thing.{n}")).id)
        .collect();
    env.cloud.strict_deletes.store(true, Ordering::Relaxed);
    env.cloud.log.lock().unwrap().clear();

    let changed = CHAIN.replace("name = \"a\"", "name = \"a2\"");
    let plan = env.plan(&changed).await;
    // b's and c's names are unknown until a (then b) is recreated: a force-new attribute
    // with an unknown value means replacement.
    for addr in ["test_thing.a", "test_thing.b", "test_thing.c"] {
        assert_eq!(action_of(&plan, addr), Action::Replace, "{addr}");
    }
    let b = plan
        .changes
        .iter()
        .find(|c| c.address == "test_thing.b")
        .unwrap();
    assert!(
        b.reasons
            .contains(&Reason::ForcesReplacement(vec!["name".into()])),
        "{:?}",
        b.reasons
    );
    let summary = env.apply_plan(&changed, &plan).await;
    assert!(summary.succeeded(), "{:?}", summary.failures);
    assert_eq!((summary.added, summary.destroyed), (3, 3));

    let log = env.cloud.log.lock().unwrap().clone();
    assert!(!log.iter().any(|l| l.starts_with("refused")), "{log:?}");
    let del: Vec<usize> = old
        .iter()
        .map(|id| log_index(&log, &format!("delete {id}")))
        .collect();
    let new_a = env.record("test_thing.a").id;
    let new_b = env.record("test_thing.b").id;
    let cr_a = log_index(&log, "create a2 ");
    let cr_b = log_index(&log, &format!("create {new_a}-b "));
    let cr_c = log_index(&log, &format!("create {new_b}-c "));
    assert!(
        del[2] < del[1] && del[1] < del[0],
        "dependents go first: {log:?}"
    );
    assert!(del[0] < cr_a && cr_a < cr_b && cr_b < cr_c, "{log:?}");
    assert_eq!(env.cloud.count(), 3);
    assert_eq!(
        env.cloud.by_name(&format!("{new_b}-c"))[0].get_str("value"),
        Some(new_a.as_str())
    );
    assert!(env.store.list_intents("default").unwrap().is_empty());
    assert!(!env.plan(&changed).await.has_changes());
}

#[tokio::test]
async fn a_removed_dependent_is_deleted_before_its_dependency_is_replaced() {
    let env = env();
    env.apply(TWO).await;
    env.cloud.strict_deletes.store(true, Ordering::Relaxed);
    let only_a = "resource \"test_thing\" \"a\" {\n  name  = \"a2\"\n  value = \"one\"\n}\n";
    let (plan, summary) = env.apply(only_a).await;
    assert_eq!(action_of(&plan, "test_thing.a"), Action::Replace);
    assert_eq!(action_of(&plan, "test_thing.b"), Action::Delete);
    assert!(summary.succeeded(), "{:?}", summary.failures);
    assert_eq!(env.cloud.count(), 1);
    assert_eq!(env.cloud.by_name("a2").len(), 1);
}

#[tokio::test]
async fn a_removed_resource_is_deleted_after_its_former_user_is_updated() {
    let env = env();
    env.apply(TWO).await;
    let a = env.record("test_thing.a").id;
    env.cloud.strict_deletes.store(true, Ordering::Relaxed);
    env.cloud.log.lock().unwrap().clear();
    // b stops using a, in place, for a new c; a leaves the config. a's delete is ready at once,
    // b's update only after c's create: a can go only once b no longer names it.
    let only_b = r#"
resource "test_thing" "c" { name = "c" }
resource "test_thing" "b" {
  name  = "b"
  value = test_thing.c.id
}
"#;
    let (plan, summary) = env.apply(only_b).await;
    assert_eq!(action_of(&plan, "test_thing.a"), Action::Delete);
    assert_eq!(action_of(&plan, "test_thing.b"), Action::Update);
    assert!(summary.succeeded(), "{:?}", summary.failures);
    let log = env.cloud.log.lock().unwrap().clone();
    assert!(!log.iter().any(|l| l.starts_with("refused")), "{log:?}");
    assert!(
        log_index(&log, "update ") < log_index(&log, &format!("delete {a}")),
        "{log:?}"
    );
    assert_eq!(env.cloud.count(), 2);
    assert!(!env.plan(only_b).await.has_changes());
}

#[tokio::test]
async fn a_failed_dependent_destroy_leaves_its_dependency_untouched() {
    let env = env();
    env.apply(CHAIN).await;
    let (a, b) = (env.record("test_thing.a"), env.record("test_thing.b"));
    env.cloud.strict_deletes.store(true, Ordering::Relaxed);
    // Something outside the stack uses b, so b cannot be deleted.
    env.cloud.objects.lock().unwrap().insert(
        "ext-1".into(),
        Value::map([("name", Value::string(format!("uses-{}", b.id)))]),
    );
    let changed = CHAIN.replace("name = \"a\"", "name = \"a2\"");
    let (_, summary) = env.apply(&changed).await;
    let failed: Vec<&str> = summary
        .failures
        .iter()
        .map(|f| f.address.as_str())
        .collect();
    assert_eq!(failed, vec!["test_thing.b"], "{:?}", summary.failures);
    assert!(summary.failures[0].message.contains("DependencyViolation"));
    // c's destroy came first and succeeded; a's destroy and every create wait on b's.
    assert_eq!(summary.destroyed, 1);
    assert_eq!(summary.added, 0);
    assert!(summary.skipped.contains(&"test_thing.a".to_string()));
    assert_eq!(env.record("test_thing.a").id, a.id);
    assert_eq!(env.record("test_thing.b").id, b.id);
    assert!(env
        .store
        .get_resource("default", "test_thing.c")
        .unwrap()
        .is_none());
    assert!(env.store.list_intents("default").unwrap().is_empty());

    // Once the outside user is gone, the next apply finishes the replacement.
    env.cloud.objects.lock().unwrap().remove("ext-1");
    let (_, summary) = env.apply(&changed).await;
    assert!(summary.succeeded(), "{:?}", summary.failures);
    assert_eq!(env.cloud.count(), 3);
    assert!(!env.plan(&changed).await.has_changes());
}
