//! A real AWS API for the end-to-end tests: each test starts its own moto server on a free
//! loopback port and stops it on drop. There is no skipping: when moto is missing the test
//! fails and says how to install it (`scripts/setup-venv.sh`).

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The moto release the venv script installs; the tests were written against it.
pub const MOTO_VERSION: &str = "5.2.1";

/// A running moto server.
pub struct Moto {
    child: Child,
    pub port: u16,
}

fn venv_bin(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/bin")
        .join(name);
    p.exists().then_some(p)
}

/// A program from the project's venv, else from PATH.
pub fn tool(name: &str) -> PathBuf {
    venv_bin(name).unwrap_or_else(|| PathBuf::from(name))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

impl Moto {
    /// Starts a fresh server and waits until it answers.
    pub fn start() -> Moto {
        Moto::start_on(free_port())
    }

    /// Starts a fresh (empty) server on `port`: an outage test restarts moto where its clients
    /// expect it.
    pub fn start_on(port: u16) -> Moto {
        let bin = tool("moto_server");
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}): the end-to-end tests need moto[server]=={MOTO_VERSION}; \
                     run scripts/setup-venv.sh (or scripts/test.sh, which does it)",
                    bin.display()
                )
            });
        let mut moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return moto;
            }
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited at startup with {status}");
            }
            if Instant::now() > deadline {
                panic!("moto_server did not listen on port {port} within 60 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Environment for any AWS client (terrane or the AWS CLI) aimed at this server.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_DEFAULT_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_CONFIG_FILE", "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Runs the AWS CLI against this server (a second client, for changes behind terrane's
    /// back) and returns stdout; panics with stderr on failure. The endpoint is passed
    /// explicitly: AWS CLI v1 ignores `AWS_ENDPOINT_URL` for SQS and would send to the legacy
    /// queue.amazonaws.com.
    pub fn aws(&self, args: &[&str]) -> String {
        let out = Command::new(tool("aws"))
            .arg("--endpoint-url")
            .arg(self.endpoint())
            .args(args)
            .envs(self.env())
            .output()
            .expect("run the AWS CLI (installed by scripts/setup-venv.sh)");
        assert!(
            out.status.success(),
            "aws {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The harness itself: a server starts, and a second client (the AWS CLI) can talk to it.
#[test]
fn moto_server_answers_the_aws_cli() {
    let moto = Moto::start();
    let out = moto.aws(&["sts", "get-caller-identity", "--output", "json"]);
    assert!(out.contains("\"Account\""), "{out}");
}
