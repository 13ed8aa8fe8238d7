//! Configuration read from Git: real repositories built with the `git` CLI in a temp dir, read
//! by `validate` and `graph` with `--git`/`--ref` (branch, tag, commit id, `HEAD~1`), a remote
//! over `file://` mirrored once and then fetched incrementally, modules resolved inside the
//! commit, and the errors a user meets (missing repo, missing ref, unreachable URL). Then the
//! workflow on `terraform_data`: the pull-request plan with `--base`, applies recording their
//! commit, a saved plan refused once its branch moved on, and rollback by `git revert`.

use super::cli::terrane;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs git in `dir` with a fixed identity and no user or system config, so tests are
/// hermetic. Returns stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Terrane Test",
            "-c",
            "user.email=test@terrane.invalid",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        // Fixed dates make commit ids reproducible, so outputs naming them can be snapshotted.
        .env("GIT_AUTHOR_DATE", "2026-01-02T03:04:05Z")
        .env("GIT_COMMITTER_DATE", "2026-01-02T03:04:05Z")
        .output()
        .expect("the git CLI must be installed for these tests");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn resources(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("resource \"terraform_data\" \"{n}\" {{\n  input = \"{n}\"\n}}\n"))
        .collect()
}

fn commit_all(dir: &Path, msg: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
    git(dir, &["rev-parse", "HEAD"])
}

/// Runs terrane in `cwd`; returns (exit code, stdout, stderr).
fn run(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = terrane()
        .args(args)
        .current_dir(cwd)
        .env_remove("TERRANE_GIT_TOKEN")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run terrane");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn validate_count(cwd: &Path, extra: &[&str]) -> String {
    let mut args = vec!["validate"];
    args.extend_from_slice(extra);
    let (code, out, err) = run(cwd, &args);
    assert_eq!(code, 0, "validate {extra:?} failed:\n{err}");
    out.trim().to_string()
}

fn success(n: usize) -> String {
    format!(
        "Success! {n} resource{}, 0 data sources.",
        if n == 1 { "" } else { "s" }
    )
}

/// A working copy with history:
///   A (tag v1): infra/main.tf with `a`
///   B (main):   + `b`
///   C (branch feature, from B): + module "net" from modules/net (subnet_v1)
/// and on main after that, D renames the module's resource to subnet_v2.
struct Repo {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    work: PathBuf,
    a: String,
    c: String,
}

fn repo() -> Repo {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let work = root.join("work");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q"]);
    write(&work, "README.md", "infra repo\n");
    write(&work, "infra/main.tf", &resources(&["a"]));
    let a = commit_all(&work, "A: one resource");
    git(&work, &["tag", "v1"]);
    write(&work, "infra/main.tf", &resources(&["a", "b"]));
    commit_all(&work, "B: add b");
    git(&work, &["checkout", "-q", "-b", "feature"]);
    write(
        &work,
        "infra/net.tf",
        "module \"net\" {\n  source = \"../modules/net\"\n}\n",
    );
    write(&work, "modules/net/main.tf", &resources(&["subnet_v1"]));
    let c = commit_all(&work, "C: network module");
    git(&work, &["checkout", "-q", "main"]);
    git(&work, &["merge", "-q", "--ff-only", "feature"]);
    write(&work, "modules/net/main.tf", &resources(&["subnet_v2"]));
    commit_all(&work, "D: rename the subnet");
    Repo {
        _tmp: tmp,
        root,
        work,
        a,
        c,
    }
}

