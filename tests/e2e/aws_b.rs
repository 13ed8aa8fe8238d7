//! The AWS provider's IAM, DynamoDB and EC2/VPC types against a real AWS API (moto), driven
//! through the `Provider`/`Client` traits the engine uses. Every check of the cloud after a
//! terrane call goes through a second client (the AWS CLI), never through terrane's own reads.

use crate::moto::Moto;
use std::sync::Arc;
use terrane_provider::{
    Client, CreateRequest, DeleteRequest, ErrorKind, Owner, Provider, ReadRequest, UpdateRequest,
    Value,
};
use terrane_provider_aws::AwsProvider;

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn s(x: &str) -> Value {
    Value::string(x)
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::map(pairs)
}

fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::map(pairs.iter().map(|(k, v)| (*k, s(v))))
}

/// A client aimed at this moto server through the provider block, as a config would do it.
async fn client(moto: &Moto) -> Arc<dyn Client> {
    let ep = s(&moto.endpoint());
    let endpoints = obj([
        "iam",
        "ec2",
        "dynamodb",
        "sts",
        "s3",
        "sqs",
        "sns",
        "ssm",
        "logs",
        "kms",
        "secretsmanager",
    ]
    .iter()
    .map(|k| (*k, ep.clone()))
    .collect());
    let config = obj(vec![
        ("region", s("us-east-1")),
        ("access_key", s("test")),
        ("secret_key", s("test")),
        ("endpoints", Value::List(vec![endpoints])),
    ]);
    AwsProvider::new()
        .configure(&config)
        .await
        .expect("configure the aws provider")
}

fn owner(address: &str) -> Owner {
    Owner {
        stack: "test-stack".into(),
        address: address.into(),
    }
}

async fn create(c: &Arc<dyn Client>, ty: &str, addr: &str, config: Value) -> Value {
    let mut config = config;
    c.plan(ty, &mut config);
    c.create(&CreateRequest {
        type_name: ty.into(),
        owner: owner(addr),
        config,
        interrupted: false,
    })
    .await
    .unwrap_or_else(|e| panic!("create {ty}: {e}"))
}

async fn read(c: &Arc<dyn Client>, ty: &str, id: &str, prior: &Value) -> Option<Value> {
    c.read(&ReadRequest {
        type_name: ty.into(),
        id: id.into(),
        prior: prior.clone(),
    })
    .await
    .unwrap_or_else(|e| panic!("read {ty} {id}: {e}"))
}

async fn update(c: &Arc<dyn Client>, ty: &str, addr: &str, prior: &Value, config: Value) -> Value {
    let mut config = config;
    c.plan(ty, &mut config);
    c.update(&UpdateRequest {
        type_name: ty.into(),
        owner: owner(addr),
        id: prior.get_str("id").unwrap().into(),
        prior: prior.clone(),
        config,
    })
    .await
    .unwrap_or_else(|e| panic!("update {ty}: {e}"))
}

/// Deletes, checks the read says gone, and checks a second delete still succeeds.
async fn delete_twice(c: &Arc<dyn Client>, ty: &str, state: &Value) {
    let id = state.get_str("id").unwrap().to_string();
    let req = DeleteRequest {
        type_name: ty.into(),
        id: id.clone(),
        prior: state.clone(),
    };
    c.delete(&req)
        .await
        .unwrap_or_else(|e| panic!("delete {ty}: {e}"));
    assert_eq!(
        read(c, ty, &id, state).await,
        None,
        "{ty} {id} still reads after delete"
    );
    c.delete(&req)
        .await
        .unwrap_or_else(|e| panic!("second delete of {ty} {id} must succeed: {e}"));
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("AWS CLI output is not JSON ({e}): {out}"))
}

