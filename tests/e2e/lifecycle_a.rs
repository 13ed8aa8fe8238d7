//! Per-type lifecycles through the real binary against moto, for the S3, SQS policy, SNS, SSM,
//! CloudWatch Logs, KMS and Secrets Manager types (the pattern of `lifecycle.rs`): create from
//! HCL, read back with the AWS CLI, a no-change plan, an in-place update of the same resource, a
//! forced replacement, import by the Terraform import id, and destroy. Every check of the cloud
//! goes through the AWS CLI, never through terrane's store.

use super::moto::{tool, Moto};
use super::stack::{json, Stack};
use std::process::Command;
use std::time::Instant;

/// The AWS CLI's stdout, or None when the call fails (e.g. "not found").
fn try_aws(moto: &Moto, args: &[&str]) -> Option<String> {
    let out = Command::new(tool("aws"))
        .arg("--endpoint-url")
        .arg(moto.endpoint())
        .args(args)
        .envs(moto.env())
        .output()
        .expect("run the AWS CLI");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn aws_json(moto: &Moto, args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.extend(["--output", "json"]);
    json(&moto.aws(&a))
}

/// Like `aws_json`, but None when the call fails.
fn try_aws_json(moto: &Moto, args: &[&str]) -> Option<serde_json::Value> {
    let mut a = args.to_vec();
    a.extend(["--output", "json"]);
    try_aws(moto, &a).map(|o| json(&o))
}

/// After an import, Terraform sets config-only attributes (which no API reports) to their
/// defaults, so the first plan updates just those, in the state only; terrane does the same.
/// Applies that plan and checks that nothing else changed.
fn settle_config_only(s: &Stack, expected: &[(&str, &str)]) {
    let plan = s.plan_json();
    let mut seen = Vec::new();
    for c in plan["changes"].as_array().unwrap() {
        if c["action"] == "no-op" {
            continue;
        }
        let addr = c["address"].as_str().unwrap();
        assert_eq!(c["action"], "update", "{c}");
        for a in c["attributes"].as_array().unwrap() {
            if a["before"] != a["after"] {
                seen.push((addr.to_string(), a["path"].as_str().unwrap().to_string()));
            }
        }
    }
    let mut want: Vec<(String, String)> = expected
        .iter()
        .map(|(a, k)| (a.to_string(), k.to_string()))
        .collect();
    want.sort();
    seen.sort();
    assert_eq!(seen, want, "{plan:#}");
    s.apply();
}

/// Forgets and re-imports a resource created from a `name_prefix`/`bucket_prefix`, and checks
/// that its generated name starts with `prefix`. Import derives the prefix back from the name
/// (as Terraform does), so the next plan is not a forced replacement.
fn reimport_prefixed(s: &Stack, address: &str, prefix: &str) -> String {
    let id = s.id_of(address);
    assert!(id.contains(prefix), "{address}: {id} lacks {prefix}");
    s.reimport(address, &id);
    id
}

/// Prints how long a lifecycle test took (the report lists per-test durations).
struct Timer(&'static str, Instant);

impl Drop for Timer {
    fn drop(&mut self) {
        eprintln!("{}: {:.1}s", self.0, self.1.elapsed().as_secs_f64());
    }
}

// ---- S3 ----

fn bucket_names(moto: &Moto) -> Vec<String> {
    aws_json(moto, &["s3api", "list-buckets"])["Buckets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["Name"].as_str().map(str::to_string))
        .collect()
}

fn bucket_tag(moto: &Moto, bucket: &str, key: &str) -> Option<String> {
    let t = try_aws_json(moto, &["s3api", "get-bucket-tagging", "--bucket", bucket])?;
    t["TagSet"]
        .as_array()?
        .iter()
        .find(|t| t["Key"] == key)
        .and_then(|t| t["Value"].as_str().map(str::to_string))
}

fn bucket_policy(moto: &Moto, bucket: &str) -> Option<serde_json::Value> {
    let p = try_aws_json(moto, &["s3api", "get-bucket-policy", "--bucket", bucket])?;
    Some(json(p["Policy"].as_str()?))
}

fn bucket_pab(moto: &Moto, bucket: &str) -> Option<serde_json::Value> {
    let p = try_aws_json(
        moto,
        &["s3api", "get-public-access-block", "--bucket", bucket],
    )?;
    Some(p["PublicAccessBlockConfiguration"].clone())
}

fn bucket_sse(moto: &Moto, bucket: &str) -> Option<String> {
    let e = try_aws_json(
        moto,
        &["s3api", "get-bucket-encryption", "--bucket", bucket],
    )?;
    e["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
        ["SSEAlgorithm"]
        .as_str()
        .map(str::to_string)
}

fn bucket_versioning(moto: &Moto, bucket: &str) -> Option<String> {
    let v = aws_json(
        moto,
        &["s3api", "get-bucket-versioning", "--bucket", bucket],
    );
    v["Status"].as_str().map(str::to_string)
}

/// The bucket stack: `main` (named) carries the four settings resources unless `settings_on`
/// names the `other` bucket; `gen` has a generated name from `bucket_prefix`.
struct BucketCfg<'a> {
    main: &'a str,
    prefix: &'a str,
    team: &'a str,
    force_destroy: bool,
    versioning: &'a str,
    sid: &'a str,
    block_acls: bool,
    sse: &'a str,
    settings_on: &'a str,
}

fn s3_config(c: &BucketCfg) -> String {
    let BucketCfg {
        main,
        prefix,
        team,
        force_destroy,
        versioning,
        sid,
        block_acls,
        sse,
        settings_on,
    } = c;
    format!(
        r#"
resource "aws_s3_bucket" "main" {{
  bucket        = "{main}"
  force_destroy = {force_destroy}
  tags = {{
    team = "{team}"
  }}
}}

resource "aws_s3_bucket" "other" {{
  bucket = "lc-other"
}}

resource "aws_s3_bucket" "gen" {{
  bucket_prefix = "{prefix}"
  force_destroy = true
}}

resource "aws_s3_bucket_versioning" "v" {{
  bucket = aws_s3_bucket.{settings_on}.id
  versioning_configuration {{
    status = "{versioning}"
  }}
}}

resource "aws_s3_bucket_policy" "p" {{
  bucket = aws_s3_bucket.{settings_on}.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid       = "{sid}"
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "${{aws_s3_bucket.{settings_on}.arn}}/*"
    }}]
  }})
}}

