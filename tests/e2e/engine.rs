//! The engine through the real binary on `terraform_data`: plan/apply/destroy/output/state,
//! saved plans, the store lock, and SIGKILL at several points of an apply followed by a run that
//! must finish the work with no duplicate, no orphan and a store that opens cleanly.

use super::cli::terrane;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use terrane_state::{SledStore, Store};

struct Stack {
    dir: tempfile::TempDir,
}

impl Stack {
    fn new(main_tf: &str) -> Stack {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), main_tf).unwrap();
        Stack { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join(".state")
    }

    fn write(&self, main_tf: &str) {
        std::fs::write(self.path().join("main.tf"), main_tf).unwrap();
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = terrane();
        c.args(args)
            .arg("--state")
            .arg(self.state())
            .current_dir(self.path())
            .stdin(Stdio::null())
            .env_remove("TERRANE_STATE");
        c
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd(args).output().expect("run terrane");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn addresses(&self) -> Vec<String> {
        let (code, out, err) = self.run(&["state", "list"]);
        assert_eq!(code, 0, "{err}");
        out.lines().map(str::to_string).collect()
    }
}

const CHAIN: &str = r#"
variable "token" {
  type      = string
  sensitive = true
  default   = "s3cr3t-token"
}
resource "terraform_data" "a" {
  input = "alpha"
}
resource "terraform_data" "b" {
  input = "${terraform_data.a.output}-beta"
}
resource "terraform_data" "c" {
  input = { from = terraform_data.b.output, id = terraform_data.a.id }
}
output "c_from" {
  value = terraform_data.c.output.from
}
output "token" {
  value     = var.token
  sensitive = true
}
"#;

