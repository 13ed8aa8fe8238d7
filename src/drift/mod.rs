//! Drift: what changed in the cloud behind Git's back. `terrane drift` compares each managed
//! resource's refreshed cloud value with what terrane last applied (not with the configuration:
//! a configuration change not yet applied is *pending*, and reported apart), lists managed
//! resources deleted outside terrane and, when asked, resources of the supported types that no
//! stack manages.
//!
//! Noisy drift is the first complaint users of every drift tool make, so this module owns the
//! noise control: the comparison reuses the planner's normalised equality (policy JSON, numbers,
//! sets) and `lifecycle.ignore_changes`, only attributes the user set count, and a
//! `.terraneignore` file silences known drift and known unmanaged resources.
//!
//! Like the planner it is pure: the engine refreshes the cloud and reads the store, hands the
//! values to [`ReportBuilder`], and prints the [`DriftReport`] with one of the renderers. The
//! report never holds a sensitive value: masking happens when it is built.

pub mod compare;
pub mod ignore;
pub mod render;

use crate::plan::Action;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use terrane_provider::{Listed, Value};

pub use compare::{compare_resource, pending_from_change, ManagedInput, Outcome};
pub use ignore::{IgnoreError, IgnoreRules};

/// Name of the ignore file, looked up at the configuration root.
pub const IGNORE_FILE: &str = ".terraneignore";

/// One side of an attribute difference, already masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Shown {
    /// Null or not set.
    Absent,
    /// A sensitive value; the real one is never kept in the report.
    Sensitive,
    /// The value (may hold `Unknown` on the configuration side of a pending change).
    Value(Value),
}

impl Shown {
    /// Masks when `sensitive`; None (null) is absent.
    pub fn of(v: Option<&Value>, sensitive: bool) -> Shown {
        match v {
            None | Some(Value::Null) => Shown::Absent,
            Some(_) if sensitive => Shown::Sensitive,
            Some(v) => Shown::Value(v.clone()),
        }
    }
}

/// One attribute that differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttrDiff {
    /// Path from the resource root: `tags.Env`, `ingress[0].from_port`.
    pub path: String,
    /// For drift: what terrane last applied. For a pending change: the value now.
    pub expected: Shown,
    /// For drift: what the cloud holds now. For a pending change: the configuration's value.
    pub actual: Shown,
    pub sensitive: bool,
}

/// Where a resource is declared, for the reports that can point at it (SARIF, text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Path as diagnostics show it (relative to where terrane runs).
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A managed resource whose cloud attributes moved away from what terrane last applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedResource {
    pub address: String,
    pub type_name: String,
    pub provider: String,
    pub id: String,
    pub attrs: Vec<AttrDiff>,
    pub location: Option<Location>,
}

/// A managed resource that no longer exists in the cloud.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeletedResource {
    pub address: String,
    pub type_name: String,
    pub provider: String,
    pub id: String,
    pub location: Option<Location>,
}

/// A managed resource that matches what was last applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InSyncResource {
    pub address: String,
    pub type_name: String,
    pub id: String,
}

/// A resource of a supported type in the account that no stack manages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnmanagedResource {
    pub type_name: String,
    pub id: String,
    pub tags: BTreeMap<String, String>,
}

/// A configuration change that `apply` would make; not drift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingChange {
    pub address: String,
    pub type_name: String,
    /// `create` (new in the configuration), `update`, `replace` or `delete` (removed from it).
    pub action: Action,
    /// For updates and replacements: the value now (`expected`) vs the configuration's
    /// (`actual`).
    pub attrs: Vec<AttrDiff>,
    pub location: Option<Location>,
}

/// Managed and unmanaged resources of one listed type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeCoverage {
    pub type_name: String,
    /// Listed resources that a stack manages (in a store, or tagged `terrane:stack`).
    pub managed: usize,
    /// Listed resources nobody manages, those silenced by `.terraneignore` included.
    pub unmanaged: usize,
}

impl TypeCoverage {
    /// managed / (managed + unmanaged); None when the account holds none of the type.
    pub fn ratio(&self) -> Option<f64> {
        let total = self.managed + self.unmanaged;
        (total > 0).then(|| self.managed as f64 / total as f64)
    }
}