#[test]
fn validate_reads_branch_tag_commit_and_revision_expressions() {
    let r = repo();
    let cwd = &r.root;
    // Default: the repository's HEAD (main, commit D): a, b, module.net.subnet_v2.
    assert_eq!(validate_count(cwd, &["--git", "work", "infra"]), success(3));
    assert_eq!(
        validate_count(cwd, &["--git", "work", "--ref", "v1", "infra"]),
        success(1)
    );
    assert_eq!(
        validate_count(cwd, &["--git", "work", "--ref", &r.a, "infra"]),
        success(1)
    );
    // A short commit id and a revision expression: HEAD~2 is B.
    assert_eq!(
        validate_count(cwd, &["--git", "work", "--ref", &r.a[..8], "infra"]),
        success(1)
    );
    assert_eq!(
        validate_count(cwd, &["--git", "work", "--ref", "HEAD~2", "infra"]),
        success(2)
    );
    assert_eq!(
        validate_count(cwd, &["--git", "work", "--ref", "HEAD~1", "infra"]),
        success(3)
    );
    assert_eq!(
        validate_count(cwd, &["--git", "work", "--ref", "feature", "infra"]),
        success(3)
    );
    // The commit is announced on stderr with its id and message.
    let (code, _, err) = run(cwd, &["validate", "--git", "work", "--ref", "v1", "infra"]);
    assert_eq!(code, 0);
    assert!(
        err.contains(&format!("at v1 (commit {}: A: one resource)", &r.a[..12])),
        "{err}"
    );
}

#[test]
fn the_commit_is_read_not_the_working_directory() {
    let r = repo();
    // Uncommitted edits and untracked files in the working copy are not part of any commit.
    write(&r.work, "infra/main.tf", "this is not HCL {{{");
    write(&r.work, "infra/extra.tf", &resources(&["untracked"]));
    assert_eq!(
        validate_count(&r.root, &["--git", "work", "infra"]),
        success(3)
    );
    // A bare repository works the same (no working tree at all).
    git(&r.root, &["clone", "-q", "--bare", "work", "bare.git"]);
    assert_eq!(
        validate_count(&r.root, &["--git", "bare.git", "--ref", "v1", "infra"]),
        success(1)
    );
}

