//! Snapshot tests of the three renderers on one plan with every action, plus masking and the
//! Markdown size limit.

use super::{json, markdown, text};
use crate::config::{DeletionPolicy, Lifecycle, Management};
use crate::plan::{diff_resource, Change, DiffInput, OutputChange, Plan, PlanMeta};
use std::collections::BTreeSet;
use terrane_provider::{AttrType, Attribute, Block, BlockSchema, Schema, Value};

const SECRET: &str = "s3cr3t-Pa55word";
const SECRET_VAR: &str = "from-a-sensitive-variable";
const SECRET_NESTED: &str = "nested-kms-key-secret";

fn s(x: &str) -> Value {
    Value::string(x)
}

fn bucket_schema() -> Schema {
    Schema::managed(
        "aws_s3_bucket",
        Block::new()
            .attr("id", Attribute::computed(AttrType::String))
            .attr("arn", Attribute::computed(AttrType::String))
            .attr("bucket", Attribute::required(AttrType::String).force_new())
            .attr(
                "force_destroy",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            )
            .attr("policy", Attribute::optional(AttrType::Json))
            .attr(
                "tags",
                Attribute::optional(AttrType::Map(Box::new(AttrType::String))),
            ),
    )
}

fn db_schema() -> Schema {
    Schema::managed(
        "aws_db_instance",
        Block::new()
            .attr("id", Attribute::computed(AttrType::String))
            .attr(
                "identifier",
                Attribute::required(AttrType::String).force_new(),
            )
            .attr("instance_class", Attribute::required(AttrType::String))
            .attr(
                "password",
                Attribute::optional(AttrType::String).sensitive(),
            )
            .attr("user_data", Attribute::optional(AttrType::String))
            .block(
                "encryption",
                BlockSchema::list(
                    Block::new()
                        .attr("kms_key", Attribute::optional(AttrType::String).sensitive())
                        .attr("enabled", Attribute::optional(AttrType::Bool)),
                ),
            ),
    )
}

fn ami_schema() -> Schema {
    Schema::data(
        "aws_ami",
        Block::new()
            .attr("name", Attribute::required(AttrType::String))
            .attr("id", Attribute::computed(AttrType::String)),
    )
}

struct R<'a> {
    address: &'a str,
    schema: Schema,
    config: Option<Value>,
    cloud: Option<Value>,
    last: Option<Value>,
    lifecycle: Lifecycle,
    sensitive: BTreeSet<String>,
    deletion: DeletionPolicy,
    management: Management,
}

impl<'a> R<'a> {
    fn new(address: &'a str, schema: Schema) -> Self {
        R {
            address,
            schema,
            config: None,
            cloud: None,
            last: None,
            lifecycle: Lifecycle::default(),
            sensitive: BTreeSet::new(),
            deletion: DeletionPolicy::Delete,
            management: Management::Full,
        }
    }
    fn config(mut self, v: Value) -> Self {
        self.config = Some(v);
        self
    }
    fn cloud(mut self, v: Value) -> Self {
        self.cloud = Some(v);
        self
    }
    fn diff(&self) -> Change {
        diff_resource(DiffInput {
            address: self.address,
            type_name: self.schema.type_name,
            provider: "aws",
            schema: &self.schema,
            config: self.config.as_ref(),
            cloud: self.cloud.as_ref(),
            last_applied: self.last.as_ref(),
            lifecycle: &self.lifecycle,
            sensitive_attrs: &self.sensitive,
            deletion_policy: self.deletion,
            management: self.management,
            replace_triggered: None,
            dependencies: &[],
        })
    }
}

fn bucket_cloud(name: &str) -> Value {
    Value::map([
        ("id", s(name)),
        ("arn", s(&format!("arn:aws:s3:::{name}"))),
        ("bucket", s(name)),
        ("force_destroy", Value::Bool(false)),
        ("tags", Value::map([("Env", s("dev"))])),
    ])
}

fn meta() -> PlanMeta {
    PlanMeta {
        stack: "prod".into(),
        commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        commit_message: Some("Grow the database <and> rename buckets\n\nlong body".into()),
        created_at: "2026-11-05T10:00:00Z".into(),
        config_hash: "sha256:cfg".into(),
        store_fingerprint: "sha256:store".into(),
        cloud_fingerprint: "sha256:cloud".into(),
        terrane_version: "0.1.0".into(),
        git: None,
    }
}

