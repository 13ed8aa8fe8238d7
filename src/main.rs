//! The `terrane` command line: argument parsing and exit codes only.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use terrane::cli::{self, ConfigArgs, GraphFormat};
use terrane::providers::Registry;

/// terrane: declarative infrastructure from Git. Plan and apply Terraform-style HCL or
/// Crossplane-style YAML, run as a reconciling service, and report drift.
#[derive(Parser, Debug)]
#[command(name = "terrane", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Directory of the embedded store (default ./.terrane).
    #[arg(long, global = true, env = "TERRANE_STATE", value_name = "DIR")]
    state: Option<PathBuf>,
    /// Stack name inside the store.
    #[arg(long, global = true, default_value = "default", value_name = "NAME")]
    stack: String,
    /// Disable colours even on a terminal.
    #[arg(long, global = true)]
    no_color: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug, Clone)]
struct ConfigOpts {
    /// Directory holding the configuration (*.tf and/or *.yaml); with --git, relative to the
    /// repository root.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Read the configuration from a Git repository instead of the filesystem: a local path
    /// (working copy or bare) or an http(s)://, file:// or ssh:// URL, mirrored under
    /// <state>/git and fetched incrementally. HTTPS credentials come from TERRANE_GIT_TOKEN
    /// (user TERRANE_GIT_USERNAME, default x-access-token) or git's credential helpers, never
    /// from the URL.
    #[arg(long, value_name = "REPO")]
    git: Option<String>,
    /// With --git: the branch, tag, commit id or revision expression (e.g. HEAD~1) to read
    /// [default: the repository's HEAD, for a URL the remote's default branch].
    #[arg(long = "ref", value_name = "REF", requires = "git")]
    git_ref: Option<String>,
    /// Set a root variable: -var name=value (repeatable).
    #[arg(long = "var", short = 'v', value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// Read root variables from a .tfvars file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,
}

impl ConfigOpts {
    fn args(&self, state_dir: &Path) -> ConfigArgs {
        ConfigArgs {
            path: self.path.clone(),
            vars: self.vars.clone(),
            var_files: self.var_files.clone(),
            git: self.git.clone(),
            git_ref: self.git_ref.clone(),
            state_dir: state_dir.to_path_buf(),
        }
    }
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .ok_or_else(|| format!("expected NAME=VALUE, got {s:?}"))
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum GraphFmt {
    Dot,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check the configuration: syntax, references, types and attributes against the provider
    /// schemas, and dependency cycles. Touches neither the store nor the cloud.
    Validate {
        #[command(flatten)]
        config: ConfigOpts,
    },
    /// List the providers and the resource and data source types they support.
    Providers,
    /// Print the dependency graph of resource instances (DOT for graphviz, or JSON).
    Graph {
        #[command(flatten)]
        config: ConfigOpts,
        /// Output format.
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFmt,
    },
}

fn registry() -> Registry {
    let r = Registry::builtin();
    #[cfg(feature = "aws")]
    let r = r.with(std::sync::Arc::new(terrane_provider_aws::AwsProvider::new()));
    r
}

fn main() {
    let cli = Cli::parse();
    let _ = (&cli.stack, cli.no_color);
    let state_dir = cli
        .state
        .clone()
        .unwrap_or_else(|| PathBuf::from(".terrane"));
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let code = match &cli.command {
        Command::Validate { config } => {
            cli::validate(&config.args(&state_dir), &registry(), &mut out, &mut err)
        }
        Command::Providers => cli::providers(&registry(), &mut out),
        Command::Graph { config, format } => {
            let f = match format {
                GraphFmt::Dot => GraphFormat::Dot,
                GraphFmt::Json => GraphFormat::Json,
            };
            cli::graph(&config.args(&state_dir), f, &registry(), &mut out, &mut err)
        }
    };
    std::process::exit(code);
}
