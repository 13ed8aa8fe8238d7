//! The whole drift pipeline (refresh, compare, plan for pending, list for unmanaged, figures) on
//! an in-memory cloud that can be changed behind terrane's back, lists its objects with tags and
//! counts API calls: what the AWS end-to-end tests check against moto, without a network.

use super::*;
use crate::config::{load, LoadOptions};
use crate::engine::{ApplyOptions, NoProgress};
use crate::plan::Action;
use crate::providers::Registry;
use crate::source::MemSource;
use async_trait::async_trait;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use terrane_provider::{
    AttrType, Attribute, Block, CallStats, Client, CreateRequest, DeleteRequest, Listed, Provider,
    ProviderResult, ReadRequest, Schema, UpdateRequest, Value, OWNER_STACK_TAG,
};
use terrane_state::{MemStore, ResourceRecord, Store};

/// Objects by id (without owner tags), the owner stack of each, and an API call counter.
#[derive(Default)]
struct Cloud {
    objects: Mutex<BTreeMap<String, Value>>,
    owners: Mutex<BTreeMap<String, String>>,
    calls: AtomicU64,
}

impl Cloud {
    fn edit(&self, id: &str, f: impl FnOnce(&mut terrane_provider::Map)) {
        let mut objects = self.objects.lock().unwrap();
        f(objects.get_mut(id).unwrap().as_map_mut().unwrap());
    }
    fn id_of(&self, name: &str) -> String {
        let objects = self.objects.lock().unwrap();
        let (id, _) = objects
            .iter()
            .find(|(_, v)| v.get_str("name") == Some(name))
            .unwrap();
        id.clone()
    }
}

fn queue_schema() -> Schema {
    Schema::managed(
        "fake_queue",
        Block::new()
            .attr("name", Attribute::required(AttrType::String).force_new())
            .attr(
                "timeout",
                Attribute::optional(AttrType::Number).default(Value::Number(30.0)),
            )
            .attr("policy", Attribute::optional(AttrType::Json))
            .attr(
                "tags",
                Attribute::optional(AttrType::Map(Box::new(AttrType::String))),
            )
            .attr("arn", Attribute::computed(AttrType::String))
            .attr("id", Attribute::computed(AttrType::String)),
    )
    .taggable()
}

struct FakeProvider(Arc<Cloud>);

#[async_trait]
impl Provider for FakeProvider {
    fn name(&self) -> &'static str {
        "fake"
    }
    fn schemas(&self) -> Vec<Schema> {
        vec![queue_schema()]
    }
    async fn configure(&self, _: &Value) -> ProviderResult<Arc<dyn Client>> {
        Ok(Arc::new(FakeClient(self.0.clone(), AtomicU64::new(0))))
    }
}

/// The cloud, and this client's own call count (what `stats` reports, as an SDK client would).
struct FakeClient(Arc<Cloud>, AtomicU64);

impl FakeClient {
    fn call(&self) {
        self.0.calls.fetch_add(1, Ordering::Relaxed);
        self.1.fetch_add(1, Ordering::Relaxed);
    }

    fn state(&self, id: &str, config: &Value) -> Value {
        let mut m = config.as_map().cloned().unwrap_or_default();
        let name = m
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        m.insert("id".into(), Value::string(id));
        m.insert("arn".into(), Value::string(format!("arn:fake:{name}")));
        m.entry("timeout".into()).or_insert(Value::Number(30.0));
        Value::Map(m)
    }
}