/// One plan with every action: create, update (with drift), replace, delete (blocked by
/// prevent_destroy), read, forget, no-op, and observe-only drift; secrets in several places.
fn every_action_plan() -> Plan {
    let mut changes = Vec::new();

    // Create, with a schema-sensitive attribute, a sensitive-variable attribute and a nested
    // sensitive attribute.
    let mut create = R::new("aws_db_instance.main", db_schema()).config(Value::map([
        ("identifier", s("main")),
        ("instance_class", s("db.t3.micro")),
        ("password", s(SECRET)),
        ("user_data", s(SECRET_VAR)),
        (
            "encryption",
            Value::List(vec![Value::map([
                ("kms_key", s(SECRET_NESTED)),
                ("enabled", Value::Bool(true)),
            ])]),
        ),
    ]));
    create.sensitive.insert("user_data".into());
    changes.push(create.diff());

    // Update: config changed a tag; the policy drifted in the cloud.
    let policy = r#"{"Version":"2012-10-17","Statement":[]}"#;
    let mut cfg = bucket_cloud("logs");
    cfg.as_map_mut().unwrap().remove("id");
    cfg.as_map_mut().unwrap().remove("arn");
    let mut last = cfg.clone();
    last.as_map_mut()
        .unwrap()
        .insert("policy".into(), s(policy));
    cfg.as_map_mut().unwrap().insert(
        "tags".into(),
        Value::map([("Env", s("prod")), ("Team", s("data"))]),
    );
    cfg.as_map_mut().unwrap().insert("policy".into(), s(policy));
    let mut cloud = bucket_cloud("logs");
    cloud.as_map_mut().unwrap().insert(
        "policy".into(),
        s(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}"#),
    );
    let mut update = R::new("aws_s3_bucket.logs", bucket_schema())
        .config(cfg)
        .cloud(cloud);
    update.last = Some(last);
    changes.push(update.diff());

    // Replace: the bucket name forces it; create before destroy.
    let mut replace = R::new("module.site.aws_s3_bucket.assets[\"eu\"]", bucket_schema())
        .config(Value::map([
            ("bucket", s("assets-eu-2")),
            ("tags", Value::map([("Env", s("dev"))])),
        ]))
        .cloud(bucket_cloud("assets-eu"));
    replace.lifecycle.create_before_destroy = true;
    changes.push(replace.diff());

    // Delete, protected by prevent_destroy, holding a secret in the cloud value.
    let mut delete = R::new("aws_db_instance.old", db_schema()).cloud(Value::map([
        ("id", s("old")),
        ("identifier", s("old")),
        ("instance_class", s("db.t3.small")),
        ("password", s(SECRET)),
    ]));
    delete.lifecycle.prevent_destroy = true;
    changes.push(delete.diff());

    // Plain delete.
    changes.push(
        R::new("aws_s3_bucket.tmp", bucket_schema())
            .cloud(bucket_cloud("tmp"))
            .diff(),
    );

    // Read during apply.
    changes.push(
        R::new("data.aws_ami.base", ami_schema())
            .config(Value::map([("name", Value::Unknown)]))
            .diff(),
    );

    // Forget (deletionPolicy: Orphan).
    let mut forget =
        R::new("aws_s3_bucket.archive", bucket_schema()).cloud(bucket_cloud("archive"));
    forget.deletion = DeletionPolicy::Orphan;
    changes.push(forget.diff());

    // No-op.
    let mut same = bucket_cloud("same");
    same.as_map_mut().unwrap().remove("arn");
    changes.push(
        R::new("aws_s3_bucket.same", bucket_schema())
            .config(same)
            .cloud(bucket_cloud("same"))
            .diff(),
    );

    // Observe-only resource that drifted.
    let mut observed = R::new("aws_s3_bucket.shared", bucket_schema())
        .config(Value::map([
            ("bucket", s("shared")),
            ("tags", Value::map([("Env", s("dev"))])),
        ]))
        .cloud({
            let mut v = bucket_cloud("shared");
            v.as_map_mut()
                .unwrap()
                .insert("tags".into(), Value::map([("Env", s("hacked"))]));
            v
        });
    observed.management = Management::ObserveOnly;
    changes.push(observed.diff());

    let outputs = vec![
        OutputChange {
            name: "bucket_arn".into(),
            before: None,
            after: Some(Value::Unknown),
            sensitive: false,
        },
        OutputChange {
            name: "db_password".into(),
            before: Some(s("old-value")),
            after: Some(s(SECRET)),
            sensitive: true,
        },
        OutputChange {
            name: "region".into(),
            before: Some(s("eu-west-1")),
            after: Some(s("eu-west-1")),
            sensitive: false,
        },
    ];
    Plan::new(meta(), changes, outputs)
}

