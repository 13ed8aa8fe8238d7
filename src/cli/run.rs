//! `plan`, `apply`, `destroy` and `output`: the engine driven from the command line, with
//! Terraform's conventions for confirmation, progress lines and exit codes.

use super::{
    compare_with_base, load, load_opened, open_git, ConfigArgs, Loaded, EXIT_CHANGES, EXIT_ERROR,
    EXIT_OK,
};
use crate::config::Config;
use crate::diag::render_all;
use crate::engine::{
    ApplyEvent, ApplyOptions, ApplySummary, Engine, EngineError, PlanOptions, Progress,
};
use crate::plan::files::BaseComparison;
use crate::plan::render::{self, SENSITIVE_TEXT};
use crate::plan::{Action, GitOrigin, Plan};
use crate::providers::Registry;
use crate::source::git::{GitRepo, GitSource};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use terrane_state::{SledStore, Store};

/// What every store-backed command needs: where the store is, which stack, the providers.
pub struct Ctx {
    pub state_dir: PathBuf,
    pub stack: String,
    /// Colours allowed (a terminal, and no `--no-color`).
    pub color: bool,
    pub registry: Registry,
}

impl Ctx {
    /// Opens the store (taking its lock), printing the reason on failure.
    pub fn open_store(&self, err: &mut dyn Write) -> Option<Arc<dyn Store>> {
        match SledStore::open(&self.state_dir) {
            Ok(s) => Some(Arc::new(s)),
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                None
            }
        }
    }

    pub fn engine(&self, store: Arc<dyn Store>) -> Engine {
        Engine::new(self.registry.clone(), store, self.stack.clone())
    }
}

/// A runtime for the engine's async calls (provider I/O, concurrent refresh and apply).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
}

/// Prints an engine error: located diagnostics when it has them.
pub fn report(err: &mut dyn Write, e: &EngineError, cfg: Option<&Config>) {
    match (e, cfg) {
        (EngineError::Config(diags), Some(cfg)) => {
            let _ = write!(err, "{}", render_all(diags, &cfg.sources));
            let _ = writeln!(
                err,
                "error: the plan has {} error{}; nothing was changed",
                diags.len(),
                if diags.len() == 1 { "" } else { "s" }
            );
        }
        (EngineError::Config(diags), None) => {
            for d in diags {
                let _ = writeln!(err, "error: {}", d.message);
            }
        }
        _ => {
            let _ = writeln!(err, "error: {e}");
        }
    }
}

/// Output format of `terrane plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

/// Arguments of `terrane plan`.
#[derive(Debug, Clone)]
pub struct PlanArgs {
    pub config: ConfigArgs,
    pub format: PlanFormat,
    pub out: Option<PathBuf>,
    pub detailed_exitcode: bool,
    /// With Git: the base revision for the changed-files section of the Markdown.
    pub base: Option<String>,
    pub refresh: bool,
    pub targets: Vec<String>,
    pub parallelism: usize,
}

fn render_plan(
    plan: &Plan,
    format: PlanFormat,
    color: bool,
    base: Option<&BaseComparison>,
) -> String {
    match format {
        PlanFormat::Text => render::text::render(plan, color),
        PlanFormat::Json => render::json::render(plan),
        PlanFormat::Markdown => {
            render::markdown::render_with_base(plan, base, render::markdown::MAX_COMMENT_LEN)
        }
    }
}

/// Stamps the plan with the commit and the Git location its configuration came from.
fn stamp_commit(plan: &mut Plan, loaded: &Loaded, args: &ConfigArgs) {
    let Some((repo, src)) = &loaded.git else {
        return;
    };
    plan.meta.commit = Some(src.commit().id.clone());
    plan.meta.commit_message = Some(src.commit().message.clone());
    plan.meta.git = Some(GitOrigin {
        repo: repo.recorded_location(),
        rev: src.rev().to_string(),
        path: crate::source::normalize(&args.path)
            .to_string_lossy()
            .replace('\\', "/"),
    });
}

/// The commit for the run history.
fn run_commit(loaded: &Loaded) -> Option<terrane_state::CommitInfo> {
    loaded.commit().map(|c| terrane_state::CommitInfo {
        id: c.id.clone(),
        author: c.author.clone(),
        message: c.message.clone(),
    })
}

