//! What the service knows about each stack, shared between the stack loops (writers) and the
//! HTTP handlers (readers): the JSON for /status, the readiness rule and the Prometheus text for
//! /metrics. Metrics are rendered from this state at scrape time rather than through a global
//! recorder, so several services (tests) can live in one process and a metric can never
//! disagree with the status it describes.

use super::config::StackConfig;
use super::runner::{Commit, PlanCounts};
use super::schedule::{rfc3339, Clock};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

/// Upper bounds (seconds) of the apply duration histogram.
pub const APPLY_BUCKETS: &[f64] = &[
    0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0,
];

/// One finished run, as /status shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunInfo {
    /// `sync` or `drift`.
    pub kind: &'static str,
    /// sync: `applied`, `planned`, `no_changes`, `failed`; drift: `clean`, `drifted`,
    /// `corrected`, `failed`.
    pub outcome: &'static str,
    pub started_at: String,
    pub finished_at: String,
    pub duration_seconds: f64,
    pub commit: Option<String>,
    pub summary: String,
}

/// A cumulative histogram in Prometheus' shape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    pub counts: Vec<u64>,
    pub count: u64,
    pub sum: f64,
}

impl Histogram {
    pub fn observe(&mut self, v: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; APPLY_BUCKETS.len()];
        }
        for (i, le) in APPLY_BUCKETS.iter().enumerate() {
            if v <= *le {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += v;
    }
}

/// Mutable state of one stack.
#[derive(Debug, Clone, Default)]
pub struct StackStatus {
    /// The commit last fetched.
    pub commit: Option<Commit>,
    /// The commit whose configuration is applied (or needed no change).
    pub applied_commit: Option<String>,
    /// Planned but not applied (plan-only policy or outside the window).
    pub pending_commit: Option<String>,
    pub last_run: Option<RunInfo>,
    pub next_run_unix: Option<f64>,
    pub drifted: Vec<String>,
    pub resources: Option<usize>,
    pub last_plan: Option<serde_json::Value>,
    pub last_plan_counts: Option<PlanCounts>,
    pub last_plan_commit: Option<String>,
    /// Resources removed from Git and kept because prune = false.
    pub unpruned: Vec<String>,
    /// Runs finished (any outcome).
    pub completed_runs: u64,
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
    pub last_success_unix: Option<f64>,
    pub runs: BTreeMap<(&'static str, &'static str), u64>,
    pub apply_durations: Histogram,
    pub api_calls: u64,
    pub api_errors: u64,
    pub webhooks: BTreeMap<&'static str, u64>,
    /// True while a run is executing.
    pub running: bool,
}

/// One stack: its configuration, its status and the bell a webhook rings.
pub struct StackHandle {
    pub config: StackConfig,
    /// Read from the environment once at startup; never printed (no Debug on this type).
    pub(crate) secret: Option<Vec<u8>>,
    pub status: Mutex<StackStatus>,
    /// Wakes the stack's loop for an immediate sync.
    pub trigger: Notify,
}

impl StackHandle {
    pub fn new(config: StackConfig) -> StackHandle {
        let secret = config.webhook_secret();
        StackHandle {
            config,
            secret,
            status: Mutex::new(StackStatus::default()),
            trigger: Notify::new(),
        }
    }

    /// The status, even if a writer panicked while holding it (the data is still meaningful).
    pub fn status(&self) -> MutexGuard<'_, StackStatus> {
        self.status.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn is_ready(&self) -> Result<(), String> {
        let s = self.status();
        if s.completed_runs == 0 {
            return Err("no run has completed yet".into());
        }
        if s.consecutive_failures > 0 {
            return Err(format!(
                "the last {} run(s) failed: {}",
                s.consecutive_failures,
                s.last_error.as_deref().unwrap_or("unknown error")
            ));
        }
        Ok(())
    }
}

/// Everything the loops and the HTTP handlers share.
pub struct Shared {
    pub stacks: Vec<Arc<StackHandle>>,
    pub clock: Clock,
    pub started_unix: f64,
    pub notifications_delivered: AtomicU64,
    pub notifications_failed: AtomicU64,
    /// Set once shutdown starts; readiness then fails so load balancers drain.
    pub stopping: std::sync::atomic::AtomicBool,
}

