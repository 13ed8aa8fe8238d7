use super::*;
use terrane_provider::{AttrType, Attribute, BlockSchema};

fn s(x: &str) -> Value {
    Value::string(x)
}
fn n(x: f64) -> Value {
    Value::Number(x)
}
fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::map(pairs)
}
fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

/// An `aws_instance`-like schema exercising every kind of attribute and block.
fn schema() -> Schema {
    let str_list = || AttrType::List(Box::new(AttrType::String));
    let ingress = Block::new()
        .attr("from_port", Attribute::required(AttrType::Number))
        .attr("to_port", Attribute::required(AttrType::Number))
        .attr("cidr_blocks", Attribute::optional(str_list()))
        .attr("description", Attribute::optional(AttrType::String));
    let root = Block::new()
        .attr(
            "volume_size",
            Attribute::optional_computed(AttrType::Number),
        )
        .attr("encrypted", Attribute::optional(AttrType::Bool))
        .attr("volume_id", Attribute::computed(AttrType::String));
    let ebs = Block::new()
        .attr("device", Attribute::required(AttrType::String))
        .attr("size", Attribute::optional(AttrType::Number))
        .attr("kms_key", Attribute::optional(AttrType::String).sensitive());
    Schema::managed(
        "aws_instance",
        Block::new()
            .attr("id", Attribute::computed(AttrType::String))
            .attr("arn", Attribute::computed(AttrType::String))
            .attr("ami", Attribute::required(AttrType::String).force_new())
            .attr("instance_type", Attribute::required(AttrType::String))
            .attr(
                "tags",
                Attribute::optional(AttrType::Map(Box::new(AttrType::String))),
            )
            .attr(
                "tags_all",
                Attribute::computed(AttrType::Map(Box::new(AttrType::String))),
            )
            .attr(
                "timeout",
                Attribute::optional(AttrType::Number).default(n(30.0)),
            )
            .attr("policy", Attribute::optional(AttrType::Json))
            .attr(
                "security_groups",
                Attribute::optional_computed(AttrType::Set(Box::new(AttrType::String))),
            )
            .attr(
                "password",
                Attribute::optional(AttrType::String).sensitive(),
            )
            .attr("user_data", Attribute::optional(AttrType::String))
            .block("ingress", BlockSchema::set(ingress))
            .block("root_block_device", BlockSchema::single(root).force_new())
            .block("ebs", BlockSchema::list(ebs)),
    )
}

