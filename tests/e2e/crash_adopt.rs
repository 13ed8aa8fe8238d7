//! SIGKILL right after a create call reached the cloud, then apply again: the next run must adopt
//! what the killed one made (no duplicate, no "already exists"), record it, and converge. The
//! kill point comes from the debug-build hook `TERRANE_FAULT_AFTER_SEND=<Operation>`, which
//! hangs the process just after that operation's response arrives (before the provider's
//! follow-up calls such as S3's PutBucketTagging, and before the store hears of the result).
//! Everything is checked with the AWS CLI.

use super::moto::Moto;
use super::stack::{json, Stack};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

struct Case {
    address: &'static str,
    operation: &'static str,
    config: &'static str,
    /// The cloud ids of this resource, found with the AWS CLI.
    find: fn(&Moto) -> Vec<String>,
}

fn vpcs(moto: &Moto) -> Vec<String> {
    let out = json(&moto.aws(&[
        "ec2",
        "describe-vpcs",
        "--filters",
        "Name=cidr,Values=10.77.0.0/16",
        "--output",
        "json",
    ]));
    ids(&out["Vpcs"], "VpcId")
}

fn buckets(moto: &Moto) -> Vec<String> {
    let out = json(&moto.aws(&["s3api", "list-buckets", "--output", "json"]));
    ids(&out["Buckets"], "Name")
        .into_iter()
        .filter(|n| n == "crash-bucket")
        .collect()
}

fn roles(moto: &Moto) -> Vec<String> {
    let out = json(&moto.aws(&["iam", "list-roles", "--output", "json"]));
    ids(&out["Roles"], "RoleName")
        .into_iter()
        .filter(|n| n == "crash-role")
        .collect()
}

fn groups(moto: &Moto) -> Vec<String> {
    let out = json(&moto.aws(&[
        "ec2",
        "describe-security-groups",
        "--filters",
        "Name=group-name,Values=crash-sg",
        "--output",
        "json",
    ]));
    ids(&out["SecurityGroups"], "GroupId")
}

fn ids(list: &serde_json::Value, key: &str) -> Vec<String> {
    list.as_array()
        .map(|l| {
            l.iter()
                .map(|x| x[key].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

const CASES: &[Case] = &[
    Case {
        address: "aws_vpc.main",
        operation: "CreateVpc",
        config: r#"
resource "aws_vpc" "main" {
  cidr_block = "10.77.0.0/16"
  tags = { Name = "crash" }
}
"#,
        find: vpcs,
    },
    Case {
        address: "aws_s3_bucket.b",
        operation: "CreateBucket",
        config: r#"
resource "aws_s3_bucket" "b" {
  bucket = "crash-bucket"
  tags = { team = "x" }
}
"#,
        find: buckets,
    },
    Case {
        address: "aws_iam_role.r",
        operation: "CreateRole",
        config: r#"
resource "aws_iam_role" "r" {
  name = "crash-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}
"#,
        find: roles,
    },
    Case {
        address: "aws_security_group.g",
        operation: "CreateSecurityGroup",
        config: r#"
resource "aws_security_group" "g" {
  name        = "crash-sg"
  description = "crash test"
}
"#,
        find: groups,
    },
];

/// Runs `apply` with the fault hook on `operation`, waits for the hook's line, and kills the
/// process with SIGKILL.
fn apply_and_kill(s: &Stack, operation: &str) {
    let mut child = s
        .cmd(&["apply", "--auto-approve", "."])
        .env("TERRANE_FAULT_AFTER_SEND", operation)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn terrane apply");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let marker = format!("terrane: fault point after {operation}");
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains(&marker) {
                let _ = tx.send(Ok(()));
                return;
            }
            seen.push(line);
        }
        let _ = tx.send(Err(seen.join("\n")));
    });
    let start = Instant::now();
    match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(Ok(())) => {}
        Ok(Err(stderr)) => {
            let _ = child.kill();
            panic!("apply ended without reaching the fault point after {operation}:\n{stderr}");
        }
        Err(_) => {
            let _ = child.kill();
            panic!(
                "no fault point after {operation} within {:?}",
                start.elapsed()
            );
        }
    }
    child.kill().expect("SIGKILL"); // Child::kill is SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed: {status:?}");
}

#[test]
fn sigkill_after_create_then_the_next_apply_adopts() {
    let moto = Moto::start();
    for case in CASES {
        let s = Stack::new(&moto, case.config);
        apply_and_kill(&s, case.operation);

        // The cloud has it, the store does not.
        let made = (case.find)(&moto);
        assert_eq!(
            made.len(),
            1,
            "{}: the killed run made it: {made:?}",
            case.address
        );
        assert!(
            !s.addresses().contains(&case.address.to_string()),
            "{}: the store did not hear of it",
            case.address
        );

        let run = s.apply();
        let after = (case.find)(&moto);
        assert_eq!(
            after, made,
            "{}: adopted, not duplicated:\n{run}",
            case.address
        );
        assert!(s.addresses().contains(&case.address.to_string()));
        let id = s.id_of(case.address);
        assert!(
            made.contains(&id),
            "{}: the store holds the cloud's object {id}",
            case.address
        );
        if case.address == "aws_s3_bucket.b" {
            // The killed run never got to PutBucketTagging: the adopting run tagged it.
            let tags = moto.aws(&["s3api", "get-bucket-tagging", "--bucket", "crash-bucket"]);
            assert!(
                tags.contains("terrane:address") && tags.contains("team"),
                "{tags}"
            );
        }
        s.assert_no_changes();
        println!(
            "{}: killed after {}, next apply adopted {id}: exactly one in the cloud, in the store, third plan has no changes",
            case.address, case.operation
        );
    }
}