#[async_trait]
impl Client for FakeClient {
    async fn read(&self, req: &ReadRequest) -> ProviderResult<Option<Value>> {
        self.call();
        Ok(self.0.objects.lock().unwrap().get(&req.id).cloned())
    }
    /// One API call per batch, as a real batched read (SQS GetQueueAttributes per queue is
    /// not, but a describe call over many ids is).
    async fn read_batch(&self, reqs: &[ReadRequest]) -> Vec<ProviderResult<Option<Value>>> {
        self.call();
        let objects = self.0.objects.lock().unwrap();
        reqs.iter()
            .map(|r| Ok(objects.get(&r.id).cloned()))
            .collect()
    }
    async fn create(&self, req: &CreateRequest) -> ProviderResult<Value> {
        self.call();
        let id = format!("q-{}", req.config.get_str("name").unwrap_or(""));
        let state = self.state(&id, &req.config);
        self.0
            .objects
            .lock()
            .unwrap()
            .insert(id.clone(), state.clone());
        self.0
            .owners
            .lock()
            .unwrap()
            .insert(id, req.owner.stack.clone());
        Ok(state)
    }
    async fn update(&self, req: &UpdateRequest) -> ProviderResult<Value> {
        self.call();
        let state = self.state(&req.id, &req.config);
        self.0
            .objects
            .lock()
            .unwrap()
            .insert(req.id.clone(), state.clone());
        Ok(state)
    }
    async fn delete(&self, req: &DeleteRequest) -> ProviderResult<()> {
        self.call();
        self.0.objects.lock().unwrap().remove(&req.id);
        Ok(())
    }
    async fn list(&self, type_name: &str) -> ProviderResult<Vec<Listed>> {
        self.call();
        let owners = self.0.owners.lock().unwrap();
        Ok(self
            .0
            .objects
            .lock()
            .unwrap()
            .iter()
            .map(|(id, v)| {
                let mut tags: BTreeMap<String, String> = v
                    .get("tags")
                    .and_then(Value::as_map)
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                            .collect()
                    })
                    .unwrap_or_default();
                if let Some(stack) = owners.get(id) {
                    tags.insert(OWNER_STACK_TAG.into(), stack.clone());
                }
                Listed {
                    type_name: type_name.to_string(),
                    id: id.clone(),
                    tags,
                }
            })
            .collect())
    }
    fn stats(&self) -> CallStats {
        CallStats {
            calls: self.1.load(Ordering::Relaxed),
            errors: 0,
        }
    }
}

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:SendMessage"],"Resource":"*"}]}"#;

fn config(c_timeout: u32) -> String {
    format!(
        r#"
resource "fake_queue" "a" {{
  name   = "a"
  policy = {policy:?}
  tags   = {{ Env = "prod" }}
}}
resource "fake_queue" "b" {{
  name = "b"
}}
resource "fake_queue" "c" {{
  name    = "c"
  timeout = {c_timeout}
}}
"#,
        policy = POLICY
    )
}

fn load_cfg(registry: &Registry, src: &str) -> (Config, Graph) {
    let tree = MemSource::new().file("cfg/main.tf", src);
    let cfg = load(
        Arc::new(tree),
        Path::new("cfg"),
        &LoadOptions::default(),
        &registry.schemas(),
    )
    .unwrap_or_else(|e| panic!("{}", e.render()));
    let graph = Graph::build(&cfg).expect("no cycles");
    (cfg, graph)
}

