//! Service tests with a fake engine. Schedule tests run on paused tokio time (virtual minutes
//! pass instantly and deterministically); HTTP tests run a real server on a loopback port.

use super::notify::{Event, EventKind};
use super::schedule::{backoff_bounds, Clock, Window};
use super::*;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use tokio::time::Instant;

/// One call the service made into the runner.
#[derive(Debug, Clone)]
struct Call {
    stack: String,
    what: &'static str,
    at: Duration,
    commit: String,
    /// sync: apply allowed; drift: correct.
    flag: bool,
}

/// A fake engine: a Git head per stack, a "cloud" that remembers what was applied and which
/// addresses drifted, and switches to make each step fail.
struct Fake {
    base: Instant,
    head: Mutex<String>,
    fail_fetch: Mutex<BTreeSet<String>>,
    fail_apply: Mutex<bool>,
    fail_drift: Mutex<bool>,
    cloud_drift: Mutex<Vec<String>>,
    apply_time: Mutex<Duration>,
    applied: Mutex<std::collections::BTreeMap<String, String>>,
    calls: Mutex<Vec<Call>>,
    active: Mutex<std::collections::BTreeMap<String, usize>>,
    max_active: AtomicUsize,
    finished_applies: AtomicUsize,
}

impl Fake {
    fn new() -> Arc<Fake> {
        Arc::new(Fake {
            base: Instant::now(),
            head: Mutex::new("c1".into()),
            fail_fetch: Mutex::default(),
            fail_apply: Mutex::new(false),
            fail_drift: Mutex::new(false),
            cloud_drift: Mutex::default(),
            apply_time: Mutex::new(Duration::ZERO),
            applied: Mutex::default(),
            calls: Mutex::default(),
            active: Mutex::default(),
            max_active: AtomicUsize::new(0),
            finished_applies: AtomicUsize::new(0),
        })
    }

    fn log(&self, stack: &str, what: &'static str, commit: &str, flag: bool) {
        self.calls.lock().unwrap().push(Call {
            stack: stack.into(),
            what,
            at: self.base.elapsed(),
            commit: commit.into(),
            flag,
        });
    }

    fn calls(&self, stack: &str, what: &str) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.stack == stack && c.what == what)
            .cloned()
            .collect()
    }

    fn enter(&self, stack: &str) {
        let mut a = self.active.lock().unwrap();
        let n = a.entry(stack.into()).or_default();
        *n += 1;
        self.max_active.fetch_max(*n, Ordering::SeqCst);
    }

    fn exit(&self, stack: &str) {
        *self.active.lock().unwrap().entry(stack.into()).or_default() -= 1;
    }
}

fn commit(id: &str) -> Commit {
    Commit {
        id: id.into(),
        author: "dev".into(),
        message: "change".into(),
    }
}

#[async_trait::async_trait]
impl StackRunner for Fake {
    async fn fetch(&self, stack: &StackConfig) -> Result<Commit, RunError> {
        self.enter(&stack.name);
        let head = self.head.lock().unwrap().clone();
        self.log(&stack.name, "fetch", &head, false);
        let fail = self.fail_fetch.lock().unwrap().contains(&stack.name);
        self.exit(&stack.name);
        if fail {
            return Err(RunError::new("cannot reach the Git remote"));
        }
        Ok(commit(&head))
    }

    async fn sync(
        &self,
        stack: &StackConfig,
        c: &Commit,
        apply: bool,
    ) -> Result<SyncReport, RunError> {
        self.enter(&stack.name);
        self.log(&stack.name, "sync", &c.id, apply);
        let changed = self.applied.lock().unwrap().get(&stack.name) != Some(&c.id);
        let plan = PlanCounts {
            add: usize::from(changed),
            change: 0,
            destroy: 0,
        };
        let mut applied = false;
        if apply && changed {
            let t = *self.apply_time.lock().unwrap();
            tokio::time::sleep(t).await;
            if *self.fail_apply.lock().unwrap() {
                self.exit(&stack.name);
                return Err(RunError {
                    message: "CreateBucket: AccessDenied".into(),
                    during_apply: true,
                    api_calls: 2,
                    api_errors: 1,
                });
            }
            self.applied
                .lock()
                .unwrap()
                .insert(stack.name.clone(), c.id.clone());
            self.finished_applies.fetch_add(1, Ordering::SeqCst);
            applied = true;
        }
        self.exit(&stack.name);
        Ok(SyncReport {
            plan,
            applied,
            resources: 3,
            unpruned: vec![],
            plan_json: serde_json::json!({"changes": plan.add}),
            plan_text: format!("Plan: {plan}"),
            api_calls: 5,
            api_errors: 0,
        })
    }