fn cloud() -> Value {
    obj([
        ("id", s("i-123")),
        ("arn", s("arn:aws:ec2:i-123")),
        ("ami", s("ami-1")),
        ("instance_type", s("t3.micro")),
        ("tags", obj([("Env", s("dev")), ("Owner", s("ops"))])),
        ("tags_all", obj([("Env", s("dev")), ("Owner", s("ops"))])),
        ("timeout", n(30.0)),
        ("policy", s(r#"{"Version":"2012-10-17","Statement":[]}"#)),
        ("security_groups", list(vec![s("sg-a"), s("sg-b")])),
        ("password", s("hunter2")),
        ("user_data", Value::Null),
        (
            "ingress",
            list(vec![
                obj([("from_port", n(80.0)), ("to_port", n(80.0))]),
                obj([
                    ("from_port", n(443.0)),
                    ("to_port", n(443.0)),
                    ("cidr_blocks", list(vec![s("0.0.0.0/0")])),
                ]),
            ]),
        ),
        (
            "root_block_device",
            list(vec![obj([
                ("volume_size", n(8.0)),
                ("encrypted", Value::Bool(false)),
                ("volume_id", s("vol-1")),
            ])]),
        ),
        ("ebs", list(vec![])),
    ])
}

/// The config that matches `cloud()`, written the way a user would (different order, JSON
/// spacing, numbers as strings, computed things left out).
fn config() -> Value {
    obj([
        ("ami", s("ami-1")),
        ("instance_type", s("t3.micro")),
        ("tags", obj([("Env", s("dev")), ("Owner", s("ops"))])),
        (
            "policy",
            s("{\n  \"Statement\": [],\n  \"Version\": \"2012-10-17\"\n}"),
        ),
        ("password", s("hunter2")),
        (
            "ingress",
            list(vec![
                obj([
                    ("from_port", s("443")),
                    ("to_port", n(443.0)),
                    ("cidr_blocks", list(vec![s("0.0.0.0/0")])),
                    ("description", s("")),
                ]),
                obj([("from_port", n(80.0)), ("to_port", n(80.0))]),
            ]),
        ),
        (
            "root_block_device",
            obj([("encrypted", Value::Bool(false))]),
        ),
    ])
}

struct Case {
    schema: Schema,
    config: Option<Value>,
    cloud: Option<Value>,
    last: Option<Value>,
    lifecycle: Lifecycle,
    sensitive: BTreeSet<String>,
    deletion: DeletionPolicy,
    management: Management,
    triggered: Option<String>,
}

impl Case {
    fn new(config: Option<Value>, cloud: Option<Value>) -> Case {
        Case {
            schema: schema(),
            config,
            cloud,
            last: None,
            lifecycle: Lifecycle::default(),
            sensitive: BTreeSet::new(),
            deletion: DeletionPolicy::Delete,
            management: Management::Full,
            triggered: None,
        }
    }
    fn run(&self) -> Change {
        diff_resource(DiffInput {
            address: "aws_instance.web",
            type_name: "aws_instance",
            provider: "aws",
            schema: &self.schema,
            config: self.config.as_ref(),
            cloud: self.cloud.as_ref(),
            last_applied: self.last.as_ref(),
            lifecycle: &self.lifecycle,
            sensitive_attrs: &self.sensitive,
            deletion_policy: self.deletion,
            management: self.management,
            replace_triggered: self.triggered.as_deref(),
            dependencies: &[],
        })
    }
}

fn set(v: &mut Value, key: &str, x: Value) {
    v.as_map_mut().unwrap().insert(key.to_string(), x);
}

fn paths(c: &Change) -> Vec<&str> {
    c.attrs.iter().map(|a| a.path.as_str()).collect()
}

fn attr<'a>(c: &'a Change, path: &str) -> &'a AttrChange {
    c.attrs
        .iter()
        .find(|a| a.path == path)
        .unwrap_or_else(|| panic!("no change at {path}: {:?}", paths(c)))
}

#[test]
fn matching_config_is_a_noop() {
    let c = Case::new(Some(config()), Some(cloud())).run();
    assert_eq!(c.action, Action::NoOp, "{:?}", c.attrs);
    assert!(c.attrs.is_empty());
    assert!(c.reasons.is_empty());
    // The planned value keeps computed and optional+computed values from the cloud.
    let after = c.after.unwrap();
    assert_eq!(after.get("id"), Some(&s("i-123")));
    assert_eq!(
        after.get("security_groups"),
        Some(&list(vec![s("sg-a"), s("sg-b")]))
    );
}

#[test]
fn create_shows_computed_as_unknown() {
    let c = Case::new(Some(config()), None).run();
    assert_eq!(c.action, Action::Create);
    assert_eq!(c.reasons, vec![Reason::NewInConfig]);
    assert_eq!(attr(&c, "arn").after, Some(Value::Unknown));
    assert_eq!(attr(&c, "arn").before, None);
    assert_eq!(attr(&c, "security_groups").after, Some(Value::Unknown));
    assert_eq!(attr(&c, "tags.Env").after, Some(s("dev")));
    assert_eq!(attr(&c, "timeout").after, Some(n(30.0)), "schema default");
    assert_eq!(
        attr(&c, "root_block_device[0].volume_id").after,
        Some(Value::Unknown)
    );
    let after = c.after.unwrap();
    assert_eq!(after.get("id"), Some(&Value::Unknown));
    assert!(c.before.is_none());
}

#[test]
fn create_after_deletion_in_cloud_says_gone() {
    let mut case = Case::new(Some(config()), None);
    case.last = Some(config());
    let c = case.run();
    assert_eq!(c.action, Action::Create);
    assert_eq!(c.reasons, vec![Reason::Gone]);
}

#[test]
fn update_in_place() {
    let mut cfg = config();
    set(&mut cfg, "instance_type", s("t3.large"));
    set(
        &mut cfg,
        "tags",
        obj([("Env", s("prod")), ("Owner", s("ops"))]),
    );
    let c = Case::new(Some(cfg), Some(cloud())).run();
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.reasons, vec![Reason::ConfigChanged]);
    assert_eq!(paths(&c), vec!["instance_type", "tags.Env"]);
    let it = attr(&c, "instance_type");
    assert_eq!(it.before, Some(s("t3.micro")));
    assert_eq!(it.after, Some(s("t3.large")));
    assert!(!it.forces_replacement && !it.drift);
    let after = c.after.unwrap();
    assert_eq!(
        after.get("arn"),
        Some(&s("arn:aws:ec2:i-123")),
        "computed kept"
    );
}

