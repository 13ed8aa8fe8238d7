//! Snapshot tests of every renderer on one report holding each kind of entry (built through the
//! real comparison), plus: secrets never printed, the JUnit document is well-formed XML with the
//! right failures, SARIF has the 2.1.0 shape, colour only when asked, the Markdown size limit.

use super::{json, junit, markdown, render, sarif, text, Format};
use crate::config::Lifecycle;
use crate::drift::tests::{
    planned, queue_cloud, queue_last, queue_schema, role_schema, s, M, POLICY,
};
use crate::drift::{
    pending_from_change, DriftReport, IgnoreRules, Location, ManagedIds, ReportBuilder, ReportMeta,
    Stats,
};
use terrane_provider::{AttrType, Attribute, Block, Listed, Schema, Value};

const SECRET: &str = "hunter2-very-secret";

fn meta() -> ReportMeta {
    ReportMeta {
        stack: "prod".into(),
        commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        created_at: "2026-11-05T10:00:00Z".into(),
        terrane_version: "0.1.0".into(),
    }
}

fn set(v: &mut Value, k: &str, x: Value) {
    v.as_map_mut().unwrap().insert(k.into(), x);
}

fn secret_schema() -> Schema {
    Schema::managed(
        "aws_ssm_parameter",
        Block::new()
            .attr("id", Attribute::computed(AttrType::String))
            .attr("name", Attribute::required(AttrType::String))
            .attr("value", Attribute::required(AttrType::String).sensitive()),
    )
}

fn loc(line: u32) -> Location {
    Location {
        file: "main.tf".into(),
        line,
        column: 1,
    }
}

