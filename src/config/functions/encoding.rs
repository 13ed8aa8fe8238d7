//! JSON, YAML and base64 encoding, and the hash functions.

use super::{Args, FnContext};
use base64::Engine;
use md5::Digest;
use std::fmt::Write;
use terrane_provider::{format_number, Value};

type R = Result<Value, String>;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Numbers as cty encodes them: plain decimal, no exponent, integers without a fraction.
fn number_text(n: f64) -> Result<String, String> {
    if !n.is_finite() {
        return Err(format!("cannot encode the number {n}"));
    }
    Ok(format_number(n))
}

/// Terraform's `jsonencode` output: compact, keys sorted, and `<`, `>`, `&`, U+2028, U+2029
/// escaped as Go's encoder does.
pub(super) fn json_encode(v: &Value) -> Result<String, String> {
    let mut out = String::new();
    write_json(v, &mut out)?;
    Ok(out)
}

fn write_json(v: &Value, out: &mut String) -> Result<(), String> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_text(*n)?),
        Value::String(s) => json_string(s, out),
        Value::Unknown => return Err("value is not yet known".into()),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out)?;
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                write_json(item, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

pub(super) fn jsonencode(a: &Args, _: &FnContext) -> R {
    json_encode(a.get(0))
        .map(Value::String)
        .map_err(|e| a.arg_err(0, &e))
}

pub(super) fn jsondecode(a: &Args, _: &FnContext) -> R {
    let s = a.str(0)?;
    let j: serde_json::Value =
        serde_json::from_str(&s).map_err(|e| a.arg_err(0, &format!("invalid JSON: {e}")))?;
    Ok(Value::from_json(&j))
}

pub(super) fn yamldecode(a: &Args, _: &FnContext) -> R {
    let s = a.str(0)?;
    if s.trim().is_empty() {
        return Ok(Value::Null);
    }
    let j: serde_json::Value = serde_saphyr::from_str(&s).map_err(|e| {
        a.fail(&format!(
            "invalid YAML: {}",
            e.to_string().replace('\n', " ")
        ))
    })?;
    Ok(Value::from_json(&j))
}

/// Terraform's `yamlencode` style: block collections, double-quoted keys and strings, literal
/// blocks for multi-line strings, two-space indentation, sequences not indented under keys.
pub(super) fn yamlencode(a: &Args, _: &FnContext) -> R {
    let mut out = String::new();
    yaml_node(a.get(0), 0, &mut out).map_err(|e| a.arg_err(0, &e))?;
    Ok(Value::String(out))
}

/// Writes a node that starts mid-line (after "key:", "- " or at the document start) and ends
/// with a newline. `indent` is the column of the enclosing block.
fn yaml_node(v: &Value, indent: usize, out: &mut String) -> Result<(), String> {
    match v {
        Value::Map(m) if !m.is_empty() => {
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(&" ".repeat(indent));
                }
                yaml_quoted(k, out);
                out.push(':');
                match item {
                    Value::Map(im) if !im.is_empty() => {
                        out.push('\n');
                        out.push_str(&" ".repeat(indent + 2));
                        yaml_node(item, indent + 2, out)?;
                    }
                    Value::List(il) if !il.is_empty() => {
                        out.push('\n');
                        out.push_str(&" ".repeat(indent));
                        yaml_node(item, indent, out)?;
                    }
                    _ => {
                        out.push(' ');
                        yaml_scalar(item, indent + 2, out)?;
                    }
                }
            }
        }
        Value::List(l) if !l.is_empty() => {
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push_str(&" ".repeat(indent));
                }
                out.push_str("- ");
                match item {
                    Value::Map(_) | Value::List(_) => yaml_node(item, indent + 2, out)?,
                    _ => yaml_scalar(item, indent + 2, out)?,
                }
            }
        }
        _ => yaml_scalar(v, 2, out)?,
    }
    Ok(())
}

/// Writes a scalar (or empty collection) and the newline after it.
fn yaml_scalar(v: &Value, block_indent: usize, out: &mut String) -> Result<(), String> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_text(*n)?),
        Value::List(_) => out.push_str("[]"),
        Value::Map(_) => out.push_str("{}"),
        Value::Unknown => return Err("value is not yet known".into()),
        Value::String(s) if literal_ok(s) => {
            let body = s.trim_end_matches('\n');
            let trailing = s.len() - body.len();
            out.push_str(match trailing {
                0 => "|-",
                1 => "|",
                _ => "|+",
            });
            out.push('\n');
            let pad = " ".repeat(block_indent);
            for line in body.split('\n') {
                if !line.is_empty() {
                    out.push_str(&pad);
                    out.push_str(line);
                }
                out.push('\n');
            }
            for _ in 1..trailing {
                out.push('\n');
            }
            return Ok(());
        }
        Value::String(s) => yaml_quoted(s, out),
    }
    out.push('\n');
    Ok(())
}

/// Multi-line strings go in literal blocks unless they hold characters a literal block cannot
/// carry faithfully (control characters, trailing spaces, or a leading space).
fn literal_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\n'])
        && !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
        && !s.split('\n').any(|l| l.ends_with(' ') || l.ends_with('\t'))
}

fn yaml_quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

pub(super) fn base64encode(a: &Args, _: &FnContext) -> R {
    Ok(Value::String(B64.encode(a.str(0)?)))
}

pub(super) fn base64decode(a: &Args, _: &FnContext) -> R {
    let s = a.str(0)?;
    let bytes = B64
        .decode(s.as_bytes())
        .map_err(|_| a.arg_err(0, &format!("failed to decode base64 data {s:?}")))?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        a.arg_err(
            0,
            "the result of decoding the provided string is not valid UTF-8",
        )
    })
}

pub(super) fn hex_digest<D: Digest>(data: &[u8]) -> String {
    hex::encode(D::digest(data))
}

pub(super) fn b64_digest<D: Digest>(data: &[u8]) -> String {
    B64.encode(D::digest(data))
}

pub(super) fn md5(a: &Args, _: &FnContext) -> R {
    Ok(Value::String(hex_digest::<md5::Md5>(a.str(0)?.as_bytes())))
}

pub(super) fn sha1(a: &Args, _: &FnContext) -> R {
    Ok(Value::String(hex_digest::<sha1::Sha1>(
        a.str(0)?.as_bytes(),
    )))
}

pub(super) fn sha256(a: &Args, _: &FnContext) -> R {
    Ok(Value::String(hex_digest::<sha2::Sha256>(
        a.str(0)?.as_bytes(),
    )))
}

pub(super) fn sha512(a: &Args, _: &FnContext) -> R {
    Ok(Value::String(hex_digest::<sha2::Sha512>(
        a.str(0)?.as_bytes(),
    )))
}

pub(super) fn base64sha256(a: &Args, _: &FnContext) -> R {
    Ok(Value::String(b64_digest::<sha2::Sha256>(
        a.str(0)?.as_bytes(),
    )))
}

pub(super) fn base64sha512(a: &Args, _: &FnContext) -> R {
    Ok(Value::String(b64_digest::<sha2::Sha512>(
        a.str(0)?.as_bytes(),
    )))
}