    async fn drift(
        &self,
        stack: &StackConfig,
        c: &Commit,
        correct: bool,
    ) -> Result<DriftReport, RunError> {
        self.enter(&stack.name);
        self.log(&stack.name, "drift", &c.id, correct);
        self.exit(&stack.name);
        if *self.fail_drift.lock().unwrap() {
            return Err(RunError::new("DescribeInstances: connection refused"));
        }
        let mut cloud = self.cloud_drift.lock().unwrap();
        let found = cloud.clone();
        let (drifted, corrected) = if correct {
            cloud.clear();
            (vec![], found)
        } else {
            (found, vec![])
        };
        Ok(DriftReport {
            drifted,
            corrected,
            resources: 3,
            api_calls: 3,
            api_errors: 0,
        })
    }
}

fn stack(name: &str) -> StackConfig {
    let mut s = StackConfig::new(name, "/srv/git/infra");
    s.notify = vec!["http://hooks.invalid/x".into()];
    s
}

/// 2026-12-07 (a Monday) at the given UTC time, as Unix seconds.
fn monday(hour: u32, min: u32) -> f64 {
    1_796_601_600.0 + f64::from(hour * 3600 + min * 60)
}

type Sink = Arc<Mutex<Vec<Event>>>;

async fn start_paused(
    stacks: Vec<StackConfig>,
    fake: Arc<Fake>,
    start_unix: f64,
    grace: Duration,
) -> (Service, Sink) {
    let sink: Sink = Arc::default();
    let opts = ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        grace,
        clock: Clock::tokio_at(start_unix),
        capture: Some(sink.clone()),
        ..ServeOptions::default()
    };
    let svc = Service::start(ServeConfig { stacks }, fake, opts)
        .await
        .unwrap();
    (svc, sink)
}

fn events(sink: &Sink, kind: EventKind) -> Vec<Event> {
    sink.lock()
        .unwrap()
        .iter()
        .filter(|e| e.event == kind)
        .cloned()
        .collect()
}

async fn sleep(secs: u64) {
    tokio::time::sleep(Duration::from_secs(secs)).await;
}

#[tokio::test(start_paused = true)]
async fn fetches_on_a_jittered_interval_and_applies_each_new_commit_once() {
    let fake = Fake::new();
    let (svc, sink) =
        start_paused(vec![stack("s")], fake.clone(), monday(12, 0), DEFAULT_GRACE).await;
    sleep(1).await;
    let syncs = fake.calls("s", "sync");
    assert_eq!(syncs.len(), 1, "first sync at startup");
    assert!(syncs[0].flag && syncs[0].commit == "c1");

    sleep(599).await;
    let fetches = fake.calls("s", "fetch");
    assert!((9..=12).contains(&fetches.len()), "{}", fetches.len());
    for w in fetches.windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(
            gap >= Duration::from_secs(54) && gap <= Duration::from_secs(66),
            "gap {gap:?} outside 60s ± 10%"
        );
    }
    let gaps: BTreeSet<Duration> = fetches.windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(gaps.len() > 1, "intervals carry jitter");
    assert_eq!(
        fake.calls("s", "sync").len(),
        1,
        "same commit is not planned again"
    );

    *fake.head.lock().unwrap() = "c2".into();
    let changed_at = fake.base.elapsed();
    sleep(70).await;
    let syncs = fake.calls("s", "sync");
    assert_eq!(syncs.len(), 2);
    assert_eq!(syncs[1].commit, "c2");
    assert!(
        syncs[1].at - changed_at <= Duration::from_secs(66),
        "within one interval"
    );

    let applied = events(&sink, EventKind::ApplySucceeded);
    assert_eq!(applied.len(), 2);
    assert!(
        applied[1].text.contains("applied c2 to stack s"),
        "{}",
        applied[1].text
    );
    let st = svc.shared().stack("s").unwrap().status().clone();
    assert_eq!(st.applied_commit.as_deref(), Some("c2"));
    assert_eq!(st.runs.get(&("sync", "applied")), Some(&2));
    assert_eq!(st.apply_durations.count, 2);
    assert_eq!(
        st.api_calls,
        10 + 3 * st.runs.get(&("drift", "clean")).copied().unwrap_or(0)
    );
    assert!(svc.shared().readiness().is_ok());
    svc.shutdown_token().cancel();
    assert_eq!(svc.wait().await, Stopped::Clean);
}

