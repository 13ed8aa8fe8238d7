//! The AWS provider's S3, SQS, SNS, SSM, CloudWatch Logs, KMS and Secrets Manager types and the
//! account data sources, driven through the `Provider`/`Client` traits against a real AWS API (a
//! moto server per test). Every step is checked with a second client, the AWS CLI, rather than
//! with terrane's own reads alone.

use crate::moto::Moto;
use serde_json::json;
use std::sync::Arc;
use terrane_provider::{
    Client, CreateRequest, DeleteRequest, ErrorKind, Owner, Provider, ReadRequest, UpdateRequest,
    Value,
};
use terrane_provider_aws::AwsProvider;

const STACK: &str = "e2e";

/// A moto server and a terrane AWS client configured for it through the provider block.
struct Env {
    moto: Moto,
    client: Arc<dyn Client>,
}

fn v(j: serde_json::Value) -> Value {
    Value::from_json(&j)
}

fn owner(addr: &str) -> Owner {
    Owner {
        stack: STACK.into(),
        address: addr.into(),
    }
}

impl Env {
    async fn new() -> Env {
        Self::with_config(|_| {}).await
    }

    /// Starts moto and configures the provider as a `provider "aws"` block would, with every
    /// service endpoint pointed at moto; `tweak` edits the block first.
    async fn with_config(tweak: impl FnOnce(&mut serde_json::Value)) -> Env {
        let moto = Moto::start();
        let ep = moto.endpoint();
        let mut cfg = json!({
            "region": "us-east-1",
            "access_key": "test",
            "secret_key": "test",
            "skip_credentials_validation": true,
            "endpoints": [{
                "s3": ep, "sqs": ep, "sns": ep, "ssm": ep, "logs": ep, "kms": ep,
                "secretsmanager": ep, "sts": ep, "ec2": ep, "resourcegroupstaggingapi": ep
            }]
        });
        tweak(&mut cfg);
        let client = AwsProvider::new()
            .configure(&v(cfg))
            .await
            .expect("configure the aws provider");
        Env { moto, client }
    }

    /// Plans (defaults, normalised JSON) and creates, as the engine does.
    async fn create(&self, ty: &str, addr: &str, cfg: serde_json::Value) -> Value {
        self.try_create(ty, addr, cfg)
            .await
            .unwrap_or_else(|e| panic!("create {addr}: {e}"))
    }

    async fn try_create(
        &self,
        ty: &str,
        addr: &str,
        cfg: serde_json::Value,
    ) -> Result<Value, terrane_provider::ProviderError> {
        let mut config = v(cfg);
        self.client.plan(ty, &mut config);
        self.client
            .create(&CreateRequest {
                type_name: ty.into(),
                owner: owner(addr),
                config,
                interrupted: false,
            })
            .await
    }

    async fn read(&self, ty: &str, id: &str, prior: &Value) -> Option<Value> {
        self.client
            .read(&ReadRequest {
                type_name: ty.into(),
                id: id.into(),
                prior: prior.clone(),
            })
            .await
            .unwrap_or_else(|e| panic!("read {ty} {id}: {e}"))
    }

    async fn update(&self, ty: &str, addr: &str, prior: &Value, cfg: serde_json::Value) -> Value {
        let mut config = v(cfg);
        self.client.plan(ty, &mut config);
        self.client
            .update(&UpdateRequest {
                type_name: ty.into(),
                owner: owner(addr),
                id: id_of(prior),
                prior: prior.clone(),
                config,
            })
            .await
            .unwrap_or_else(|e| panic!("update {addr}: {e}"))
    }

    /// Deletes, checks the read says gone, and deletes again (must succeed).
    async fn delete_twice(&self, ty: &str, state: &Value) {
        let req = DeleteRequest {
            type_name: ty.into(),
            id: id_of(state),
            prior: state.clone(),
        };
        self.client
            .delete(&req)
            .await
            .unwrap_or_else(|e| panic!("delete {ty}: {e}"));
        assert_eq!(
            self.read(ty, &req.id, state).await,
            None,
            "{ty} still there"
        );
        self.client
            .delete(&req)
            .await
            .unwrap_or_else(|e| panic!("second delete of {ty}: {e}"));
    }

    /// Runs the AWS CLI against moto (which passes the endpoint explicitly).
    fn aws(&self, args: &[&str]) -> String {
        self.moto.aws(args)
    }

    /// The AWS CLI's JSON answer.
    fn aws_json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["--output", "json"]);
        let out = self.aws(&a);
        if out.trim().is_empty() {
            return serde_json::Value::Null;
        }
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("aws {args:?}: {e}: {out}"))
    }

    async fn import(&self, ty: &str, id: &str) -> Value {
        self.client
            .import(ty, id)
            .await
            .unwrap_or_else(|e| panic!("import {ty} {id}: {e}"))
            .unwrap_or_else(|| panic!("import {ty} {id}: not found"))
    }

    async fn listed_ids(&self, ty: &str) -> Vec<(String, bool)> {
        self.client
            .list(ty)
            .await
            .unwrap_or_else(|e| panic!("list {ty}: {e}"))
            .into_iter()
            .map(|l| {
                let owned = l.owned_by_terrane();
                (l.id, owned)
            })
            .collect()
    }
}

fn id_of(state: &Value) -> String {
    state.get_str("id").expect("state has an id").to_string()
}

