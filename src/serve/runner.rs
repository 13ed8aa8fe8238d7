//! The narrow seam between the service loop and the engine. The scheduler decides *when* and
//! *whether* (commit changed? window open? policy?); a [`StackRunner`] does the work (fetch Git,
//! plan, apply, refresh, record the run in the store). Keeping the seam this small lets the loop
//! be tested with a fake runner on paused time, and lets the engine change underneath it.

use super::config::StackConfig;
use serde::Serialize;
use std::fmt;

/// The commit a stack's ref points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commit {
    pub id: String,
    pub author: String,
    pub message: String,
}

/// Resource counts of a plan, as the status endpoint and notifications show them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlanCounts {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

impl PlanCounts {
    pub fn from_summary(s: &crate::plan::Summary) -> PlanCounts {
        PlanCounts {
            add: s.to_add(),
            change: s.to_change(),
            destroy: s.to_destroy(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.add + self.change + self.destroy == 0
    }
}

impl fmt::Display for PlanCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} to add, {} to change, {} to destroy",
            self.add, self.change, self.destroy
        )
    }
}

/// What one sync (plan, and apply when allowed) did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncReport {
    pub plan: PlanCounts,
    /// True if the plan was applied (false: planned only, or nothing to do).
    pub applied: bool,
    /// Resources managed after the run.
    pub resources: usize,
    /// Resources removed from Git but kept because `prune = false`.
    pub unpruned: Vec<String>,
    /// The plan as JSON (docs/plan-json.md), sensitive values masked; served by /status/<stack>.
    pub plan_json: serde_json::Value,
    /// The plan as text, sensitive values masked, for logs and notifications.
    pub plan_text: String,
    pub api_calls: u64,
    pub api_errors: u64,
}

/// What one drift check found and did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DriftReport {
    /// Addresses whose cloud state differs from what terrane last applied, left alone.
    pub drifted: Vec<String>,
    /// Addresses that had drifted and were reverted in this check (`drift = "correct"`).
    pub corrected: Vec<String>,
    pub resources: usize,
    pub api_calls: u64,
    pub api_errors: u64,
}

/// A run that failed. `message` is shown in status, logs and notifications, so it must never
/// hold a secret.
#[derive(Debug, Clone, PartialEq)]
pub struct RunError {
    pub message: String,
    /// True if the failure happened while applying (cloud possibly partly changed).
    pub during_apply: bool,
    pub api_calls: u64,
    pub api_errors: u64,
}

impl RunError {
    pub fn new(message: impl Into<String>) -> RunError {
        RunError {
            message: message.into(),
            during_apply: false,
            api_calls: 0,
            api_errors: 0,
        }
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RunError {}

/// The work the scheduler delegates. Implementations record each run in the store themselves
/// (commit, plan summary, drift found, outcome), so a run is recorded even if the service stops
/// right after it. The scheduler never calls two methods for the same stack at once.
#[async_trait::async_trait]
pub trait StackRunner: Send + Sync + 'static {
    /// Fetches the stack's Git ref and returns the commit it points at.
    async fn fetch(&self, stack: &StackConfig) -> Result<Commit, RunError>;

    /// Plans the configuration at `commit` against the cloud and, if `apply`, applies it
    /// (pruning per `stack.prune`; with `drift = "report"` drift-only changes are left alone).
    async fn sync(
        &self,
        stack: &StackConfig,
        commit: &Commit,
        apply: bool,
    ) -> Result<SyncReport, RunError>;

    /// Re-reads the cloud and compares it with what was last applied at `commit`; if `correct`,
    /// applies again to undo the drift.
    async fn drift(
        &self,
        stack: &StackConfig,
        commit: &Commit,
        correct: bool,
    ) -> Result<DriftReport, RunError>;
}