#[tokio::test(start_paused = true)]
async fn drift_is_reported_once_when_found_and_once_when_resolved() {
    let fake = Fake::new();
    let mut s = stack("s");
    s.drift_interval = Duration::from_secs(120);
    let (svc, sink) = start_paused(vec![s], fake.clone(), monday(12, 0), DEFAULT_GRACE).await;
    sleep(1).await;
    *fake.cloud_drift.lock().unwrap() = vec!["aws_s3_bucket.logs".into()];
    sleep(900).await;
    let checks = fake.calls("s", "drift");
    assert!(checks.len() >= 6, "{} checks", checks.len());
    assert!(
        checks.iter().all(|c| !c.flag),
        "drift = report never corrects"
    );
    let found = events(&sink, EventKind::DriftDetected);
    assert_eq!(found.len(), 1, "notified once, not on every check");
    assert_eq!(found[0].addresses, vec!["aws_s3_bucket.logs".to_string()]);
    assert!(
        found[0].text.contains("drift = report"),
        "{}",
        found[0].text
    );
    let h = svc.shared().stack("s").unwrap().clone();
    assert_eq!(h.status().drifted, vec!["aws_s3_bucket.logs".to_string()]);
    let m = svc.shared().metrics_text();
    assert!(
        m.contains("terrane_drifted_resources{stack=\"s\"} 1"),
        "{m}"
    );
    let j = svc.shared().status_json();
    assert_eq!(j["stacks"][0]["drifted"][0], "aws_s3_bucket.logs");

    fake.cloud_drift.lock().unwrap().clear();
    sleep(600).await;
    assert_eq!(events(&sink, EventKind::DriftResolved).len(), 1);
    assert_eq!(events(&sink, EventKind::DriftDetected).len(), 1);
    assert!(h.status().drifted.is_empty());
    assert!(svc
        .shared()
        .metrics_text()
        .contains("terrane_drifted_resources{stack=\"s\"} 0"));
    svc.shutdown_token().cancel();
    svc.wait().await;
}

#[tokio::test(start_paused = true)]
async fn drift_correct_reverts_and_says_so() {
    let fake = Fake::new();
    let mut s = stack("s");
    s.drift = DriftPolicy::Correct;
    s.drift_interval = Duration::from_secs(120);
    let (svc, sink) = start_paused(vec![s], fake.clone(), monday(12, 0), DEFAULT_GRACE).await;
    sleep(1).await;
    *fake.cloud_drift.lock().unwrap() = vec!["aws_sqs_queue.q".into()];
    sleep(300).await;
    assert!(fake.calls("s", "drift").iter().all(|c| c.flag));
    assert!(fake.cloud_drift.lock().unwrap().is_empty(), "reverted");
    let fixed = events(&sink, EventKind::DriftCorrected);
    assert_eq!(fixed.len(), 1);
    assert_eq!(fixed[0].addresses, vec!["aws_sqs_queue.q".to_string()]);
    assert!(events(&sink, EventKind::DriftDetected).is_empty());
    assert!(events(&sink, EventKind::DriftResolved).is_empty());
    let st = svc.shared().stack("s").unwrap().status().clone();
    assert!(st.drifted.is_empty());
    assert_eq!(st.runs.get(&("drift", "corrected")), Some(&1));
    svc.shutdown_token().cancel();
    svc.wait().await;
}

