//! A stack directory driven through the real `terrane` binary against one moto server: the
//! shared harness of the AWS end-to-end tests (lifecycle per type, documentation-shaped
//! configs, crash adoption, call counts). Each stack has its own store inside its temp dir.

use super::cli::terrane;
use super::moto::Moto;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Stack<'m> {
    dir: tempfile::TempDir,
    pub moto: &'m Moto,
}

/// A finished command: exit code, stdout, stderr.
pub struct Run {
    pub code: i32,
    pub out: String,
    pub err: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.out, self.err
        )
    }
}

impl<'m> Stack<'m> {
    pub fn new(moto: &'m Moto, main_tf: &str) -> Stack<'m> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), main_tf).unwrap();
        Stack { dir, moto }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join(".state")
    }

    /// Replaces `main.tf` (the next plan sees the new configuration).
    pub fn write(&self, main_tf: &str) {
        std::fs::write(self.path().join("main.tf"), main_tf).unwrap();
    }

    /// The command, aimed at this stack's store and the moto server; callers add args/env.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = terrane();
        c.args(args)
            .arg("--state")
            .arg(self.state())
            .current_dir(self.path())
            .stdin(Stdio::null())
            .env_remove("TERRANE_STATE")
            .envs(self.moto.env());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.cmd(args).output().expect("run terrane");
        Run {
            code: out.status.code().unwrap_or(-1),
            out: String::from_utf8_lossy(&out.stdout).into_owned(),
            err: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs and asserts exit 0.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, 0, "terrane {}:\n{r}", args.join(" "));
        r
    }

    pub fn apply(&self) -> Run {
        self.ok(&["apply", "--auto-approve", "."])
    }

    pub fn destroy(&self) -> Run {
        self.ok(&["destroy", "--auto-approve", "."])
    }

    /// `plan --format json`: the parsed plan document.
    pub fn plan_json(&self) -> serde_json::Value {
        let r = self.ok(&["plan", "--format", "json", "."]);
        serde_json::from_str(&r.out).unwrap_or_else(|e| panic!("plan JSON: {e}\n{r}"))
    }

    /// Address -> action for every change that is not a no-op.
    pub fn plan_actions(&self) -> BTreeMap<String, String> {
        let plan = self.plan_json();
        plan["changes"]
            .as_array()
            .expect("changes[]")
            .iter()
            .filter(|c| c["action"] != "no-op")
            .map(|c| {
                (
                    c["address"].as_str().unwrap().to_string(),
                    c["action"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// Asserts that a fresh plan (with refresh) has nothing to do, via `--detailed-exitcode`.
    pub fn assert_no_changes(&self) {
        let r = self.run(&["plan", "--detailed-exitcode", "."]);
        assert_eq!(r.code, 0, "expected no changes:\n{r}");
    }

    /// The cloud id recorded for `address` (from `state show`).
    pub fn id_of(&self, address: &str) -> String {
        let r = self.ok(&["state", "show", address]);
        r.out
            .lines()
            .find_map(|l| l.strip_prefix("# provider: "))
            .and_then(|l| l.split(", id: ").nth(1))
            .and_then(|l| l.split(", ").next())
            .unwrap_or_else(|| panic!("no id line in state show {address}:\n{r}"))
            .to_string()
    }

    /// Forgets `address` and adopts it again by `id` with `state import`.
    pub fn reimport(&self, address: &str, id: &str) {
        self.ok(&["state", "rm", address]);
        self.ok(&["state", "import", address, id, "."]);
    }

    /// Addresses in the store.
    pub fn addresses(&self) -> Vec<String> {
        self.ok(&["state", "list"])
            .out
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// Parses AWS CLI JSON output.
pub fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("AWS CLI JSON: {e}\n{s}"))
}