fn s<'a>(state: &'a Value, k: &str) -> &'a str {
    state
        .get_str(k)
        .unwrap_or_else(|| panic!("no string {k} in {state}"))
}

/// CLI tag list (`[{Key, Value}]`) as pairs.
fn cli_tags(j: &serde_json::Value, list_key: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = j[list_key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| {
                    (
                        t["Key"].as_str().unwrap_or_default().to_string(),
                        t["Value"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

#[tokio::test]
async fn aws_a_s3_bucket_and_settings_lifecycle() {
    let env = Env::new().await;
    let ty = "aws_s3_bucket";
    let b = env
        .create(
            ty,
            "aws_s3_bucket.logs",
            json!({"bucket": "logs-bucket", "tags": {"Env": "dev"}}),
        )
        .await;
    assert_eq!(s(&b, "id"), "logs-bucket");
    assert_eq!(s(&b, "arn"), "arn:aws:s3:::logs-bucket");
    assert_eq!(b.get("tags"), Some(&v(json!({"Env": "dev"}))));
    // The cloud holds the user's tags plus the ownership tags, which reads hide.
    let tags = cli_tags(
        &env.aws_json(&["s3api", "get-bucket-tagging", "--bucket", "logs-bucket"]),
        "TagSet",
    );
    assert_eq!(
        tags,
        vec![
            pair("Env", "dev"),
            pair("terrane:address", "aws_s3_bucket.logs"),
            pair("terrane:stack", STACK)
        ]
    );
    let read = env
        .read(ty, "logs-bucket", &b)
        .await
        .expect("bucket exists");
    assert_eq!(
        read, b,
        "a read right after create matches the create result"
    );

    // Update tags in place.
    let b2 = env
        .update(
            ty,
            "aws_s3_bucket.logs",
            &b,
            json!({"bucket": "logs-bucket", "tags": {"Env": "prod"}}),
        )
        .await;
    assert_eq!(b2.get("tags"), Some(&v(json!({"Env": "prod"}))));
    let read = env.read(ty, "logs-bucket", &b2).await.unwrap();
    assert_eq!(read.get("tags"), Some(&v(json!({"Env": "prod"}))));

    // A change behind terrane's back is seen.
    env.aws(&[
        "s3api",
        "put-bucket-tagging",
        "--bucket",
        "logs-bucket",
        "--tagging",
        "TagSet=[{Key=Env,Value=hacked},{Key=terrane:stack,Value=e2e},{Key=terrane:address,Value=aws_s3_bucket.logs}]",
    ]);
    let read = env.read(ty, "logs-bucket", &b2).await.unwrap();
    assert_eq!(read.get("tags"), Some(&v(json!({"Env": "hacked"}))));

    // Settings resources on the bucket.
    let ver = env
        .create(
            "aws_s3_bucket_versioning",
            "aws_s3_bucket_versioning.logs",
            json!({"bucket": "logs-bucket", "versioning_configuration": [{"status": "Enabled"}]}),
        )
        .await;
    let cli = env.aws_json(&["s3api", "get-bucket-versioning", "--bucket", "logs-bucket"]);
    assert_eq!(cli["Status"], "Enabled");
    let ver2 = env
        .update(
            "aws_s3_bucket_versioning",
            "aws_s3_bucket_versioning.logs",
            &ver,
            json!({"bucket": "logs-bucket", "versioning_configuration": [{"status": "Suspended"}]}),
        )
        .await;
    let cli = env.aws_json(&["s3api", "get-bucket-versioning", "--bucket", "logs-bucket"]);
    assert_eq!(cli["Status"], "Suspended");
    assert_eq!(
        ver2.get("versioning_configuration"),
        Some(&v(
            json!([{"status": "Suspended", "mfa_delete": "Disabled"}])
        ))
    );

    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::logs-bucket/*"}]}"#;
    let pol = env
        .create(
            "aws_s3_bucket_policy",
            "aws_s3_bucket_policy.logs",
            json!({"bucket": "logs-bucket", "policy": policy}),
        )
        .await;
    // The same policy reformatted and reordered reads equal.
    let reformatted = r#"{
        "Statement": [{ "Resource": ["arn:aws:s3:::logs-bucket/*"], "Action": "s3:GetObject",
                        "Principal": "*", "Effect": "Allow", "Sid": "Read" }],
        "Version": "2012-10-17"
    }"#;
    env.aws(&[
        "s3api",
        "put-bucket-policy",
        "--bucket",
        "logs-bucket",
        "--policy",
        reformatted,
    ]);
    let read = env
        .read("aws_s3_bucket_policy", "logs-bucket", &pol)
        .await
        .unwrap();
    assert_eq!(read.get("policy"), pol.get("policy"));
    env.delete_twice("aws_s3_bucket_policy", &pol).await;

    let pab = env
        .create(
            "aws_s3_bucket_public_access_block",
            "aws_s3_bucket_public_access_block.logs",
            json!({"bucket": "logs-bucket", "block_public_acls": true, "block_public_policy": true}),
        )
        .await;
    assert_eq!(pab.get("ignore_public_acls"), Some(&Value::Bool(false)));
    let cli = env.aws_json(&[
        "s3api",
        "get-public-access-block",
        "--bucket",
        "logs-bucket",
    ]);
    assert_eq!(
        cli["PublicAccessBlockConfiguration"]["BlockPublicAcls"],
        true
    );
    assert_eq!(
        cli["PublicAccessBlockConfiguration"]["IgnorePublicAcls"],
        false
    );
    let pab2 = env
        .update(
            "aws_s3_bucket_public_access_block",
            "aws_s3_bucket_public_access_block.logs",
            &pab,
            json!({"bucket": "logs-bucket", "block_public_acls": true, "block_public_policy": true,
                   "ignore_public_acls": true, "restrict_public_buckets": true}),
        )
        .await;
    assert_eq!(
        pab2.get("restrict_public_buckets"),
        Some(&Value::Bool(true))
    );
    env.delete_twice("aws_s3_bucket_public_access_block", &pab2)
        .await;

    let sse = env
        .create(
            "aws_s3_bucket_server_side_encryption_configuration",
            "aws_s3_bucket_server_side_encryption_configuration.logs",
            json!({"bucket": "logs-bucket", "rule": [{
                "apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms", "kms_master_key_id": "alias/logs"}],
                "bucket_key_enabled": true
            }]}),
        )
        .await;
    let cli = env.aws_json(&["s3api", "get-bucket-encryption", "--bucket", "logs-bucket"]);
    let rule = &cli["ServerSideEncryptionConfiguration"]["Rules"][0];
    assert_eq!(
        rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"],
        "aws:kms"
    );
    let sse2 = env
        .update(
            "aws_s3_bucket_server_side_encryption_configuration",
            "aws_s3_bucket_server_side_encryption_configuration.logs",
            &sse,
            json!({"bucket": "logs-bucket", "rule": [{
                "apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]
            }]}),
        )
        .await;
    assert_eq!(
        sse2.get("rule"),
        Some(&v(json!([{
            "bucket_key_enabled": false,
            "apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256", "kms_master_key_id": null}]
        }])))
    );
    env.delete_twice("aws_s3_bucket_server_side_encryption_configuration", &sse2)
        .await;

    // Import by name, list with ownership, and a bucket with objects needs force_destroy.
    let imported = env.import(ty, "logs-bucket").await;
    assert_eq!(imported.get("arn"), b.get("arn"));
    assert!(env
        .listed_ids(ty)
        .await
        .contains(&("logs-bucket".to_string(), true)));
    env.aws(&[
        "s3api",
        "put-object",
        "--bucket",
        "logs-bucket",
        "--key",
        "a.txt",
    ]);
    let err = env
        .client
        .delete(&DeleteRequest {
            type_name: ty.into(),
            id: "logs-bucket".into(),
            prior: b2.clone(),
        })
        .await
        .expect_err("a bucket with objects is not deleted without force_destroy");
    assert!(err.message.contains("force_destroy"), "{err}");
    let mut forced = b2.clone();
    forced
        .as_map_mut()
        .unwrap()
        .insert("force_destroy".into(), Value::Bool(true));
    env.delete_twice(ty, &forced).await;
    let listed = env.aws_json(&["s3api", "list-buckets"]);
    assert_eq!(listed["Buckets"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn aws_a_bucket_prefix_generates_a_name() {
    let env = Env::new().await;
    let b = env
        .create(
            "aws_s3_bucket",
            "aws_s3_bucket.gen",
            json!({"bucket_prefix": "gen-"}),
        )
        .await;
    assert!(s(&b, "bucket").starts_with("gen-"), "{b}");
    assert_eq!(b.get("bucket_prefix"), Some(&Value::string("gen-")));
    // A retried create (crash before the state was stored) adopts the same bucket.
    let again = env
        .create(
            "aws_s3_bucket",
            "aws_s3_bucket.gen",
            json!({"bucket_prefix": "gen-"}),
        )
        .await;
    assert_eq!(s(&again, "bucket"), s(&b, "bucket"));
    let listed = env.aws_json(&["s3api", "list-buckets"]);
    assert_eq!(listed["Buckets"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn aws_a_sqs_queue_lifecycle() {
    let env = Env::new().await;
    let ty = "aws_sqs_queue";
    // Shaped like the aws_sqs_queue documentation's first example (dead-letter queue and
    // redrive policy written with jsonencode).
    let dlq = env
        .create(ty, "aws_sqs_queue.dlq", json!({"name": "orders-dlq"}))
        .await;
    let redrive = format!(
        r#"{{"deadLetterTargetArn":"{}","maxReceiveCount":4}}"#,
        s(&dlq, "arn")
    );
    let q = env
        .create(
            ty,
            "aws_sqs_queue.orders",
            json!({
                "name": "orders",
                "delay_seconds": 90,
                "max_message_size": 2048,
                "message_retention_seconds": 86400,
                "receive_wait_time_seconds": 10,
                "redrive_policy": redrive,
                "tags": {"Environment": "production"}
            }),
        )
        .await;
    assert!(s(&q, "id").ends_with("/orders"), "{q}");
    assert_eq!(q.get("url"), q.get("id"));
    assert_eq!(q.get("delay_seconds"), Some(&Value::Number(90.0)));
    assert_eq!(
        q.get("visibility_timeout_seconds"),
        Some(&Value::Number(30.0))
    );
    let url = s(&q, "id").to_string();
    let cli = env.aws_json(&[
        "sqs",
        "get-queue-attributes",
        "--queue-url",
        &url,
        "--attribute-names",
        "All",
    ]);
    assert_eq!(cli["Attributes"]["DelaySeconds"], "90");
    assert_eq!(cli["Attributes"]["MaximumMessageSize"], "2048");
    let redrive_cli: serde_json::Value =
        serde_json::from_str(cli["Attributes"]["RedrivePolicy"].as_str().unwrap()).unwrap();
    assert_eq!(redrive_cli["deadLetterTargetArn"], s(&dlq, "arn"));
    let tags = env.aws_json(&["sqs", "list-queue-tags", "--queue-url", &url]);
    assert_eq!(tags["Tags"]["terrane:address"], "aws_sqs_queue.orders");
    assert_eq!(tags["Tags"]["Environment"], "production");

    // In-place update.
    let q2 = env
        .update(
            ty,
            "aws_sqs_queue.orders",
            &q,
            json!({"name": "orders", "delay_seconds": 90, "max_message_size": 2048,
                   "message_retention_seconds": 86400, "receive_wait_time_seconds": 10,
                   "visibility_timeout_seconds": 120, "redrive_policy": redrive,
                   "tags": {"Environment": "staging"}}),
        )
        .await;
    assert_eq!(
        q2.get("visibility_timeout_seconds"),
        Some(&Value::Number(120.0))
    );
    let cli = env.aws_json(&[
        "sqs",
        "get-queue-attributes",
        "--queue-url",
        &url,
        "--attribute-names",
        "VisibilityTimeout",
    ]);
    assert_eq!(cli["Attributes"]["VisibilityTimeout"], "120");
    assert_eq!(q2.get("tags"), Some(&v(json!({"Environment": "staging"}))));

    // Drift made with the CLI is seen by read.
    env.aws(&[
        "sqs",
        "set-queue-attributes",
        "--queue-url",
        &url,
        "--attributes",
        "DelaySeconds=5",
    ]);
    let read = env.read(ty, &url, &q2).await.unwrap();
    assert_eq!(read.get("delay_seconds"), Some(&Value::Number(5.0)));
    assert_eq!(read.get("redrive_policy"), q2.get("redrive_policy"));

    // Queue policy as its own resource; a reformatted policy reads equal.
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "First", "Effect": "Allow", "Principal": "*",
                       "Action": "sqs:SendMessage", "Resource": s(&q, "arn")}]
    });
    let qp = env
        .create(
            "aws_sqs_queue_policy",
            "aws_sqs_queue_policy.orders",
            json!({"queue_url": url, "policy": policy.to_string()}),
        )
        .await;
    let pretty = serde_json::to_string_pretty(&json!({
        "Statement": [{"Resource": [s(&q, "arn")], "Action": ["sqs:SendMessage"],
                       "Principal": "*", "Effect": "Allow", "Sid": "First"}],
        "Version": "2012-10-17"
    }))
    .unwrap();
    let attr = json!({"Policy": pretty}).to_string();
    env.aws(&[
        "sqs",
        "set-queue-attributes",
        "--queue-url",
        &url,
        "--attributes",
        &attr,
    ]);
    let read = env.read("aws_sqs_queue_policy", &url, &qp).await.unwrap();
    assert_eq!(read.get("policy"), qp.get("policy"));
    env.delete_twice("aws_sqs_queue_policy", &qp).await;

    // FIFO queue: name must match the flag.
    let err = env
        .try_create(
            ty,
            "aws_sqs_queue.bad",
            json!({"name": "bad", "fifo_queue": true}),
        )
        .await
        .expect_err("a FIFO queue without .fifo is refused");
    assert_eq!(err.kind, ErrorKind::Invalid);
    let fifo = env
        .create(
            ty,
            "aws_sqs_queue.fifo",
            json!({"name": "jobs.fifo", "fifo_queue": true, "content_based_deduplication": true}),
        )
        .await;
    assert_eq!(fifo.get("fifo_queue"), Some(&Value::Bool(true)));
    assert_eq!(
        fifo.get("content_based_deduplication"),
        Some(&Value::Bool(true))
    );

    // Import by URL and list.
    let imported = env.import(ty, &url).await;
    assert_eq!(imported.get("arn"), q.get("arn"));
    let listed = env.listed_ids(ty).await;
    assert!(listed.contains(&(url.clone(), true)), "{listed:?}");
    for st in [&q2, &fifo, &dlq] {
        env.delete_twice(ty, st).await;
    }
    let left = env.aws_json(&["sqs", "list-queues"]);
    assert!(left
        .get("QueueUrls")
        .is_none_or(|u| u.as_array().is_some_and(Vec::is_empty)));
}

#[tokio::test]
async fn aws_a_sns_topic_and_subscription() {
    let env = Env::new().await;
    let q = env
        .create(
            "aws_sqs_queue",
            "aws_sqs_queue.sub",
            json!({"name": "user-updates-queue"}),
        )
        .await;
    // Shaped like the aws_sns_topic documentation's basic example.
    let t = env
        .create(
            "aws_sns_topic",
            "aws_sns_topic.user_updates",
            json!({"name": "user-updates-topic", "tags": {"team": "a"}}),
        )
        .await;
    assert!(s(&t, "arn").ends_with(":user-updates-topic"));
    let arn = s(&t, "arn").to_string();
    let cli = env.aws_json(&["sns", "list-tags-for-resource", "--resource-arn", &arn]);
    assert!(cli_tags(&cli, "Tags").contains(&pair("terrane:stack", STACK)));
    let t2 = env
        .update(
            "aws_sns_topic",
            "aws_sns_topic.user_updates",
            &t,
            json!({"name": "user-updates-topic", "display_name": "Updates", "tags": {"team": "b"}}),
        )
        .await;
    assert_eq!(t2.get("display_name"), Some(&Value::string("Updates")));
    let cli = env.aws_json(&["sns", "get-topic-attributes", "--topic-arn", &arn]);
    assert_eq!(cli["Attributes"]["DisplayName"], "Updates");
    env.aws(&[
        "sns",
        "set-topic-attributes",
        "--topic-arn",
        &arn,
        "--attribute-name",
        "DisplayName",
        "--attribute-value",
        "Changed",
    ]);
    let read = env.read("aws_sns_topic", &arn, &t2).await.unwrap();
    assert_eq!(read.get("display_name"), Some(&Value::string("Changed")));
    assert_eq!(read.get("tags"), Some(&v(json!({"team": "b"}))));

    // Shaped like the aws_sns_topic_subscription documentation's SQS example.
    let sub = env
        .create(
            "aws_sns_topic_subscription",
            "aws_sns_topic_subscription.user_updates_sqs_target",
            json!({"topic_arn": arn, "protocol": "sqs", "endpoint": s(&q, "arn")}),
        )
        .await;
    assert_eq!(sub.get("raw_message_delivery"), Some(&Value::Bool(false)));
    let sub2 = env
        .update(
            "aws_sns_topic_subscription",
            "aws_sns_topic_subscription.user_updates_sqs_target",
            &sub,
            json!({"topic_arn": arn, "protocol": "sqs", "endpoint": s(&q, "arn"),
                   "raw_message_delivery": true,
                   "filter_policy": r#"{"event": ["created"]}"#}),
        )
        .await;
    let sub_arn = s(&sub2, "arn").to_string();
    let cli = env.aws_json(&[
        "sns",
        "get-subscription-attributes",
        "--subscription-arn",
        &sub_arn,
    ]);
    assert_eq!(cli["Attributes"]["RawMessageDelivery"], "true");
    assert_eq!(
        sub2.get("filter_policy"),
        Some(&Value::string(r#"{"event":["created"]}"#)),
        "a filter policy keeps its one-element list (it is not an IAM policy)"
    );
    // Subscribing again is the same subscription.
    let again = env
        .create(
            "aws_sns_topic_subscription",
            "aws_sns_topic_subscription.user_updates_sqs_target",
            json!({"topic_arn": arn, "protocol": "sqs", "endpoint": s(&q, "arn"), "raw_message_delivery": true}),
        )
        .await;
    assert_eq!(s(&again, "arn"), sub_arn);
    assert_eq!(
        env.import("aws_sns_topic_subscription", &sub_arn)
            .await
            .get("protocol"),
        Some(&Value::string("sqs"))
    );
    assert!(env
        .listed_ids("aws_sns_topic_subscription")
        .await
        .contains(&(sub_arn.clone(), false)));
    env.delete_twice("aws_sns_topic_subscription", &sub2).await;
    assert_eq!(
        env.import("aws_sns_topic", &arn).await.get("arn"),
        t.get("arn")
    );
    assert!(env
        .listed_ids("aws_sns_topic")
        .await
        .contains(&(arn.clone(), true)));
    env.delete_twice("aws_sns_topic", &t2).await;
}

#[tokio::test]
async fn aws_a_ssm_parameter_lifecycle() {
    let env = Env::new().await;
    let ty = "aws_ssm_parameter";
    // Shaped like the aws_ssm_parameter documentation's basic example.
    let p = env
        .create(
            ty,
            "aws_ssm_parameter.foo",
            json!({"name": "foo", "type": "String", "value": "bar"}),
        )
        .await;
    assert_eq!(p.get("value"), Some(&Value::string("bar")));
    assert_eq!(p.get("tier"), Some(&Value::string("Standard")));
    assert_eq!(p.get("version"), Some(&Value::Number(1.0)));
    let cli = env.aws_json(&["ssm", "get-parameter", "--name", "foo"]);
    assert_eq!(cli["Parameter"]["Value"], "bar");
    let p2 = env
        .update(
            ty,
            "aws_ssm_parameter.foo",
            &p,
            json!({"name": "foo", "type": "String", "value": "baz", "description": "d"}),
        )
        .await;
    assert_eq!(p2.get("value"), Some(&Value::string("baz")));
    assert_eq!(p2.get("description"), Some(&Value::string("d")));
    env.aws(&[
        "ssm",
        "put-parameter",
        "--name",
        "foo",
        "--value",
        "qux",
        "--type",
        "String",
        "--overwrite",
    ]);
    let read = env.read(ty, "foo", &p2).await.unwrap();
    assert_eq!(read.get("value"), Some(&Value::string("qux")));
    // The value is sensitive in the schema, so it is masked everywhere it is shown.
    let schema = AwsProvider::new()
        .schemas()
        .into_iter()
        .find(|s| s.type_name == ty)
        .unwrap();
    assert!(schema.is_sensitive("value"));

    let secret = env
        .create(
            ty,
            "aws_ssm_parameter.secret",
            json!({"name": "/app/db/password", "type": "SecureString", "value": "s3cr3t",
                   "tags": {"env": "test"}}),
        )
        .await;
    assert_eq!(secret.get("value"), Some(&Value::string("s3cr3t")));
    assert_eq!(secret.get("tags"), Some(&v(json!({"env": "test"}))));
    assert_eq!(
        env.import(ty, "/app/db/password").await.get("type"),
        Some(&Value::string("SecureString"))
    );
    let listed = env.listed_ids(ty).await;
    assert!(listed.contains(&("/app/db/password".to_string(), true)));
    env.delete_twice(ty, &secret).await;
    env.delete_twice(ty, &p2).await;
}

#[tokio::test]
async fn aws_a_log_group_lifecycle() {
    let env = Env::new().await;
    let ty = "aws_cloudwatch_log_group";
    // Shaped like the aws_cloudwatch_log_group documentation's example.
    let g = env
        .create(
            ty,
            "aws_cloudwatch_log_group.yada",
            json!({"name": "Yada", "tags": {"Environment": "production", "Application": "serviceA"}}),
        )
        .await;
    assert_eq!(g.get("retention_in_days"), Some(&Value::Number(0.0)));
    assert!(s(&g, "arn").ends_with(":log-group:Yada"), "{g}");
    let g2 = env
        .update(
            ty,
            "aws_cloudwatch_log_group.yada",
            &g,
            json!({"name": "Yada", "retention_in_days": 14, "tags": {"Environment": "production"}}),
        )
        .await;
    assert_eq!(g2.get("retention_in_days"), Some(&Value::Number(14.0)));
    assert_eq!(
        g2.get("tags"),
        Some(&v(json!({"Environment": "production"})))
    );
    let cli = env.aws_json(&[
        "logs",
        "describe-log-groups",
        "--log-group-name-prefix",
        "Yada",
    ]);
    assert_eq!(cli["logGroups"][0]["retentionInDays"], 14);
    env.aws(&[
        "logs",
        "put-retention-policy",
        "--log-group-name",
        "Yada",
        "--retention-in-days",
        "30",
    ]);
    let read = env.read(ty, "Yada", &g2).await.unwrap();
    assert_eq!(read.get("retention_in_days"), Some(&Value::Number(30.0)));
    assert_eq!(env.import(ty, "Yada").await.get("arn"), g.get("arn"));
    assert!(env
        .listed_ids(ty)
        .await
        .contains(&("Yada".to_string(), true)));
    env.delete_twice(ty, &g2).await;
}

#[tokio::test]
async fn aws_a_kms_key_and_alias_lifecycle() {
    let env = Env::new().await;
    // Shaped like the aws_kms_key documentation's example.
    let k = env
        .create(
            "aws_kms_key",
            "aws_kms_key.a",
            json!({"description": "KMS key 1", "deletion_window_in_days": 10}),
        )
        .await;
    let key_id = s(&k, "key_id").to_string();
    assert_eq!(k.get("is_enabled"), Some(&Value::Bool(true)));
    assert_eq!(k.get("key_usage"), Some(&Value::string("ENCRYPT_DECRYPT")));
    assert!(
        k.get("policy").is_some_and(|p| !p.is_null()),
        "default key policy read"
    );
    let k2 = env
        .update(
            "aws_kms_key",
            "aws_kms_key.a",
            &k,
            json!({"description": "KMS key 2", "deletion_window_in_days": 10,
                   "enable_key_rotation": true, "tags": {"Name": "a"}}),
        )
        .await;
    assert_eq!(k2.get("enable_key_rotation"), Some(&Value::Bool(true)));
    let cli = env.aws_json(&["kms", "describe-key", "--key-id", &key_id]);
    assert_eq!(cli["KeyMetadata"]["Description"], "KMS key 2");
    let cli = env.aws_json(&["kms", "get-key-rotation-status", "--key-id", &key_id]);
    assert_eq!(cli["KeyRotationEnabled"], true);
    env.aws(&["kms", "disable-key", "--key-id", &key_id]);
    let read = env.read("aws_kms_key", &key_id, &k2).await.unwrap();
    assert_eq!(read.get("is_enabled"), Some(&Value::Bool(false)));

    // Shaped like the aws_kms_alias documentation's example.
    let a = env
        .create(
            "aws_kms_alias",
            "aws_kms_alias.a",
            json!({"name": "alias/my-key-alias", "target_key_id": key_id}),
        )
        .await;
    assert_eq!(a.get("target_key_arn"), k.get("arn"));
    let k_b = env
        .create(
            "aws_kms_key",
            "aws_kms_key.b",
            json!({"description": "second"}),
        )
        .await;
    let a2 = env
        .update(
            "aws_kms_alias",
            "aws_kms_alias.a",
            &a,
            json!({"name": "alias/my-key-alias", "target_key_id": s(&k_b, "arn")}),
        )
        .await;
    // Named by ARN in the configuration: the state keeps that form.
    assert_eq!(a2.get("target_key_id"), k_b.get("arn"));
    let cli = env.aws_json(&["kms", "list-aliases", "--key-id", s(&k_b, "key_id")]);
    assert_eq!(cli["Aliases"][0]["AliasName"], "alias/my-key-alias");
    assert!(env
        .listed_ids("aws_kms_alias")
        .await
        .contains(&("alias/my-key-alias".to_string(), false)));
    env.delete_twice("aws_kms_alias", &a2).await;

    assert_eq!(
        env.import("aws_kms_key", &key_id).await.get("arn"),
        k.get("arn")
    );
    assert!(env
        .listed_ids("aws_kms_key")
        .await
        .contains(&(key_id.clone(), true)));
    env.delete_twice("aws_kms_key", &k2).await;
    let cli = env.aws_json(&["kms", "describe-key", "--key-id", &key_id]);
    assert_eq!(cli["KeyMetadata"]["KeyState"], "PendingDeletion");
    env.delete_twice("aws_kms_key", &k_b).await;
}

#[tokio::test]
async fn aws_a_secretsmanager_secret_lifecycle() {
    let env = Env::new().await;
    let ty = "aws_secretsmanager_secret";
    // Shaped like the aws_secretsmanager_secret documentation's basic example.
    let sec = env
        .create(
            ty,
            "aws_secretsmanager_secret.example",
            json!({"name": "example"}),
        )
        .await;
    let arn = s(&sec, "arn").to_string();
    assert_eq!(
        sec.get("recovery_window_in_days"),
        Some(&Value::Number(30.0))
    );
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "EnableAnotherAWSAccountToReadTheSecret",
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]});
    let sec2 = env
        .update(
            ty,
            "aws_secretsmanager_secret.example",
            &sec,
            json!({"name": "example", "description": "db creds", "policy": policy.to_string(),
                   "tags": {"k": "v"}}),
        )
        .await;
    assert_eq!(sec2.get("description"), Some(&Value::string("db creds")));
    assert!(sec2.get("policy").is_some_and(|p| !p.is_null()));
    let cli = env.aws_json(&["secretsmanager", "describe-secret", "--secret-id", &arn]);
    assert_eq!(cli["Description"], "db creds");
    assert!(cli_tags(&cli, "Tags").contains(&pair(
        "terrane:address",
        "aws_secretsmanager_secret.example"
    )));
    env.aws(&[
        "secretsmanager",
        "update-secret",
        "--secret-id",
        &arn,
        "--description",
        "edited",
    ]);
    let read = env.read(ty, &arn, &sec2).await.unwrap();
    assert_eq!(read.get("description"), Some(&Value::string("edited")));
    assert_eq!(read.get("policy"), sec2.get("policy"));
    assert_eq!(
        env.import(ty, &arn).await.get("name"),
        Some(&Value::string("example"))
    );
    assert!(env.listed_ids(ty).await.contains(&(arn.clone(), true)));
    env.delete_twice(ty, &sec2).await;
}

/// A create retried after a crash (the first attempt reached the cloud, its result never
/// reached the store) adopts the resource; a resource with the same name that terrane did
/// not make for this address is refused.
#[tokio::test]
async fn aws_a_create_after_crash_adopts() {
    let env = Env::new().await;
    let cases: Vec<(&str, &str, serde_json::Value)> = vec![
        (
            "aws_s3_bucket",
            "aws_s3_bucket.x",
            json!({"bucket": "adopt-me"}),
        ),
        (
            "aws_sqs_queue",
            "aws_sqs_queue.x",
            json!({"name": "adopt-me"}),
        ),
        (
            "aws_sns_topic",
            "aws_sns_topic.x",
            json!({"name": "adopt-me"}),
        ),
        (
            "aws_ssm_parameter",
            "aws_ssm_parameter.x",
            json!({"name": "adopt-me", "type": "String", "value": "1"}),
        ),
        (
            "aws_cloudwatch_log_group",
            "aws_cloudwatch_log_group.x",
            json!({"name": "adopt-me"}),
        ),
        (
            "aws_kms_key",
            "aws_kms_key.x",
            json!({"description": "adopt-me"}),
        ),
        (
            "aws_secretsmanager_secret",
            "aws_secretsmanager_secret.x",
            json!({"name": "adopt-me"}),
        ),
        (
            "aws_sqs_queue",
            "aws_sqs_queue.gen",
            json!({"name_prefix": "gen-"}),
        ),
    ];
    for (ty, addr, cfg) in cases {
        let first = env.create(ty, addr, cfg.clone()).await;
        let second = env.create(ty, addr, cfg.clone()).await;
        assert_eq!(id_of(&first), id_of(&second), "{ty}: the retry adopted");
        let listed = env.client.list(ty).await.unwrap();
        let mine: Vec<_> = listed
            .iter()
            .filter(|l| l.tags.get("terrane:address").map(String::as_str) == Some(addr))
            .collect();
        assert_eq!(mine.len(), 1, "{ty}: one resource, not two: {listed:?}");
        if ty != "aws_kms_key" && addr.ends_with(".x") {
            let err = env
                .try_create(ty, &format!("{ty}.other"), cfg)
                .await
                .expect_err("another address may not take the name");
            assert!(err.message.contains("already exists"), "{ty}: {err}");
        }
    }
    // A queue made outside terrane is not adopted either.
    env.aws(&["sqs", "create-queue", "--queue-name", "foreign"]);
    let err = env
        .try_create(
            "aws_sqs_queue",
            "aws_sqs_queue.f",
            json!({"name": "foreign"}),
        )
        .await
        .expect_err("an unowned queue is refused");
    assert!(err.message.contains("not managed by this stack"), "{err}");
}

/// Refreshing many resources is batched: the figure printed here is the call count for 100
/// resources across five types (20 each).
#[tokio::test]
async fn aws_a_batched_refresh_call_count() {
    let env = Env::new().await;
    let mut reqs = Vec::new();
    for i in 0..20 {
        let made = [
            (
                "aws_s3_bucket",
                env.create(
                    "aws_s3_bucket",
                    &format!("aws_s3_bucket.b{i}"),
                    json!({"bucket": format!("bucket-{i}")}),
                )
                .await,
            ),
            (
                "aws_sqs_queue",
                env.create(
                    "aws_sqs_queue",
                    &format!("aws_sqs_queue.q{i}"),
                    json!({"name": format!("queue-{i}")}),
                )
                .await,
            ),
            (
                "aws_ssm_parameter",
                env.create(
                    "aws_ssm_parameter",
                    &format!("aws_ssm_parameter.p{i}"),
                    json!({"name": format!("param-{i}"), "type": "String", "value": "v"}),
                )
                .await,
            ),
            (
                "aws_cloudwatch_log_group",
                env.create(
                    "aws_cloudwatch_log_group",
                    &format!("aws_cloudwatch_log_group.g{i}"),
                    json!({"name": format!("group-{i}")}),
                )
                .await,
            ),
            (
                "aws_secretsmanager_secret",
                env.create(
                    "aws_secretsmanager_secret",
                    &format!("aws_secretsmanager_secret.s{i}"),
                    json!({"name": format!("secret-{i}")}),
                )
                .await,
            ),
        ];
        for (ty, state) in made {
            reqs.push(ReadRequest {
                type_name: ty.into(),
                id: id_of(&state),
                prior: state,
            });
        }
    }
    // One resource of each type is deleted behind terrane's back: batching must still say so.
    env.aws(&["s3api", "delete-bucket", "--bucket", "bucket-3"]);
    env.aws(&["ssm", "delete-parameter", "--name", "param-3"]);

    let before = env.client.stats().calls;
    let results = env.client.read_batch(&reqs).await;
    let batched = env.client.stats().calls - before;
    assert_eq!(results.len(), 100);
    for (req, res) in reqs.iter().zip(&results) {
        let got = res.as_ref().unwrap_or_else(|e| panic!("{}: {e}", req.id));
        if req.id == "bucket-3" || req.id == "param-3" {
            assert!(got.is_none(), "{} was deleted", req.id);
        } else {
            assert_eq!(
                got.as_ref(),
                Some(&req.prior),
                "{} reads as created",
                req.id
            );
        }
    }

    let before = env.client.stats().calls;
    for r in &reqs {
        env.client.read(r).await.unwrap();
    }
    let one_by_one = env.client.stats().calls - before;
    let per_type = |ty: &str| {
        reqs.iter()
            .filter(|r| r.type_name == ty)
            .cloned()
            .collect::<Vec<_>>()
    };
    let mut figures = Vec::new();
    for ty in [
        "aws_s3_bucket",
        "aws_sqs_queue",
        "aws_ssm_parameter",
        "aws_cloudwatch_log_group",
        "aws_secretsmanager_secret",
    ] {
        let before = env.client.stats().calls;
        env.client.read_batch(&per_type(ty)).await;
        figures.push(format!("{ty}={}", env.client.stats().calls - before));
    }
    println!(
        "refresh of 100 resources: {batched} API calls batched, {one_by_one} one by one; per 20 of a type: {}",
        figures.join(", ")
    );
    assert!(
        batched < 100,
        "batched refresh made {batched} calls for 100 resources"
    );
    assert!(batched * 3 < one_by_one, "{batched} vs {one_by_one}");
}

#[tokio::test]
async fn aws_a_data_sources() {
    let env = Env::new().await;
    let id = env
        .client
        .read_data("aws_caller_identity", &Value::Null)
        .await
        .unwrap();
    let cli = env.aws_json(&["sts", "get-caller-identity"]);
    assert_eq!(id.get_str("account_id"), cli["Account"].as_str());
    assert_eq!(id.get_str("arn"), cli["Arn"].as_str());
    let region = env
        .client
        .read_data("aws_region", &Value::Null)
        .await
        .unwrap();
    assert_eq!(region.get_str("name"), Some("us-east-1"));
    assert_eq!(
        region.get_str("endpoint"),
        Some("ec2.us-east-1.amazonaws.com")
    );
    let azs = env
        .client
        .read_data("aws_availability_zones", &v(json!({"state": "available"})))
        .await
        .unwrap();
    let names: Vec<&str> = azs
        .get("names")
        .and_then(Value::as_list)
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(names.contains(&"us-east-1a"), "{names:?}");
    let excluded = env
        .client
        .read_data(
            "aws_availability_zones",
            &v(json!({"exclude_names": ["us-east-1a"]})),
        )
        .await
        .unwrap();
    let names2 = excluded.get("names").and_then(Value::as_list).unwrap();
    assert_eq!(names2.len() + 1, names.len());
}

/// `default_tags` end up in the cloud and in `tags_all`, not in `tags`.
#[tokio::test]
async fn aws_a_default_tags() {
    let env = Env::with_config(|c| {
        c["default_tags"] = json!([{"tags": {"Team": "platform"}}]);
    })
    .await;
    let mut cfg = v(json!({"name": "tagged", "tags": {"App": "x"}}));
    env.client.plan("aws_sqs_queue", &mut cfg);
    assert_eq!(
        cfg.get("tags_all"),
        Some(&v(json!({"App": "x", "Team": "platform"})))
    );
    let q = env
        .create(
            "aws_sqs_queue",
            "aws_sqs_queue.t",
            json!({"name": "tagged", "tags": {"App": "x"}}),
        )
        .await;
    assert_eq!(q.get("tags"), Some(&v(json!({"App": "x"}))));
    assert_eq!(
        q.get("tags_all"),
        Some(&v(json!({"App": "x", "Team": "platform"})))
    );
    let tags = env.aws_json(&["sqs", "list-queue-tags", "--queue-url", s(&q, "url")]);
    assert_eq!(tags["Tags"]["Team"], "platform");
}
