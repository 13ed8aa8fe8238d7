//! `terrane state ...`: look at and repair what the store knows, without touching the cloud
//! (except `import`, which reads it).

use super::run::{report, runtime, Ctx};
use super::{load_config, ConfigArgs, EXIT_ERROR, EXIT_OK};
use crate::plan::render::show_value;
use std::collections::BTreeSet;
use std::io::Write;
use terrane_state::{Outcome, ResourceRecord};

/// `terrane state list`.
pub fn list(ctx: &Ctx, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(store) = ctx.open_store(err) else {
        return EXIT_ERROR;
    };
    match store.list_resources(&ctx.stack) {
        Ok(recs) => {
            for r in recs {
                let _ = writeln!(out, "{}", r.address);
            }
            EXIT_OK
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            EXIT_ERROR
        }
    }
}

/// `terrane state show ADDR`: the attributes as last read, secrets masked.
pub fn show(ctx: &Ctx, address: &str, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(store) = ctx.open_store(err) else {
        return EXIT_ERROR;
    };
    match store.get_resource(&ctx.stack, address) {
        Ok(Some(r)) => {
            let _ = write!(out, "{}", show_record(ctx, &r));
            EXIT_OK
        }
        Ok(None) => {
            let _ = writeln!(
                err,
                "error: stack {:?} has no resource {address}; `terrane state list` shows what it has",
                ctx.stack
            );
            EXIT_ERROR
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            EXIT_ERROR
        }
    }
}

fn show_record(ctx: &Ctx, r: &ResourceRecord) -> String {
    let mut sens: BTreeSet<String> = r.sensitive_attrs.iter().cloned().collect();
    let schemas = ctx.registry.schemas();
    if let Some(schema) = schemas.get(crate::addr::Mode::Managed, &r.type_name) {
        for (name, attr) in &schema.body.attributes {
            if attr.sensitive {
                sens.insert(name.clone());
            }
        }
    }
    let mut s = format!("# {}:\n", r.address);
    let (ty, name) = r
        .address
        .rsplit_once('.')
        .map(|(a, n)| (a.rsplit('.').next().unwrap_or(a), n))
        .unwrap_or((&r.type_name, &r.address));
    s.push_str(&format!("resource {:?} {:?} {{\n", ty, name));
    if r.cloud.is_null() {
        s.push_str("    # deleted in the cloud outside terrane (found by the last refresh)\n");
    }
    if let Some(m) = r.cloud.as_map() {
        let width = m.keys().map(String::len).max().unwrap_or(0);
        for (k, v) in m {
            if v.is_null() {
                continue;
            }
            s.push_str(&format!("    {k:<width$} = {}\n", show_value(v, k, &sens)));
        }
    }
    s.push_str("}\n");
    s.push_str(&format!(
        "# provider: {}, id: {}, updated: {}\n",
        r.provider, r.id, r.updated_at
    ));
    if !r.dependencies.is_empty() {
        s.push_str(&format!("# depends on: {}\n", r.dependencies.join(", ")));
    }
    s
}

/// `terrane state rm ADDR...`: forget, leaving the cloud object alone.
pub fn rm(ctx: &Ctx, addresses: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(store) = ctx.open_store(err) else {
        return EXIT_ERROR;
    };
    let mut code = EXIT_OK;
    for a in addresses {
        match store.delete_resource(&ctx.stack, a) {
            Ok(true) => {
                let _ = writeln!(
                    out,
                    "Removed {a} from the store; the cloud object was left as it is."
                );
            }
            Ok(false) => {
                let _ = writeln!(
                    err,
                    "error: stack {:?} has no resource {a}; `terrane state list` shows what it has",
                    ctx.stack
                );
                code = EXIT_ERROR;
            }
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                return EXIT_ERROR;
            }
        }
    }
    code
}

/// `terrane state mv FROM TO`.
pub fn mv(ctx: &Ctx, from: &str, to: &str, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    if let Err(e) = to.parse::<crate::addr::InstanceAddr>() {
        let _ = writeln!(err, "error: {e}");
        return EXIT_ERROR;
    }
    let Some(store) = ctx.open_store(err) else {
        return EXIT_ERROR;
    };
    match store.rename_resource(&ctx.stack, from, to) {
        Ok(()) => {
            let _ = writeln!(out, "Moved {from} to {to}.");
            EXIT_OK
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            EXIT_ERROR
        }
    }
}

/// `terrane state import ADDR ID`: adopt an existing cloud object.
pub fn import(
    ctx: &Ctx,
    config: &ConfigArgs,
    address: &str,
    id: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let Some((cfg, _)) = load_config(config, &ctx.registry, err) else {
        return EXIT_ERROR;
    };
    let Some(store) = ctx.open_store(err) else {
        return EXIT_ERROR;
    };
    let engine = ctx.engine(store);
    match runtime().block_on(engine.import_resource(&cfg, address, id)) {
        Ok(r) => {
            let _ = writeln!(
                out,
                "Imported {} (id {}). Run `terrane plan` to compare it with the configuration.",
                r.address, r.id
            );
            EXIT_OK
        }
        Err(e) => {
            report(err, &e, Some(&cfg));
            EXIT_ERROR
        }
    }
}

/// `terrane state history`: the runs recorded for the stack, oldest first.
pub fn history(ctx: &Ctx, json: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(store) = ctx.open_store(err) else {
        return EXIT_ERROR;
    };
    let runs = match store.list_runs(&ctx.stack) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return EXIT_ERROR;
        }
    };
    if json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&runs).unwrap_or_default()
        );
        return EXIT_OK;
    }
    for r in runs {
        let outcome = match r.outcome {
            Outcome::Running => "running (or interrupted)",
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::NoChanges => "no changes",
        };
        let commit = r
            .commit
            .as_ref()
            .map(|c| {
                format!(
                    "  commit {} by {}: {}",
                    c.id.chars().take(12).collect::<String>(),
                    c.author,
                    c.message.lines().next().unwrap_or("")
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "#{:<4} {}  {:<13} {:<24} {}{commit}",
            r.id, r.started_at, r.command, outcome, r.summary
        );
    }
    EXIT_OK
}