#[test]
fn apply_then_no_changes_then_destroy() {
    let s = Stack::new(CHAIN);
    let (code, out, err) = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("3 to add"), "{out}");

    // No terminal and no --auto-approve: refuse, change nothing.
    let (code, _, err) = s.run(&["apply"]);
    assert_eq!(code, 1);
    assert!(err.contains("pass --auto-approve"), "{err}");
    assert!(s.addresses().is_empty());

    let (code, out, err) = s.run(&["apply", "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Apply complete! Resources: 3 added, 0 changed, 0 destroyed."),
        "{out}"
    );
    assert!(
        out.contains("terraform_data.c: Creation complete after"),
        "{out}"
    );
    assert!(out.contains("c_from = \"alpha-beta\""), "{out}");
    assert!(!out.contains("s3cr3t"), "{out}");

    let (code, out, err) = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("No changes"), "{out}");

    let (code, out, _) = s.run(&["output", "c_from"]);
    assert_eq!((code, out.trim()), (0, "alpha-beta"));
    let (code, out, _) = s.run(&["output", "--json"]);
    assert_eq!(code, 0);
    assert!(!out.contains("s3cr3t"), "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["token"]["sensitive"], true);
    let (code, _, err) = s.run(&["output", "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("it has: c_from, token"), "{err}");

    assert_eq!(
        s.addresses(),
        vec!["terraform_data.a", "terraform_data.b", "terraform_data.c"]
    );
    let (code, out, _) = s.run(&["state", "show", "terraform_data.b"]);
    assert_eq!(code, 0);
    assert!(out.contains("\"alpha-beta\""), "{out}");

    // A change in the middle of the chain updates it and what depends on its output.
    s.write(&CHAIN.replace("-beta", "-gamma"));
    let (code, out, err) = s.run(&["apply", "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 added, 2 changed, 0 destroyed"), "{out}");

    let (code, out, err) = s.run(&["destroy", "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Destroy complete! Resources: 3 destroyed."),
        "{out}"
    );
    assert!(s.addresses().is_empty());
    let (_, out, _) = s.run(&["output"]);
    assert!(out.trim().is_empty(), "{out}");

    let (code, out, _) = s.run(&["state", "history"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(out.lines().last().unwrap().contains("destroy"), "{out}");
}

#[test]
fn saved_plans_apply_exactly_and_stale_ones_are_refused() {
    let s = Stack::new(CHAIN);
    let (code, _, err) = s.run(&["plan", "--out", "p1"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = s.run(&["apply", "p1"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 added"), "{out}");
    // The same file again: the store moved on.
    let (code, _, err) = s.run(&["apply", "p1"]);
    assert_eq!(code, 1);
    assert!(err.contains("saved plan is stale"), "{err}");
    assert!(err.contains("store changed"), "{err}");

    s.write(&CHAIN.replace("alpha", "omega"));
    let (code, _, err) = s.run(&["plan", "--out", "p2", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    s.write(&CHAIN.replace("alpha", "delta"));
    let (code, _, err) = s.run(&["apply", "p2"]);
    assert_eq!(code, 1);
    assert!(err.contains("configuration"), "{err}");
    let (code, out, _) = s.run(&["output", "c_from"]);
    assert_eq!((code, out.trim()), (0, "alpha-beta"));
}

#[test]
fn state_rm_mv_import_and_targets() {
    let s = Stack::new(CHAIN);
    let (code, out, err) = s.run(&["apply", "--auto-approve", "--target", "terraform_data.b"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(s.addresses(), vec!["terraform_data.a", "terraform_data.b"]);

    let (code, out, _) = s.run(&["state", "mv", "terraform_data.b", "terraform_data.bb"]);
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = s.run(&["state", "mv", "terraform_data.zz", "terraform_data.y"]);
    assert_eq!(code, 1);
    assert!(err.contains("no resource terraform_data.zz"), "{err}");
    let (code, _, _) = s.run(&["state", "rm", "terraform_data.bb"]);
    assert_eq!(code, 0);
    assert_eq!(s.addresses(), vec!["terraform_data.a"]);

    let (code, out, err) = s.run(&["state", "import", "terraform_data.c", "ext-42"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(s.addresses(), vec!["terraform_data.a", "terraform_data.c"]);
    let (code, _, err) = s.run(&["state", "import", "terraform_data.nope", "x"]);
    assert_eq!(code, 1);
    assert!(err.contains("not in the configuration"), "{err}");

    let (code, _, err) = s.run(&["plan", "--target", "terraform_data.nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("matches no resource"), "{err}");
}

#[test]
fn a_second_process_gets_the_lock_message() {
    let s = Stack::new(CHAIN);
    {
        let held = SledStore::open(&s.state()).unwrap();
        let (code, _, err) = s.run(&["apply", "--auto-approve"]);
        assert_eq!(code, 1);
        let me = format!("locked by pid {}", std::process::id());
        assert!(err.contains(&me), "{err}");
        drop(held);
    }

    // Two real applies at once on a larger stack: one waits for nothing and fails with the
    // lock message, or they happen not to overlap; either way the store ends consistent.
    let n = 1500;
    s.write(&dag(n));
    let a = s
        .cmd(&["apply", "--auto-approve"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let b = s
        .cmd(&["apply", "--auto-approve"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let outcomes: Vec<(i32, String)> = [a, b]
        .into_iter()
        .map(|o| {
            (
                o.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .collect();
    let locked = outcomes
        .iter()
        .filter(|(c, e)| *c == 1 && e.contains("is locked by pid"))
        .count();
    for (c, e) in &outcomes {
        assert!(*c == 0 || e.contains("is locked by pid"), "exit {c}: {e}");
    }
    let (code, out, err) = s.run(&["plan", "--detailed-exitcode", "--refresh=false"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(s.addresses().len(), n);
    println!("concurrent applies: {locked} of 2 refused with the lock message; store consistent");
}

/// A DAG of `n` terraform_data resources, each referencing one or two earlier ones.
fn dag(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let refs = match i {
            0 => String::new(),
            1 => "    a = terraform_data.r0.id\n".to_string(),
            _ => format!(
                "    a = terraform_data.r{}.id\n    b = terraform_data.r{}.output.v\n",
                i - 1,
                (i * 7919) % i
            ),
        };
        s.push_str(&format!(
            "resource \"terraform_data\" \"r{i}\" {{\n  input = {{\n    v = \"v{i}\"\n{refs}  }}\n}}\n"
        ));
    }
    s
}

#[test]
fn sigkill_during_apply_then_the_next_run_finishes_cleanly() {
    use std::io::BufRead;
    let n = 50;
    let cfg = dag(n);
    // Kill points: before anything is read, after the k-th progress line of the apply (each
    // resource prints a start and an end line), and once just after it printed everything.
    let points: [Option<usize>; 9] = [
        None,
        Some(1),
        Some(2),
        Some(9),
        Some(25),
        Some(50),
        Some(73),
        Some(98),
        Some(2 * n),
    ];
    let mut interrupted = 0;
    let mut report = Vec::new();
    for (run, point) in points.iter().enumerate() {
        let s = Stack::new(&cfg);
        let mut child = s
            .cmd(&["apply", "--auto-approve", "--parallelism", "4"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut seen = 0;
        if let Some(k) = point {
            let stdout = child.stdout.take().unwrap();
            for line in std::io::BufReader::new(stdout).lines() {
                let line = line.unwrap();
                if line.contains(": Creat") {
                    seen += 1;
                    if seen == *k {
                        break;
                    }
                }
            }
        }
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        let killed = status.code().is_none();

        // What the killed run left: the store must open cleanly.
        let (left, pending) = {
            let store = SledStore::open(&s.state()).expect("store opens after SIGKILL");
            (
                store.list_resources("default").unwrap().len(),
                store.list_intents("default").unwrap().len(),
            )
        };
        if killed && left < n {
            interrupted += 1;
        }

        let (code, out, err) = s.run(&["apply", "--auto-approve"]);
        assert_eq!(code, 0, "run {run}: {out}{err}");
        let store = SledStore::open(&s.state()).expect("store opens");
        let recs = store.list_resources("default").unwrap();
        let expected: std::collections::BTreeSet<String> =
            (0..n).map(|i| format!("terraform_data.r{i}")).collect();
        let got: std::collections::BTreeSet<String> =
            recs.iter().map(|r| r.address.clone()).collect();
        assert_eq!(recs.len(), n, "run {run}: one record per resource");
        assert_eq!(got, expected, "run {run}: no orphan, nothing missing");
        let ids: std::collections::BTreeSet<&str> = recs.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.len(), n, "run {run}: no duplicate ids");
        assert!(store.list_intents("default").unwrap().is_empty());
        for r in &recs {
            let i: usize = r
                .address
                .trim_start_matches("terraform_data.r")
                .parse()
                .unwrap();
            assert_eq!(
                r.cloud.get("output").and_then(|o| o.get_str("v")),
                Some(format!("v{i}").as_str()),
                "run {run}: {} holds its own value",
                r.address
            );
            // Every reference points at the id the dependency has now.
            if let Some(a) = r.cloud.get("output").and_then(|o| o.get_str("a")) {
                let dep = format!("terraform_data.r{}", i - 1);
                let dep_id = recs
                    .iter()
                    .find(|d| d.address == dep)
                    .map(|d| d.id.as_str());
                assert_eq!(
                    Some(a),
                    dep_id,
                    "run {run}: {} refers to a stale id",
                    r.address
                );
            }
        }
        drop(store);
        let (code, out, err) = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(code, 0, "run {run}: second plan shows changes: {out}{err}");
        report.push(format!(
            "kill after {} progress lines ({}): {left} recorded, {pending} intent(s) pending",
            point.map(|k| k.to_string()).unwrap_or_else(|| "0".into()),
            if killed { "killed" } else { "had exited" }
        ));
    }
    println!(
        "crash test: {} runs of a {n}-resource apply, {interrupted} killed part-way; after each \
         the next apply finished. Checked: the store opens, {n} records (one per address, none \
         extra), unique ids, each holding its own value and its dependency's current id, no \
         pending intent, then a no-change plan.",
        points.len()
    );
    for r in report {
        println!("  {r}");
    }
    assert!(
        interrupted >= 4,
        "too few runs were interrupted part-way to mean anything"
    );
}
