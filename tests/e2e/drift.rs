//! `terrane drift` through the real binary on `terraform_data` and `null_resource`: exit codes,
//! every output format, pending changes, `.terraneignore`, and that it is read-only.
//!
//! The built-in types have no cloud of their own: their "cloud" is the cached state in the
//! store (their provider reads back what the store holds). Changing that cached value is
//! therefore the only way to change them outside terrane, and what these tests do to make
//! drift. Drift of AWS resources is made with the AWS CLI against moto (see `moto.rs`).

use super::cli::terrane;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use terrane_provider::Value;
use terrane_state::{SledStore, Store};

const MAIN: &str = r#"
variable "password" {
  type      = string
  sensitive = true
  default   = "hunter2-e2e"
}
resource "terraform_data" "a" {
  input = "one"
}
resource "terraform_data" "secret" {
  input = var.password
}
resource "null_resource" "b" {
  triggers = { x = "1" }
}
"#;

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

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join(".state")
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

    fn applied(main_tf: &str) -> Stack {
        let s = Stack::new(main_tf);
        let (code, _, err) = s.run(&["apply", "--auto-approve", "."]);
        assert_eq!(code, 0, "{err}");
        s
    }

    /// Changes the built-in "cloud" of a resource (its cached state): see the module docs.
    fn change_cloud(&self, address: &str, f: impl FnOnce(&mut Value)) {
        let store = SledStore::open(&self.state()).unwrap();
        let mut rec = store.get_resource("default", address).unwrap().unwrap();
        f(&mut rec.cloud);
        store.put_resource("default", &rec).unwrap();
    }

    fn json(&self, extra: &[&str]) -> (i32, serde_json::Value) {
        let mut args = vec!["drift", ".", "--format", "json"];
        args.extend_from_slice(extra);
        let (code, out, err) = self.run(&args);
        assert!(code == 0 || code == 2, "exit {code}: {err}");
        (code, serde_json::from_str(&out).expect("drift JSON"))
    }
}

fn set(v: &mut Value, k: &str, x: Value) {
    v.as_map_mut().unwrap().insert(k.into(), x);
}

/// Drift on `a` (input changed), the secret's input changed, and `b` deleted.
fn drifted() -> Stack {
    let s = Stack::applied(MAIN);
    s.change_cloud("terraform_data.a", |v| {
        set(v, "input", Value::string("changed"));
        set(v, "output", Value::string("changed"));
    });
    s.change_cloud("terraform_data.secret", |v| {
        set(v, "input", Value::string("hunter2-rotated"));
    });
    s.change_cloud("null_resource.b", |v| *v = Value::Null);
    s
}

#[test]
fn in_sync_exits_0_and_pending_alone_is_not_drift() {
    let s = Stack::applied(MAIN);
    let (code, out, err) = s.run(&["drift", "."]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("No drift"), "{out}");
    assert!(out.contains("Checked 3 managed resources"), "{out}");

    // A configuration change not applied yet: pending, exit 0.
    std::fs::write(s.file("main.tf"), MAIN.replace("\"one\"", "\"two\"")).unwrap();
    let (code, j) = s.json(&[]);
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(j["summary"]["drifted"], false);
    assert_eq!(j["pending"][0]["address"], "terraform_data.a");
    assert_eq!(j["pending"][0]["action"], "update");
    assert_eq!(j["pending"][0]["attributes"][0]["path"], "input");
    assert_eq!(j["pending"][0]["attributes"][0]["after"], "two");
    assert_eq!(j["changed"], serde_json::json!([]));

    // The cloud drifts too: exit 2, and the two stay apart.
    s.change_cloud("terraform_data.a", |v| {
        set(v, "input", Value::string("cloud"))
    });
    let (code, j) = s.json(&[]);
    assert_eq!(code, 2);
    assert_eq!(j["changed"][0]["address"], "terraform_data.a");
    assert_eq!(j["changed"][0]["attributes"][0]["expected"], "one");
    assert_eq!(j["changed"][0]["attributes"][0]["actual"], "cloud");
    assert_eq!(j["pending"][0]["attributes"][0]["after"], "two");
}