/// `terrane plan`.
pub fn plan(ctx: &Ctx, args: &PlanArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(loaded) = load(&args.config, &ctx.registry, err) else {
        return EXIT_ERROR;
    };
    let base = match &args.base {
        Some(base_ref) => {
            if args.format != PlanFormat::Markdown {
                let _ = writeln!(
                    err,
                    "warning: --base only adds a section to --format markdown; ignored"
                );
            }
            match compare_with_base(&loaded, base_ref, &args.config, &ctx.registry, err) {
                Some(b) => Some(b),
                None => return EXIT_ERROR,
            }
        }
        None => None,
    };
    let (cfg, graph) = (&loaded.config, &loaded.graph);
    let Some(store) = ctx.open_store(err) else {
        return EXIT_ERROR;
    };
    let engine = ctx.engine(store);
    let opts = PlanOptions {
        refresh: args.refresh,
        targets: args.targets.clone(),
        destroy: false,
        parallelism: args.parallelism,
        ..PlanOptions::default()
    };
    let mut plan = match runtime().block_on(engine.plan(cfg, graph, &opts)) {
        Ok(p) => p,
        Err(e) => {
            report(err, &e, Some(cfg));
            return EXIT_ERROR;
        }
    };
    stamp_commit(&mut plan, &loaded, &args.config);
    let _ = write!(
        out,
        "{}",
        render_plan(&plan, args.format, ctx.color, base.as_ref())
    );
    if let Some(path) = &args.out {
        if let Err(e) = save_plan(&plan, path) {
            let _ = writeln!(
                err,
                "error: cannot save the plan to {}: {e}",
                path.display()
            );
            return EXIT_ERROR;
        }
        if args.format == PlanFormat::Text {
            let _ = writeln!(
                out,
                "\nSaved the plan to {}. Apply exactly this plan with `terrane apply {}`.",
                path.display(),
                path.display()
            );
        }
    }
    let code = if args.detailed_exitcode && plan.has_changes() {
        EXIT_CHANGES
    } else {
        EXIT_OK
    };
    skip_drop((loaded, plan));
    code
}

/// The process exits right after a command: freeing a large model and plan piece by piece
/// (10,000 resources: ~10 % of a plan's time) would be wasted work, so it is left to the OS.
fn skip_drop<T>(v: T) {
    std::mem::forget(v);
}

