//! Replacing a resource that others depend on, through the binary against moto: the engine must
//! destroy the dependents before the dependency and create them after it, or the cloud refuses
//! (IAM DeleteConflict for a role with attached policies, EC2 DependencyViolation for a VPC
//! with subnets). Every step is checked with the AWS CLI. moto enforces both refusals for roles
//! (inline and attached policies) and for subnets; it lets a VPC with a security group go.

use super::moto::Moto;
use super::stack::{json, Stack};

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn role_config(name: &str) -> String {
    format!(
        r#"
resource "aws_iam_role" "app" {{
  name               = "{name}"
  assume_role_policy = {trust:?}
}}

resource "aws_iam_policy" "read" {{
  name   = "ro-read"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "read" {{
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.read.arn
}}

resource "aws_iam_role_policy" "inline" {{
  name = "inline"
  role = aws_iam_role.app.id
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sqs:SendMessage", Resource = "*" }}]
  }})
}}
"#,
        trust = TRUST
    )
}

fn role_names(moto: &Moto) -> Vec<String> {
    let out = json(&moto.aws(&["iam", "list-roles", "--output", "json"]));
    out["Roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["RoleName"].as_str().unwrap().to_string())
        .collect()
}

/// Checks with the CLI that `role` exists with the managed policy attached and the inline one.
fn assert_role_complete(moto: &Moto, role: &str) {
    let attached = json(&moto.aws(&[
        "iam",
        "list-attached-role-policies",
        "--role-name",
        role,
        "--output",
        "json",
    ]));
    let names: Vec<&str> = attached["AttachedPolicies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PolicyName"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["ro-read"], "{role}: {attached}");
    let inline = json(&moto.aws(&[
        "iam",
        "list-role-policies",
        "--role-name",
        role,
        "--output",
        "json",
    ]));
    assert_eq!(
        inline["PolicyNames"],
        serde_json::json!(["inline"]),
        "{role}"
    );
    let doc = moto.aws(&[
        "iam",
        "get-role-policy",
        "--role-name",
        role,
        "--policy-name",
        "inline",
    ]);
    assert!(doc.contains("sqs:SendMessage"), "{doc}");
}

#[test]
fn renaming_a_role_replaces_its_attachments_around_it() {
    let moto = Moto::start();
    let s = Stack::new(&moto, &role_config("ro-app"));
    s.apply();
    assert_role_complete(&moto, "ro-app");

    s.write(&role_config("ro-app-2"));
    let actions = s.plan_actions();
    for addr in [
        "aws_iam_role.app",
        "aws_iam_role_policy_attachment.read",
        "aws_iam_role_policy.inline",
    ] {
        assert_eq!(
            actions.get(addr).map(String::as_str),
            Some("replace"),
            "{addr}: {actions:?}"
        );
    }
    assert!(!actions.contains_key("aws_iam_policy.read"), "{actions:?}");
    let run = s.apply();
    println!("{}", run.out);

    let roles = role_names(&moto);
    assert!(roles.contains(&"ro-app-2".to_string()), "{roles:?}");
    assert!(
        !roles.contains(&"ro-app".to_string()),
        "old role still there: {roles:?}"
    );
    assert_role_complete(&moto, "ro-app-2");
    s.assert_no_changes();
    println!("checked: role renamed, attachment and inline policy moved to ro-app-2, ro-app gone, no changes after");
}

fn vpc_config(cidr: &str) -> String {
    let subnet = cidr.replace(".0.0/16", ".1.0/24");
    format!(
        r#"
resource "aws_vpc" "main" {{
  cidr_block = "{cidr}"
  tags = {{ Name = "ro-main" }}
}}

resource "aws_subnet" "a" {{
  vpc_id            = aws_vpc.main.id
  cidr_block        = "{subnet}"
  availability_zone = "us-east-1a"
}}

resource "aws_security_group" "web" {{
  name   = "ro-web"
  vpc_id = aws_vpc.main.id
}}
"#
    )
}

fn vpcs_named(moto: &Moto) -> Vec<(String, String)> {
    let out = json(&moto.aws(&[
        "ec2",
        "describe-vpcs",
        "--filters",
        "Name=tag:Name,Values=ro-main",
        "--output",
        "json",
    ]));
    out["Vpcs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["VpcId"].as_str().unwrap().to_string(),
                v["CidrBlock"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn in_vpc(moto: &Moto, what: &str, list_key: &str, vpc: &str) -> Vec<serde_json::Value> {
    let out = json(&moto.aws(&[
        "ec2",
        what,
        "--filters",
        &format!("Name=vpc-id,Values={vpc}"),
        "--output",
        "json",
    ]));
    out[list_key].as_array().unwrap().clone()
}

#[test]
fn changing_a_vpc_cidr_replaces_its_subnet_and_security_group_around_it() {
    let moto = Moto::start();
    let s = Stack::new(&moto, &vpc_config("10.10.0.0/16"));
    s.apply();
    let before = vpcs_named(&moto);
    assert_eq!(before.len(), 1, "{before:?}");
    let old_vpc = before[0].0.clone();

    s.write(&vpc_config("10.20.0.0/16"));
    let actions = s.plan_actions();
    for addr in ["aws_vpc.main", "aws_subnet.a", "aws_security_group.web"] {
        assert_eq!(
            actions.get(addr).map(String::as_str),
            Some("replace"),
            "{addr}: {actions:?}"
        );
    }
    let run = s.apply();
    println!("{}", run.out);

    let after = vpcs_named(&moto);
    assert_eq!(after.len(), 1, "the old VPC is gone: {after:?}");
    let (vpc, cidr) = &after[0];
    assert_ne!(vpc, &old_vpc);
    assert_eq!(cidr, "10.20.0.0/16");
    let subnets = in_vpc(&moto, "describe-subnets", "Subnets", vpc);
    assert_eq!(subnets.len(), 1, "{subnets:?}");
    assert_eq!(subnets[0]["CidrBlock"], "10.20.1.0/24");
    let groups: Vec<String> = in_vpc(&moto, "describe-security-groups", "SecurityGroups", vpc)
        .iter()
        .map(|g| g["GroupName"].as_str().unwrap().to_string())
        .collect();
    assert!(groups.contains(&"ro-web".to_string()), "{groups:?}");
    assert!(in_vpc(&moto, "describe-subnets", "Subnets", &old_vpc).is_empty());
    s.assert_no_changes();
    println!("checked: VPC replaced with 10.20.0.0/16, subnet and security group recreated in it, old VPC gone, no changes after");
}