#[tokio::test]
async fn drift_unmanaged_pending_and_batched_figures_on_a_cloud_changed_behind_terranes_back() {
    let cloud = Arc::new(Cloud::default());
    let store = Arc::new(MemStore::new());
    let registry = Registry::builtin().with(Arc::new(FakeProvider(cloud.clone())));
    let engine = Engine::new(registry.clone(), store.clone(), "default");
    let (cfg, graph) = load_cfg(&registry, &config(30));
    let plan = engine
        .plan(&cfg, &graph, &PlanOptions::default())
        .await
        .unwrap();
    let applied = engine
        .apply(&cfg, &plan, &ApplyOptions::default(), &NoProgress)
        .await
        .unwrap();
    assert!(applied.succeeded());

    // Behind terrane's back: a's timeout and a tag change, its policy is rewritten with the same
    // meaning; b is deleted; three queues appear: one by hand, one owned (by tag) by another
    // stack, one in another stack's store.
    let a = cloud.id_of("a");
    cloud.edit(&a, |m| {
        m.insert("timeout".into(), Value::Number(60.0));
        m.insert("tags".into(), Value::map([("Env", Value::string("dev"))]));
        m.insert(
            "policy".into(),
            Value::string(
                "{ \"Statement\": [ { \"Resource\": \"*\", \"Action\": \"sqs:SendMessage\",\n \
                 \"Effect\": \"Allow\" } ], \"Version\": \"2012-10-17\" }",
            ),
        );
    });
    let b = cloud.id_of("b");
    cloud.objects.lock().unwrap().remove(&b);
    for name in ["hand", "tagged", "elsewhere"] {
        let id = format!("q-{name}");
        let v = Value::map([("name", Value::string(name)), ("id", Value::string(&id))]);
        cloud.objects.lock().unwrap().insert(id.clone(), v.clone());
        if name == "tagged" {
            cloud.owners.lock().unwrap().insert(id, "prod".into());
        } else if name == "elsewhere" {
            store
                .put_resource(
                    "other",
                    &ResourceRecord {
                        address: "fake_queue.elsewhere".into(),
                        type_name: "fake_queue".into(),
                        provider: "fake".into(),
                        id,
                        cloud: v.clone(),
                        desired: v,
                        dependencies: vec![],
                        sensitive_attrs: vec![],
                        schema_version: 0,
                        deletion_policy_orphan: false,
                        updated_at: String::new(),
                    },
                )
                .unwrap();
        }
    }
    // And a configuration change not applied yet.
    let (cfg, graph) = load_cfg(&registry, &config(45));
    let desired_before: Vec<Value> = store
        .list_resources("default")
        .unwrap()
        .into_iter()
        .map(|r| r.desired)
        .collect();

    let calls_before = cloud.calls.load(Ordering::Relaxed);
    let args = DriftArgs {
        config: ConfigArgs::default(),
        unmanaged: true,
        outputs: vec![(Format::Json, None)],
        parallelism: 4,
    };
    let r = collect(
        &engine,
        &cfg,
        &graph,
        &IgnoreRules::none(),
        &args,
        Instant::now(),
    )
    .await
    .unwrap();

    let changed: Vec<(&str, Vec<&str>)> = r
        .changed
        .iter()
        .map(|c| {
            (
                c.address.as_str(),
                c.attrs.iter().map(|a| a.path.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(changed, [("fake_queue.a", vec!["tags.Env", "timeout"])]);
    assert_eq!(r.changed[0].location.as_ref().unwrap().line, 2);
    let deleted: Vec<&str> = r.deleted.iter().map(|d| d.address.as_str()).collect();
    assert_eq!(deleted, ["fake_queue.b"]);
    let unmanaged: Vec<&str> = r.unmanaged.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(unmanaged, ["q-hand"]);
    let pending: Vec<(&str, Action)> = r
        .pending
        .iter()
        .map(|p| (p.address.as_str(), p.action))
        .collect();
    assert_eq!(pending, [("fake_queue.c", Action::Update)]);
    assert_eq!(r.pending[0].attrs[0].path, "timeout");
    assert_eq!(r.coverage.len(), 1);
    assert_eq!((r.coverage[0].managed, r.coverage[0].unmanaged), (4, 1));
    assert_eq!(r.exit_code(), 2);

    // One batched read for the three queues and one listing: two API calls, both counted.
    assert_eq!(cloud.calls.load(Ordering::Relaxed) - calls_before, 2);
    assert_eq!(r.stats.unwrap().api_calls, 2);

    // Read-only: what was last applied is untouched and the cloud still has its changes.
    let desired_after: Vec<Value> = store
        .list_resources("default")
        .unwrap()
        .into_iter()
        .map(|r| r.desired)
        .collect();
    assert_eq!(desired_after, desired_before);
    assert_eq!(
        cloud.objects.lock().unwrap()[&a].get("timeout"),
        Some(&Value::Number(60.0))
    );
}
