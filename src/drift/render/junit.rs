//! The drift report as JUnit XML, which every CI system shows natively: one test case per
//! managed resource (failed when changed or deleted), one per unmanaged resource when they were
//! checked (failed), and one skipped case per resource that is only in the configuration so far.
//! A pending configuration change of a managed resource goes to its case's `system-out`; it
//! never fails a case, because it is not drift.

use super::{drift_line, pending_line, pending_phrase, plural};
use crate::drift::{DriftReport, PendingChange};
use crate::plan::Action;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One `<testcase>`, before it is written out.
struct Case {
    name: String,
    classname: String,
    /// (type, message, body)
    failure: Option<(&'static str, String, String)>,
    skipped: Option<String>,
    out: Option<String>,
}

/// Renders the report as a JUnit XML document.
pub fn render(r: &DriftReport) -> String {
    let pending: BTreeMap<&str, &PendingChange> =
        r.pending.iter().map(|p| (p.address.as_str(), p)).collect();
    let pending_text = |address: &str| {
        pending.get(address).map(|p| {
            let mut s = format!("pending (not drift): {}", pending_phrase(p));
            for a in &p.attrs {
                let _ = write!(s, "\n  {}", pending_line(a));
            }
            s
        })
    };

    let mut cases: Vec<(String, Case)> = Vec::new();
    for c in &r.changed {
        let body: Vec<String> = c.attrs.iter().map(drift_line).collect();
        cases.push((
            c.address.clone(),
            Case {
                name: c.address.clone(),
                classname: format!("managed.{}", c.type_name),
                failure: Some((
                    "changed",
                    format!(
                        "{} changed outside terrane (id {})",
                        plural(c.attrs.len(), "attribute"),
                        c.id
                    ),
                    body.join("\n"),
                )),
                skipped: None,
                out: pending_text(&c.address),
            },
        ));
    }
    for d in &r.deleted {
        cases.push((
            d.address.clone(),
            Case {
                name: d.address.clone(),
                classname: format!("managed.{}", d.type_name),
                failure: Some((
                    "deleted",
                    format!("deleted outside terrane (id {})", d.id),
                    String::new(),
                )),
                skipped: None,
                out: pending_text(&d.address),
            },
        ));
    }
    for i in &r.in_sync {
        cases.push((
            i.address.clone(),
            Case {
                name: i.address.clone(),
                classname: format!("managed.{}", i.type_name),
                failure: None,
                skipped: None,
                out: pending_text(&i.address),
            },
        ));
    }
    for p in r.pending.iter().filter(|p| p.action == Action::Create) {
        cases.push((
            p.address.clone(),
            Case {
                name: p.address.clone(),
                classname: format!("pending.{}", p.type_name),
                failure: None,
                skipped: Some(format!("not applied yet: {}", pending_phrase(p))),
                out: None,
            },
        ));
    }
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    if r.summary.unmanaged_checked {
        for u in &r.unmanaged {
            let tags: Vec<String> = u.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            cases.push((
                String::new(),
                Case {
                    name: format!("{}.{}", u.type_name, u.id),
                    classname: format!("unmanaged.{}", u.type_name),
                    failure: Some((
                        "unmanaged",
                        format!("{} {} is in the account but in no stack", u.type_name, u.id),
                        if tags.is_empty() {
                            String::new()
                        } else {
                            format!("tags: {}", tags.join(", "))
                        },
                    )),
                    skipped: None,
                    out: None,
                },
            ));
        }
    }

    let tests = cases.len();
    let failures = cases.iter().filter(|(_, c)| c.failure.is_some()).count();
    let skipped = cases.iter().filter(|(_, c)| c.skipped.is_some()).count();
    let time = r
        .stats
        .map(|s| format!("{}.{:03}", s.duration_ms / 1000, s.duration_ms % 1000))
        .unwrap_or_else(|| "0".to_string());
    let counts = format!(
        "tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{time}\""
    );

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"terrane drift\" {counts}>");
    let _ = write!(
        out,
        "  <testsuite name=\"drift.{}\" {counts}",
        attr(&r.meta.stack)
    );
    if !r.meta.created_at.is_empty() {
        let _ = write!(out, " timestamp=\"{}\"", attr(&r.meta.created_at));
    }
    out.push_str(">\n    <properties>\n");
    let mut props = vec![("stack", r.meta.stack.clone())];
    if let Some(c) = &r.meta.commit {
        props.push(("commit", c.clone()));
    }
    props.push(("terrane_version", r.meta.terrane_version.clone()));
    for (k, v) in props {
        let _ = writeln!(out, "      <property name=\"{k}\" value=\"{}\"/>", attr(&v));
    }
    out.push_str("    </properties>\n");
    for (_, c) in &cases {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"{}\" time=\"0\"",
            attr(&c.name),
            attr(&c.classname)
        );
        if c.failure.is_none() && c.skipped.is_none() && c.out.is_none() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        if let Some((kind, message, body)) = &c.failure {
            let _ = write!(
                out,
                "      <failure type=\"{kind}\" message=\"{}\"",
                attr(message)
            );
            if body.is_empty() {
                out.push_str("/>\n");
            } else {
                let _ = writeln!(out, ">{}</failure>", text(body));
            }
        }
        if let Some(why) = &c.skipped {
            let _ = writeln!(out, "      <skipped message=\"{}\"/>", attr(why));
        }
        if let Some(s) = &c.out {
            let _ = writeln!(out, "      <system-out>{}</system-out>", text(s));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Escapes element text; drops characters XML 1.0 cannot carry.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes an attribute value (newlines kept as character references).
fn attr(s: &str) -> String {
    text(s)
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}