resource "aws_s3_bucket_public_access_block" "pab" {{
  bucket            = aws_s3_bucket.{settings_on}.id
  block_public_acls = {block_acls}
  ignore_public_acls = true
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "sse" {{
  bucket = aws_s3_bucket.{settings_on}.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm = "{sse}"
    }}
  }}
}}
"#
    )
}

const SETTINGS: [&str; 4] = [
    "aws_s3_bucket_versioning.v",
    "aws_s3_bucket_policy.p",
    "aws_s3_bucket_public_access_block.pab",
    "aws_s3_bucket_server_side_encryption_configuration.sse",
];

#[test]
fn s3_bucket_and_settings_lifecycle() {
    let _t = Timer("s3_bucket_and_settings_lifecycle", Instant::now());
    let moto = Moto::start();
    let mut c = BucketCfg {
        main: "lc-main",
        prefix: "lc-gen-",
        team: "a",
        force_destroy: false,
        versioning: "Enabled",
        sid: "ReadA",
        block_acls: true,
        sse: "AES256",
        settings_on: "main",
    };
    let s = Stack::new(&moto, &s3_config(&c));

    s.apply();
    let names = bucket_names(&moto);
    assert!(names.contains(&"lc-main".to_string()), "{names:?}");
    let gen = s.id_of("aws_s3_bucket.gen");
    assert!(gen.starts_with("lc-gen-"), "{gen}");
    assert!(names.contains(&gen), "{names:?}");
    assert_eq!(bucket_tag(&moto, "lc-main", "team").as_deref(), Some("a"));
    assert_eq!(
        bucket_versioning(&moto, "lc-main").as_deref(),
        Some("Enabled")
    );
    assert_eq!(
        bucket_policy(&moto, "lc-main").unwrap()["Statement"][0]["Sid"],
        "ReadA"
    );
    let pab = bucket_pab(&moto, "lc-main").unwrap();
    assert_eq!(pab["BlockPublicAcls"], true);
    assert_eq!(pab["IgnorePublicAcls"], true);
    assert_eq!(pab["BlockPublicPolicy"], false);
    assert_eq!(bucket_sse(&moto, "lc-main").as_deref(), Some("AES256"));
    s.assert_no_changes();

    // In place: tags and force_destroy on the bucket, a new value in each setting.
    c.team = "b";
    c.force_destroy = true;
    c.versioning = "Suspended";
    c.sid = "ReadB";
    c.block_acls = false;
    c.sse = "aws:kms";
    s.write(&s3_config(&c));
    let actions = s.plan_actions();
    assert_eq!(actions["aws_s3_bucket.main"], "update", "{actions:?}");
    for a in SETTINGS {
        assert_eq!(actions[a], "update", "{a}: {actions:?}");
    }
    assert_eq!(actions.len(), 5, "{actions:?}");
    s.apply();
    assert_eq!(s.id_of("aws_s3_bucket.main"), "lc-main");
    assert_eq!(bucket_tag(&moto, "lc-main", "team").as_deref(), Some("b"));
    assert_eq!(
        bucket_versioning(&moto, "lc-main").as_deref(),
        Some("Suspended")
    );
    assert_eq!(
        bucket_policy(&moto, "lc-main").unwrap()["Statement"][0]["Sid"],
        "ReadB"
    );
    assert_eq!(
        bucket_pab(&moto, "lc-main").unwrap()["BlockPublicAcls"],
        false
    );
    assert_eq!(bucket_sse(&moto, "lc-main").as_deref(), Some("aws:kms"));
    s.assert_no_changes();

    // `bucket` forces replacement of each setting: moved to the other bucket.
    c.settings_on = "other";
    s.write(&s3_config(&c));
    let actions = s.plan_actions();
    for a in SETTINGS {
        assert_eq!(actions[a], "replace", "{a}: {actions:?}");
    }
    assert_eq!(actions.len(), 4, "{actions:?}");
    s.apply();
    assert_eq!(bucket_policy(&moto, "lc-main"), None);
    assert_eq!(bucket_pab(&moto, "lc-main"), None);
    assert_eq!(bucket_sse(&moto, "lc-main"), None);
    // Deleting versioning suspends it (S3 cannot turn it off).
    assert_eq!(
        bucket_versioning(&moto, "lc-main").as_deref(),
        Some("Suspended")
    );
    assert_eq!(
        bucket_versioning(&moto, "lc-other").as_deref(),
        Some("Suspended")
    );
    assert_eq!(
        bucket_policy(&moto, "lc-other").unwrap()["Statement"][0]["Resource"],
        "arn:aws:s3:::lc-other/*"
    );
    assert_eq!(
        bucket_pab(&moto, "lc-other").unwrap()["IgnorePublicAcls"],
        true
    );
    assert_eq!(bucket_sse(&moto, "lc-other").as_deref(), Some("aws:kms"));
    s.assert_no_changes();

    // `bucket` and `bucket_prefix` force replacement of the bucket. The old `main` holds an
    // object: force_destroy (set above) lets the replacement delete it anyway.
    let obj = s.path().join("obj.txt");
    std::fs::write(&obj, "x").unwrap();
    moto.aws(&[
        "s3api",
        "put-object",
        "--bucket",
        "lc-main",
        "--key",
        "obj.txt",
        "--body",
        obj.to_str().unwrap(),
    ]);
    c.main = "lc-main-2";
    c.prefix = "lc-gen2-";
    s.write(&s3_config(&c));
    let actions = s.plan_actions();
    assert_eq!(actions["aws_s3_bucket.main"], "replace", "{actions:?}");
    assert_eq!(actions["aws_s3_bucket.gen"], "replace", "{actions:?}");
    assert_eq!(actions.len(), 2, "{actions:?}");
    s.apply();
    let names = bucket_names(&moto);
    assert!(!names.contains(&"lc-main".to_string()), "{names:?}");
    assert!(!names.contains(&gen), "{names:?}");
    assert!(names.contains(&"lc-main-2".to_string()), "{names:?}");
    let gen2 = s.id_of("aws_s3_bucket.gen");
    assert!(
        gen2.starts_with("lc-gen2-") && names.contains(&gen2),
        "{gen2} {names:?}"
    );
    assert_eq!(bucket_tag(&moto, "lc-main-2", "team").as_deref(), Some("b"));
    s.assert_no_changes();

    // Import by the bucket name, for the bucket and each setting.
    for (addr, id) in [
        ("aws_s3_bucket.main", "lc-main-2"),
        ("aws_s3_bucket.other", "lc-other"),
        ("aws_s3_bucket.gen", gen2.as_str()),
    ] {
        assert_eq!(s.id_of(addr), id);
        s.reimport(addr, id);
    }
    for a in SETTINGS {
        assert_eq!(s.id_of(a), "lc-other");
        s.reimport(a, "lc-other");
    }
    settle_config_only(
        &s,
        &[
            ("aws_s3_bucket.main", "force_destroy"),
            ("aws_s3_bucket.gen", "force_destroy"),
        ],
    );
    assert_eq!(s.id_of("aws_s3_bucket.gen"), gen2);
    s.assert_no_changes();

    s.destroy();
    assert_eq!(bucket_names(&moto), Vec::<String>::new());
    assert!(s.addresses().is_empty());
}

