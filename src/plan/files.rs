//! Which changed files produced which resource changes, for the `--base` section of a
//! pull-request comment. Reviewers read a PR file by file; this joins the files a PR touches
//! (from Git, computed at the edge) with the file each planned resource is declared in (from
//! the config model's spans). Pure data, no I/O.

use crate::config::Config;
use crate::plan::{Action, Plan};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a file differs between the base and the head commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Added,
    Modified,
    Deleted,
}

impl FileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Added => "added",
            FileStatus::Modified => "modified",
            FileStatus::Deleted => "deleted",
        }
    }
}

/// One file that differs, by its path from the repository root (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedFile {
    pub path: String,
    pub status: FileStatus,
}

/// The comparison of a plan's commit with a base revision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseComparison {
    /// The base revision as given (`main`).
    pub base_ref: String,
    /// Its commit id.
    pub base_commit: String,
    /// Files that differ, sorted by path.
    pub files: Vec<ChangedFile>,
    /// Resource instance address -> the file it is declared in (repository-relative).
    pub declared_in: BTreeMap<String, String>,
}

/// One changed file with the resource changes declared in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChanges<'a> {
    pub file: &'a ChangedFile,
    /// (action, address) of each actionable change declared in this file, in plan order.
    pub changes: Vec<(Action, &'a str)>,
}

/// The file every instance of `cfg` is declared in, by instance address. Files are named as
/// the loader shows them: relative to the repository root when the configuration path is.
pub fn declared_in(cfg: &Config) -> BTreeMap<String, String> {
    cfg.instances
        .iter()
        .map(|i| {
            let name = cfg.sources.file(i.span.file).name.clone();
            (i.addr.to_string(), name.replace('\\', "/"))
        })
        .collect()
}

impl BaseComparison {
    /// Adds declarations from another configuration (the base commit's) for addresses not yet
    /// known, so deleted resources map to the file they were removed from.
    pub fn add_declarations(&mut self, more: BTreeMap<String, String>) {
        for (addr, file) in more {
            self.declared_in.entry(addr).or_insert(file);
        }
    }

    /// Each changed file with the actionable changes declared in it, and the actionable
    /// changes declared in no changed file (caused through references, variables or drift).
    pub fn group<'a>(&'a self, plan: &'a Plan) -> (Vec<FileChanges<'a>>, Vec<(Action, &'a str)>) {
        let mut by_file: BTreeMap<&str, Vec<(Action, &str)>> = BTreeMap::new();
        let mut elsewhere = Vec::new();
        for c in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
            let file = self.declared_in.get(&c.address).map(String::as_str);
            match file.filter(|f| self.files.iter().any(|cf| cf.path == *f)) {
                Some(f) => by_file
                    .entry(f)
                    .or_default()
                    .push((c.action, c.address.as_str())),
                None => elsewhere.push((c.action, c.address.as_str())),
            }
        }
        let files = self
            .files
            .iter()
            .map(|f| FileChanges {
                file: f,
                changes: by_file.remove(f.path.as_str()).unwrap_or_default(),
            })
            .collect();
        (files, elsewhere)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Change, PlanMeta, Summary};

    fn change(addr: &str, action: Action) -> Change {
        Change {
            address: addr.to_string(),
            type_name: "terraform_data".to_string(),
            provider: "terraform".to_string(),
            action,
            reasons: vec![],
            attrs: vec![],
            before: None,
            after: None,
            sensitive_attrs: Default::default(),
            create_before_destroy: false,
            prevent_destroy: false,
            dependencies: vec![],
        }
    }

    #[test]
    fn groups_changes_by_declaring_file() {
        let plan = Plan {
            format_version: Plan::FORMAT_VERSION,
            meta: PlanMeta {
                stack: "s".into(),
                commit: None,
                commit_message: None,
                created_at: String::new(),
                config_hash: String::new(),
                store_fingerprint: String::new(),
                cloud_fingerprint: String::new(),
                terrane_version: String::new(),
                git: None,
            },
            changes: vec![
                change("terraform_data.a", Action::Create),
                change("terraform_data.b", Action::NoOp),
                change("terraform_data.c", Action::Update),
                change("terraform_data.gone", Action::Delete),
            ],
            outputs: vec![],
            summary: Summary::default(),
            moved: vec![],
            imported: vec![],
            desired_updates: vec![],
        };
        let mut cmp = BaseComparison {
            base_ref: "main".into(),
            base_commit: "abc".into(),
            files: vec![
                ChangedFile {
                    path: "infra/a.tf".into(),
                    status: FileStatus::Modified,
                },
                ChangedFile {
                    path: "infra/old.tf".into(),
                    status: FileStatus::Deleted,
                },
                ChangedFile {
                    path: "README.md".into(),
                    status: FileStatus::Modified,
                },
            ],
            declared_in: [
                ("terraform_data.a", "infra/a.tf"),
                ("terraform_data.b", "infra/a.tf"),
                ("terraform_data.c", "infra/c.tf"),
            ]
            .into_iter()
            .map(|(a, f)| (a.to_string(), f.to_string()))
            .collect(),
        };
        cmp.add_declarations(
            [
                ("terraform_data.gone", "infra/old.tf"),
                ("terraform_data.a", "x.tf"),
            ]
            .into_iter()
            .map(|(a, f)| (a.to_string(), f.to_string()))
            .collect(),
        );
        assert_eq!(cmp.declared_in["terraform_data.a"], "infra/a.tf");
        let (files, elsewhere) = cmp.group(&plan);
        assert_eq!(files.len(), 3);
        assert_eq!(files[0].changes, vec![(Action::Create, "terraform_data.a")]);
        assert_eq!(
            files[1].changes,
            vec![(Action::Delete, "terraform_data.gone")]
        );
        assert!(files[2].changes.is_empty());
        assert_eq!(elsewhere, vec![(Action::Update, "terraform_data.c")]);
    }
}
