//! The `terrane` command line: argument parsing and exit codes only.

use clap::{ArgAction, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use terrane::cli::drift::{pair_outputs, DriftArgs};
use terrane::cli::run::{ApplyArgs, Ctx, PlanArgs, PlanFormat};
use terrane::cli::{self, ConfigArgs, GraphFormat};
use terrane::drift::render::Format;
use terrane::providers::Registry;
use terrane::serve;

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
    #[command(flatten)]
    git: GitOpts,
    #[command(flatten)]
    vars: VarOpts,
}

/// Where the configuration comes from when it is read from Git.
#[derive(Args, Debug, Clone)]
struct GitOpts {
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
}

#[derive(Args, Debug, Clone)]
struct VarOpts {
    /// Set a root variable: -var name=value (repeatable).
    #[arg(long = "var", short = 'v', value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// Read root variables from a .tfvars file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,
}

impl VarOpts {
    fn args(&self, path: PathBuf, git: &GitOpts, state_dir: &Path) -> ConfigArgs {
        ConfigArgs {
            path,
            vars: self.vars.clone(),
            var_files: self.var_files.clone(),
            git: git.git.clone(),
            git_ref: git.git_ref.clone(),
            state_dir: state_dir.to_path_buf(),
        }
    }
}

impl ConfigOpts {
    fn args(&self, state_dir: &Path) -> ConfigArgs {
        self.vars.args(self.path.clone(), &self.git, state_dir)
    }
}

/// Options shared by the commands that plan.
#[derive(Args, Debug, Clone)]
struct PlanningOpts {
    /// Read the cloud before planning; --refresh=false plans from the store's cache.
    #[arg(long, default_value_t = true, num_args = 0..=1, default_missing_value = "true",
          action = ArgAction::Set, value_name = "BOOL")]
    refresh: bool,
    /// Limit to this resource (or module) and what it depends on (repeatable).
    #[arg(long = "target", value_name = "ADDR")]
    targets: Vec<String>,
    /// Cloud calls in flight at once.
    #[arg(long, default_value_t = terrane::engine::DEFAULT_PARALLELISM as u64, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=1000))]
    parallelism: u64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PlanFmt {
    Text,
    Json,
    Markdown,
}