// ---- SQS queue policy ----

/// Terraform imports versioning and encryption by `bucket` or `bucket,expected_bucket_owner`.
#[test]
fn s3_settings_import_with_expected_bucket_owner() {
    let moto = Moto::start();
    let s = Stack::new(
        &moto,
        r#"
resource "aws_s3_bucket" "b" {
  bucket = "lc-owner"
}

resource "aws_s3_bucket_versioning" "v" {
  bucket                = aws_s3_bucket.b.id
  expected_bucket_owner = "123456789012"
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "e" {
  bucket                = aws_s3_bucket.b.id
  expected_bucket_owner = "123456789012"
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}
"#,
    );
    s.apply();
    assert_eq!(
        bucket_versioning(&moto, "lc-owner").as_deref(),
        Some("Enabled")
    );
    assert_eq!(bucket_sse(&moto, "lc-owner").as_deref(), Some("AES256"));
    s.assert_no_changes();
    for addr in [
        "aws_s3_bucket_versioning.v",
        "aws_s3_bucket_server_side_encryption_configuration.e",
    ] {
        s.reimport(addr, "lc-owner,123456789012");
        assert_eq!(s.id_of(addr), "lc-owner");
    }
    s.assert_no_changes();
    s.destroy();
    assert!(!bucket_names(&moto).contains(&"lc-owner".to_string()));
}

fn queue_url(moto: &Moto, name: &str) -> String {
    aws_json(moto, &["sqs", "get-queue-url", "--queue-name", name])["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string()
}

fn queue_policy(moto: &Moto, url: &str) -> Option<serde_json::Value> {
    // The CLI prints nothing at all when the queue has no policy.
    let out = moto.aws(&[
        "sqs",
        "get-queue-attributes",
        "--queue-url",
        url,
        "--attribute-names",
        "Policy",
        "--output",
        "json",
    ]);
    if out.trim().is_empty() {
        return None;
    }
    json(&out)["Attributes"]["Policy"]
        .as_str()
        .filter(|p| !p.is_empty())
        .map(json)
}

fn queue_policy_config(on: &str, sid: &str) -> String {
    format!(
        r#"
resource "aws_sqs_queue" "a" {{
  name = "lc-qp-a"
}}

resource "aws_sqs_queue" "b" {{
  name = "lc-qp-b"
}}

resource "aws_sqs_queue" "gen" {{
  name_prefix = "lc-qp-gen-"
}}

resource "aws_sqs_queue_policy" "p" {{
  queue_url = aws_sqs_queue.{on}.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid       = "{sid}"
      Effect    = "Allow"
      Principal = {{ Service = "sns.amazonaws.com" }}
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.{on}.arn
    }}]
  }})
}}
"#
    )
}