impl Shared {
    pub fn new(stacks: Vec<StackConfig>, clock: Clock) -> Shared {
        Shared {
            stacks: stacks
                .into_iter()
                .map(|c| Arc::new(StackHandle::new(c)))
                .collect(),
            started_unix: clock.now_unix(),
            clock,
            notifications_delivered: AtomicU64::new(0),
            notifications_failed: AtomicU64::new(0),
            stopping: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn stack(&self, name: &str) -> Option<&Arc<StackHandle>> {
        self.stacks.iter().find(|s| s.config.name == name)
    }

    /// `Ok` when every stack has completed a run and its latest run succeeded; otherwise the
    /// reasons, one per stack.
    pub fn readiness(&self) -> Result<(), Vec<String>> {
        if self.stopping.load(Ordering::Relaxed) {
            return Err(vec![
                "stopping: finishing running work before exit".to_string()
            ]);
        }
        let problems: Vec<String> = self
            .stacks
            .iter()
            .filter_map(|s| {
                s.is_ready()
                    .err()
                    .map(|e| format!("{}: {e}", s.config.name))
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The JSON of one stack for /status (`detail` adds the last plan, for /status/<stack>).
    pub fn stack_json(&self, h: &StackHandle, detail: bool) -> serde_json::Value {
        let s = h.status();
        let c = &h.config;
        let mut v = serde_json::json!({
            "name": c.name,
            "commit": s.commit.as_ref().map(|c| &c.id),
            "applied_commit": s.applied_commit,
            "pending_commit": s.pending_commit,
            "last_run": s.last_run,
            "next_run": s.next_run_unix.map(rfc3339),
            "running": s.running,
            "drifted": s.drifted,
            "resources": s.resources,
            "consecutive_failures": s.consecutive_failures,
            "last_error": s.last_error,
            "last_successful_sync": s.last_success_unix.map(rfc3339),
        });
        if detail {
            let extra = serde_json::json!({
                "commit_info": s.commit,
                "unpruned": s.unpruned,
                "policy": {
                    "git": redact_git(&c.git),
                    "ref": c.git_ref,
                    "path": c.path,
                    "interval": super::schedule::format_duration(c.interval),
                    "drift_interval": super::schedule::format_duration(c.drift_interval),
                    "apply": c.apply.as_str(),
                    "drift": c.drift.as_str(),
                    "prune": c.prune,
                    "window": c.window.as_ref().map(|w| w.source().to_vec()),
                    "webhook": h.secret.is_some(),
                    "notify": c.notify.len(),
                },
                "last_plan": {
                    "commit": s.last_plan_commit,
                    "summary": s.last_plan_counts,
                    "plan": s.last_plan,
                },
            });
            if let (Some(obj), serde_json::Value::Object(more)) = (v.as_object_mut(), extra) {
                obj.extend(more);
            }
        }
        v
    }

    /// The JSON for /status.
    pub fn status_json(&self) -> serde_json::Value {
        serde_json::json!({
            "started_at": rfc3339(self.started_unix),
            "stacks": self.stacks.iter().map(|h| self.stack_json(h, false)).collect::<Vec<_>>(),
        })
    }

    /// Prometheus text exposition format 0.0.4.
    pub fn metrics_text(&self) -> String {
        let snaps: Vec<(String, StackStatus)> = self
            .stacks
            .iter()
            .map(|h| (h.config.name.clone(), h.status().clone()))
            .collect();
        let mut out = String::new();
        let mut family = |name: &str, kind: &str, help: &str, lines: Vec<String>| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for l in lines {
                out.push_str(&l);
                out.push('\n');
            }
        };

        let mut lines = Vec::new();
        for (n, s) in &snaps {
            for ((kind, outcome), v) in &s.runs {
                lines.push(format!(
                    "terrane_runs_total{{stack=\"{}\",kind=\"{kind}\",outcome=\"{outcome}\"}} {v}",
                    esc(n)
                ));
            }
        }
        family(
            "terrane_runs_total",
            "counter",
            "Finished runs by stack, kind (sync, drift) and outcome.",
            lines,
        );

        let mut lines = Vec::new();
        for (n, s) in &snaps {
            let h = &s.apply_durations;
            for (i, le) in APPLY_BUCKETS.iter().enumerate() {
                let c = h.counts.get(i).copied().unwrap_or(0);
                lines.push(format!(
                    "terrane_apply_duration_seconds_bucket{{stack=\"{}\",le=\"{le}\"}} {c}",
                    esc(n)
                ));
            }
            lines.push(format!(
                "terrane_apply_duration_seconds_bucket{{stack=\"{}\",le=\"+Inf\"}} {}",
                esc(n),
                h.count
            ));
            lines.push(format!(
                "terrane_apply_duration_seconds_sum{{stack=\"{}\"}} {}",
                esc(n),
                h.sum
            ));
            lines.push(format!(
                "terrane_apply_duration_seconds_count{{stack=\"{}\"}} {}",
                esc(n),
                h.count
            ));
        }
        family(
            "terrane_apply_duration_seconds",
            "histogram",
            "Duration of syncs that applied changes.",
            lines,
        );

        let gauge = |f: &dyn Fn(&StackStatus) -> Option<String>| -> Vec<String> {
            snaps
                .iter()
                .filter_map(|(n, s)| f(s).map(|v| format!("{{stack=\"{}\"}} {v}", esc(n))))
                .collect()
        };
        let prefixed = |name: &str, v: Vec<String>| -> Vec<String> {
            v.into_iter().map(|l| format!("{name}{l}")).collect()
        };
        family(
            "terrane_resources",
            "gauge",
            "Resources managed by the stack after its last run.",
            prefixed(
                "terrane_resources",
                gauge(&|s| s.resources.map(|r| r.to_string())),
            ),
        );
        family(
            "terrane_drifted_resources",
            "gauge",
            "Resources whose cloud state differs from what terrane last applied.",
            prefixed(
                "terrane_drifted_resources",
                gauge(&|s| Some(s.drifted.len().to_string())),
            ),
        );
        family(
            "terrane_last_successful_sync_timestamp_seconds",
            "gauge",
            "Unix time of the last sync that succeeded (Git and the cloud checked).",
            prefixed(
                "terrane_last_successful_sync_timestamp_seconds",
                gauge(&|s| s.last_success_unix.map(|t| format!("{t:.3}"))),
            ),
        );
        family(
            "terrane_consecutive_failures",
            "gauge",
            "Runs that failed in a row (0 when the last run succeeded).",
            prefixed(
                "terrane_consecutive_failures",
                gauge(&|s| Some(s.consecutive_failures.to_string())),
            ),
        );
        family(
            "terrane_pending_changes",
            "gauge",
            "1 when a commit is planned but not applied (plan-only, or outside the window).",
            prefixed(
                "terrane_pending_changes",
                gauge(&|s| Some(u8::from(s.pending_commit.is_some()).to_string())),
            ),
        );
        let lines = snaps
            .iter()
            .filter_map(|(n, s)| {
                s.commit.as_ref().map(|c| {
                    format!(
                        "terrane_stack_commit{{stack=\"{}\",commit=\"{}\"}} 1",
                        esc(n),
                        esc(&c.id)
                    )
                })
            })
            .collect();
        family(
            "terrane_stack_commit",
            "gauge",
            "The commit the stack's ref points at (as the commit label; value always 1).",
            lines,
        );
        family(
            "terrane_cloud_api_calls_total",
            "counter",
            "Cloud API calls made by the stack's runs.",
            prefixed(
                "terrane_cloud_api_calls_total",
                gauge(&|s| Some(s.api_calls.to_string())),
            ),
        );
        family(
            "terrane_cloud_api_errors_total",
            "counter",
            "Cloud API calls that failed.",
            prefixed(
                "terrane_cloud_api_errors_total",
                gauge(&|s| Some(s.api_errors.to_string())),
            ),
        );
        let mut lines = Vec::new();
        for (n, s) in &snaps {
            for (result, v) in &s.webhooks {
                lines.push(format!(
                    "terrane_webhooks_total{{stack=\"{}\",result=\"{result}\"}} {v}",
                    esc(n)
                ));
            }
        }
        family(
            "terrane_webhooks_total",
            "counter",
            "Webhook requests by result (accepted, ignored, unauthorized).",
            lines,
        );
        let d = self.notifications_delivered.load(Ordering::Relaxed);
        let f = self.notifications_failed.load(Ordering::Relaxed);
        family(
            "terrane_notifications_total",
            "counter",
            "Notification deliveries by outcome (failed = gave up after retries).",
            vec![
                format!("terrane_notifications_total{{outcome=\"delivered\"}} {d}"),
                format!("terrane_notifications_total{{outcome=\"failed\"}} {f}"),
            ],
        );
        out
    }
}

/// Escapes a Prometheus label value.
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Git URLs may carry credentials (the config rejects them, flags are checked too); strip any
/// user info anyway before showing one.
fn redact_git(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let mut h = Histogram::default();
        h.observe(0.7);
        h.observe(3.0);
        h.observe(5000.0);
        assert_eq!(h.count, 3);
        assert_eq!(h.counts[0], 0); // le 0.5
        assert_eq!(h.counts[1], 1); // le 1
        assert_eq!(h.counts[3], 2); // le 5
        assert_eq!(*h.counts.last().unwrap(), 2); // le 1800; 5000 only in +Inf
        assert!((h.sum - 5003.7).abs() < 1e-9);
    }

    #[test]
    fn labels_are_escaped_and_credentials_stripped() {
        assert_eq!(esc("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(
            redact_git("https://bob:pw@git.example.com/x.git"),
            "https://git.example.com/x.git"
        );
        assert_eq!(redact_git("/srv/git/x"), "/srv/git/x");
    }
}
