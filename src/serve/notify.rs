//! Notifications: a JSON event POSTed to each of a stack's `notify` URLs when an apply succeeds
//! or fails and when drift appears, is corrected or goes away. The body carries a `text` field,
//! so Slack and Mattermost incoming webhooks accept it unchanged. Each delivery runs in its own
//! task with retries and backoff: a slow or failing receiver never holds up reconciliation.

use super::config::redact;
use super::status::Shared;
use serde::Serialize;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::task::TaskTracker;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    ApplySucceeded,
    ApplyFailed,
    /// Changes planned but not applied (plan-only, or outside the apply window).
    PlanPending,
    /// A sync failed before applying (fetch, config or plan error); sent once per failure streak.
    SyncFailed,
    /// The first success after failures.
    Recovered,
    DriftDetected,
    DriftCorrected,
    DriftResolved,
}

/// The JSON body sent to receivers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub event: EventKind,
    pub stack: String,
    pub commit: Option<String>,
    /// Human summary; Slack and Mattermost show this field.
    pub text: String,
    /// Resource addresses concerned (drift events).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<super::runner::PlanCounts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub time: String,
}

/// Delivery settings; tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_delay: Duration,
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            first_delay: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Sends events in the background; clone freely.
#[derive(Clone)]
pub struct Notifier {
    /// None when the HTTP client could not be built (no TLS roots); deliveries then fail loudly.
    client: Option<reqwest::Client>,
    tracker: TaskTracker,
    retry: RetryPolicy,
    shared: Arc<Shared>,
    /// When set, events are recorded here instead of sent (scheduler tests on paused time,
    /// where real sockets and virtual time do not mix).
    capture: Option<Arc<std::sync::Mutex<Vec<Event>>>>,
}

impl Notifier {
    pub fn new(shared: Arc<Shared>, retry: RetryPolicy) -> Notifier {
        // reqwest is built without a bundled crypto provider so the service shares the AWS
        // SDK's (aws-lc-rs); install it as the process default unless something else did.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let client = match reqwest::Client::builder()
            .timeout(retry.timeout)
            .user_agent(concat!("terrane/", env!("CARGO_PKG_VERSION")))
            .build()
        {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::error!("notifications disabled: cannot set up the HTTP client: {e}");
                None
            }
        };
        Notifier {
            client,
            tracker: TaskTracker::new(),
            retry,
            shared,
            capture: None,
        }
    }

    /// A notifier that records events (with their URLs' count) instead of sending them.
    pub fn capturing(shared: Arc<Shared>, sink: Arc<std::sync::Mutex<Vec<Event>>>) -> Notifier {
        Notifier {
            capture: Some(sink),
            ..Notifier::new(shared, RetryPolicy::default())
        }
    }

    /// Queues `event` for every URL; returns at once.
    pub fn send(&self, urls: &[String], event: Event) {
        if urls.is_empty() {
            return;
        }
        if let Some(sink) = &self.capture {
            sink.lock().unwrap_or_else(|p| p.into_inner()).push(event);
            return;
        }
        let body = Arc::new(event);
        for url in urls {
            let url = url.clone();
            let body = body.clone();
            let client = self.client.clone();
            let retry = self.retry;
            let shared = self.shared.clone();
            self.tracker.spawn(async move {
                let ok = match &client {
                    Some(c) => deliver(c, &url, &body, retry).await,
                    None => false,
                };
                let counter = if ok {
                    &shared.notifications_delivered
                } else {
                    &shared.notifications_failed
                };
                counter.fetch_add(1, Ordering::Relaxed);
            });
        }
    }

    /// Waits until every queued delivery has finished (delivered or given up).
    pub async fn drain(&self) {
        self.tracker.close();
        self.tracker.wait().await;
    }
}

