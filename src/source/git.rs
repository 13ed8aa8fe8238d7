//! Configuration read straight from a Git commit, without a checkout.
//!
//! Git is the source of truth: a plan or an apply names a commit, not whatever happens to be in
//! a working directory. `GitRepo` opens a local repository (a working copy or a bare repo) or
//! keeps a bare mirror of a remote one (`http(s)://`, `file://`, `ssh://`) in a cache directory
//! under the state dir, fetched incrementally on later runs. `GitRepo::resolve` turns a revision
//! (branch, tag, commit id, `HEAD~1`, ...) into a `GitSource`: a `SourceTree` over that commit's
//! tree that the config loader reads like a directory, plus the commit's id, author and message
//! for the run history.
//!
//! Credentials never come from the URL (they would end up in the mirror's files and in logs):
//! a URL with a password is refused; `TERRANE_GIT_TOKEN` (and optionally
//! `TERRANE_GIT_USERNAME`) or git's credential helpers supply them. Every URL we print goes
//! through `redact_url`.

use super::{normalize, SourceTree};
use gix::bstr::ByteSlice;
use gix::hash::ObjectId;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// Environment variable holding an HTTPS token (a GitHub/GitLab personal access token).
pub const TOKEN_ENV: &str = "TERRANE_GIT_TOKEN";
/// Environment variable naming the user sent with the token (default `x-access-token`).
pub const USERNAME_ENV: &str = "TERRANE_GIT_USERNAME";

/// Refspecs of a mirror: every branch and tag under its own name, forced (branches may be
/// rewritten upstream), plus `HEAD` so the remote's default branch is known.
const MIRROR_REFSPECS: [&str; 2] = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

/// A failure to open, fetch or read a repository; the text is one paragraph that says what to
/// do, with any URL redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitError(pub String);

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GitError {}

/// The commit a configuration was read from, as recorded in the run history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommitInfo {
    /// Full hex object id.
    pub id: String,
    /// `Name <email>`.
    pub author: String,
    /// The full commit message, trailing whitespace removed.
    pub message: String,
    /// Author time, RFC 3339.
    pub time: String,
}

impl CommitInfo {
    /// The first line of the message.
    pub fn summary(&self) -> &str {
        self.message.lines().next().unwrap_or("").trim()
    }

    /// The first 12 hex digits of the id.
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(12)]
    }
}

/// How a file differs between two commits.
pub use crate::plan::files::{ChangedFile, FileStatus};

/// Where the repository came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A repository on this machine, opened in place.
    Local(PathBuf),
    /// A remote mirrored under the cache directory.
    Mirror {
        /// The URL with any userinfo removed.
        url: String,
        /// The bare mirror.
        dir: PathBuf,
        /// True when this run created the mirror (a clone); false when it fetched into an
        /// existing one.
        cloned: bool,
    },
}

/// An opened repository (local, or a fetched mirror).
#[derive(Clone)]
pub struct GitRepo {
    repo: gix::ThreadSafeRepository,
    origin: Origin,
    /// The URL to fetch from (a mirror's; never carries a password).
    fetch_url: Option<String>,
    /// What the user passed, redacted, for messages.
    shown: String,
}

impl std::fmt::Debug for GitRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitRepo")
            .field("origin", &self.origin)
            .finish()
    }
}

/// True if `spec` names a remote (a URL with a scheme we fetch from) rather than a local path.
pub fn is_url(spec: &str) -> bool {
    ["http://", "https://", "file://", "ssh://", "git://"]
        .iter()
        .any(|p| spec.len() > p.len() && spec[..p.len()].eq_ignore_ascii_case(p))
}

