//! Configs shaped like the Terraform AWS provider documentation's Example Usage sections
//! (`tests/fixtures/docs/*.tf`, each naming the pages it follows), through the real binary
//! against moto. Users paste those examples unchanged, so for each file: the plan creates
//! exactly the expected resources, apply succeeds, the AWS CLI sees the documented settings, a
//! second plan has no changes (normalisation, defaults and computed values all line up), and
//! destroy leaves none of them behind. Where a page documents an import id form that differs
//! from the resource's own id, or an exclusive-management form (`= []`, an empty block), the
//! test also imports by it or changes the cloud behind terrane's back and expects a change.

use super::moto::Moto;
use super::stack::{json, Stack};
use std::collections::BTreeMap;

/// AWS CLI JSON output, parsed.
fn aws(moto: &Moto, args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.extend(["--output", "json"]);
    let out = moto.aws(&a);
    if out.trim().is_empty() {
        return serde_json::Value::Null;
    }
    json(&out)
}

/// Strings at `key` of each element of the JSON list `list`.
fn strings(list: &serde_json::Value, key: &str) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x[key].as_str().map(str::to_string))
        .collect()
}

/// A JSON list of strings.
fn str_items(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// Key/value tag lists (`[{Key, Value}]`) as a map.
fn tag_list(list: &serde_json::Value) -> BTreeMap<String, String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["Key"].as_str().unwrap_or_default().to_string(),
                t["Value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// A JSON document held in a string attribute, parsed.
fn doc(v: &serde_json::Value) -> serde_json::Value {
    json(
        v.as_str()
            .unwrap_or_else(|| panic!("not a JSON string: {v}")),
    )
}

/// Plan (only creates, of exactly `expected`), apply, `check` the cloud (and outputs), plan again with no
/// changes, destroy, and `gone` checks the cloud is empty of them.
fn doc_example(tf: &str, expected: &[&str], check: impl Fn(&Stack), gone: impl Fn(&Moto)) {
    let moto = Moto::start();
    let s = Stack::new(&moto, tf);

    let planned: BTreeMap<String, String> = s
        .plan_actions()
        .into_iter()
        .filter(|(addr, _)| !addr.starts_with("data."))
        .collect();
    let want: BTreeMap<String, String> = expected
        .iter()
        .map(|a| (a.to_string(), "create".to_string()))
        .collect();
    assert_eq!(planned, want, "first plan");

    s.apply();
    check(&s);
    s.assert_no_changes();

    s.destroy();
    assert!(s.addresses().is_empty(), "store still holds resources");
    gone(&moto);
}

#[test]
fn doc_dynamodb_table() {
    doc_example(
        include_str!("../fixtures/docs/dynamodb_table.tf"),
        &["aws_dynamodb_table.scores", "aws_dynamodb_table.global"],
        |s| {
            let moto = s.moto;
            let t = &aws(
                moto,
                &[
                    "dynamodb",
                    "describe-table",
                    "--table-name",
                    "DocGameScores",
                ],
            )["Table"];
            assert_eq!(
                strings(&t["KeySchema"], "AttributeName"),
                ["UserId", "GameTitle"]
            );
            assert_eq!(t["ProvisionedThroughput"]["ReadCapacityUnits"], 20);
            assert_eq!(t["ProvisionedThroughput"]["WriteCapacityUnits"], 20);
            let gsi = &t["GlobalSecondaryIndexes"][0];
            assert_eq!(gsi["IndexName"], "GameTitleIndex");
            assert_eq!(
                strings(&gsi["KeySchema"], "AttributeName"),
                ["GameTitle", "TopScore"]
            );
            assert_eq!(gsi["Projection"]["ProjectionType"], "INCLUDE");
            assert_eq!(gsi["Projection"]["NonKeyAttributes"][0], "UserId");
            assert_eq!(gsi["ProvisionedThroughput"]["ReadCapacityUnits"], 10);
            let ttl = &aws(
                moto,
                &[
                    "dynamodb",
                    "describe-time-to-live",
                    "--table-name",
                    "DocGameScores",
                ],
            )["TimeToLiveDescription"];
            assert_eq!(ttl["TimeToLiveStatus"], "ENABLED");
            assert_eq!(ttl["AttributeName"], "TimeToExist");
            let arn = t["TableArn"].as_str().unwrap();
            let tags = tag_list(
                &aws(
                    moto,
                    &["dynamodb", "list-tags-of-resource", "--resource-arn", arn],
                )["Tags"],
            );
            assert_eq!(tags["Name"], "dynamodb-table-1");
            assert_eq!(tags["Environment"], "production");

            let g = &aws(
                moto,
                &[
                    "dynamodb",
                    "describe-table",
                    "--table-name",
                    "DocGlobalTable",
                ],
            )["Table"];
            assert_eq!(
                g["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST",
                "{g}"
            );
            assert_eq!(g["StreamSpecification"]["StreamEnabled"], true, "{g}");
            assert_eq!(
                g["StreamSpecification"]["StreamViewType"],
                "NEW_AND_OLD_IMAGES"
            );
            assert_eq!(g["SSEDescription"]["Status"], "ENABLED", "{g}");
            let backups = aws(
                moto,
                &[
                    "dynamodb",
                    "describe-continuous-backups",
                    "--table-name",
                    "DocGlobalTable",
                ],
            );
            assert_eq!(
                backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
                    ["PointInTimeRecoveryStatus"],
                "ENABLED",
                "{backups}"
            );
        },
        |moto| {
            let tables = aws(moto, &["dynamodb", "list-tables"]);
            assert!(
                !tables.to_string().contains("DocGameScores")
                    && !tables.to_string().contains("DocGlobalTable"),
                "table left: {tables}"
            );
        },
    );
}

fn queue_attrs(moto: &Moto, name: &str) -> serde_json::Value {
    let url = format!("{}/123456789012/{name}", moto.endpoint());
    aws(
        moto,
        &[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &url,
            "--attribute-names",
            "All",
        ],
    )["Attributes"]
        .clone()
}

fn doc_queues(moto: &Moto) -> Vec<String> {
    str_items(&aws(moto, &["sqs", "list-queues"])["QueueUrls"])
        .into_iter()
        .filter(|u| u.contains("/doc-"))
        .collect()
}

fn doc_topics(moto: &Moto) -> Vec<String> {
    strings(&aws(moto, &["sns", "list-topics"])["Topics"], "TopicArn")
        .into_iter()
        .filter(|t| t.contains(":doc-"))
        .collect()
}

#[test]
fn doc_sqs_queue() {
    doc_example(
        include_str!("../fixtures/docs/sqs_queue.tf"),
        &[
            "aws_sqs_queue.orders_deadletter",
            "aws_sqs_queue.orders",
            "aws_sqs_queue.orders_fifo",
            "aws_sqs_queue.orders_sse",
            "aws_sqs_queue.orders_hi",
            "aws_sqs_queue.orders_kms",
            "aws_sns_topic.orders",
            "aws_sqs_queue_policy.orders",
        ],
        |s| {
            let moto = s.moto;
            assert_eq!(doc_queues(moto).len(), 6, "{:?}", doc_queues(moto));
            let dlq = queue_attrs(moto, "doc-orders-deadletter");
            let q = queue_attrs(moto, "doc-orders");
            assert_eq!(q["DelaySeconds"], "90");
            assert_eq!(q["MaximumMessageSize"], "2048");
            assert_eq!(q["MessageRetentionPeriod"], "86400");
            assert_eq!(q["ReceiveMessageWaitTimeSeconds"], "10");
            let redrive = doc(&q["RedrivePolicy"]);
            assert_eq!(redrive["deadLetterTargetArn"], dlq["QueueArn"]);
            assert_eq!(
                redrive["maxReceiveCount"].to_string().trim_matches('"'),
                "4"
            );
            // The queue policy from aws_iam_policy_document, condition on the topic's ARN.
            let policy = doc(&q["Policy"]);
            let st = &policy["Statement"][0];
            assert_eq!(st["Sid"], "First");
            assert_eq!(st["Resource"], q["QueueArn"]);
            let topic = &doc_topics(moto)[0];
            assert_eq!(st["Condition"]["ArnEquals"]["aws:SourceArn"], *topic);

            let fifo = queue_attrs(moto, "doc-orders.fifo");
            assert_eq!(fifo["FifoQueue"], "true");
            assert_eq!(fifo["ContentBasedDeduplication"], "true");
            let hi = queue_attrs(moto, "doc-orders-hi.fifo");
            assert_eq!(hi["DeduplicationScope"], "messageGroup");
            assert_eq!(hi["FifoThroughputLimit"], "perMessageGroupId");
            let sse = queue_attrs(moto, "doc-orders-sse");
            assert_eq!(sse["SqsManagedSseEnabled"], "true");
            let kms = queue_attrs(moto, "doc-orders-kms");
            assert_eq!(kms["KmsMasterKeyId"], "alias/aws/sqs");
            assert_eq!(kms["KmsDataKeyReusePeriodSeconds"], "300");
        },
        |moto| {
            assert!(doc_queues(moto).is_empty(), "{:?}", doc_queues(moto));
            assert!(doc_topics(moto).is_empty(), "{:?}", doc_topics(moto));
        },
    );
}

#[test]
fn doc_sns_topic() {
    doc_example(
        include_str!("../fixtures/docs/sns_topic.tf"),
        &[
            "aws_sns_topic.user_updates",
            "aws_sqs_queue.user_updates_queue",
            "aws_sns_topic_subscription.user_updates_sqs_target",
            "aws_sns_topic.user_updates_delivery",
            "aws_sns_topic.user_updates_sse",
            "aws_sns_topic.user_updates_fifo",
            "aws_sqs_queue.user_updates_filtered_queue",
            "aws_sns_topic_subscription.user_updates_filtered",
        ],
        |s| {
            let moto = s.moto;
            assert_eq!(doc_topics(moto).len(), 4, "{:?}", doc_topics(moto));
            let topic = "arn:aws:sns:us-east-1:123456789012:doc-user-updates-topic";
            let subs = &aws(
                moto,
                &["sns", "list-subscriptions-by-topic", "--topic-arn", topic],
            )["Subscriptions"];
            assert_eq!(strings(subs, "Protocol"), ["sqs", "sqs"]);
            let q = queue_attrs(moto, "doc-user-updates-queue");
            let filtered_q = queue_attrs(moto, "doc-user-updates-filtered");
            let mut endpoints = strings(subs, "Endpoint");
            endpoints.sort();
            let mut want = vec![
                q["QueueArn"].as_str().unwrap().to_string(),
                filtered_q["QueueArn"].as_str().unwrap().to_string(),
            ];
            want.sort();
            assert_eq!(endpoints, want);
            let filtered = subs
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["Endpoint"] == filtered_q["QueueArn"])
                .unwrap();
            let sub = &aws(
                moto,
                &[
                    "sns",
                    "get-subscription-attributes",
                    "--subscription-arn",
                    filtered["SubscriptionArn"].as_str().unwrap(),
                ],
            )["Attributes"];
            assert_eq!(sub["RawMessageDelivery"], "true", "{sub}");
            let filter = doc(&sub["FilterPolicy"]);
            assert_eq!(
                filter["store"],
                serde_json::json!(["example_corp"]),
                "{sub}"
            );
            assert_eq!(
                filter["event"][0]["anything-but"], "order_cancelled",
                "{sub}"
            );

            let attrs = |name: &str| {
                aws(
                    moto,
                    &[
                        "sns",
                        "get-topic-attributes",
                        "--topic-arn",
                        &format!("arn:aws:sns:us-east-1:123456789012:{name}"),
                    ],
                )["Attributes"]
                    .clone()
            };
            let delivery = doc(&attrs("doc-user-updates-delivery")["DeliveryPolicy"]);
            let retry = &delivery["http"]["defaultHealthyRetryPolicy"];
            assert_eq!(retry["numRetries"], 3);
            assert_eq!(retry["backoffFunction"], "linear");
            assert_eq!(
                delivery["http"]["defaultThrottlePolicy"]["maxReceivesPerSecond"],
                1
            );
            assert_eq!(
                attrs("doc-user-updates-sse")["KmsMasterKeyId"],
                "alias/aws/sns"
            );
            let fifo = attrs("doc-user-updates.fifo");
            assert_eq!(fifo["FifoTopic"], "true");
            assert_eq!(fifo["ContentBasedDeduplication"], "true");
        },
        |moto| {
            assert!(doc_topics(moto).is_empty(), "{:?}", doc_topics(moto));
            assert!(doc_queues(moto).is_empty(), "{:?}", doc_queues(moto));
            let subs = aws(moto, &["sns", "list-subscriptions"]);
            assert!(
                !subs.to_string().contains("doc-user-updates"),
                "subscription left: {subs}"
            );
        },
    );
}

fn doc_roles(moto: &Moto) -> Vec<String> {
    strings(&aws(moto, &["iam", "list-roles"])["Roles"], "RoleName")
        .into_iter()
        .filter(|r| r.starts_with("doc"))
        .collect()
}

fn doc_policies(moto: &Moto) -> Vec<String> {
    strings(
        &aws(moto, &["iam", "list-policies", "--scope", "Local"])["Policies"],
        "PolicyName",
    )
    .into_iter()
    .filter(|p| p.starts_with("doc"))
    .collect()
}

fn attached(moto: &Moto, role: &str) -> Vec<String> {
    let mut names = strings(
        &aws(
            moto,
            &["iam", "list-attached-role-policies", "--role-name", role],
        )["AttachedPolicies"],
        "PolicyName",
    );
    names.sort();
    names
}

/// The default version's document of the customer-managed policy `name`.
fn policy_document(moto: &Moto, name: &str) -> serde_json::Value {
    let arn = format!("arn:aws:iam::123456789012:policy/{name}");
    let p = &aws(moto, &["iam", "get-policy", "--policy-arn", &arn])["Policy"];
    let version = p["DefaultVersionId"].as_str().unwrap();
    let d = aws(
        moto,
        &[
            "iam",
            "get-policy-version",
            "--policy-arn",
            &arn,
            "--version-id",
            version,
        ],
    )["PolicyVersion"]["Document"]
        .clone();
    if d.is_string() {
        doc(&d)
    } else {
        d
    }
}

#[test]
fn doc_iam_role() {
    doc_example(
        include_str!("../fixtures/docs/iam_role.tf"),
        &[
            "aws_iam_role.test_role",
            "aws_iam_role.role",
            "aws_iam_policy.policy",
            "aws_iam_role_policy_attachment.test-attach",
            "aws_iam_role_policy.test_policy",
            "aws_iam_role.instance",
            "aws_iam_policy.policy_one",
            "aws_iam_policy.policy_two",
            "aws_iam_role.managed",
            "aws_iam_policy.example",
            "aws_iam_policy.merged",
            "aws_iam_role.no_inline",
            "aws_iam_role.no_managed",
        ],
        |s| {
            let moto = s.moto;
            let role = &aws(moto, &["iam", "get-role", "--role-name", "doc_test_role"])["Role"];
            let trust = &role["AssumeRolePolicyDocument"];
            // The CLI decodes the document; moto may hand back the string form.
            let trust = if trust.is_string() {
                doc(trust)
            } else {
                trust.clone()
            };
            assert_eq!(
                trust["Statement"][0]["Principal"]["Service"],
                "ec2.amazonaws.com"
            );
            assert_eq!(tag_list(&role["Tags"])["tag-key"], "tag-value");

            assert_eq!(attached(moto, "doc-test-role"), ["doc-test-policy"]);
            // Import by the pages' documented id forms: role/policy_arn and role:policy_name.
            s.reimport(
                "aws_iam_role_policy_attachment.test-attach",
                "doc-test-role/arn:aws:iam::123456789012:policy/doc-test-policy",
            );
            s.reimport(
                "aws_iam_role_policy.test_policy",
                "doc_test_role:doc_test_policy",
            );
            // Imported records carry the configuration's dependencies, so destroy still detaches
            // before it deletes the role and the policy.
            let shown = s.ok(&[
                "state",
                "show",
                "aws_iam_role_policy_attachment.test-attach",
            ]);
            assert!(
                shown
                    .out
                    .contains("# depends on: aws_iam_policy.policy, aws_iam_role.role"),
                "{shown}"
            );
            let inline = aws(
                moto,
                &[
                    "iam",
                    "get-role-policy",
                    "--role-name",
                    "doc_test_role",
                    "--policy-name",
                    "doc_test_policy",
                ],
            );
            assert!(
                inline["PolicyDocument"]
                    .to_string()
                    .contains("ec2:Describe*"),
                "{inline}"
            );

            let instance = &aws(
                moto,
                &["iam", "get-role", "--role-name", "doc_instance_role"],
            )["Role"];
            assert_eq!(instance["Path"], "/system/");
            let mut names = str_items(
                &aws(
                    moto,
                    &[
                        "iam",
                        "list-role-policies",
                        "--role-name",
                        "doc_instance_role",
                    ],
                )["PolicyNames"],
            );
            names.sort();
            assert_eq!(names, ["my_inline_policy", "policy-8675309"]);

            assert_eq!(
                attached(moto, "doc-managed-role"),
                ["doc-policy-381966", "doc-policy-618033"]
            );

            // `&{aws:username}` reaches IAM as the policy variable `${aws:username}`.
            let example = policy_document(moto, "doc_example_policy");
            let home = &example["Statement"][2]["Resource"];
            assert!(
                home.to_string()
                    .contains("arn:aws:s3:::doc-home-bucket/home/${aws:username}/*"),
                "{example}"
            );
            let prefixes = &example["Statement"][1]["Condition"]["StringLike"]["s3:prefix"];
            assert!(str_items(prefixes).contains(&String::new()), "{example}");
            // The override replaced statement "1"; the source's others and our own remain.
            let merged = policy_document(moto, "doc_merged_policy");
            let sids = strings(&merged["Statement"], "Sid");
            assert!(sids.contains(&"SidToKeep".to_string()), "{merged}");
            let one = merged["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .find(|st| st["Sid"] == "1")
                .unwrap_or_else(|| panic!("no Sid 1: {merged}"));
            assert_eq!(one["Action"], "s3:*", "{merged}");
            assert_eq!(merged["Statement"].as_array().unwrap().len(), 4, "{merged}");

            // Exclusive management: an inline policy or an attachment added behind terrane's
            // back is a change, and applying removes it.
            let doc_json = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
            moto.aws(&[
                "iam",
                "put-role-policy",
                "--role-name",
                "doc-no-inline",
                "--policy-name",
                "outside",
                "--policy-document",
                doc_json,
            ]);
            let outside = aws(
                moto,
                &[
                    "iam",
                    "create-policy",
                    "--policy-name",
                    "outside-managed",
                    "--policy-document",
                    doc_json,
                ],
            );
            moto.aws(&[
                "iam",
                "attach-role-policy",
                "--role-name",
                "doc-no-managed",
                "--policy-arn",
                outside["Policy"]["Arn"].as_str().unwrap(),
            ]);
            let actions = s.plan_actions();
            let want: BTreeMap<String, String> = [
                ("aws_iam_role.no_inline".to_string(), "update".to_string()),
                ("aws_iam_role.no_managed".to_string(), "update".to_string()),
            ]
            .into();
            assert_eq!(actions, want);
            s.apply();
            let inline = aws(
                moto,
                &["iam", "list-role-policies", "--role-name", "doc-no-inline"],
            );
            assert_eq!(inline["PolicyNames"], serde_json::json!([]), "{inline}");
            assert!(attached(moto, "doc-no-managed").is_empty());
        },
        |moto| {
            assert!(doc_roles(moto).is_empty(), "{:?}", doc_roles(moto));
            assert!(doc_policies(moto).is_empty(), "{:?}", doc_policies(moto));
        },
    );
}

/// KMS keys cannot be deleted at once: destroy schedules their deletion.
fn assert_pending_deletion(moto: &Moto, key_id: &str) {
    let k = &aws(moto, &["kms", "describe-key", "--key-id", key_id])["KeyMetadata"];
    assert_eq!(k["KeyState"], "PendingDeletion", "{k}");
}

fn key_by_description(moto: &Moto, description: &str) -> String {
    let keys = strings(&aws(moto, &["kms", "list-keys"])["Keys"], "KeyId");
    keys.into_iter()
        .find(|k| {
            aws(moto, &["kms", "describe-key", "--key-id", k])["KeyMetadata"]["Description"]
                == description
        })
        .unwrap_or_else(|| panic!("no KMS key described {description:?}"))
}

#[test]
fn doc_s3_bucket() {
    let bucket = "doc-my-tf-test-bucket";
    doc_example(
        include_str!("../fixtures/docs/s3_bucket.tf"),
        &[
            "aws_s3_bucket.example",
            "aws_s3_bucket_versioning.versioning_example",
            "aws_kms_key.mykey",
            "aws_s3_bucket_server_side_encryption_configuration.example",
            "aws_s3_bucket_public_access_block.example",
            "aws_s3_bucket_policy.allow_access_from_another_account",
            "aws_s3_bucket.logs",
            "aws_s3_bucket_versioning.logs",
            "aws_s3_bucket.unversioned",
            "aws_s3_bucket_versioning.unversioned",
        ],
        |s| {
            let moto = s.moto;
            let tags = tag_list(
                &aws(moto, &["s3api", "get-bucket-tagging", "--bucket", bucket])["TagSet"],
            );
            assert_eq!(tags["Name"], "My bucket");
            assert_eq!(tags["Environment"], "Dev");
            assert_eq!(
                aws(
                    moto,
                    &["s3api", "get-bucket-versioning", "--bucket", bucket]
                )["Status"],
                "Enabled"
            );
            let unversioned = aws(
                moto,
                &[
                    "s3api",
                    "get-bucket-versioning",
                    "--bucket",
                    "doc-unversioned-bucket",
                ],
            );
            assert_eq!(
                unversioned["Status"],
                serde_json::Value::Null,
                "{unversioned}"
            );
            let key = key_by_description(moto, "This key is used to encrypt bucket objects");
            let key_arn =
                &aws(moto, &["kms", "describe-key", "--key-id", &key])["KeyMetadata"]["Arn"];
            let sse = &aws(
                moto,
                &["s3api", "get-bucket-encryption", "--bucket", bucket],
            )["ServerSideEncryptionConfiguration"]["Rules"][0]
                ["ApplyServerSideEncryptionByDefault"];
            assert_eq!(sse["SSEAlgorithm"], "aws:kms");
            assert_eq!(sse["KMSMasterKeyID"], *key_arn);
            let pab = &aws(
                moto,
                &["s3api", "get-public-access-block", "--bucket", bucket],
            )["PublicAccessBlockConfiguration"];
            for k in [
                "BlockPublicAcls",
                "BlockPublicPolicy",
                "IgnorePublicAcls",
                "RestrictPublicBuckets",
            ] {
                assert_eq!(pab[k], true, "{k}: {pab}");
            }
            let policy =
                doc(&aws(moto, &["s3api", "get-bucket-policy", "--bucket", bucket])["Policy"]);
            let st = &policy["Statement"][0];
            let principal = st["Principal"]["AWS"].to_string();
            assert!(principal.contains("123456789012"), "{policy}");
            let resources = st["Resource"].to_string();
            assert!(
                resources.contains(&format!("arn:aws:s3:::{bucket}/*")),
                "{policy}"
            );

            // Objects with several versions, for force_destroy to remove. (No deleted objects:
            // moto 5.2.1 fails DeleteObjects on delete markers with a 500.)
            let body = s.path().join("object.txt");
            std::fs::write(&body, "log line").unwrap();
            for key in ["a.log", "a.log", "dir/b.log"] {
                moto.aws(&[
                    "s3api",
                    "put-object",
                    "--bucket",
                    "doc-versioned-logs",
                    "--key",
                    key,
                    "--body",
                    body.to_str().unwrap(),
                ]);
            }
            let versions = aws(
                moto,
                &[
                    "s3api",
                    "list-object-versions",
                    "--bucket",
                    "doc-versioned-logs",
                ],
            );
            assert_eq!(
                versions["Versions"].as_array().unwrap().len(),
                3,
                "{versions}"
            );
        },
        |moto| {
            let buckets = strings(&aws(moto, &["s3api", "list-buckets"])["Buckets"], "Name");
            assert!(
                !buckets
                    .iter()
                    .any(|b| b == bucket || b == "doc-versioned-logs"),
                "{buckets:?}"
            );
            let key = key_by_description(moto, "This key is used to encrypt bucket objects");
            assert_pending_deletion(moto, &key);
        },
    );
}

fn main_vpc(moto: &Moto) -> Option<serde_json::Value> {
    let vpcs = aws(
        moto,
        &[
            "ec2",
            "describe-vpcs",
            "--filters",
            "Name=cidr,Values=10.0.0.0/16",
        ],
    );
    vpcs["Vpcs"].as_array().and_then(|v| v.first()).cloned()
}

#[test]
fn doc_vpc_network() {
    doc_example(
        include_str!("../fixtures/docs/vpc.tf"),
        &[
            "aws_vpc.main",
            "aws_subnet.main",
            "aws_security_group.allow_tls",
            "aws_vpc_security_group_ingress_rule.allow_tls_ipv4",
            "aws_vpc_security_group_ingress_rule.allow_tls_ipv6",
            "aws_vpc_security_group_egress_rule.allow_all_traffic_ipv4",
            "aws_vpc_security_group_egress_rule.allow_all_traffic_ipv6",
            "aws_security_group.allow_tls_inline",
            "aws_internet_gateway.gw",
            "aws_route_table.example",
            "aws_route_table_association.a",
        ],
        |s| {
            let moto = s.moto;
            let vpc = main_vpc(moto).expect("VPC 10.0.0.0/16");
            let vpc_id = vpc["VpcId"].as_str().unwrap();
            assert_eq!(tag_list(&vpc["Tags"])["Name"], "main");
            let v6 = vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
                .as_str()
                .expect("an Amazon-provided IPv6 block")
                .to_string();
            let vpc_filter = format!("Name=vpc-id,Values={vpc_id}");

            let subnet =
                &aws(moto, &["ec2", "describe-subnets", "--filters", &vpc_filter])["Subnets"][0];
            assert_eq!(subnet["CidrBlock"], "10.0.1.0/24");
            let azs = strings(
                &aws(moto, &["ec2", "describe-availability-zones"])["AvailabilityZones"],
                "ZoneName",
            );
            assert_eq!(subnet["AvailabilityZone"], azs[0]);
            let subnet_id = subnet["SubnetId"].as_str().unwrap();

            let groups = &aws(
                moto,
                &["ec2", "describe-security-groups", "--filters", &vpc_filter],
            )["SecurityGroups"];
            let group = |name: &str| {
                groups
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|g| g["GroupName"] == name)
                    .unwrap_or_else(|| panic!("no group {name}: {groups}"))
                    .clone()
            };
            // allow_tls: 443 from the VPC's two blocks; all traffic out on both families,
            // and nothing else (AWS's default egress rule is gone, as in Terraform).
            let tls = group("allow_tls");
            let ingress = &tls["IpPermissions"];
            assert_eq!(ingress.as_array().unwrap().len(), 1, "{ingress}");
            assert_eq!(ingress[0]["FromPort"], 443);
            assert_eq!(strings(&ingress[0]["IpRanges"], "CidrIp"), ["10.0.0.0/16"]);
            assert_eq!(
                strings(&ingress[0]["Ipv6Ranges"], "CidrIpv6"),
                [v6.as_str()]
            );
            let egress = &tls["IpPermissionsEgress"];
            assert_eq!(egress.as_array().unwrap().len(), 1, "{egress}");
            assert_eq!(egress[0]["IpProtocol"], "-1");
            assert_eq!(strings(&egress[0]["IpRanges"], "CidrIp"), ["0.0.0.0/0"]);
            assert_eq!(strings(&egress[0]["Ipv6Ranges"], "CidrIpv6"), ["::/0"]);
            // The inline form ends up with the same rules.
            let inline = group("allow_tls_inline");
            assert_eq!(inline["IpPermissions"][0]["FromPort"], 443);
            assert_eq!(
                strings(&inline["IpPermissions"][0]["Ipv6Ranges"], "CidrIpv6"),
                [v6.as_str()]
            );
            assert_eq!(
                inline["IpPermissions"][0]["IpRanges"][0]["Description"],
                "TLS from VPC"
            );
            assert_eq!(inline["IpPermissionsEgress"].as_array().unwrap().len(), 1);

            let igw = &aws(
                moto,
                &[
                    "ec2",
                    "describe-internet-gateways",
                    "--filters",
                    &format!("Name=attachment.vpc-id,Values={vpc_id}"),
                ],
            )["InternetGateways"][0];
            let igw_id = igw["InternetGatewayId"].as_str().expect("gateway attached");

            let tables = &aws(
                moto,
                &[
                    "ec2",
                    "describe-route-tables",
                    "--filters",
                    &vpc_filter,
                    "Name=tag:Name,Values=example",
                ],
            )["RouteTables"];
            let rt = &tables[0];
            let routes = rt["Routes"].as_array().unwrap();
            for dest in ["DestinationCidrBlock", "DestinationIpv6CidrBlock"] {
                let default = if dest == "DestinationCidrBlock" {
                    "0.0.0.0/0"
                } else {
                    "::/0"
                };
                assert!(
                    routes
                        .iter()
                        .any(|r| r[dest] == default && r["GatewayId"] == igw_id),
                    "no {default} route via {igw_id}: {routes:?}"
                );
            }
            assert!(
                rt["Associations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a["SubnetId"] == subnet_id),
                "subnet not associated: {rt}"
            );

            // Import by the page's documented id form, subnet_id/route_table_id.
            let rt_id = rt["RouteTableId"].as_str().unwrap();
            s.reimport(
                "aws_route_table_association.a",
                &format!("{subnet_id}/{rt_id}"),
            );
        },
        |moto| {
            assert_eq!(main_vpc(moto), None);
            let groups = strings(
                &aws(moto, &["ec2", "describe-security-groups"])["SecurityGroups"],
                "GroupName",
            );
            assert!(
                !groups.iter().any(|g| g.starts_with("allow_tls")),
                "{groups:?}"
            );
            let igws = aws(
                moto,
                &[
                    "ec2",
                    "describe-internet-gateways",
                    "--filters",
                    "Name=tag:Name,Values=main",
                ],
            );
            assert_eq!(igws["InternetGateways"], serde_json::json!([]), "{igws}");
        },
    );
}

#[test]
fn doc_ssm_parameter() {
    doc_example(
        include_str!("../fixtures/docs/ssm_parameter.tf"),
        &["aws_ssm_parameter.foo", "aws_ssm_parameter.secret"],
        |s| {
            let moto = s.moto;
            let foo = &aws(moto, &["ssm", "get-parameter", "--name", "doc-foo"])["Parameter"];
            assert_eq!(foo["Type"], "String");
            assert_eq!(foo["Value"], "bar");
            let name = "/production/database/password/master";
            let secret = &aws(
                moto,
                &["ssm", "get-parameter", "--name", name, "--with-decryption"],
            )["Parameter"];
            assert_eq!(secret["Type"], "SecureString");
            assert_eq!(secret["Value"], "doc-example-password");
            let described = &aws(
                moto,
                &[
                    "ssm",
                    "describe-parameters",
                    "--parameter-filters",
                    &format!("Key=Name,Values={name}"),
                ],
            )["Parameters"][0];
            assert_eq!(described["Description"], "The parameter description");
            let tags = tag_list(
                &aws(
                    moto,
                    &[
                        "ssm",
                        "list-tags-for-resource",
                        "--resource-type",
                        "Parameter",
                        "--resource-id",
                        name,
                    ],
                )["TagList"],
            );
            assert_eq!(tags["environment"], "production");
        },
        |moto| {
            let params = strings(
                &aws(moto, &["ssm", "describe-parameters"])["Parameters"],
                "Name",
            );
            assert!(
                !params
                    .iter()
                    .any(|p| p == "doc-foo" || p.starts_with("/production/")),
                "{params:?}"
            );
        },
    );
}

#[test]
fn doc_cloudwatch_log_group() {
    doc_example(
        include_str!("../fixtures/docs/cloudwatch_log_group.tf"),
        &["aws_cloudwatch_log_group.yada", "aws_kms_key.logs"],
        |s| {
            let moto = s.moto;
            let g = &aws(
                moto,
                &[
                    "logs",
                    "describe-log-groups",
                    "--log-group-name-prefix",
                    "DocYada",
                ],
            )["logGroups"][0];
            assert_eq!(g["logGroupName"], "DocYada");
            assert_eq!(g["retentionInDays"], 14);
            let key = key_by_description(moto, "DocYada log group key");
            let key_arn =
                &aws(moto, &["kms", "describe-key", "--key-id", &key])["KeyMetadata"]["Arn"];
            assert_eq!(g["kmsKeyId"], *key_arn, "{g}");
            let tags = &aws(
                moto,
                &["logs", "list-tags-log-group", "--log-group-name", "DocYada"],
            )["tags"];
            assert_eq!(tags["Environment"], "production");
            assert_eq!(tags["Application"], "serviceA");
        },
        |moto| {
            let groups = aws(
                moto,
                &[
                    "logs",
                    "describe-log-groups",
                    "--log-group-name-prefix",
                    "DocYada",
                ],
            );
            assert_eq!(groups["logGroups"], serde_json::json!([]), "{groups}");
        },
    );
}

#[test]
fn doc_kms_key() {
    doc_example(
        include_str!("../fixtures/docs/kms_key.tf"),
        &[
            "aws_kms_key.example",
            "aws_kms_alias.a",
            "aws_kms_key.rsa",
            "aws_kms_key.multi",
        ],
        |s| {
            let moto = s.moto;
            let key = key_by_description(moto, "An example symmetric encryption KMS key");
            let aliases = &aws(moto, &["kms", "list-aliases", "--key-id", &key])["Aliases"];
            assert_eq!(strings(aliases, "AliasName"), ["alias/doc-my-key-alias"]);
            let rotation = aws(moto, &["kms", "get-key-rotation-status", "--key-id", &key]);
            assert_eq!(rotation["KeyRotationEnabled"], true);
            // The key policy names the caller's account, from aws_caller_identity.
            let policy = doc(&aws(
                moto,
                &[
                    "kms",
                    "get-key-policy",
                    "--key-id",
                    &key,
                    "--policy-name",
                    "default",
                ],
            )["Policy"]);
            assert_eq!(
                policy["Statement"][0]["Principal"]["AWS"],
                "arn:aws:iam::123456789012:root"
            );

            let rsa = key_by_description(
                moto,
                "RSA-3072 asymmetric KMS key for encryption and decryption",
            );
            let rsa = &aws(moto, &["kms", "describe-key", "--key-id", &rsa])["KeyMetadata"];
            assert_eq!(rsa["KeySpec"], "RSA_3072");
            assert_eq!(rsa["KeyUsage"], "ENCRYPT_DECRYPT");
            let multi = key_by_description(moto, "An example multi-Region primary key");
            let multi = &aws(moto, &["kms", "describe-key", "--key-id", &multi])["KeyMetadata"];
            assert_eq!(multi["MultiRegion"], true);

            // aws_caller_identity and aws_region, as the data source pages output them.
            let outputs = json(&s.ok(&["output", "--json"]).out);
            let me = aws(moto, &["sts", "get-caller-identity"]);
            assert_eq!(outputs["account_id"]["value"], me["Account"], "{outputs}");
            assert_eq!(outputs["caller_arn"]["value"], me["Arn"], "{outputs}");
            assert_eq!(outputs["caller_user"]["value"], me["UserId"], "{outputs}");
            assert_eq!(outputs["region"]["value"], "us-east-1", "{outputs}");
        },
        |moto| {
            let aliases = strings(&aws(moto, &["kms", "list-aliases"])["Aliases"], "AliasName");
            assert!(
                !aliases.iter().any(|a| a == "alias/doc-my-key-alias"),
                "{aliases:?}"
            );
            for d in [
                "An example symmetric encryption KMS key",
                "RSA-3072 asymmetric KMS key for encryption and decryption",
                "An example multi-Region primary key",
            ] {
                assert_pending_deletion(moto, &key_by_description(moto, d));
            }
        },
    );
}

#[test]
fn doc_secretsmanager_secret() {
    doc_example(
        include_str!("../fixtures/docs/secretsmanager_secret.tf"),
        &[
            "aws_secretsmanager_secret.example",
            "aws_secretsmanager_secret.described",
        ],
        |s| {
            let moto = s.moto;
            let s = aws(
                moto,
                &[
                    "secretsmanager",
                    "describe-secret",
                    "--secret-id",
                    "doc-example",
                ],
            );
            assert_eq!(s["Name"], "doc-example");
            let d = aws(
                moto,
                &[
                    "secretsmanager",
                    "describe-secret",
                    "--secret-id",
                    "doc-example-described",
                ],
            );
            assert_eq!(d["Description"], "An example secret");
            assert_eq!(tag_list(&d["Tags"])["Environment"], "production");
        },
        |moto| {
            // The default 30-day recovery window only schedules deletion; listing hides those.
            let names = strings(
                &aws(moto, &["secretsmanager", "list-secrets"])["SecretList"],
                "Name",
            );
            assert!(!names.iter().any(|n| n.starts_with("doc-")), "{names:?}");
        },
    );
}

fn vpc_by_cidr(moto: &Moto, cidr: &str) -> Option<String> {
    let vpcs = aws(
        moto,
        &[
            "ec2",
            "describe-vpcs",
            "--filters",
            &format!("Name=cidr,Values={cidr}"),
        ],
    );
    vpcs["Vpcs"][0]["VpcId"].as_str().map(str::to_string)
}

#[test]
fn doc_provider_default_tags() {
    doc_example(
        include_str!("../fixtures/docs/provider_default_tags.tf"),
        &["aws_vpc.example", "aws_iam_user.lb"],
        |s| {
            let moto = s.moto;
            let vpc = vpc_by_cidr(moto, "10.1.0.0/16").expect("VPC 10.1.0.0/16");
            let vpc = &aws(moto, &["ec2", "describe-vpcs", "--vpc-ids", &vpc])["Vpcs"][0];
            let tags = tag_list(&vpc["Tags"]);
            assert_eq!(tags["Environment"], "Test", "{tags:?}");
            assert_eq!(tags["Name"], "Resource Tag", "{tags:?}");
            let outputs = json(&s.ok(&["output", "--json"]).out);
            assert_eq!(
                outputs["vpc_resource_level_tags"]["value"],
                serde_json::json!({ "Name": "Resource Tag" }),
                "{outputs}"
            );
            assert_eq!(
                outputs["vpc_all_tags"]["value"],
                serde_json::json!({ "Environment": "Test", "Name": "Resource Tag" }),
                "{outputs}"
            );

            let user = &aws(
                moto,
                &["iam", "get-user", "--user-name", "doc-loadbalancer"],
            )["User"];
            assert_eq!(user["Path"], "/system/");
            let tags = tag_list(
                &aws(
                    moto,
                    &["iam", "list-user-tags", "--user-name", "doc-loadbalancer"],
                )["Tags"],
            );
            assert_eq!(tags["tag-key"], "tag-value", "{tags:?}");
            assert_eq!(tags["Name"], "Provider Tag", "{tags:?}");
            assert_eq!(tags["Environment"], "Test", "{tags:?}");
        },
        |moto| {
            assert_eq!(vpc_by_cidr(moto, "10.1.0.0/16"), None);
            let users = strings(&aws(moto, &["iam", "list-users"])["Users"], "UserName");
            assert!(!users.iter().any(|u| u == "doc-loadbalancer"), "{users:?}");
        },
    );
}

fn groups_in(moto: &Moto, vpc: &str) -> Vec<serde_json::Value> {
    aws(
        moto,
        &[
            "ec2",
            "describe-security-groups",
            "--filters",
            &format!("Name=vpc-id,Values={vpc}"),
        ],
    )["SecurityGroups"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn route_table(moto: &Moto, vpc: &str, name: &str) -> serde_json::Value {
    aws(
        moto,
        &[
            "ec2",
            "describe-route-tables",
            "--filters",
            &format!("Name=vpc-id,Values={vpc}"),
            &format!("Name=tag:Name,Values={name}"),
        ],
    )["RouteTables"][0]
        .clone()
}

/// Destinations of a route table's routes (IPv4 or IPv6).
fn destinations(rt: &serde_json::Value) -> Vec<String> {
    let mut d: Vec<String> = rt["Routes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            r["DestinationCidrBlock"]
                .as_str()
                .or(r["DestinationIpv6CidrBlock"].as_str())
                .map(str::to_string)
        })
        .collect();
    d.sort();
    d
}

#[test]
fn doc_security_group_rules_and_routes() {
    doc_example(
        include_str!("../fixtures/docs/security_group_rules.tf"),
        &[
            "aws_vpc.example",
            "aws_security_group.example",
            "aws_security_group.prefixed",
            "aws_vpc_security_group_ingress_rule.example",
            "aws_vpc_security_group_ingress_rule.from_group",
            "aws_vpc_security_group_egress_rule.example",
            "aws_route_table.test",
            "aws_internet_gateway.example",
            "aws_route_table.example",
        ],
        |s| {
            let moto = s.moto;
            let vpc = vpc_by_cidr(moto, "10.2.0.0/16").expect("VPC 10.2.0.0/16");
            let groups = groups_in(moto, &vpc);
            let find = |pred: &dyn Fn(&str) -> bool| {
                groups
                    .iter()
                    .find(|g| pred(g["GroupName"].as_str().unwrap_or_default()))
                    .cloned()
                    .unwrap_or_else(|| panic!("group not found: {groups:?}"))
            };
            // `ingress = []` / `egress = []`: no rules at all, AWS's default egress included.
            let empty = find(&|n| n == "doc-sg");
            assert_eq!(empty["IpPermissions"], serde_json::json!([]), "{empty}");
            assert_eq!(
                empty["IpPermissionsEgress"],
                serde_json::json!([]),
                "{empty}"
            );
            let empty_id = empty["GroupId"].as_str().unwrap().to_string();

            let prefixed = find(&|n| n.starts_with("doc-sg-"));
            let ingress = prefixed["IpPermissions"].as_array().unwrap();
            assert_eq!(ingress.len(), 2, "{prefixed}");
            let range = ingress
                .iter()
                .find(|p| p["FromPort"] == 80)
                .expect("80-8080");
            assert_eq!(range["ToPort"], 8080);
            assert_eq!(strings(&range["IpRanges"], "CidrIp"), ["10.0.0.0/8"]);
            let ssh = ingress.iter().find(|p| p["FromPort"] == 22).expect("22");
            assert_eq!(ssh["UserIdGroupPairs"][0]["GroupId"], empty_id.as_str());
            let egress = prefixed["IpPermissionsEgress"].as_array().unwrap();
            assert_eq!(egress.len(), 1, "{prefixed}");
            assert_eq!(egress[0]["FromPort"], 80);

            let test = &aws(
                moto,
                &[
                    "ec2",
                    "describe-route-tables",
                    "--filters",
                    &format!("Name=vpc-id,Values={vpc}"),
                    "Name=association.main,Values=false",
                ],
            )["RouteTables"];
            // Both non-main tables hold only the local route (adopted in one, untouched in
            // the other).
            for rt in test.as_array().unwrap() {
                assert_eq!(destinations(rt), ["10.2.0.0/16"], "{rt}");
            }
            assert_eq!(test.as_array().unwrap().len(), 2, "{test}");

            // `= []` manages the blocks: rules and routes added behind terrane's back are
            // changes, and applying removes them.
            moto.aws(&[
                "ec2",
                "authorize-security-group-ingress",
                "--group-id",
                &empty_id,
                "--protocol",
                "tcp",
                "--port",
                "443",
                "--cidr",
                "0.0.0.0/0",
            ]);
            let rt = route_table(moto, &vpc, "example");
            let igw = aws(
                moto,
                &[
                    "ec2",
                    "describe-internet-gateways",
                    "--filters",
                    &format!("Name=attachment.vpc-id,Values={vpc}"),
                ],
            )["InternetGateways"][0]["InternetGatewayId"]
                .as_str()
                .unwrap()
                .to_string();
            moto.aws(&[
                "ec2",
                "create-route",
                "--route-table-id",
                rt["RouteTableId"].as_str().unwrap(),
                "--destination-cidr-block",
                "0.0.0.0/0",
                "--gateway-id",
                &igw,
            ]);
            let actions = s.plan_actions();
            assert_eq!(
                actions
                    .get("aws_security_group.example")
                    .map(String::as_str),
                Some("update"),
                "{actions:?}"
            );
            assert_eq!(
                actions.get("aws_route_table.example").map(String::as_str),
                Some("update"),
                "{actions:?}"
            );
            assert_eq!(actions.len(), 2, "{actions:?}");
            s.apply();
            let empty = groups_in(moto, &vpc)
                .into_iter()
                .find(|g| g["GroupId"] == empty_id.as_str())
                .unwrap();
            assert_eq!(empty["IpPermissions"], serde_json::json!([]), "{empty}");
            assert_eq!(
                destinations(&route_table(moto, &vpc, "example")),
                ["10.2.0.0/16"]
            );
        },
        |moto| {
            assert_eq!(vpc_by_cidr(moto, "10.2.0.0/16"), None);
            let groups = strings(
                &aws(moto, &["ec2", "describe-security-groups"])["SecurityGroups"],
                "GroupName",
            );
            assert!(
                !groups.iter().any(|g| g.starts_with("doc-sg")),
                "{groups:?}"
            );
        },
    );
}

#[test]
fn doc_iam_policy_document() {
    doc_example(
        include_str!("../fixtures/docs/iam_policy_document.tf"),
        &[
            "aws_iam_role.multi",
            "aws_iam_role_policy.cond",
            "aws_iam_policy.deny",
        ],
        |s| {
            let moto = s.moto;
            let role = &aws(moto, &["iam", "get-role", "--role-name", "doc-s-multi"])["Role"];
            let trust = &role["AssumeRolePolicyDocument"];
            let trust = if trust.is_string() {
                doc(trust)
            } else {
                trust.clone()
            };
            let principal = &trust["Statement"][0]["Principal"];
            assert_eq!(principal["Service"], "firehose.amazonaws.com", "{trust}");
            assert_eq!(
                principal["AWS"], "arn:aws:iam::123456789012:root",
                "{trust}"
            );
            assert_eq!(
                principal["Federated"], "arn:aws:iam::123456789012:saml-provider/provider-name",
                "{trust}"
            );

            let cond = aws(
                moto,
                &[
                    "iam",
                    "get-role-policy",
                    "--role-name",
                    "doc-s-multi",
                    "--policy-name",
                    "cond",
                ],
            );
            let d = &cond["PolicyDocument"];
            let d = if d.is_string() { doc(d) } else { d.clone() };
            let any = &d["Statement"][0]["Condition"]["ForAnyValue:StringEquals"];
            assert_eq!(any.as_object().map(|o| o.len()), Some(3), "{d}");
            assert_eq!(
                str_items(&any["kms:EncryptionContext:aws:rds:db-id"]).len(),
                2,
                "{d}"
            );

            let deny = policy_document(moto, "doc-s-deny");
            let st = &deny["Statement"][0];
            assert_eq!(st["Effect"], "Deny");
            assert_eq!(str_items(&st["NotAction"]).len(), 2, "{deny}");
            assert_eq!(
                st["NotPrincipal"]["AWS"], "arn:aws:iam::123456789012:root",
                "{deny}"
            );
        },
        |moto| {
            assert!(doc_roles(moto).is_empty(), "{:?}", doc_roles(moto));
            assert!(doc_policies(moto).is_empty(), "{:?}", doc_policies(moto));
        },
    );
}

#[test]
fn doc_attributes_as_blocks() {
    doc_example(
        include_str!("../fixtures/docs/attr_as_blocks.tf"),
        &[
            "aws_vpc.main",
            "aws_security_group.attr",
            "aws_internet_gateway.gw",
            "aws_route_table.attr",
        ],
        |s| {
            let moto = s.moto;
            let vpc = vpc_by_cidr(moto, "10.9.0.0/16").expect("VPC 10.9.0.0/16");
            let g = groups_in(moto, &vpc)
                .into_iter()
                .find(|g| g["GroupName"] == "doc-q-attr")
                .expect("group doc-q-attr");
            let ingress = &g["IpPermissions"];
            assert_eq!(ingress.as_array().unwrap().len(), 1, "{g}");
            assert_eq!(ingress[0]["FromPort"], 443);
            assert_eq!(ingress[0]["IpRanges"][0]["CidrIp"], "10.9.0.0/16");
            assert_eq!(ingress[0]["IpRanges"][0]["Description"], "TLS from VPC");
            let egress = &g["IpPermissionsEgress"];
            assert_eq!(egress.as_array().unwrap().len(), 1, "{g}");
            assert_eq!(strings(&egress[0]["Ipv6Ranges"], "CidrIpv6"), ["::/0"]);
            let rt = &aws(
                moto,
                &[
                    "ec2",
                    "describe-route-tables",
                    "--filters",
                    &format!("Name=vpc-id,Values={vpc}"),
                    "Name=association.main,Values=false",
                ],
            )["RouteTables"][0];
            assert_eq!(destinations(rt), ["0.0.0.0/0", "10.9.0.0/16"], "{rt}");
        },
        |moto| {
            assert_eq!(vpc_by_cidr(moto, "10.9.0.0/16"), None);
        },
    );
}
