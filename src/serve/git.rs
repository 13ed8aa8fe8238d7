//! Fetching a stack's Git ref for the service through the gix source (`crate::source::git`), the
//! same code `--git` uses on the command line: a local repository is read in place, a URL is
//! mirrored under `<state>/git` and fetched incrementally, with the same credential handling
//! (`TERRANE_GIT_TOKEN`, credential helpers, never a URL password) and the same errors. The
//! configuration is read from the commit's tree (no checkout, so a half-written working copy can
//! never be planned). The service only needs "which commit, and what files": the [`Fetcher`]
//! trait, which the loop's tests fake.

use super::config::StackConfig;
use super::runner::{Commit, RunError};
use crate::source::git::GitRepo;
use crate::source::SourceTree;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A fetched commit and its files (any [`SourceTree`]: the loader reads `path` inside it).
#[derive(Clone)]
pub struct Fetched {
    pub commit: Commit,
    /// Paths relative to the repository root.
    pub tree: Arc<dyn SourceTree>,
}

impl std::fmt::Debug for Fetched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetched")
            .field("commit", &self.commit)
            .finish_non_exhaustive()
    }
}

/// Where a stack's configuration comes from.
#[async_trait::async_trait]
pub trait Fetcher: Send + Sync {
    async fn fetch(&self, stack: &StackConfig) -> Result<Fetched, RunError>;
}

/// Fetches through [`GitRepo`], with mirrors of remote repositories under `dir`.
pub struct GixFetcher {
    dir: PathBuf,
}

impl GixFetcher {
    pub fn new(dir: impl Into<PathBuf>) -> GixFetcher {
        GixFetcher { dir: dir.into() }
    }
}

#[async_trait::async_trait]
impl Fetcher for GixFetcher {
    async fn fetch(&self, stack: &StackConfig) -> Result<Fetched, RunError> {
        let (dir, spec, rev, path) = (
            self.dir.clone(),
            stack.git.clone(),
            stack.git_ref.clone(),
            stack.path.clone(),
        );
        // gix does blocking file and network I/O: keep it off the scheduler's threads.
        tokio::task::spawn_blocking(move || {
            let repo = GitRepo::open(&spec, &dir).map_err(|e| RunError::new(e.0))?;
            let source = repo.resolve(Some(&rev)).map_err(|e| RunError::new(e.0))?;
            let info = source.commit();
            let commit = Commit {
                id: info.id.clone(),
                author: info.author.clone(),
                message: info.summary().to_string(),
            };
            let files = source.list_files(Path::new(&path)).unwrap_or_default();
            if files.is_empty() {
                return Err(RunError::new(format!(
                    "commit {} has no files under {path:?} in {} (check the stack's `path`)",
                    commit.id,
                    repo.shown()
                )));
            }
            Ok(Fetched {
                commit,
                tree: Arc::new(source),
            })
        })
        .await
        .map_err(|e| RunError::new(format!("the Git fetch task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, args: &[&str]) {
        let ok = std::process::Command::new("git")
            .current_dir(dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "dev")
            .env("GIT_AUTHOR_EMAIL", "dev@example.invalid")
            .env("GIT_COMMITTER_NAME", "dev")
            .env("GIT_COMMITTER_EMAIL", "dev@example.invalid")
            .status()
            .expect("git runs")
            .success();
        assert!(ok, "git {args:?}");
    }

    #[tokio::test]
    async fn fetches_the_ref_and_reads_the_stack_directory() {
        let work = tempfile::tempdir().unwrap();
        let src = work.path().join("src");
        std::fs::create_dir_all(src.join("prod")).unwrap();
        std::fs::write(
            src.join("prod/main.tf"),
            "resource \"terraform_data\" \"a\" {}\n",
        )
        .unwrap();
        std::fs::write(src.join("README.md"), "not config\n").unwrap();
        sh(&src, &["init", "--quiet", "-b", "main"]);
        sh(&src, &["add", "."]);
        sh(&src, &["commit", "--quiet", "-m", "first"]);

        let f = GixFetcher::new(work.path().join("cache"));
        let mut s = StackConfig::new("prod", src.display().to_string());
        s.path = "prod".into();
        let got = f.fetch(&s).await.unwrap();
        assert_eq!(got.commit.id.len(), 40);
        assert_eq!(got.commit.message, "first");
        assert_eq!(got.commit.author, "dev <dev@example.invalid>");
        assert_eq!(
            got.tree.list_files(Path::new("prod")).unwrap(),
            vec!["main.tf".to_string()]
        );
        assert!(got
            .tree
            .read(Path::new("prod/main.tf"))
            .unwrap()
            .contains("terraform_data"));

        std::fs::write(src.join("prod/main.tf"), "# changed\n").unwrap();
        sh(&src, &["commit", "--quiet", "-am", "second"]);
        let again = f.fetch(&s).await.unwrap();
        assert_ne!(again.commit.id, got.commit.id);
        assert_eq!(
            again.tree.read(Path::new("prod/main.tf")).unwrap(),
            "# changed\n"
        );

        s.git_ref = "nope".into();
        let e = f.fetch(&s).await.unwrap_err();
        assert!(e.message.contains("ref `nope` not found"), "{e}");
        s.git_ref = "main".into();
        s.path = "missing".into();
        let e = f.fetch(&s).await.unwrap_err();
        assert!(e.message.contains("no files under"), "{e}");
    }
}
