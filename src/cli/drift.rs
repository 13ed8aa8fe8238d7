//! `terrane drift`: the one-shot drift report for CI. It refreshes every managed resource (the
//! only store write is that cached cloud state, plus a line in the run history), compares each
//! with what was last applied, plans the configuration to list pending changes apart from
//! drift, optionally lists the account for unmanaged resources, and writes the report in one or
//! more formats. Exit codes: 0 in sync, 2 drift, 1 error. It never changes the cloud or what
//! terrane last applied.

use super::run::{report, runtime, Ctx};
use super::{load_config, ConfigArgs, EXIT_ERROR};
use crate::addr::Mode;
use crate::config::{Config, Lifecycle};
use crate::drift::render::{self, Format};
use crate::drift::{
    pending_from_change, DriftReport, IgnoreRules, Location, ManagedIds, ManagedInput,
    ReportBuilder, ReportMeta, Stats, IGNORE_FILE,
};
use crate::engine::{Engine, EngineError, PlanOptions};
use crate::graph::Graph;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;
use terrane_provider::{ErrorKind, ResourceMode};
use terrane_state::Outcome;

/// Arguments of `terrane drift`.
#[derive(Debug, Clone)]
pub struct DriftArgs {
    pub config: ConfigArgs,
    /// List the account for resources no stack manages (`--unmanaged`).
    pub unmanaged: bool,
    /// Each format and where it goes (None = standard output); see [`pair_outputs`].
    pub outputs: Vec<(Format, Option<PathBuf>)>,
    pub parallelism: usize,
}

/// Pairs `--format` and `--out` options by their position on the command line: an `--out`
/// belongs to the `--format` before it. Without any `--format` the report is text. At most one
/// format goes to standard output.
pub fn pair_outputs(
    formats: &[(usize, Format)],
    outs: &[(usize, PathBuf)],
) -> Result<Vec<(Format, Option<PathBuf>)>, String> {
    let mut pairs: Vec<(usize, Format, Option<PathBuf>)> =
        formats.iter().map(|(i, f)| (*i, *f, None)).collect();
    pairs.sort_by_key(|p| p.0);
    if pairs.is_empty() {
        pairs.push((0, Format::Text, None));
    }
    let mut outs = outs.to_vec();
    outs.sort_by_key(|o| o.0);
    for (at, path) in outs {
        let slot = if formats.is_empty() {
            Some(0)
        } else {
            pairs.iter().rposition(|p| p.0 < at)
        };
        let Some(slot) = slot else {
            return Err(format!(
                "--out {} comes before any --format; write `--format FORMAT --out FILE`",
                path.display()
            ));
        };
        if let Some(prev) = &pairs[slot].2 {
            return Err(format!(
                "--format {} is given two files ({} and {}); repeat --format for each file",
                pairs[slot].1.name(),
                prev.display(),
                path.display()
            ));
        }
        pairs[slot].2 = Some(path);
    }
    let to_stdout: Vec<&str> = pairs
        .iter()
        .filter(|p| p.2.is_none())
        .map(|p| p.1.name())
        .collect();
    if to_stdout.len() > 1 {
        return Err(format!(
            "formats {} would all go to standard output; give all but one of them --out FILE",
            to_stdout.join(" and ")
        ));
    }
    Ok(pairs.into_iter().map(|(_, f, o)| (f, o)).collect())
}