#[tokio::test]
async fn iam_role_lifecycle_adopt_import_and_drift() {
    let moto = Moto::start();
    let c = client(&moto).await;
    let ty = "aws_iam_role";
    let cfg = |desc: &str| {
        obj(vec![
            ("name", s("app-role")),
            ("assume_role_policy", s(TRUST)),
            ("description", s(desc)),
            ("tags", tags(&[("team", "infra")])),
            (
                "inline_policy",
                Value::List(vec![obj(vec![
                    ("name", s("read-logs")),
                    (
                        "policy",
                        s(
                            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:GetLogEvents"],"Resource":"*"}]}"#,
                        ),
                    ),
                ])]),
            ),
        ])
    };
    let st = create(&c, ty, "aws_iam_role.app", cfg("first")).await;
    assert_eq!(st.get_str("id"), Some("app-role"));
    assert!(st.get_str("arn").unwrap().ends_with(":role/app-role"));
    assert_eq!(
        st.get("tags"),
        Some(&tags(&[("team", "infra")])),
        "ownership tags hidden"
    );

    // The cloud, through the AWS CLI.
    let role = json(&moto.aws(&["iam", "get-role", "--role-name", "app-role"]));
    assert_eq!(role["Role"]["Description"], "first");
    let role_tags = moto.aws(&["iam", "list-role-tags", "--role-name", "app-role"]);
    assert!(role_tags.contains("terrane:address") && role_tags.contains("aws_iam_role.app"));
    let inline = moto.aws(&["iam", "list-role-policies", "--role-name", "app-role"]);
    assert!(inline.contains("read-logs"), "{inline}");

    // Read back equals what create returned; a second create with the same owner adopts.
    assert_eq!(read(&c, ty, "app-role", &st).await.as_ref(), Some(&st));
    let again = create(&c, ty, "aws_iam_role.app", cfg("first")).await;
    assert_eq!(again.get_str("arn"), st.get_str("arn"));
    let roles = json(&moto.aws(&["iam", "list-roles"]));
    assert_eq!(
        roles["Roles"].as_array().unwrap().len(),
        1,
        "adopted, not duplicated"
    );
    // Another owner gets a clear error.
    let mut other = cfg("first");
    c.plan(ty, &mut other);
    let err = c
        .create(&CreateRequest {
            type_name: ty.into(),
            owner: owner("aws_iam_role.other"),
            config: other,
            interrupted: false,
        })
        .await
        .unwrap_err();
    assert!(err.message.contains("already exists"), "{err}");

    // Update in place.
    let st = update(&c, ty, "aws_iam_role.app", &st, cfg("second")).await;
    assert_eq!(st.get_str("description"), Some("second"));
    let role = json(&moto.aws(&["iam", "get-role", "--role-name", "app-role"]));
    assert_eq!(role["Role"]["Description"], "second");

    // A change behind terrane's back is seen.
    moto.aws(&[
        "iam",
        "update-role",
        "--role-name",
        "app-role",
        "--description",
        "by hand",
    ]);
    let drifted = read(&c, ty, "app-role", &st).await.unwrap();
    assert_eq!(drifted.get_str("description"), Some("by hand"));

    // The same trust policy, reformatted by hand, reads equal.
    let reformatted = "{\n  \"Statement\": [ { \"Action\": [\"sts:AssumeRole\"],\n \"Principal\": {\"Service\": [\"ec2.amazonaws.com\"]}, \"Effect\": \"Allow\" } ],\n  \"Version\": \"2012-10-17\"\n}";
    moto.aws(&[
        "iam",
        "update-assume-role-policy",
        "--role-name",
        "app-role",
        "--policy-document",
        reformatted,
    ]);
    let after = read(&c, ty, "app-role", &st).await.unwrap();
    assert_eq!(
        after.get("assume_role_policy"),
        st.get("assume_role_policy")
    );

    // Import by name, and list.
    let imported = c.import(ty, "app-role").await.unwrap().unwrap();
    assert_eq!(imported.get_str("arn"), st.get_str("arn"));
    let listed = c.list(ty).await.unwrap();
    assert!(listed
        .iter()
        .any(|l| l.id == "app-role" && l.owned_by_terrane()));

    delete_twice(&c, ty, &st).await;
    let roles = json(&moto.aws(&["iam", "list-roles"]));
    assert!(roles["Roles"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn iam_policy_attachment_role_policy_and_user() {
    let moto = Moto::start();
    let c = client(&moto).await;
    let doc = |action: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
        )
    };
    let role = create(
        &c,
        "aws_iam_role",
        "aws_iam_role.r",
        obj(vec![("name", s("r1")), ("assume_role_policy", s(TRUST))]),
    )
    .await;

    // aws_iam_policy: create, update the document (a new default version), import, list.
    let pcfg = |a: &str| {
        obj(vec![
            ("name", s("p1")),
            ("description", s("test policy")),
            ("policy", s(&doc(a))),
        ])
    };
    let pol = create(
        &c,
        "aws_iam_policy",
        "aws_iam_policy.p",
        pcfg("s3:GetObject"),
    )
    .await;
    let arn = pol.get_str("arn").unwrap().to_string();
    assert_eq!(pol.get_str("id"), Some(arn.as_str()));
    assert_eq!(pol.get_str("path"), Some("/"));
    let pol = update(
        &c,
        "aws_iam_policy",
        "aws_iam_policy.p",
        &pol,
        pcfg("s3:PutObject"),
    )
    .await;
    let got = json(&moto.aws(&["iam", "get-policy", "--policy-arn", &arn]));
    let version = got["Policy"]["DefaultVersionId"]
        .as_str()
        .unwrap()
        .to_string();
    let v = moto.aws(&[
        "iam",
        "get-policy-version",
        "--policy-arn",
        &arn,
        "--version-id",
        &version,
    ]);
    assert!(v.contains("s3:PutObject"), "{v}");
    assert!(pol.get_str("policy").unwrap().contains("s3:PutObject"));
    let again = create(
        &c,
        "aws_iam_policy",
        "aws_iam_policy.p",
        pcfg("s3:PutObject"),
    )
    .await;
    assert_eq!(
        again.get_str("arn"),
        Some(arn.as_str()),
        "adopted after a crash"
    );
    assert!(c.import("aws_iam_policy", &arn).await.unwrap().is_some());
    assert!(c
        .list("aws_iam_policy")
        .await
        .unwrap()
        .iter()
        .any(|l| l.id == arn));

    // aws_iam_role_policy_attachment: id and import id `role/arn`.
    let att = create(
        &c,
        "aws_iam_role_policy_attachment",
        "aws_iam_role_policy_attachment.a",
        obj(vec![("role", s("r1")), ("policy_arn", s(&arn))]),
    )
    .await;
    assert_eq!(att.get_str("id").unwrap(), format!("r1/{arn}"));
    let attached = moto.aws(&["iam", "list-attached-role-policies", "--role-name", "r1"]);
    assert!(attached.contains(&arn), "{attached}");
    let imported = c
        .import("aws_iam_role_policy_attachment", &format!("r1/{arn}"))
        .await
        .unwrap();
    assert_eq!(imported.as_ref(), Some(&att));
    delete_twice(&c, "aws_iam_role_policy_attachment", &att).await;
    let attached = moto.aws(&["iam", "list-attached-role-policies", "--role-name", "r1"]);
    assert!(!attached.contains(&arn));

    // aws_iam_role_policy: id `role:name`, policy updated in place.
    let rp_cfg = |a: &str| {
        obj(vec![
            ("name", s("inline")),
            ("role", s("r1")),
            ("policy", s(&doc(a))),
        ])
    };
    let rp = create(
        &c,
        "aws_iam_role_policy",
        "aws_iam_role_policy.i",
        rp_cfg("sqs:*"),
    )
    .await;
    assert_eq!(rp.get_str("id"), Some("r1:inline"));
    let rp = update(
        &c,
        "aws_iam_role_policy",
        "aws_iam_role_policy.i",
        &rp,
        rp_cfg("sns:*"),
    )
    .await;
    let got = moto.aws(&[
        "iam",
        "get-role-policy",
        "--role-name",
        "r1",
        "--policy-name",
        "inline",
    ]);
    assert!(got.contains("sns:*"), "{got}");
    // The role itself does not report the separately managed inline policy as its own.
    let role_now = read(&c, "aws_iam_role", "r1", &role).await.unwrap();
    assert!(role_now.get("inline_policy").is_none());
    assert_eq!(
        c.import("aws_iam_role_policy", "r1:inline")
            .await
            .unwrap()
            .as_ref(),
        Some(&rp)
    );
    delete_twice(&c, "aws_iam_role_policy", &rp).await;

    // aws_iam_user: create, rename/path change in place, drift seen, delete.
    let ucfg = |path: &str, t: &str| {
        obj(vec![
            ("name", s("deploy")),
            ("path", s(path)),
            ("tags", tags(&[("purpose", t)])),
        ])
    };
    let user = create(&c, "aws_iam_user", "aws_iam_user.u", ucfg("/ci/", "ci")).await;
    assert_eq!(user.get_str("path"), Some("/ci/"));
    let user = update(
        &c,
        "aws_iam_user",
        "aws_iam_user.u",
        &user,
        ucfg("/ci/", "deploys"),
    )
    .await;
    let t = moto.aws(&["iam", "list-user-tags", "--user-name", "deploy"]);
    assert!(t.contains("deploys"), "{t}");
    moto.aws(&[
        "iam",
        "tag-user",
        "--user-name",
        "deploy",
        "--tags",
        "Key=extra,Value=x",
    ]);
    let seen = read(&c, "aws_iam_user", "deploy", &user).await.unwrap();
    assert_eq!(
        seen.get("tags"),
        Some(&tags(&[("extra", "x"), ("purpose", "deploys")]))
    );
    assert!(c
        .list("aws_iam_user")
        .await
        .unwrap()
        .iter()
        .any(|l| l.id == "deploy"));
    delete_twice(&c, "aws_iam_user", &user).await;

    delete_twice(&c, "aws_iam_policy", &pol).await;
    delete_twice(&c, "aws_iam_role", &role).await;
}

/// Follows the "Basic Example" of the aws_dynamodb_table docs page
/// (registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/dynamodb_table).
#[tokio::test]
async fn dynamodb_table_lifecycle() {
    let moto = Moto::start();
    let c = client(&moto).await;
    let ty = "aws_dynamodb_table";
    let attr = |n: &str, t: &str| obj(vec![("name", s(n)), ("type", s(t))]);
    let cfg = |rc: f64, ttl_on: bool| {
        obj(vec![
            ("name", s("GameScores")),
            ("billing_mode", s("PROVISIONED")),
            ("read_capacity", Value::Number(rc)),
            ("write_capacity", Value::Number(20.0)),
            ("hash_key", s("UserId")),
            ("range_key", s("GameTitle")),
            (
                "attribute",
                Value::List(vec![
                    attr("UserId", "S"),
                    attr("GameTitle", "S"),
                    attr("TopScore", "N"),
                ]),
            ),
            (
                "ttl",
                Value::List(vec![obj(vec![
                    ("attribute_name", s("TimeToExist")),
                    ("enabled", Value::Bool(ttl_on)),
                ])]),
            ),
            (
                "global_secondary_index",
                Value::List(vec![obj(vec![
                    ("name", s("GameTitleIndex")),
                    ("hash_key", s("GameTitle")),
                    ("range_key", s("TopScore")),
                    ("write_capacity", Value::Number(10.0)),
                    ("read_capacity", Value::Number(10.0)),
                    ("projection_type", s("INCLUDE")),
                    ("non_key_attributes", Value::List(vec![s("UserId")])),
                ])]),
            ),
            (
                "tags",
                tags(&[("Name", "dynamodb-table-1"), ("Environment", "production")]),
            ),
        ])
    };
    let st = create(&c, ty, "aws_dynamodb_table.basic", cfg(20.0, true)).await;
    assert_eq!(st.get_str("id"), Some("GameScores"));
    assert!(st.get_str("arn").unwrap().contains(":table/GameScores"));
    let d = json(&moto.aws(&["dynamodb", "describe-table", "--table-name", "GameScores"]));
    assert_eq!(d["Table"]["ProvisionedThroughput"]["ReadCapacityUnits"], 20);
    assert_eq!(
        d["Table"]["GlobalSecondaryIndexes"][0]["IndexName"],
        "GameTitleIndex"
    );
    let ttl = moto.aws(&[
        "dynamodb",
        "describe-time-to-live",
        "--table-name",
        "GameScores",
    ]);
    assert!(ttl.contains("TimeToExist"), "{ttl}");
    assert_eq!(read(&c, ty, "GameScores", &st).await.as_ref(), Some(&st));

    // Adopt on retry; update capacity in place.
    let again = create(&c, ty, "aws_dynamodb_table.basic", cfg(20.0, true)).await;
    assert_eq!(again.get_str("arn"), st.get_str("arn"));
    let st = update(&c, ty, "aws_dynamodb_table.basic", &st, cfg(30.0, true)).await;
    let d = json(&moto.aws(&["dynamodb", "describe-table", "--table-name", "GameScores"]));
    assert_eq!(d["Table"]["ProvisionedThroughput"]["ReadCapacityUnits"], 30);
    assert_eq!(st.get("read_capacity"), Some(&Value::Number(30.0)));

    // Drift: capacity changed with the CLI is seen.
    moto.aws(&[
        "dynamodb",
        "update-table",
        "--table-name",
        "GameScores",
        "--provisioned-throughput",
        "ReadCapacityUnits=7,WriteCapacityUnits=20",
    ]);
    let seen = read(&c, ty, "GameScores", &st).await.unwrap();
    assert_eq!(seen.get("read_capacity"), Some(&Value::Number(7.0)));

    assert!(c.import(ty, "GameScores").await.unwrap().is_some());
    assert!(c
        .list(ty)
        .await
        .unwrap()
        .iter()
        .any(|l| l.id == "GameScores" && l.owned_by_terrane()));
    delete_twice(&c, ty, &st).await;
    let tables = moto.aws(&["dynamodb", "list-tables"]);
    assert!(!tables.contains("GameScores"), "{tables}");
}

/// Follows the aws_vpc, aws_subnet and aws_internet_gateway docs pages' basic examples.
#[tokio::test]
async fn vpc_subnet_gateway_lifecycle_and_adoption() {
    let moto = Moto::start();
    let c = client(&moto).await;
    let vpc_cfg = |hostnames: bool| {
        obj(vec![
            ("cidr_block", s("10.0.0.0/16")),
            ("enable_dns_hostnames", Value::Bool(hostnames)),
            ("tags", tags(&[("Name", "main")])),
        ])
    };
    let vpc = create(&c, "aws_vpc", "aws_vpc.main", vpc_cfg(false)).await;
    let vpc_id = vpc.get_str("id").unwrap().to_string();
    assert!(vpc_id.starts_with("vpc-"));
    assert_eq!(vpc.get("enable_dns_support"), Some(&Value::Bool(true)));
    assert!(vpc
        .get_str("main_route_table_id")
        .unwrap()
        .starts_with("rtb-"));
    assert!(vpc
        .get_str("default_security_group_id")
        .unwrap()
        .starts_with("sg-"));
    let cli = json(&moto.aws(&["ec2", "describe-vpcs", "--vpc-ids", &vpc_id]));
    assert_eq!(cli["Vpcs"][0]["CidrBlock"], "10.0.0.0/16");

    // Adopt after a crash: the same owner finds the VPC by its ownership tags.
    let again = create(&c, "aws_vpc", "aws_vpc.main", vpc_cfg(false)).await;
    assert_eq!(again.get_str("id"), Some(vpc_id.as_str()));
    let ours = moto.aws(&[
        "ec2",
        "describe-vpcs",
        "--filters",
        "Name=tag:terrane:address,Values=aws_vpc.main",
    ]);
    assert_eq!(json(&ours)["Vpcs"].as_array().unwrap().len(), 1);

    // Update in place, seen by the CLI.
    let vpc = update(&c, "aws_vpc", "aws_vpc.main", &vpc, vpc_cfg(true)).await;
    let attr = moto.aws(&[
        "ec2",
        "describe-vpc-attribute",
        "--vpc-id",
        &vpc_id,
        "--attribute",
        "enableDnsHostnames",
    ]);
    assert_eq!(json(&attr)["EnableDnsHostnames"]["Value"], true);
    assert_eq!(vpc.get("enable_dns_hostnames"), Some(&Value::Bool(true)));

    // Subnet: create, change map_public_ip_on_launch in place, drift by CLI, import.
    let sn_cfg = |public: bool| {
        obj(vec![
            ("vpc_id", s(&vpc_id)),
            ("cidr_block", s("10.0.1.0/24")),
            ("availability_zone", s("us-east-1a")),
            ("map_public_ip_on_launch", Value::Bool(public)),
            ("tags", tags(&[("Name", "Main")])),
        ])
    };
    let sn = create(&c, "aws_subnet", "aws_subnet.main", sn_cfg(false)).await;
    let sn_id = sn.get_str("id").unwrap().to_string();
    let sn = update(&c, "aws_subnet", "aws_subnet.main", &sn, sn_cfg(true)).await;
    let cli = json(&moto.aws(&["ec2", "describe-subnets", "--subnet-ids", &sn_id]));
    assert_eq!(cli["Subnets"][0]["MapPublicIpOnLaunch"], true);
    moto.aws(&[
        "ec2",
        "create-tags",
        "--resources",
        &sn_id,
        "--tags",
        "Key=Name,Value=renamed",
    ]);
    let seen = read(&c, "aws_subnet", &sn_id, &sn).await.unwrap();
    assert_eq!(seen.get("tags"), Some(&tags(&[("Name", "renamed")])));
    assert_eq!(
        c.import("aws_subnet", &sn_id)
            .await
            .unwrap()
            .unwrap()
            .get_str("vpc_id"),
        Some(vpc_id.as_str())
    );
    assert!(c
        .list("aws_subnet")
        .await
        .unwrap()
        .iter()
        .any(|l| l.id == sn_id && l.owned_by_terrane()));

    // Internet gateway attached to the VPC.
    let igw = create(
        &c,
        "aws_internet_gateway",
        "aws_internet_gateway.gw",
        obj(vec![
            ("vpc_id", s(&vpc_id)),
            ("tags", tags(&[("Name", "main")])),
        ]),
    )
    .await;
    let igw_id = igw.get_str("id").unwrap().to_string();
    let cli = json(&moto.aws(&[
        "ec2",
        "describe-internet-gateways",
        "--internet-gateway-ids",
        &igw_id,
    ]));
    assert_eq!(
        cli["InternetGateways"][0]["Attachments"][0]["VpcId"],
        vpc_id.as_str()
    );
    let again = create(
        &c,
        "aws_internet_gateway",
        "aws_internet_gateway.gw",
        obj(vec![
            ("vpc_id", s(&vpc_id)),
            ("tags", tags(&[("Name", "main")])),
        ]),
    )
    .await;
    assert_eq!(again.get_str("id"), Some(igw_id.as_str()));

    delete_twice(&c, "aws_internet_gateway", &igw).await;
    delete_twice(&c, "aws_subnet", &sn).await;
    delete_twice(&c, "aws_vpc", &vpc).await;
    let left = json(&moto.aws(&[
        "ec2",
        "describe-vpcs",
        "--filters",
        "Name=tag:terrane:stack,Values=test-stack",
    ]));
    assert!(left["Vpcs"].as_array().unwrap().is_empty());
}

/// Follows the aws_security_group docs page ("Basic Usage": allow TLS from the VPC, all egress)
/// and the aws_vpc_security_group_ingress_rule / egress_rule pages.
#[tokio::test]
async fn security_groups_inline_and_standalone_rules() {
    let moto = Moto::start();
    let c = client(&moto).await;
    let vpc = create(
        &c,
        "aws_vpc",
        "aws_vpc.main",
        obj(vec![("cidr_block", s("10.0.0.0/16"))]),
    )
    .await;
    let vpc_id = vpc.get_str("id").unwrap().to_string();
    let rule = |from: f64, to: f64, proto: &str, cidrs: &[&str], desc: &str| {
        obj(vec![
            ("from_port", Value::Number(from)),
            ("to_port", Value::Number(to)),
            ("protocol", s(proto)),
            (
                "cidr_blocks",
                Value::List(cidrs.iter().map(|c| s(c)).collect()),
            ),
            ("description", s(desc)),
        ])
    };
    let sg_cfg = |cidrs: &[&str]| {
        obj(vec![
            ("name", s("allow_tls")),
            ("description", s("Allow TLS inbound traffic")),
            ("vpc_id", s(&vpc_id)),
            (
                "ingress",
                Value::List(vec![rule(443.0, 443.0, "tcp", cidrs, "TLS from VPC")]),
            ),
            (
                "egress",
                Value::List(vec![rule(0.0, 0.0, "-1", &["0.0.0.0/0"], "")]),
            ),
            ("tags", tags(&[("Name", "allow_tls")])),
        ])
    };
    let sg = create(
        &c,
        "aws_security_group",
        "aws_security_group.allow_tls",
        sg_cfg(&["10.0.0.0/16"]),
    )
    .await;
    let sg_id = sg.get_str("id").unwrap().to_string();
    let cli = json(&moto.aws(&["ec2", "describe-security-groups", "--group-ids", &sg_id]));
    let perms = &cli["SecurityGroups"][0]["IpPermissions"];
    assert_eq!(perms.as_array().unwrap().len(), 1, "{perms}");
    assert_eq!(perms[0]["FromPort"], 443);
    assert_eq!(
        read(&c, "aws_security_group", &sg_id, &sg).await.as_ref(),
        Some(&sg)
    );

    // Adding a CIDR to the block is an in-place update.
    let sg = update(
        &c,
        "aws_security_group",
        "aws_security_group.allow_tls",
        &sg,
        sg_cfg(&["10.0.0.0/16", "10.1.0.0/16"]),
    )
    .await;
    let cli = moto.aws(&["ec2", "describe-security-groups", "--group-ids", &sg_id]);
    assert!(cli.contains("10.1.0.0/16"), "{cli}");
    assert_eq!(
        block_count(&sg, "ingress"),
        1,
        "the block stays one block: {sg}"
    );

    // A rule added by hand is seen.
    moto.aws(&[
        "ec2",
        "authorize-security-group-ingress",
        "--group-id",
        &sg_id,
        "--protocol",
        "tcp",
        "--port",
        "22",
        "--cidr",
        "192.168.0.0/24",
    ]);
    let seen = read(&c, "aws_security_group", &sg_id, &sg).await.unwrap();
    assert_eq!(block_count(&seen, "ingress"), 2, "{seen}");
    // Same owner again adopts; another owner is told it exists.
    let again = create(
        &c,
        "aws_security_group",
        "aws_security_group.allow_tls",
        sg_cfg(&["10.0.0.0/16", "10.1.0.0/16"]),
    )
    .await;
    assert_eq!(again.get_str("id"), Some(sg_id.as_str()));
    let mut other = sg_cfg(&["10.0.0.0/16"]);
    c.plan("aws_security_group", &mut other);
    let err = c
        .create(&CreateRequest {
            type_name: "aws_security_group".into(),
            owner: owner("aws_security_group.x"),
            config: other,
            interrupted: false,
        })
        .await
        .unwrap_err();
    assert!(err.message.contains("already exists"), "{err}");

    // Standalone rules on a group without inline rules.
    let bare = create(
        &c,
        "aws_security_group",
        "aws_security_group.bare",
        obj(vec![("name", s("bare")), ("vpc_id", s(&vpc_id))]),
    )
    .await;
    let bare_id = bare.get_str("id").unwrap().to_string();
    let cli = json(&moto.aws(&["ec2", "describe-security-groups", "--group-ids", &bare_id]));
    assert!(
        cli["SecurityGroups"][0]["IpPermissionsEgress"]
            .as_array()
            .unwrap()
            .is_empty(),
        "Terraform removes AWS's default egress rule: {cli}"
    );
    let in_cfg = |desc: &str| {
        obj(vec![
            ("security_group_id", s(&bare_id)),
            ("cidr_ipv4", s("10.0.0.0/16")),
            ("from_port", Value::Number(443.0)),
            ("ip_protocol", s("tcp")),
            ("to_port", Value::Number(443.0)),
            ("description", s(desc)),
        ])
    };
    let ty = "aws_vpc_security_group_ingress_rule";
    let r = create(
        &c,
        ty,
        "aws_vpc_security_group_ingress_rule.tls",
        in_cfg("tls"),
    )
    .await;
    let rid = r.get_str("id").unwrap().to_string();
    assert!(rid.starts_with("sgr-"), "{rid}");
    let r2 = create(
        &c,
        ty,
        "aws_vpc_security_group_ingress_rule.tls",
        in_cfg("tls"),
    )
    .await;
    assert_eq!(r2.get_str("id"), Some(rid.as_str()), "adopted by tags");
    let r = update(
        &c,
        ty,
        "aws_vpc_security_group_ingress_rule.tls",
        &r,
        in_cfg("https"),
    )
    .await;
    assert_eq!(r.get_str("description"), Some("https"));
    let cli = moto.aws(&[
        "ec2",
        "describe-security-group-rules",
        "--security-group-rule-ids",
        &rid,
    ]);
    assert!(cli.contains("https"), "{cli}");
    // The group with no inline blocks does not claim the standalone rule.
    let bare_now = read(&c, "aws_security_group", &bare_id, &bare)
        .await
        .unwrap();
    assert!(bare_now.get("ingress").is_none(), "{bare_now}");
    let eg = create(
        &c,
        "aws_vpc_security_group_egress_rule",
        "aws_vpc_security_group_egress_rule.all",
        obj(vec![
            ("security_group_id", s(&bare_id)),
            ("cidr_ipv4", s("0.0.0.0/0")),
            ("ip_protocol", s("-1")),
        ]),
    )
    .await;
    assert_eq!(eg.get("from_port"), Some(&Value::Null));
    assert!(c.import(ty, &rid).await.unwrap().is_some());
    // An ingress rule id is not an egress rule.
    assert_eq!(
        c.import("aws_vpc_security_group_egress_rule", &rid)
            .await
            .unwrap(),
        None
    );
    delete_twice(&c, ty, &r).await;
    delete_twice(&c, "aws_vpc_security_group_egress_rule", &eg).await;
    delete_twice(&c, "aws_security_group", &bare).await;
    delete_twice(&c, "aws_security_group", &sg).await;
    delete_twice(&c, "aws_vpc", &vpc).await;
}

fn block_count(v: &Value, key: &str) -> usize {
    v.get(key)
        .and_then(Value::as_list)
        .map_or(0, <[Value]>::len)
}

/// Follows the aws_route_table ("Basic example") and aws_route_table_association docs pages.
#[tokio::test]
async fn route_table_routes_and_associations() {
    let moto = Moto::start();
    let c = client(&moto).await;
    let vpc = create(
        &c,
        "aws_vpc",
        "aws_vpc.main",
        obj(vec![("cidr_block", s("10.0.0.0/16"))]),
    )
    .await;
    let vpc_id = vpc.get_str("id").unwrap().to_string();
    let igw = create(
        &c,
        "aws_internet_gateway",
        "aws_internet_gateway.gw",
        obj(vec![("vpc_id", s(&vpc_id))]),
    )
    .await;
    let igw_id = igw.get_str("id").unwrap().to_string();
    let sn = create(
        &c,
        "aws_subnet",
        "aws_subnet.a",
        obj(vec![
            ("vpc_id", s(&vpc_id)),
            ("cidr_block", s("10.0.1.0/24")),
        ]),
    )
    .await;
    let sn_id = sn.get_str("id").unwrap().to_string();
    let rt_cfg = |cidr: &str| {
        obj(vec![
            ("vpc_id", s(&vpc_id)),
            (
                "route",
                Value::List(vec![obj(vec![
                    ("cidr_block", s(cidr)),
                    ("gateway_id", s(&igw_id)),
                ])]),
            ),
            ("tags", tags(&[("Name", "example")])),
        ])
    };
    let rt = create(
        &c,
        "aws_route_table",
        "aws_route_table.example",
        rt_cfg("0.0.0.0/0"),
    )
    .await;
    let rt_id = rt.get_str("id").unwrap().to_string();
    let cli = moto.aws(&["ec2", "describe-route-tables", "--route-table-ids", &rt_id]);
    assert!(cli.contains("0.0.0.0/0") && cli.contains(&igw_id), "{cli}");
    assert_eq!(
        block_count(&rt, "route"),
        1,
        "the local route is not reported: {rt}"
    );
    let rt = update(
        &c,
        "aws_route_table",
        "aws_route_table.example",
        &rt,
        rt_cfg("10.9.0.0/16"),
    )
    .await;
    let cli = moto.aws(&["ec2", "describe-route-tables", "--route-table-ids", &rt_id]);
    assert!(
        cli.contains("10.9.0.0/16") && !cli.contains("0.0.0.0/0"),
        "{cli}"
    );
    assert_eq!(
        read(&c, "aws_route_table", &rt_id, &rt).await.as_ref(),
        Some(&rt)
    );

    let assoc_cfg = obj(vec![
        ("subnet_id", s(&sn_id)),
        ("route_table_id", s(&rt_id)),
    ]);
    let a = create(
        &c,
        "aws_route_table_association",
        "aws_route_table_association.a",
        assoc_cfg.clone(),
    )
    .await;
    let a_id = a.get_str("id").unwrap().to_string();
    assert!(a_id.starts_with("rtbassoc-"), "{a_id}");
    let again = create(
        &c,
        "aws_route_table_association",
        "aws_route_table_association.a",
        assoc_cfg,
    )
    .await;
    assert_eq!(
        again.get_str("id"),
        Some(a_id.as_str()),
        "a retry finds the association"
    );
    let imported = c
        .import("aws_route_table_association", &format!("{sn_id}/{rt_id}"))
        .await
        .unwrap();
    assert_eq!(
        imported.as_ref().and_then(|v| v.get_str("id")),
        Some(a_id.as_str())
    );
    let cli = moto.aws(&["ec2", "describe-route-tables", "--route-table-ids", &rt_id]);
    assert!(cli.contains(&sn_id), "{cli}");
    delete_twice(&c, "aws_route_table_association", &a).await;
    delete_twice(&c, "aws_route_table", &rt).await;
    delete_twice(&c, "aws_subnet", &sn).await;
    delete_twice(&c, "aws_internet_gateway", &igw).await;
    delete_twice(&c, "aws_vpc", &vpc).await;
}

/// Refreshing many EC2 resources makes far fewer API calls than there are resources.
#[tokio::test]
async fn batched_refresh_makes_few_calls() {
    let moto = Moto::start();
    let c = client(&moto).await;
    let vpc = create(
        &c,
        "aws_vpc",
        "aws_vpc.main",
        obj(vec![("cidr_block", s("10.0.0.0/16"))]),
    )
    .await;
    let vpc_id = vpc.get_str("id").unwrap().to_string();
    let mut reqs = Vec::new();
    for i in 0..20 {
        let sn = create(
            &c,
            "aws_subnet",
            &format!("aws_subnet.s[{i}]"),
            obj(vec![
                ("vpc_id", s(&vpc_id)),
                ("cidr_block", s(&format!("10.0.{i}.0/24"))),
            ]),
        )
        .await;
        let sg = create(
            &c,
            "aws_security_group",
            &format!("aws_security_group.g[{i}]"),
            obj(vec![("name", s(&format!("g{i}"))), ("vpc_id", s(&vpc_id))]),
        )
        .await;
        let rt = create(
            &c,
            "aws_route_table",
            &format!("aws_route_table.r[{i}]"),
            obj(vec![("vpc_id", s(&vpc_id))]),
        )
        .await;
        for (ty, st) in [
            ("aws_subnet", sn),
            ("aws_security_group", sg),
            ("aws_route_table", rt),
        ] {
            reqs.push(ReadRequest {
                type_name: ty.into(),
                id: st.get_str("id").unwrap().into(),
                prior: st,
            });
        }
    }
    // One that no longer exists is answered as gone without failing the rest.
    reqs.push(ReadRequest {
        type_name: "aws_subnet".into(),
        id: "subnet-00000000".into(),
        prior: Value::Null,
    });
    let before = c.stats().calls;
    let results = c.read_batch(&reqs).await;
    let calls = c.stats().calls - before;
    println!(
        "refresh of {} resources (20 subnets, 20 security groups, 20 route tables, 1 gone) made {calls} AWS API calls",
        reqs.len()
    );
    assert_eq!(results.len(), reqs.len());
    for (r, req) in results.iter().zip(&reqs).take(60) {
        let v = r.as_ref().unwrap_or_else(|e| panic!("{}: {e}", req.id));
        assert_eq!(
            v.as_ref().and_then(|v| v.get_str("id")),
            Some(req.id.as_str())
        );
    }
    assert!(matches!(results[60], Ok(None)), "{:?}", results[60]);
    assert!(calls < 20, "{calls} calls for {} resources", reqs.len());
}

/// The data source is evaluated locally: no API call, Terraform's JSON.
#[tokio::test]
async fn policy_document_data_source_makes_no_calls() {
    let moto = Moto::start();
    let c = client(&moto).await;
    let before = c.stats().calls;
    let out = c
        .read_data(
            "aws_iam_policy_document",
            &obj(vec![(
                "statement",
                Value::List(vec![obj(vec![
                    ("actions", Value::List(vec![s("sts:AssumeRole")])),
                    (
                        "principals",
                        Value::List(vec![obj(vec![
                            ("type", s("Service")),
                            ("identifiers", Value::List(vec![s("lambda.amazonaws.com")])),
                        ])]),
                    ),
                ])]),
            )]),
        )
        .await
        .unwrap();
    assert_eq!(c.stats().calls, before);
    let json = out.get_str("json").unwrap().to_string();
    // Usable directly as a trust policy.
    let role = create(
        &c,
        "aws_iam_role",
        "aws_iam_role.lambda",
        obj(vec![
            ("name", s("lambda")),
            ("assume_role_policy", s(&json)),
        ]),
    )
    .await;
    let cli = moto.aws(&["iam", "get-role", "--role-name", "lambda"]);
    assert!(cli.contains("lambda.amazonaws.com"), "{cli}");
    let bad = c
        .read_data(
            "aws_iam_policy_document",
            &obj(vec![(
                "statement",
                Value::List(vec![obj(vec![("effect", s("Maybe"))])]),
            )]),
        )
        .await
        .unwrap_err();
    assert_eq!(bad.kind, ErrorKind::Invalid);
    delete_twice(&c, "aws_iam_role", &role).await;
}
