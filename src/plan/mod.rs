//! The plan: what terrane would do to make the cloud match the configuration, per resource, with
//! attribute-level diffs and the reasons behind each action. It is pure data: `diff` builds one
//! `Change` per resource from values the engine hands in, the renderers print it, and the whole
//! `Plan` serialises to a file (`plan --out`) so `apply` can later execute exactly what was shown.

pub mod compare;
pub mod diff;
pub mod files;
pub mod render;

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use terrane_provider::Value;

pub use diff::{diff_resource, DiffInput};

/// What will happen to one resource instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    /// Destroy and create again (order set by `Change::create_before_destroy`).
    Replace,
    Delete,
    /// A data source read during apply because its arguments are not known at plan time.
    Read,
    /// Drop from the store but leave the object in the cloud (`deletionPolicy: Orphan`, or an
    /// observe-only resource removed from the configuration).
    Forget,
}

impl Action {
    /// The lower-case name used in JSON and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::NoOp => "no-op",
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Read => "read",
            Action::Forget => "forget",
        }
    }

    /// True if the cloud object is destroyed (Delete, or the destroy half of Replace).
    pub fn destroys(self) -> bool {
        matches!(self, Action::Delete | Action::Replace)
    }
}

/// Why a resource has its action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// In the configuration, not in the cloud, and never applied.
    NewInConfig,
    /// The configuration asks for something the cloud does not have.
    ConfigChanged,
    /// The cloud differs from what was last applied while the configuration did not change.
    Drifted,
    /// These attribute paths changed and cannot be updated in place.
    ForcesReplacement(Vec<String>),
    RemovedFromConfig,
    /// Deleted in the cloud outside terrane; it will be created again.
    Gone,
    /// `lifecycle.replace_triggered_by` names this changed reference.
    ReplaceTriggeredBy(String),
    DataSource,
}

impl Reason {
    /// Stable machine name (JSON `kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Reason::NewInConfig => "new_in_config",
            Reason::ConfigChanged => "config_changed",
            Reason::Drifted => "drifted",
            Reason::ForcesReplacement(_) => "forces_replacement",
            Reason::RemovedFromConfig => "removed_from_config",
            Reason::Gone => "gone",
            Reason::ReplaceTriggeredBy(_) => "replace_triggered_by",
            Reason::DataSource => "data_source",
        }
    }

    /// Why, as a clause to follow "because", used by every renderer.
    pub fn describe(&self) -> String {
        match self {
            Reason::NewInConfig => "it is new in the configuration".to_string(),
            Reason::ConfigChanged => "the configuration changed".to_string(),
            Reason::Drifted => "it drifted: changed in the cloud outside terrane".to_string(),
            Reason::ForcesReplacement(paths) => {
                let verb = if paths.len() == 1 { "forces" } else { "force" };
                format!("{} {verb} replacement", paths.join(", "))
            }
            Reason::RemovedFromConfig => "it is no longer in the configuration".to_string(),
            Reason::Gone => "it was deleted in the cloud outside terrane".to_string(),
            Reason::ReplaceTriggeredBy(by) => format!("replace_triggered_by {by} changed"),
            Reason::DataSource => "it is a data source".to_string(),
        }
    }
}

/// One attribute that differs between the cloud (`before`) and the planned value (`after`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttrChange {
    /// Path from the resource root: `bucket`, `tags.Env`, `ingress[0].from_port`,
    /// `tags["kubernetes.io/role"]`.
    pub path: String,
    /// None = absent (null).
    pub before: Option<Value>,
    /// None = absent (null); `Some(Value::Unknown)` = known after apply.
    pub after: Option<Value>,
    pub sensitive: bool,
    pub forces_replacement: bool,
    /// The cloud moved away from what was last applied; the configuration did not change here.
    pub drift: bool,
}

/// The plan for one resource instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub address: String,
    pub type_name: String,
    pub provider: String,
    pub action: Action,
    pub reasons: Vec<Reason>,
    pub attrs: Vec<AttrChange>,
    /// Current cloud value (None = does not exist).
    pub before: Option<Value>,
    /// Planned value, with `Value::Unknown` for what is known only after apply. This is what
    /// dependents see during plan evaluation. None = will not exist.
    pub after: Option<Value>,
    /// Paths whose values must never be printed: top-level names from the configuration
    /// (sensitive variables) and concrete schema-sensitive paths found in `before`/`after`.
    /// A path masks everything below it.
    pub sensitive_attrs: BTreeSet<String>,
    pub create_before_destroy: bool,
    /// `lifecycle.prevent_destroy` of the resource. When the action destroys
    /// (`blocked_by_prevent_destroy`), the engine must refuse to apply the plan.
    pub prevent_destroy: bool,
    /// Addresses this resource depends on (for apply ordering and display).
    pub dependencies: Vec<String>,
}

