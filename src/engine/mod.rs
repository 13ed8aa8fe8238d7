//! The engine: refresh, plan and apply over a loaded configuration, a store and the providers.
//!
//! It exists so that every mode (the CLI, the drift report, the service) drives the same code
//! without going through a command line. The pure pieces stay pure: evaluation (`config`),
//! ordering (`graph`) and per-resource diffs (`plan::diff_resource`) do no I/O. This module is
//! the edge where the store and the cloud are called:
//!
//! - [`Engine::refresh`] reads every managed resource through its provider (batched, concurrent)
//!   and caches the answers in the store.
//! - [`Engine::plan`] walks the graph in dependency order, re-evaluating each instance with the
//!   planned values of what it depends on (unknown where only apply can tell), reads data sources
//!   whose arguments are known, and returns a [`Plan`].
//! - [`Engine::apply`] executes a plan in graph order with bounded concurrency. Before each
//!   mutating cloud call an intent is flushed to the store and after it the result, so a crash at
//!   any point leaves a trail; intents and results of calls that start or end together share one
//!   flush (group commit), which keeps large applies linear.
//!
//! Runs are recorded in the store's history with an optional Git commit supplied by the caller.

mod apply;
mod clients;
mod import;
mod planner;
mod refresh;
#[cfg(test)]
mod tests;

pub use apply::{ApplyEvent, ApplySummary, Failure, NoProgress, Progress};
pub use refresh::RefreshReport;

use crate::addr::InstanceAddr;
use crate::config::{Config, ResourceValues, Schemas};
use crate::diag::Diagnostic;
use crate::providers::Registry;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use terrane_provider::Value;
use terrane_state::{CommitInfo, Store, StoreError};

/// Default number of cloud calls in flight at once (`--parallelism`).
pub const DEFAULT_PARALLELISM: usize = 10;

/// What can stop a refresh, plan or apply as a whole. Per-resource apply failures are not
/// errors: they are reported in [`ApplySummary::failures`].
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Problems located in the configuration; render them with the config's `SourceMap`.
    #[error("the configuration has {} error(s)", .0.len())]
    Config(Vec<Diagnostic>),
    #[error("{0}")]
    Provider(String),
    /// A saved plan no longer matches the world it was made against.
    #[error("the saved plan is stale: {0}; run `terrane plan` again and apply the new plan")]
    StalePlan(String),
    #[error("{0}")]
    Invalid(String),
}

/// Options for [`Engine::plan`].
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Read the cloud first (`--refresh=false` plans from the store's cache).
    pub refresh: bool,
    /// `--target`: limit the plan to these addresses and what they depend on.
    pub targets: Vec<String>,
    /// Plan the deletion of everything in the stack (`terrane destroy`).
    pub destroy: bool,
    /// Concurrent provider calls while refreshing.
    pub parallelism: usize,
    /// Refuse a plan that would destroy a `prevent_destroy` resource. Off only for reports that
    /// never apply the plan (`terrane drift` lists its pending changes).
    pub refuse_prevent_destroy: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            refresh: true,
            targets: Vec::new(),
            destroy: false,
            parallelism: DEFAULT_PARALLELISM,
            refuse_prevent_destroy: true,
        }
    }
}

/// Options for [`Engine::apply`].
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Mutating cloud calls in flight at once.
    pub parallelism: usize,
    /// The command recorded in the run history (`apply`, `destroy`, `serve`...).
    pub command: String,
    /// The Git commit being applied, when the caller knows it.
    pub commit: Option<CommitInfo>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: DEFAULT_PARALLELISM,
            command: "apply".into(),
            commit: None,
        }
    }
}

/// The engine for one stack of one store.
pub struct Engine {
    registry: Registry,
    schemas: Schemas,
    store: Arc<dyn Store>,
    stack: String,
    /// Configured clients by provider configuration and evaluated block (see `clients.rs`).
    clients: Mutex<HashMap<String, Arc<dyn terrane_provider::Client>>>,
}

impl Engine {
    pub fn new(registry: Registry, store: Arc<dyn Store>, stack: impl Into<String>) -> Engine {
        let schemas = registry.schemas();
        Engine {
            registry,
            schemas,
            store,
            stack: stack.into(),
            clients: Mutex::default(),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn stack(&self) -> &str {
        &self.stack
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }
}

/// Resource values known so far, keyed by instance, as the evaluator asks for them.
#[derive(Default)]
pub(crate) struct ValueMap(pub HashMap<InstanceAddr, Value>);

impl ResourceValues for ValueMap {
    fn get(&self, addr: &InstanceAddr) -> Option<Value> {
        self.0.get(addr).cloned()
    }

    fn get_attr(&self, addr: &InstanceAddr, name: &str) -> Option<Option<Value>> {
        self.0.get(addr).map(|v| v.get(name).cloned())
    }
}

/// True if `addr` is `target` or lies inside it (`aws_s3_bucket.b` covers `aws_s3_bucket.b[0]`,
/// `module.net` covers everything in that module).
pub fn address_matches(target: &str, addr: &str) -> bool {
    addr == target
        || addr
            .strip_prefix(target)
            .is_some_and(|rest| rest.starts_with('[') || rest.starts_with('.'))
}

/// SHA-256 of the configuration's files and variable values, to tell a saved plan's config from
/// today's.
pub fn config_hash(cfg: &Config) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut files: Vec<_> = cfg.sources.files().map(|(_, f)| f).collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    for f in files {
        h.update(f.name.as_bytes());
        h.update([0]);
        h.update(f.text.as_bytes());
        h.update([0]);
    }
    for v in &cfg.variables {
        h.update(v.name.as_bytes());
        h.update([0]);
        h.update(serde_json::to_vec(&v.value).unwrap_or_default());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

fn now() -> String {
    terrane_state::now_rfc3339()
}