#[test]
fn every_action_has_one_change() {
    let plan = every_action_plan();
    let s = plan.summary;
    assert_eq!(
        (s.create, s.update, s.replace, s.delete, s.read, s.forget, s.noop),
        (1, 1, 1, 2, 1, 1, 2)
    );
    assert_eq!(plan.prevent_destroy_violations().len(), 1);
}

#[test]
fn text_snapshot() {
    insta::assert_snapshot!("text", text::render(&every_action_plan(), false));
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!("json", json::render(&every_action_plan()));
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!("markdown", markdown::render(&every_action_plan()));
}

#[test]
fn secrets_never_appear_in_any_rendering() {
    let plan = every_action_plan();
    let outputs = [
        text::render(&plan, false),
        text::render(&plan, true),
        json::render(&plan),
        markdown::render(&plan),
    ];
    for out in &outputs {
        for secret in [SECRET, SECRET_VAR, SECRET_NESTED] {
            assert!(!out.contains(secret), "{secret} leaked into:\n{out}");
        }
    }
    // ... while the saved plan file keeps them, so apply can use them.
    assert!(plan.to_file_string().unwrap().contains(SECRET));
    assert!(outputs[0].contains("(sensitive value)"));
    assert!(outputs[2].contains("(sensitive)"));
}

#[test]
fn json_is_valid_and_stable() {
    let plan = every_action_plan();
    let doc: serde_json::Value = serde_json::from_str(&json::render(&plan)).unwrap();
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["summary"]["delete"], 2);
    let changes = doc["changes"].as_array().unwrap();
    assert_eq!(changes.len(), plan.changes.len());
    let create = &changes[0];
    assert_eq!(create["action"], "create");
    let id = create["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "id")
        .unwrap();
    assert_eq!(id["after"], "(known after apply)");
    assert_eq!(create["after"]["password"], "(sensitive)");
    assert_eq!(create["after"]["encryption"][0]["kms_key"], "(sensitive)");
    assert_eq!(create["after"]["encryption"][0]["enabled"], true);
}

#[test]
fn colour_only_when_asked() {
    let plan = every_action_plan();
    assert!(!text::render(&plan, false).contains('\x1b'));
    assert!(text::render(&plan, true).contains("\x1b[32m+"));
}

#[test]
fn no_changes_message() {
    let same = bucket_cloud("same");
    let c = R::new("aws_s3_bucket.same", bucket_schema())
        .config(same.clone())
        .cloud(same)
        .diff();
    let plan = Plan::new(meta(), vec![c], vec![]);
    assert!(!plan.has_changes());
    let t = text::render(&plan, false);
    assert_eq!(
        t,
        "No changes. Your infrastructure matches the configuration.\n"
    );
    let md = markdown::render(&plan);
    assert!(md.contains("No changes. Your infrastructure matches the configuration."));
    assert!(md.starts_with("## terrane plan for `prod` at `0123456789ab`"));
}

