//! The drift comparison and the report builder on hand-made schemas and values: what counts as
//! drift, what does not (formatting, computed values, ignore_changes), masking, pending changes,
//! unmanaged resources and `.terraneignore`.

use super::*;
use crate::config::{IgnoreChanges, Lifecycle};
use std::collections::BTreeSet;
use terrane_provider::{AttrType, Attribute, Block, BlockSchema, Schema, Value};

pub(crate) fn s(x: &str) -> Value {
    Value::string(x)
}

fn strings() -> AttrType {
    AttrType::Map(Box::new(AttrType::String))
}

pub(crate) fn queue_schema() -> Schema {
    Schema::managed(
        "aws_sqs_queue",
        Block::new()
            .attr("id", Attribute::computed(AttrType::String))
            .attr("arn", Attribute::computed(AttrType::String))
            .attr("name", Attribute::required(AttrType::String).force_new())
            .attr(
                "visibility_timeout_seconds",
                Attribute::optional(AttrType::Number).default(Value::Number(30.0)),
            )
            .attr(
                "message_retention_seconds",
                Attribute::optional_computed(AttrType::Number),
            )
            .attr("policy", Attribute::optional_computed(AttrType::Json))
            .attr("tags", Attribute::optional(strings()))
            .attr("tags_all", Attribute::computed(strings())),
    )
}

pub(crate) fn role_schema() -> Schema {
    Schema::managed(
        "aws_iam_role",
        Block::new()
            .attr("id", Attribute::computed(AttrType::String))
            .attr("name", Attribute::required(AttrType::String).force_new())
            .attr("assume_role_policy", Attribute::required(AttrType::Json))
            .attr("tags", Attribute::optional(strings())),
    )
}

pub(crate) fn sg_schema() -> Schema {
    let rule = Block::new()
        .attr("from_port", Attribute::required(AttrType::Number))
        .attr("to_port", Attribute::required(AttrType::Number))
        .attr("protocol", Attribute::required(AttrType::String))
        .attr(
            "cidr_blocks",
            Attribute::optional(AttrType::Set(Box::new(AttrType::String))),
        )
        .attr(
            "description",
            Attribute::optional_computed(AttrType::String),
        );
    Schema::managed(
        "aws_security_group",
        Block::new()
            .attr("id", Attribute::computed(AttrType::String))
            .attr("name", Attribute::required(AttrType::String).force_new())
            .block("ingress", BlockSchema::set(rule)),
    )
}

pub(crate) fn db_schema() -> Schema {
    Schema::managed(
        "aws_db_instance",
        Block::new()
            .attr("id", Attribute::computed(AttrType::String))
            .attr("instance_class", Attribute::required(AttrType::String))
            .attr(
                "password",
                Attribute::optional(AttrType::String).sensitive(),
            )
            .attr("user_data", Attribute::optional(AttrType::String)),
    )
}

pub(crate) const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole"]}]}"#;

/// One managed resource for `compare_resource`.
pub(crate) struct M {
    pub address: &'static str,
    pub schema: Schema,
    pub last: Value,
    pub cloud: Option<Value>,
    pub lifecycle: Lifecycle,
    pub sensitive: BTreeSet<String>,
}

impl M {
    pub fn new(address: &'static str, schema: Schema, last: Value, cloud: Option<Value>) -> M {
        M {
            address,
            schema,
            last,
            cloud,
            lifecycle: Lifecycle::default(),
            sensitive: BTreeSet::new(),
        }
    }
    pub fn input(&self) -> ManagedInput<'_> {
        ManagedInput {
            address: self.address,
            type_name: self.schema.type_name,
            provider: "aws",
            id: "the-id",
            schema: &self.schema,
            last_applied: &self.last,
            cloud: self.cloud.as_ref(),
            lifecycle: &self.lifecycle,
            sensitive_attrs: &self.sensitive,
            location: None,
        }
    }
    pub fn outcome(&self) -> Outcome {
        compare_resource(&self.input())
    }
}

pub(crate) fn queue_last() -> Value {
    Value::map([
        ("name", s("jobs")),
        ("visibility_timeout_seconds", Value::Number(30.0)),
        ("tags", Value::map([("Env", s("prod"))])),
    ])
}

