//! Command implementations behind the CLI. `main.rs` parses arguments; these functions do the
//! work and return the process exit code (0 ok, 1 error, 2 changes/drift) as the contract says.

use crate::config::{self, Config, LoadOptions};
use crate::diag::render_all;
use crate::graph::Graph;
use crate::providers::Registry;
use crate::source::git::{CommitInfo, GitRepo, GitSource};
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
    /// The configuration directory; relative to the repository root with `git`.
    pub path: PathBuf,
    pub vars: Vec<(String, String)>,
    pub var_files: Vec<PathBuf>,
    /// Read from this Git repository (a path or URL) instead of the filesystem.
    pub git: Option<String>,
    /// The revision to read with `git` (default: HEAD, the remote's default branch).
    pub git_ref: Option<String>,
    /// The state directory; remote repositories are mirrored under `<state>/git`.
    pub state_dir: PathBuf,
}

/// Where remote repositories are mirrored, under the state directory.
pub fn git_cache_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("git")
}

/// A configuration loaded and checked, with the commit it came from when read from Git.
pub struct Loaded {
    pub config: Config,
    pub graph: Graph,
    /// The repository and commit (None when read from a directory).
    pub git: Option<(GitRepo, GitSource)>,
}

impl Loaded {
    /// The commit the configuration was read from, for plans and the run history.
    pub fn commit(&self) -> Option<&CommitInfo> {
        self.git.as_ref().map(|(_, s)| s.commit())
    }
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
    load(args, registry, err).map(|l| (l.config, l.graph))
}

/// Opens the repository named by `args.git` and resolves `rev` (default `args.git_ref`),
/// printing a one-paragraph error on failure.
pub fn open_git(args: &ConfigArgs, err: &mut dyn Write) -> Option<(GitRepo, GitSource)> {
    let spec = args.git.as_deref()?;
    let result = GitRepo::open(spec, &git_cache_dir(&args.state_dir))
        .and_then(|repo| repo.resolve(args.git_ref.as_deref()).map(|src| (repo, src)));
    match result {
        Ok(found) => Some(found),
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            None
        }
    }
}

/// Loads and checks the configuration from the directory or the Git commit `args` names.
pub fn load(args: &ConfigArgs, registry: &Registry, err: &mut dyn Write) -> Option<Loaded> {
    load_opened(args, None, registry, err)
}

/// As `load`, reusing a repository and commit already opened for `args` (no second fetch).
pub fn load_opened(
    args: &ConfigArgs,
    opened: Option<(GitRepo, GitSource)>,
    registry: &Registry,
    err: &mut dyn Write,
) -> Option<Loaded> {
    if args.git.is_none() {
        let tree: Arc<dyn SourceTree> = Arc::new(DirSource);
        let (config, graph) = load_from(tree, &args.path, args, registry, err)?;
        return Some(Loaded {
            config,
            graph,
            git: None,
        });
    }
    if args.path.is_absolute() {
        let _ = writeln!(
            err,
            "error: with --git the configuration path {} must be relative to the repository \
             root (for example `infra` or `.`).",
            args.path.display()
        );
        return None;
    }
    let (repo, src) = match opened {
        Some(o) => o,
        None => open_git(args, err)?,
    };
    let c = src.commit();
    let _ = writeln!(
        err,
        "Reading {} from {} at {} (commit {}: {})",
        args.path.display(),
        repo.shown(),
        src.rev(),
        c.short_id(),
        c.summary()
    );
    let tree: Arc<dyn SourceTree> = Arc::new(src.clone());
    let (config, graph) = load_from(tree, &args.path, args, registry, err)?;
    Some(Loaded {
        config,
        graph,
        git: Some((repo, src)),
    })
}

/// Compares the loaded commit with `base_ref` in the same repository: the files a pull request
/// from the head into the base changes, and where each resource is declared (from the head's
/// configuration, and from the base's for resources the head removed).
pub fn compare_with_base(
    loaded: &Loaded,
    base_ref: &str,
    args: &ConfigArgs,
    registry: &Registry,
    err: &mut dyn Write,
) -> Option<crate::plan::files::BaseComparison> {
    use crate::plan::files::{declared_in, BaseComparison};
    let Some((repo, head)) = &loaded.git else {
        let _ = writeln!(
            err,
            "error: --base needs --git: the changed files are computed between two commits of \
             the repository."
        );
        return None;
    };
    let base = match repo.resolve(Some(base_ref)) {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(err, "error: --base: {e}");
            return None;
        }
    };
    let files = match repo.changed_files(&base, head) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return None;
        }
    };
    let mut cmp = BaseComparison {
        base_ref: base_ref.to_string(),
        base_commit: base.commit().id.clone(),
        files,
        declared_in: declared_in(&loaded.config),
    };
    // The base may not load (it may predate the configuration); its declarations only name
    // the files of deleted resources, so a failure there is not an error.
    let schemas = registry.schemas();
    let tree: Arc<dyn SourceTree> = Arc::new(base);
    if let Ok(base_cfg) = config::load(tree, &args.path, &args.options(), &schemas) {
        cmp.add_declarations(declared_in(&base_cfg));
    }
    Some(cmp)
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
