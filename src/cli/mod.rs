//! Command implementations behind the CLI. `main.rs` parses arguments; these functions do the
//! work and return the process exit code (0 ok, 1 error, 2 changes/drift) as the contract says.

use crate::config::{self, Config, LoadOptions};
use crate::diag::render_all;
use crate::graph::Graph;
use crate::providers::Registry;
use crate::source::{DirSource, SourceTree};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub mod drift;
pub mod run;
pub mod state;

/// Exit code: success, no changes.
pub const EXIT_OK: i32 = 0;
/// Exit code: error.
pub const EXIT_ERROR: i32 = 1;
/// Exit code: changes or drift present.
pub const EXIT_CHANGES: i32 = 2;

/// Where the configuration comes from and its variable inputs.
#[derive(Debug, Clone, Default)]
pub struct ConfigArgs {
    pub path: PathBuf,
    pub vars: Vec<(String, String)>,
    pub var_files: Vec<PathBuf>,
}

impl ConfigArgs {
    /// `TF_VAR_name` variables from the process environment.
    fn env_vars() -> Vec<(String, String)> {
        std::env::vars()
            .filter_map(|(k, v)| k.strip_prefix("TF_VAR_").map(|n| (n.to_string(), v)))
            .collect()
    }

    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            vars: self.vars.clone(),
            var_files: self.var_files.clone(),
            env_vars: Self::env_vars(),
        }
    }
}

/// Loads and checks the configuration, printing diagnostics on failure.
pub fn load_config(
    args: &ConfigArgs,
    registry: &Registry,
    err: &mut dyn Write,
) -> Option<(Config, Graph)> {
    let tree: Arc<dyn SourceTree> = Arc::new(DirSource);
    load_from(tree, &args.path, args, registry, err)
}

/// Loads from any source tree (a directory or a Git commit).
pub fn load_from(
    tree: Arc<dyn SourceTree>,
    root: &Path,
    args: &ConfigArgs,
    registry: &Registry,
    err: &mut dyn Write,
) -> Option<(Config, Graph)> {
    let schemas = registry.schemas();
    match config::load(tree, root, &args.options(), &schemas) {
        Ok(cfg) => {
            if !cfg.warnings.is_empty() {
                let _ = write!(err, "{}", render_all(&cfg.warnings, &cfg.sources));
            }
            match Graph::build(&cfg) {
                Ok(g) => Some((cfg, g)),
                Err(diags) => {
                    let _ = write!(err, "{}", render_all(&diags, &cfg.sources));
                    let _ = writeln!(err, "{}", error_count_line(diags.len()));
                    None
                }
            }
        }
        Err(e) => {
            let _ = write!(err, "{}", e.render());
            let n = e.diagnostics.iter().filter(|d| d.is_error()).count();
            let _ = writeln!(err, "{}", error_count_line(n));
            None
        }
    }
}

fn error_count_line(n: usize) -> String {
    format!(
        "error: the configuration has {n} error{}; nothing was changed",
        if n == 1 { "" } else { "s" }
    )
}

/// `terrane validate`.
pub fn validate(
    args: &ConfigArgs,
    registry: &Registry,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    match load_config(args, registry, err) {
        Some((cfg, _)) => {
            let _ = writeln!(
                out,
                "Success! {} resource{}, {} data source{}.",
                cfg.managed_count(),
                if cfg.managed_count() == 1 { "" } else { "s" },
                cfg.data_count(),
                if cfg.data_count() == 1 { "" } else { "s" }
            );
            EXIT_OK
        }
        None => EXIT_ERROR,
    }
}

/// Output format of `terrane graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Json,
}

/// `terrane graph`.
pub fn graph(
    args: &ConfigArgs,
    format: GraphFormat,
    registry: &Registry,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    match load_config(args, registry, err) {
        Some((_, g)) => {
            let _ = match format {
                GraphFormat::Dot => write!(out, "{}", g.to_dot()),
                GraphFormat::Json => writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&g.to_json()).unwrap_or_default()
                ),
            };
            EXIT_OK
        }
        None => EXIT_ERROR,
    }
}

/// `terrane providers`: every supported type, by provider.
pub fn providers(registry: &Registry, out: &mut dyn Write) -> i32 {
    for p in &registry.providers {
        let _ = writeln!(out, "provider {:?}", p.name());
        let mut schemas = p.schemas();
        schemas.sort_by_key(|s| (s.mode == terrane_provider::ResourceMode::Data, s.type_name));
        for s in schemas {
            let kind = match &s.crossplane {
                Some(k) => format!("  (YAML: {}/{})", k.group, k.kind),
                None => String::new(),
            };
            let mode = if s.mode == terrane_provider::ResourceMode::Data {
                "data "
            } else {
                ""
            };
            let _ = writeln!(out, "  {mode}{}{kind}", s.type_name);
        }
    }
    EXIT_OK
}