pub(crate) fn queue_cloud() -> Value {
    Value::map([
        ("id", s("https://sqs.local/123/jobs")),
        ("arn", s("arn:aws:sqs:us-east-1:123:jobs")),
        ("name", s("jobs")),
        ("visibility_timeout_seconds", Value::Number(30.0)),
        ("message_retention_seconds", Value::Number(345600.0)),
        ("policy", Value::Null),
        ("tags", Value::map([("Env", s("prod"))])),
        ("tags_all", Value::map([("Env", s("prod"))])),
    ])
}

fn with(mut v: Value, k: &str, x: Value) -> Value {
    v.as_map_mut().unwrap().insert(k.to_string(), x);
    v
}

fn changed(o: Outcome) -> Vec<AttrDiff> {
    match o {
        Outcome::Changed(a) => a,
        other => panic!("expected drift, got {other:?}"),
    }
}

#[test]
fn in_sync_when_cloud_matches_and_computed_values_differ() {
    // The cloud fills in computed-only and optional+computed attributes the user never set.
    let m = M::new(
        "aws_sqs_queue.jobs",
        queue_schema(),
        queue_last(),
        Some(queue_cloud()),
    );
    assert_eq!(m.outcome(), Outcome::InSync);
    // A computed-only attribute that changes (an ARN) is not drift either.
    let cloud = with(queue_cloud(), "arn", s("arn:aws:sqs:us-east-1:123:other"));
    let m = M::new(
        "aws_sqs_queue.jobs",
        queue_schema(),
        queue_last(),
        Some(cloud),
    );
    assert_eq!(m.outcome(), Outcome::InSync);
    // Computed values the provider's plan filled into the stored configuration (tags_all) do
    // not count either.
    let last = with(queue_last(), "tags_all", Value::map([("Env", s("old"))]));
    let m = M::new(
        "aws_sqs_queue.jobs",
        queue_schema(),
        last,
        Some(queue_cloud()),
    );
    assert_eq!(m.outcome(), Outcome::InSync);
}

#[test]
fn a_changed_attribute_and_a_tag_are_drift_with_expected_and_actual() {
    let cloud = with(
        queue_cloud(),
        "visibility_timeout_seconds",
        Value::Number(60.0),
    );
    let cloud = with(
        cloud,
        "tags",
        Value::map([("Env", s("dev")), ("Owner", s("someone"))]),
    );
    let m = M::new(
        "aws_sqs_queue.jobs",
        queue_schema(),
        queue_last(),
        Some(cloud),
    );
    let attrs = changed(m.outcome());
    let got: Vec<(&str, &Shown, &Shown)> = attrs
        .iter()
        .map(|a| (a.path.as_str(), &a.expected, &a.actual))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "tags.Env",
                &Shown::Value(s("prod")),
                &Shown::Value(s("dev"))
            ),
            ("tags.Owner", &Shown::Absent, &Shown::Value(s("someone"))),
            (
                "visibility_timeout_seconds",
                &Shown::Value(Value::Number(30.0)),
                &Shown::Value(Value::Number(60.0))
            ),
        ]
    );
}

#[test]
fn a_default_the_user_left_out_still_counts() {
    // visibility_timeout_seconds is optional with a default: apply would put 30 back.
    let last = Value::map([("name", s("jobs"))]);
    let cloud = with(
        queue_cloud(),
        "visibility_timeout_seconds",
        Value::Number(45.0),
    );
    let m = M::new(
        "aws_sqs_queue.jobs",
        queue_schema(),
        last.clone(),
        Some(cloud),
    );
    let attrs = changed(m.outcome());
    assert_eq!(attrs.len(), 2, "{attrs:?}"); // the tag the user never set, and the timeout
    assert_eq!(attrs[1].path, "visibility_timeout_seconds");
    assert_eq!(attrs[1].expected, Shown::Value(Value::Number(30.0)));
    // An optional+computed attribute left unset follows the cloud.
    let cloud = with(
        queue_cloud(),
        "message_retention_seconds",
        Value::Number(60.0),
    );
    let cloud = with(cloud, "tags", Value::Null);
    let m = M::new("aws_sqs_queue.jobs", queue_schema(), last, Some(cloud));
    assert_eq!(m.outcome(), Outcome::InSync);
}