#[test]
fn force_new_attribute_replaces() {
    let mut cfg = config();
    set(&mut cfg, "ami", s("ami-2"));
    set(&mut cfg, "instance_type", s("t3.large"));
    let mut case = Case::new(Some(cfg), Some(cloud()));
    case.lifecycle.create_before_destroy = true;
    let c = case.run();
    assert_eq!(c.action, Action::Replace);
    assert!(c.create_before_destroy);
    assert!(c
        .reasons
        .contains(&Reason::ForcesReplacement(vec!["ami".to_string()])));
    assert!(attr(&c, "ami").forces_replacement);
    assert!(!attr(&c, "instance_type").forces_replacement);
    assert_eq!(attr(&c, "id").after, Some(Value::Unknown));
    assert_eq!(attr(&c, "id").before, Some(s("i-123")));
    assert_eq!(c.after.unwrap().get("arn"), Some(&Value::Unknown));
}

#[test]
fn change_inside_force_new_block_replaces() {
    let mut cfg = config();
    set(
        &mut cfg,
        "root_block_device",
        obj([("encrypted", Value::Bool(true))]),
    );
    let c = Case::new(Some(cfg), Some(cloud())).run();
    assert_eq!(c.action, Action::Replace);
    assert_eq!(
        c.reasons,
        vec![
            Reason::ConfigChanged,
            Reason::ForcesReplacement(vec!["root_block_device[0].encrypted".to_string()])
        ]
    );
    assert!(attr(&c, "root_block_device[0].encrypted").forces_replacement);
}

#[test]
fn replace_triggered_by_reference() {
    let mut case = Case::new(Some(config()), Some(cloud()));
    case.triggered = Some("aws_launch_template.lt".into());
    let c = case.run();
    assert_eq!(c.action, Action::Replace);
    assert_eq!(
        c.reasons,
        vec![Reason::ReplaceTriggeredBy("aws_launch_template.lt".into())]
    );
}

#[test]
fn removed_from_config_deletes() {
    let c = Case::new(None, Some(cloud())).run();
    assert_eq!(c.action, Action::Delete);
    assert_eq!(c.reasons, vec![Reason::RemovedFromConfig]);
    assert!(c.after.is_none());
    let id = attr(&c, "id");
    assert_eq!(
        (id.before.clone(), id.after.clone()),
        (Some(s("i-123")), None)
    );
    assert!(!c.blocked_by_prevent_destroy());
}

#[test]
fn prevent_destroy_flags_delete_and_replace() {
    let mut case = Case::new(None, Some(cloud()));
    case.lifecycle.prevent_destroy = true;
    assert!(case.run().blocked_by_prevent_destroy());

    let mut cfg = config();
    set(&mut cfg, "ami", s("ami-2"));
    case.config = Some(cfg);
    assert!(case.run().blocked_by_prevent_destroy());

    case.config = Some(config());
    let c = case.run();
    assert_eq!(c.action, Action::NoOp);
    assert!(c.prevent_destroy && !c.blocked_by_prevent_destroy());
}

#[test]
fn orphan_policy_forgets() {
    let mut case = Case::new(None, Some(cloud()));
    case.deletion = DeletionPolicy::Orphan;
    let c = case.run();
    assert_eq!(c.action, Action::Forget);
    assert!(c.attrs.is_empty());
}

#[test]
fn gone_everywhere_is_a_noop() {
    let c = Case::new(None, None).run();
    assert_eq!(c.action, Action::NoOp);
    assert_eq!(c.reasons, vec![Reason::RemovedFromConfig, Reason::Gone]);
}

#[test]
fn unknown_config_value_is_known_after_apply() {
    let mut cfg = config();
    set(&mut cfg, "user_data", Value::Unknown);
    set(
        &mut cfg,
        "tags",
        obj([
            ("Env", s("dev")),
            ("Owner", s("ops")),
            ("Ref", Value::Unknown),
        ]),
    );
    let c = Case::new(Some(cfg.clone()), Some(cloud())).run();
    assert_eq!(c.action, Action::Update);
    assert_eq!(attr(&c, "user_data").after, Some(Value::Unknown));
    assert_eq!(attr(&c, "tags.Ref").after, Some(Value::Unknown));

    // Unknown in a force_new attribute may change it, so it replaces.
    set(&mut cfg, "ami", Value::Unknown);
    let c = Case::new(Some(cfg), Some(cloud())).run();
    assert_eq!(c.action, Action::Replace);
}