/// The URL with its userinfo (user and password) removed, safe to print and to hash.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &url[..scheme_end + 3], &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// Whether the URL carries a password (`user:secret@host`).
fn url_has_password(url: &str) -> bool {
    let Some(scheme_end) = url.find("://") else {
        return false;
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    rest[..authority_end]
        .rfind('@')
        .is_some_and(|at| rest[..at].contains(':'))
}

/// Directory name of a URL's mirror: a stable hash of the redacted URL, so the same remote
/// always maps to the same mirror and no secret ends up in a path.
pub fn mirror_dir_name(url: &str) -> String {
    use sha2::{Digest, Sha256};
    let redacted = redact_url(url.trim_end_matches('/'));
    let digest = Sha256::digest(redacted.as_bytes());
    hex::encode(&digest[..12])
}

/// Joins an error and its sources into one line, redacting URLs' userinfo and the token.
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    scrub(&parts.join(": "))
}

/// Removes anything secret from a message: the token's value and URL userinfo.
fn scrub(text: &str) -> String {
    let mut out = text.to_string();
    if let Ok(token) = std::env::var(TOKEN_ENV) {
        if !token.is_empty() {
            out = out.replace(&token, "***");
        }
    }
    out.split(' ')
        .map(|w| {
            if w.contains("://") {
                redact_url(w)
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl GitRepo {
    /// Opens `spec`: a local repository path, or a URL mirrored under `cache_dir` (created on
    /// first use, fetched on every later one).
    pub fn open(spec: &str, cache_dir: &Path) -> Result<GitRepo, GitError> {
        if is_url(spec) {
            Self::open_remote(spec, cache_dir)
        } else {
            Self::open_local(Path::new(spec))
        }
    }

    fn open_local(path: &Path) -> Result<GitRepo, GitError> {
        let shown = path.display().to_string();
        if !path.exists() {
            return Err(GitError(format!(
                "Git repository {shown} does not exist. Pass --git a path to a Git repository \
                 (a working copy or a bare repository) or an http(s):// or file:// URL."
            )));
        }
        let repo = gix::open(path).map_err(|e| {
            GitError(format!(
                "{shown} is not a Git repository ({}). Pass --git the top of a working copy, a \
                 .git directory or a bare repository, or an http(s):// or file:// URL.",
                describe(&e)
            ))
        })?;
        Ok(GitRepo {
            repo: repo.into_sync(),
            origin: Origin::Local(path.to_path_buf()),
            fetch_url: None,
            shown,
        })
    }

    fn open_remote(url: &str, cache_dir: &Path) -> Result<GitRepo, GitError> {
        let shown = redact_url(url);
        if url_has_password(url) {
            return Err(GitError(format!(
                "the URL {shown} carries a password; terrane never takes credentials from a URL \
                 (they would be stored in the mirror and could be printed). Remove them from the \
                 URL and set {TOKEN_ENV} (and {USERNAME_ENV} if the server needs a user name), or \
                 configure a git credential helper."
            )));
        }
        let dir = cache_dir.join(mirror_dir_name(url));
        let cloned = !dir.join("HEAD").exists();
        let repo = if cloned {
            Self::clone_mirror(url, &shown, &dir)?
        } else {
            let repo = gix::open(&dir).map_err(|e| {
                GitError(format!(
                    "the cached mirror of {shown} at {} cannot be opened ({}). Delete that \
                     directory; the next run clones the repository again.",
                    dir.display(),
                    describe(&e)
                ))
            })?;
            fetch_into(&repo, url, &shown, None)?;
            repo
        };
        Ok(GitRepo {
            repo: repo.into_sync(),
            origin: Origin::Mirror {
                url: shown.clone(),
                dir,
                cloned,
            },
            fetch_url: Some(url.to_string()),
            shown,
        })
    }

    /// Clones into a temporary directory next to `dir` and renames it into place, so an
    /// interrupted clone never leaves a half-filled mirror behind.
    fn clone_mirror(url: &str, shown: &str, dir: &Path) -> Result<gix::Repository, GitError> {
        let parent = dir.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|e| {
            GitError(format!(
                "cannot create the Git cache directory {}: {e}. Check that the state directory \
                 (--state) is writable.",
                parent.display()
            ))
        })?;
        let tmp = parent.join(format!(
            ".{}.tmp-{}",
            dir.file_name().and_then(|n| n.to_str()).unwrap_or("mirror"),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&tmp);
        let result = (|| {
            let repo = gix::init_bare(&tmp).map_err(|e| {
                GitError(format!(
                    "cannot create a mirror in {}: {}",
                    tmp.display(),
                    describe(&e)
                ))
            })?;
            fetch_into(&repo, url, shown, None)?;
            std::fs::write(
                tmp.join("terrane-mirror"),
                format!("mirror of {shown}, created by terrane\n"),
            )
            .map_err(|e| GitError(format!("cannot write to {}: {e}", tmp.display())))?;
            drop(repo);
            if let Err(e) = std::fs::rename(&tmp, dir) {
                // Another run may have finished the same clone first: use its mirror.
                if !dir.join("HEAD").exists() {
                    return Err(GitError(format!(
                        "cannot move the new mirror into {}: {e}",
                        dir.display()
                    )));
                }
                let _ = std::fs::remove_dir_all(&tmp);
            }
            gix::open(dir).map_err(|e| {
                GitError(format!(
                    "cannot open the new mirror {}: {}",
                    dir.display(),
                    describe(&e)
                ))
            })
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        result
    }

    /// Where the repository came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The repository as the user named it, redacted.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// How to name this repository in a saved plan so a later run finds it again: a local path
    /// made absolute, or the URL without user info (which maps to the same mirror).
    pub fn recorded_location(&self) -> String {
        match &self.origin {
            Origin::Local(p) => std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string(),
            Origin::Mirror { url, .. } => url.clone(),
        }
    }

    /// The revision used when none is given: `HEAD` (a mirror's HEAD follows the remote's
    /// default branch).
    pub const DEFAULT_REV: &'static str = "HEAD";

    /// Resolves a revision to a commit and returns its tree as a source.
    pub fn resolve(&self, rev: Option<&str>) -> Result<GitSource, GitError> {
        let rev = rev.unwrap_or(Self::DEFAULT_REV);
        if self.fetch_extra(rev).is_err() {
            // The mirror was fetched moments ago, so the remote is reachable: it lacks the ref.
            return Err(self.not_found(rev, "the remote has no such ref or commit"));
        }
        let repo = self.repo.to_thread_local();
        let id = self.resolve_id(&repo, rev)?;
        let commit = repo
            .find_commit(id)
            .map_err(|e| GitError(format!("cannot read commit {id}: {}", describe(&e))))?;
        let tree = commit
            .tree_id()
            .map_err(|e| GitError(format!("cannot read commit {id}: {}", describe(&e))))?
            .detach();
        Ok(GitSource {
            repo: self.repo.clone(),
            tree,
            rev: rev.to_string(),
            commit: commit_info(&commit)?,
        })
    }

    /// A mirror holds branches and tags. Other refs (`refs/pull/42/head`,
    /// `refs/merge-requests/7/head`) are fetched each time they are asked for, and a full commit
    /// id the mirror lacks is fetched by id (servers allow that for reachable commits).
    fn fetch_extra(&self, rev: &str) -> Result<(), GitError> {
        let Some(url) = &self.fetch_url else {
            return Ok(());
        };
        let spec = if rev.starts_with("refs/")
            && !rev.starts_with("refs/heads/")
            && !rev.starts_with("refs/tags/")
        {
            format!("+{rev}:{rev}")
        } else if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            let repo = self.repo.to_thread_local();
            let have = ObjectId::from_hex(rev.as_bytes())
                .ok()
                .is_some_and(|id| repo.find_commit(id).is_ok());
            if have {
                return Ok(());
            }
            rev.to_ascii_lowercase()
        } else {
            return Ok(());
        };
        let repo = self.repo.to_thread_local();
        fetch_into(&repo, url, &self.shown, Some(&spec))
    }

    fn not_found(&self, rev: &str, why: &str) -> GitError {
        let hint = match &self.origin {
            Origin::Local(_) => format!("`git -C {} branch -a` and `git tag`", self.shown),
            Origin::Mirror { .. } => format!("`git ls-remote {}`", self.shown),
        };
        GitError(format!(
            "ref `{rev}` not found in {} ({why}). Pass --ref a branch, tag, commit id or \
             revision expression that exists there (list them with {hint}).",
            self.shown
        ))
    }

    fn resolve_id(&self, repo: &gix::Repository, rev: &str) -> Result<ObjectId, GitError> {
        let not_found = |why: String| self.not_found(rev, &why);
        if rev.trim().is_empty() || rev.starts_with('-') {
            return Err(not_found("not a revision".to_string()));
        }
        let object = repo
            .rev_parse_single(rev)
            .map_err(|e| not_found(describe(&e)))?
            .object()
            .map_err(|e| not_found(describe(&e)))?;
        let commit = object
            .peel_to_commit()
            .map_err(|_| not_found("it does not name a commit".to_string()))?;
        Ok(commit.id)
    }

    /// The files that differ between `base` and `head`, comparing `head` against the merge base
    /// of the two (what a pull request from `head` into `base` changes), sorted by path.
    pub fn changed_files(
        &self,
        base: &GitSource,
        head: &GitSource,
    ) -> Result<Vec<ChangedFile>, GitError> {
        let repo = self.repo.to_thread_local();
        let base_id = ObjectId::from_hex(base.commit.id.as_bytes())
            .map_err(|e| GitError(format!("bad commit id {}: {e}", base.commit.id)))?;
        let head_id = ObjectId::from_hex(head.commit.id.as_bytes())
            .map_err(|e| GitError(format!("bad commit id {}: {e}", head.commit.id)))?;
        let fork_tree = match repo.merge_base(base_id, head_id) {
            Ok(Some(mb)) if mb.detach() != base_id => repo
                .find_commit(mb.detach())
                .and_then(|c| c.tree_id().map(|t| t.detach()))
                .map_err(|e| GitError(format!("cannot read the merge base: {}", describe(&e))))?,
            _ => base.tree,
        };
        diff_trees(&repo, fork_tree, head.tree)
    }
}

/// Fetches every branch and tag of `url` into `repo`, points its HEAD at the remote's default
/// branch and drops what the remote deleted; or, with `only`, fetches just that refspec.
fn fetch_into(
    repo: &gix::Repository,
    url: &str,
    shown: &str,
    only: Option<&str>,
) -> Result<(), GitError> {
    use gix::remote::Direction;
    let unreachable = |why: String| {
        GitError(format!(
            "cannot fetch from {shown}: {why}. Check the URL and that this machine can reach it; \
             for a private repository set {TOKEN_ENV} (and {USERNAME_ENV} if needed) or \
             configure a git credential helper."
        ))
    };
    let specs: Vec<&str> = match only {
        Some(spec) => vec![spec],
        None => MIRROR_REFSPECS.to_vec(),
    };
    let remote = repo
        .remote_at(url)
        .and_then(|r| r.with_refspecs(specs, Direction::Fetch))
        .map_err(|e| unreachable(describe(&e)))?
        .with_fetch_tags(gix::remote::fetch::Tags::None);
    let mut connection = remote
        .connect(Direction::Fetch)
        .map_err(|e| unreachable(describe(&e)))?;
    if let Some(token) = std::env::var(TOKEN_ENV).ok().filter(|t| !t.is_empty()) {
        let user = std::env::var(USERNAME_ENV)
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "x-access-token".to_string());
        connection.set_credentials(move |action| token_credentials(action, &user, &token));
    }
    let head_spec = gix::refspec::parse("HEAD".into(), gix::refspec::parse::Operation::Fetch)
        .map_err(|e| unreachable(describe(&e)))?
        .to_owned();
    let options = gix::remote::ref_map::Options {
        extra_refspecs: if only.is_some() {
            Vec::new()
        } else {
            vec![head_spec]
        },
        ..Default::default()
    };
    let outcome = connection
        .prepare_fetch(gix::progress::Discard, options)
        .map_err(|e| unreachable(describe(&e)))?
        .receive(gix::progress::Discard, &AtomicBool::new(false))
        .map_err(|e| unreachable(describe(&e)))?;
    if only.is_some() {
        return Ok(());
    }
    // Follow the remote's default branch: HEAD -> refs/heads/<default>.
    let head_target = outcome.ref_map.remote_refs.iter().find_map(|r| match r {
        gix::protocol::handshake::Ref::Symbolic {
            full_ref_name,
            target,
            ..
        } if full_ref_name == "HEAD" => Some(target.clone()),
        _ => None,
    });
    if let Some(target) = head_target {
        set_head(repo, &target.to_str_lossy())?;
    }
    prune(repo, &outcome.ref_map.remote_refs)
}

/// Deletes branches and tags the remote no longer has, so a deleted branch cannot be applied
/// from a stale mirror.
fn prune(
    repo: &gix::Repository,
    remote_refs: &[gix::protocol::handshake::Ref],
) -> Result<(), GitError> {
    use gix::protocol::handshake::Ref;
    let on_remote: std::collections::HashSet<String> = remote_refs
        .iter()
        .filter_map(|r| match r {
            Ref::Direct { full_ref_name, .. }
            | Ref::Peeled { full_ref_name, .. }
            | Ref::Symbolic { full_ref_name, .. } => {
                Some(full_ref_name.to_str_lossy().into_owned())
            }
            Ref::Unborn { .. } => None,
        })
        .collect();
    let failed = |e: gix::Error| GitError(format!("cannot prune the mirror: {}", describe(&e)));
    let platform = repo.references().map_err(failed)?;
    let mut stale = Vec::new();
    for r in platform
        .local_branches()
        .map_err(failed)?
        .chain(platform.tags().map_err(failed)?)
    {
        let r = r.map_err(|e| GitError(format!("cannot prune the mirror: {e}")))?;
        let name = r.name().as_bstr().to_str_lossy().into_owned();
        if !on_remote.contains(&name) {
            stale.push(r);
        }
    }
    for r in stale {
        r.delete().map_err(failed)?;
    }
    Ok(())
}

/// Points the mirror's HEAD (symbolically) at `target`, e.g. `refs/heads/main`.
fn set_head(repo: &gix::Repository, target: &str) -> Result<(), GitError> {
    use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
    let name: gix::refs::FullName = target
        .try_into()
        .map_err(|_| GitError(format!("the remote's HEAD names an invalid ref {target:?}")))?;
    let edit = RefEdit {
        change: Change::Update {
            log: LogChange {
                mode: RefLog::AndReference,
                force_create_reflog: false,
                message: "terrane: follow the remote's default branch".into(),
            },
            expected: PreviousValue::Any,
            new: gix::refs::Target::Symbolic(name),
        },
        name: "HEAD"
            .try_into()
            .map_err(|_| GitError("invalid ref name HEAD".to_string()))?,
        deref: false,
    };
    repo.edit_reference(edit)
        .map(|_| ())
        .map_err(|e| GitError(format!("cannot update the mirror's HEAD: {}", describe(&e))))
}

/// Answers a credential request with the token; store/erase requests need no answer.
fn token_credentials(
    action: gix::credentials::helper::Action,
    user: &str,
    token: &str,
) -> gix::Result<Option<gix::credentials::protocol::Outcome>> {
    use gix::credentials::helper::Action;
    match action {
        Action::Get(ctx) => Ok(Some(gix::credentials::protocol::Outcome {
            identity: gix::sec::identity::Account {
                username: user.to_string(),
                password: token.to_string(),
                oauth_refresh_token: None,
            },
            next: ctx.into(),
        })),
        Action::Store(_) | Action::Erase(_) => Ok(None),
    }
}

fn commit_info(commit: &gix::Commit<'_>) -> Result<CommitInfo, GitError> {
    let id = commit.id;
    let bad = |e: gix::Error| GitError(format!("cannot read commit {id}: {}", describe(&e)));
    let author = commit.author().map_err(bad)?;
    let time = commit.time().map_err(bad)?;
    let when = time::OffsetDateTime::from_unix_timestamp(time.seconds)
        .ok()
        .and_then(|t| {
            let offset = time::UtcOffset::from_whole_seconds(time.offset).ok()?;
            t.to_offset(offset)
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    Ok(CommitInfo {
        id: id.to_string(),
        author: format!("{} <{}>", author.name, author.email),
        message: commit
            .message_raw_sloppy()
            .to_str_lossy()
            .trim_end()
            .to_string(),
        time: when,
    })
}

/// A commit's tree, read through the object database: the config loader's view of a commit.
#[derive(Clone)]
pub struct GitSource {
    repo: gix::ThreadSafeRepository,
    tree: ObjectId,
    rev: String,
    commit: CommitInfo,
}

impl std::fmt::Debug for GitSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitSource")
            .field("rev", &self.rev)
            .field("commit", &self.commit.id)
            .finish()
    }
}

/// What a path names in a tree.
enum Found {
    Tree(ObjectId),
    Blob(ObjectId),
    Other,
}

impl GitSource {
    /// The commit this source reads.
    pub fn commit(&self) -> &CommitInfo {
        &self.commit
    }

    /// The revision it was resolved from, as given.
    pub fn rev(&self) -> &str {
        &self.rev
    }

    /// A path as a slash-separated path inside the tree; None if it leaves the tree or is
    /// absolute.
    fn tree_path(path: &Path) -> Option<String> {
        let p = normalize(path);
        let mut parts = Vec::new();
        for c in p.components() {
            match c {
                Component::Normal(s) => parts.push(s.to_str()?.to_string()),
                Component::CurDir => {}
                _ => return None,
            }
        }
        Some(parts.join("/"))
    }

    fn find(&self, repo: &gix::Repository, path: &Path) -> Result<Option<Found>, String> {
        let Some(rel) = Self::tree_path(path) else {
            return Ok(None);
        };
        if rel.is_empty() {
            return Ok(Some(Found::Tree(self.tree)));
        }
        let tree = repo
            .find_tree(self.tree)
            .map_err(|e| format!("cannot read commit {}: {}", self.commit.id, describe(&e)))?;
        let entry = tree
            .lookup_entry_by_path(&rel)
            .map_err(|e| format!("cannot read {rel} at {}: {}", self.rev, describe(&e)))?;
        Ok(entry.map(|e| {
            let mode = e.mode();
            if mode.is_tree() {
                Found::Tree(e.object_id())
            } else if mode.is_blob() {
                Found::Blob(e.object_id())
            } else {
                Found::Other
            }
        }))
    }

    fn where_(&self) -> String {
        format!("commit {} ({})", self.commit.short_id(), self.rev)
    }
}

impl SourceTree for GitSource {
    fn list_files(&self, dir: &Path) -> Result<Vec<String>, String> {
        let repo = self.repo.to_thread_local();
        let Some(Found::Tree(id)) = self.find(&repo, dir)? else {
            return Err(format!(
                "no directory {} in {}",
                dir.display(),
                self.where_()
            ));
        };
        let tree = repo
            .find_tree(id)
            .map_err(|e| format!("cannot read {}: {}", dir.display(), describe(&e)))?;
        let mut names = Vec::new();
        for entry in tree.iter() {
            let entry = entry.map_err(|e| format!("cannot read {}: {}", dir.display(), e))?;
            if entry.inner.mode.is_blob() {
                names.push(entry.inner.filename.to_str_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    fn is_dir(&self, dir: &Path) -> bool {
        let repo = self.repo.to_thread_local();
        matches!(self.find(&repo, dir), Ok(Some(Found::Tree(_))))
    }

    fn read(&self, path: &Path) -> Result<String, String> {
        let repo = self.repo.to_thread_local();
        let Some(Found::Blob(id)) = self.find(&repo, path)? else {
            return Err(format!("no file {} in {}", path.display(), self.where_()));
        };
        let blob = repo
            .find_blob(id)
            .map_err(|e| format!("cannot read {}: {}", path.display(), describe(&e)))?;
        String::from_utf8(blob.data.clone())
            .map_err(|_| format!("{} is not UTF-8 text", path.display()))
    }
}

/// Entries of a tree by name: (is_tree, id) for trees and blobs; submodules are skipped.
fn entries(
    repo: &gix::Repository,
    id: Option<ObjectId>,
) -> Result<BTreeMap<String, (bool, ObjectId)>, GitError> {
    let mut out = BTreeMap::new();
    let Some(id) = id else {
        return Ok(out);
    };
    let tree = repo
        .find_tree(id)
        .map_err(|e| GitError(format!("cannot read tree {id}: {}", describe(&e))))?;
    for entry in tree.iter() {
        let entry = entry.map_err(|e| GitError(format!("cannot read tree {id}: {e}")))?;
        let mode = entry.inner.mode;
        if mode.is_tree() || mode.is_blob_or_symlink() {
            out.insert(
                entry.inner.filename.to_str_lossy().into_owned(),
                (mode.is_tree(), entry.inner.oid.to_owned()),
            );
        }
    }
    Ok(out)
}

/// The files that differ between two trees (added, modified, deleted), sorted by path.
/// Identical subtrees are skipped by id, so the cost follows the size of the change.
pub fn diff_trees(
    repo: &gix::Repository,
    old: ObjectId,
    new: ObjectId,
) -> Result<Vec<ChangedFile>, GitError> {
    let mut out = Vec::new();
    diff_rec(repo, Some(old), Some(new), "", &mut out)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn diff_rec(
    repo: &gix::Repository,
    old: Option<ObjectId>,
    new: Option<ObjectId>,
    prefix: &str,
    out: &mut Vec<ChangedFile>,
) -> Result<(), GitError> {
    if old.is_some() && old == new {
        return Ok(());
    }
    let a = entries(repo, old)?;
    let b = entries(repo, new)?;
    let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for name in names {
        let path = format!("{prefix}{name}");
        let sub = format!("{path}/");
        match (a.get(name), b.get(name)) {
            (Some(x), Some(y)) if x == y => {}
            (Some((true, x)), Some((true, y))) => diff_rec(repo, Some(*x), Some(*y), &sub, out)?,
            (Some((false, _)), Some((false, _))) => out.push(ChangedFile {
                path,
                status: FileStatus::Modified,
            }),
            (old_e, new_e) => {
                // Added, deleted, or a file replaced by a directory (or the reverse).
                match old_e {
                    Some((true, x)) => diff_rec(repo, Some(*x), None, &sub, out)?,
                    Some((false, _)) => out.push(ChangedFile {
                        path: path.clone(),
                        status: FileStatus::Deleted,
                    }),
                    None => {}
                }
                match new_e {
                    Some((true, y)) => diff_rec(repo, None, Some(*y), &sub, out)?,
                    Some((false, _)) => out.push(ChangedFile {
                        path,
                        status: FileStatus::Added,
                    }),
                    None => {}
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_userinfo_only() {
        assert_eq!(
            redact_url("https://user:pw@example.com/a/b.git"),
            "https://example.com/a/b.git"
        );
        assert_eq!(
            redact_url("https://tok@example.com/a@b"),
            "https://example.com/a@b"
        );
        assert_eq!(redact_url("file:///tmp/x"), "file:///tmp/x");
        assert_eq!(redact_url("/tmp/x"), "/tmp/x");
    }

    #[test]
    fn detects_passwords_in_urls() {
        assert!(url_has_password("https://u:p@h/x"));
        assert!(!url_has_password("https://u@h/x"));
        assert!(!url_has_password("https://h/x:y@z"));
    }

    #[test]
    fn mirror_name_ignores_credentials_and_trailing_slash() {
        let a = mirror_dir_name("https://example.com/r.git");
        assert_eq!(a, mirror_dir_name("https://bob@example.com/r.git/"));
        assert_ne!(a, mirror_dir_name("https://example.com/other.git"));
        assert_eq!(a.len(), 24);
    }

    #[test]
    fn url_detection() {
        assert!(is_url("https://x/y"));
        assert!(is_url("FILE:///x"));
        assert!(!is_url("./repo"));
        assert!(!is_url("/abs/repo"));
    }

    #[test]
    fn tree_paths_stay_inside_the_tree() {
        assert_eq!(GitSource::tree_path(Path::new(".")).as_deref(), Some(""));
        assert_eq!(
            GitSource::tree_path(Path::new("infra/./mod/../main.tf")).as_deref(),
            Some("infra/main.tf")
        );
        assert_eq!(GitSource::tree_path(Path::new("../x")), None);
        assert_eq!(GitSource::tree_path(Path::new("/etc/passwd")), None);
    }

    #[test]
    fn token_answers_get_only() {
        use gix::credentials::helper::Action;
        let out = token_credentials(
            Action::get_for_url("https://example.com/r.git"),
            "x-access-token",
            "t0k",
        )
        .unwrap()
        .unwrap();
        assert_eq!(out.identity.username, "x-access-token");
        assert_eq!(out.identity.password, "t0k");
        assert!(token_credentials(Action::Store("x".into()), "u", "t")
            .unwrap()
            .is_none());
    }

    fn git(dir: &Path, args: &[&str]) {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t.invalid"])
            .args([
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .expect("git CLI");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn put(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn changed_files_are_what_the_branch_changed_since_the_merge_base() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        git(d, &["init", "-q"]);
        put(d, "infra/main.tf", "a");
        put(d, "infra/keep.tf", "k");
        put(d, "infra/gone/x.tf", "x");
        put(d, "docs/readme", "r");
        put(d, "thing", "file that becomes a directory");
        git(d, &["add", "-A"]);
        git(d, &["commit", "-qm", "base"]);
        git(d, &["checkout", "-qb", "pr"]);
        put(d, "infra/main.tf", "a2");
        put(d, "infra/new/y.tf", "y");
        std::fs::remove_dir_all(d.join("infra/gone")).unwrap();
        std::fs::remove_file(d.join("thing")).unwrap();
        put(d, "thing/inner.tf", "now a directory");
        git(d, &["add", "-A"]);
        git(d, &["commit", "-qm", "pr"]);
        // main moves on after the branch point: its own changes are not the PR's.
        git(d, &["checkout", "-q", "main"]);
        put(d, "docs/readme", "r2");
        git(d, &["add", "-A"]);
        git(d, &["commit", "-qm", "main moves"]);

        let repo = GitRepo::open(d.to_str().unwrap(), &d.join("cache")).unwrap();
        assert!(matches!(repo.origin(), Origin::Local(_)));
        let base = repo.resolve(Some("main")).unwrap();
        let head = repo.resolve(Some("pr")).unwrap();
        assert_eq!(head.commit().summary(), "pr");
        assert_eq!(head.commit().author, "t <t@t.invalid>");
        let files: Vec<(String, FileStatus)> = repo
            .changed_files(&base, &head)
            .unwrap()
            .into_iter()
            .map(|f| (f.path, f.status))
            .collect();
        let want = [
            ("infra/gone/x.tf", FileStatus::Deleted),
            ("infra/main.tf", FileStatus::Modified),
            ("infra/new/y.tf", FileStatus::Added),
            ("thing", FileStatus::Deleted),
            ("thing/inner.tf", FileStatus::Added),
        ];
        let want: Vec<(String, FileStatus)> =
            want.iter().map(|(p, s)| (p.to_string(), *s)).collect();
        assert_eq!(files, want);
        // Same commit: nothing differs.
        assert!(repo.changed_files(&head, &head).unwrap().is_empty());
        // The tree reads like a directory.
        assert!(head.is_dir(Path::new("infra/new")));
        assert!(!head.is_dir(Path::new("infra/main.tf")));
        assert_eq!(
            head.list_files(Path::new("./infra")).unwrap(),
            vec!["keep.tf".to_string(), "main.tf".to_string()]
        );
        assert_eq!(head.read(Path::new("infra/new/../main.tf")).unwrap(), "a2");
        assert!(head.read(Path::new("infra/nothing.tf")).is_err());
        assert!(head.read(Path::new("../outside")).is_err());
    }

    #[test]
    fn scrub_removes_userinfo_from_messages() {
        assert_eq!(
            scrub("failed https://a:b@h/x.git here"),
            "failed https://h/x.git here"
        );
    }
}
