//! terrane's embedded store: a cache of the cloud plus what terrane last applied, the run history
//! and the intents of cloud calls in flight. The engine codes against the [`Store`] trait;
//! [`SledStore`] keeps it on disk (every mutating call is flushed before it returns, which is
//! what DESIGN.md's "Nothing is lost" needs) and [`MemStore`] keeps it in memory for tests.

mod error;
mod lock;
mod mem;
mod record;
mod sled_store;
mod time;

pub use error::{Result, StoreError};
pub use mem::MemStore;
pub use record::{
    CommitInfo, Intent, IntentAction, IntentResult, Outcome, OutputRecord, Outputs, ResourceRecord,
    RunRecord,
};
pub use sled_store::{SledStore, FORMAT_VERSION};
pub use time::{format_unix, now_rfc3339};

/// Per-stack persistent state. Every method that changes something is durable when it returns
/// `Ok` (a crash afterwards, even `kill -9`, keeps it). Reads of a stack that was never written
/// return empty results, not errors.
pub trait Store: Send + Sync {
    /// Stacks that have ever been written, sorted.
    fn list_stacks(&self) -> Result<Vec<String>>;

    /// Changes whenever the stack's resources, outputs or intents change (not on run history),
    /// so a saved plan can tell that the state it was computed from is still current.
    fn fingerprint(&self, stack: &str) -> Result<String>;

    /// Forces everything to disk. Mutating methods already do this; it exists for callers that
    /// want an explicit barrier (e.g. before exiting).
    fn flush(&self) -> Result<()>;

    fn get_resource(&self, stack: &str, address: &str) -> Result<Option<ResourceRecord>>;
    /// Inserts or replaces the record at `record.address`.
    fn put_resource(&self, stack: &str, record: &ResourceRecord) -> Result<()>;
    /// Returns whether a record was there.
    fn delete_resource(&self, stack: &str, address: &str) -> Result<bool>;
    /// Sorted by address.
    fn list_resources(&self, stack: &str) -> Result<Vec<ResourceRecord>>;
    /// `state mv`: moves the record and rewrites other records' dependencies on it, atomically.
    /// Fails if `from` is missing or `to` is taken.
    fn rename_resource(&self, stack: &str, from: &str, to: &str) -> Result<()>;

    fn get_outputs(&self, stack: &str) -> Result<Outputs>;
    /// Replaces the whole set of outputs.
    fn put_outputs(&self, stack: &str, outputs: &Outputs) -> Result<()>;

    /// Records a run as `Running` with a fresh monotonic id and `started_at` = now.
    fn begin_run(
        &self,
        stack: &str,
        command: &str,
        commit: Option<CommitInfo>,
    ) -> Result<RunRecord>;
    /// Sets outcome, summary, details and `finished_at` = now.
    fn finish_run(
        &self,
        stack: &str,
        id: u64,
        outcome: Outcome,
        summary: &str,
        details: serde_json::Value,
    ) -> Result<RunRecord>;
    fn get_run(&self, stack: &str, id: u64) -> Result<Option<RunRecord>>;
    /// Oldest first.
    fn list_runs(&self, stack: &str) -> Result<Vec<RunRecord>>;

    /// Records an intent before its cloud call. `intent.id == 0` assigns a fresh monotonic id;
    /// another id overwrites that intent. Returns the stored intent.
    fn put_intent(&self, stack: &str, intent: &Intent) -> Result<Intent>;
    /// Drops an intent without touching resources. Returns whether it was there.
    fn clear_intent(&self, stack: &str, id: u64) -> Result<bool>;
    /// Clears the intent and records its result in one atomic, durable step, so no crash can
    /// leave the resource written but the intent pending, or the reverse.
    fn resolve_intent(&self, stack: &str, id: u64, result: &IntentResult) -> Result<()>;
    /// Pending intents, oldest first.
    fn list_intents(&self, stack: &str) -> Result<Vec<Intent>>;

    /// Records several intents in one durable step: the engine's group commit, so a batch of
    /// cloud calls started together costs one flush, not one each. Same id rules as
    /// `put_intent`; returns the stored intents in order.
    fn put_intents(&self, stack: &str, intents: &[Intent]) -> Result<Vec<Intent>> {
        intents.iter().map(|i| self.put_intent(stack, i)).collect()
    }

    /// Resolves several intents in one durable step (see `resolve_intent`). All or nothing.
    fn resolve_intents(&self, stack: &str, results: &[(u64, IntentResult)]) -> Result<()> {
        for (id, r) in results {
            self.resolve_intent(stack, *id, r)?;
        }
        Ok(())
    }

    /// Inserts or replaces several records in one durable step (the refresh cache).
    fn put_resources(&self, stack: &str, records: &[ResourceRecord]) -> Result<()> {
        for r in records {
            self.put_resource(stack, r)?;
        }
        Ok(())
    }
}

/// Stack names become part of key and tree names; keep them printable and non-empty.
pub(crate) fn check_stack(name: &str) -> Result<()> {
    let why = if name.is_empty() {
        "it is empty"
    } else if name.len() > 200 {
        "it is longer than 200 bytes"
    } else if name.chars().any(|c| c.is_control()) {
        "it contains a control character"
    } else {
        return Ok(());
    };
    Err(StoreError::InvalidStack {
        name: name.to_string(),
        why,
    })
}

/// Replaces `from` with `to` in a dependency list; returns whether anything changed.
pub(crate) fn rename_dependency(deps: &mut [String], from: &str, to: &str) -> bool {
    let mut changed = false;
    for d in deps.iter_mut().filter(|d| d.as_str() == from) {
        *d = to.to_string();
        changed = true;
    }
    changed
}
