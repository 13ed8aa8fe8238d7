//! `terrane serve` as an operator runs it: the real binary, a real Git repository, a config file
//! with two stacks, HTTP on a loopback port, a local notification receiver, SIGTERM at the end.
//! Resources are `terraform_data` (no cloud), so this covers the service and the engine wiring;
//! the cloud half (drift, moto outages) is in `serve_aws.rs`, which shares this harness.

use super::cli::terrane;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "e2e-webhook-secret";

pub(super) fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.invalid")
        .env("GIT_COMMITTER_NAME", "dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.invalid")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub(super) struct Repo {
    pub(super) dir: PathBuf,
}

impl Repo {
    pub(super) fn commit(&self, files: &[(&str, &str)], removed: &[&str], msg: &str) -> String {
        for (p, text) in files {
            let path = self.dir.join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        for p in removed {
            std::fs::remove_file(self.dir.join(p)).unwrap();
        }
        git(&self.dir, &["add", "-A"]);
        git(&self.dir, &["commit", "--quiet", "-m", msg]);
        git(&self.dir, &["rev-parse", "HEAD"])
    }
}

/// Minimal HTTP/1.1 client: one request per connection.
pub(super) fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect to terrane serve");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("bad response: {text}"));
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    // axum answers small bodies with Content-Length, so no chunked decoding is needed.
    (status, body.to_string())
}