/// What `.terraneignore` silenced, so a reader knows something was left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredCounts {
    /// Drifted attributes of resources still reported or wholly silenced.
    pub attributes: usize,
    /// Resources whose drift or deletion was silenced entirely.
    pub resources: usize,
    pub unmanaged: usize,
}

/// Counts over the whole report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Managed resources compared with the cloud.
    pub checked: usize,
    pub in_sync: usize,
    pub changed: usize,
    pub deleted: usize,
    pub unmanaged: usize,
    pub pending: usize,
    pub ignored: IgnoredCounts,
    /// Whether the account was listed for unmanaged resources (`--unmanaged`).
    pub unmanaged_checked: bool,
}

impl Summary {
    /// Drift that makes `terrane drift` exit 2: changed, deleted, or unmanaged when asked for.
    /// Pending configuration changes never count.
    pub fn has_drift(&self) -> bool {
        self.changed + self.deleted > 0 || (self.unmanaged_checked && self.unmanaged > 0)
    }
}

/// How long the check took and what it cost, for the report's figures line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub duration_ms: u64,
    pub api_calls: u64,
}

/// Where the report comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportMeta {
    pub stack: String,
    pub commit: Option<String>,
    /// RFC 3339 time the report was made.
    pub created_at: String,
    pub terrane_version: String,
}

/// A whole drift report. Build it with [`ReportBuilder`]; print it with [`render`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    pub format_version: u32,
    pub meta: ReportMeta,
    pub changed: Vec<ChangedResource>,
    pub deleted: Vec<DeletedResource>,
    pub unmanaged: Vec<UnmanagedResource>,
    pub pending: Vec<PendingChange>,
    pub in_sync: Vec<InSyncResource>,
    /// Per listed type, sorted by type; empty unless unmanaged resources were checked.
    pub coverage: Vec<TypeCoverage>,
    pub summary: Summary,
    pub stats: Option<Stats>,
}

impl DriftReport {
    /// Version of the JSON document (docs/drift-json.md).
    pub const FORMAT_VERSION: u32 = 1;

    /// 2 when drift was found, else 0 (errors never produce a report).
    pub fn exit_code(&self) -> i32 {
        if self.summary.has_drift() {
            crate::cli::EXIT_CHANGES
        } else {
            crate::cli::EXIT_OK
        }
    }
}

/// Collects comparisons and listings into a report, applying `.terraneignore` as it goes.
pub struct ReportBuilder<'a> {
    meta: ReportMeta,
    ignore: &'a IgnoreRules,
    changed: Vec<ChangedResource>,
    deleted: Vec<DeletedResource>,
    in_sync: Vec<InSyncResource>,
    pending: Vec<PendingChange>,
    unmanaged: Vec<UnmanagedResource>,
    coverage: BTreeMap<String, TypeCoverage>,
    ignored: IgnoredCounts,
    checked: usize,
    unmanaged_checked: bool,
    stats: Option<Stats>,
}

impl<'a> ReportBuilder<'a> {
    pub fn new(meta: ReportMeta, ignore: &'a IgnoreRules) -> Self {
        ReportBuilder {
            meta,
            ignore,
            changed: Vec::new(),
            deleted: Vec::new(),
            in_sync: Vec::new(),
            pending: Vec::new(),
            unmanaged: Vec::new(),
            coverage: BTreeMap::new(),
            ignored: IgnoredCounts::default(),
            checked: 0,
            unmanaged_checked: false,
            stats: None,
        }
    }

    /// Compares one managed resource with the cloud and files it as changed, deleted or in sync.
    pub fn managed(&mut self, input: &ManagedInput) -> &mut Self {
        self.checked += 1;
        let location = input.location.cloned();
        match compare_resource(input) {
            Outcome::Deleted => {
                if self.ignore.ignores_resource(input.address) {
                    self.ignored.resources += 1;
                } else {
                    self.deleted.push(DeletedResource {
                        address: input.address.to_string(),
                        type_name: input.type_name.to_string(),
                        provider: input.provider.to_string(),
                        id: input.id.to_string(),
                        location,
                    });
                }
            }
            Outcome::Changed(attrs) => {
                let total = attrs.len();
                let kept: Vec<AttrDiff> = attrs
                    .into_iter()
                    .filter(|a| !self.ignore.ignores_attribute(input.address, &a.path))
                    .collect();
                self.ignored.attributes += total - kept.len();
                if kept.is_empty() {
                    self.ignored.resources += 1;
                    self.push_in_sync(input);
                } else {
                    self.changed.push(ChangedResource {
                        address: input.address.to_string(),
                        type_name: input.type_name.to_string(),
                        provider: input.provider.to_string(),
                        id: input.id.to_string(),
                        attrs: kept,
                        location,
                    });
                }
            }
            Outcome::InSync => self.push_in_sync(input),
        }
        self
    }

