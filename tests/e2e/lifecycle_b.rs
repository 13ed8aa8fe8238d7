//! Per-type lifecycles through the real binary against moto, for the IAM, DynamoDB and VPC
//! types: create from HCL, read back with the AWS CLI, a no-change plan, an in-place update
//! (the same cloud object, a new value), a forced replacement where the type has a force-new
//! attribute (old object gone, new one present), import by the Terraform import id, and
//! destroy. Every check asks the cloud through the AWS CLI, never terrane's store.
//!
//! Related types share one stack, as real configurations do. Replacements are done on
//! resources that nothing else in the stack depends on, so each step shows one type's
//! behaviour rather than the engine's ordering of dependent replacements.

use super::moto::Moto;
use super::stack::{json, Stack};
use serde_json::Value as J;

/// AWS CLI JSON output, parsed.
fn aws_json(moto: &Moto, args: &[&str]) -> J {
    let mut a = args.to_vec();
    a.extend(["--output", "json"]);
    let out = moto.aws(&a);
    if out.trim().is_empty() {
        J::Null
    } else {
        json(&out)
    }
}

/// The strings at `key` in each element of the array `list` of a CLI answer.
fn names(v: &J, list: &str, key: &str) -> Vec<String> {
    v[list]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e[key].as_str().map(str::to_string))
        .collect()
}

fn has(v: &[String], s: &str) -> bool {
    v.iter().any(|x| x == s)
}

// ---------------------------------------------------------------------------------------------
// IAM

/// Knobs of the IAM stack that the test turns, step by step.
struct Iam<'a> {
    /// Role `r`: name (force-new), description (in place), inline policy action (in place;
    /// empty: one empty `inline_policy {}` block, Terraform's "remove all inline policies").
    role: &'a str,
    role_desc: &'a str,
    inline_action: &'a str,
    /// Extra managed policy on role `r` besides `aws_iam_policy.q`.
    role_extra_managed: bool,
    /// Policy `p`: description (force-new), allowed action (in place).
    p_desc: &'a str,
    p_action: &'a str,
    /// Role `r2`'s name (force-new; its role policy and attachment depend on it) and
    /// max_session_duration (in place).
    r2_name: &'a str,
    r2_session: u32,
    /// aws_iam_role_policy name (force-new) and its allowed action (in place).
    rp_name: &'a str,
    rp_action: &'a str,
    /// Which policy the attachment attaches: "p" or "q" (policy_arn is force-new).
    attach: &'a str,
    /// User name, path and a tag value (all in place: IAM renames users).
    user_name: &'a str,
    user_path: &'a str,
    user_team: &'a str,
}

impl Iam<'_> {
    fn tf(&self) -> String {
        let Iam {
            role,
            role_desc,
            inline_action,
            role_extra_managed,
            p_desc,
            p_action,
            r2_name,
            r2_session,
            rp_name,
            rp_action,
            attach,
            user_name,
            user_path,
            user_team,
        } = self;
        let inline = if inline_action.is_empty() {
            "inline_policy {}".to_string()
        } else {
            format!(
                r#"inline_policy {{
    name = "inline-a"
    policy = jsonencode({{
      Version   = "2012-10-17"
      Statement = [{{ Effect = "Allow", Action = ["{inline_action}"], Resource = "*" }}]
    }})
  }}"#
            )
        };
        let managed = if *role_extra_managed {
            "[aws_iam_policy.q.arn, aws_iam_policy.p.arn]"
        } else {
            "[aws_iam_policy.q.arn]"
        };
        format!(
            r#"
locals {{
  assume = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = {{ Service = "lambda.amazonaws.com" }}
    }}]
  }})
}}

resource "aws_iam_policy" "p" {{
  name        = "lc-policy-p"
  description = "{p_desc}"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["{p_action}"], Resource = "*" }}]
  }})
  tags = {{ team = "platform" }}
}}

resource "aws_iam_policy" "q" {{
  name   = "lc-policy-q"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sns:Publish", Resource = "*" }}]
  }})
}}

# A role that manages its own inline and managed policies.
resource "aws_iam_role" "r" {{
  name               = "{role}"
  description        = "{role_desc}"
  assume_role_policy = local.assume

  {inline}

  managed_policy_arns = {managed}
  tags = {{ team = "platform" }}
}}

# A role whose policies are separate resources.
resource "aws_iam_role" "r2" {{
  name                 = "{r2_name}"
  assume_role_policy   = local.assume
  max_session_duration = {r2_session}
}}

resource "aws_iam_role_policy" "rp" {{
  name = "{rp_name}"
  role = aws_iam_role.r2.name
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["{rp_action}"], Resource = "*" }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "att" {{
  role       = aws_iam_role.r2.name
  policy_arn = aws_iam_policy.{attach}.arn
}}

resource "aws_iam_user" "u" {{
  name = "{user_name}"
  path = "{user_path}"
  tags = {{ team = "{user_team}" }}
}}
"#
        )
    }
}

fn role_names(moto: &Moto) -> Vec<String> {
    names(&aws_json(moto, &["iam", "list-roles"]), "Roles", "RoleName")
}

fn local_policy_arns(moto: &Moto) -> Vec<String> {
    names(
        &aws_json(moto, &["iam", "list-policies", "--scope", "Local"]),
        "Policies",
        "Arn",
    )
}