/// Writes a plan file readable only by its owner: it holds real values, secrets included.
fn save_plan(plan: &Plan, path: &Path) -> std::io::Result<()> {
    let text = plan
        .to_file_string()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// Arguments of `terrane apply` and `terrane destroy`.
#[derive(Debug, Clone)]
pub struct ApplyArgs {
    pub config: ConfigArgs,
    /// A saved plan to apply exactly (`apply PLANFILE`).
    pub plan_file: Option<PathBuf>,
    pub auto_approve: bool,
    pub parallelism: usize,
    pub refresh: bool,
    pub targets: Vec<String>,
}

/// Asks the user to approve: `Some(answer)` from a terminal, `None` when there is none.
pub type Confirm<'a> = &'a mut dyn FnMut(&str) -> Option<bool>;

/// `terrane apply` (and, with `destroy`, `terrane destroy`).
pub fn apply(
    ctx: &Ctx,
    args: &ApplyArgs,
    destroy: bool,
    confirm: Confirm<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let saved = match &args.plan_file {
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|s| Plan::from_file_str(&s).map_err(|e| e.to_string()))
        {
            Ok(p) => Some(p),
            Err(e) => {
                let _ = writeln!(
                    err,
                    "error: cannot read the plan file {}: {e}",
                    path.display()
                );
                return EXIT_ERROR;
            }
        },
        None => None,
    };
    // A plan made from Git is applied from the same place: the recorded repository, ref and
    // directory unless the command line names them, and only if the ref still points at the
    // commit the plan was made from.
    let mut config_args = args.config.clone();
    if let Some(origin) = saved.as_ref().and_then(|p| p.meta.git.as_ref()) {
        if config_args.git.is_none() {
            config_args.git = Some(origin.repo.clone());
            config_args.git_ref = Some(origin.rev.clone());
            config_args.path = PathBuf::from(&origin.path);
        }
    }
    let mut opened = None;
    if let (Some(plan), Some(_)) = (&saved, &config_args.git) {
        match ref_still_at_plan_commit(plan, &config_args, err) {
            Some(o) => opened = Some(o),
            None => return EXIT_ERROR,
        }
    }
    let Some(loaded) = load_opened(&config_args, opened, &ctx.registry, err) else {
        return EXIT_ERROR;
    };
    let (cfg, graph) = (&loaded.config, &loaded.graph);
    let Some(store) = ctx.open_store(err) else {
        return EXIT_ERROR;
    };
    let engine = ctx.engine(store);
    let rt = runtime();
    let plan = match saved {
        Some(plan) => {
            if let Err(e) = rt.block_on(engine.check_plan(cfg, &plan, args.parallelism)) {
                report(err, &e, Some(cfg));
                return EXIT_ERROR;
            }
            plan
        }
        None => {
            let opts = PlanOptions {
                refresh: args.refresh,
                targets: args.targets.clone(),
                destroy,
                parallelism: args.parallelism,
                ..PlanOptions::default()
            };
            let mut plan = match rt.block_on(engine.plan(cfg, graph, &opts)) {
                Ok(p) => p,
                Err(e) => {
                    report(err, &e, Some(cfg));
                    return EXIT_ERROR;
                }
            };
            stamp_commit(&mut plan, &loaded, &config_args);
            let _ = write!(out, "{}", render::text::render(&plan, ctx.color));
            if !plan.has_changes() && plan.desired_updates.is_empty() {
                return EXIT_OK;
            }
            // Recording configurations the cloud already matches changes nothing: no question.
            if plan.has_changes() && !args.auto_approve {
                let question = if destroy {
                    "Do you really want to destroy all resources in this stack?"
                } else {
                    "Do you want to perform these actions?"
                };
                match confirm(question) {
                    Some(true) => {}
                    Some(false) => {
                        let _ = writeln!(err, "Cancelled: nothing was changed.");
                        return EXIT_ERROR;
                    }
                    None => {
                        let _ = writeln!(
                            err,
                            "error: cannot ask for confirmation: standard input is not a terminal; \
                             pass --auto-approve to {} without asking",
                            if destroy { "destroy" } else { "apply" }
                        );
                        return EXIT_ERROR;
                    }
                }
            }
            plan
        }
    };
    let opts = ApplyOptions {
        parallelism: args.parallelism,
        command: if destroy { "destroy" } else { "apply" }.into(),
        commit: run_commit(&loaded),
    };
    let progress = LineProgress {
        lock: Mutex::new(()),
    };
    let _ = out.flush();
    let result = rt.block_on(engine.apply(cfg, &plan, &opts, &progress));
    let code = match result {
        Ok(summary) => finish(&summary, destroy, out, err),
        Err(e) => {
            report(err, &e, Some(cfg));
            EXIT_ERROR
        }
    };
    skip_drop((loaded, plan));
    code
}

/// Resolves the ref again and compares it with the commit the plan was made from: the opened
/// repository and commit when they match; None, after saying why, when the branch moved on
/// (or the plan names no commit).
fn ref_still_at_plan_commit(
    plan: &Plan,
    args: &ConfigArgs,
    err: &mut dyn Write,
) -> Option<(GitRepo, GitSource)> {
    let (repo, now) = open_git(args, err)?;
    let rev = now.rev();
    match &plan.meta.commit {
        Some(planned) if *planned == now.commit().id => Some((repo, now)),
        Some(planned) => {
            let _ = writeln!(
                err,
                "error: the plan was made from commit {} but `{rev}` in {} is now at {} ({}). \
                 The branch moved on since the plan was made: run `terrane plan` again and apply \
                 the new plan.",
                &planned[..planned.len().min(12)],
                repo.shown(),
                now.commit().short_id(),
                now.commit().summary()
            );
            None
        }
        None => {
            let _ = writeln!(
                err,
                "error: the plan was not made from Git, so it cannot be checked against `{rev}` \
                 in {}. Make the plan with --git, or apply it without --git.",
                repo.shown()
            );
            None
        }
    }
}

fn finish(summary: &ApplySummary, destroy: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    if !summary.succeeded() {
        for f in &summary.failures {
            let _ = writeln!(err, "error: {} ({}): {}", f.address, f.action, f.message);
        }
        for s in &summary.skipped {
            let _ = writeln!(
                err,
                "error: {s} was not changed because a dependency failed"
            );
        }
        let _ = writeln!(
            err,
            "Apply failed: {} failed, {} skipped; {}. Everything else was applied and recorded.",
            summary.failures.len(),
            summary.skipped.len(),
            summary.line()
        );
        return EXIT_ERROR;
    }
    if destroy {
        let _ = writeln!(
            out,
            "\nDestroy complete! Resources: {} destroyed.",
            summary.destroyed
        );
    } else {
        let _ = writeln!(out, "\nApply complete! Resources: {}.", summary.line());
        if !summary.outputs.is_empty() {
            let _ = writeln!(out, "\nOutputs:\n");
            for (name, o) in &summary.outputs {
                let _ = writeln!(out, "{name} = {}", show_output(&o.value, o.sensitive));
            }
        }
    }
    EXIT_OK
}