#[test]
fn ignore_changes_paths() {
    let mut cfg = config();
    set(&mut cfg, "instance_type", s("t3.large"));
    set(
        &mut cfg,
        "tags",
        obj([("Env", s("prod")), ("Owner", s("me"))]),
    );
    let mut case = Case::new(Some(cfg), Some(cloud()));
    case.lifecycle.ignore_changes =
        IgnoreChanges::Paths(vec!["instance_type".into(), "tags.Owner".into()]);
    let c = case.run();
    assert_eq!(c.action, Action::Update);
    assert_eq!(paths(&c), vec!["tags.Env"]);
    let tags = c.after.unwrap().get("tags").cloned().unwrap();
    assert_eq!(tags, obj([("Env", s("prod")), ("Owner", s("ops"))]));
}

#[test]
fn ignore_changes_all() {
    let mut cfg = config();
    set(&mut cfg, "instance_type", s("t3.large"));
    set(&mut cfg, "ami", s("ami-2"));
    set(&mut cfg, "ingress", list(vec![]));
    let mut case = Case::new(Some(cfg), Some(cloud()));
    case.lifecycle.ignore_changes = IgnoreChanges::All;
    let c = case.run();
    assert_eq!(c.action, Action::NoOp, "{:?}", paths(&c));
    assert_eq!(c.after, Some(cloud()));
}

#[test]
fn json_is_compared_semantically() {
    let mut cfg = config();
    set(
        &mut cfg,
        "policy",
        s(r#"{ "Version" : "2012-10-17", "Statement" : [ ] }"#),
    );
    let c = Case::new(Some(cfg.clone()), Some(cloud())).run();
    assert_eq!(c.action, Action::NoOp);

    set(
        &mut cfg,
        "policy",
        s(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}"#),
    );
    let c = Case::new(Some(cfg), Some(cloud())).run();
    assert_eq!(paths(&c), vec!["policy"]);
}

#[test]
fn sets_ignore_order() {
    let mut cfg = config();
    set(
        &mut cfg,
        "security_groups",
        list(vec![s("sg-b"), s("sg-a")]),
    );
    let c = Case::new(Some(cfg.clone()), Some(cloud())).run();
    assert_eq!(c.action, Action::NoOp, "{:?}", paths(&c));

    // Change one set element: shown as attribute changes of that element only.
    set(
        &mut cfg,
        "ingress",
        list(vec![
            obj([("from_port", n(80.0)), ("to_port", n(80.0))]),
            obj([
                ("from_port", n(443.0)),
                ("to_port", n(8443.0)),
                ("cidr_blocks", list(vec![s("0.0.0.0/0")])),
            ]),
        ]),
    );
    let c = Case::new(Some(cfg), Some(cloud())).run();
    assert_eq!(c.action, Action::Update);
    assert_eq!(paths(&c), vec!["ingress[1].to_port"]);
    assert_eq!(attr(&c, "ingress[1].to_port").before, Some(n(443.0)));
}

#[test]
fn null_and_empty_are_equal() {
    let mut cfg = config();
    set(&mut cfg, "user_data", s(""));
    set(&mut cfg, "ebs", Value::Null);
    let mut cl = cloud();
    set(&mut cl, "ebs", Value::Null);
    set(&mut cl, "user_data", Value::Null);
    let c = Case::new(Some(cfg.clone()), Some(cl.clone())).run();
    assert_eq!(c.action, Action::NoOp, "{:?}", paths(&c));

    set(&mut cfg, "tags", Value::map::<&str>([]));
    set(&mut cl, "tags", Value::Null);
    let c = Case::new(Some(cfg), Some(cl)).run();
    assert_eq!(c.action, Action::NoOp, "{:?}", paths(&c));
}

#[test]
fn default_applies_when_config_omits_it() {
    let mut cl = cloud();
    set(&mut cl, "timeout", n(60.0));
    let c = Case::new(Some(config()), Some(cl)).run();
    assert_eq!(paths(&c), vec!["timeout"]);
    assert_eq!(attr(&c, "timeout").after, Some(n(30.0)));
}

#[test]
fn list_blocks_diff_per_element() {
    let mut cfg = config();
    set(
        &mut cfg,
        "ebs",
        list(vec![obj([("device", s("/dev/sdb")), ("size", s("20"))])]),
    );
    let mut cl = cloud();
    set(
        &mut cl,
        "ebs",
        list(vec![
            obj([("device", s("/dev/sdb")), ("size", n(10.0))]),
            obj([("device", s("/dev/sdc")), ("size", n(5.0))]),
        ]),
    );
    let c = Case::new(Some(cfg), Some(cl)).run();
    assert_eq!(c.action, Action::Update);
    assert_eq!(
        paths(&c),
        vec!["ebs[0].size", "ebs[1].device", "ebs[1].size"]
    );
    assert_eq!(attr(&c, "ebs[1].device").after, None);
}

#[test]
fn drift_is_told_apart_from_config_change() {
    // Cloud changed behind our back; config equals what was last applied.
    let mut cl = cloud();
    set(&mut cl, "instance_type", s("t3.nano"));
    let mut case = Case::new(Some(config()), Some(cl));
    case.last = Some(config());
    let c = case.run();
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.reasons, vec![Reason::Drifted]);
    assert!(attr(&c, "instance_type").drift);

    // Config changed too, on another attribute: both reasons, per-attribute flags.
    let mut cfg = config();
    set(
        &mut cfg,
        "tags",
        obj([("Env", s("prod")), ("Owner", s("ops"))]),
    );
    case.config = Some(cfg);
    let c = case.run();
    assert_eq!(c.reasons, vec![Reason::ConfigChanged, Reason::Drifted]);
    assert!(attr(&c, "instance_type").drift);
    assert!(!attr(&c, "tags.Env").drift);

    // Without a last-applied value nothing can be called drift.
    case.last = None;
    let c = case.run();
    assert_eq!(c.reasons, vec![Reason::ConfigChanged]);
}