#[derive(Subcommand, Debug)]
enum StateCmd {
    /// List the addresses of the managed resources in the stack.
    List,
    /// Show a resource's attributes as last read from the cloud (secrets masked).
    Show { address: String },
    /// Forget resources without deleting them in the cloud.
    Rm {
        #[arg(required = true)]
        addresses: Vec<String>,
    },
    /// Move a resource to another address (after renaming it in the configuration).
    Mv { from: String, to: String },
    /// Adopt an existing cloud object under an address of the configuration.
    Import {
        address: String,
        /// The cloud id (`terrane providers` lists the types; each documents its id).
        id: String,
        #[command(flatten)]
        config: ConfigOpts,
    },
    /// The runs recorded for the stack: when, what, outcome, Git commit.
    History {
        #[arg(long)]
        json: bool,
    },
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
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
    /// Show what applying would change: refresh, then diff the configuration against the
    /// cloud and the store.
    Plan {
        #[command(flatten)]
        config: ConfigOpts,
        #[command(flatten)]
        planning: PlanningOpts,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: PlanFmt,
        /// Save the plan to FILE for `terrane apply FILE` (holds secrets: kept private).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Exit 0 with no changes, 2 with changes, 1 on error.
        #[arg(long)]
        detailed_exitcode: bool,
        /// With --git and --format markdown: add a section listing which files changed against
        /// the merge base with this branch, tag or commit, and the resource changes declared in
        /// each (the pull request's base, e.g. main).
        #[arg(long, value_name = "REF", requires = "git")]
        base: Option<String>,
    },
    /// Plan and apply (after confirmation), or apply a saved plan file exactly.
    Apply {
        /// The configuration directory, or a plan file saved by `terrane plan --out`.
        #[arg(default_value = ".", value_name = "DIR|PLANFILE")]
        path: PathBuf,
        /// The configuration directory when applying a plan file (with --git, in the repository).
        #[arg(long, value_name = "DIR", default_value = ".")]
        config_dir: PathBuf,
        #[command(flatten)]
        git: GitOpts,
        #[command(flatten)]
        vars: VarOpts,
        #[command(flatten)]
        planning: PlanningOpts,
        /// Apply without asking for confirmation.
        #[arg(long)]
        auto_approve: bool,
    },
    /// Delete every resource of the stack (after confirmation).
    Destroy {
        #[command(flatten)]
        config: ConfigOpts,
        #[command(flatten)]
        planning: PlanningOpts,
        /// Destroy without asking for confirmation.
        #[arg(long)]
        auto_approve: bool,
    },
    /// Show the stack's outputs as last applied (sensitive ones masked).
    Output {
        name: Option<String>,
        /// JSON instead of HCL-like text.
        #[arg(long)]
        json: bool,
    },
    /// Report drift: what changed in the cloud outside terrane since it last applied, managed
    /// resources deleted outside it and (with --unmanaged) resources no stack manages; pending
    /// configuration changes are listed apart. Exit 0 in sync, 2 drift, 1 error. Read-only:
    /// only the cached cloud state is refreshed.
    Drift {
        #[command(flatten)]
        config: ConfigOpts,
        /// Also list the account for resources of the supported types that no stack manages
        /// and that carry no terrane ownership tag.
        #[arg(long)]
        unmanaged: bool,
        /// Report format: text, json, markdown, junit or sarif. Repeatable; each may be
        /// followed by --out FILE.
        #[arg(long = "format", value_name = "FORMAT", value_parser = parse_format)]
        format: Vec<Format>,
        /// Write the --format before it to FILE instead of standard output (repeatable).
        #[arg(long = "out", value_name = "FILE")]
        out: Vec<PathBuf>,
        /// Cloud calls in flight at once.
        #[arg(long, default_value_t = terrane::engine::DEFAULT_PARALLELISM as u64, value_name = "N",
              value_parser = clap::value_parser!(u64).range(1..=1000))]
        parallelism: u64,
    },
    /// Inspect and repair the store: list, show, rm, mv, import, history.
    State {
        #[command(subcommand)]
        command: StateCmd,
    },
    /// Run as a service: keep stacks matching Git, report or correct drift, serve health,
    /// metrics, status and a signed push webhook over HTTP. Stops on SIGTERM/SIGINT after a
    /// running apply finishes.
    Serve(ServeOpts),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ApplyPolicyArg {
    Auto,
    PlanOnly,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DriftPolicyArg {
    Correct,
    Report,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormatArg {
    Text,
    Json,
}

/// `terrane serve`: a config file, or one stack from flags (named by the global --stack).
#[derive(Args, Debug)]
struct ServeOpts {
    /// Service configuration listing the stacks (see README, "The service").
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "git",
        required_unless_present = "git"
    )]
    config: Option<PathBuf>,
    /// One stack: Git URL or local path of the repository.
    #[arg(long, value_name = "URL")]
    git: Option<String>,
    /// One stack: branch, tag or commit to follow.
    #[arg(
        long = "ref",
        default_value = "main",
        value_name = "REF",
        requires = "git"
    )]
    git_ref: String,
    /// One stack: directory inside the repository holding the configuration.
    #[arg(long, default_value = ".", value_name = "DIR", requires = "git")]
    path: String,
    /// One stack: how often to fetch Git (30s, 5m, 1h30m).
    #[arg(long, default_value = "1m", value_name = "DURATION", requires = "git")]
    interval: String,
    /// One stack: how often to re-read the cloud for drift.
    #[arg(long, default_value = "10m", value_name = "DURATION", requires = "git")]
    drift_interval: String,
    /// One stack: apply new commits, or only plan them.
    #[arg(long, value_enum, default_value = "auto", requires = "git")]
    apply: ApplyPolicyArg,
    /// One stack: undo drift, or only report it.
    #[arg(long, value_enum, default_value = "report", requires = "git")]
    drift: DriftPolicyArg,
    /// One stack: delete resources removed from Git.
    #[arg(long, requires = "git")]
    prune: bool,
    /// One stack: when applies are allowed, as cron fields in UTC (repeatable).
    #[arg(long, value_name = "CRON", requires = "git")]
    window: Vec<String>,
    /// One stack: environment variable holding the webhook secret.
    #[arg(long, value_name = "VAR", requires = "git")]
    webhook_secret_env: Option<String>,
    /// One stack: URL to POST notifications to (repeatable).
    #[arg(long, value_name = "URL", requires = "git")]
    notify: Vec<String>,
    /// Address for the HTTP endpoints.
    #[arg(long, default_value = terrane::serve::DEFAULT_LISTEN, value_name = "ADDR")]
    listen: std::net::SocketAddr,
    /// How long a running apply may take to finish after SIGTERM/SIGINT.
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    grace_period: String,
    /// Log format on stderr (level from RUST_LOG, default info).
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormatArg,
    /// Check the configuration and exit.
    #[arg(long)]
    check: bool,
}

