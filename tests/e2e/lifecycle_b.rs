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
    /// Role `r`: name (force-new), description (in place), inline policy action (in place).
    role: &'a str,
    role_desc: &'a str,
    inline_action: &'a str,
    /// Extra managed policy on role `r` besides `aws_iam_policy.q`.
    role_extra_managed: bool,
    /// Policy `p`: description (force-new), allowed action (in place).
    p_desc: &'a str,
    p_action: &'a str,
    /// Role `r2`'s max_session_duration (in place).
    r2_session: u32,
    /// aws_iam_role_policy name (force-new) and its allowed action (in place).
    rp_name: &'a str,
    rp_action: &'a str,
    /// Which policy the attachment attaches: "p" or "q" (policy_arn is force-new).
    attach: &'a str,
    /// User path (in place) and a tag value (in place).
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
            r2_session,
            rp_name,
            rp_action,
            attach,
            user_path,
            user_team,
        } = self;
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

  inline_policy {{
    name = "inline-a"
    policy = jsonencode({{
      Version   = "2012-10-17"
      Statement = [{{ Effect = "Allow", Action = ["{inline_action}"], Resource = "*" }}]
    }})
  }}

  managed_policy_arns = {managed}
  tags = {{ team = "platform" }}
}}

# A role whose policies are separate resources.
resource "aws_iam_role" "r2" {{
  name                 = "lc-role-two"
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
  name = "lc-user"
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
        r2_session: 3600,
        rp_name: "lc-inline-b",
        rp_action: "logs:PutLogEvents",
        attach: "p",
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

    // Import each by its Terraform import id.
    for (addr, id) in [
        ("aws_iam_role.r", "lc-role-renamed".to_string()),
        ("aws_iam_role.r2", "lc-role-two".to_string()),
        ("aws_iam_policy.p", p_arn.clone()),
        ("aws_iam_policy.q", q_arn.clone()),
        (
            "aws_iam_role_policy.rp",
            "lc-role-two:lc-inline-c".to_string(),
        ),
        (
            "aws_iam_role_policy_attachment.att",
            format!("lc-role-two/{q_arn}"),
        ),
        ("aws_iam_user.u", "lc-user".to_string()),
    ] {
        assert_eq!(s.id_of(addr), id, "{addr}");
        s.reimport(addr, &id);
    }
    // The import records the configuration's dependencies, so the destroy below still
    // deletes the role before the policies attached to it.
    let shown = s.ok(&["state", "show", "aws_iam_role.r"]).out;
    assert!(shown.contains("# depends on: aws_iam_policy.q"), "{shown}");
    s.assert_no_changes();

    s.destroy();
    let roles = role_names(&moto);
    assert!(
        !has(&roles, "lc-role-renamed") && !has(&roles, "lc-role-two"),
        "{roles:?}"
    );
    assert!(local_policy_arns(&moto).is_empty());
    let users = names(
        &aws_json(&moto, &["iam", "list-users"]),
        "Users",
        "UserName",
    );
    assert!(!has(&users, "lc-user"), "{users:?}");
    assert!(s.addresses().is_empty());
}

// ---------------------------------------------------------------------------------------------
// DynamoDB

/// A table with a composite key, a GSI and TTL; `on_demand` switches the billing mode (in
/// place), `extra_gsi` adds a second index (in place), `team` is a tag (in place).
fn table_tf(name: &str, on_demand: bool, extra_gsi: bool, team: &str) -> String {
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
  hash_key     = "pk"
  range_key    = "sk"

  attribute {{
    name = "pk"
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

    // Import by the table name.
    assert_eq!(s.id_of("aws_dynamodb_table.t"), "lc-orders-2");
    s.reimport("aws_dynamodb_table.t", "lc-orders-2");
    s.assert_no_changes();

    s.destroy();
    assert!(!has(&table_names(&moto), "lc-orders-2"));
    assert!(s.addresses().is_empty());
}
