//! The AWS provider on aws-sdk-rust. One module per resource type (grouped by service); this
//! file holds what they share: provider configuration (region, endpoints, path-style S3, default
//! tags), the SDK clients, API call counting, and the dispatch from type name to module.

mod clients;
mod dynamodb;
mod iam;
mod iam_policy_document;
mod kms;
mod logs;
mod meta;
mod registry;
mod route_table;
mod s3;
mod secretsmanager;
mod security_group;
mod sns;
mod sqs;
mod ssm;
mod tagging;
pub mod util;
mod vpc;

pub use clients::{AwsSettings, Clients};

use async_trait::async_trait;
use registry::ResourceType;
use std::collections::HashMap;
use std::sync::Arc;
use terrane_provider::{
    CallStats, Client, CreateRequest, DeleteRequest, Listed, Provider, ProviderError,
    ProviderResult, ReadRequest, Schema, UpdateRequest, Value,
};

/// The `aws` provider: schemas without network, clients on `configure`.
#[derive(Default)]
pub struct AwsProvider;

impl AwsProvider {
    pub fn new() -> Self {
        AwsProvider
    }
}

#[async_trait]
impl Provider for AwsProvider {
    fn name(&self) -> &'static str {
        "aws"
    }

    fn schemas(&self) -> Vec<Schema> {
        registry::all().iter().map(|t| t.schema()).collect()
    }

    async fn configure(&self, config: &Value) -> ProviderResult<Arc<dyn Client>> {
        let settings = AwsSettings::from_config(config)?;
        let clients = Clients::new(settings).await?;
        let types = registry::all()
            .into_iter()
            .map(|t| (t.schema().type_name, t))
            .collect();
        Ok(Arc::new(AwsClient {
            clients: Arc::new(clients),
            types,
        }))
    }
}

/// A configured AWS provider: dispatches each call to the module of its resource type.
pub struct AwsClient {
    clients: Arc<Clients>,
    types: HashMap<&'static str, Arc<dyn ResourceType>>,
}

impl AwsClient {
    fn ty(&self, type_name: &str) -> ProviderResult<&Arc<dyn ResourceType>> {
        self.types.get(type_name).ok_or_else(|| {
            ProviderError::invalid(format!("the aws provider has no type {type_name}"))
        })
    }

    /// The shared SDK clients (tests use them as a second client).
    pub fn clients(&self) -> &Arc<Clients> {
        &self.clients
    }
}

#[async_trait]
impl Client for AwsClient {
    async fn read(&self, req: &ReadRequest) -> ProviderResult<Option<Value>> {
        self.ty(&req.type_name)?
            .read(&self.clients, &req.id, &req.prior)
            .await
    }

    async fn read_batch(&self, reqs: &[ReadRequest]) -> Vec<ProviderResult<Option<Value>>> {
        // Group by type so each module can batch its own API calls, then restore the order.
        let mut by_type: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, r) in reqs.iter().enumerate() {
            by_type.entry(r.type_name.as_str()).or_default().push(i);
        }
        let mut out: Vec<Option<ProviderResult<Option<Value>>>> = vec![None; reqs.len()];
        let futs = by_type.into_iter().map(|(type_name, idxs)| {
            let items: Vec<(String, Value)> = idxs
                .iter()
                .map(|&i| (reqs[i].id.clone(), reqs[i].prior.clone()))
                .collect();
            async move {
                let res = match self.ty(type_name) {
                    Ok(t) => t.read_batch(&self.clients, &items).await,
                    Err(e) => items.iter().map(|_| Err(e.clone())).collect(),
                };
                (idxs, res)
            }
        });
        for (idxs, res) in futures::future::join_all(futs).await {
            for (i, r) in idxs.into_iter().zip(res) {
                out[i] = Some(r);
            }
        }
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Err(ProviderError::other("read result missing"))))
            .collect()
    }

    async fn create(&self, req: &CreateRequest) -> ProviderResult<Value> {
        self.ty(&req.type_name)?.create(&self.clients, req).await
    }

    async fn update(&self, req: &UpdateRequest) -> ProviderResult<Value> {
        self.ty(&req.type_name)?.update(&self.clients, req).await
    }

    async fn delete(&self, req: &DeleteRequest) -> ProviderResult<()> {
        self.ty(&req.type_name)?.delete(&self.clients, req).await
    }

    async fn import(&self, type_name: &str, id: &str) -> ProviderResult<Option<Value>> {
        self.ty(type_name)?.import(&self.clients, id).await
    }

    async fn list(&self, type_name: &str) -> ProviderResult<Vec<Listed>> {
        self.ty(type_name)?.list(&self.clients).await
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> ProviderResult<Value> {
        self.ty(type_name)?.read_data(&self.clients, config).await
    }

    fn plan(&self, type_name: &str, config: &mut Value) {
        if let Ok(t) = self.ty(type_name) {
            t.plan(&self.clients.settings, config);
        }
    }

    fn stats(&self) -> CallStats {
        self.clients.stats()
    }
}
