//! The provider contract. The engine speaks only these traits; each cloud (and the built-in
//! `terraform_data`) implements them. Every operation must be idempotent: a create retried after
//! a crash adopts what the first attempt made, a delete of something already gone succeeds, and a
//! read never changes anything.

use crate::schema::Schema;
use crate::value::Value;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Tag naming the stack that owns a cloud resource.
pub const OWNER_STACK_TAG: &str = "terrane:stack";
/// Tag naming the resource address that owns a cloud resource.
pub const OWNER_ADDRESS_TAG: &str = "terrane:address";

/// What went wrong in a provider call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The resource does not exist.
    NotFound,
    /// The request was refused as invalid: the user's config must change.
    Invalid,
    /// Throttling or a server-side error: worth retrying.
    Transient,
    /// The endpoint could not be reached or authentication failed.
    Unavailable,
    /// The provider does not offer this operation for this type (e.g. listing it).
    Unsupported,
    /// Anything else.
    Other,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ProviderError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ProviderError {
            kind,
            message: message.into(),
        }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }
    pub fn other(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Other, message)
    }
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }
}

pub type ProviderResult<T> = Result<T, ProviderError>;

/// Who is asking: used for ownership tags and for adoption after a crash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub stack: String,
    /// The resource's address, e.g. `aws_s3_bucket.logs`.
    pub address: String,
}

/// Read one resource's current cloud state.
#[derive(Debug, Clone)]
pub struct ReadRequest {
    pub type_name: String,
    pub id: String,
    /// The last state terrane stored (lets a provider keep config-only values such as
    /// `force_destroy` that the cloud does not report).
    pub prior: Value,
}

/// Create a resource from a fully known desired configuration.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    pub type_name: String,
    pub owner: Owner,
    pub config: Value,
    /// An earlier attempt at this create (same owner) was interrupted mid-call, so an object of
    /// exactly the configured name that the provider could not tag yet may be that attempt's:
    /// providers whose create takes more than one call adopt it instead of refusing it.
    pub interrupted: bool,
}

/// Change a resource in place.
#[derive(Debug, Clone)]
pub struct UpdateRequest {
    pub type_name: String,
    pub owner: Owner,
    pub id: String,
    pub prior: Value,
    pub config: Value,
}

/// Delete a resource.
#[derive(Debug, Clone)]
pub struct DeleteRequest {
    pub type_name: String,
    pub id: String,
    pub prior: Value,
}

/// A resource found by listing the account.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub type_name: String,
    pub id: String,
    pub tags: BTreeMap<String, String>,
}

impl Listed {
    /// True if the resource carries terrane's ownership tags.
    pub fn owned_by_terrane(&self) -> bool {
        self.tags.contains_key(OWNER_STACK_TAG)
    }
}

/// Counters of cloud API calls, for metrics and the batching tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallStats {
    pub calls: u64,
    pub errors: u64,
}

/// A provider type: knows its schemas without any network, and makes configured clients.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The local name used in config, e.g. `aws`; types are prefixed `aws_`.
    fn name(&self) -> &'static str;

    /// Schemas of every resource and data source type.
    fn schemas(&self) -> Vec<Schema>;

    /// Makes a client from the evaluated `provider` block (Null when there is none).
    async fn configure(&self, config: &Value) -> ProviderResult<Arc<dyn Client>>;
}

/// A configured provider: does the cloud calls.
#[async_trait]
pub trait Client: Send + Sync {
    /// Current state of one resource, or None if it no longer exists.
    async fn read(&self, req: &ReadRequest) -> ProviderResult<Option<Value>>;

    /// Reads many resources; providers override it to batch API calls.
    async fn read_batch(&self, reqs: &[ReadRequest]) -> Vec<ProviderResult<Option<Value>>> {
        let mut out = Vec::with_capacity(reqs.len());
        for r in reqs {
            out.push(self.read(r).await);
        }
        out
    }

    /// Creates (or adopts, after a crash) a resource and returns its full state, with `id`.
    async fn create(&self, req: &CreateRequest) -> ProviderResult<Value>;

    /// Updates a resource in place and returns its full new state.
    async fn update(&self, req: &UpdateRequest) -> ProviderResult<Value>;

    /// Deletes a resource; succeeds if it is already gone.
    async fn delete(&self, req: &DeleteRequest) -> ProviderResult<()>;

    /// Reads an existing resource by its import id, for `state import` and `import` blocks.
    async fn import(&self, type_name: &str, id: &str) -> ProviderResult<Option<Value>> {
        self.read(&ReadRequest {
            type_name: type_name.to_string(),
            id: id.to_string(),
            prior: Value::Null,
        })
        .await
    }

    /// Lists every resource of a type in the account (for the unmanaged-resource report).
    /// Types that cannot be listed answer `ErrorKind::Unsupported`; the report skips them.
    async fn list(&self, type_name: &str) -> ProviderResult<Vec<Listed>> {
        Err(ProviderError::unsupported(format!(
            "listing {type_name} resources is not supported"
        )))
    }

    /// Evaluates a data source.
    async fn read_data(&self, type_name: &str, config: &Value) -> ProviderResult<Value> {
        let _ = config;
        Err(ProviderError::invalid(format!(
            "data source {type_name} is not supported"
        )))
    }

    /// Fills in what the provider knows at plan time (defaults, normalised JSON, `tags_all`).
    /// A computed attribute set here is taken as its planned value (shown in the plan and
    /// visible to dependents); one left out is unknown for a new object and keeps its cloud
    /// value on update. Must be pure: no network.
    fn plan(&self, type_name: &str, config: &mut Value) {
        let _ = (type_name, config);
    }

    /// API calls made so far by this client.
    fn stats(&self) -> CallStats {
        CallStats::default()
    }
}
