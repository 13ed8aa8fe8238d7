//! `terrane serve` against a real AWS API (moto): the cloud half of the service's end-to-end
//! test. Git commits create, change and prune an SQS queue; changes made with the AWS CLI behind
//! terrane's back are flagged (`drift = "report"`) or reverted (`drift = "correct"`); moto going
//! away makes the stack fail and back off, and coming back makes it recover without a restart.
//! The harness (`Serve`, `Repo`, the notification receiver) is shared with `serve.rs`.

use super::moto::{tool, Moto};
use super::serve::{git, http, json, receiver, Repo, Serve};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const REPORT_QUEUE: &str = "e2e-serve-report";
const CORRECT_QUEUE: &str = "e2e-serve-correct";

fn queue_tf(name: &str, visibility: u32) -> String {
    format!(
        "resource \"aws_sqs_queue\" \"jobs\" {{\n  name                       = \"{name}\"\n  \
         visibility_timeout_seconds = {visibility}\n}}\n"
    )
}

fn data_tf(input: &str) -> String {
    format!("resource \"terraform_data\" \"base\" {{\n  input = \"{input}\"\n}}\n")
}

/// The AWS CLI against moto, as a second client. `None` when the call fails (e.g. no such
/// queue). The endpoint is passed explicitly: AWS CLI v1 ignores `AWS_ENDPOINT_URL` for SQS.
fn aws(moto: &Moto, args: &[&str]) -> Option<serde_json::Value> {
    let out = Command::new(tool("aws"))
        .args(["--endpoint-url", &moto.endpoint(), "--output", "json"])
        .args(args)
        .envs(moto.env())
        .output()
        .expect("run the AWS CLI (installed by scripts/setup-venv.sh)");
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    if text.trim().is_empty() {
        return Some(serde_json::Value::Null);
    }
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("aws {args:?}: {e}: {text}")))
}

fn queue_url(moto: &Moto, name: &str) -> Option<String> {
    aws(moto, &["sqs", "get-queue-url", "--queue-name", name])
        .and_then(|v| v["QueueUrl"].as_str().map(str::to_string))
}

fn visibility(moto: &Moto, url: &str) -> u64 {
    let v = aws(
        moto,
        &[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            url,
            "--attribute-names",
            "VisibilityTimeout",
        ],
    )
    .unwrap_or_else(|| panic!("get-queue-attributes {url} failed"));
    v["Attributes"]["VisibilityTimeout"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no VisibilityTimeout in {v}"))
}

/// Changes the queue's visibility timeout with the AWS CLI: a change behind terrane's back.
fn set_visibility(moto: &Moto, url: &str, secs: u32) {
    let attrs = format!("VisibilityTimeout={secs}");
    aws(
        moto,
        &[
            "sqs",
            "set-queue-attributes",
            "--queue-url",
            url,
            "--attributes",
            &attrs,
        ],
    )
    .unwrap_or_else(|| panic!("set-queue-attributes {url} failed"));
}

fn metrics(srv: &Serve) -> String {
    let (code, body) = http(&srv.addr, "GET", "/metrics", &[], b"");
    assert_eq!(code, 200, "{body}");
    body
}

/// The value of one metric line (`name{labels}`), if exposed.
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn events_of(
    events: &Arc<Mutex<Vec<serde_json::Value>>>,
    kind: &str,
    stack: &str,
) -> Vec<serde_json::Value> {
    events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == kind && e["stack"] == stack)
        .cloned()
        .collect()
}