#[test]
fn modules_resolve_inside_the_same_commit() {
    let r = repo();
    // At C the module declares subnet_v1; at D (main, and on disk) subnet_v2.
    let (code, dot, err) = run(&r.root, &["graph", "--git", "work", "--ref", &r.c, "infra"]);
    assert_eq!(code, 0, "{err}");
    assert!(dot.contains("module.net.terraform_data.subnet_v1"), "{dot}");
    assert!(!dot.contains("subnet_v2"), "{dot}");
    let (code, json, err) = run(
        &r.root,
        &["graph", "--format", "json", "--git", "work", "infra"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        json.contains("module.net.terraform_data.subnet_v2"),
        "{json}"
    );
    // file() reads from the commit too, relative to the module.
    write(&r.work, "infra/policy.json", "{\"from\": \"the commit\"}");
    write(
        &r.work,
        "infra/files.tf",
        "resource \"terraform_data\" \"policy\" {\n  input = jsondecode(file(\"${path.module}/policy.json\")).from\n}\n",
    );
    commit_all(&r.work, "policy from a file");
    std::fs::remove_file(r.work.join("infra/policy.json")).unwrap();
    assert_eq!(
        validate_count(&r.root, &["--git", "work", "infra"]),
        success(4)
    );
    git(&r.work, &["checkout", "--", "infra/policy.json"]);
    // -var-file is a local file (it may hold values that are not in Git), as with Terraform.
    write(
        &r.work,
        "infra/vars.tf",
        "variable \"replicas\" {\n  type    = number\n  default = 1\n}\n\nresource \"terraform_data\" \"replica\" {\n  count = var.replicas\n  input = count.index\n}\n",
    );
    commit_all(&r.work, "replicas per environment");
    write(&r.root, "prod.tfvars", "replicas = 3\n");
    assert_eq!(
        validate_count(
            &r.root,
            &["--git", "work", "infra", "--var-file", "prod.tfvars"]
        ),
        success(7)
    );
    // Diagnostics point at the file inside the commit (repository-relative).
    write(
        &r.work,
        "infra/main.tf",
        "resource \"terraform_data\" \"a\" {\n  inptu = 1\n}\n",
    );
    commit_all(&r.work, "E: typo");
    let (code, _, err) = run(&r.root, &["validate", "--git", "work", "infra"]);
    assert_eq!(code, 1);
    assert!(err.contains("--> infra/main.tf:2:3"), "{err}");
}

/// Identity of a directory that survives content changes but not a re-clone (which makes a new
/// directory and renames it into place).
fn dir_identity(p: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(p).unwrap();
    let marker = std::fs::metadata(p.join("terrane-mirror")).unwrap();
    (m.ino(), marker.ino())
}

#[test]
fn remote_is_mirrored_once_then_fetched_incrementally() {
    let r = repo();
    git(&r.root, &["clone", "-q", "--bare", "work", "origin.git"]);
    let url = format!("file://{}", r.root.join("origin.git").display());
    let state = r.root.join("state");
    let state_s = state.to_str().unwrap();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = vec![
            "--state".into(),
            state_s.into(),
            "--git".into(),
            url.clone(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v.push("infra".into());
        v
    };
    let run_v = |extra: &[&str]| {
        let a = args(extra);
        let mut all = vec!["validate"];
        all.extend(a.iter().map(String::as_str));
        run(&r.root, &all)
    };

    let (code, out, err) = run_v(&[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), success(3));
    let mirrors: Vec<PathBuf> = std::fs::read_dir(state.join("git"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(mirrors.len(), 1, "one mirror per URL: {mirrors:?}");
    let mirror = &mirrors[0];
    let before = dir_identity(mirror);
    // The mirror is bare: no working tree, just the object database.
    assert!(mirror.join("objects").is_dir() && !mirror.join("infra").exists());

    // A new commit upstream becomes visible on the next run, fetched into the same mirror.
    write(&r.work, "infra/main.tf", &resources(&["a", "b", "c", "d"]));
    commit_all(&r.work, "E: two more");
    git(&r.work, &["push", "-q", "../origin.git", "main"]);
    let (code, out, err) = run_v(&[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), success(5));
    assert_eq!(dir_identity(mirror), before, "the mirror was cloned again");
    assert_eq!(std::fs::read_dir(state.join("git")).unwrap().count(), 1);

    // Tags and branches are mirrored under their own names.
    let (code, out, err) = run_v(&["--ref", "v1"]);
    assert_eq!((code, out.trim()), (0, success(1).as_str()), "{err}");

    // A branch deleted upstream is gone from the mirror too.
    git(&r.root.join("origin.git"), &["branch", "-D", "feature"]);
    let (code, _, err) = run_v(&["--ref", "feature"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("ref `feature` not found"), "{err}");

    // Refs outside branches and tags (a pull request's head) and bare commit ids not on any
    // branch are fetched on demand.
    git(&r.work, &["checkout", "-q", "-b", "pr-only", &r.a]);
    write(&r.work, "infra/pr.tf", &resources(&["pr1", "pr2"]));
    let pr = commit_all(&r.work, "PR: two more on top of A");
    git(&r.work, &["checkout", "-q", "main"]);
    git(
        &r.work,
        &["push", "-q", "../origin.git", "pr-only:refs/pull/7/head"],
    );
    let (code, out, err) = run_v(&["--ref", &pr]);
    assert_eq!((code, out.trim()), (0, success(3).as_str()), "{err}");
    let (code, out, err) = run_v(&["--ref", "refs/pull/7/head"]);
    assert_eq!((code, out.trim()), (0, success(3).as_str()), "{err}");
    for missing in [
        "refs/pull/99/head",
        "1111111111111111111111111111111111111111",
    ] {
        let (code, _, err) = run_v(&["--ref", missing]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains(&format!("ref `{missing}` not found in file://")),
            "{err}"
        );
    }
    // A force-pushed PR ref is fetched again.
    git(&r.work, &["checkout", "-q", "pr-only"]);
    write(&r.work, "infra/pr.tf", &resources(&["pr1"]));
    git(
        &r.work,
        &["commit", "-q", "--amend", "-am", "PR: one more on top of A"],
    );
    git(&r.work, &["checkout", "-q", "main"]);
    git(
        &r.work,
        &[
            "push",
            "-q",
            "-f",
            "../origin.git",
            "pr-only:refs/pull/7/head",
        ],
    );
    let (code, out, err) = run_v(&["--ref", "refs/pull/7/head"]);
    assert_eq!((code, out.trim()), (0, success(2).as_str()), "{err}");

    // The default follows the remote's default branch when it changes.
    git(&r.work, &["push", "-q", "../origin.git", "feature:trunk"]);
    git(
        &r.root.join("origin.git"),
        &["symbolic-ref", "HEAD", "refs/heads/trunk"],
    );
    let (code, out, err) = run_v(&[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), success(3));
    assert!(
        err.contains("commit ") && err.contains("C: network module"),
        "{err}"
    );
    assert_eq!(dir_identity(mirror), before);
}

#[test]
fn missing_repository_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, err) = run(tmp.path(), &["validate", "--git", "no/such/repo", "."]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("error: Git repository no/such/repo does not exist."),
        "{err}"
    );
    assert!(
        err.contains("Pass --git a path to a Git repository"),
        "{err}"
    );
    // A directory that is not a repository.
    std::fs::create_dir(tmp.path().join("plain")).unwrap();
    let (code, _, err) = run(tmp.path(), &["validate", "--git", "plain", "."]);
    assert_eq!(code, 1);
    assert!(err.contains("plain is not a Git repository"), "{err}");
}

#[test]
fn missing_ref_is_a_clear_error() {
    let r = repo();
    let (code, out, err) = run(
        &r.root,
        &[
            "validate",
            "--git",
            "work",
            "--ref",
            "no-such-branch",
            "infra",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("error: ref `no-such-branch` not found in work"),
        "{err}"
    );
    assert!(err.contains("Pass --ref a branch, tag, commit id"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one paragraph: {err}");
    // A path that is not in the commit.
    let (code, _, err) = run(
        &r.root,
        &["validate", "--git", "work", "--ref", "v1", "nowhere"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("nowhere is not a directory"), "{err}");
}

#[test]
fn unreachable_url_is_a_clear_error_and_credentials_are_never_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let state = state.to_str().unwrap();
    // Nothing listens on port 9 of the loopback address.
    let (code, out, err) = run(
        tmp.path(),
        &[
            "--state",
            state,
            "validate",
            "--git",
            "http://127.0.0.1:9/repo.git",
            ".",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("error: cannot fetch from http://127.0.0.1:9/repo.git:"),
        "{err}"
    );
    assert!(err.contains("Check the URL"), "{err}");
    // No half-made mirror is left behind.
    let left: Vec<_> = std::fs::read_dir(tmp.path().join("state/git"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");

    let missing = format!("file://{}/nothing.git", tmp.path().display());
    let (code, _, err) = run(
        tmp.path(),
        &["--state", state, "validate", "--git", &missing, "."],
    );
    assert_eq!(code, 1);
    assert!(err.contains("error: cannot fetch from file://"), "{err}");

    // A password in the URL is refused and never echoed.
    let (code, _, err) = run(
        tmp.path(),
        &[
            "--state",
            state,
            "validate",
            "--git",
            "https://bob:hunter2-secret@127.0.0.1:9/r.git",
            ".",
        ],
    );
    assert_eq!(code, 1);
    assert!(!err.contains("hunter2"), "{err}");
    assert!(
        err.contains("https://127.0.0.1:9/r.git carries a password"),
        "{err}"
    );
    assert!(err.contains("TERRANE_GIT_TOKEN"), "{err}");

    // The token from the environment is used for HTTPS and never printed.
    let out = terrane()
        .args([
            "--state",
            state,
            "validate",
            "--git",
            "http://127.0.0.1:9/r.git",
            ".",
        ])
        .current_dir(tmp.path())
        .env("TERRANE_GIT_TOKEN", "tok-very-secret-123")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!text.contains("tok-very-secret-123"), "{text}");
}

#[test]
fn ref_requires_git_and_absolute_paths_are_refused() {
    let r = repo();
    let (code, _, err) = run(&r.root, &["validate", "--ref", "main", "infra"]);
    assert_ne!(code, 0);
    assert!(err.contains("--git"), "{err}");
    let abs = r.work.join("infra");
    let (code, _, err) = run(
        &r.root,
        &["validate", "--git", "work", abs.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("must be relative to the repository root"),
        "{err}"
    );
}

/// A one-purpose HTTP server on the loopback address: answers 401 (asking for Basic auth) to
/// every request and reports the Authorization header of each (empty when there was none).
fn auth_probe_server() -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/org/infra.git", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Bounded: a client that retried forever would still end here.
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut auth = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if line.to_ascii_lowercase().starts_with("authorization:") {
                    auth = line["authorization:".len()..].trim().to_string();
                }
            }
            let _ = stream.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            );
            let _ = tx.send(auth);
        }
    });
    (url, rx)
}

#[test]
fn the_token_is_never_sent_in_clear_text_nor_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let (url, seen) = auth_probe_server();
    let out = terrane()
        .args(["--state", tmp.path().join("state").to_str().unwrap()])
        .args(["validate", "--git", &url, "."])
        .current_dir(tmp.path())
        .env("TERRANE_GIT_TOKEN", "tok-abc-123-secret")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("cannot fetch from http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("clear text"), "{text}");
    assert!(!text.contains("tok-abc-123-secret"), "{text}");
    // The server asked for credentials; none were sent over plain HTTP.
    let first = seen
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the client connected");
    assert_eq!(first, "");
    while let Ok(auth) = seen.recv_timeout(std::time::Duration::from_millis(200)) {
        assert_eq!(auth, "", "credentials sent over plain HTTP");
    }
}

/// A working copy with one commit of `files`.
fn repo_with(files: &[(&str, &str)]) -> Repo {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let work = root.join("work");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q"]);
    write(&work, "README.md", "infra repo\n");
    for (path, text) in files {
        write(&work, path, text);
    }
    let a = commit_all(&work, "Initial infrastructure");
    Repo {
        _tmp: tmp,
        root,
        work,
        c: a.clone(),
        a,
    }
}

/// Runs terrane with a state dir, in `cwd`, with no standard input.
fn run_state(cwd: &Path, state: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["--state", state.to_str().unwrap()];
    all.extend_from_slice(args);
    run(cwd, &all)
}

/// Replaces terraform_data ids (time-based) so outputs can be compared and snapshotted.
fn stable_ids(s: &str) -> String {
    regex::Regex::new(r"[0-9a-f]{16}-[0-9a-f]{4}-[0-9a-f]{8}")
        .unwrap()
        .replace_all(s, "<id>")
        .into_owned()
}

const PR_MAIN: &str = r#"variable "db_password" {
  type      = string
  sensitive = true
  default   = "hunter2-db-secret"
}

resource "terraform_data" "keep" {
  input = "unchanged"
}

resource "terraform_data" "db" {
  input            = { password = var.db_password, size = "small" }
  triggers_replace = "v1"
}
"#;

const PR_OLD: &str = r#"resource "terraform_data" "legacy" {
  input = "remove me"
}
"#;

#[test]
fn pull_request_plan_with_base_maps_files_to_changes() {
    let r = repo_with(&[("infra/main.tf", PR_MAIN), ("infra/old.tf", PR_OLD)]);
    let state = r.root.join("state");
    let (code, _, err) = run_state(
        &r.root,
        &state,
        &["apply", "infra", "--git", "work", "--auto-approve"],
    );
    assert_eq!(code, 0, "{err}");

    git(&r.work, &["checkout", "-q", "-b", "pr"]);
    write(
        &r.work,
        "infra/main.tf",
        &PR_MAIN
            .replace("\"small\"", "\"large\"")
            .replace("\"v1\"", "\"v2\""),
    );
    std::fs::remove_file(r.work.join("infra/old.tf")).unwrap();
    write(
        &r.work,
        "infra/queue.tf",
        "resource \"terraform_data\" \"queue\" {\n  input = \"jobs\"\n}\n",
    );
    write(&r.work, "README.md", "infra repo, now with a queue\n");
    commit_all(&r.work, "Bigger database, a queue, no legacy");
    git(&r.work, &["checkout", "-q", "main"]);

    let (code, md, err) = run_state(
        &r.root,
        &state,
        &[
            "plan",
            "infra",
            "--git",
            "work",
            "--ref",
            "pr",
            "--base",
            "main",
            "--format",
            "markdown",
            "--detailed-exitcode",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(md.contains("| 1 | 0 | 1 | 1 | 0 | 0 |"), "{md}");
    assert!(md.contains("### Destructive changes (2)"), "{md}");
    assert!(
        md.contains("- **replace** `terraform_data.db`: `triggers_replace` forces replacement"),
        "{md}"
    );
    assert!(
        md.contains("- `infra/main.tf` (modified): **replace** `terraform_data.db`"),
        "{md}"
    );
    assert!(
        md.contains("- `infra/old.tf` (deleted): **delete** `terraform_data.legacy`"),
        "{md}"
    );
    assert!(
        md.contains("- `infra/queue.tf` (added): **create** `terraform_data.queue`"),
        "{md}"
    );
    assert!(
        md.contains("- `README.md` (modified): no resource changes"),
        "{md}"
    );
    assert!(!md.contains("hunter2"), "{md}");
    insta::assert_snapshot!("pr_plan_markdown", stable_ids(&md));
}

fn show_input(r: &Repo, state: &Path, addr: &str) -> String {
    let (code, out, err) = run_state(&r.root, state, &["state", "show", addr]);
    assert_eq!(code, 0, "{err}");
    // Alignment padding depends on the other attributes; compare words.
    out.lines()
        .find(|l| l.trim_start().starts_with("input"))
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn addresses(r: &Repo, state: &Path) -> Vec<String> {
    let (code, out, err) = run_state(&r.root, state, &["state", "list"]);
    assert_eq!(code, 0, "{err}");
    out.lines().map(str::to_string).collect()
}

#[test]
fn rollback_is_git_revert_plus_apply_and_history_names_each_commit() {
    let a_tf = "resource \"terraform_data\" \"app\" {\n  input = \"version-a\"\n}\n\nresource \"terraform_data\" \"db\" {\n  input = \"postgres-15\"\n}\n";
    let r = repo_with(&[("infra/main.tf", a_tf)]);
    let state = r.root.join("state");
    let apply = |r: &Repo| {
        let (code, out, err) = run_state(
            &r.root,
            &state,
            &[
                "apply",
                "infra",
                "--git",
                "work",
                "--ref",
                "main",
                "--auto-approve",
            ],
        );
        assert_eq!(code, 0, "{out}{err}");
    };
    apply(&r);
    let at_a = (
        addresses(&r, &state),
        show_input(&r, &state, "terraform_data.app"),
        show_input(&r, &state, "terraform_data.db"),
    );
    assert!(at_a.1.contains("\"version-a\""), "{at_a:?}");
    assert_eq!(at_a.0.len(), 2, "{at_a:?}");

    // B changes the app and adds a cache.
    write(
        &r.work,
        "infra/main.tf",
        &format!(
            "{}\nresource \"terraform_data\" \"cache\" {{\n  input = \"redis\"\n}}\n",
            a_tf.replace("version-a", "version-b")
        ),
    );
    commit_all(&r.work, "B: app version-b and a cache");
    apply(&r);
    assert_eq!(addresses(&r, &state).len(), 3);
    assert!(show_input(&r, &state, "terraform_data.app").contains("version-b"));

    // Roll back: revert B and apply main.
    git(&r.work, &["revert", "--no-edit", "HEAD"]);
    apply(&r);
    let now = (
        addresses(&r, &state),
        show_input(&r, &state, "terraform_data.app"),
        show_input(&r, &state, "terraform_data.db"),
    );
    assert_eq!(now, at_a, "after the revert the stack matches A again");
    let (code, _, err) = run_state(
        &r.root,
        &state,
        &["plan", "infra", "--git", "work", "--detailed-exitcode"],
    );
    assert_eq!(code, 0, "nothing left to change: {err}");

    // Every apply is in the history with its commit.
    let (code, hist, err) = run_state(&r.root, &state, &["state", "history"]);
    assert_eq!(code, 0, "{err}");
    let head = git(&r.work, &["rev-parse", "HEAD"]);
    for (id, msg) in [
        (&r.a, "Initial infrastructure"),
        (&head, "Revert \"B: app version-b and a cache\""),
    ] {
        assert!(
            hist.contains(&format!(
                "commit {} by Terrane Test <test@terrane.invalid>: {msg}",
                &id[..12]
            )),
            "{hist}"
        );
    }
    assert!(hist.contains(": B: app version-b and a cache"), "{hist}");
    let (code, json, _) = run_state(&r.root, &state, &["state", "history", "--json"]);
    assert_eq!(code, 0);
    assert!(json.contains(&format!("\"id\": \"{head}\"")), "{json}");
}

#[test]
fn saved_plan_is_refused_once_its_branch_moved_on() {
    let r = repo_with(&[("infra/main.tf", &resources(&["a"]))]);
    let state = r.root.join("state");
    let plan_file = r.root.join("main.tfplan");
    let plan_file = plan_file.to_str().unwrap();
    let (code, _, err) = run_state(
        &r.root,
        &state,
        &[
            "plan", "infra", "--git", "work", "--ref", "main", "--out", plan_file,
        ],
    );
    assert_eq!(code, 0, "{err}");

    // main moves on: the saved plan no longer describes main.
    write(&r.work, "infra/main.tf", &resources(&["a", "b"]));
    let moved = commit_all(&r.work, "add b");
    let (code, out, err) = run_state(&r.root, &state, &["apply", plan_file]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains(&format!(
            "error: the plan was made from commit {} but `main` in",
            &r.a[..12]
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("is now at {} (add b)", &moved[..12])),
        "{err}"
    );
    assert!(err.contains("run `terrane plan` again"), "{err}");
    assert!(addresses(&r, &state).is_empty(), "nothing was applied");

    // A fresh plan of main applies, read from the recorded repository, ref and directory.
    let (code, _, err) = run_state(
        &r.root,
        &state,
        &[
            "plan", "infra", "--git", "work", "--ref", "main", "--out", plan_file,
        ],
    );
    assert_eq!(code, 0, "{err}");
    let elsewhere = tempfile::tempdir().unwrap();
    let (code, out, err) = run_state(elsewhere.path(), &state, &["apply", plan_file]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Apply complete! Resources: 2 added"), "{out}");
    let (code, hist, _) = run_state(&r.root, &state, &["state", "history"]);
    assert_eq!(code, 0);
    assert!(
        hist.contains(&format!("commit {} by", &moved[..12])),
        "{hist}"
    );
}

/// Rollback against a real AWS API: apply commit A, apply B, `git revert` B, apply; the cloud
/// matches A again, checked with a second client (the AWS CLI), not terrane's store.
#[test]
fn rollback_by_git_revert_restores_the_cloud_in_moto() {
    let moto = crate::moto::Moto::start();
    let queue = |timeout: u32, extra: &str| {
        format!(
            "resource \"aws_sqs_queue\" \"jobs\" {{\n  name                       = \"rollback-jobs\"\n  visibility_timeout_seconds = {timeout}\n}}\n{extra}"
        )
    };
    let r = repo_with(&[("infra/main.tf", &queue(30, ""))]);
    let state = r.root.join("state");
    let apply = || {
        let out = terrane()
            .args(["--state", state.to_str().unwrap(), "apply", "infra"])
            .args(["--git", "work", "--ref", "main", "--auto-approve"])
            .current_dir(&r.root)
            .envs(moto.env())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .expect("run terrane");
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let queues = || moto.aws(&["sqs", "list-queues", "--output", "json"]);
    let visibility = || {
        let url = format!("{}/123456789012/rollback-jobs", moto.endpoint());
        let out = moto.aws(&[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &url,
            "--attribute-names",
            "VisibilityTimeout",
            "--output",
            "json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["Attributes"]["VisibilityTimeout"]
            .as_str()
            .unwrap()
            .to_string()
    };

    apply();
    assert_eq!(visibility(), "30");
    assert!(!queues().contains("rollback-extra"));

    // B changes the queue in place and adds a second one.
    let extra = "\nresource \"aws_sqs_queue\" \"extra\" {\n  name = \"rollback-extra\"\n}\n";
    write(&r.work, "infra/main.tf", &queue(90, extra));
    commit_all(&r.work, "B: slower jobs queue and an extra queue");
    apply();
    assert_eq!(visibility(), "90");
    assert!(queues().contains("rollback-extra"));

    // Roll back: revert B, apply main; the cloud is as A left it.
    git(&r.work, &["revert", "--no-edit", "HEAD"]);
    apply();
    assert_eq!(
        visibility(),
        "30",
        "the in-place change is undone in the cloud"
    );
    assert!(
        !queues().contains("rollback-extra"),
        "the queue B added is deleted"
    );
}