impl Change {
    /// True if this change would destroy a resource protected by `prevent_destroy`.
    pub fn blocked_by_prevent_destroy(&self) -> bool {
        self.prevent_destroy && self.action.destroys()
    }

    /// The attribute paths that force replacement.
    pub fn forcing_paths(&self) -> Vec<&str> {
        self.attrs
            .iter()
            .filter(|a| a.forces_replacement)
            .map(|a| a.path.as_str())
            .collect()
    }

    /// True if a value at `path` must be masked.
    pub fn is_sensitive_path(&self, path: &str) -> bool {
        is_sensitive_path(path, &self.sensitive_attrs)
    }
}

/// A root-module output whose value changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputChange {
    pub name: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sensitive: bool,
}

impl OutputChange {
    /// Create, Update, Delete or NoOp, compared semantically.
    pub fn action(&self) -> Action {
        match (&self.before, &self.after) {
            (None, None) => Action::NoOp,
            (None, Some(_)) => Action::Create,
            (Some(_), None) => Action::Delete,
            (Some(b), Some(a)) => {
                if compare::dyn_eq(b, a) {
                    Action::NoOp
                } else {
                    Action::Update
                }
            }
        }
    }
}

/// How many resources get each action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub read: usize,
    pub noop: usize,
    pub forget: usize,
}

impl Summary {
    pub fn of(changes: &[Change]) -> Summary {
        let mut s = Summary::default();
        for c in changes {
            match c.action {
                Action::NoOp => s.noop += 1,
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Replace => s.replace += 1,
                Action::Delete => s.delete += 1,
                Action::Read => s.read += 1,
                Action::Forget => s.forget += 1,
            }
        }
        s
    }

    /// Terraform's counting: a replacement is one add and one destroy.
    pub fn to_add(&self) -> usize {
        self.create + self.replace
    }
    pub fn to_change(&self) -> usize {
        self.update
    }
    pub fn to_destroy(&self) -> usize {
        self.delete + self.replace
    }

    /// True if applying would change any resource (reads alone do not count).
    pub fn has_resource_changes(&self) -> bool {
        self.create + self.update + self.replace + self.delete + self.forget > 0
    }
}

/// Where and when a plan was made, so `apply` can tell if the world moved underneath it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanMeta {
    pub stack: String,
    pub commit: Option<String>,
    pub commit_message: Option<String>,
    /// RFC 3339 timestamp.
    pub created_at: String,
    pub config_hash: String,
    pub store_fingerprint: String,
    pub cloud_fingerprint: String,
    pub terrane_version: String,
    /// Where the configuration was read from when it came from Git: `apply PLANFILE` reads the
    /// same place and refuses if the ref has moved past `commit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitOrigin>,
}

/// The repository, revision and directory a plan's configuration was read from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitOrigin {
    /// The repository as given (a local path made absolute, or a URL without user info).
    pub repo: String,
    /// The revision as given (`main`, `v1.2`, a commit id); HEAD when none was.
    pub rev: String,
    /// The configuration directory, relative to the repository root.
    pub path: String,
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Version of the saved plan file format; see `Plan::FORMAT_VERSION`.
    pub format_version: u32,
    pub meta: PlanMeta,
    pub changes: Vec<Change>,
    pub outputs: Vec<OutputChange>,
    pub summary: Summary,
    /// `moved` blocks that take effect: the store record at `from` is renamed to `to` before
    /// anything else is applied. The changes above already use the new addresses.
    #[serde(default)]
    pub moved: Vec<Move>,
    /// Existing cloud objects adopted by `import` blocks; apply records them in the store.
    #[serde(default)]
    pub imported: Vec<Imported>,
    /// Resources left as they are whose configuration differs from the one last recorded
    /// (the cloud already matched it, or they were just imported): apply records the new
    /// configuration as last applied, so later plans and drift reports compare against it.
    #[serde(default)]
    pub desired_updates: Vec<DesiredUpdate>,
}

/// A new last-applied configuration for a resource that needs no cloud change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesiredUpdate {
    pub address: String,
    pub desired: Value,
}

/// A resource renamed by a `moved` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    pub from: String,
    pub to: String,
}

/// A cloud object adopted by an `import` block, as read at plan time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Imported {
    pub address: String,
    pub type_name: String,
    pub provider: String,
    pub id: String,
    pub value: Value,
}

/// A saved plan file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("the plan file is not valid: {0}")]
    Invalid(#[from] serde_json::Error),
    #[error(
        "the plan file has format version {found}, this terrane reads version {expected}; \
         make the plan again with this version of terrane"
    )]
    Version { found: u32, expected: u32 },
}

impl Plan {
    pub const FORMAT_VERSION: u32 = 1;