#[tokio::test(start_paused = true)]
async fn failures_back_off_with_jitter_while_other_stacks_keep_working() {
    let fake = Fake::new();
    fake.fail_fetch.lock().unwrap().insert("bad".into());
    let (svc, sink) = start_paused(
        vec![stack("bad"), stack("good")],
        fake.clone(),
        monday(12, 0),
        DEFAULT_GRACE,
    )
    .await;
    sleep(1800).await;
    let tries = fake.calls("bad", "fetch");
    let (base, cap) = backoff_bounds(Duration::from_secs(60));
    for (i, w) in tries.windows(2).enumerate() {
        let full = base.saturating_mul(1 << i.min(30)).min(cap);
        let gap = w[1].at - w[0].at;
        assert!(
            gap >= full / 2 && gap <= full,
            "retry {}: gap {gap:?} not in [{:?}, {full:?}]",
            i + 1,
            full / 2
        );
    }
    // Gaps double from 2.5-5 s up to 150-300 s: 11 to 18 tries in 30 minutes.
    assert!((11..=18).contains(&tries.len()), "{} tries", tries.len());
    // The healthy stack synced once and fetched every minute regardless.
    assert_eq!(fake.calls("good", "sync").len(), 1);
    assert!(fake.calls("good", "fetch").len() >= 27);

    let shared = svc.shared().clone();
    let problems = shared.readiness().unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].starts_with("bad: "), "{problems:?}");
    assert!(
        problems[0].contains("cannot reach the Git remote"),
        "{problems:?}"
    );
    let m = shared.metrics_text();
    assert!(
        m.contains(&format!(
            "terrane_runs_total{{stack=\"bad\",kind=\"sync\",outcome=\"failed\"}} {}",
            tries.len()
        )),
        "{m}"
    );
    assert!(m.contains(&format!(
        "terrane_consecutive_failures{{stack=\"bad\"}} {}",
        tries.len()
    )));
    assert_eq!(
        events(&sink, EventKind::SyncFailed).len(),
        1,
        "failure notified once per streak"
    );

    // The remote comes back: the stack recovers on its own within one backoff cap.
    fake.fail_fetch.lock().unwrap().clear();
    tokio::time::sleep(cap + Duration::from_secs(1)).await;
    assert!(shared.readiness().is_ok(), "{:?}", shared.readiness());
    assert_eq!(fake.calls("bad", "sync").len(), 1);
    assert_eq!(events(&sink, EventKind::Recovered).len(), 1);
    svc.shutdown_token().cancel();
    svc.wait().await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_apply_is_notified_retried_and_then_succeeds() {
    let fake = Fake::new();
    *fake.fail_apply.lock().unwrap() = true;
    let (svc, sink) =
        start_paused(vec![stack("s")], fake.clone(), monday(12, 0), DEFAULT_GRACE).await;
    sleep(30).await;
    let failed = events(&sink, EventKind::ApplyFailed);
    assert!(failed.len() >= 2, "every failed apply is notified");
    assert_eq!(
        failed[0].error.as_deref(),
        Some("CreateBucket: AccessDenied")
    );
    let st = svc.shared().stack("s").unwrap().status().clone();
    assert!(st.applied_commit.is_none());
    assert!(st.api_errors >= 2);
    *fake.fail_apply.lock().unwrap() = false;
    sleep(300).await;
    assert_eq!(events(&sink, EventKind::ApplySucceeded).len(), 1);
    assert!(svc.shared().readiness().is_ok());
    svc.shutdown_token().cancel();
    svc.wait().await;
}