#[test]
fn sqs_queue_policy_lifecycle() {
    let _t = Timer("sqs_queue_policy_lifecycle", Instant::now());
    let moto = Moto::start();
    let s = Stack::new(&moto, &queue_policy_config("a", "One"));

    s.apply();
    let (a, b) = (queue_url(&moto, "lc-qp-a"), queue_url(&moto, "lc-qp-b"));
    let p = queue_policy(&moto, &a).expect("policy on queue a");
    assert_eq!(p["Statement"][0]["Sid"], "One");
    assert_eq!(queue_policy(&moto, &b), None);
    s.assert_no_changes();

    // In place: a new statement on the same queue.
    s.write(&queue_policy_config("a", "Two"));
    let actions = s.plan_actions();
    assert_eq!(actions["aws_sqs_queue_policy.p"], "update", "{actions:?}");
    assert_eq!(actions.len(), 1, "{actions:?}");
    s.apply();
    assert_eq!(
        queue_policy(&moto, &a).unwrap()["Statement"][0]["Sid"],
        "Two"
    );
    assert_eq!(s.id_of("aws_sqs_queue_policy.p"), a);
    s.assert_no_changes();

    // `queue_url` forces replacement: the policy leaves queue a for queue b.
    s.write(&queue_policy_config("b", "Two"));
    let actions = s.plan_actions();
    assert_eq!(actions["aws_sqs_queue_policy.p"], "replace", "{actions:?}");
    assert_eq!(actions.len(), 1, "{actions:?}");
    s.apply();
    assert_eq!(queue_policy(&moto, &a), None);
    let p = queue_policy(&moto, &b).expect("policy on queue b");
    assert!(p["Statement"][0]["Resource"]
        .as_str()
        .unwrap()
        .ends_with(":lc-qp-b"));
    s.assert_no_changes();

    // Import by the queue URL (the prefixed queue keeps its name_prefix).
    assert_eq!(s.id_of("aws_sqs_queue_policy.p"), b);
    s.reimport("aws_sqs_queue_policy.p", &b);
    reimport_prefixed(&s, "aws_sqs_queue.gen", "/lc-qp-gen-");
    s.assert_no_changes();

    s.destroy();
    let left = try_aws(&moto, &["sqs", "list-queues", "--output", "json"]).unwrap_or_default();
    assert!(!left.contains("lc-qp-"), "{left}");
    assert!(s.addresses().is_empty());
}

// ---- SNS ----

