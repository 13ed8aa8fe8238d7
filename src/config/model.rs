//! The one configuration model both front ends (HCL and YAML) produce and the engine consumes.

use crate::addr::{InstanceAddr, ModulePath, ResourceAddr};
use crate::diag::{Diagnostic, SourceMap, Span};
use std::collections::{BTreeMap, BTreeSet};
use terrane_provider::Value;

/// Where a resource was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Hcl,
    Yaml,
}

/// `ignore_changes`: a list of attribute paths, or `all`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum IgnoreChanges {
    #[default]
    None,
    /// Top-level attribute names or dotted paths (`tags.Owner`).
    Paths(Vec<String>),
    All,
}

impl IgnoreChanges {
    /// True if a change at this dotted path should be ignored.
    pub fn ignores(&self, path: &str) -> bool {
        match self {
            IgnoreChanges::None => false,
            IgnoreChanges::All => true,
            IgnoreChanges::Paths(ps) => ps.iter().any(|p| {
                path == p
                    || path
                        .strip_prefix(p.as_str())
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            }),
        }
    }
}

/// The `lifecycle` block (HCL) or the equivalent policies (YAML).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lifecycle {
    pub prevent_destroy: bool,
    pub create_before_destroy: bool,
    pub ignore_changes: IgnoreChanges,
    /// Replace this resource whenever any of these referenced resources is replaced or changed.
    pub replace_triggered_by: Vec<String>,
}

/// Crossplane's `deletionPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeletionPolicy {
    #[default]
    Delete,
    /// Forget the resource but leave it in the cloud.
    Orphan,
}

/// Crossplane's `managementPolicies`, reduced to what the engine acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Management {
    #[default]
    Full,
    /// Read and report only: never create, update or delete.
    ObserveOnly,
}

/// Which provider configuration an instance uses (`aws` or `aws.west`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderRef {
    pub name: String,
    pub alias: Option<String>,
}

impl std::fmt::Display for ProviderRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.alias {
            Some(a) => write!(f, "{}.{}", self.name, a),
            None => write!(f, "{}", self.name),
        }
    }
}

/// One resource or data source instance, after `count`/`for_each`/module expansion.
#[derive(Debug, Clone)]
pub struct Instance {
    pub addr: InstanceAddr,
    pub type_name: String,
    pub provider: ProviderRef,
    /// Resources this one depends on: references (through locals, variables and module outputs)
    /// and `depends_on`.
    pub depends_on: BTreeSet<ResourceAddr>,
    pub lifecycle: Lifecycle,
    pub deletion_policy: DeletionPolicy,
    pub management: Management,
    /// The block header, for diagnostics about the whole resource.
    pub span: Span,
    /// Top-level attributes whose value came from something sensitive (a sensitive variable).
    pub sensitive_attrs: BTreeSet<String>,
    pub origin: Origin,
}

/// A `provider` block (or the implicit empty one).
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub provider: ProviderRef,
    pub config: Value,
    pub span: Option<Span>,
}

/// An `output` of the root module.
#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub value: Value,
    pub sensitive: bool,
    pub description: Option<String>,
    pub depends_on: BTreeSet<ResourceAddr>,
    pub span: Span,
}

/// A `moved` block.
#[derive(Debug, Clone)]
pub struct Moved {
    pub from: String,
    pub to: String,
    pub span: Span,
}

/// An `import` block.
#[derive(Debug, Clone)]
pub struct Import {
    pub to: InstanceAddr,
    pub id: String,
    pub span: Span,
}

/// A declared input variable of the root module (for `--help`-style listings and masking).
#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub value: Value,
    pub sensitive: bool,
    pub description: Option<String>,
}

/// Everything loaded from one configuration directory.
#[derive(Debug, Clone)]
pub struct Config {
    pub sources: SourceMap,
    pub module_root: ModulePath,
    pub instances: Vec<Instance>,
    pub providers: Vec<ProviderConfig>,
    pub outputs: Vec<Output>,
    pub variables: Vec<Variable>,
    pub moved: Vec<Moved>,
    pub imports: Vec<Import>,
    /// `terraform { required_providers { ... } }`: local name to source.
    pub required_providers: BTreeMap<String, String>,
    /// Warnings found while loading (errors stop the load).
    pub warnings: Vec<Diagnostic>,
    /// The syntax and instance tree, for re-evaluation as resource values become known.
    pub program: std::sync::Arc<super::program::Program>,
}

impl Config {
    pub fn managed_count(&self) -> usize {
        self.instances
            .iter()
            .filter(|i| i.addr.resource.mode == crate::addr::Mode::Managed)
            .count()
    }
    pub fn data_count(&self) -> usize {
        self.instances.len() - self.managed_count()
    }
    pub fn instance(&self, addr: &InstanceAddr) -> Option<&Instance> {
        self.instances.iter().find(|i| &i.addr == addr)
    }
}