/// A report with changed (with a sensitive attribute), deleted, unmanaged, pending (update,
/// create, delete), in-sync, ignored entries, coverage and figures.
fn full_report() -> DriftReport {
    let ignore = IgnoreRules::parse(
        ".terraneignore",
        "aws_sqs_queue.jobs.tags.UpdatedBy\naws_s3_bucket.cdk-*\n",
    )
    .unwrap();
    let mut b = ReportBuilder::new(meta(), &ignore);

    // Changed: a timeout, a tag (and an ignored tag), with a pending update on top.
    let mut cloud = queue_cloud();
    set(
        &mut cloud,
        "visibility_timeout_seconds",
        Value::Number(60.0),
    );
    set(
        &mut cloud,
        "tags",
        Value::map([("Env", s("dev")), ("UpdatedBy", s("console"))]),
    );
    let jobs = M::new(
        "aws_sqs_queue.jobs",
        queue_schema(),
        queue_last(),
        Some(cloud),
    );
    let l3 = loc(3);
    b.managed(&crate::drift::ManagedInput {
        location: Some(&l3),
        ..jobs.input()
    });

    // Changed: a trust policy with another principal, and a secret.
    let role_last = Value::map([("name", s("ci")), ("assume_role_policy", s(POLICY))]);
    let role_cloud = Value::map([
        ("id", s("ci")),
        ("name", s("ci")),
        (
            "assume_role_policy",
            s(&POLICY.replace("ec2.amazonaws.com", "lambda.amazonaws.com")),
        ),
    ]);
    let role = M::new(
        "aws_iam_role.ci",
        role_schema(),
        role_last,
        Some(role_cloud),
    );
    let l10 = loc(10);
    b.managed(&crate::drift::ManagedInput {
        location: Some(&l10),
        ..role.input()
    });
    let param = M::new(
        "aws_ssm_parameter.token",
        secret_schema(),
        Value::map([("name", s("/ci/token")), ("value", s(SECRET))]),
        Some(Value::map([
            ("id", s("/ci/token")),
            ("name", s("/ci/token")),
            ("value", s(&format!("{SECRET}-rotated"))),
        ])),
    );
    b.managed(&param.input());

    // Deleted, and in sync.
    let gone = M::new(
        "aws_sqs_queue.dead_letters",
        queue_schema(),
        queue_last(),
        None,
    );
    let l20 = loc(20);
    b.managed(&crate::drift::ManagedInput {
        location: Some(&l20),
        ..gone.input()
    });
    let ok = M::new(
        "aws_sqs_queue.ok",
        queue_schema(),
        queue_last(),
        Some(queue_cloud()),
    );
    b.managed(&ok.input());

    // Pending: an update of the drifted queue, a new resource, a removed one.
    let schema = queue_schema();
    let mut cfg = queue_last();
    set(&mut cfg, "visibility_timeout_seconds", Value::Number(120.0));
    let lc = Lifecycle::default();
    let last = queue_last();
    let cloud = queue_cloud();
    let pend = |address: &str, config: Option<&Value>, cloud: Option<&Value>, last| {
        let mut c = planned(&schema, config, cloud, last, &lc);
        c.address = address.to_string();
        pending_from_change(&c, &schema, None).unwrap()
    };
    b.pending(pend(
        "aws_sqs_queue.jobs",
        Some(&cfg),
        Some(&cloud),
        Some(&last),
    ));
    b.pending(pend("aws_sqs_queue.new", Some(&last), None, None));
    b.pending(pend("aws_sqs_queue.ok", None, Some(&cloud), Some(&last)));

    // Unmanaged: two buckets and a queue nobody manages, one ignored, one managed.
    let mut ids = ManagedIds::new();
    ids.insert("aws_s3_bucket", "logs");
    let l = |id: &str, tags: &[(&str, &str)]| Listed {
        type_name: "aws_s3_bucket".into(),
        id: id.into(),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    b.listed(
        "aws_s3_bucket",
        &[
            l("logs", &[]),
            l("handmade", &[("Owner", "bob"), ("Team", "data & <ml>")]),
            l("cdk-assets-1", &[]),
        ],
        |x| ids.contains(x),
    );
    b.listed(
        "aws_sqs_queue",
        &[Listed {
            type_name: "aws_sqs_queue".into(),
            id: "http://127.0.0.1:5000/123/legacy".into(),
            tags: Default::default(),
        }],
        |x| ids.contains(x),
    );
    b.stats(Stats {
        duration_ms: 1234,
        api_calls: 9,
    });
    b.finish()
}

fn in_sync_report() -> DriftReport {
    let ignore = IgnoreRules::none();
    let mut b = ReportBuilder::new(meta(), &ignore);
    let ok = M::new(
        "aws_sqs_queue.ok",
        queue_schema(),
        queue_last(),
        Some(queue_cloud()),
    );
    b.managed(&ok.input());
    b.stats(Stats {
        duration_ms: 80,
        api_calls: 1,
    });
    b.finish()
}

#[test]
fn the_report_holds_what_happened() {
    let r = full_report();
    let sm = &r.summary;
    assert_eq!(
        (sm.checked, sm.changed, sm.deleted, sm.in_sync),
        (5, 3, 1, 1)
    );
    assert_eq!((sm.unmanaged, sm.pending), (2, 3));
    assert_eq!(
        (
            sm.ignored.attributes,
            sm.ignored.resources,
            sm.ignored.unmanaged
        ),
        (1, 0, 1)
    );
    assert_eq!(r.exit_code(), 2);
    assert_eq!(in_sync_report().exit_code(), 0);
}

#[test]
fn text() {
    insta::assert_snapshot!("text", text::render(&full_report(), false));
    insta::assert_snapshot!("text_in_sync", text::render(&in_sync_report(), false));
    let plain = text::render(&full_report(), false);
    assert!(!plain.contains('\x1b'));
    let coloured = text::render(&full_report(), true);
    assert!(coloured.contains("\x1b[31m"), "{coloured}");
    assert_eq!(strip_ansi(&coloured), plain);
}

#[test]
fn json() {
    let out = json::render(&full_report());
    insta::assert_snapshot!("json", out);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in [
        "format_version",
        "changed",
        "deleted",
        "unmanaged",
        "pending",
        "summary",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["summary"]["drifted"], true);
}

#[test]
fn markdown() {
    insta::assert_snapshot!("markdown", markdown::render(&full_report()));
    insta::assert_snapshot!("markdown_in_sync", markdown::render(&in_sync_report()));
}

#[test]
fn junit() {
    let out = junit::render(&full_report());
    insta::assert_snapshot!("junit", out);
    let cases = parse_junit(&out);
    let failed: Vec<(&str, &str)> = cases
        .iter()
        .filter_map(|c| c.failure.as_deref().map(|f| (c.name.as_str(), f)))
        .collect();
    assert_eq!(
        failed,
        [
            ("aws_iam_role.ci", "changed"),
            ("aws_sqs_queue.dead_letters", "deleted"),
            ("aws_sqs_queue.jobs", "changed"),
            ("aws_ssm_parameter.token", "changed"),
            ("aws_s3_bucket.handmade", "unmanaged"),
            (
                "aws_sqs_queue.http://127.0.0.1:5000/123/legacy",
                "unmanaged"
            ),
        ]
    );
    let passed: Vec<&str> = cases
        .iter()
        .filter(|c| c.failure.is_none() && !c.skipped)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(passed, ["aws_sqs_queue.ok"]);
    let skipped: Vec<&str> = cases
        .iter()
        .filter(|c| c.skipped)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(skipped, ["aws_sqs_queue.new"]);

    let in_sync = parse_junit(&junit::render(&in_sync_report()));
    assert_eq!(in_sync.len(), 1);
    assert!(in_sync[0].failure.is_none());
}

#[test]
fn sarif() {
    let out = sarif::render(&full_report());
    insta::assert_snapshot!("sarif", out);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3 + 1 + 2);
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        assert!(r["message"]["text"].is_string());
        assert!(r["partialFingerprints"].is_object());
    }
    let located: Vec<&str> = results
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert_eq!(located, ["main.tf", "main.tf", "main.tf"]);
}