/// Topics named `lc-topic...` (not the prefixed `lc-gen-` one).
fn topic_arns(moto: &Moto) -> Vec<String> {
    aws_json(moto, &["sns", "list-topics"])["Topics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["TopicArn"].as_str().map(str::to_string))
        .filter(|a| a.contains(":lc-topic"))
        .collect()
}

fn subscriptions(moto: &Moto) -> Vec<serde_json::Value> {
    aws_json(moto, &["sns", "list-subscriptions"])["Subscriptions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn sns_config(topic: &str, display: &str, queue: &str, raw: bool) -> String {
    format!(
        r#"
resource "aws_sqs_queue" "a" {{
  name = "lc-sub-a"
}}

resource "aws_sqs_queue" "b" {{
  name = "lc-sub-b"
}}

resource "aws_sns_topic" "t" {{
  name         = "{topic}"
  display_name = "{display}"
  tags = {{
    team = "platform"
  }}
}}

resource "aws_sns_topic" "gen" {{
  name_prefix = "lc-gen-"
}}

resource "aws_sns_topic_subscription" "s" {{
  topic_arn            = aws_sns_topic.t.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.{queue}.arn
  raw_message_delivery = {raw}
}}
"#
    )
}

#[test]
fn sns_topic_and_subscription_lifecycle() {
    let _t = Timer("sns_topic_and_subscription_lifecycle", Instant::now());
    let moto = Moto::start();
    let s = Stack::new(&moto, &sns_config("lc-topic", "One", "a", false));

    s.apply();
    let topic = s.id_of("aws_sns_topic.t");
    assert!(topic.ends_with(":lc-topic"), "{topic}");
    assert_eq!(topic_arns(&moto), vec![topic.clone()]);
    let attrs = aws_json(
        &moto,
        &["sns", "get-topic-attributes", "--topic-arn", &topic],
    );
    assert_eq!(attrs["Attributes"]["DisplayName"], "One");
    let subs = subscriptions(&moto);
    assert_eq!(subs.len(), 1, "{subs:?}");
    assert_eq!(subs[0]["Protocol"], "sqs");
    assert!(subs[0]["Endpoint"].as_str().unwrap().ends_with(":lc-sub-a"));
    let sub = s.id_of("aws_sns_topic_subscription.s");
    assert_eq!(subs[0]["SubscriptionArn"], sub.as_str());
    s.assert_no_changes();

    // In place: the topic's display name and the subscription's raw delivery.
    s.write(&sns_config("lc-topic", "Two", "a", true));
    let actions = s.plan_actions();
    assert_eq!(actions["aws_sns_topic.t"], "update", "{actions:?}");
    assert_eq!(
        actions["aws_sns_topic_subscription.s"], "update",
        "{actions:?}"
    );
    assert_eq!(actions.len(), 2, "{actions:?}");
    s.apply();
    assert_eq!(topic_arns(&moto), vec![topic.clone()]);
    let attrs = aws_json(
        &moto,
        &["sns", "get-topic-attributes", "--topic-arn", &topic],
    );
    assert_eq!(attrs["Attributes"]["DisplayName"], "Two");
    let sa = aws_json(
        &moto,
        &[
            "sns",
            "get-subscription-attributes",
            "--subscription-arn",
            &sub,
        ],
    );
    assert_eq!(sa["Attributes"]["RawMessageDelivery"], "true");
    assert_eq!(s.id_of("aws_sns_topic_subscription.s"), sub);
    s.assert_no_changes();

    // `endpoint` forces a new subscription: queue a out, queue b in.
    s.write(&sns_config("lc-topic", "Two", "b", true));
    let actions = s.plan_actions();
    assert_eq!(
        actions["aws_sns_topic_subscription.s"], "replace",
        "{actions:?}"
    );
    assert_eq!(actions.len(), 1, "{actions:?}");
    s.apply();
    let subs = subscriptions(&moto);
    assert_eq!(subs.len(), 1, "{subs:?}");
    assert!(subs[0]["Endpoint"].as_str().unwrap().ends_with(":lc-sub-b"));
    let sub2 = s.id_of("aws_sns_topic_subscription.s");
    assert_ne!(sub2, sub);
    assert_eq!(subs[0]["SubscriptionArn"], sub2.as_str());
    s.assert_no_changes();

    // `name` forces a new topic, and with it (topic_arn) a new subscription.
    s.write(&sns_config("lc-topic-2", "Two", "b", true));
    let actions = s.plan_actions();
    assert_eq!(actions["aws_sns_topic.t"], "replace", "{actions:?}");
    assert_eq!(
        actions["aws_sns_topic_subscription.s"], "replace",
        "{actions:?}"
    );
    s.apply();
    let topic2 = s.id_of("aws_sns_topic.t");
    assert!(topic2.ends_with(":lc-topic-2"), "{topic2}");
    assert_eq!(topic_arns(&moto), vec![topic2.clone()]);
    let subs = subscriptions(&moto);
    assert_eq!(subs.len(), 1, "{subs:?}");
    assert_eq!(subs[0]["TopicArn"], topic2.as_str());
    s.assert_no_changes();

    // Import: the topic by its ARN, the subscription by its ARN.
    let sub3 = s.id_of("aws_sns_topic_subscription.s");
    s.reimport("aws_sns_topic.t", &topic2);
    s.reimport("aws_sns_topic_subscription.s", &sub3);
    reimport_prefixed(&s, "aws_sns_topic.gen", ":lc-gen-");
    s.assert_no_changes();

    s.destroy();
    assert!(topic_arns(&moto).is_empty());
    assert_eq!(
        aws_json(&moto, &["sns", "list-topics"])["Topics"],
        serde_json::json!([])
    );
    assert!(subscriptions(&moto).is_empty());
    assert!(s.addresses().is_empty());
}

// ---- SSM ----

fn ssm_config(name: &str, value: &str, description: &str) -> String {
    format!(
        r#"
resource "aws_ssm_parameter" "p" {{
  name        = "{name}"
  type        = "SecureString"
  value       = "{value}"
  description = "{description}"
}}
"#
    )
}

fn parameter(moto: &Moto, name: &str) -> Option<serde_json::Value> {
    try_aws_json(
        moto,
        &["ssm", "get-parameter", "--name", name, "--with-decryption"],
    )
    .map(|p| p["Parameter"].clone())
}

fn parameter_description(moto: &Moto, name: &str) -> String {
    let d = aws_json(
        moto,
        &[
            "ssm",
            "describe-parameters",
            "--parameter-filters",
            &format!("Key=Name,Values={name}"),
        ],
    );
    d["Parameters"][0]["Description"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Runs a command and asserts that no secret leaks into its output.
fn assert_hidden(r: &super::stack::Run, secrets: &[&str]) {
    for s in secrets {
        assert!(
            !r.out.contains(s) && !r.err.contains(s),
            "secret {s:?} shown:\n{r}"
        );
    }
}

#[test]
fn ssm_parameter_lifecycle() {
    let _t = Timer("ssm_parameter_lifecycle", Instant::now());
    let moto = Moto::start();
    let secrets = ["sup3r-s3cret-one", "sup3r-s3cret-two"];
    let s = Stack::new(&moto, &ssm_config("/lc/db/password", secrets[0], "one"));

    assert_hidden(&s.ok(&["plan", "."]), &secrets);
    assert_hidden(&s.apply(), &secrets);
    let p = parameter(&moto, "/lc/db/password").expect("parameter created");
    assert_eq!(p["Value"], secrets[0]);
    assert_eq!(p["Type"], "SecureString");
    assert_eq!(p["Version"], 1);
    s.assert_no_changes();

    // In place: a new value and description, the same parameter (a new version of it).
    s.write(&ssm_config("/lc/db/password", secrets[1], "two"));
    let actions = s.plan_actions();
    assert_eq!(actions["aws_ssm_parameter.p"], "update", "{actions:?}");
    assert_hidden(&s.ok(&["plan", "."]), &secrets);
    assert_hidden(&s.ok(&["plan", "--format", "json", "."]), &secrets);
    assert_hidden(&s.apply(), &secrets);
    let p = parameter(&moto, "/lc/db/password").unwrap();
    assert_eq!(p["Value"], secrets[1]);
    assert_eq!(p["Version"], 2);
    assert_eq!(parameter_description(&moto, "/lc/db/password"), "two");
    s.assert_no_changes();

    // `name` forces replacement.
    s.write(&ssm_config("/lc/db/password2", secrets[1], "two"));
    let actions = s.plan_actions();
    assert_eq!(actions["aws_ssm_parameter.p"], "replace", "{actions:?}");
    assert_hidden(&s.apply(), &secrets);
    assert_eq!(parameter(&moto, "/lc/db/password"), None);
    assert_eq!(
        parameter(&moto, "/lc/db/password2").unwrap()["Value"],
        secrets[1]
    );
    s.assert_no_changes();

    // Import by the parameter name; `state show` masks the value too.
    assert_eq!(s.id_of("aws_ssm_parameter.p"), "/lc/db/password2");
    s.reimport("aws_ssm_parameter.p", "/lc/db/password2");
    assert_hidden(&s.ok(&["state", "show", "aws_ssm_parameter.p"]), &secrets);
    s.assert_no_changes();

    assert_hidden(&s.destroy(), &secrets);
    assert_eq!(parameter(&moto, "/lc/db/password2"), None);
    assert!(s.addresses().is_empty());
}

// ---- CloudWatch Logs ----

fn log_group(moto: &Moto, name: &str) -> Option<serde_json::Value> {
    aws_json(
        moto,
        &[
            "logs",
            "describe-log-groups",
            "--log-group-name-prefix",
            name,
        ],
    )["logGroups"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|g| g["logGroupName"] == name)
        .cloned()
}

fn log_config(name: &str, retention: u32) -> String {
    format!(
        r#"
resource "aws_kms_key" "logs" {{
  description             = "log group key"
  deletion_window_in_days = 7
}}

resource "aws_cloudwatch_log_group" "g" {{
  name              = "{name}"
  retention_in_days = {retention}
  kms_key_id        = aws_kms_key.logs.arn
  tags = {{
    team = "platform"
  }}
}}

resource "aws_cloudwatch_log_group" "gen" {{
  name_prefix = "/lc/gen-"
}}
"#
    )
}

#[test]
fn log_group_lifecycle() {
    let _t = Timer("log_group_lifecycle", Instant::now());
    let moto = Moto::start();
    let s = Stack::new(&moto, &log_config("/lc/app", 7));

    s.apply();
    let g = log_group(&moto, "/lc/app").expect("log group created");
    assert_eq!(g["retentionInDays"], 7);
    let key_arn = aws_json(
        &moto,
        &[
            "kms",
            "describe-key",
            "--key-id",
            &s.id_of("aws_kms_key.logs"),
        ],
    )["KeyMetadata"]["Arn"]
        .clone();
    assert_eq!(g["kmsKeyId"], key_arn);
    s.assert_no_changes();

    // In place: retention on the same group (the key stays associated). Changing kms_key_id in
    // place is left out: moto 5.2.1 answers AssociateKmsKey with HTTP 500.
    s.write(&log_config("/lc/app", 30));
    let actions = s.plan_actions();
    assert_eq!(
        actions["aws_cloudwatch_log_group.g"], "update",
        "{actions:?}"
    );
    assert_eq!(actions.len(), 1, "{actions:?}");
    s.apply();
    let g2 = log_group(&moto, "/lc/app").unwrap();
    assert_eq!(g2["retentionInDays"], 30);
    assert_eq!(g2["arn"], g["arn"]);
    assert_eq!(g2["creationTime"], g["creationTime"]);
    assert_eq!(g2["kmsKeyId"], key_arn);
    s.assert_no_changes();

    // `name` forces replacement.
    s.write(&log_config("/lc/app2", 30));
    let actions = s.plan_actions();
    assert_eq!(
        actions["aws_cloudwatch_log_group.g"], "replace",
        "{actions:?}"
    );
    s.apply();
    assert_eq!(log_group(&moto, "/lc/app"), None);
    assert_eq!(log_group(&moto, "/lc/app2").unwrap()["retentionInDays"], 30);
    s.assert_no_changes();

    // Import by the log group name.
    assert_eq!(s.id_of("aws_cloudwatch_log_group.g"), "/lc/app2");
    s.reimport("aws_cloudwatch_log_group.g", "/lc/app2");
    let gen = reimport_prefixed(&s, "aws_cloudwatch_log_group.gen", "/lc/gen-");
    assert!(log_group(&moto, &gen).is_some());
    s.assert_no_changes();

    s.destroy();
    assert_eq!(log_group(&moto, "/lc/app2"), None);
    assert_eq!(log_group(&moto, &gen), None);
    assert!(s.addresses().is_empty());
}

// ---- KMS ----

fn key_meta(moto: &Moto, id: &str) -> serde_json::Value {
    aws_json(moto, &["kms", "describe-key", "--key-id", id])["KeyMetadata"].clone()
}

/// The key an alias points at, or None when the alias does not exist.
fn alias_target(moto: &Moto, alias: &str) -> Option<String> {
    aws_json(moto, &["kms", "list-aliases"])["Aliases"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["AliasName"] == alias)
        .and_then(|a| a["TargetKeyId"].as_str().map(str::to_string))
}

fn kms_config(description: &str, usage: &str, alias: &str, target: &str) -> String {
    let spec = if usage == "SIGN_VERIFY" {
        "RSA_2048"
    } else {
        "SYMMETRIC_DEFAULT"
    };
    format!(
        r#"
resource "aws_kms_key" "k" {{
  description              = "{description}"
  key_usage                = "{usage}"
  customer_master_key_spec = "{spec}"
  deletion_window_in_days  = 7
  tags = {{
    team = "platform"
  }}
}}

resource "aws_kms_key" "other" {{
  description             = "other"
  deletion_window_in_days = 7
}}

resource "aws_kms_alias" "a" {{
  name          = "{alias}"
  target_key_id = aws_kms_key.{target}.key_id
}}

resource "aws_kms_alias" "gen" {{
  name_prefix   = "alias/lc-gen-"
  target_key_id = aws_kms_key.other.key_id
}}
"#
    )
}

#[test]
fn kms_key_and_alias_lifecycle() {
    let _t = Timer("kms_key_and_alias_lifecycle", Instant::now());
    let moto = Moto::start();
    let s = Stack::new(
        &moto,
        &kms_config("one", "ENCRYPT_DECRYPT", "alias/lc-key", "k"),
    );

    s.apply();
    let key = s.id_of("aws_kms_key.k");
    let other = s.id_of("aws_kms_key.other");
    let m = key_meta(&moto, &key);
    assert_eq!(m["Description"], "one");
    assert_eq!(m["KeyState"], "Enabled");
    assert_eq!(m["KeyUsage"], "ENCRYPT_DECRYPT");
    assert_eq!(
        alias_target(&moto, "alias/lc-key").as_deref(),
        Some(key.as_str())
    );
    s.assert_no_changes();

    // In place: the key's description; the alias moves to the other key.
    s.write(&kms_config(
        "two",
        "ENCRYPT_DECRYPT",
        "alias/lc-key",
        "other",
    ));
    let actions = s.plan_actions();
    assert_eq!(actions["aws_kms_key.k"], "update", "{actions:?}");
    assert_eq!(actions["aws_kms_alias.a"], "update", "{actions:?}");
    assert_eq!(actions.len(), 2, "{actions:?}");
    s.apply();
    assert_eq!(s.id_of("aws_kms_key.k"), key);
    assert_eq!(key_meta(&moto, &key)["Description"], "two");
    assert_eq!(
        alias_target(&moto, "alias/lc-key").as_deref(),
        Some(other.as_str())
    );
    s.assert_no_changes();

    // `key_usage`/`customer_master_key_spec` force a new key; `name` a new alias.
    s.write(&kms_config("two", "SIGN_VERIFY", "alias/lc-key-2", "other"));
    let actions = s.plan_actions();
    assert_eq!(actions["aws_kms_key.k"], "replace", "{actions:?}");
    assert_eq!(actions["aws_kms_alias.a"], "replace", "{actions:?}");
    assert_eq!(actions.len(), 2, "{actions:?}");
    s.apply();
    // A KMS key is never deleted at once: the old one waits out its deletion window.
    assert_eq!(key_meta(&moto, &key)["KeyState"], "PendingDeletion");
    let key2 = s.id_of("aws_kms_key.k");
    assert_ne!(key2, key);
    let m = key_meta(&moto, &key2);
    assert_eq!(m["KeyState"], "Enabled");
    assert_eq!(m["KeyUsage"], "SIGN_VERIFY");
    assert_eq!(alias_target(&moto, "alias/lc-key"), None);
    assert_eq!(
        alias_target(&moto, "alias/lc-key-2").as_deref(),
        Some(other.as_str())
    );
    s.assert_no_changes();

    // Import: the key by its key id, the alias by its name.
    s.reimport("aws_kms_key.k", &key2);
    assert_eq!(s.id_of("aws_kms_alias.a"), "alias/lc-key-2");
    s.reimport("aws_kms_alias.a", "alias/lc-key-2");
    let gen = reimport_prefixed(&s, "aws_kms_alias.gen", "alias/lc-gen-");
    assert_eq!(alias_target(&moto, &gen).as_deref(), Some(other.as_str()));
    settle_config_only(&s, &[("aws_kms_key.k", "deletion_window_in_days")]);
    assert_eq!(key_meta(&moto, &key2)["KeyState"], "Enabled");
    s.assert_no_changes();

    s.destroy();
    assert_eq!(key_meta(&moto, &key2)["KeyState"], "PendingDeletion");
    assert_eq!(key_meta(&moto, &other)["KeyState"], "PendingDeletion");
    assert_eq!(alias_target(&moto, "alias/lc-key-2"), None);
    assert!(s.addresses().is_empty());
}

// ---- Secrets Manager ----

fn secret_config(name: &str, description: &str) -> String {
    format!(
        r#"
resource "aws_secretsmanager_secret" "s" {{
  name                    = "{name}"
  description             = "{description}"
  recovery_window_in_days = 0
  tags = {{
    team = "platform"
  }}
}}

resource "aws_secretsmanager_secret" "gen" {{
  name_prefix             = "lc/gen-"
  recovery_window_in_days = 0
}}
"#
    )
}

fn secret(moto: &Moto, id: &str) -> Option<serde_json::Value> {
    try_aws_json(
        moto,
        &["secretsmanager", "describe-secret", "--secret-id", id],
    )
}

#[test]
fn secretsmanager_secret_lifecycle() {
    let _t = Timer("secretsmanager_secret_lifecycle", Instant::now());
    let moto = Moto::start();
    let s = Stack::new(&moto, &secret_config("lc/db", "one"));

    s.apply();
    let arn = s.id_of("aws_secretsmanager_secret.s");
    let d = secret(&moto, "lc/db").expect("secret created");
    assert_eq!(d["ARN"], arn.as_str());
    assert_eq!(d["Description"], "one");
    s.assert_no_changes();

    // In place: the description of the same secret.
    s.write(&secret_config("lc/db", "two"));
    let actions = s.plan_actions();
    assert_eq!(
        actions["aws_secretsmanager_secret.s"], "update",
        "{actions:?}"
    );
    s.apply();
    let d = secret(&moto, "lc/db").unwrap();
    assert_eq!(d["ARN"], arn.as_str());
    assert_eq!(d["Description"], "two");
    s.assert_no_changes();

    // `name` forces replacement; recovery_window_in_days = 0 deletes the old one at once.
    s.write(&secret_config("lc/db2", "two"));
    let actions = s.plan_actions();
    assert_eq!(
        actions["aws_secretsmanager_secret.s"], "replace",
        "{actions:?}"
    );
    s.apply();
    assert_eq!(secret(&moto, &arn), None);
    let arn2 = s.id_of("aws_secretsmanager_secret.s");
    assert_eq!(secret(&moto, "lc/db2").unwrap()["ARN"], arn2.as_str());
    s.assert_no_changes();

    // Import by the secret ARN.
    s.reimport("aws_secretsmanager_secret.s", &arn2);
    let gen = reimport_prefixed(&s, "aws_secretsmanager_secret.gen", ":secret:lc/gen-");
    settle_config_only(
        &s,
        &[
            ("aws_secretsmanager_secret.s", "recovery_window_in_days"),
            ("aws_secretsmanager_secret.gen", "recovery_window_in_days"),
        ],
    );
    assert_eq!(secret(&moto, "lc/db2").unwrap()["ARN"], arn2.as_str());
    s.assert_no_changes();

    s.destroy();
    assert_eq!(secret(&moto, &arn2), None);
    assert_eq!(secret(&moto, &gen), None);
    assert!(s.addresses().is_empty());
}