impl ServeOpts {
    fn args(&self, stack: &str) -> serve::command::ServeArgs {
        use serve::command::ConfigSource;
        let source = match (&self.config, &self.git) {
            (Some(c), _) => ConfigSource::File(c.clone()),
            (None, git) => ConfigSource::Flags(Box::new(serve::config::StackFlags {
                name: stack.to_string(),
                git: git.clone().unwrap_or_default(),
                git_ref: self.git_ref.clone(),
                path: self.path.clone(),
                interval: self.interval.clone(),
                drift_interval: self.drift_interval.clone(),
                apply: match self.apply {
                    ApplyPolicyArg::Auto => serve::ApplyPolicy::Auto,
                    ApplyPolicyArg::PlanOnly => serve::ApplyPolicy::PlanOnly,
                },
                drift: match self.drift {
                    DriftPolicyArg::Correct => serve::DriftPolicy::Correct,
                    DriftPolicyArg::Report => serve::DriftPolicy::Report,
                },
                prune: self.prune,
                window: self.window.clone(),
                webhook_secret_env: self.webhook_secret_env.clone(),
                notify: self.notify.clone(),
            })),
        };
        serve::command::ServeArgs {
            source,
            listen: self.listen,
            grace_period: self.grace_period.clone(),
            log_format: match self.log_format {
                LogFormatArg::Text => serve::LogFormat::Text,
                LogFormatArg::Json => serve::LogFormat::Json,
            },
            check: self.check,
        }
    }
}

fn registry() -> Registry {
    let r = Registry::builtin();
    #[cfg(feature = "aws")]
    let r = r.with(std::sync::Arc::new(terrane_provider_aws::AwsProvider::new()));
    r
}

/// Asks on the terminal; None when stdin is not one.
fn confirm(question: &str) -> Option<bool> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    eprint!("{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).ok()?;
    Some(line.trim() == "yes")
}