#[test]
fn drift_exits_2_writes_every_format_and_apply_restores() {
    let s = drifted();
    let (code, text, err) = s.run(&[
        "drift", ".", "--format", "json", "--out", "d.json", "--format", "junit", "--out", "d.xml",
        "--format", "sarif", "--out", "d.sarif", "--format", "markdown", "--out", "d.md",
        "--format", "text",
    ]);
    assert_eq!(code, 2, "{text}{err}");
    assert!(
        text.contains("Drift found: 2 changed, 1 deleted."),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "no colour when not on a terminal");

    let read = |f: &str| std::fs::read_to_string(s.file(f)).unwrap();
    for f in ["d.json", "d.xml", "d.sarif", "d.md"] {
        assert!(!read(f).contains("hunter2"), "{f} holds a secret");
    }
    assert!(!text.contains("hunter2"));

    let j: serde_json::Value = serde_json::from_str(&read("d.json")).unwrap();
    assert_eq!(j["format_version"], 1);
    let changed: Vec<&str> = j["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["terraform_data.a", "terraform_data.secret"]);
    // Only what the user set counts: `output` is computed.
    let attrs = &j["changed"][0]["attributes"];
    assert_eq!(attrs.as_array().unwrap().len(), 1, "{attrs:#}");
    assert_eq!(attrs[0]["path"], "input");
    assert_eq!(j["changed"][0]["location"]["file"], "main.tf");
    assert_eq!(j["changed"][0]["location"]["line"], 7);
    let secret = &j["changed"][1]["attributes"][0];
    assert_eq!(secret["sensitive"], true);
    assert_eq!(secret["expected"], "(sensitive)");
    assert_eq!(j["deleted"][0]["address"], "null_resource.b");
    assert_eq!(j["summary"]["drifted"], true);
    assert_eq!(j["summary"]["checked"], 3);

    let failures = junit_failures(&read("d.xml"));
    assert_eq!(
        failures,
        [
            ("null_resource.b".to_string(), Some("deleted".to_string())),
            ("terraform_data.a".to_string(), Some("changed".to_string())),
            (
                "terraform_data.secret".to_string(),
                Some("changed".to_string())
            ),
        ]
    );

    let sarif: serde_json::Value = serde_json::from_str(&read("d.sarif")).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 3);
    assert!(read("d.md").contains("**Drift found**: 2 changed, 1 deleted."));

    // Correcting drift is apply's job; afterwards the report is clean.
    let (code, _, err) = s.run(&["apply", "--auto-approve", "."]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = s.run(&["drift", "."]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn drift_is_read_only() {
    let s = drifted();
    let before: Vec<_> = {
        let store = SledStore::open(&s.state()).unwrap();
        store.list_resources("default").unwrap()
    };
    let (code, _, err) = s.run(&["drift", "."]);
    assert_eq!(code, 2, "{err}");
    let store = SledStore::open(&s.state()).unwrap();
    let after = store.list_resources("default").unwrap();
    assert_eq!(after.len(), before.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(a.desired, b.desired, "{} desired changed", a.address);
        assert_eq!(a.cloud, b.cloud, "{} cloud changed", a.address);
    }
    // The run is in the history.
    let runs = store.list_runs("default").unwrap();
    let last = runs.last().unwrap();
    assert_eq!(last.command, "drift");
    assert_eq!(last.summary, "drift: 2 changed, 1 deleted");
}

#[test]
fn terraneignore_silences_an_attribute_a_resource_a_wildcard_and_a_negation() {
    let s = drifted();
    let ignore = |text: &str| std::fs::write(s.file(".terraneignore"), text).unwrap();

    // An attribute: a's input drift is silenced; the rest stays.
    ignore("# known\nterraform_data.a.input\n");
    let (code, j) = s.json(&[]);
    assert_eq!(code, 2);
    assert_eq!(j["changed"].as_array().unwrap().len(), 1);
    assert_eq!(j["changed"][0]["address"], "terraform_data.secret");
    assert_eq!(j["summary"]["ignored"]["attributes"], 1);

    // A whole resource and a wildcard: nothing left, exit 0.
    ignore("terraform_data.a\nterraform_data.sec*\nnull_resource.*\n");
    let (code, j) = s.json(&[]);
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(j["summary"]["ignored"]["resources"], 3);

    // A negation brings one back; later lines win.
    ignore("*\n!terraform_data.a\n");
    let (code, j) = s.json(&[]);
    assert_eq!(code, 2);
    assert_eq!(j["changed"][0]["address"], "terraform_data.a");
    assert_eq!(j["deleted"], serde_json::json!([]));

    // A bad pattern is an error located in the file, and nothing is reported.
    ignore("terraform_data.a\n\nterraform_data\n");
    let (code, out, err) = s.run(&["drift", "."]);
    assert_eq!(code, 1, "{out}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains(".terraneignore:3:1"), "{err}");
    assert!(err.contains("`terraform_data` matches nothing"), "{err}");
}

#[test]
fn locations_are_relative_to_where_terrane_runs() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("infra")).unwrap();
    std::fs::write(root.path().join("infra/main.tf"), MAIN).unwrap();
    let run = |args: &[&str]| {
        let out = terrane()
            .args(args)
            .arg("--state")
            .arg(root.path().join(".state"))
            .current_dir(root.path())
            .stdin(Stdio::null())
            .env_remove("TERRANE_STATE")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert_eq!(run(&["apply", "--auto-approve", "./infra"]).0, Some(0));
    {
        let store = SledStore::open(&root.path().join(".state")).unwrap();
        let mut rec = store
            .get_resource("default", "terraform_data.a")
            .unwrap()
            .unwrap();
        set(&mut rec.cloud, "input", Value::string("changed"));
        store.put_resource("default", &rec).unwrap();
    }
    let (code, out) = run(&["drift", "./infra", "--format", "sarif"]);
    assert_eq!(code, Some(2), "{out}");
    let sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
    let loc = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "infra/main.tf");
    assert_eq!(loc["region"]["startLine"], 7);
}

#[test]
fn errors_exit_1() {
    let s = Stack::applied(MAIN);
    // Bad configuration.
    let bad = Stack::new("resource \"terraform_data\" \"a\" {\n  inptu = 1\n}\n");
    let (code, _, err) = bad.run(&["drift", "."]);
    assert_eq!(code, 1);
    assert!(err.contains("main.tf:2:3"), "{err}");
    // Two formats to standard output, an --out with no format before it, a bad format name.
    for args in [
        &["drift", ".", "--format", "json", "--format", "junit"][..],
        &["drift", ".", "--out", "x.json", "--format", "json"][..],
        &["drift", ".", "--format", "yaml"][..],
        &["drift", ".", "--no-such-flag"][..],
    ] {
        let (code, out, err) = s.run(args);
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(err.contains("error"), "{args:?}: {err}");
    }
    // An unwritable output file.
    let (code, _, err) = s.run(&[
        "drift",
        ".",
        "--format",
        "json",
        "--out",
        "/nonexistent/d.json",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot write the json report"), "{err}");
}

#[test]
fn unmanaged_with_only_built_in_types_finds_none() {
    let s = Stack::applied(MAIN);
    let (code, j) = s.json(&["--unmanaged"]);
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(j["summary"]["unmanaged_checked"], true);
    assert_eq!(j["unmanaged"], serde_json::json!([]));
}

/// (testcase name, failure type) of every test case, checking the XML is well-formed.
pub(super) fn junit_failures(xml: &str) -> Vec<(String, Option<String>)> {
    use xmlparser::{ElementEnd, Token, Tokenizer};
    let mut stack: Vec<String> = Vec::new();
    let mut cases: Vec<(String, Option<String>)> = Vec::new();
    let mut open = String::new();
    let mut attrs: Vec<(String, String)> = Vec::new();
    for t in Tokenizer::from(xml) {
        match t.unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{xml}")) {
            Token::ElementStart { local, .. } => {
                open = local.to_string();
                attrs.clear();
            }
            Token::Attribute { local, value, .. } => {
                attrs.push((local.to_string(), value.to_string()));
            }
            Token::ElementEnd { end, .. } => match end {
                ElementEnd::Open | ElementEnd::Empty => {
                    let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                    match open.as_str() {
                        "testcase" => cases.push((get("name").unwrap(), None)),
                        "failure" => cases.last_mut().unwrap().1 = get("type"),
                        _ => {}
                    }
                    if end == ElementEnd::Open {
                        stack.push(open.clone());
                    }
                }
                ElementEnd::Close(_, local) => {
                    assert_eq!(stack.pop().as_deref(), Some(local.as_str()));
                }
            },
            _ => {}
        }
    }
    assert!(stack.is_empty());
    cases
}