#[test]
fn a_force_new_attribute_drifting_reports_only_that_attribute() {
    let cloud = with(queue_cloud(), "name", s("jobs-renamed"));
    let m = M::new(
        "aws_sqs_queue.jobs",
        queue_schema(),
        queue_last(),
        Some(cloud),
    );
    let attrs = changed(m.outcome());
    assert_eq!(attrs.len(), 1, "{attrs:?}");
    assert_eq!(attrs[0].path, "name");
    assert_eq!(attrs[0].actual, Shown::Value(s("jobs-renamed")));
}

#[test]
fn a_policy_rewritten_with_the_same_meaning_is_not_drift() {
    let last = Value::map([("name", s("ci")), ("assume_role_policy", s(POLICY))]);
    // Keys reordered, whitespace changed, and a one-item action list written as a string:
    // what IAM does to a policy.
    let rewritten = "{\n  \"Statement\" : [ {\n    \"Action\" : \"sts:AssumeRole\",\n    \
                     \"Principal\" : { \"Service\" : \"ec2.amazonaws.com\" },\n    \
                     \"Effect\" : \"Allow\"\n  } ],\n  \"Version\" : \"2012-10-17\"\n}";
    let cloud = Value::map([
        ("id", s("ci")),
        ("name", s("ci")),
        ("assume_role_policy", s(rewritten)),
    ]);
    let m = M::new("aws_iam_role.ci", role_schema(), last.clone(), Some(cloud));
    assert_eq!(m.outcome(), Outcome::InSync);

    // A statement changed in meaning is drift, reported on the policy attribute.
    let other = POLICY.replace("ec2.amazonaws.com", "lambda.amazonaws.com");
    let cloud = Value::map([
        ("id", s("ci")),
        ("name", s("ci")),
        ("assume_role_policy", s(&other)),
    ]);
    let m = M::new("aws_iam_role.ci", role_schema(), last, Some(cloud));
    let attrs = changed(m.outcome());
    assert_eq!(attrs.len(), 1);
    assert_eq!(attrs[0].path, "assume_role_policy");
    // Shown in the normal form: compact, one-item lists as their item.
    assert_eq!(
        attrs[0].actual,
        Shown::Value(s(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}"#
        ))
    );
}

#[test]
fn numbers_and_sets_compare_by_meaning() {
    let rule = |cidrs: &[&str], port: Value| {
        Value::map([
            ("from_port", port.clone()),
            ("to_port", port),
            ("protocol", s("tcp")),
            (
                "cidr_blocks",
                Value::List(cidrs.iter().map(|c| s(c)).collect()),
            ),
        ])
    };
    let last = Value::map([
        ("name", s("web")),
        (
            "ingress",
            Value::List(vec![
                rule(&["10.0.0.0/8", "192.168.0.0/16"], Value::Number(443.0)),
                rule(&["0.0.0.0/0"], Value::Number(80.0)),
            ]),
        ),
    ]);
    // Rules and CIDRs in another order, ports as strings, a computed description filled in.
    let mut described = rule(&["0.0.0.0/0"], s("80"));
    described
        .as_map_mut()
        .unwrap()
        .insert("description".into(), s("http"));
    let cloud = Value::map([
        ("id", s("sg-1")),
        ("name", s("web")),
        (
            "ingress",
            Value::List(vec![
                described,
                rule(&["192.168.0.0/16", "10.0.0.0/8"], s("443")),
            ]),
        ),
    ]);
    let m = M::new(
        "aws_security_group.web",
        sg_schema(),
        last.clone(),
        Some(cloud),
    );
    assert_eq!(m.outcome(), Outcome::InSync);

    // A rule added behind terrane's back is drift.
    let cloud = Value::map([
        ("id", s("sg-1")),
        ("name", s("web")),
        (
            "ingress",
            Value::List(vec![
                rule(&["0.0.0.0/0"], Value::Number(80.0)),
                rule(&["10.0.0.0/8", "192.168.0.0/16"], Value::Number(443.0)),
                rule(&["0.0.0.0/0"], Value::Number(22.0)),
            ]),
        ),
    ]);
    let m = M::new("aws_security_group.web", sg_schema(), last, Some(cloud));
    let attrs = changed(m.outcome());
    assert!(
        attrs.iter().all(|a| a.path.starts_with("ingress[2].")),
        "{attrs:?}"
    );
    assert!(
        attrs
            .iter()
            .any(|a| a.path == "ingress[2].from_port"
                && a.actual == Shown::Value(Value::Number(22.0)))
    );
}