fn main() {
    // Usage errors exit 1, not clap's 2: exit 2 means "changes or drift" to scripts.
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            std::process::exit(if e.use_stderr() { 1 } else { 0 });
        }
    };
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| {
        let _ = e.print();
        std::process::exit(1)
    });
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let state_dir = cli
        .state
        .clone()
        .unwrap_or_else(|| PathBuf::from(".terrane"));
    let ctx = || Ctx {
        state_dir: state_dir.clone(),
        stack: cli.stack.clone(),
        color: !cli.no_color
            && std::env::var_os("NO_COLOR").is_none()
            && std::io::stdout().is_terminal(),
        registry: registry(),
    };
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
        Command::Plan {
            config,
            planning,
            format,
            out: file,
            detailed_exitcode,
            base,
        } => {
            let args = PlanArgs {
                config: config.args(&state_dir),
                format: match format {
                    PlanFmt::Text => PlanFormat::Text,
                    PlanFmt::Json => PlanFormat::Json,
                    PlanFmt::Markdown => PlanFormat::Markdown,
                },
                out: file.clone(),
                detailed_exitcode: *detailed_exitcode,
                base: base.clone(),
                refresh: planning.refresh,
                targets: planning.targets.clone(),
                parallelism: planning.parallelism as usize,
            };
            cli::run::plan(&ctx(), &args, &mut out, &mut err)
        }
        Command::Apply {
            path,
            config_dir,
            git,
            vars,
            planning,
            auto_approve,
        } => {
            let (config, plan_file) = if path.is_file() {
                (
                    vars.args(config_dir.clone(), git, &state_dir),
                    Some(path.clone()),
                )
            } else {
                (vars.args(path.clone(), git, &state_dir), None)
            };
            let args = ApplyArgs {
                config,
                plan_file,
                auto_approve: *auto_approve,
                parallelism: planning.parallelism as usize,
                refresh: planning.refresh,
                targets: planning.targets.clone(),
            };
            cli::run::apply(&ctx(), &args, false, &mut confirm, &mut out, &mut err)
        }
        Command::Destroy {
            config,
            planning,
            auto_approve,
        } => {
            let args = ApplyArgs {
                config: config.args(&state_dir),
                plan_file: None,
                auto_approve: *auto_approve,
                parallelism: planning.parallelism as usize,
                refresh: planning.refresh,
                targets: planning.targets.clone(),
            };
            cli::run::apply(&ctx(), &args, true, &mut confirm, &mut out, &mut err)
        }
        Command::Output { name, json } => {
            cli::run::output(&ctx(), name.as_deref(), *json, &mut out, &mut err)
        }
        Command::Drift {
            config,
            unmanaged,
            format,
            out: files,
            parallelism,
        } => {
            let sub = matches.subcommand_matches("drift");
            let at = |id: &str| -> Vec<usize> {
                sub.and_then(|m| m.indices_of(id))
                    .map(|i| i.collect())
                    .unwrap_or_default()
            };
            let formats: Vec<(usize, Format)> =
                at("format").into_iter().zip(format.clone()).collect();
            let outs: Vec<(usize, PathBuf)> = at("out").into_iter().zip(files.clone()).collect();
            match pair_outputs(&formats, &outs) {
                Ok(outputs) => {
                    let args = DriftArgs {
                        config: config.args(&state_dir),
                        unmanaged: *unmanaged,
                        outputs,
                        parallelism: *parallelism as usize,
                    };
                    cli::drift::drift(&ctx(), &args, &mut out, &mut err)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    1
                }
            }
        }
        Command::State { command } => match command {
            StateCmd::List => cli::state::list(&ctx(), &mut out, &mut err),
            StateCmd::Show { address } => cli::state::show(&ctx(), address, &mut out, &mut err),
            StateCmd::Rm { addresses } => cli::state::rm(&ctx(), addresses, &mut out, &mut err),
            StateCmd::Mv { from, to } => cli::state::mv(&ctx(), from, to, &mut out, &mut err),
            StateCmd::Import {
                address,
                id,
                config,
            } => cli::state::import(
                &ctx(),
                &config.args(&state_dir),
                address,
                id,
                &mut out,
                &mut err,
            ),
            StateCmd::History { json } => cli::state::history(&ctx(), *json, &mut out, &mut err),
        },
        Command::Serve(opts) => {
            let state_dir = ctx().state_dir;
            serve::command::run(
                opts.args(&cli.stack),
                |_| serve::command::engine_runner(registry(), &state_dir),
                &mut out,
                &mut err,
            )
        }
    };
    std::process::exit(code);
}