#[tokio::test(start_paused = true)]
async fn runs_of_one_stack_never_overlap_and_a_webhook_during_a_run_is_kept() {
    let fake = Fake::new();
    *fake.apply_time.lock().unwrap() = Duration::from_secs(300);
    let mut s = stack("s");
    s.interval = Duration::from_secs(10);
    s.drift_interval = Duration::from_secs(10);
    let (svc, _sink) = start_paused(vec![s], fake.clone(), monday(12, 0), DEFAULT_GRACE).await;
    let h = svc.shared().stack("s").unwrap().clone();
    sleep(5).await;
    assert!(h.status().running, "the first apply is running");
    *fake.head.lock().unwrap() = "c2".into();
    for _ in 0..5 {
        h.trigger.notify_one();
        sleep(20).await;
    }
    assert_eq!(
        fake.calls("s", "sync").len(),
        1,
        "no second run during the first"
    );
    sleep(200).await; // first apply ends at ~300s; the kept trigger syncs c2 at once
    let syncs = fake.calls("s", "sync");
    assert_eq!(syncs.len(), 2);
    assert_eq!(syncs[1].commit, "c2");
    assert!(syncs[1].at < Duration::from_secs(302), "{:?}", syncs[1].at);
    sleep(900).await;
    assert_eq!(fake.max_active.load(Ordering::SeqCst), 1);
    svc.shutdown_token().cancel();
    svc.wait().await;
}

#[tokio::test(start_paused = true)]
async fn outside_the_window_changes_are_planned_once_and_applied_when_it_opens() {
    let fake = Fake::new();
    let mut s = stack("s");
    s.window = Some(Window::parse(&["* 9-17 * * mon-fri"]).unwrap());
    let (svc, sink) = start_paused(vec![s], fake.clone(), monday(8, 50), DEFAULT_GRACE).await;
    sleep(1).await;
    let syncs = fake.calls("s", "sync");
    assert_eq!(syncs.len(), 1);
    assert!(!syncs[0].flag, "planned, not applied, at 08:50");
    let pending = events(&sink, EventKind::PlanPending);
    assert_eq!(pending.len(), 1);
    assert!(
        pending[0].text.contains("outside the apply window"),
        "{}",
        pending[0].text
    );
    assert!(svc
        .shared()
        .metrics_text()
        .contains("terrane_pending_changes{stack=\"s\"} 1"));
    sleep(480).await; // 08:58: still closed, and the same commit is not planned again
    assert_eq!(fake.calls("s", "sync").len(), 1);
    sleep(240).await; // 09:02: the first fetch after 09:00 came at most 66 s after it
    let syncs = fake.calls("s", "sync");
    assert_eq!(syncs.len(), 2);
    assert!(syncs[1].flag && syncs[1].commit == "c1");
    assert!(syncs[1].at >= Duration::from_secs(600), "{:?}", syncs[1].at);
    assert_eq!(events(&sink, EventKind::ApplySucceeded).len(), 1);
    let st = svc.shared().stack("s").unwrap().status().clone();
    assert!(st.pending_commit.is_none());
    svc.shutdown_token().cancel();
    svc.wait().await;
}

