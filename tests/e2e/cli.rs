//! The CLI's config commands run as a user would: `validate` and `graph` on fixture
//! directories, checking output, diagnostics and exit codes.

use std::path::PathBuf;
use std::process::Command;

pub fn terrane() -> Command {
    Command::new(env!("CARGO_BIN_EXE_terrane"))
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn run(args: &[&str], dir: &std::path::Path) -> (i32, String, String) {
    let out = terrane()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run terrane");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn validate_fixture_succeeds() {
    let (code, out, err) = run(&["validate", "."], &fixture("graph"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "Success! 9 resources, 0 data sources.");
}

#[test]
fn graph_of_modules_count_and_for_each_matches_snapshot() {
    let (code, dot, err) = run(&["graph", "."], &fixture("graph"));
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("graph_dot", dot);
    let (code, json, _) = run(&["graph", ".", "--format", "json"], &fixture("graph"));
    assert_eq!(code, 0);
    insta::assert_snapshot!("graph_json", json);
}

#[test]
fn bad_input_exits_1_with_located_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"terraform_data\" \"a\" {\n  inptu = 1\n}\n\nresource \"terraform_data\" \"b\" {\n  input = terraform_data.zz.id\n}\n",
    )
    .unwrap();
    let (code, out, err) = run(&["validate", "."], dir.path());
    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("error: unsupported argument \"inptu\" in terraform_data.a"),
        "{err}"
    );
    assert!(err.contains("--> main.tf:2:3"), "{err}");
    assert!(err.contains("help: did you mean \"input\"?"), "{err}");
    assert!(
        err.contains("error: reference to undeclared resource terraform_data.zz"),
        "{err}"
    );
    assert!(err.contains("--> main.tf:6:11"), "{err}");
    assert!(
        err.contains("the configuration has 2 errors; nothing was changed"),
        "{err}"
    );
}

#[test]
fn cycle_is_reported_with_every_member() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"terraform_data\" \"a\" { input = terraform_data.c.id }\nresource \"terraform_data\" \"b\" { input = terraform_data.a.id }\nresource \"terraform_data\" \"c\" { input = terraform_data.b.id }\n",
    )
    .unwrap();
    let (code, _, err) = run(&["graph", "."], dir.path());
    assert_eq!(code, 1);
    assert!(err.contains("dependency cycle: terraform_data.a -> terraform_data.b -> terraform_data.c -> terraform_data.a"), "{err}");
    assert!(
        err.contains("terraform_data.c is on the cycle (main.tf:3:1)"),
        "{err}"
    );
}

#[test]
fn missing_directory_and_empty_directory_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&["validate", "nope"], dir.path());
    assert_eq!(code, 1);
    assert!(err.contains("nope is not a directory"), "{err}");
    let (code, _, err) = run(&["validate", "."], dir.path());
    assert_eq!(code, 1);
    assert!(err.contains("no .tf or .yaml files"), "{err}");
}

#[test]
fn every_command_has_help() {
    for cmd in ["validate", "graph"] {
        let (code, out, _) = run(&[cmd, "--help"], &fixture("graph"));
        assert_eq!(code, 0);
        assert!(out.contains("Usage: terrane"), "{out}");
    }
}

/// One configuration using every language feature (HCL and YAML side by side, modules nested two
/// deep, count, for_each, dynamic blocks, templates, heredocs, moved/import blocks, provider
/// aliases, a backend block) validates against the real provider schemas.
#[test]
fn every_language_feature_validates() {
    let (code, out, err) = run(&["validate", "."], &fixture("language"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "Success! 16 resources, 1 data source.");
    assert!(err.contains("backend"), "the backend block warns: {err}");
    let (code, dot, err) = run(&["graph", "."], &fixture("language"));
    assert_eq!(code, 0, "{err}");
    for edge in [
        // a YAML `queueUrlRef`, a module output, a splat over count, depends_on
        r#""aws_sqs_queue_policy.yaml-jobs-policy" -> "aws_sqs_queue.yaml-jobs""#,
        r#""aws_security_group.web" -> "module.network.aws_vpc.this""#,
        r#""terraform_data.after" -> "terraform_data.counted[2]""#,
        r#""terraform_data.after" -> "terraform_data.each[\"jobs\"]""#,
    ] {
        assert!(dot.contains(edge), "missing edge {edge} in\n{dot}");
    }
}