pub(super) fn json(addr: &str, path: &str) -> serde_json::Value {
    let (code, body) = http(addr, "GET", path, &[], b"");
    assert_eq!(code, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// A notification receiver: records each POSTed body.
pub(super) fn receiver() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let sink = got.clone();
    std::thread::spawn(move || {
        for conn in l.incoming().flatten() {
            let mut r = BufReader::new(conn);
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            if r.read_exact(&mut body).is_ok() {
                if let Ok(v) = serde_json::from_slice(&body) {
                    sink.lock().unwrap().push(v);
                }
            }
            let mut conn = r.into_inner();
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (url, got)
}

pub(super) struct Serve {
    child: Child,
    pub(super) addr: String,
    pub(super) logs: Arc<Mutex<Vec<String>>>,
}

impl Serve {
    /// Starts `terrane serve --config FILE` on a free port and waits until it listens.
    pub(super) fn start(config: &Path, state: &Path) -> Serve {
        Serve::start_with(&["--config".into(), config.display().to_string()], state)
    }

    /// Starts `terrane serve ARGS` on a free port and waits until it listens.
    fn start_with(args: &[String], state: &Path) -> Serve {
        Serve::start_env(args, state, &[])
    }

    /// Starts `terrane serve ARGS` with extra environment (e.g. a moto endpoint).
    pub(super) fn start_env(args: &[String], state: &Path, env: &[(String, String)]) -> Serve {
        let mut child = terrane()
            .arg("serve")
            .args(args)
            .arg("--state")
            .arg(state)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--log-format",
                "json",
                "--grace-period",
                "30s",
            ])
            .env("E2E_WEBHOOK_SECRET", SECRET)
            .env_remove("TERRANE_STATE")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start terrane serve");
        let logs: Arc<Mutex<Vec<String>>> = Arc::default();
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                    if let Some(l) = v.get("listen").and_then(|l| l.as_str()) {
                        let _ = tx.send(l.to_string());
                    }
                }
                sink.lock().unwrap().push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("serve did not start: {:?}", logs.lock().unwrap()));
        Serve { child, addr, logs }
    }

    pub(super) fn stack(&self, name: &str) -> serde_json::Value {
        json(&self.addr, &format!("/status/{name}"))
    }

    /// Polls until `f` holds, for up to `secs`.
    pub(super) fn wait_for(&self, what: &str, secs: u64, f: impl Fn(&Serve) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !f(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; logs:\n{}",
                self.logs.lock().unwrap().join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn webhook(&self, stack: &str, sig: Option<String>) -> u16 {
        let body = br#"{"ref":"refs/heads/main"}"#;
        let mut h = vec![("X-GitHub-Event", "push".to_string())];
        if let Some(s) = sig {
            h.push(("X-Hub-Signature-256", s));
        }
        http(&self.addr, "POST", &format!("/webhook/{stack}"), &h, body).0
    }

    fn signed(&self) -> String {
        terrane::serve::http::sign(SECRET.as_bytes(), br#"{"ref":"refs/heads/main"}"#)
    }

    fn logged(&self, msg: &str) -> Option<usize> {
        self.logs
            .lock()
            .unwrap()
            .iter()
            .position(|l| l.contains(&format!("\"message\":\"{msg}\"")))
    }

    pub(super) fn terminate(mut self) -> i32 {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(
                Instant::now() < deadline,
                "serve did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn resource(name: &str, input: &str) -> String {
    format!("resource \"terraform_data\" \"{name}\" {{\n  input = \"{input}\"\n}}\n")
}

#[test]
fn serve_applies_commits_prunes_and_answers_signed_webhooks() {
    let work = tempfile::tempdir().unwrap();
    let repo = Repo {
        dir: work.path().join("repo"),
    };
    std::fs::create_dir_all(&repo.dir).unwrap();
    git(&repo.dir, &["init", "--quiet", "-b", "main"]);
    let first = repo.commit(
        &[
            ("polled/a.tf", &resource("a", "one")),
            ("hooked/h.tf", &resource("h", "one")),
        ],
        &[],
        "first",
    );
    let (notify_url, events) = receiver();
    let config = work.path().join("terrane.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[stack]]
name     = "polled"
git      = "{repo}"
path     = "polled"
interval = "1s"
prune    = true
notify   = ["{notify_url}"]

[[stack]]
name               = "hooked"
git                = "{repo}"
path               = "hooked"
interval           = "1h"
prune              = false
webhook_secret_env = "E2E_WEBHOOK_SECRET"
"#,
            repo = repo.dir.display()
        ),
    )
    .unwrap();
    let state = work.path().join("state");
    let srv = Serve::start(&config, &state);

    let (code, body) = http(&srv.addr, "GET", "/healthz", &[], b"");
    assert_eq!((code, body.as_str()), (200, "ok\n"));
    srv.wait_for("readiness", 60, |s| {
        http(&s.addr, "GET", "/readyz", &[], b"").0 == 200
    });
    for name in ["polled", "hooked"] {
        let st = srv.stack(name);
        assert_eq!(st["applied_commit"], first.as_str(), "{name}: {st}");
        assert_eq!(st["resources"], 1, "{name}: {st}");
    }

    // Polling: a new resource, then a change, then a removal with prune = true.
    let second = repo.commit(&[("polled/b.tf", &resource("b", "two"))], &[], "add b");
    srv.wait_for("b applied", 30, |s| {
        let st = s.stack("polled");
        st["applied_commit"] == second.as_str() && st["resources"] == 2
    });
    let third = repo.commit(&[("polled/b.tf", &resource("b", "three"))], &[], "change b");
    srv.wait_for("b changed", 30, |s| {
        s.stack("polled")["applied_commit"] == third.as_str()
    });
    assert_eq!(srv.stack("polled")["last_plan"]["summary"]["change"], 1);
    let fourth = repo.commit(&[], &["polled/b.tf"], "remove b");
    srv.wait_for("b pruned", 30, |s| {
        let st = s.stack("polled");
        st["applied_commit"] == fourth.as_str() && st["resources"] == 1
    });

    // The hooked stack polls hourly: only a signed webhook brings its new commit in.
    let fifth = repo.commit(&[("hooked/g.tf", &resource("g", "x"))], &[], "add g");
    assert_eq!(srv.webhook("hooked", None), 401);
    assert_eq!(
        srv.webhook("hooked", Some(terrane::serve::http::sign(b"wrong", b"{}"))),
        401
    );
    assert_eq!(
        srv.webhook("polled", Some(srv.signed())),
        404,
        "no secret, no webhook"
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        srv.stack("hooked")["applied_commit"],
        first.as_str(),
        "401s trigger nothing"
    );
    assert_eq!(srv.webhook("hooked", Some(srv.signed())), 202);
    srv.wait_for("webhook sync", 30, |s| {
        s.stack("hooked")["applied_commit"] == fifth.as_str()
    });
    // prune = false: a removed resource stays, reported as unpruned.
    let sixth = repo.commit(&[], &["hooked/g.tf"], "remove g");
    assert_eq!(srv.webhook("hooked", Some(srv.signed())), 202);
    srv.wait_for("unpruned reported", 30, |s| {
        s.stack("hooked")["applied_commit"] == sixth.as_str()
    });
    let hooked = srv.stack("hooked");
    assert_eq!(
        hooked["unpruned"],
        serde_json::json!(["terraform_data.g"]),
        "{hooked}"
    );
    assert_eq!(hooked["resources"], 2);

    let (_, metrics) = http(&srv.addr, "GET", "/metrics", &[], b"");
    for want in [
        "terrane_runs_total{stack=\"polled\",kind=\"sync\",outcome=\"applied\"} 4",
        &format!("terrane_stack_commit{{stack=\"hooked\",commit=\"{sixth}\"}} 1"),
        "terrane_resources{stack=\"polled\"} 1",
        "terrane_webhooks_total{stack=\"hooked\",result=\"unauthorized\"} 2",
        "terrane_webhooks_total{stack=\"hooked\",result=\"accepted\"} 2",
    ] {
        assert!(metrics.contains(want), "missing {want:?} in\n{metrics}");
    }
    let status = json(&srv.addr, "/status");
    let names: Vec<&str> = status["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["polled", "hooked"]);

    // Notifications: one per apply of the polled stack, Slack-compatible.
    let deadline = Instant::now() + Duration::from_secs(30);
    while events.lock().unwrap().len() < 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let got = events.lock().unwrap().clone();
    let applied: Vec<&serde_json::Value> = got
        .iter()
        .filter(|e| e["event"] == "apply_succeeded")
        .collect();
    assert_eq!(applied.len(), 4, "{got:?}");
    assert!(applied
        .iter()
        .all(|e| e["stack"] == "polled" && e["text"].is_string()));

    assert_eq!(srv.terminate(), 0, "SIGTERM exits 0");

    // The store recorded each run with its commit.
    let out = terrane()
        .args(["state", "history", "--json", "--stack", "polled", "--state"])
        .arg(&state)
        .env_remove("TERRANE_STATE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hist = String::from_utf8_lossy(&out.stdout);
    let commits: BTreeMap<String, usize> = [&first, &second, &third, &fourth]
        .iter()
        .map(|c| (c.to_string(), hist.matches(c.as_str()).count()))
        .collect();
    assert!(commits.values().all(|n| *n >= 1), "{commits:?}\n{hist}");
}

#[test]
fn serve_refuses_a_bad_config_with_its_location() {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("terrane.toml");
    std::fs::write(
        &config,
        "[[stack]]\nname = \"a\"\ngit = \"/r\"\ninterval = \"often\"\n",
    )
    .unwrap();
    let out = terrane()
        .args(["serve", "--check", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("terrane.toml:4:12"), "{err}");
    assert!(err.contains("invalid `interval` \"often\""), "{err}");
}

#[test]
fn a_failing_stack_backs_off_while_the_other_keeps_working_and_recovers_without_restart() {
    let work = tempfile::tempdir().unwrap();
    let mk = |name: &str| {
        let repo = Repo {
            dir: work.path().join(name),
        };
        std::fs::create_dir_all(&repo.dir).unwrap();
        git(&repo.dir, &["init", "--quiet", "-b", "main"]);
        let c = repo.commit(&[("main.tf", &resource("r", name))], &[], "first");
        (repo, c)
    };
    let (flaky, flaky_first) = mk("flaky");
    let (steady, _) = mk("steady");
    let config = work.path().join("terrane.toml");
    std::fs::write(
        &config,
        format!(
            "[[stack]]\nname = \"flaky\"\ngit = \"{}\"\ninterval = \"1s\"\n\n\
             [[stack]]\nname = \"steady\"\ngit = \"{}\"\ninterval = \"1s\"\n",
            flaky.dir.display(),
            steady.dir.display()
        ),
    )
    .unwrap();
    let srv = Serve::start(&config, &work.path().join("state"));
    srv.wait_for("readiness", 60, |s| {
        http(&s.addr, "GET", "/readyz", &[], b"").0 == 200
    });
    assert_eq!(srv.stack("flaky")["applied_commit"], flaky_first.as_str());

    // The flaky stack's Git remote disappears.
    let away = work.path().join("flaky-away");
    std::fs::rename(&flaky.dir, &away).unwrap();
    srv.wait_for("failures", 30, |s| {
        s.stack("flaky")["consecutive_failures"].as_u64() >= Some(2)
    });
    let (code, body) = http(&srv.addr, "GET", "/readyz", &[], b"");
    assert_eq!(code, 503);
    assert!(body.contains("flaky: the last "), "{body}");
    let (_, m) = http(&srv.addr, "GET", "/metrics", &[], b"");
    assert!(
        m.contains("terrane_runs_total{stack=\"flaky\",kind=\"sync\",outcome=\"failed\"}"),
        "{m}"
    );
    assert!(
        !m.contains("terrane_consecutive_failures{stack=\"flaky\"} 0"),
        "{m}"
    );
    let flaky_st = srv.stack("flaky");
    assert!(
        flaky_st["last_error"]
            .as_str()
            .unwrap()
            .contains("flaky does not exist"),
        "{flaky_st}"
    );

    // Meanwhile the other stack still applies new commits.
    let next = steady.commit(&[("main.tf", &resource("r", "steady-2"))], &[], "second");
    srv.wait_for("steady applies", 30, |s| {
        s.stack("steady")["applied_commit"] == next.as_str()
    });
    assert_eq!(srv.stack("steady")["consecutive_failures"], 0);

    // Retries back off: fewer attempts than one per second.
    let failed_before = srv.stack("flaky")["consecutive_failures"].as_u64().unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let failed_after = srv.stack("flaky")["consecutive_failures"].as_u64().unwrap();
    assert!(
        failed_after - failed_before <= 2,
        "{failed_before} -> {failed_after}"
    );

    // The remote comes back, with a new commit: the stack recovers on its own.
    std::fs::rename(&away, &flaky.dir).unwrap();
    let fixed = flaky.commit(&[("main.tf", &resource("r", "flaky-2"))], &[], "second");
    srv.wait_for("recovery", 90, |s| {
        s.stack("flaky")["applied_commit"] == fixed.as_str()
    });
    srv.wait_for("ready again", 30, |s| {
        http(&s.addr, "GET", "/readyz", &[], b"").0 == 200
    });
    assert_eq!(srv.terminate(), 0);
}

#[test]
fn sigterm_during_an_apply_lets_it_finish_records_it_and_exits_0() {
    let work = tempfile::tempdir().unwrap();
    let repo = Repo {
        dir: work.path().join("repo"),
    };
    std::fs::create_dir_all(&repo.dir).unwrap();
    git(&repo.dir, &["init", "--quiet", "-b", "main"]);
    // Enough resources that the apply takes a few seconds.
    let n = 3000;
    let tf: String = (0..n)
        .map(|i| resource(&format!("r{i}"), &format!("v{i}")))
        .collect();
    let commit = repo.commit(&[("main.tf", &tf)], &[], "many");
    let state = work.path().join("state");
    let args: Vec<String> = [
        "--stack",
        "big",
        "--git",
        &repo.dir.display().to_string(),
        "--interval",
        "1h",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let srv = Serve::start_with(&args, &state);
    srv.wait_for("the apply to start", 60, |s| s.logged("applying").is_some());
    let logs = srv.logs.clone();
    assert_eq!(srv.terminate(), 0, "exit 0 after the apply finished");
    let logs = logs.lock().unwrap().clone();
    let pos = |m: &str| {
        logs.iter()
            .position(|l| l.contains(&format!("\"message\":\"{m}\"")))
            .unwrap_or_else(|| panic!("no {m:?} in logs:\n{}", logs.join("\n")))
    };
    assert!(
        pos("SIGTERM received") < pos("sync finished"),
        "the signal came during the apply"
    );
    assert!(pos("sync finished") < pos("terrane serve stopped"));

    let out = terrane()
        .args(["state", "list", "--stack", "big", "--state"])
        .arg(&state)
        .env_remove("TERRANE_STATE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), n);
    let out = terrane()
        .args(["state", "history", "--json", "--stack", "big", "--state"])
        .arg(&state)
        .env_remove("TERRANE_STATE")
        .output()
        .unwrap();
    let hist: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = hist.as_array().expect("history is a list");
    let last = runs.last().unwrap();
    assert_eq!(last["command"], "serve", "{last}");
    assert_eq!(last["outcome"], "succeeded", "{last}");
    assert_eq!(last["commit"]["id"], commit.as_str(), "{last}");
}