fn wait_events(events: &Arc<Mutex<Vec<serde_json::Value>>>, kind: &str, stack: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while events_of(events, kind, stack).is_empty() {
        assert!(
            Instant::now() < deadline,
            "no {kind} notification for {stack}: {:?}",
            events.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn drifted(srv: &Serve, stack: &str) -> serde_json::Value {
    srv.stack(stack)["drifted"].clone()
}

#[test]
fn serve_reconciles_sqs_in_moto_reports_and_corrects_drift_prunes_and_rides_out_an_outage() {
    let mut moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let repo = Repo {
        dir: work.path().join("repo"),
    };
    std::fs::create_dir_all(&repo.dir).unwrap();
    git(&repo.dir, &["init", "--quiet", "-b", "main"]);
    repo.commit(
        &[
            ("report/base.tf", &data_tf("r1")),
            ("correct/base.tf", &data_tf("c1")),
        ],
        &[],
        "base",
    );
    let (notify_url, events) = receiver();
    let config = work.path().join("terrane.toml");
    let stack = |name: &str| {
        format!(
            "[[stack]]\nname = \"{name}\"\ngit = \"{}\"\npath = \"{name}\"\ninterval = \"1s\"\n\
             drift_interval = \"2s\"\ndrift = \"{name}\"\nprune = true\nnotify = [\"{notify_url}\"]\n\n",
            repo.dir.display()
        )
    };
    std::fs::write(&config, stack("report") + &stack("correct")).unwrap();
    let args = vec!["--config".to_string(), config.display().to_string()];
    let srv = Serve::start_env(&args, &work.path().join("state"), &moto.env());
    srv.wait_for("readiness", 60, |s| {
        http(&s.addr, "GET", "/readyz", &[], b"").0 == 200
    });

    // A new queue in each stack appears in the cloud within one interval (plus the apply).
    let t0 = Instant::now();
    let added = repo.commit(
        &[
            ("report/q.tf", &queue_tf(REPORT_QUEUE, 30)),
            ("correct/q.tf", &queue_tf(CORRECT_QUEUE, 30)),
        ],
        &[],
        "add queues",
    );
    // Polled over HTTP (fast); each AWS CLI call costs about a second of Python start-up.
    srv.wait_for("queues applied", 30, |s| {
        s.stack("report")["applied_commit"] == added.as_str()
            && s.stack("correct")["applied_commit"] == added.as_str()
    });
    let appeared = t0.elapsed();
    eprintln!("queues applied {appeared:?} after the commit (interval 1s)");
    assert!(
        appeared < Duration::from_secs(10),
        "queues took {appeared:?} to be applied with a 1s interval"
    );
    let report_url = queue_url(&moto, REPORT_QUEUE).expect("report queue in moto");
    let correct_url = queue_url(&moto, CORRECT_QUEUE).expect("correct queue in moto");
    assert_eq!(visibility(&moto, &report_url), 30);
    assert_eq!(visibility(&moto, &correct_url), 30);
    assert_eq!(srv.stack("report")["resources"], 2);

    // A change in Git is applied to the cloud.
    let changed = repo.commit(
        &[
            ("report/q.tf", &queue_tf(REPORT_QUEUE, 60)),
            ("correct/q.tf", &queue_tf(CORRECT_QUEUE, 60)),
        ],
        &[],
        "longer visibility",
    );
    srv.wait_for("visibility applied", 30, |_| {
        visibility(&moto, &report_url) == 60 && visibility(&moto, &correct_url) == 60
    });
    srv.wait_for("change recorded", 30, |s| {
        s.stack("report")["applied_commit"] == changed.as_str()
            && s.stack("correct")["applied_commit"] == changed.as_str()
    });
    assert_eq!(
        srv.stack("report")["last_plan"]["summary"]["change"],
        1,
        "{}",
        srv.stack("report")
    );

    // Behind terrane's back, drift = "report": flagged in /status, /metrics and a
    // notification, and left alone.
    set_visibility(&moto, &report_url, 300);
    srv.wait_for("drift flagged", 30, |s| {
        drifted(s, "report") == serde_json::json!(["aws_sqs_queue.jobs"])
    });
    let status = json(&srv.addr, "/status");
    let listed = status["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "report")
        .unwrap_or_else(|| panic!("no report stack in {status}"));
    assert_eq!(
        listed["drifted"],
        serde_json::json!(["aws_sqs_queue.jobs"]),
        "{status}"
    );
    let m = metrics(&srv);
    assert_eq!(
        metric(&m, "terrane_drifted_resources{stack=\"report\"}"),
        Some(1.0),
        "{m}"
    );
    assert_eq!(
        metric(&m, "terrane_drifted_resources{stack=\"correct\"}"),
        Some(0.0),
        "{m}"
    );
    wait_events(&events, "drift_detected", "report");
    let detected = events_of(&events, "drift_detected", "report");
    assert_eq!(
        detected[0]["addresses"],
        serde_json::json!(["aws_sqs_queue.jobs"]),
        "{detected:?}"
    );
    assert!(
        detected[0]["text"]
            .as_str()
            .unwrap()
            .contains("drift = report"),
        "{detected:?}"
    );
    // Several drift intervals later: still drifted, untouched, and notified only once.
    let checks = |m: &str| {
        metric(
            m,
            "terrane_runs_total{stack=\"report\",kind=\"drift\",outcome=\"drifted\"}",
        )
        .unwrap_or(0.0)
    };
    let before = checks(&m);
    srv.wait_for("two more drift checks", 30, |s| {
        checks(&metrics(s)) >= before + 2.0
    });
    assert_eq!(
        visibility(&moto, &report_url),
        300,
        "drift = report left it alone"
    );
    assert_eq!(
        drifted(&srv, "report"),
        serde_json::json!(["aws_sqs_queue.jobs"])
    );
    assert_eq!(events_of(&events, "drift_detected", "report").len(), 1);

    // Put back by hand: the drift is resolved, and said so once.
    set_visibility(&moto, &report_url, 60);
    srv.wait_for("drift resolved", 30, |s| {
        drifted(s, "report") == serde_json::json!([])
    });
    wait_events(&events, "drift_resolved", "report");
    assert_eq!(
        metric(
            &metrics(&srv),
            "terrane_drifted_resources{stack=\"report\"}"
        ),
        Some(0.0)
    );

    // Behind terrane's back, drift = "correct": reverted to what Git says.
    set_visibility(&moto, &correct_url, 300);
    srv.wait_for("drift corrected", 30, |_| {
        visibility(&moto, &correct_url) == 60
    });
    wait_events(&events, "drift_corrected", "correct");
    assert_eq!(
        events_of(&events, "drift_corrected", "correct")[0]["addresses"],
        serde_json::json!(["aws_sqs_queue.jobs"])
    );
    assert_eq!(drifted(&srv, "correct"), serde_json::json!([]));

    // Removed from Git with prune = true: deleted from the cloud.
    let removed = repo.commit(&[], &["correct/q.tf"], "remove the correct queue");
    srv.wait_for("queue pruned", 30, |_| {
        queue_url(&moto, CORRECT_QUEUE).is_none()
    });
    srv.wait_for("prune recorded", 30, |s| {
        let st = s.stack("correct");
        st["applied_commit"] == removed.as_str() && st["resources"] == 1
    });
    assert!(
        queue_url(&moto, REPORT_QUEUE).is_some(),
        "the other stack's queue stays"
    );

    // moto goes away: the report stack's drift checks fail and back off; /readyz and /metrics
    // say so; the correct stack (no cloud resources left) keeps applying commits.
    let port = moto.port;
    drop(moto);
    srv.wait_for("failures", 60, |s| {
        s.stack("report")["consecutive_failures"].as_u64() >= Some(2)
    });
    let (code, body) = http(&srv.addr, "GET", "/readyz", &[], b"");
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("report: the last "), "{body}");
    let m = metrics(&srv);
    assert!(
        metric(
            &m,
            "terrane_runs_total{stack=\"report\",kind=\"drift\",outcome=\"failed\"}"
        ) >= Some(2.0),
        "{m}"
    );
    assert!(
        metric(&m, "terrane_consecutive_failures{stack=\"report\"}") >= Some(2.0),
        "{m}"
    );
    assert!(
        metric(&m, "terrane_cloud_api_errors_total{stack=\"report\"}") > Some(0.0),
        "{m}"
    );
    let meanwhile = repo.commit(&[("correct/base.tf", &data_tf("c2"))], &[], "meanwhile");
    srv.wait_for("the other stack applies", 30, |s| {
        s.stack("correct")["applied_commit"] == meanwhile.as_str()
    });
    assert_eq!(srv.stack("correct")["consecutive_failures"], 0);
    // Backoff: failed drift checks are retried after 2s, 4s, 8s... (with jitter), not every
    // 2s. (The commit above is new to the report stack too, so its syncs fail and back off
    // separately: count drift checks only.)
    let drift_failed = |s: &Serve| {
        metric(
            &metrics(s),
            "terrane_runs_total{stack=\"report\",kind=\"drift\",outcome=\"failed\"}",
        )
        .unwrap_or(0.0)
    };
    let failed_before = drift_failed(&srv);
    std::thread::sleep(Duration::from_secs(8));
    let failed_after = drift_failed(&srv);
    assert!(
        failed_after - failed_before <= 2.0,
        "{failed_before} -> {failed_after} failed drift checks in 8s; logs:\n{}",
        srv.logs.lock().unwrap().join("\n")
    );

    // moto comes back (empty, as a restarted moto is): the stack recovers without a restart of
    // terrane. Its queue is gone, which drift = "report" flags rather than recreates.
    moto = Moto::start_on(port);
    srv.wait_for("recovery", 90, |s| {
        s.stack("report")["consecutive_failures"] == 0
    });
    srv.wait_for("ready again", 30, |s| {
        http(&s.addr, "GET", "/readyz", &[], b"").0 == 200
    });
    assert_eq!(
        drifted(&srv, "report"),
        serde_json::json!(["aws_sqs_queue.jobs"])
    );
    // The commit made during the outage is applied now, without recreating the queue.
    srv.wait_for("pending commit applied", 30, |s| {
        s.stack("report")["applied_commit"] == meanwhile.as_str()
    });
    assert!(
        queue_url(&moto, REPORT_QUEUE).is_none(),
        "drift = report recreated a queue deleted outside terrane"
    );
    wait_events(&events, "recovered", "report");
    assert_eq!(srv.terminate(), 0, "SIGTERM exits 0");
}