/// POSTs with retries; true if a receiver answered 2xx.
async fn deliver(client: &reqwest::Client, url: &str, event: &Event, retry: RetryPolicy) -> bool {
    let mut delay = retry.first_delay;
    for attempt in 1..=retry.attempts {
        let why = match client.post(url).json(event).send().await {
            Ok(r) if r.status().is_success() => {
                tracing::debug!(stack = %event.stack, event = ?event.event, receiver = %redact(url), "notification delivered");
                return true;
            }
            Ok(r) => format!("HTTP {}", r.status()),
            // reqwest's error text can include the URL; print only the kind of failure.
            Err(e) if e.is_timeout() => "timed out".to_string(),
            Err(e) if e.is_connect() => "connection failed".to_string(),
            Err(_) => "request failed".to_string(),
        };
        tracing::warn!(stack = %event.stack, event = ?event.event, receiver = %redact(url), attempt, error = %why, "notification not delivered");
        if attempt < retry.attempts {
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2);
        }
    }
    tracing::error!(stack = %event.stack, event = ?event.event, receiver = %redact(url), "giving up on notification after {} attempts", retry.attempts);
    false
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::serve::schedule::Clock;
    use axum::{extract::State, http::StatusCode, routing::post, Router};
    use std::sync::Mutex;

    /// A local HTTP receiver that records JSON bodies; answers 500 to the first `fail_first`.
    #[derive(Clone, Default)]
    pub struct Receiver {
        pub bodies: Arc<Mutex<Vec<serde_json::Value>>>,
        pub attempts: Arc<Mutex<u32>>,
        pub fail_first: u32,
    }

    impl Receiver {
        pub async fn start(fail_first: u32) -> (Receiver, String) {
            let r = Receiver {
                fail_first,
                ..Default::default()
            };
            let app = Router::new()
                .route("/hook", post(receive))
                .with_state(r.clone());
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/hook", l.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(l, app).await });
            (r, url)
        }

        pub fn events(&self) -> Vec<serde_json::Value> {
            self.bodies.lock().unwrap().clone()
        }
    }

    async fn receive(
        State(r): State<Receiver>,
        axum::Json(v): axum::Json<serde_json::Value>,
    ) -> StatusCode {
        let mut n = r.attempts.lock().unwrap();
        *n += 1;
        if *n <= r.fail_first {
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
        r.bodies.lock().unwrap().push(v);
        StatusCode::OK
    }

    fn event() -> Event {
        Event {
            event: EventKind::DriftDetected,
            stack: "prod".into(),
            commit: Some("abc".into()),
            text: "terrane: drift in prod".into(),
            addresses: vec!["aws_s3_bucket.b".into()],
            plan: None,
            error: None,
            time: "2026-12-02T00:00:00Z".into(),
        }
    }

    fn fast() -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            first_delay: Duration::from_millis(10),
            timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn delivers_slack_compatible_json_and_retries() {
        let shared = Arc::new(Shared::new(vec![], Clock::System));
        let (rx, url) = Receiver::start(2).await;
        let n = Notifier::new(shared.clone(), fast());
        n.send(std::slice::from_ref(&url), event());
        n.drain().await;
        let got = rx.events();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["text"], "terrane: drift in prod");
        assert_eq!(got[0]["event"], "drift_detected");
        assert_eq!(got[0]["addresses"][0], "aws_s3_bucket.b");
        assert_eq!(*rx.attempts.lock().unwrap(), 3);
        assert_eq!(shared.notifications_delivered.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn https_receivers_get_a_tls_client() {
        // The crypto provider is installed and the system roots load: an https:// receiver that
        // is not listening fails to connect instead of panicking in TLS setup.
        let shared = Arc::new(Shared::new(vec![], Clock::System));
        let n = Notifier::new(shared.clone(), fast());
        assert!(n.client.is_some());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        n.send(&[format!("https://127.0.0.1:{port}/x")], event());
        n.drain().await;
        assert_eq!(shared.notifications_failed.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn gives_up_on_a_dead_receiver_without_blocking() {
        let shared = Arc::new(Shared::new(vec![], Clock::System));
        // A port nobody listens on: bind, read the port, drop.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let n = Notifier::new(shared.clone(), fast());
        n.send(&[format!("http://127.0.0.1:{port}/x")], event());
        n.drain().await;
        assert_eq!(shared.notifications_failed.load(Ordering::Relaxed), 1);
    }
}