/// `terrane drift`.
pub fn drift(ctx: &Ctx, args: &DriftArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let started = Instant::now();
    let Some((cfg, graph)) = load_config(&args.config, &ctx.registry, err) else {
        return EXIT_ERROR;
    };
    let Some(ignore) = read_ignore(&args.config, err) else {
        return EXIT_ERROR;
    };
    let Some(store) = ctx.open_store(err) else {
        return EXIT_ERROR;
    };
    let engine = ctx.engine(store.clone());
    let run = store.begin_run(&ctx.stack, "drift", None);
    let result = runtime().block_on(collect(&engine, &cfg, &graph, &ignore, args, started));
    let report_doc = match result {
        Ok(r) => r,
        Err(e) => {
            report(err, &e, Some(&cfg));
            if let Ok(run) = run {
                let _ = store.finish_run(
                    &ctx.stack,
                    run.id,
                    Outcome::Failed,
                    &e.to_string(),
                    serde_json::Value::Null,
                );
            }
            return EXIT_ERROR;
        }
    };
    if let Ok(run) = run {
        let (outcome, summary) = if report_doc.summary.has_drift() {
            (
                Outcome::Succeeded,
                format!("drift: {}", render::drift_counts(&report_doc)),
            )
        } else {
            (Outcome::NoChanges, "no drift".to_string())
        };
        let details = serde_json::to_value(report_doc.summary).unwrap_or_default();
        let _ = store.finish_run(&ctx.stack, run.id, outcome, &summary, details);
    }
    for (format, path) in &args.outputs {
        match path {
            None => {
                let _ = write!(
                    out,
                    "{}",
                    render::render(&report_doc, *format, ctx.color && *format == Format::Text)
                );
            }
            Some(path) => {
                if let Err(e) = std::fs::write(path, render::render(&report_doc, *format, false)) {
                    let _ = writeln!(
                        err,
                        "error: cannot write the {} report to {}: {e}",
                        format.name(),
                        path.display()
                    );
                    return EXIT_ERROR;
                }
            }
        }
    }
    report_doc.exit_code()
}

