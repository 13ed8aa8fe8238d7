//! Where configuration comes from: a directory on disk, or (see `git`) a commit's tree read
//! straight from a Git repository. The config loader only sees the `SourceTree` trait, so the
//! core never touches the filesystem itself.

pub mod git;

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A read-only tree of configuration files.
pub trait SourceTree: Send + Sync {
    /// File names (not directories) directly inside `dir`, sorted.
    fn list_files(&self, dir: &Path) -> Result<Vec<String>, String>;
    /// True if `dir` exists and is a directory.
    fn is_dir(&self, dir: &Path) -> bool;
    /// The file's text.
    fn read(&self, path: &Path) -> Result<String, String>;
}

/// Configuration read from a directory on disk.
#[derive(Debug, Clone)]
pub struct DirSource;

impl SourceTree for DirSource {
    fn list_files(&self, dir: &Path) -> Result<Vec<String>, String> {
        let rd = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read directory {}: {e}", dir.display()))?;
        let mut names = Vec::new();
        for ent in rd.flatten() {
            if ent.file_type().map(|t| t.is_file()).unwrap_or(false) {
                names.push(ent.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    fn is_dir(&self, dir: &Path) -> bool {
        dir.is_dir()
    }

    fn read(&self, path: &Path) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    }
}

/// Normalises `a/./b/../c` to `a/c` without touching the filesystem (Git trees have no cwd).
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// A reader closure over a source tree, for `file()` and `templatefile()`.
pub fn reader(tree: Arc<dyn SourceTree>) -> crate::config::program::FileReader {
    Arc::new(move |p: &Path| tree.read(&normalize(p)))
}

/// Configuration held in memory (tests, and trees read from Git).
#[derive(Debug, Clone, Default)]
pub struct MemSource {
    files: std::collections::BTreeMap<PathBuf, String>,
}

impl MemSource {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file at a relative path.
    pub fn file(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        self.files.insert(normalize(&path.into()), text.into());
        self
    }

    pub fn insert(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) {
        self.files.insert(normalize(&path.into()), text.into());
    }
}

impl SourceTree for MemSource {
    fn list_files(&self, dir: &Path) -> Result<Vec<String>, String> {
        let dir = normalize(dir);
        if !self.is_dir(&dir) {
            return Err(format!("no directory {}", dir.display()));
        }
        Ok(self
            .files
            .keys()
            .filter(|p| p.parent().map(normalize).as_deref() == Some(dir.as_path()))
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect())
    }

    fn is_dir(&self, dir: &Path) -> bool {
        let dir = normalize(dir);
        self.files.keys().any(|p| p.starts_with(&dir) && p != &dir)
    }

    fn read(&self, path: &Path) -> Result<String, String> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or_else(|| format!("no such file {}", path.display()))
    }
}