#[test]
fn ignore_changes_is_honoured() {
    let cloud = with(
        queue_cloud(),
        "visibility_timeout_seconds",
        Value::Number(60.0),
    );
    let cloud = with(
        cloud,
        "tags",
        Value::map([("Env", s("prod")), ("Owner", s("ops"))]),
    );
    let mut m = M::new(
        "aws_sqs_queue.jobs",
        queue_schema(),
        queue_last(),
        Some(cloud),
    );
    m.lifecycle.ignore_changes = IgnoreChanges::Paths(vec![
        "visibility_timeout_seconds".into(),
        "tags.Owner".into(),
    ]);
    assert_eq!(m.outcome(), Outcome::InSync);
    m.lifecycle.ignore_changes = IgnoreChanges::Paths(vec!["tags".into()]);
    let attrs = changed(m.outcome());
    assert_eq!(attrs.len(), 1);
    assert_eq!(attrs[0].path, "visibility_timeout_seconds");
    m.lifecycle.ignore_changes = IgnoreChanges::All;
    assert_eq!(m.outcome(), Outcome::InSync);
}

#[test]
fn sensitive_values_never_reach_the_report() {
    let last = Value::map([
        ("instance_class", s("db.t3.micro")),
        ("password", s("old-secret")),
        ("user_data", s("var-secret-1")),
    ]);
    let cloud = Value::map([
        ("id", s("db")),
        ("instance_class", s("db.t3.micro")),
        ("password", s("new-secret")),
        ("user_data", s("var-secret-2")),
    ]);
    let mut m = M::new("aws_db_instance.main", db_schema(), last, Some(cloud));
    m.sensitive.insert("user_data".into());
    let attrs = changed(m.outcome());
    assert_eq!(attrs.len(), 2);
    for a in &attrs {
        assert!(a.sensitive, "{a:?}");
        assert_eq!(a.expected, Shown::Sensitive);
        assert_eq!(a.actual, Shown::Sensitive);
    }
    let dump = format!("{attrs:?}");
    assert!(!dump.contains("secret"), "{dump}");
}

#[test]
fn a_missing_cloud_object_is_deleted() {
    let m = M::new("aws_sqs_queue.jobs", queue_schema(), queue_last(), None);
    assert_eq!(m.outcome(), Outcome::Deleted);
}

/// Plans one resource as the engine does: configuration, refreshed cloud, last applied.
pub(crate) fn planned(
    schema: &Schema,
    config: Option<&Value>,
    cloud: Option<&Value>,
    last: Option<&Value>,
    lifecycle: &Lifecycle,
) -> crate::plan::Change {
    crate::plan::diff_resource(crate::plan::DiffInput {
        address: "aws_sqs_queue.jobs",
        type_name: schema.type_name,
        provider: "aws",
        schema,
        config,
        cloud,
        last_applied: last,
        lifecycle,
        sensitive_attrs: &BTreeSet::new(),
        deletion_policy: crate::config::DeletionPolicy::Delete,
        management: crate::config::Management::Full,
        replace_triggered: None,
        dependencies: &[],
    })
}

fn pending(
    config: Option<&Value>,
    cloud: Option<&Value>,
    last: Option<&Value>,
    lifecycle: &Lifecycle,
) -> Option<PendingChange> {
    let schema = queue_schema();
    let c = planned(&schema, config, cloud, last, lifecycle);
    pending_from_change(&c, &schema, None)
}