/// Reads `.terraneignore` at the configuration root; no file means no rules. None after
/// printing what is wrong with it.
fn read_ignore(config: &ConfigArgs, err: &mut dyn Write) -> Option<IgnoreRules> {
    let path = config.path.join(IGNORE_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => match IgnoreRules::parse(&path.display().to_string(), &text) {
            Ok(r) => Some(r),
            Err(e) => {
                let _ = write!(err, "{}", e.render());
                let n = e.diagnostics.len();
                let _ = writeln!(
                    err,
                    "error: {} has {n} bad pattern{}; nothing was checked",
                    path.display(),
                    if n == 1 { "" } else { "s" }
                );
                None
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(IgnoreRules::none()),
        Err(e) => {
            let _ = writeln!(err, "error: cannot read {}: {e}", path.display());
            None
        }
    }
}

async fn collect(
    engine: &Engine,
    cfg: &Config,
    graph: &Graph,
    ignore: &IgnoreRules,
    args: &DriftArgs,
    started: Instant,
) -> Result<DriftReport, EngineError> {
    let store = engine.store();
    let stack = engine.stack();
    let mut records = store.list_resources(stack)?;
    let mut refs: BTreeSet<String> = records.iter().map(|r| r.provider.clone()).collect();
    refs.extend(cfg.instances.iter().map(|i| i.provider.to_string()));
    let clients = engine.configure(Some(cfg), &refs).await?;
    // The engine reuses configured clients across runs; count only this report's calls.
    let calls_before: u64 = clients.iter().map(|(_, c)| c.stats().calls).sum();
    engine
        .refresh_records(&clients, &mut records, args.parallelism, true)
        .await?;

    // The plan from the refreshed cache: what apply would do, of which the configuration
    // changes are the pending list. It reads data sources, so the configuration evaluates as
    // it would for `terrane plan`.
    let plan = engine
        .plan(
            cfg,
            graph,
            &PlanOptions {
                refresh: false,
                parallelism: args.parallelism,
                refuse_prevent_destroy: false,
                ..PlanOptions::default()
            },
        )
        .await?;

    let instances: BTreeMap<String, &crate::config::Instance> = cfg
        .instances
        .iter()
        .map(|i| (i.addr.to_string(), i))
        .collect();
    // File names are as the user gave them (relative to where terrane runs, a CI job's
    // checkout), so code-scanning results land on the file.
    let location_of = |address: &str| {
        instances.get(address).map(|i| {
            let f = cfg.sources.file(i.span.file);
            let (line, column) = f.line_col(i.span.start);
            Location {
                file: f.name.replace('\\', "/"),
                line: line as u32,
                column: column as u32,
            }
        })
    };

    let meta = ReportMeta {
        stack: stack.to_string(),
        commit: None,
        created_at: terrane_state::now_rfc3339(),
        terrane_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let mut b = ReportBuilder::new(meta, ignore);
    let schemas = engine.registry().schemas();
    let none = Lifecycle::default();
    for rec in &records {
        let Some(schema) = schemas.get(Mode::Managed, &rec.type_name) else {
            return Err(EngineError::Invalid(format!(
                "{} is in the store but no provider in this build supports {}",
                rec.address, rec.type_name
            )));
        };
        let inst = instances.get(&rec.address);
        let lifecycle = inst.map_or(&none, |i| &i.lifecycle);
        if inst.is_some_and(|i| i.management == crate::config::Management::ObserveOnly) {
            // Observed, never applied: there is nothing it could drift from.
            continue;
        }
        // Imported and not applied since: adopted as the cloud had it, so nothing drifted yet.
        let last_applied = if rec.desired.is_null() {
            &rec.cloud
        } else {
            &rec.desired
        };
        let sensitive: BTreeSet<String> = rec.sensitive_attrs.iter().cloned().collect();
        let location = location_of(&rec.address);
        b.managed(&ManagedInput {
            address: &rec.address,
            type_name: &rec.type_name,
            provider: &rec.provider,
            id: &rec.id,
            schema,
            last_applied,
            cloud: (!rec.cloud.is_null()).then_some(&rec.cloud),
            lifecycle,
            sensitive_attrs: &sensitive,
            location: location.as_ref(),
        });
    }
    for c in &plan.changes {
        // Data sources are read, never applied: they have no pending changes.
        let Some(schema) = schemas.get(Mode::Managed, &c.type_name) else {
            continue;
        };
        if c.address.starts_with("data.") || c.address.contains(".data.") {
            continue;
        }
        if let Some(p) = pending_from_change(c, schema, location_of(&c.address).as_ref()) {
            b.pending(p);
        }
    }

    if args.unmanaged {
        b.unmanaged_checked();
        let mut managed = ManagedIds::new();
        for s in store.list_stacks()? {
            for r in store.list_resources(&s)? {
                managed.insert(&r.type_name, &r.id);
            }
        }
        for (name, client) in clients.iter() {
            let provider_name = name.split('.').next().unwrap_or(name);
            let Some(provider) = engine.registry().get(provider_name) else {
                continue;
            };
            let mut types: Vec<&'static str> = provider
                .schemas()
                .iter()
                .filter(|s| s.mode == ResourceMode::Managed)
                .map(|s| s.type_name)
                .collect();
            types.sort();
            for t in types {
                match client.list(t).await {
                    Ok(listed) => {
                        b.listed(t, &listed, |l| managed.contains(l));
                    }
                    // Types whose provider cannot list them (or that have no cloud object,
                    // like terraform_data) have no unmanaged resources to find. Any other
                    // error (access denied, say) fails the report rather than hide resources.
                    Err(e) if e.kind == ErrorKind::Unsupported => {}
                    Err(e) => {
                        return Err(EngineError::Provider(format!(
                            "listing {t} resources ({name}): {e}"
                        )))
                    }
                }
            }
        }
    }

    let api_calls = clients
        .iter()
        .map(|(_, c)| c.stats().calls)
        .sum::<u64>()
        .saturating_sub(calls_before);
    b.stats(Stats {
        duration_ms: started.elapsed().as_millis() as u64,
        api_calls,
    });
    Ok(b.finish())
}

#[cfg(test)]
mod cloud_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    #[test]
    fn outputs_pair_by_position() {
        // No --format: text to stdout; a lone --out takes the text.
        assert_eq!(pair_outputs(&[], &[]), Ok(vec![(Format::Text, None)]));
        assert_eq!(
            pair_outputs(&[], &[(2, p("d.txt"))]),
            Ok(vec![(Format::Text, Some(p("d.txt")))])
        );
        // --format json --out d.json --format junit --out d.xml --format text
        let formats = [(1, Format::Json), (5, Format::Junit), (9, Format::Text)];
        let outs = [(3, p("d.json")), (7, p("d.xml"))];
        assert_eq!(
            pair_outputs(&formats, &outs),
            Ok(vec![
                (Format::Json, Some(p("d.json"))),
                (Format::Junit, Some(p("d.xml"))),
                (Format::Text, None),
            ])
        );
        let e = pair_outputs(&[(3, Format::Json)], &[(1, p("x"))]).unwrap_err();
        assert!(e.contains("comes before any --format"), "{e}");
        let e = pair_outputs(&[(1, Format::Json)], &[(3, p("a")), (5, p("b"))]).unwrap_err();
        assert!(e.contains("two files"), "{e}");
        let e = pair_outputs(&[(1, Format::Json), (3, Format::Text)], &[]).unwrap_err();
        assert!(e.contains("json and text"), "{e}");
    }
}