#[test]
fn no_format_prints_a_secret() {
    let r = full_report();
    for f in Format::ALL {
        let out = render(&r, f, true);
        assert!(
            !out.contains("hunter2"),
            "{} leaked a secret:\n{out}",
            f.name()
        );
    }
    let dbg = format!("{r:?}");
    assert!(!dbg.contains("hunter2"));
}

#[test]
fn formats_parse_by_name() {
    for f in Format::ALL {
        assert_eq!(f.name().parse::<Format>(), Ok(f));
    }
    let e = "yaml".parse::<Format>().unwrap_err();
    assert!(e.contains("text, json, markdown, junit, sarif"), "{e}");
}

#[test]
fn markdown_fits_the_limit_and_says_what_it_left_out() {
    let ignore = IgnoreRules::none();
    let mut b = ReportBuilder::new(meta(), &ignore);
    let listed: Vec<Listed> = (0..2000)
        .map(|i| Listed {
            type_name: "aws_s3_bucket".into(),
            id: format!("bucket-with-a-rather-long-name-{i:05}"),
            tags: [("Owner".to_string(), "someone".to_string())].into(),
        })
        .collect();
    b.listed("aws_s3_bucket", &listed, |_| false);
    let r = b.finish();
    let out = markdown::render_with_limit(&r, 10_000);
    assert!(out.len() <= 10_000, "{}", out.len());
    assert!(out.contains("entries left out"), "{out}");
    let full = markdown::render(&r);
    assert!(full.len() <= crate::plan::render::markdown::MAX_COMMENT_LEN);
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Debug)]
struct Case {
    name: String,
    failure: Option<String>,
    skipped: bool,
}

/// Parses a JUnit document with a real XML tokenizer, checking that elements nest and close,
/// and returns its test cases.
fn parse_junit(xml: &str) -> Vec<Case> {
    use xmlparser::{ElementEnd, Token, Tokenizer};
    let mut stack: Vec<String> = Vec::new();
    let mut cases = Vec::new();
    let mut current_attrs: Vec<(String, String)> = Vec::new();
    let mut open: Option<String> = None;
    for token in Tokenizer::from(xml) {
        match token.unwrap_or_else(|e| panic!("JUnit is not well-formed XML: {e}\n{xml}")) {
            Token::ElementStart { local, .. } => {
                open = Some(local.to_string());
                current_attrs.clear();
            }
            Token::Attribute { local, value, .. } => {
                current_attrs.push((local.to_string(), unescape(value.as_str())));
            }
            Token::ElementEnd { end, .. } => {
                let attr = |k: &str| {
                    current_attrs
                        .iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, v)| v.clone())
                };
                match end {
                    ElementEnd::Open | ElementEnd::Empty => {
                        let name = open.take().expect("element start");
                        match name.as_str() {
                            "testcase" => cases.push(Case {
                                name: attr("name").expect("testcase name"),
                                failure: None,
                                skipped: false,
                            }),
                            "failure" => {
                                let c = cases.last_mut().expect("failure inside a testcase");
                                c.failure = Some(attr("type").expect("failure type"));
                            }
                            "skipped" => cases.last_mut().expect("in a testcase").skipped = true,
                            _ => {}
                        }
                        if end == ElementEnd::Open {
                            stack.push(name);
                        }
                    }
                    ElementEnd::Close(_, local) => {
                        assert_eq!(stack.pop().as_deref(), Some(local.as_str()), "{xml}");
                    }
                }
            }
            _ => {}
        }
    }
    assert!(stack.is_empty(), "unclosed elements {stack:?}");
    cases
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#10;", "\n")
        .replace("&amp;", "&")
}