#[test]
fn pending_changes_are_the_plans_configuration_changes_and_never_drift() {
    let lc = Lifecycle::default();
    let last = queue_last();
    let cloud = queue_cloud();
    assert_eq!(pending(Some(&last), Some(&cloud), Some(&last), &lc), None);
    // Same meaning, other spelling: not pending.
    let same = with(last.clone(), "visibility_timeout_seconds", s("30"));
    assert_eq!(pending(Some(&same), Some(&cloud), Some(&last), &lc), None);
    // Drift alone: not pending.
    let drifted = with(
        cloud.clone(),
        "visibility_timeout_seconds",
        Value::Number(60.0),
    );
    assert_eq!(pending(Some(&last), Some(&drifted), Some(&last), &lc), None);

    // A changed attribute, next to a drifted tag that is left out.
    let cfg = with(
        last.clone(),
        "visibility_timeout_seconds",
        Value::Number(90.0),
    );
    let tagged = with(cloud.clone(), "tags", Value::map([("Env", s("dev"))]));
    let p = pending(Some(&cfg), Some(&tagged), Some(&last), &lc).unwrap();
    assert_eq!(p.action, Action::Update);
    assert_eq!(p.attrs.len(), 1, "{p:?}");
    assert_eq!(p.attrs[0].path, "visibility_timeout_seconds");
    assert_eq!(p.attrs[0].expected, Shown::Value(Value::Number(30.0)));
    assert_eq!(p.attrs[0].actual, Shown::Value(Value::Number(90.0)));

    // A force_new attribute: replace, listing that attribute and not the computed ones.
    let cfg = with(last.clone(), "name", s("jobs2"));
    let p = pending(Some(&cfg), Some(&cloud), Some(&last), &lc).unwrap();
    assert_eq!(p.action, Action::Replace);
    assert_eq!(
        p.attrs.iter().map(|a| a.path.as_str()).collect::<Vec<_>>(),
        ["name"]
    );
    // A force_new attribute that drifted: apply would replace, but nothing is pending.
    let renamed = with(cloud.clone(), "name", s("jobs-renamed"));
    assert_eq!(pending(Some(&last), Some(&renamed), Some(&last), &lc), None);

    // Ignored attributes are not pending either.
    let cfg = with(
        last.clone(),
        "visibility_timeout_seconds",
        Value::Number(90.0),
    );
    let ignoring = Lifecycle {
        ignore_changes: IgnoreChanges::Paths(vec!["visibility_timeout_seconds".into()]),
        ..Lifecycle::default()
    };
    assert_eq!(
        pending(Some(&cfg), Some(&cloud), Some(&last), &ignoring),
        None
    );

    // New in the configuration: create. Deleted in the cloud: drift, not pending.
    let p = pending(Some(&last), None, None, &lc).unwrap();
    assert_eq!((p.action, p.attrs.len()), (Action::Create, 0));
    assert_eq!(pending(Some(&last), None, Some(&last), &lc), None);
    // Removed from the configuration: delete.
    let p = pending(None, Some(&cloud), Some(&last), &lc).unwrap();
    assert_eq!(p.action, Action::Delete);
}