#[test]
fn drift_in_set_block_is_anchored_at_the_set() {
    let mut cl = cloud();
    set(
        &mut cl,
        "ingress",
        list(vec![obj([("from_port", n(22.0)), ("to_port", n(22.0))])]),
    );
    let mut case = Case::new(Some(config()), Some(cl));
    case.last = Some(config());
    let c = case.run();
    assert_eq!(c.reasons, vec![Reason::Drifted]);
    assert!(c.attrs.iter().all(|a| a.drift), "{:?}", c.attrs);
}

#[test]
fn observe_only_never_changes_anything() {
    let mut cfg = config();
    set(&mut cfg, "ami", s("ami-2"));
    let mut case = Case::new(Some(cfg), Some(cloud()));
    case.management = Management::ObserveOnly;
    let c = case.run();
    assert_eq!(c.action, Action::NoOp);
    assert_eq!(c.reasons, vec![Reason::Drifted]);
    assert!(attr(&c, "ami").drift);
    assert_eq!(c.after, Some(cloud()));

    case.cloud = None;
    let c = case.run();
    assert_eq!((c.action, c.reasons), (Action::NoOp, vec![Reason::Gone]));

    case.cloud = Some(cloud());
    case.config = None;
    assert_eq!(case.run().action, Action::Forget);
}

#[test]
fn sensitive_paths_are_marked() {
    let mut cfg = config();
    set(&mut cfg, "password", s("new-secret"));
    set(&mut cfg, "user_data", s("from-a-secret-var"));
    set(
        &mut cfg,
        "ebs",
        list(vec![obj([("device", s("/dev/sdb")), ("kms_key", s("k"))])]),
    );
    let mut case = Case::new(Some(cfg), Some(cloud()));
    case.sensitive = ["user_data".to_string()].into();
    let c = case.run();
    assert!(attr(&c, "password").sensitive);
    assert!(attr(&c, "user_data").sensitive);
    assert!(attr(&c, "ebs[0].kms_key").sensitive);
    assert!(!attr(&c, "ebs[0].device").sensitive);
    assert!(c.is_sensitive_path("ebs[0].kms_key"));
    assert!(c.is_sensitive_path("password"));
}

