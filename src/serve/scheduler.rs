//! The reconcile loop of one stack. Each stack gets its own task, and the task runs its steps
//! one after another, which is what guarantees that two runs of a stack never overlap; a
//! webhook only rings the task's bell. A step that has started always finishes (an apply is
//! never cut in half); shutdown is only observed between steps.
//!
//! Per wake-up: fetch Git; if the commit is new, plan it and apply it when the policy and the
//! window allow; on the drift interval, re-read the cloud and report or correct drift. Failures
//! back off exponentially with jitter; successes wait a jittered interval.

use super::config::{ApplyPolicy, DriftPolicy, StackConfig};
use super::notify::{Event, EventKind, Notifier};
use super::runner::{Commit, DriftReport, RunError, StackRunner, SyncReport};
use super::schedule::{backoff, jittered, rfc3339};
use super::status::{RunInfo, Shared, StackHandle};
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Runs one stack until `shutdown` is cancelled.
pub async fn run_stack(
    shared: Arc<Shared>,
    handle: Arc<StackHandle>,
    runner: Arc<dyn StackRunner>,
    notifier: Notifier,
    shutdown: CancellationToken,
    seed: u64,
) {
    let mut l = StackLoop {
        shared,
        handle,
        runner,
        notifier,
        rng: fastrand::Rng::with_seed(seed),
        sync_failures: 0,
        drift_failures: 0,
    };
    l.run(shutdown).await;
}

struct StackLoop {
    shared: Arc<Shared>,
    handle: Arc<StackHandle>,
    runner: Arc<dyn StackRunner>,
    notifier: Notifier,
    rng: fastrand::Rng,
    sync_failures: u32,
    drift_failures: u32,
}

impl StackLoop {
    fn cfg(&self) -> &StackConfig {
        &self.handle.config
    }