fn listed(type_name: &str, id: &str, tags: &[(&str, &str)]) -> Listed {
    Listed {
        type_name: type_name.into(),
        id: id.into(),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

#[test]
fn builder_files_drift_unmanaged_and_ignores_and_sets_the_exit_code() {
    let ignore = IgnoreRules::parse(
        ".terraneignore",
        "aws_sqs_queue.noisy.tags\naws_sqs_queue.gone_ok\naws_s3_bucket.cdk-*\n",
    )
    .unwrap();
    let mut b = ReportBuilder::new(ReportMeta::default(), &ignore);
    let tagged = with(
        queue_cloud(),
        "tags",
        Value::map([("Env", s("prod")), ("X", s("y"))]),
    );
    // In sync; drift wholly ignored; drift partly ignored; deleted; deletion ignored.
    let ok = M::new(
        "aws_sqs_queue.ok",
        queue_schema(),
        queue_last(),
        Some(queue_cloud()),
    );
    let noisy = M::new(
        "aws_sqs_queue.noisy",
        queue_schema(),
        queue_last(),
        Some(tagged.clone()),
    );
    let both = with(tagged, "visibility_timeout_seconds", Value::Number(5.0));
    let partly = M::new(
        "aws_sqs_queue.noisy2",
        queue_schema(),
        queue_last(),
        Some(both),
    );
    let gone = M::new("aws_sqs_queue.gone", queue_schema(), queue_last(), None);
    let gone_ok = M::new("aws_sqs_queue.gone_ok", queue_schema(), queue_last(), None);
    for m in [&ok, &noisy, &partly, &gone, &gone_ok] {
        b.managed(&m.input());
    }
    let report = b.finish();
    assert_eq!(report.summary.checked, 5);
    assert_eq!(report.changed.len(), 1);
    assert_eq!(report.changed[0].address, "aws_sqs_queue.noisy2");
    assert_eq!(report.changed[0].attrs.len(), 2);
    assert_eq!(report.deleted.len(), 1);
    assert_eq!(
        report
            .in_sync
            .iter()
            .map(|i| i.address.as_str())
            .collect::<Vec<_>>(),
        ["aws_sqs_queue.noisy", "aws_sqs_queue.ok"]
    );
    assert_eq!(
        report.summary.ignored,
        IgnoredCounts {
            attributes: 1,
            resources: 2,
            unmanaged: 0
        }
    );
    assert_eq!(report.exit_code(), 2);
    assert!(!report.summary.unmanaged_checked);

    // Unmanaged: managed by id, owned by tag, ignored, and two truly unmanaged.
    let mut ids = ManagedIds::new();
    ids.insert("aws_s3_bucket", "logs");
    let mut b = ReportBuilder::new(ReportMeta::default(), &ignore);
    b.listed(
        "aws_s3_bucket",
        &[
            listed("aws_s3_bucket", "logs", &[]),
            listed("aws_s3_bucket", "other-stack", &[("terrane:stack", "prod")]),
            listed("aws_s3_bucket", "cdk-assets-1", &[]),
            listed("aws_s3_bucket", "handmade", &[("Owner", "bob")]),
        ],
        |l| ids.contains(l),
    );
    b.listed(
        "aws_sqs_queue",
        &[listed("aws_sqs_queue", "http://q/legacy", &[])],
        |l| ids.contains(l),
    );
    b.listed("aws_sns_topic", &[], |l| ids.contains(l));
    let report = b.finish();
    assert_eq!(
        report
            .unmanaged
            .iter()
            .map(|u| u.id.as_str())
            .collect::<Vec<_>>(),
        ["handmade", "http://q/legacy"]
    );
    assert_eq!(report.summary.ignored.unmanaged, 1);
    let cov: Vec<(&str, usize, usize, Option<f64>)> = report
        .coverage
        .iter()
        .map(|c| (c.type_name.as_str(), c.managed, c.unmanaged, c.ratio()))
        .collect();
    assert_eq!(
        cov,
        [
            ("aws_s3_bucket", 2, 2, Some(0.5)),
            ("aws_sns_topic", 0, 0, None),
            ("aws_sqs_queue", 0, 1, Some(0.0)),
        ]
    );
    assert_eq!(report.exit_code(), 2);
}

#[test]
fn pending_alone_does_not_make_drift() {
    let ignore = IgnoreRules::none();
    let mut b = ReportBuilder::new(ReportMeta::default(), &ignore);
    let ok = M::new(
        "aws_sqs_queue.ok",
        queue_schema(),
        queue_last(),
        Some(queue_cloud()),
    );
    b.managed(&ok.input());
    let cfg = with(
        queue_last(),
        "visibility_timeout_seconds",
        Value::Number(90.0),
    );
    let p = pending(
        Some(&cfg),
        Some(&queue_cloud()),
        Some(&queue_last()),
        &Lifecycle::default(),
    )
    .unwrap();
    b.pending(p);
    b.unmanaged_checked();
    let report = b.finish();
    assert_eq!(report.summary.pending, 1);
    assert!(!report.summary.has_drift());
    assert_eq!(report.exit_code(), 0);
}