    /// Builds a plan and its summary.
    pub fn new(meta: PlanMeta, changes: Vec<Change>, outputs: Vec<OutputChange>) -> Plan {
        let summary = Summary::of(&changes);
        Plan {
            format_version: Self::FORMAT_VERSION,
            meta,
            changes,
            outputs,
            summary,
            moved: Vec::new(),
            imported: Vec::new(),
            desired_updates: Vec::new(),
        }
    }

    /// The address a `moved` block renames to `address` in this plan.
    pub fn previous_address(&self, address: &str) -> Option<&str> {
        self.moved
            .iter()
            .find(|m| m.to == address)
            .map(|m| m.from.as_str())
    }

    /// The cloud object an `import` block adopts as `address` in this plan.
    pub fn importing(&self, address: &str) -> Option<&Imported> {
        self.imported.iter().find(|i| i.address == address)
    }

    /// True if applying would change a resource or an output.
    pub fn has_changes(&self) -> bool {
        self.summary.has_resource_changes()
            || !self.moved.is_empty()
            || !self.imported.is_empty()
            || self.outputs.iter().any(|o| o.action() != Action::NoOp)
    }

    /// Changes the engine must refuse because of `prevent_destroy`.
    pub fn prevent_destroy_violations(&self) -> Vec<&Change> {
        self.changes
            .iter()
            .filter(|c| c.blocked_by_prevent_destroy())
            .collect()
    }

    /// The saved plan file (holds real values, sensitive ones included, as Terraform's does).
    pub fn to_file_string(&self) -> Result<String, PlanFileError> {
        Ok(serde_json::to_string(self)?)
    }

    /// Reads a saved plan file, refusing other format versions.
    pub fn from_file_str(s: &str) -> Result<Plan, PlanFileError> {
        #[derive(Deserialize)]
        struct Head {
            format_version: u32,
        }
        let head: Head = serde_json::from_str(s)?;
        if head.format_version != Self::FORMAT_VERSION {
            return Err(PlanFileError::Version {
                found: head.format_version,
                expected: Self::FORMAT_VERSION,
            });
        }
        Ok(serde_json::from_str(s)?)
    }
}

/// Appends an object key to a path: `tags.Env`, or `tags["kubernetes.io/role"]` for keys that
/// are not identifiers.
pub fn join_key(parent: &str, key: &str) -> String {
    let ident = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    match (parent.is_empty(), ident) {
        (true, true) => key.to_string(),
        (true, false) => format!("[{}]", serde_json::Value::String(key.to_string())),
        (false, true) => format!("{parent}.{key}"),
        (false, false) => format!("{parent}[{}]", serde_json::Value::String(key.to_string())),
    }
}

/// Appends a list index to a path: `ingress[0]`.
pub fn join_index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// True if `path` is in `set` or lies below a path in it.
pub fn is_sensitive_path(path: &str, set: &BTreeSet<String>) -> bool {
    set.iter().any(|p| is_at_or_below(path, p))
}

/// True if `path` equals `ancestor` or lies below it.
pub fn is_at_or_below(path: &str, ancestor: &str) -> bool {
    path == ancestor
        || path
            .strip_prefix(ancestor)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_and_nest() {
        assert_eq!(join_key("", "tags"), "tags");
        assert_eq!(join_key("tags", "Env"), "tags.Env");
        assert_eq!(
            join_key("tags", "kubernetes.io/role"),
            "tags[\"kubernetes.io/role\"]"
        );
        assert_eq!(join_index("ingress", 2), "ingress[2]");
        let set: BTreeSet<String> = ["password".to_string()].into();
        assert!(is_sensitive_path("password", &set));
        assert!(is_sensitive_path("password[0].x", &set));
        assert!(!is_sensitive_path("password_length", &set));
    }

    #[test]
    fn plan_file_round_trips_and_checks_version() {
        let change = Change {
            address: "aws_s3_bucket.b".into(),
            type_name: "aws_s3_bucket".into(),
            provider: "aws".into(),
            action: Action::Create,
            reasons: vec![Reason::ForcesReplacement(vec!["bucket".into()])],
            attrs: vec![],
            before: None,
            after: Some(Value::map([("arn", Value::Unknown)])),
            sensitive_attrs: BTreeSet::new(),
            create_before_destroy: false,
            prevent_destroy: false,
            dependencies: vec![],
        };
        let plan = Plan::new(PlanMeta::default(), vec![change], vec![]);
        let s = plan.to_file_string().unwrap();
        let back = Plan::from_file_str(&s).unwrap();
        assert_eq!(back, plan);
        assert_eq!(back.summary.create, 1);

        let bumped = s.replacen("\"format_version\":1", "\"format_version\":7", 1);
        let err = Plan::from_file_str(&bumped).unwrap_err();
        assert!(err.to_string().contains("format version 7"), "{err}");
        assert!(Plan::from_file_str("{not json").is_err());
    }
}
