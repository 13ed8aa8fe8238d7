//! The service's HTTP face: health and readiness for orchestrators, Prometheus metrics, JSON
//! status for people and dashboards, and the Git push webhook. The webhook is the only endpoint
//! that changes anything, so it is the only one that authenticates: GitHub's
//! `X-Hub-Signature-256` HMAC over the raw body, compared in constant time.

use super::status::{Shared, StackHandle};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;

/// Webhook bodies larger than this are refused (GitHub caps payloads at 25 MB; pushes are far
/// smaller, and we never need the body beyond checking its signature).
pub const MAX_WEBHOOK_BODY: usize = 1024 * 1024;

/// The router with every endpoint.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/status", get(status))
        .route("/status/{stack}", get(stack_status))
        .route(
            "/webhook/{stack}",
            post(webhook).layer(DefaultBodyLimit::max(MAX_WEBHOOK_BODY)),
        )
        .with_state(shared)
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(s): State<Arc<Shared>>) -> Response {
    match s.readiness() {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(problems) => {
            let mut body = String::from("not ready\n");
            for p in problems {
                body.push_str(&p);
                body.push('\n');
            }
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
    }
}

async fn metrics(State(s): State<Arc<Shared>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics_text(),
    )
        .into_response()
}

async fn status(State(s): State<Arc<Shared>>) -> Json<serde_json::Value> {
    Json(s.status_json())
}

async fn stack_status(State(s): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    match s.stack(&name) {
        Some(h) => Json(s.stack_json(h, true)).into_response(),
        None => not_found(&name),
    }
}

fn not_found(name: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(serde_json::json!({"error": format!("no stack named {name:?}")})),
    )
        .into_response()
}

async fn webhook(
    State(s): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(h) = s.stack(&name) else {
        return not_found(&name);
    };
    // No secret, no webhook: an unauthenticated trigger would let anyone make us hammer Git.
    let Some(secret) = h.secret.as_deref() else {
        return (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": format!("stack {name:?} has no webhook (set webhook_secret_env)")})),
        )
            .into_response();
    };
    let sig = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if !verify_signature(secret, &body, sig) {
        count(h, "unauthorized");
        tracing::warn!(stack = %name, signed = sig.is_some(), "webhook refused: missing or wrong signature");
        return (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({"error": "missing or invalid X-Hub-Signature-256"})),
        )
            .into_response();
    }
    let event = headers
        .get("x-github-event")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("push");
    if event != "push" {
        // GitHub sends `ping` when a hook is created; other events carry no new commit.
        count(h, "ignored");
        return (
            StatusCode::OK,
            Json(serde_json::json!({"accepted": false, "reason": format!("event {event:?} does not trigger a sync")})),
        )
            .into_response();
    }
    count(h, "accepted");
    h.trigger.notify_one();
    tracing::info!(stack = %name, "webhook accepted: sync triggered");
    (
        StatusCode::ACCEPTED,
        Json(serde_json::json!({"accepted": true, "stack": name})),
    )
        .into_response()
}

fn count(h: &StackHandle, result: &'static str) {
    *h.status().webhooks.entry(result).or_default() += 1;
}

/// Checks `sha256=<hex>` against HMAC-SHA256(secret, body). `verify_slice` compares in
/// constant time, so the response time says nothing about how much of a guess was right.
pub fn verify_signature(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// The header value GitHub would send (used by tests and by anyone scripting a trigger).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        // GitHub's documented example: secret "It's a Secret to Everybody", body "Hello, World!".
        let want = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(sign(b"It's a Secret to Everybody", b"Hello, World!"), want);
        assert!(verify_signature(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            Some(want)
        ));
        assert!(!verify_signature(
            b"It's a Secret to Everybody",
            b"Hello, World?",
            Some(want)
        ));
        assert!(!verify_signature(b"other", b"Hello, World!", Some(want)));
        assert!(!verify_signature(b"s", b"b", None));
        assert!(!verify_signature(b"s", b"b", Some("sha1=abcd")));
        assert!(!verify_signature(b"s", b"b", Some("sha256=zz")));
        assert!(!verify_signature(b"s", b"b", Some("sha256=")));
    }
}