fn show_output(v: &terrane_provider::Value, sensitive: bool) -> String {
    if sensitive {
        return SENSITIVE_TEXT.to_string();
    }
    render::show_value(v, "", &BTreeSet::new())
}

/// Progress as lines on stdout, as each resource starts and ends: "addr: Creating...",
/// "addr: Creation complete after 2s [id=...]". Plain lines on a terminal and off it, so logs
/// read the same as the screen.
struct LineProgress {
    /// Keeps lines from concurrent calls whole.
    lock: Mutex<()>,
}

impl LineProgress {
    fn line(&self, s: String) {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{s}");
    }
}

fn verbs(a: Action) -> (&'static str, &'static str) {
    match a {
        Action::Create => ("Creating...", "Creation complete"),
        Action::Update => ("Modifying...", "Modifications complete"),
        Action::Replace => ("Replacing...", "Replacement complete"),
        Action::Delete => ("Destroying...", "Destruction complete"),
        Action::Read => ("Reading...", "Read complete"),
        Action::Forget => ("Forgetting...", "Forgotten"),
        Action::NoOp => ("", ""),
    }
}

impl Progress for LineProgress {
    fn event(&self, e: ApplyEvent<'_>) {
        match e {
            ApplyEvent::Started { address, action } => {
                self.line(format!("{address}: {}", verbs(action).0))
            }
            ApplyEvent::Finished {
                address,
                action,
                elapsed,
                id,
            } => {
                let id = id.map(|i| format!(" [id={i}]")).unwrap_or_default();
                self.line(format!(
                    "{address}: {} after {}s{id}",
                    verbs(action).1,
                    elapsed.as_secs()
                ))
            }
            ApplyEvent::Failed {
                address,
                elapsed,
                error,
                ..
            } => self.line(format!(
                "{address}: failed after {}s: {error}",
                elapsed.as_secs()
            )),
            ApplyEvent::Skipped { address, because } => {
                self.line(format!("{address}: skipped because {because} failed"))
            }
        }
    }
}

/// `terrane output [NAME] [--json]`. Sensitive values are never printed.
pub fn output(
    ctx: &Ctx,
    name: Option<&str>,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let Some(store) = ctx.open_store(err) else {
        return EXIT_ERROR;
    };
    let outputs = match store.get_outputs(&ctx.stack) {
        Ok(o) => o,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return EXIT_ERROR;
        }
    };
    let masked = |o: &terrane_state::OutputRecord| {
        if o.sensitive {
            serde_json::Value::String(SENSITIVE_TEXT.into())
        } else {
            o.value.to_json()
        }
    };
    match name {
        Some(name) => {
            let Some(o) = outputs.get(name) else {
                let known: Vec<&str> = outputs.keys().map(String::as_str).collect();
                let _ = writeln!(
                    err,
                    "error: no output {name:?} in stack {:?}{}",
                    ctx.stack,
                    if known.is_empty() {
                        "; it has no outputs (run `terrane apply` first)".to_string()
                    } else {
                        format!("; it has: {}", known.join(", "))
                    }
                );
                return EXIT_ERROR;
            };
            if json {
                let _ = writeln!(out, "{}", masked(o));
            } else if let (Some(s), false) = (o.value.as_str(), o.sensitive) {
                let _ = writeln!(out, "{s}");
            } else {
                let _ = writeln!(out, "{}", show_output(&o.value, o.sensitive));
            }
        }
        None if json => {
            let doc: serde_json::Map<String, serde_json::Value> = outputs
                .iter()
                .map(|(k, o)| {
                    (
                        k.clone(),
                        serde_json::json!({ "sensitive": o.sensitive, "value": masked(o) }),
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            );
        }
        None => {
            for (k, o) in &outputs {
                let _ = writeln!(out, "{k} = {}", show_output(&o.value, o.sensitive));
            }
        }
    }
    EXIT_OK
}