#[tokio::test(start_paused = true)]
async fn plan_only_plans_each_commit_once_and_never_applies() {
    let fake = Fake::new();
    let mut s = stack("s");
    s.apply = ApplyPolicy::PlanOnly;
    s.drift = DriftPolicy::Correct; // ignored without apply: plan-only never changes the cloud
    s.drift_interval = Duration::from_secs(300);
    let (svc, sink) = start_paused(vec![s], fake.clone(), monday(12, 0), DEFAULT_GRACE).await;
    *fake.cloud_drift.lock().unwrap() = vec!["aws_iam_role.r".into()];
    sleep(1200).await;
    *fake.head.lock().unwrap() = "c2".into();
    sleep(600).await;
    let syncs = fake.calls("s", "sync");
    assert_eq!(syncs.len(), 2);
    assert!(syncs.iter().all(|c| !c.flag));
    assert!(fake.calls("s", "drift").iter().all(|c| !c.flag));
    assert_eq!(fake.finished_applies.load(Ordering::SeqCst), 0);
    assert_eq!(events(&sink, EventKind::PlanPending).len(), 2);
    assert_eq!(events(&sink, EventKind::DriftDetected).len(), 1);
    svc.shutdown_token().cancel();
    svc.wait().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_lets_a_running_apply_finish_and_record() {
    let fake = Fake::new();
    *fake.apply_time.lock().unwrap() = Duration::from_secs(45);
    let (svc, _sink) = start_paused(
        vec![stack("s")],
        fake.clone(),
        monday(12, 0),
        Duration::from_secs(120),
    )
    .await;
    sleep(5).await;
    let h = svc.shared().stack("s").unwrap().clone();
    assert!(h.status().running);
    svc.shutdown_token().cancel();
    let t = Instant::now();
    assert_eq!(svc.wait().await, Stopped::Clean);
    assert!(
        t.elapsed() >= Duration::from_secs(39),
        "waited for the apply"
    );
    assert_eq!(fake.finished_applies.load(Ordering::SeqCst), 1);
    let st = h.status().clone();
    assert_eq!(st.last_run.as_ref().map(|r| r.outcome), Some("applied"));
    assert!(!st.running);
    assert_eq!(
        fake.calls("s", "sync").len(),
        1,
        "no new work after the signal"
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_gives_up_after_the_grace_period() {
    let fake = Fake::new();
    *fake.apply_time.lock().unwrap() = Duration::from_secs(3600);
    let (svc, _sink) = start_paused(
        vec![stack("s"), stack("t")],
        fake.clone(),
        monday(12, 0),
        Duration::from_secs(30),
    )
    .await;
    sleep(5).await;
    svc.shutdown_token().cancel();
    let t = Instant::now();
    let stopped = svc.wait().await;
    assert_eq!(
        stopped,
        Stopped::GraceExpired(vec!["s".to_string(), "t".to_string()])
    );
    assert!(t.elapsed() <= Duration::from_secs(31));
}

// ---- HTTP: a real server on a loopback port, real time ----

fn secret_env(tag: &str, value: &str) -> String {
    let var = format!("TERRANE_TEST_WEBHOOK_{tag}_{}", std::process::id());
    std::env::set_var(&var, value);
    var
}

async fn start_real(stacks: Vec<StackConfig>, fake: Arc<Fake>) -> Service {
    let opts = ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        grace: Duration::from_secs(5),
        retry: notify::RetryPolicy {
            attempts: 2,
            first_delay: Duration::from_millis(10),
            timeout: Duration::from_secs(5),
        },
        ..ServeOptions::default()
    };
    Service::start(ServeConfig { stacks }, fake, opts)
        .await
        .unwrap()
}

/// Polls `f` every 20 ms for up to 10 s.
async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn endpoints_serve_health_readiness_status_metrics_and_notifications() {
    let (rx, url) = notify::tests::Receiver::start(0).await;
    let fake = Fake::new();
    let mut a = stack("a");
    a.interval = Duration::from_secs(3600);
    a.notify = vec![url];
    let mut b = stack("b");
    b.interval = Duration::from_secs(3600);
    b.notify = vec![];
    fake.fail_fetch.lock().unwrap().insert("b".into());
    let svc = start_real(vec![a, b], fake.clone()).await;
    let base = format!("http://{}", svc.addr());
    let http = reqwest::Client::new();
    let get = |p: &str| http.get(format!("{base}{p}")).send();

    let r = get("/healthz").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok\n");

    eventually("first runs", || {
        svc.shared()
            .stacks
            .iter()
            .all(|h| h.status().completed_runs > 0)
    })
    .await;
    let r = get("/readyz").await.unwrap();
    assert_eq!(r.status(), 503);
    let body = r.text().await.unwrap();
    assert!(body.contains("b: the last "), "{body}");
    assert!(
        body.contains("failed: cannot reach the Git remote"),
        "{body}"
    );
    assert!(!body.contains("a:"), "{body}");

    let s: serde_json::Value = get("/status").await.unwrap().json().await.unwrap();
    let a = &s["stacks"][0];
    assert_eq!(a["name"], "a");
    assert_eq!(a["commit"], "c1");
    assert_eq!(a["last_run"]["outcome"], "applied");
    assert_eq!(a["last_run"]["kind"], "sync");
    assert!(a["next_run"].as_str().unwrap().ends_with('Z'));
    assert_eq!(a["drifted"], serde_json::json!([]));
    assert_eq!(s["stacks"][1]["last_run"]["outcome"], "failed");

    let d: serde_json::Value = get("/status/a").await.unwrap().json().await.unwrap();
    assert_eq!(d["last_plan"]["summary"]["add"], 1);
    assert_eq!(d["last_plan"]["commit"], "c1");
    assert_eq!(d["last_plan"]["plan"]["changes"], 1);
    assert_eq!(d["policy"]["apply"], "auto");
    assert_eq!(d["policy"]["interval"], "1h");
    assert_eq!(get("/status/nope").await.unwrap().status(), 404);

    let r = get("/metrics").await.unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let m = r.text().await.unwrap();
    for want in [
        "# TYPE terrane_runs_total counter",
        "terrane_runs_total{stack=\"a\",kind=\"sync\",outcome=\"applied\"} 1",
        "terrane_runs_total{stack=\"b\",kind=\"sync\",outcome=\"failed\"} ",
        "# TYPE terrane_apply_duration_seconds histogram",
        "terrane_apply_duration_seconds_count{stack=\"a\"} 1",
        "terrane_apply_duration_seconds_bucket{stack=\"a\",le=\"+Inf\"} 1",
        "terrane_resources{stack=\"a\"} 3",
        "terrane_drifted_resources{stack=\"a\"} 0",
        "terrane_stack_commit{stack=\"a\",commit=\"c1\"} 1",
        "terrane_cloud_api_calls_total{stack=\"a\"} 5",
        "terrane_cloud_api_errors_total{stack=\"a\"} 0",
    ] {
        assert!(m.contains(want), "missing {want:?} in\n{m}");
    }
    assert!(m.contains("terrane_last_successful_sync_timestamp_seconds{stack=\"a\"} 1"));
    assert!(!m.contains("terrane_last_successful_sync_timestamp_seconds{stack=\"b\"}"));
    assert!(
        !m.contains("terrane_consecutive_failures{stack=\"b\"} 0"),
        "{m}"
    );
    assert!(
        m.contains("terrane_consecutive_failures{stack=\"a\"} 0"),
        "{m}"
    );

    eventually("apply notification", || !rx.events().is_empty()).await;
    let ev = rx.events();
    assert_eq!(ev[0]["event"], "apply_succeeded");
    assert_eq!(ev[0]["stack"], "a");
    assert!(ev[0]["text"].as_str().unwrap().contains("applied c1"));
    eventually("delivery counted", || {
        svc.shared()
            .metrics_text()
            .contains("terrane_notifications_total{outcome=\"delivered\"} 1")
    })
    .await;

    svc.shutdown_token().cancel();
    assert_eq!(svc.wait().await, Stopped::Clean);
}

#[tokio::test]
async fn webhook_needs_a_valid_signature_and_triggers_a_sync() {
    let fake = Fake::new();
    let mut a = stack("a");
    a.interval = Duration::from_secs(3600);
    a.webhook_secret_env = Some(secret_env("A", "It's a Secret to Everybody"));
    a.notify = vec![];
    let mut b = stack("b");
    b.interval = Duration::from_secs(3600);
    b.notify = vec![];
    let svc = start_real(vec![a, b], fake.clone()).await;
    let base = format!("http://{}", svc.addr());
    let http = reqwest::Client::new();
    eventually("first sync", || fake.calls("a", "sync").len() == 1).await;
    let fetches = || fake.calls("a", "fetch").len();
    assert_eq!(fetches(), 1);
    *fake.head.lock().unwrap() = "c2".into();

    let body = br#"{"ref":"refs/heads/main","after":"c2"}"#.to_vec();
    let post = |sig: Option<String>, event: &str, body: Vec<u8>, stack: &str| {
        let mut r = http
            .post(format!("{base}/webhook/{stack}"))
            .header("x-github-event", event)
            .body(body);
        if let Some(s) = sig {
            r = r.header("x-hub-signature-256", s);
        }
        r.send()
    };
    let good = http::sign(b"It's a Secret to Everybody", &body);
    let wrong = http::sign(b"guess", &body);

    let r = post(None, "push", body.clone(), "a").await.unwrap();
    assert_eq!(r.status(), 401);
    let r = post(Some(wrong), "push", body.clone(), "a").await.unwrap();
    assert_eq!(r.status(), 401);
    // A valid signature over a different body is still wrong.
    let r = post(Some(good.clone()), "push", b"{}".to_vec(), "a")
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = post(Some(good.clone()), "ping", body.clone(), "a")
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fetches(), 1, "refused and ping requests trigger nothing");

    let r = post(Some(good.clone()), "push", body.clone(), "a")
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    eventually("sync of c2 after the push", || {
        fake.calls("a", "sync").iter().any(|c| c.commit == "c2")
    })
    .await;
    assert_eq!(fetches(), 2);

    // Stack without a secret has no webhook; unknown stacks neither.
    let r = post(Some(good.clone()), "push", body.clone(), "b")
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = post(Some(good), "push", body.clone(), "zzz").await.unwrap();
    assert_eq!(r.status(), 404);
    // Oversized bodies are refused before anything else.
    let big = vec![b'x'; http::MAX_WEBHOOK_BODY + 1];
    let sig = http::sign(b"It's a Secret to Everybody", &big);
    let r = post(Some(sig), "push", big, "a").await.unwrap();
    assert_eq!(r.status(), 413);

    let m = svc.shared().metrics_text();
    assert!(
        m.contains("terrane_webhooks_total{stack=\"a\",result=\"unauthorized\"} 3"),
        "{m}"
    );
    assert!(
        m.contains("terrane_webhooks_total{stack=\"a\",result=\"accepted\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("terrane_webhooks_total{stack=\"a\",result=\"ignored\"} 1"),
        "{m}"
    );
    svc.shutdown_token().cancel();
    svc.wait().await;
}

#[tokio::test]
async fn a_stack_naming_an_unset_secret_does_not_start() {
    let mut a = stack("a");
    a.webhook_secret_env = Some("TERRANE_TEST_NEVER_SET_7C1".into());
    let err = Service::start(
        ServeConfig { stacks: vec![a] },
        Fake::new(),
        ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..ServeOptions::default()
        },
    )
    .await
    .err()
    .unwrap();
    assert!(err.contains("TERRANE_TEST_NEVER_SET_7C1"), "{err}");
}

#[tokio::test]
async fn while_stopping_the_endpoints_answer_and_readiness_fails() {
    let fake = Fake::new();
    *fake.apply_time.lock().unwrap() = Duration::from_millis(1500);
    let mut s = stack("s");
    s.notify = vec![];
    let svc = start_real(vec![s], fake.clone()).await;
    let base = format!("http://{}", svc.addr());
    eventually("apply running", || {
        svc.shared().stack("s").unwrap().status().running
    })
    .await;
    svc.shutdown_token().cancel();
    let shared = svc.shared().clone();
    let waiter = tokio::spawn(svc.wait());
    eventually("stopping flag", || {
        shared.stopping.load(std::sync::atomic::Ordering::Relaxed)
    })
    .await;
    let r = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("stopping"));
    let r = reqwest::get(format!("{base}/status")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(waiter.await.unwrap(), Stopped::Clean);
    assert_eq!(fake.finished_applies.load(Ordering::SeqCst), 1);
    assert!(
        reqwest::get(format!("{base}/healthz")).await.is_err(),
        "server stopped"
    );
}

#[tokio::test(start_paused = true)]
async fn plan_only_with_nothing_to_change_has_nothing_pending() {
    let fake = Fake::new();
    fake.applied.lock().unwrap().insert("s".into(), "c1".into());
    let mut s = stack("s");
    s.apply = ApplyPolicy::PlanOnly;
    let (svc, sink) = start_paused(vec![s], fake.clone(), monday(12, 0), DEFAULT_GRACE).await;
    sleep(300).await;
    assert_eq!(fake.calls("s", "sync").len(), 1, "planned once");
    let st = svc.shared().stack("s").unwrap().status().clone();
    assert_eq!(st.applied_commit.as_deref(), Some("c1"));
    assert!(st.pending_commit.is_none());
    assert_eq!(st.last_run.as_ref().map(|r| r.kind), Some("sync"));
    assert_eq!(st.runs.get(&("sync", "no_changes")), Some(&1));
    assert!(events(&sink, EventKind::PlanPending).is_empty());
    assert!(svc
        .shared()
        .metrics_text()
        .contains("terrane_pending_changes{stack=\"s\"} 0"));
    svc.shutdown_token().cancel();
    svc.wait().await;
}