#[test]
fn markdown_truncates_to_the_comment_limit() {
    let mut changes = Vec::new();
    for i in 0..2000 {
        let addr = format!("aws_s3_bucket.b{i:04}");
        let change = if i % 100 == 0 {
            // 20 deletions: the destructive list must stay whole.
            R::new(&addr, bucket_schema())
                .cloud(bucket_cloud(&format!("bucket-{i}")))
                .diff()
        } else {
            R::new(&addr, bucket_schema())
                .config(Value::map([
                    ("bucket", s(&format!("bucket-number-{i}"))),
                    (
                        "tags",
                        Value::map([("Env", s("prod")), ("Index", s(&i.to_string()))]),
                    ),
                ]))
                .diff()
        };
        changes.push(change);
    }
    let plan = Plan::new(meta(), changes, vec![]);
    let md = markdown::render(&plan);
    assert!(md.len() <= markdown::MAX_COMMENT_LEN, "{} bytes", md.len());
    assert!(
        md.contains("| 1980 | 0 | 0 | 20 | 0 | 0 |"),
        "summary table intact"
    );
    assert!(md.contains("### Destructive changes (20)"));
    for i in (0..2000).step_by(100) {
        assert!(
            md.contains(&format!("- **delete** `aws_s3_bucket.b{i:04}`")),
            "destructive entry {i} missing"
        );
    }
    let shown = md.matches("<details>").count();
    assert!(shown > 10 && shown < 2000, "{shown} sections shown");
    let note = format!(
        "_{} of 2000 change details left out to fit the comment size limit",
        2000 - shown
    );
    assert!(md.contains(&note), "truncation note missing");
    // Every opened section is closed: the cut falls between sections.
    assert_eq!(shown, md.matches("</details>").count());
}

fn base_for_every_action() -> crate::plan::files::BaseComparison {
    use crate::plan::files::{BaseComparison, ChangedFile, FileStatus};
    let file = |p: &str, status| ChangedFile {
        path: p.to_string(),
        status,
    };
    BaseComparison {
        base_ref: "main".into(),
        base_commit: "fedcba9876543210fedcba9876543210fedcba98".into(),
        files: vec![
            file("README.md", FileStatus::Modified),
            file("infra/db.tf", FileStatus::Modified),
            file("infra/old.tf", FileStatus::Deleted),
            file("modules/site/main.tf", FileStatus::Added),
        ],
        declared_in: [
            ("aws_db_instance.main", "infra/db.tf"),
            ("aws_db_instance.old", "infra/old.tf"),
            ("aws_s3_bucket.tmp", "infra/old.tf"),
            (
                "module.site.aws_s3_bucket.assets[\"eu\"]",
                "modules/site/main.tf",
            ),
            ("aws_s3_bucket.logs", "infra/main.tf"),
            ("aws_s3_bucket.same", "infra/db.tf"),
        ]
        .into_iter()
        .map(|(a, f)| (a.to_string(), f.to_string()))
        .collect(),
    }
}

#[test]
fn markdown_with_base_snapshot() {
    let plan = every_action_plan();
    let md = markdown::render_with_base(
        &plan,
        Some(&base_for_every_action()),
        markdown::MAX_COMMENT_LEN,
    );
    // The section sits between the destructive changes and the details, secrets still masked.
    let section = md.find("### Changed files (4 against `main` at `fedcba987654`)");
    assert!(section > md.find("### Destructive changes") && section < md.find("### Changes"));
    for secret in [SECRET, SECRET_VAR, SECRET_NESTED] {
        assert!(!md.contains(secret));
    }
    insta::assert_snapshot!("markdown_base", md);
}

#[test]
fn markdown_with_base_fits_the_comment_limit() {
    use crate::plan::files::{BaseComparison, ChangedFile, FileStatus};
    let mut changes = Vec::new();
    let mut base = BaseComparison {
        base_ref: "main".into(),
        base_commit: "fedcba9876543210".into(),
        ..Default::default()
    };
    for i in 0..2000 {
        let addr = format!("aws_s3_bucket.b{i:04}");
        changes.push(
            R::new(&addr, bucket_schema())
                .config(Value::map([("bucket", s(&format!("bucket-number-{i}")))]))
                .diff(),
        );
        let file = format!("infra/buckets/bucket_{i:04}.tf");
        base.files.push(ChangedFile {
            path: file.clone(),
            status: FileStatus::Added,
        });
        base.declared_in.insert(addr, file);
    }
    let plan = Plan::new(meta(), changes, vec![]);
    let md = markdown::render_with_base(&plan, Some(&base), markdown::MAX_COMMENT_LEN);
    assert!(md.len() <= markdown::MAX_COMMENT_LEN, "{} bytes", md.len());
    assert!(
        md.contains("| 2000 | 0 | 0 | 0 | 0 | 0 |"),
        "summary intact"
    );
    assert!(
        md.contains("- `infra/buckets/bucket_0000.tf` (added): **create** `aws_s3_bucket.b0000`")
    );
    assert!(md.contains("more lines left out to fit the comment size limit"));
    assert!(!md.contains("bucket_1999.tf"));
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
}
