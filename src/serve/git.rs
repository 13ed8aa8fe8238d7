//! Fetching a stack's Git ref for the service, through the `git` binary: one bare repository per
//! stack under the state directory, `git fetch` of the ref, and the configuration directory read
//! from the commit's tree into memory (no checkout, so a half-written working copy can never be
//! planned). The service only needs "which commit, and what files": the [`Fetcher`] trait, so
//! another Git implementation (the gix-based source) can replace this one without touching the
//! loop or the engine runner.

use super::config::StackConfig;
use super::runner::{Commit, RunError};
use crate::source::{MemSource, SourceTree};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

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

/// Files larger than this are not configuration; refusing them bounds memory.
const MAX_FILE: u64 = 8 * 1024 * 1024;

/// Fetches with the `git` command into `<dir>/<stack>.git`.
pub struct GitCli {
    dir: PathBuf,
    /// Last commit read per stack (with its path), so an unchanged ref costs one `git fetch`.
    last: std::sync::Mutex<std::collections::HashMap<String, (String, Fetched)>>,
}

impl GitCli {
    pub fn new(dir: impl Into<PathBuf>) -> GitCli {
        GitCli {
            dir: dir.into(),
            last: Default::default(),
        }
    }

    fn repo(&self, stack: &str) -> PathBuf {
        self.dir.join(format!("{stack}.git"))
    }
}

/// Runs git with prompts disabled (a service must never hang on a password question) and
/// returns stdout; errors carry git's own message, which never includes credentials because the
/// config refuses URLs with them.
async fn git(repo: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let mut cmd = Command::new("git");
    cmd.arg("--git-dir")
        .arg(repo)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "true")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run git (is it installed?): {e}"))?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let input = input.to_vec();
        // Write concurrently with reading stdout, or a large batch would deadlock on pipes.
        tokio::spawn(async move {
            let _ = pipe.write_all(&input).await;
        });
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| format!("git failed: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        let msg = String::from_utf8_lossy(&out.stderr);
        let msg = msg.trim();
        Err(format!(
            "git {} failed: {}",
            args.first().unwrap_or(&""),
            if msg.is_empty() { "no message" } else { msg }
        ))
    }
}

#[async_trait::async_trait]
impl Fetcher for GitCli {
    async fn fetch(&self, stack: &StackConfig) -> Result<Fetched, RunError> {
        let repo = self.repo(&stack.name);
        if !repo.join("HEAD").exists() {
            std::fs::create_dir_all(&repo)
                .map_err(|e| RunError::new(format!("cannot create {}: {e}", repo.display())))?;
            git(&repo, &["init", "--bare", "--quiet"], None)
                .await
                .map_err(RunError::new)?;
        }
        // A local path is fine for git too; `--` keeps a URL starting with '-' from being
        // taken as an option.
        let url = if Path::new(&stack.git).is_relative() && !stack.git.contains("://") {
            std::fs::canonicalize(&stack.git)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| stack.git.clone())
        } else {
            stack.git.clone()
        };
        git(
            &repo,
            &[
                "fetch",
                "--quiet",
                "--no-tags",
                "--force",
                "--",
                &url,
                &stack.git_ref,
            ],
            None,
        )
        .await
        .map_err(RunError::new)?;
        let head = git(&repo, &["rev-parse", "FETCH_HEAD^{commit}"], None)
            .await
            .map_err(RunError::new)?;
        let head = String::from_utf8_lossy(&head).trim().to_string();
        {
            let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((path, f)) = last.get(&stack.name) {
                if f.commit.id == head && *path == stack.path {
                    return Ok(f.clone());
                }
            }
        }
        let log = git(
            &repo,
            &["log", "-1", "--format=%H%x00%an%x00%s", &head],
            None,
        )
        .await
        .map_err(RunError::new)?;
        let log = String::from_utf8_lossy(&log);
        let mut parts = log.trim_end().splitn(3, '\0');
        let id = parts.next().unwrap_or_default().to_string();
        let commit = Commit {
            id: id.clone(),
            author: parts.next().unwrap_or_default().to_string(),
            message: parts.next().unwrap_or_default().to_string(),
        };
        let (tree, files) = read_tree(&repo, &id, &stack.path)
            .await
            .map_err(RunError::new)?;
        if files == 0 {
            return Err(RunError::new(format!(
                "commit {id} has no files under {:?} (check the stack's `path`)",
                stack.path
            )));
        }
        let fetched = Fetched {
            commit,
            tree: Arc::new(tree),
        };
        self.last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(stack.name.clone(), (stack.path.clone(), fetched.clone()));
        Ok(fetched)
    }
}

/// Reads every blob under `path` at `commit` into memory with two git calls.
async fn read_tree(repo: &Path, commit: &str, path: &str) -> Result<(MemSource, usize), String> {
    let spec = if path == "." || path.is_empty() {
        ".".to_string()
    } else {
        path.trim_end_matches('/').to_string()
    };
    let listing = git(
        repo,
        &["ls-tree", "-r", "-z", "--full-tree", commit, "--", &spec],
        None,
    )
    .await?;
    // "<mode> <type> <oid>\t<path>\0"
    let mut entries: Vec<(String, String)> = Vec::new();
    for rec in listing.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let rec = String::from_utf8_lossy(rec);
        let Some((meta, p)) = rec.split_once('\t') else {
            continue;
        };
        let mut m = meta.split(' ');
        let (mode, kind, oid) = (m.next(), m.next(), m.next());
        if kind == Some("blob") && matches!(mode, Some("100644") | Some("100755")) {
            if let Some(oid) = oid {
                entries.push((oid.to_string(), p.to_string()));
            }
        }
    }
    let mut tree = MemSource::new();
    if entries.is_empty() {
        return Ok((tree, 0));
    }
    let input: String = entries.iter().map(|(o, _)| format!("{o}\n")).collect();
    let out = git(repo, &["cat-file", "--batch"], Some(input.as_bytes())).await?;
    // "<oid> blob <size>\n<content>\n" per entry, in input order.
    let mut pos = 0usize;
    for (_, p) in &entries {
        let nl = out[pos..]
            .iter()
            .position(|b| *b == b'\n')
            .ok_or("git cat-file: truncated output")?;
        let header = String::from_utf8_lossy(&out[pos..pos + nl]).to_string();
        pos += nl + 1;
        let size: u64 = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("git cat-file: unexpected header {header:?}"))?;
        let end = pos + size as usize;
        if end > out.len() {
            return Err("git cat-file: truncated output".into());
        }
        if size <= MAX_FILE {
            if let Ok(text) = std::str::from_utf8(&out[pos..end]) {
                tree.insert(p.as_str(), text);
            }
        }
        pos = end + 1;
    }
    let n = entries.len();
    Ok((tree, n))
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

        let f = GitCli::new(work.path().join("cache"));
        let mut s = StackConfig::new("prod", src.display().to_string());
        s.path = "prod".into();
        let got = f.fetch(&s).await.unwrap();
        assert_eq!(got.commit.id.len(), 40);
        assert_eq!(got.commit.message, "first");
        assert_eq!(got.commit.author, "dev");
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
        assert!(e.message.contains("git fetch failed"), "{e}");
        s.git_ref = "main".into();
        s.path = "missing".into();
        let e = f.fetch(&s).await.unwrap_err();
        assert!(e.message.contains("no files under"), "{e}");
    }
}
