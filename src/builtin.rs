//! Built-in resource types handled without a cloud: `terraform_data` and `null_resource`, with
//! Terraform's semantics. Real configs use them, and they let the engine be benchmarked on its
//! own, side by side with Terraform on the same file.

use async_trait::async_trait;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use terrane_provider::{
    AttrType, Attribute, Block, Client, CreateRequest, DeleteRequest, Provider, ProviderResult,
    ReadRequest, Schema, UpdateRequest, Value,
};

/// The `terraform` provider: `terraform_data`.
pub struct TerraformProvider;

/// The `null` provider: `null_resource`.
pub struct NullProvider;

fn terraform_data_schema() -> Schema {
    Schema::managed(
        "terraform_data",
        Block::new()
            .attr("input", Attribute::optional(AttrType::Dynamic))
            .attr(
                "triggers_replace",
                Attribute::optional(AttrType::Dynamic).force_new(),
            )
            .attr("output", Attribute::computed(AttrType::Dynamic))
            .attr("id", Attribute::computed(AttrType::String)),
    )
    .import_id("any id (terraform_data has no remote object)")
}

fn null_resource_schema() -> Schema {
    Schema::managed(
        "null_resource",
        Block::new()
            .attr(
                "triggers",
                Attribute::optional(AttrType::Map(Box::new(AttrType::String))).force_new(),
            )
            .attr("id", Attribute::computed(AttrType::String)),
    )
}

#[async_trait]
impl Provider for TerraformProvider {
    fn name(&self) -> &'static str {
        "terraform"
    }
    fn schemas(&self) -> Vec<Schema> {
        vec![terraform_data_schema()]
    }
    async fn configure(&self, _config: &Value) -> ProviderResult<Arc<dyn Client>> {
        Ok(Arc::new(LocalClient))
    }
}

#[async_trait]
impl Provider for NullProvider {
    fn name(&self) -> &'static str {
        "null"
    }
    fn schemas(&self) -> Vec<Schema> {
        vec![null_resource_schema()]
    }
    async fn configure(&self, _config: &Value) -> ProviderResult<Arc<dyn Client>> {
        Ok(Arc::new(LocalClient))
    }
}

/// A client whose "cloud" is the stored state itself.
struct LocalClient;

/// A unique id: time plus a process-wide counter (the value only has to be unique).
fn new_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{:016x}-{:04x}-{:08x}",
        nanos as u64,
        std::process::id() & 0xffff,
        n
    )
}

fn state_of(type_name: &str, id: String, config: &Value) -> Value {
    let mut m = config.as_map().cloned().unwrap_or_default();
    m.insert("id".into(), Value::String(id));
    if type_name == "terraform_data" {
        let input = m.get("input").cloned().unwrap_or(Value::Null);
        m.insert("output".into(), input);
    }
    Value::Map(m)
}

#[async_trait]
impl Client for LocalClient {
    async fn read(&self, req: &ReadRequest) -> ProviderResult<Option<Value>> {
        Ok(match &req.prior {
            Value::Null => Some(Value::map([("id", Value::String(req.id.clone()))])),
            prior => Some(prior.clone()),
        })
    }
    async fn create(&self, req: &CreateRequest) -> ProviderResult<Value> {
        Ok(state_of(&req.type_name, new_id(), &req.config))
    }
    async fn update(&self, req: &UpdateRequest) -> ProviderResult<Value> {
        Ok(state_of(&req.type_name, req.id.clone(), &req.config))
    }
    async fn delete(&self, _req: &DeleteRequest) -> ProviderResult<()> {
        Ok(())
    }
    fn plan(&self, type_name: &str, config: &mut Value) {
        if type_name == "terraform_data" {
            if let Some(m) = config.as_map_mut() {
                let input = m.get("input").cloned().unwrap_or(Value::Null);
                m.insert("output".into(), input);
            }
        }
    }
}