    fn push_in_sync(&mut self, input: &ManagedInput) {
        self.in_sync.push(InSyncResource {
            address: input.address.to_string(),
            type_name: input.type_name.to_string(),
            id: input.id.to_string(),
        });
    }

    /// Records a configuration change not yet applied (see [`pending_from_change`]).
    pub fn pending(&mut self, change: PendingChange) -> &mut Self {
        self.pending.push(change);
        self
    }

    /// Files the listing of one type: entries `is_managed` accepts, or that carry terrane's
    /// ownership tag, are managed; the rest are unmanaged unless `.terraneignore` silences them.
    pub fn listed(
        &mut self,
        type_name: &str,
        listed: &[Listed],
        is_managed: impl Fn(&Listed) -> bool,
    ) -> &mut Self {
        self.unmanaged_checked = true;
        let cov = self
            .coverage
            .entry(type_name.to_string())
            .or_insert_with(|| TypeCoverage {
                type_name: type_name.to_string(),
                managed: 0,
                unmanaged: 0,
            });
        for l in listed {
            if l.owned_by_terrane() || is_managed(l) {
                cov.managed += 1;
                continue;
            }
            cov.unmanaged += 1;
            if self.ignore.ignores_unmanaged(type_name, &l.id) {
                self.ignored.unmanaged += 1;
            } else {
                self.unmanaged.push(UnmanagedResource {
                    type_name: type_name.to_string(),
                    id: l.id.clone(),
                    tags: l.tags.clone(),
                });
            }
        }
        self
    }

    /// Marks the account as checked for unmanaged resources even if no type was listed.
    pub fn unmanaged_checked(&mut self) -> &mut Self {
        self.unmanaged_checked = true;
        self
    }

    pub fn stats(&mut self, stats: Stats) -> &mut Self {
        self.stats = Some(stats);
        self
    }

    /// The report, every list sorted so output is stable whatever order the engine used.
    pub fn finish(self) -> DriftReport {
        let mut r = DriftReport {
            format_version: DriftReport::FORMAT_VERSION,
            meta: self.meta,
            changed: self.changed,
            deleted: self.deleted,
            unmanaged: self.unmanaged,
            pending: self.pending,
            in_sync: self.in_sync,
            coverage: self.coverage.into_values().collect(),
            summary: Summary::default(),
            stats: self.stats,
        };
        r.changed.sort_by(|a, b| a.address.cmp(&b.address));
        r.deleted.sort_by(|a, b| a.address.cmp(&b.address));
        r.in_sync.sort_by(|a, b| a.address.cmp(&b.address));
        r.pending.sort_by(|a, b| a.address.cmp(&b.address));
        r.unmanaged
            .sort_by(|a, b| (&a.type_name, &a.id).cmp(&(&b.type_name, &b.id)));
        r.summary = Summary {
            checked: self.checked,
            in_sync: r.in_sync.len(),
            changed: r.changed.len(),
            deleted: r.deleted.len(),
            unmanaged: r.unmanaged.len(),
            pending: r.pending.len(),
            ignored: self.ignored,
            unmanaged_checked: self.unmanaged_checked,
        };
        r
    }
}

/// Ids of the resources a set of stores manage, per type, for [`ReportBuilder::listed`].
#[derive(Debug, Clone, Default)]
pub struct ManagedIds(BTreeSet<(String, String)>);

impl ManagedIds {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn insert(&mut self, type_name: &str, id: &str) {
        self.0.insert((type_name.to_string(), id.to_string()));
    }
    pub fn contains(&self, l: &Listed) -> bool {
        self.0.contains(&(l.type_name.clone(), l.id.clone()))
    }
}

#[cfg(test)]
mod tests;
