//! The `terrane serve` command: reads the configuration (file or flags), starts the service on
//! a tokio runtime, and turns SIGTERM/SIGINT into a graceful stop with the documented exit code.
//! Separate from `main.rs` (argument parsing only) and from [`super::Service`] (no process
//! concerns), so each stays small.

use super::config::{ServeConfig, StackFlags};
use super::schedule::parse_duration;
use super::{
    init_logging, shutdown_signal, LogFormat, ServeOptions, Service, StackRunner, Stopped,
};
use crate::cli::{EXIT_ERROR, EXIT_OK};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// What the command line asked for.
#[derive(Debug, Clone)]
pub struct ServeArgs {
    /// `--config FILE`, or the single-stack flags.
    pub source: ConfigSource,
    pub listen: SocketAddr,
    pub grace_period: String,
    pub log_format: LogFormat,
    /// `--check`: validate and exit.
    pub check: bool,
}

#[derive(Debug, Clone)]
pub enum ConfigSource {
    File(PathBuf),
    Flags(Box<StackFlags>),
}

/// Loads and checks the service configuration, printing diagnostics to `err`.
pub fn load(source: &ConfigSource, err: &mut dyn Write) -> Option<ServeConfig> {
    let loaded = match source {
        ConfigSource::File(p) => ServeConfig::load(p),
        ConfigSource::Flags(f) => f.as_ref().clone().into_config(),
    };
    match loaded {
        Ok(c) => match c.check_environment() {
            Ok(()) => Some(c),
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                None
            }
        },
        Err(e) => {
            let _ = write!(err, "{}", e.render());
            None
        }
    }
}

/// Runs the command; returns the exit code. `make_runner` builds the engine for the stacks
/// (called once, after the configuration is known to be valid).
pub fn run(
    args: ServeArgs,
    make_runner: impl FnOnce(&ServeConfig) -> Result<Arc<dyn StackRunner>, String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let Some(config) = load(&args.source, err) else {
        return EXIT_ERROR;
    };
    let grace = match parse_duration(&args.grace_period) {
        Ok(g) => g,
        Err(why) => {
            let _ = writeln!(
                err,
                "error: invalid --grace-period {:?}: {why}",
                args.grace_period
            );
            return EXIT_ERROR;
        }
    };
    if args.check {
        let names: Vec<&str> = config.stacks.iter().map(|s| s.name.as_str()).collect();
        let _ = writeln!(
            out,
            "Success! {} stack{}: {}",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        );
        return EXIT_OK;
    }
    init_logging(args.log_format);
    let runner = match make_runner(&config) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return EXIT_ERROR;
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(err, "error: cannot start the async runtime: {e}");
            return EXIT_ERROR;
        }
    };
    let code = rt.block_on(async move {
        let opts = ServeOptions {
            listen: args.listen,
            grace,
            ..ServeOptions::default()
        };
        let svc = match Service::start(config, runner, opts).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("{e}");
                return EXIT_ERROR;
            }
        };
        let token = svc.shutdown_token();
        tokio::spawn(async move {
            shutdown_signal().await;
            token.cancel();
        });
        match svc.wait().await {
            Stopped::Clean => EXIT_OK,
            Stopped::GraceExpired(_) => EXIT_ERROR,
        }
    });
    // Work abandoned after the grace period may sit in blocking threads (Git); do not wait.
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    code
}

/// The real runner: the store under `state_dir` (locked for the service's lifetime), Git
/// mirrors beside it, and the engine with `registry`'s providers.
pub fn engine_runner(
    registry: crate::providers::Registry,
    state_dir: &std::path::Path,
) -> Result<Arc<dyn StackRunner>, String> {
    let store = terrane_state::SledStore::open(state_dir)
        .map_err(|e| format!("cannot open the store in {}: {e}", state_dir.display()))?;
    let fetcher = super::git::GixFetcher::new(state_dir.join("git"));
    Ok(Arc::new(super::engine_runner::EngineRunner::new(
        registry,
        Arc::new(store),
        Arc::new(fetcher),
    )))
}
