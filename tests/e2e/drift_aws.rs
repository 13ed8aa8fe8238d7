//! `terrane drift` against a real AWS API (moto): the real binary applies an HCL stack, the AWS
//! CLI changes the cloud behind its back, and the report must name exactly what changed, what
//! was deleted and what nobody manages; `apply` then restores the cloud. Also: a policy
//! rewritten with the same meaning is not drift, and a pending configuration change alone
//! does not fail the check.

use super::cli::terrane;
use super::drift::junit_failures;
use crate::moto::Moto;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Every type the issue names: a bucket with a policy, a tagged queue, a security group with
/// an ingress rule in a VPC, an IAM role with a trust policy, and a topic to delete.
const STACK: &str = r#"
resource "aws_s3_bucket" "data" {
  bucket = "drift-data"
}

resource "aws_s3_bucket_policy" "data" {
  bucket = aws_s3_bucket.data.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "ReadOnly"
      Effect    = "Allow"
      Principal = { AWS = ["arn:aws:iam::123456789012:root"] }
      Action    = ["s3:GetObject"]
      Resource  = ["arn:aws:s3:::drift-data/*"]
    }]
  })
}

resource "aws_sqs_queue" "jobs" {
  name                       = "drift-jobs"
  visibility_timeout_seconds = 30
  tags = {
    Team = "core"
    Env  = "test"
  }
}

resource "aws_sns_topic" "alerts" {
  name = "drift-alerts"
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_security_group" "web" {
  name        = "drift-web"
  description = "web"
  vpc_id      = aws_vpc.main.id
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }
}

resource "aws_iam_role" "app" {
  name = "drift-app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}
"#;

/// A stack directory with its own store, run against one moto server.
struct Stack<'m> {
    dir: tempfile::TempDir,
    moto: &'m Moto,
}

impl<'m> Stack<'m> {
    fn new(moto: &'m Moto, main_tf: &str) -> Stack<'m> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), main_tf).unwrap();
        Stack { dir, moto }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = terrane()
            .args(args)
            .arg("--state")
            .arg(self.dir.path().join(".state"))
            .current_dir(self.path())
            .stdin(Stdio::null())
            .env_remove("TERRANE_STATE")
            .envs(self.moto.env())
            .output()
            .expect("run terrane");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn apply(&self) {
        let (code, out, err) = self.run(&["apply", "--auto-approve", "."]);
        assert_eq!(code, 0, "apply failed:\n{out}{err}");
    }

    /// `terrane drift . --format json` plus `extra`; the exit code and the parsed document.
    fn drift_json(&self, extra: &[&str]) -> (i32, serde_json::Value) {
        let mut args = vec!["drift", ".", "--format", "json"];
        args.extend_from_slice(extra);
        let (code, out, err) = self.run(&args);
        assert!(code == 0 || code == 2, "drift exited {code}:\n{out}{err}");
        (
            code,
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("drift JSON: {e}\n{out}")),
        )
    }
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("AWS CLI JSON: {e}\n{s}"))
}