fn attached(moto: &Moto, role: &str) -> Vec<String> {
    let mut v = names(
        &aws_json(
            moto,
            &["iam", "list-attached-role-policies", "--role-name", role],
        ),
        "AttachedPolicies",
        "PolicyArn",
    );
    v.sort();
    v
}

fn inline_names(moto: &Moto, role: &str) -> Vec<String> {
    let v = aws_json(moto, &["iam", "list-role-policies", "--role-name", role]);
    v["PolicyNames"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect()
}

/// The first statement's first action of an inline role policy (the CLI decodes the document).
fn inline_action(moto: &Moto, role: &str, name: &str) -> String {
    let v = aws_json(
        moto,
        &[
            "iam",
            "get-role-policy",
            "--role-name",
            role,
            "--policy-name",
            name,
        ],
    );
    first_action(&v["PolicyDocument"])
}

fn first_action(doc: &J) -> String {
    // The CLI decodes the URL-encoded document; some versions leave it a JSON string.
    let doc = match doc {
        J::String(s) => json(s),
        d => d.clone(),
    };
    let a = &doc["Statement"][0]["Action"];
    a.as_str()
        .or_else(|| a[0].as_str())
        .unwrap_or_else(|| panic!("no action in {doc}"))
        .to_string()
}

fn policy_action(moto: &Moto, arn: &str) -> String {
    let p = aws_json(moto, &["iam", "get-policy", "--policy-arn", arn]);
    let version = p["Policy"]["DefaultVersionId"]
        .as_str()
        .unwrap()
        .to_string();
    let v = aws_json(
        moto,
        &[
            "iam",
            "get-policy-version",
            "--policy-arn",
            arn,
            "--version-id",
            &version,
        ],
    );
    first_action(&v["PolicyVersion"]["Document"])
}

#[test]
fn iam_lifecycle() {
    let moto = Moto::start();
    let mut cfg = Iam {
        role: "lc-role",
        role_desc: "first",
        inline_action: "s3:GetObject",
        role_extra_managed: false,
        p_desc: "first",
        p_action: "sqs:SendMessage",
        r2_name: "lc-role-two",
        r2_session: 3600,
        rp_name: "lc-inline-b",
        rp_action: "logs:PutLogEvents",
        attach: "p",
        user_name: "lc-user",
        user_path: "/",
        user_team: "platform",
    };
    let s = Stack::new(&moto, &cfg.tf());

    // Create: everything is in the cloud as written.
    s.apply();
    assert!(has(&role_names(&moto), "lc-role") && has(&role_names(&moto), "lc-role-two"));
    let role = aws_json(&moto, &["iam", "get-role", "--role-name", "lc-role"]);
    let role_id = role["Role"]["RoleId"].as_str().unwrap().to_string();
    assert_eq!(role["Role"]["Description"], "first");
    assert_eq!(inline_names(&moto, "lc-role"), ["inline-a"]);
    assert_eq!(inline_action(&moto, "lc-role", "inline-a"), "s3:GetObject");
    let p_arn = s.id_of("aws_iam_policy.p");
    let q_arn = s.id_of("aws_iam_policy.q");
    assert_eq!(p_arn, "arn:aws:iam::123456789012:policy/lc-policy-p");
    assert!(has(&local_policy_arns(&moto), &p_arn) && has(&local_policy_arns(&moto), &q_arn));
    assert_eq!(attached(&moto, "lc-role"), [q_arn.as_str()]);
    assert_eq!(policy_action(&moto, &p_arn), "sqs:SendMessage");
    let p_id = aws_json(&moto, &["iam", "get-policy", "--policy-arn", &p_arn])["Policy"]
        ["PolicyId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(inline_names(&moto, "lc-role-two"), ["lc-inline-b"]);
    assert_eq!(
        inline_action(&moto, "lc-role-two", "lc-inline-b"),
        "logs:PutLogEvents"
    );
    assert_eq!(attached(&moto, "lc-role-two"), [p_arn.as_str()]);
    let user = aws_json(&moto, &["iam", "get-user", "--user-name", "lc-user"]);
    let user_id = user["User"]["UserId"].as_str().unwrap().to_string();
    assert_eq!(user["User"]["Path"], "/");
    s.assert_no_changes();

    // In place: new documents, description, session length, managed set, user path and tags.
    cfg.role_desc = "second";
    cfg.inline_action = "s3:PutObject";
    cfg.role_extra_managed = true;
    cfg.p_action = "sqs:ReceiveMessage";
    cfg.r2_session = 7200;
    cfg.rp_action = "logs:CreateLogStream";
    cfg.user_path = "/people/";
    cfg.user_team = "data";
    s.write(&cfg.tf());
    let actions = s.plan_actions();
    for addr in [
        "aws_iam_role.r",
        "aws_iam_role.r2",
        "aws_iam_policy.p",
        "aws_iam_role_policy.rp",
        "aws_iam_user.u",
    ] {
        assert_eq!(actions[addr], "update", "{addr} in {actions:?}");
    }
    assert_eq!(actions.len(), 5, "{actions:?}");
    s.apply();
    let role = aws_json(&moto, &["iam", "get-role", "--role-name", "lc-role"]);
    assert_eq!(role["Role"]["RoleId"], role_id.as_str());
    assert_eq!(role["Role"]["Description"], "second");
    assert_eq!(inline_action(&moto, "lc-role", "inline-a"), "s3:PutObject");
    let mut both = vec![p_arn.clone(), q_arn.clone()];
    both.sort();
    assert_eq!(attached(&moto, "lc-role"), both);
    let r2 = aws_json(&moto, &["iam", "get-role", "--role-name", "lc-role-two"]);
    assert_eq!(r2["Role"]["MaxSessionDuration"], 7200);
    let p = aws_json(&moto, &["iam", "get-policy", "--policy-arn", &p_arn]);
    assert_eq!(p["Policy"]["PolicyId"], p_id.as_str());
    assert_eq!(policy_action(&moto, &p_arn), "sqs:ReceiveMessage");
    assert_eq!(
        inline_action(&moto, "lc-role-two", "lc-inline-b"),
        "logs:CreateLogStream"
    );
    let user = aws_json(&moto, &["iam", "get-user", "--user-name", "lc-user"]);
    assert_eq!(user["User"]["UserId"], user_id.as_str());
    assert_eq!(user["User"]["Path"], "/people/");
    let tags = aws_json(&moto, &["iam", "list-user-tags", "--user-name", "lc-user"]);
    assert!(
        tags["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["Key"] == "team" && t["Value"] == "data"),
        "{tags}"
    );
    s.assert_no_changes();

    // Force-new on leaves: the role's name, the inline policy's name, the attachment's policy.
    cfg.role = "lc-role-renamed";
    cfg.role_extra_managed = false;
    cfg.rp_name = "lc-inline-c";
    cfg.attach = "q";
    s.write(&cfg.tf());
    let actions = s.plan_actions();
    assert_eq!(actions["aws_iam_role.r"], "replace", "{actions:?}");
    assert_eq!(actions["aws_iam_role_policy.rp"], "replace", "{actions:?}");
    assert_eq!(
        actions["aws_iam_role_policy_attachment.att"], "replace",
        "{actions:?}"
    );
    s.apply();
    let roles = role_names(&moto);
    assert!(
        !has(&roles, "lc-role") && has(&roles, "lc-role-renamed"),
        "{roles:?}"
    );
    assert_eq!(inline_names(&moto, "lc-role-renamed"), ["inline-a"]);
    assert_eq!(attached(&moto, "lc-role-renamed"), [q_arn.as_str()]);
    assert_eq!(inline_names(&moto, "lc-role-two"), ["lc-inline-c"]);
    assert_eq!(attached(&moto, "lc-role-two"), [q_arn.as_str()]);
    s.assert_no_changes();

    // Policy p is now attached nowhere: its description forces a new policy.
    cfg.p_desc = "second";
    s.write(&cfg.tf());
    assert_eq!(s.plan_actions()["aws_iam_policy.p"], "replace");
    s.apply();
    let p = aws_json(&moto, &["iam", "get-policy", "--policy-arn", &p_arn]);
    assert_eq!(p["Policy"]["Description"], "second");
    assert_ne!(p["Policy"]["PolicyId"], p_id.as_str(), "a new policy");
    s.assert_no_changes();

    // Renaming role r2 replaces it and, with it, its role policy and attachment (role is
    // force-new on both): they go first, the new role comes, then they are created on it.
    cfg.r2_name = "lc-role-three";
    s.write(&cfg.tf());
    let actions = s.plan_actions();
    for addr in [
        "aws_iam_role.r2",
        "aws_iam_role_policy.rp",
        "aws_iam_role_policy_attachment.att",
    ] {
        assert_eq!(actions[addr], "replace", "{addr} in {actions:?}");
    }
    s.apply();
    let roles = role_names(&moto);
    assert!(
        !has(&roles, "lc-role-two") && has(&roles, "lc-role-three"),
        "{roles:?}"
    );
    assert_eq!(inline_names(&moto, "lc-role-three"), ["lc-inline-c"]);
    assert_eq!(attached(&moto, "lc-role-three"), [q_arn.as_str()]);
    s.assert_no_changes();

    // A user is renamed in place: the same user (UserId) under the new name.
    cfg.user_name = "lc-user-renamed";
    s.write(&cfg.tf());
    assert_eq!(s.plan_actions()["aws_iam_user.u"], "update");
    s.apply();
    let user = aws_json(
        &moto,
        &["iam", "get-user", "--user-name", "lc-user-renamed"],
    );
    assert_eq!(user["User"]["UserId"], user_id.as_str());
    let users = names(
        &aws_json(&moto, &["iam", "list-users"]),
        "Users",
        "UserName",
    );
    assert!(!has(&users, "lc-user"), "{users:?}");
    s.assert_no_changes();

    // Import each by its Terraform import id.
    for (addr, id) in [
        ("aws_iam_role.r", "lc-role-renamed".to_string()),
        ("aws_iam_role.r2", "lc-role-three".to_string()),
        ("aws_iam_policy.p", p_arn.clone()),
        ("aws_iam_policy.q", q_arn.clone()),
        (
            "aws_iam_role_policy.rp",
            "lc-role-three:lc-inline-c".to_string(),
        ),
        (
            "aws_iam_role_policy_attachment.att",
            format!("lc-role-three/{q_arn}"),
        ),
        ("aws_iam_user.u", "lc-user-renamed".to_string()),
    ] {
        assert_eq!(s.id_of(addr), id, "{addr}");
        s.reimport(addr, &id);
    }
    // The import records the configuration's dependencies, so the destroy below still
    // deletes the role before the policies attached to it.
    let shown = s.ok(&["state", "show", "aws_iam_role.r"]).out;
    assert!(shown.contains("# depends on: aws_iam_policy.q"), "{shown}");
    s.assert_no_changes();

    // One empty inline_policy block removes the role's inline policies (Terraform's way).
    cfg.inline_action = "";
    s.write(&cfg.tf());
    assert_eq!(s.plan_actions()["aws_iam_role.r"], "update");
    s.apply();
    assert!(inline_names(&moto, "lc-role-renamed").is_empty());
    s.assert_no_changes();

    s.destroy();
    let roles = role_names(&moto);
    assert!(
        !has(&roles, "lc-role-renamed") && !has(&roles, "lc-role-three"),
        "{roles:?}"
    );
    assert!(local_policy_arns(&moto).is_empty());
    let users = names(
        &aws_json(&moto, &["iam", "list-users"]),
        "Users",
        "UserName",
    );
    assert!(!has(&users, "lc-user-renamed"), "{users:?}");
    assert!(s.addresses().is_empty());
}

// ---------------------------------------------------------------------------------------------
// DynamoDB

/// A table with a composite key, a GSI and TTL; `on_demand` switches the billing mode (in
/// place), `extra_gsi` adds a second index (in place), `team` is a tag (in place).
fn table_tf(name: &str, on_demand: bool, extra_gsi: bool, team: &str) -> String {
    table_tf_keyed(name, "pk", on_demand, extra_gsi, team)
}

/// The same table with `hash` as its partition key (force-new).
fn table_tf_keyed(name: &str, hash: &str, on_demand: bool, extra_gsi: bool, team: &str) -> String {
    let (billing, capacity) = if on_demand {
        ("PAY_PER_REQUEST", "")
    } else {
        ("PROVISIONED", "read_capacity  = 5\n  write_capacity = 5")
    };
    let extra = if extra_gsi {
        format!(
            r#"
  attribute {{
    name = "status"
    type = "S"
  }}

  global_secondary_index {{
    name            = "by_status"
    hash_key        = "status"
    projection_type = "KEYS_ONLY"
    {capacity}
  }}
"#
        )
    } else {
        String::new()
    };
    format!(
        r#"
resource "aws_dynamodb_table" "t" {{
  name         = "{name}"
  billing_mode = "{billing}"
  {capacity}
  hash_key     = "{hash}"
  range_key    = "sk"

  attribute {{
    name = "{hash}"
    type = "S"
  }}

  attribute {{
    name = "sk"
    type = "N"
  }}

  attribute {{
    name = "owner"
    type = "S"
  }}

  global_secondary_index {{
    name               = "by_owner"
    hash_key           = "owner"
    range_key          = "sk"
    projection_type    = "INCLUDE"
    non_key_attributes = ["title"]
    {capacity}
  }}
{extra}
  ttl {{
    attribute_name = "expires_at"
    enabled        = true
  }}

  tags = {{
    team = "{team}"
  }}
}}
"#
    )
}

fn table_names(moto: &Moto) -> Vec<String> {
    let v = aws_json(moto, &["dynamodb", "list-tables"]);
    v["TableNames"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect()
}

fn describe_table(moto: &Moto, name: &str) -> J {
    aws_json(moto, &["dynamodb", "describe-table", "--table-name", name])["Table"].clone()
}

fn table_tag(moto: &Moto, arn: &str, key: &str) -> Option<String> {
    let v = aws_json(
        moto,
        &["dynamodb", "list-tags-of-resource", "--resource-arn", arn],
    );
    v["Tags"]
        .as_array()
        .into_iter()
        .flatten()
        // moto appends a re-tagged key instead of overwriting it: the last one is current.
        .rfind(|t| t["Key"] == key)
        .and_then(|t| t["Value"].as_str().map(str::to_string))
}

fn gsi_names(t: &J) -> Vec<String> {
    let mut v = names(t, "GlobalSecondaryIndexes", "IndexName");
    v.sort();
    v
}

#[test]
fn dynamodb_table_lifecycle() {
    let moto = Moto::start();
    let s = Stack::new(&moto, &table_tf("lc-orders", false, false, "platform"));

    s.apply();
    assert!(has(&table_names(&moto), "lc-orders"));
    let t = describe_table(&moto, "lc-orders");
    let arn = t["TableArn"].as_str().unwrap().to_string();
    let created = t["CreationDateTime"].clone();
    let keys: Vec<(String, String)> = t["KeySchema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["AttributeName"].as_str().unwrap().to_string(),
                k["KeyType"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("pk".to_string(), "HASH".to_string()),
            ("sk".to_string(), "RANGE".to_string())
        ]
    );
    assert_eq!(t["ProvisionedThroughput"]["ReadCapacityUnits"], 5);
    assert_eq!(gsi_names(&t), ["by_owner"]);
    let ttl = aws_json(
        &moto,
        &[
            "dynamodb",
            "describe-time-to-live",
            "--table-name",
            "lc-orders",
        ],
    );
    assert_eq!(
        ttl["TimeToLiveDescription"]["AttributeName"], "expires_at",
        "{ttl}"
    );
    assert_eq!(table_tag(&moto, &arn, "team").as_deref(), Some("platform"));
    s.assert_no_changes();

    // In place: on-demand billing, a new GSI, a new tag value; the same table.
    s.write(&table_tf("lc-orders", true, true, "data"));
    assert_eq!(s.plan_actions()["aws_dynamodb_table.t"], "update");
    s.apply();
    let t = describe_table(&moto, "lc-orders");
    assert_eq!(t["CreationDateTime"], created, "the same table");
    assert_eq!(
        t["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST",
        "{t}"
    );
    assert_eq!(gsi_names(&t), ["by_owner", "by_status"]);
    assert_eq!(table_tag(&moto, &arn, "team").as_deref(), Some("data"));
    s.assert_no_changes();

    // `name` forces a new table.
    s.write(&table_tf("lc-orders-2", true, true, "data"));
    assert_eq!(s.plan_actions()["aws_dynamodb_table.t"], "replace");
    s.apply();
    let tables = table_names(&moto);
    assert!(
        !has(&tables, "lc-orders") && has(&tables, "lc-orders-2"),
        "{tables:?}"
    );
    assert_eq!(
        gsi_names(&describe_table(&moto, "lc-orders-2")),
        ["by_owner", "by_status"]
    );
    s.assert_no_changes();

    // `hash_key` forces a new table too (same name: the old one goes first).
    let created = describe_table(&moto, "lc-orders-2")["CreationDateTime"].clone();
    s.write(&table_tf_keyed(
        "lc-orders-2",
        "order_id",
        true,
        true,
        "data",
    ));
    assert_eq!(s.plan_actions()["aws_dynamodb_table.t"], "replace");
    s.apply();
    let t = describe_table(&moto, "lc-orders-2");
    assert_eq!(t["KeySchema"][0]["AttributeName"], "order_id", "{t}");
    assert_ne!(t["CreationDateTime"], created, "a new table");
    s.assert_no_changes();

    // Import by the table name.
    assert_eq!(s.id_of("aws_dynamodb_table.t"), "lc-orders-2");
    s.reimport("aws_dynamodb_table.t", "lc-orders-2");
    s.assert_no_changes();

    s.destroy();
    assert!(!has(&table_names(&moto), "lc-orders-2"));
    assert!(s.addresses().is_empty());
}

// ---------------------------------------------------------------------------------------------
// VPC networking

/// Knobs of the network stack.
struct Net<'a> {
    /// VPC `main`: its CIDR (force-new, with everything else in it depending on it).
    main_cidr: &'a str,
    /// VPC `main`: DNS hostnames (in place), a tag (in place).
    dns_hostnames: bool,
    env: &'a str,
    /// VPC `spare` (a leaf at first): its CIDR forces a new VPC.
    spare_cidr: &'a str,
    /// Subnet `a`: public IPs on launch (in place). Subnet `b`: CIDR (force-new).
    public_ips: bool,
    b_cidr: &'a str,
    /// Group `web` (inline rules): description (force-new), an extra HTTP ingress (in place).
    web_desc: &'a str,
    web_http: bool,
    /// The separate ingress rule: its port (in place) and its group, "app" or "other"
    /// (security_group_id is force-new).
    rule_port: u16,
    rule_group: &'a str,
    /// Whether the main route table has a default route through the gateway (in place).
    default_route: bool,
    /// The VPC the second route table lives in, "main" or "spare" (force-new).
    rt2_vpc: &'a str,
    /// The subnet the association associates, "a" or "b" (force-new), and the route table,
    /// "rt" or "rt2" (in place).
    assoc_subnet: &'a str,
    assoc_rt: &'a str,
    /// Whether the internet gateway is attached to VPC `main` (in place).
    igw_attached: bool,
}

impl Net<'_> {
    fn tf(&self) -> String {
        let Net {
            main_cidr,
            dns_hostnames,
            env,
            spare_cidr,
            public_ips,
            b_cidr,
            web_desc,
            web_http,
            rule_port,
            rule_group,
            default_route,
            rt2_vpc,
            assoc_subnet,
            assoc_rt,
            igw_attached,
        } = self;
        let http = if *web_http {
            r#"
  ingress {
    description = "HTTP"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
"#
        } else {
            ""
        };
        let route = if *default_route {
            r#"
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
"#
        } else {
            ""
        };
        let igw_vpc = if *igw_attached {
            "vpc_id = aws_vpc.main.id"
        } else {
            ""
        };
        format!(
            r#"
resource "aws_vpc" "main" {{
  cidr_block           = "{main_cidr}"
  enable_dns_hostnames = {dns_hostnames}
  tags = {{ Name = "lc-main", env = "{env}" }}
}}

resource "aws_vpc" "spare" {{
  cidr_block = "{spare_cidr}"
}}

resource "aws_subnet" "a" {{
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.0.1.0/24"
  map_public_ip_on_launch = {public_ips}
  tags = {{ Name = "lc-a" }}
}}

resource "aws_subnet" "b" {{
  vpc_id     = aws_vpc.main.id
  cidr_block = "{b_cidr}"
}}

resource "aws_security_group" "web" {{
  name        = "lc-web"
  description = "{web_desc}"
  vpc_id      = aws_vpc.main.id

  ingress {{
    description = "HTTPS"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}
{http}
  egress {{
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}

# Groups whose rules are separate resources.
resource "aws_security_group" "app" {{
  name   = "lc-app"
  vpc_id = aws_vpc.main.id
}}

resource "aws_security_group" "other" {{
  name   = "lc-other"
  vpc_id = aws_vpc.main.id
}}

resource "aws_vpc_security_group_ingress_rule" "app_in" {{
  security_group_id = aws_security_group.{rule_group}.id
  cidr_ipv4         = "10.0.0.0/16"
  from_port         = {rule_port}
  to_port           = {rule_port}
  ip_protocol       = "tcp"
}}

resource "aws_vpc_security_group_egress_rule" "app_out" {{
  security_group_id = aws_security_group.app.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}}

resource "aws_internet_gateway" "gw" {{
  {igw_vpc}
  tags = {{ Name = "lc-gw" }}
}}

resource "aws_route_table" "rt" {{
  vpc_id = aws_vpc.main.id
{route}
  tags = {{ Name = "lc-rt" }}
}}

resource "aws_route_table" "rt2" {{
  vpc_id = aws_vpc.{rt2_vpc}.id
}}

resource "aws_route_table_association" "assoc" {{
  subnet_id      = aws_subnet.{assoc_subnet}.id
  route_table_id = aws_route_table.{assoc_rt}.id
}}
"#
        )
    }
}

fn ec2(moto: &Moto, args: &[&str]) -> J {
    let mut a = vec!["ec2"];
    a.extend_from_slice(args);
    aws_json(moto, &a)
}

fn vpc_ids(moto: &Moto) -> Vec<String> {
    names(&ec2(moto, &["describe-vpcs"]), "Vpcs", "VpcId")
}

fn subnet_cidrs(moto: &Moto, vpc: &str) -> Vec<String> {
    let f = format!("Name=vpc-id,Values={vpc}");
    let mut v = names(
        &ec2(moto, &["describe-subnets", "--filters", &f]),
        "Subnets",
        "CidrBlock",
    );
    v.sort();
    v
}

fn group(moto: &Moto, id: &str) -> J {
    ec2(moto, &["describe-security-groups", "--group-ids", id])["SecurityGroups"][0].clone()
}

fn group_ids(moto: &Moto) -> Vec<String> {
    names(
        &ec2(moto, &["describe-security-groups"]),
        "SecurityGroups",
        "GroupId",
    )
}

/// Sorted (protocol, from port) of a group's ingress permissions.
fn ingress_ports(moto: &Moto, id: &str) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = group(moto, id)["IpPermissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["IpProtocol"].as_str().unwrap().to_string(),
                p["FromPort"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    v.sort();
    v
}

fn group_rule_ids(moto: &Moto, group: &str) -> Vec<String> {
    let f = format!("Name=group-id,Values={group}");
    names(
        &ec2(moto, &["describe-security-group-rules", "--filters", &f]),
        "SecurityGroupRules",
        "SecurityGroupRuleId",
    )
}

fn route_table(moto: &Moto, id: &str) -> J {
    ec2(moto, &["describe-route-tables", "--route-table-ids", id])["RouteTables"][0].clone()
}

fn route_table_ids(moto: &Moto) -> Vec<String> {
    names(
        &ec2(moto, &["describe-route-tables"]),
        "RouteTables",
        "RouteTableId",
    )
}

fn associated_subnets(moto: &Moto, rtb: &str) -> Vec<String> {
    names(&route_table(moto, rtb), "Associations", "SubnetId")
}

fn dns_hostnames(moto: &Moto, vpc: &str) -> bool {
    ec2(
        moto,
        &[
            "describe-vpc-attribute",
            "--vpc-id",
            vpc,
            "--attribute",
            "enableDnsHostnames",
        ],
    )["EnableDnsHostnames"]["Value"]
        .as_bool()
        .unwrap()
}

fn igw_vpcs(moto: &Moto, igw: &str) -> Vec<String> {
    names(
        &ec2(
            moto,
            &["describe-internet-gateways", "--internet-gateway-ids", igw],
        )["InternetGateways"][0],
        "Attachments",
        "VpcId",
    )
}

#[test]
fn vpc_network_lifecycle() {
    let moto = Moto::start();
    let mut cfg = Net {
        main_cidr: "10.0.0.0/16",
        dns_hostnames: false,
        env: "dev",
        spare_cidr: "10.1.0.0/16",
        public_ips: false,
        b_cidr: "10.0.2.0/24",
        web_desc: "web tier",
        web_http: false,
        rule_port: 443,
        rule_group: "app",
        default_route: false,
        rt2_vpc: "main",
        assoc_subnet: "a",
        assoc_rt: "rt",
        igw_attached: true,
    };
    let s = Stack::new(&moto, &cfg.tf());

    s.apply();
    let vpc = s.id_of("aws_vpc.main");
    let spare = s.id_of("aws_vpc.spare");
    let sub_a = s.id_of("aws_subnet.a");
    let (web, app, other) = (
        s.id_of("aws_security_group.web"),
        s.id_of("aws_security_group.app"),
        s.id_of("aws_security_group.other"),
    );
    let (rule_in, rule_out) = (
        s.id_of("aws_vpc_security_group_ingress_rule.app_in"),
        s.id_of("aws_vpc_security_group_egress_rule.app_out"),
    );
    let (igw, rt, rt2) = (
        s.id_of("aws_internet_gateway.gw"),
        s.id_of("aws_route_table.rt"),
        s.id_of("aws_route_table.rt2"),
    );
    assert!(has(&vpc_ids(&moto), &vpc) && has(&vpc_ids(&moto), &spare));
    let v = &ec2(&moto, &["describe-vpcs", "--vpc-ids", &vpc])["Vpcs"][0];
    assert_eq!(v["CidrBlock"], "10.0.0.0/16");
    assert!(!dns_hostnames(&moto, &vpc));
    assert_eq!(subnet_cidrs(&moto, &vpc), ["10.0.1.0/24", "10.0.2.0/24"]);
    assert_eq!(ingress_ports(&moto, &web), [("tcp".to_string(), 443)]);
    assert_eq!(group(&moto, &web)["Description"], "web tier");
    let app_rules = group_rule_ids(&moto, &app);
    assert!(
        has(&app_rules, &rule_in) && has(&app_rules, &rule_out),
        "{app_rules:?}"
    );
    assert_eq!(ingress_ports(&moto, &app), [("tcp".to_string(), 443)]);
    assert_eq!(igw_vpcs(&moto, &igw), [vpc.as_str()]);
    assert_eq!(associated_subnets(&moto, &rt), [sub_a.as_str()]);
    assert_eq!(route_table(&moto, &rt2)["VpcId"], vpc.as_str());
    s.assert_no_changes();

    // In place: every type's updatable attribute; the ids stay the same.
    cfg.dns_hostnames = true;
    cfg.env = "prod";
    cfg.public_ips = true;
    cfg.web_http = true;
    cfg.rule_port = 8443;
    cfg.default_route = true;
    cfg.assoc_rt = "rt2";
    s.write(&cfg.tf());
    let actions = s.plan_actions();
    for addr in [
        "aws_vpc.main",
        "aws_subnet.a",
        "aws_security_group.web",
        "aws_vpc_security_group_ingress_rule.app_in",
        "aws_route_table.rt",
        "aws_route_table_association.assoc",
    ] {
        assert_eq!(actions[addr], "update", "{addr} in {actions:?}");
    }
    assert_eq!(actions.len(), 6, "{actions:?}");
    s.apply();
    assert!(dns_hostnames(&moto, &vpc));
    let v = &ec2(&moto, &["describe-vpcs", "--vpc-ids", &vpc])["Vpcs"][0];
    assert!(
        v["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["Key"] == "env" && t["Value"] == "prod"),
        "{v}"
    );
    let a = &ec2(&moto, &["describe-subnets", "--subnet-ids", &sub_a])["Subnets"][0];
    assert_eq!(a["MapPublicIpOnLaunch"], true);
    assert_eq!(
        ingress_ports(&moto, &web),
        [("tcp".to_string(), 80), ("tcp".to_string(), 443)]
    );
    assert_eq!(
        s.id_of("aws_vpc_security_group_ingress_rule.app_in"),
        rule_in
    );
    assert!(associated_subnets(&moto, &rt).is_empty());
    assert_eq!(associated_subnets(&moto, &rt2), [sub_a.as_str()]);
    assert_eq!(ingress_ports(&moto, &app), [("tcp".to_string(), 8443)]);
    let routes = route_table(&moto, &rt)["Routes"].clone();
    assert!(
        routes
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["DestinationCidrBlock"] == "0.0.0.0/0" && r["GatewayId"] == igw.as_str()),
        "{routes}"
    );
    s.assert_no_changes();

    // Force-new on leaves: a spare VPC's CIDR, subnet b's CIDR, the web group's description,
    // the ingress rule's group.
    cfg.spare_cidr = "10.2.0.0/16";
    cfg.b_cidr = "10.0.3.0/24";
    cfg.web_desc = "web tier v2";
    cfg.rule_group = "other";
    s.write(&cfg.tf());
    let actions = s.plan_actions();
    for addr in [
        "aws_vpc.spare",
        "aws_subnet.b",
        "aws_security_group.web",
        "aws_vpc_security_group_ingress_rule.app_in",
    ] {
        assert_eq!(actions[addr], "replace", "{addr} in {actions:?}");
    }
    s.apply();
    let spare2 = s.id_of("aws_vpc.spare");
    assert!(!has(&vpc_ids(&moto), &spare) && has(&vpc_ids(&moto), &spare2));
    assert_eq!(subnet_cidrs(&moto, &vpc), ["10.0.1.0/24", "10.0.3.0/24"]);
    let web2 = s.id_of("aws_security_group.web");
    let groups = group_ids(&moto);
    assert!(!has(&groups, &web) && has(&groups, &web2), "{groups:?}");
    assert_eq!(group(&moto, &web2)["Description"], "web tier v2");
    assert_eq!(
        ingress_ports(&moto, &web2),
        [("tcp".to_string(), 80), ("tcp".to_string(), 443)]
    );
    let rule_in2 = s.id_of("aws_vpc_security_group_ingress_rule.app_in");
    assert!(!has(&group_rule_ids(&moto, &app), &rule_in));
    assert!(has(&group_rule_ids(&moto, &other), &rule_in2));
    assert_eq!(ingress_ports(&moto, &other), [("tcp".to_string(), 8443)]);
    s.assert_no_changes();

    // Force-new on the next leaves: the second route table moves to the spare VPC, the
    // association moves to subnet b; the gateway is detached in place.
    cfg.rt2_vpc = "spare";
    cfg.assoc_subnet = "b";
    cfg.assoc_rt = "rt";
    cfg.default_route = false;
    cfg.igw_attached = false;
    s.write(&cfg.tf());
    let actions = s.plan_actions();
    assert_eq!(actions["aws_route_table.rt2"], "replace", "{actions:?}");
    assert_eq!(
        actions["aws_route_table_association.assoc"], "replace",
        "{actions:?}"
    );
    assert_eq!(actions["aws_internet_gateway.gw"], "update", "{actions:?}");
    s.apply();
    let rt2b = s.id_of("aws_route_table.rt2");
    let tables = route_table_ids(&moto);
    assert!(!has(&tables, &rt2) && has(&tables, &rt2b), "{tables:?}");
    assert_eq!(route_table(&moto, &rt2b)["VpcId"], spare2.as_str());
    let sub_b2 = s.id_of("aws_subnet.b");
    assert_eq!(associated_subnets(&moto, &rt), [sub_b2.as_str()]);
    assert!(igw_vpcs(&moto, &igw).is_empty());
    s.assert_no_changes();

    // The main VPC's CIDR forces a new VPC while subnets, groups, rules, a route table and an
    // association live in it: they are all replaced (dependents destroyed first, created
    // after), and the gateway is attached to the new VPC in place.
    cfg.main_cidr = "10.0.0.0/17";
    cfg.igw_attached = true;
    s.write(&cfg.tf());
    let actions = s.plan_actions();
    for addr in [
        "aws_vpc.main",
        "aws_subnet.a",
        "aws_subnet.b",
        "aws_security_group.web",
        "aws_security_group.app",
        "aws_security_group.other",
        "aws_vpc_security_group_ingress_rule.app_in",
        "aws_vpc_security_group_egress_rule.app_out",
        "aws_route_table.rt",
        "aws_route_table_association.assoc",
    ] {
        assert_eq!(actions[addr], "replace", "{addr} in {actions:?}");
    }
    assert_eq!(actions["aws_internet_gateway.gw"], "update", "{actions:?}");
    assert!(!actions.contains_key("aws_vpc.spare"), "{actions:?}");
    s.apply();
    let vpc2 = s.id_of("aws_vpc.main");
    let vpcs = vpc_ids(&moto);
    assert!(!has(&vpcs, &vpc) && has(&vpcs, &vpc2), "{vpcs:?}");
    assert_eq!(subnet_cidrs(&moto, &vpc2), ["10.0.1.0/24", "10.0.3.0/24"]);
    assert!(subnet_cidrs(&moto, &vpc).is_empty());
    assert_eq!(igw_vpcs(&moto, &igw), [vpc2.as_str()]);
    let rt_new = s.id_of("aws_route_table.rt");
    assert_eq!(route_table(&moto, &rt_new)["VpcId"], vpc2.as_str());
    assert_eq!(
        associated_subnets(&moto, &rt_new),
        [s.id_of("aws_subnet.b").as_str()]
    );
    let app2 = s.id_of("aws_security_group.app");
    assert_eq!(group(&moto, &app2)["VpcId"], vpc2.as_str());
    assert_eq!(
        group_rule_ids(&moto, &app2),
        [s.id_of("aws_vpc_security_group_egress_rule.app_out")]
    );
    let groups = group_ids(&moto);
    assert!(!has(&groups, &app) && !has(&groups, &web2), "{groups:?}");
    s.assert_no_changes();

    // Import every resource by its Terraform import id.
    let ids: Vec<(&str, String)> = [
        "aws_vpc.main",
        "aws_vpc.spare",
        "aws_subnet.a",
        "aws_subnet.b",
        "aws_security_group.web",
        "aws_security_group.app",
        "aws_security_group.other",
        "aws_vpc_security_group_ingress_rule.app_in",
        "aws_vpc_security_group_egress_rule.app_out",
        "aws_internet_gateway.gw",
        "aws_route_table.rt",
        "aws_route_table.rt2",
    ]
    .into_iter()
    .map(|a| (a, s.id_of(a)))
    .chain([(
        "aws_route_table_association.assoc",
        format!("{}/{rt_new}", s.id_of("aws_subnet.b")),
    )])
    .collect();
    for (addr, id) in &ids {
        s.reimport(addr, id);
    }
    s.assert_no_changes();

    s.destroy();
    let vpcs = vpc_ids(&moto);
    assert!(!has(&vpcs, &vpc2) && !has(&vpcs, &spare2), "{vpcs:?}");
    let igws = names(
        &ec2(&moto, &["describe-internet-gateways"]),
        "InternetGateways",
        "InternetGatewayId",
    );
    assert!(!has(&igws, &igw), "{igws:?}");
    let groups = group_ids(&moto);
    let (web3, other2) = (ids[4].1.clone(), ids[6].1.clone());
    assert!(!has(&groups, &web3) && !has(&groups, &app2) && !has(&groups, &other2));
    assert!(s.addresses().is_empty());
}
