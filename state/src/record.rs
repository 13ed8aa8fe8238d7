//! The records terrane keeps per stack. They are plain serde types stored as JSON, so a store can
//! be inspected with ordinary tools and a field added later decodes old records with its default.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use terrane_provider::Value;

/// What terrane knows about one managed resource: the cloud as last read and the config as last
/// applied. `desired` lets the next plan tell "config changed" from "cloud drifted".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceRecord {
    pub address: String,
    pub type_name: String,
    /// Provider configuration that owns it: `aws` or an aliased one such as `aws.west`.
    pub provider: String,
    pub id: String,
    /// Attributes as last read from the cloud.
    pub cloud: Value,
    /// Configuration last applied.
    pub desired: Value,
    #[serde(default)]
    pub dependencies: Vec<String>,
    #[serde(default)]
    pub sensitive_attrs: Vec<String>,
    #[serde(default)]
    pub schema_version: u32,
    /// `deletion_policy: Orphan`: forgetting the resource must not delete it in the cloud.
    #[serde(default)]
    pub deletion_policy_orphan: bool,
    /// RFC 3339, UTC.
    pub updated_at: String,
}

/// The Git commit a run applied, when it came from one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    pub id: String,
    pub author: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Started and not finished: either still going or the process died.
    Running,
    Succeeded,
    Failed,
    NoChanges,
}

/// One invocation of a mutating or reporting command, for `terrane history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Monotonic per stack, starting at 1.
    pub id: u64,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub command: String,
    pub commit: Option<CommitInfo>,
    pub summary: String,
    pub outcome: Outcome,
    #[serde(default)]
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentAction {
    Create,
    Update,
    Delete,
    Replace,
}

/// A mutating cloud call about to be made. Recorded (durably) before the call and cleared with
/// its result, so a crash in between leaves a trail the next run can finish or adopt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    /// Monotonic per stack, starting at 1. `0` asks `put_intent` to assign one.
    pub id: u64,
    pub address: String,
    pub action: IntentAction,
    pub type_name: String,
    pub provider: String,
    pub started_at: String,
    pub desired: Value,
    /// The cloud id before the call (update, delete, replace).
    pub prior_id: Option<String>,
}

/// One root-module output as last applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputRecord {
    pub value: Value,
    pub sensitive: bool,
}

pub type Outputs = BTreeMap<String, OutputRecord>;

/// What an intent's cloud call did to the resource, recorded together with clearing the intent.
#[derive(Debug, Clone, PartialEq)]
pub enum IntentResult {
    /// The resource now exists as recorded (create, update, replace).
    Put(Box<ResourceRecord>),
    /// The resource at this address is gone (delete).
    Delete(String),
    /// Nothing changed in the cloud (the call failed before doing anything).
    Nothing,
}