fn queue_url(moto: &Moto, name: &str) -> String {
    json(&moto.aws(&["sqs", "get-queue-url", "--queue-name", name]))["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string()
}

fn sg_id(moto: &Moto) -> String {
    let out = json(&moto.aws(&[
        "ec2",
        "describe-security-groups",
        "--filters",
        "Name=group-name,Values=drift-web",
    ]));
    out["SecurityGroups"][0]["GroupId"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Changed addresses, each with the paths of its drifted attributes.
fn changed_paths(j: &serde_json::Value) -> BTreeMap<String, Vec<String>> {
    j["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let paths = c["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["path"].as_str().unwrap().to_string())
                .collect();
            (c["address"].as_str().unwrap().to_string(), paths)
        })
        .collect()
}

fn attribute<'a>(j: &'a serde_json::Value, address: &str, path: &str) -> &'a serde_json::Value {
    j["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == address)
        .and_then(|c| {
            c["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["path"] == path)
        })
        .unwrap_or_else(|| panic!("no drift of {address} {path} in {j:#}"))
}

#[test]
fn drift_against_aws_lists_exactly_what_changed_and_apply_restores() {
    let moto = Moto::start();
    let s = Stack::new(&moto, STACK);
    s.apply();
    let (code, j) = s.drift_json(&["--unmanaged"]);
    assert_eq!(code, 0, "freshly applied, nothing drifted: {j:#}");

    // Behind terrane's back.
    let q = queue_url(&moto, "drift-jobs");
    moto.aws(&["sqs", "tag-queue", "--queue-url", &q, "--tags", "Team=ops"]);
    moto.aws(&[
        "sqs",
        "set-queue-attributes",
        "--queue-url",
        &q,
        "--attributes",
        "VisibilityTimeout=90",
    ]);
    let sg = sg_id(&moto);
    moto.aws(&[
        "ec2",
        "authorize-security-group-ingress",
        "--group-id",
        &sg,
        "--protocol",
        "tcp",
        "--port",
        "22",
        "--cidr",
        "0.0.0.0/0",
    ]);
    moto.aws(&[
        "s3api",
        "put-bucket-policy",
        "--bucket",
        "drift-data",
        "--policy",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadOnly","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["s3:GetObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::drift-data/*"}]}"#,
    ]);
    moto.aws(&[
        "iam",
        "update-assume-role-policy",
        "--role-name",
        "drift-app",
        "--policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    ]);
    let topic = json(&moto.aws(&["sns", "create-topic", "--name", "drift-alerts"]))["TopicArn"]
        .as_str()
        .unwrap()
        .to_string();
    moto.aws(&["sns", "delete-topic", "--topic-arn", &topic]);
    moto.aws(&["s3api", "create-bucket", "--bucket", "stray-bucket"]);
    let stray_queue = json(&moto.aws(&["sqs", "create-queue", "--queue-name", "stray-queue"]))
        ["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();

    let (code, out, err) = s.run(&[
        "drift",
        ".",
        "--unmanaged",
        "--format",
        "json",
        "--out",
        "d.json",
        "--format",
        "junit",
        "--out",
        "d.xml",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    let read = |f: &str| std::fs::read_to_string(s.file(f)).unwrap();
    let j: serde_json::Value = serde_json::from_str(&read("d.json")).unwrap();

    let expected: BTreeMap<String, Vec<String>> = [
        ("aws_iam_role.app", vec!["assume_role_policy"]),
        ("aws_s3_bucket_policy.data", vec!["policy"]),
        // The hand-made rule is a second ingress block; the first is unchanged.
        (
            "aws_security_group.web",
            vec![
                "ingress[1].cidr_blocks",
                "ingress[1].from_port",
                "ingress[1].protocol",
                "ingress[1].self",
                "ingress[1].to_port",
            ],
        ),
        (
            "aws_sqs_queue.jobs",
            vec!["tags.Team", "visibility_timeout_seconds"],
        ),
    ]
    .into_iter()
    .map(|(a, p)| (a.to_string(), p.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(changed_paths(&j), expected, "{j:#}");
    let team = attribute(&j, "aws_sqs_queue.jobs", "tags.Team");
    assert_eq!(
        (&team["expected"], &team["actual"]),
        (&"core".into(), &"ops".into())
    );
    let vis = attribute(&j, "aws_sqs_queue.jobs", "visibility_timeout_seconds");
    assert_eq!((&vis["expected"], &vis["actual"]), (&30.into(), &90.into()));
    let trust = attribute(&j, "aws_iam_role.app", "assume_role_policy");
    assert!(
        trust["actual"].to_string().contains("lambda.amazonaws.com"),
        "{trust:#}"
    );
    let cidrs = attribute(&j, "aws_security_group.web", "ingress[1].cidr_blocks");
    assert_eq!(
        cidrs["actual"],
        serde_json::json!(["0.0.0.0/0"]),
        "{cidrs:#}"
    );
    assert_eq!(cidrs["expected"], serde_json::Value::Null, "{cidrs:#}");
    let port = attribute(&j, "aws_security_group.web", "ingress[1].from_port");
    assert_eq!(port["actual"], 22, "{port:#}");
    let policy = attribute(&j, "aws_s3_bucket_policy.data", "policy");
    assert!(
        policy["actual"].to_string().contains("s3:DeleteObject"),
        "{policy:#}"
    );

    let deleted: Vec<&str> = j["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["address"].as_str().unwrap())
        .collect();
    assert_eq!(deleted, ["aws_sns_topic.alerts"], "{j:#}");

    let unmanaged: Vec<(&str, &str)> = j["unmanaged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["type"].as_str().unwrap(), u["id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        unmanaged,
        [
            ("aws_s3_bucket", "stray-bucket"),
            ("aws_sqs_queue", stray_queue.as_str())
        ],
        "{j:#}"
    );
    assert_eq!(j["summary"]["drifted"], true);
    assert_eq!(
        j["pending"],
        serde_json::json!([]),
        "nothing pending: {j:#}"
    );

    // One failed case per drifted, deleted or unmanaged resource; the rest pass.
    let failures: Vec<(String, String)> = junit_failures(&read("d.xml"))
        .into_iter()
        .filter_map(|(name, f)| f.map(|f| (name, f)))
        .collect();
    let want: Vec<(String, String)> = [
        ("aws_iam_role.app", "changed"),
        ("aws_s3_bucket_policy.data", "changed"),
        ("aws_security_group.web", "changed"),
        ("aws_sns_topic.alerts", "deleted"),
        ("aws_sqs_queue.jobs", "changed"),
        ("aws_s3_bucket.stray-bucket", "unmanaged"),
    ]
    .into_iter()
    .map(|(n, f)| (n.to_string(), f.to_string()))
    .chain([(
        format!("aws_sqs_queue.{stray_queue}"),
        "unmanaged".to_string(),
    )])
    .collect();
    assert_eq!(failures, want);

    // Apply corrects the drift; then the managed resources are in sync again.
    s.apply();
    let vis = json(&moto.aws(&[
        "sqs",
        "get-queue-attributes",
        "--queue-url",
        &q,
        "--attribute-names",
        "VisibilityTimeout",
    ]));
    assert_eq!(vis["Attributes"]["VisibilityTimeout"], "30");
    let (code, out, err) = s.run(&["drift", "."]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_policy_rewritten_with_the_same_meaning_is_not_drift() {
    let moto = Moto::start();
    let s = Stack::new(&moto, STACK);
    s.apply();
    // Keys reordered, other whitespace, one-item lists written as strings.
    moto.aws(&[
        "s3api",
        "put-bucket-policy",
        "--bucket",
        "drift-data",
        "--policy",
        r#"{ "Statement": [ { "Resource": "arn:aws:s3:::drift-data/*",
             "Action": "s3:GetObject", "Principal": { "AWS": "arn:aws:iam::123456789012:root" },
             "Effect": "Allow", "Sid": "ReadOnly" } ],
           "Version": "2012-10-17" }"#,
    ]);
    moto.aws(&[
        "iam",
        "update-assume-role-policy",
        "--role-name",
        "drift-app",
        "--policy-document",
        r#"{"Statement":{"Action":["sts:AssumeRole"],"Principal":{"Service":["ec2.amazonaws.com"]},"Effect":"Allow"},"Version":"2012-10-17"}"#,
    ]);
    let (code, j) = s.drift_json(&[]);
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(j["changed"], serde_json::json!([]), "{j:#}");
}

#[test]
fn a_pending_change_is_listed_apart_and_is_not_drift() {
    let moto = Moto::start();
    let s = Stack::new(&moto, STACK);
    s.apply();
    std::fs::write(
        s.file("main.tf"),
        STACK.replace(
            "visibility_timeout_seconds = 30",
            "visibility_timeout_seconds = 60",
        ),
    )
    .unwrap();
    let (code, j) = s.drift_json(&[]);
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(j["changed"], serde_json::json!([]), "{j:#}");
    let pending = j["pending"].as_array().unwrap();
    assert_eq!(pending.len(), 1, "{j:#}");
    assert_eq!(pending[0]["address"], "aws_sqs_queue.jobs");
    assert_eq!(pending[0]["action"], "update");
    assert_eq!(
        pending[0]["attributes"][0]["path"],
        "visibility_timeout_seconds"
    );
    assert_eq!(pending[0]["attributes"][0]["after"], 60);

    // With the cloud drifted as well, the two stay apart and the check fails.
    moto.aws(&[
        "sqs",
        "set-queue-attributes",
        "--queue-url",
        &queue_url(&moto, "drift-jobs"),
        "--attributes",
        "VisibilityTimeout=90",
    ]);
    let (code, j) = s.drift_json(&[]);
    assert_eq!(code, 2, "{j:#}");
    let vis = attribute(&j, "aws_sqs_queue.jobs", "visibility_timeout_seconds");
    assert_eq!((&vis["expected"], &vis["actual"]), (&30.into(), &90.into()));
    assert_eq!(j["pending"][0]["attributes"][0]["after"], 60);
}