    async fn run(&mut self, shutdown: CancellationToken) {
        let name = self.cfg().name.clone();
        tracing::info!(stack = %name, "stack loop started");
        let mut next_sync = Instant::now();
        let mut next_drift = Instant::now() + jittered(self.cfg().drift_interval, &mut self.rng);
        loop {
            let wake = next_sync.min(next_drift);
            self.handle.status().next_run_unix = Some(self.shared.clock.unix_at(wake));
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                _ = self.handle.trigger.notified() => {
                    tracing::info!(stack = %name, "sync requested by webhook");
                    next_sync = Instant::now();
                }
                _ = tokio::time::sleep_until(wake) => {}
            }
            if Instant::now() >= next_sync {
                next_sync = self.sync_step().await;
            }
            if shutdown.is_cancelled() {
                break;
            }
            if Instant::now() >= next_drift {
                let commit = self.handle.status().commit.clone();
                next_drift = match commit {
                    Some(c) => self.drift_step(&c).await,
                    // Nothing fetched yet (Git failing): check drift right after the next sync.
                    None => next_sync,
                };
            }
        }
        self.handle.status().next_run_unix = None;
        tracing::info!(stack = %name, "stack loop stopped");
    }

    /// Fetch, and plan/apply if the commit is new. Returns when to sync next.
    async fn sync_step(&mut self) -> Instant {
        let started = Instant::now();
        let started_unix = self.shared.clock.now_unix();
        self.handle.status().running = true;
        let result = self.sync_once().await;
        let mut st = self.handle.status();
        st.running = false;
        let finished_unix = self.shared.clock.now_unix();
        let cfg = self.handle.config.clone();
        match result {
            Ok(None) => {
                // Nothing new in Git and nothing pending: the stack is in sync as of now.
                st.last_success_unix = Some(finished_unix);
                drop(st);
                self.succeeded("sync");
                Instant::now() + jittered(cfg.interval, &mut self.rng)
            }
            Ok(Some((commit, report))) => {
                let outcome = if report.applied {
                    "applied"
                } else if report.plan.is_empty() {
                    "no_changes"
                } else {
                    "planned"
                };
                // Nothing to change counts as applied, whatever the policy: nothing is pending.
                if report.applied || report.plan.is_empty() {
                    st.applied_commit = Some(commit.id.clone());
                    st.pending_commit = None;
                } else {
                    st.pending_commit = Some(commit.id.clone());
                }
                if outcome != "planned" {
                    st.last_success_unix = Some(finished_unix);
                }
                st.resources = Some(report.resources);
                st.unpruned = report.unpruned.clone();
                st.last_plan = Some(report.plan_json.clone());
                st.last_plan_counts = Some(report.plan);
                st.last_plan_commit = Some(commit.id.clone());
                st.api_calls += report.api_calls;
                st.api_errors += report.api_errors;
                let secs = started.elapsed().as_secs_f64();
                if report.applied {
                    st.apply_durations.observe(secs);
                }
                let summary = match outcome {
                    "applied" => format!("applied {}: {}", short(&commit.id), report.plan),
                    "planned" => format!(
                        "planned {} (not applied: {}): {}",
                        short(&commit.id),
                        self.why_not_applied(),
                        report.plan
                    ),
                    _ => format!("{} is up to date", short(&commit.id)),
                };
                Self::record(
                    &mut st,
                    "sync",
                    outcome,
                    started_unix,
                    finished_unix,
                    secs,
                    Some(&commit.id),
                    &summary,
                );
                drop(st);
                tracing::info!(stack = %cfg.name, commit = %commit.id, outcome, plan = %report.plan, "sync finished");
                if !report.plan.is_empty() {
                    tracing::debug!(stack = %cfg.name, "plan:\n{}", report.plan_text);
                }
                match outcome {
                    "applied" => self.notify(
                        EventKind::ApplySucceeded,
                        Some(&commit.id),
                        format!(
                            "terrane: applied {} to stack {} ({})",
                            short(&commit.id),
                            cfg.name,
                            report.plan
                        ),
                        vec![],
                        Some(report.plan),
                        None,
                    ),
                    "planned" => self.notify(
                        EventKind::PlanPending,
                        Some(&commit.id),
                        format!(
                            "terrane: stack {} has changes planned for {} but not applied ({}): {}",
                            cfg.name,
                            short(&commit.id),
                            self.why_not_applied(),
                            report.plan
                        ),
                        vec![],
                        Some(report.plan),
                        None,
                    ),
                    _ => {}
                }
                self.succeeded("sync");
                Instant::now() + jittered(cfg.interval, &mut self.rng)
            }
            Err((commit, e)) => {
                st.api_calls += e.api_calls;
                st.api_errors += e.api_errors;
                let secs = started.elapsed().as_secs_f64();
                let summary = format!("sync failed: {}", e.message);
                Self::record(
                    &mut st,
                    "sync",
                    "failed",
                    started_unix,
                    finished_unix,
                    secs,
                    commit.as_ref().map(|c| c.id.as_str()),
                    &summary,
                );
                self.sync_failures += 1;
                st.consecutive_failures = self.sync_failures + self.drift_failures;
                st.last_error = Some(e.message.clone());
                drop(st);
                let delay = backoff(self.sync_failures, cfg.interval, &mut self.rng);
                tracing::warn!(stack = %cfg.name, error = %e.message, failures = self.sync_failures, retry_in = ?delay, "sync failed");
                let cid = commit.as_ref().map(|c| c.id.as_str());
                if e.during_apply {
                    self.notify(
                        EventKind::ApplyFailed,
                        cid,
                        format!("terrane: apply of stack {} failed: {}", cfg.name, e.message),
                        vec![],
                        None,
                        Some(e.message.clone()),
                    );
                } else if self.sync_failures == 1 {
                    self.notify(
                        EventKind::SyncFailed,
                        cid,
                        format!("terrane: sync of stack {} failed: {}", cfg.name, e.message),
                        vec![],
                        None,
                        Some(e.message.clone()),
                    );
                }
                Instant::now() + delay
            }
        }
    }

    /// `Ok(None)`: nothing to do. `Ok(Some(..))`: a plan ran (and maybe an apply).
    #[allow(clippy::type_complexity)]
    async fn sync_once(
        &mut self,
    ) -> Result<Option<(Commit, SyncReport)>, (Option<Commit>, RunError)> {
        let cfg = self.handle.config.clone();
        let commit = self.runner.fetch(&cfg).await.map_err(|e| (None, e))?;
        let (applied, pending) = {
            let mut st = self.handle.status();
            st.commit = Some(commit.clone());
            (st.applied_commit.clone(), st.pending_commit.clone())
        };
        if applied.as_deref() == Some(commit.id.as_str()) {
            return Ok(None);
        }
        let apply_allowed = self.apply_allowed();
        if !apply_allowed && pending.as_deref() == Some(commit.id.as_str()) {
            // Already planned and reported; wait for the window (or forever, for plan-only).
            return Ok(None);
        }
        tracing::info!(stack = %cfg.name, commit = %commit.id, apply = apply_allowed, "new commit: planning");
        match self.runner.sync(&cfg, &commit, apply_allowed).await {
            Ok(r) => Ok(Some((commit, r))),
            Err(e) => Err((Some(commit), e)),
        }
    }

    fn apply_allowed(&self) -> bool {
        let cfg = self.cfg();
        cfg.apply == ApplyPolicy::Auto && self.window_open()
    }

    fn window_open(&self) -> bool {
        match &self.cfg().window {
            Some(w) => w.allows(self.shared.clock.now_unix().floor() as i64),
            None => true,
        }
    }

    fn why_not_applied(&self) -> &'static str {
        if self.cfg().apply == ApplyPolicy::PlanOnly {
            "apply = plan-only"
        } else {
            "outside the apply window"
        }
    }

    /// Refresh and compare with what was applied. Returns when to check next.
    async fn drift_step(&mut self, commit: &Commit) -> Instant {
        let cfg = self.handle.config.clone();
        let correct = cfg.drift == DriftPolicy::Correct && self.apply_allowed();
        let started = Instant::now();
        let started_unix = self.shared.clock.now_unix();
        self.handle.status().running = true;
        let result = self.runner.drift(&cfg, commit, correct).await;
        let finished_unix = self.shared.clock.now_unix();
        let secs = started.elapsed().as_secs_f64();
        let mut st = self.handle.status();
        st.running = false;
        match result {
            Ok(r) => {
                let DriftReport {
                    drifted,
                    corrected,
                    resources,
                    api_calls,
                    api_errors,
                } = r;
                let before: BTreeSet<String> = st.drifted.iter().cloned().collect();
                let now: BTreeSet<String> = drifted.iter().cloned().collect();
                let fixed: BTreeSet<String> = corrected.iter().cloned().collect();
                let newly: Vec<String> = now.difference(&before).cloned().collect();
                let resolved: Vec<String> = before
                    .difference(&now)
                    .filter(|a| !fixed.contains(*a))
                    .cloned()
                    .collect();
                let outcome = if !corrected.is_empty() {
                    "corrected"
                } else if !drifted.is_empty() {
                    "drifted"
                } else {
                    "clean"
                };
                st.drifted = now.into_iter().collect();
                st.resources = Some(resources);
                st.api_calls += api_calls;
                st.api_errors += api_errors;
                let summary = match outcome {
                    "clean" => "no drift".to_string(),
                    "drifted" => format!("{} drifted: {}", drifted.len(), drifted.join(", ")),
                    _ => format!("corrected: {}", corrected.join(", ")),
                };
                Self::record(
                    &mut st,
                    "drift",
                    outcome,
                    started_unix,
                    finished_unix,
                    secs,
                    Some(&commit.id),
                    &summary,
                );
                drop(st);
                tracing::info!(stack = %cfg.name, outcome, drifted = drifted.len(), corrected = corrected.len(), "drift check finished");
                if !newly.is_empty() {
                    let why = if cfg.drift == DriftPolicy::Correct {
                        "left alone: outside the apply window"
                    } else {
                        "left alone: drift = report"
                    };
                    self.notify(
                        EventKind::DriftDetected,
                        Some(&commit.id),
                        format!(
                            "terrane: drift in stack {}: {} changed outside terrane ({why})",
                            cfg.name,
                            newly.join(", ")
                        ),
                        newly,
                        None,
                        None,
                    );
                }
                if !corrected.is_empty() {
                    self.notify(
                        EventKind::DriftCorrected,
                        Some(&commit.id),
                        format!(
                            "terrane: drift in stack {} corrected: {} reverted to the configuration",
                            cfg.name,
                            corrected.join(", ")
                        ),
                        corrected,
                        None,
                        None,
                    );
                }
                if !resolved.is_empty() {
                    self.notify(
                        EventKind::DriftResolved,
                        Some(&commit.id),
                        format!(
                            "terrane: drift in stack {} resolved: {} match the configuration again",
                            cfg.name,
                            resolved.join(", ")
                        ),
                        resolved,
                        None,
                        None,
                    );
                }
                self.succeeded("drift");
                Instant::now() + jittered(cfg.drift_interval, &mut self.rng)
            }
            Err(e) => {
                st.api_calls += e.api_calls;
                st.api_errors += e.api_errors;
                let summary = format!("drift check failed: {}", e.message);
                Self::record(
                    &mut st,
                    "drift",
                    "failed",
                    started_unix,
                    finished_unix,
                    secs,
                    Some(&commit.id),
                    &summary,
                );
                self.drift_failures += 1;
                st.consecutive_failures = self.sync_failures + self.drift_failures;
                st.last_error = Some(e.message.clone());
                drop(st);
                let delay = backoff(self.drift_failures, cfg.drift_interval, &mut self.rng);
                tracing::warn!(stack = %cfg.name, error = %e.message, failures = self.drift_failures, retry_in = ?delay, "drift check failed");
                if e.during_apply {
                    self.notify(
                        EventKind::ApplyFailed,
                        Some(&commit.id),
                        format!(
                            "terrane: correcting drift in stack {} failed: {}",
                            cfg.name, e.message
                        ),
                        vec![],
                        None,
                        Some(e.message.clone()),
                    );
                }
                Instant::now() + delay
            }
        }
    }

    /// After a successful step: end that kind's failure streak; when neither syncs nor drift
    /// checks are failing any more, clear the error and announce the recovery once.
    fn succeeded(&mut self, kind: &str) {
        match kind {
            "sync" => self.sync_failures = 0,
            _ => self.drift_failures = 0,
        }
        let mut st = self.handle.status();
        let was = st.consecutive_failures;
        st.consecutive_failures = self.sync_failures + self.drift_failures;
        if st.consecutive_failures > 0 {
            return;
        }
        st.last_error = None;
        let commit = st.commit.as_ref().map(|c| c.id.clone());
        drop(st);
        if was > 0 {
            let name = self.cfg().name.clone();
            tracing::info!(stack = %name, after = was, "stack recovered");
            self.notify(
                EventKind::Recovered,
                commit.as_deref(),
                format!("terrane: stack {name} recovered after {was} failed run(s)"),
                vec![],
                None,
                None,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        st: &mut super::status::StackStatus,
        kind: &'static str,
        outcome: &'static str,
        started_unix: f64,
        finished_unix: f64,
        secs: f64,
        commit: Option<&str>,
        summary: &str,
    ) {
        *st.runs.entry((kind, outcome)).or_default() += 1;
        st.completed_runs += 1;
        st.last_run = Some(RunInfo {
            kind,
            outcome,
            started_at: rfc3339(started_unix),
            finished_at: rfc3339(finished_unix),
            duration_seconds: secs,
            commit: commit.map(str::to_string),
            summary: summary.to_string(),
        });
    }

    fn notify(
        &self,
        event: EventKind,
        commit: Option<&str>,
        text: String,
        addresses: Vec<String>,
        plan: Option<super::runner::PlanCounts>,
        error: Option<String>,
    ) {
        let cfg = self.cfg();
        self.notifier.send(
            &cfg.notify,
            Event {
                event,
                stack: cfg.name.clone(),
                commit: commit.map(str::to_string),
                text,
                addresses,
                plan,
                error,
                time: rfc3339(self.shared.clock.now_unix()),
            },
        );
    }
}

/// The first 12 characters of a commit id, as people quote them.
fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}