#[test]
fn data_sources_read_now_or_during_apply() {
    let schema = Schema::data(
        "aws_ami",
        Block::new()
            .attr("name", Attribute::required(AttrType::String))
            .attr("id", Attribute::computed(AttrType::String)),
    );
    let lc = Lifecycle::default();
    let none = BTreeSet::new();
    let cfg = obj([("name", s("al2023"))]);
    let read = obj([("name", s("al2023")), ("id", s("ami-9"))]);
    let input = DiffInput {
        address: "data.aws_ami.a",
        type_name: "aws_ami",
        provider: "aws",
        schema: &schema,
        config: Some(&cfg),
        cloud: Some(&read),
        last_applied: None,
        lifecycle: &lc,
        sensitive_attrs: &none,
        deletion_policy: DeletionPolicy::Delete,
        management: Management::Full,
        replace_triggered: None,
        dependencies: &[],
    };
    let c = diff_resource(input);
    assert_eq!(c.action, Action::NoOp);
    assert_eq!(c.after.as_ref(), Some(&read));

    let unknown_cfg = obj([("name", Value::Unknown)]);
    let c = diff_resource(DiffInput {
        config: Some(&unknown_cfg),
        cloud: None,
        ..input
    });
    assert_eq!(c.action, Action::Read);
    assert_eq!(c.reasons, vec![Reason::DataSource]);
    assert_eq!(attr(&c, "id").after, Some(Value::Unknown));
}

#[test]
fn paths_parse_back() {
    assert_eq!(
        parse_path(r#"a.b[2]["x.y\"z"].c"#),
        vec![
            Seg::Key("a".into()),
            Seg::Key("b".into()),
            Seg::Index(2),
            Seg::Key("x.y\"z".into()),
            Seg::Key("c".into()),
        ]
    );
    let v = obj([("t", obj([("k.8s", s("v"))]))]);
    assert_eq!(lookup(&v, &join_key("t", "k.8s")), &s("v"));
    assert_eq!(lookup(&v, "t.missing[3]"), &Value::Null);
    assert_eq!(parse_path("a[oops"), vec![Seg::Key("a".into())]);
}

#[test]
fn sensitive_map_is_one_masked_value() {
    let mut cfg = config();
    set(
        &mut cfg,
        "tags",
        obj([("SecretName", s("x")), ("Owner", s("ops"))]),
    );
    let mut case = Case::new(Some(cfg), Some(cloud()));
    case.sensitive = ["tags".to_string()].into();
    let c = case.run();
    assert_eq!(
        paths(&c),
        vec!["tags"],
        "keys must not be listed one by one"
    );
    assert!(attr(&c, "tags").sensitive);
}

#[test]
fn unknown_dynamic_block_is_known_after_apply() {
    let mut cfg = config();
    set(&mut cfg, "ingress", Value::Unknown);
    let c = Case::new(Some(cfg), Some(cloud())).run();
    assert_eq!(c.action, Action::Update);
    assert_eq!(paths(&c), vec!["ingress"]);
    assert_eq!(attr(&c, "ingress").after, Some(Value::Unknown));
}

/// An optional-computed block type (a role's `inline_policy`, a group's `ingress`): no
/// blocks in config leaves the cloud's alone; written blocks are managed as usual.
#[test]
fn computed_blocks_absent_from_config_are_kept() {
    let mut case = Case::new(None, Some(cloud()));
    let ingress = case.schema.body.blocks.get_mut("ingress").unwrap();
    *ingress = ingress.clone().computed();
    let mut cfg = config();
    cfg.as_map_mut().unwrap().remove("ingress");
    case.config = Some(cfg.clone());
    let c = case.run();
    assert_eq!(c.action, Action::NoOp, "{:?}", paths(&c));
    assert_eq!(
        c.after.unwrap().get("ingress"),
        cloud().get("ingress"),
        "the cloud's blocks are the plan"
    );

    // One block written: the other goes.
    let mut one = cfg;
    set(
        &mut one,
        "ingress",
        list(vec![obj([("from_port", n(80.0)), ("to_port", n(80.0))])]),
    );
    case.config = Some(one);
    let c = case.run();
    assert_eq!(c.action, Action::Update);
    assert!(
        paths(&c).iter().all(|p| p.starts_with("ingress[")),
        "{:?}",
        paths(&c)
    );

    // Without `computed`, no blocks means none.
    let mut plain = Case::new(Some(config()), Some(cloud()));
    plain
        .config
        .as_mut()
        .unwrap()
        .as_map_mut()
        .unwrap()
        .remove("ingress");
    let c = plain.run();
    assert_eq!(c.action, Action::Update);
}
