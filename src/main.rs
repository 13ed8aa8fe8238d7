//! The `terrane` command line: argument parsing and exit codes only.

use clap::{ArgAction, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use terrane::cli::drift::{pair_outputs, DriftArgs};
use terrane::cli::run::{ApplyArgs, Ctx, PlanArgs, PlanFormat};
use terrane::cli::{self, ConfigArgs, GraphFormat};
use terrane::drift::render::Format;
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
    /// Directory holding the configuration (*.tf and/or *.yaml).
    #[arg(default_value = ".")]
    path: PathBuf,
    #[command(flatten)]
    vars: VarOpts,
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
    fn args(&self, path: PathBuf) -> ConfigArgs {
        ConfigArgs {
            path,
            vars: self.vars.clone(),
            var_files: self.var_files.clone(),
        }
    }
}

impl ConfigOpts {
    fn args(&self) -> ConfigArgs {
        self.vars.args(self.path.clone())
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
    },
    /// Plan and apply (after confirmation), or apply a saved plan file exactly.
    Apply {
        /// The configuration directory, or a plan file saved by `terrane plan --out`.
        #[arg(default_value = ".", value_name = "DIR|PLANFILE")]
        path: PathBuf,
        /// The configuration directory when applying a plan file.
        #[arg(long, value_name = "DIR", default_value = ".")]
        config_dir: PathBuf,
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
    let ctx = || Ctx {
        state_dir: cli
            .state
            .clone()
            .unwrap_or_else(|| PathBuf::from(".terrane")),
        stack: cli.stack.clone(),
        color: !cli.no_color
            && std::env::var_os("NO_COLOR").is_none()
            && std::io::stdout().is_terminal(),
        registry: registry(),
    };
    let code = match &cli.command {
        Command::Validate { config } => {
            cli::validate(&config.args(), &registry(), &mut out, &mut err)
        }
        Command::Providers => cli::providers(&registry(), &mut out),
        Command::Graph { config, format } => {
            let f = match format {
                GraphFmt::Dot => GraphFormat::Dot,
                GraphFmt::Json => GraphFormat::Json,
            };
            cli::graph(&config.args(), f, &registry(), &mut out, &mut err)
        }
        Command::Plan {
            config,
            planning,
            format,
            out: file,
            detailed_exitcode,
        } => {
            let args = PlanArgs {
                config: config.args(),
                format: match format {
                    PlanFmt::Text => PlanFormat::Text,
                    PlanFmt::Json => PlanFormat::Json,
                    PlanFmt::Markdown => PlanFormat::Markdown,
                },
                out: file.clone(),
                detailed_exitcode: *detailed_exitcode,
                refresh: planning.refresh,
                targets: planning.targets.clone(),
                parallelism: planning.parallelism as usize,
            };
            cli::run::plan(&ctx(), &args, &mut out, &mut err)
        }
        Command::Apply {
            path,
            config_dir,
            vars,
            planning,
            auto_approve,
        } => {
            let (config, plan_file) = if path.is_file() {
                (vars.args(config_dir.clone()), Some(path.clone()))
            } else {
                (vars.args(path.clone()), None)
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
                config: config.args(),
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
                        config: config.args(),
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
            } => cli::state::import(&ctx(), &config.args(), address, id, &mut out, &mut err),
            StateCmd::History { json } => cli::state::history(&ctx(), *json, &mut out, &mut err),
        },
    };
    std::process::exit(code);
}
