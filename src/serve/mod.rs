//! `terrane serve`: continuous reconciliation. Git is the source of truth; the service keeps the
//! cloud matching it and says loudly when someone changed the cloud behind its back.
//!
//! Why it is shaped this way:
//! - one tokio task per stack ([`scheduler`]), so stacks are independent (one failing stack never
//!   stops another) and a stack's runs are sequential by construction (never two at once);
//! - the engine sits behind the small [`StackRunner`] trait ([`runner`]), so the schedule,
//!   backoff, window and overlap rules are tested on paused tokio time with a fake runner;
//! - the HTTP endpoints ([`http`]) only read shared status ([`status`]); the webhook merely
//!   rings a stack's bell, it never runs anything itself;
//! - notifications ([`notify`]) are delivered by background tasks, so a dead receiver cannot
//!   hold up reconciliation;
//! - shutdown is cooperative: loops stop between steps, a running apply finishes and is
//!   recorded, and the process exits within the grace period.

pub mod command;
pub mod config;
pub mod engine_runner;
pub mod git;
pub mod http;
pub mod notify;
pub mod runner;
pub mod schedule;
pub mod scheduler;
pub mod status;

#[cfg(test)]
mod tests;

pub use config::{ApplyPolicy, DriftPolicy, ServeConfig, StackConfig};
pub use runner::{Commit, DriftReport, PlanCounts, RunError, StackRunner, SyncReport};

use notify::{Notifier, RetryPolicy};
use schedule::Clock;
use status::Shared;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Default listen address: loopback only, so nothing is exposed until the operator decides.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default time a running apply gets to finish after SIGTERM.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(300);

/// Service-wide settings (command-line flags).
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub grace: Duration,
    pub clock: Clock,
    pub retry: RetryPolicy,
    /// Tests: record notifications instead of sending them.
    pub(crate) capture: Option<Arc<std::sync::Mutex<Vec<notify::Event>>>>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            listen: DEFAULT_LISTEN.parse().expect("valid default address"),
            grace: DEFAULT_GRACE,
            clock: Clock::System,
            retry: RetryPolicy::default(),
            capture: None,
        }
    }
}

/// A started service: stack loops and the HTTP server running.
pub struct Service {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: CancellationToken,
    http_stop: CancellationToken,
    stacks: JoinSet<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    notifier: Notifier,
    grace: Duration,
}

/// How the service ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// Every loop stopped (running work finished) within the grace period.
    Clean,
    /// The grace period ran out; the named stacks were still busy and were abandoned.
    GraceExpired(Vec<String>),
}

impl Service {
    /// Binds the listener and starts one loop per stack.
    pub async fn start(
        config: ServeConfig,
        runner: Arc<dyn StackRunner>,
        opts: ServeOptions,
    ) -> Result<Service, String> {
        config.check_environment()?;
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
        let shared = Arc::new(Shared::new(config.stacks, opts.clock));
        let shutdown = CancellationToken::new();
        let notifier = match opts.capture {
            Some(sink) => Notifier::capturing(shared.clone(), sink),
            None => Notifier::new(shared.clone(), opts.retry),
        };
        let mut stacks = JoinSet::new();
        for (i, h) in shared.stacks.iter().enumerate() {
            let seed = fastrand::u64(..) ^ i as u64;
            stacks.spawn(scheduler::run_stack(
                shared.clone(),
                h.clone(),
                runner.clone(),
                notifier.clone(),
                shutdown.clone(),
                seed,
            ));
        }
        let app = http::router(shared.clone());
        // The endpoints outlive the loops: while a run finishes after SIGTERM, /status and
        // /metrics still answer and /readyz says "stopping".
        let http_stop = CancellationToken::new();
        let stop = http_stop.clone();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        });
        tracing::info!(listen = %addr, stacks = shared.stacks.len(), "terrane serve started");
        Ok(Service {
            shared,
            addr,
            shutdown,
            http_stop,
            stacks,
            server,
            notifier,
            grace: opts.grace,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// A token that stops the service when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits for the shutdown token, then for running work to finish (at most the grace
    /// period) and for queued notifications (in what is left of it).
    pub async fn wait(mut self) -> Stopped {
        self.shutdown.cancelled().await;
        self.shared
            .stopping
            .store(true, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(grace = ?self.grace, "stopping: no new runs; waiting for running work");
        let deadline = tokio::time::Instant::now() + self.grace;
        let all_done = async { while self.stacks.join_next().await.is_some() {} };
        let stopped = match tokio::time::timeout_at(deadline, all_done).await {
            Ok(()) => Stopped::Clean,
            Err(_) => {
                let busy: Vec<String> = self
                    .shared
                    .stacks
                    .iter()
                    .filter(|h| h.status().running)
                    .map(|h| h.config.name.clone())
                    .collect();
                self.stacks.abort_all();
                Stopped::GraceExpired(busy)
            }
        };
        if tokio::time::timeout_at(deadline, self.notifier.drain())
            .await
            .is_err()
        {
            tracing::warn!("some notifications were still being retried at shutdown");
        }
        self.http_stop.cancel();
        match tokio::time::timeout_at(deadline, &mut self.server).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::error!("HTTP server error: {e}"),
            Ok(Err(e)) => tracing::error!("HTTP server task failed: {e}"),
            Err(_) => self.server.abort(),
        }
        match &stopped {
            Stopped::Clean => tracing::info!("terrane serve stopped"),
            Stopped::GraceExpired(busy) => tracing::error!(
                stacks = ?busy,
                "grace period expired with runs still going; they were abandoned (the store's intents let the next run finish or adopt their work)"
            ),
        }
        stopped
    }
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT received"),
        _ = term => tracing::info!("SIGTERM received"),
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the global tracing subscriber (stderr; level from `RUST_LOG`, default `info`).
pub fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
