//! String functions, including the regex family (RE2 syntax, which Rust's `regex` shares for
//! everything Terraform configurations use).

use super::format::format_values;
use super::{Args, FnContext};
use regex::Regex;
use terrane_provider::Value;

type R = Result<Value, String>;

fn string(s: impl Into<String>) -> R {
    Ok(Value::String(s.into()))
}

pub(super) fn chomp(a: &Args, _: &FnContext) -> R {
    let s = a.str(0)?;
    string(s.trim_end_matches(['\n', '\r']))
}

pub(super) fn endswith(a: &Args, _: &FnContext) -> R {
    Ok(Value::Bool(a.str(0)?.ends_with(&a.str(1)?)))
}

pub(super) fn startswith(a: &Args, _: &FnContext) -> R {
    Ok(Value::Bool(a.str(0)?.starts_with(&a.str(1)?)))
}

pub(super) fn strcontains(a: &Args, _: &FnContext) -> R {
    Ok(Value::Bool(a.str(0)?.contains(&a.str(1)?)))
}

pub(super) fn format(a: &Args, _: &FnContext) -> R {
    let spec = a.str(0)?;
    format_values(&spec, a.rest(1))
        .map(Value::String)
        .map_err(|e| a.fail(&e))
}

pub(super) fn formatlist(a: &Args, _: &FnContext) -> R {
    let spec = a.str(0)?;
    let rest = a.rest(1);
    let mut len: Option<(usize, usize)> = None; // (length, argument number)
    for (i, v) in rest.iter().enumerate() {
        if let Value::List(l) = v {
            match len {
                None => len = Some((l.len(), i + 1)),
                Some((n, j)) if n != l.len() => {
                    return Err(a.fail(&format!(
                        "argument {} has length {}, which is inconsistent with argument {j} of length {n}",
                        i + 1,
                        l.len()
                    )))
                }
                Some(_) => {}
            }
        }
    }
    let n = len.map_or(1, |(n, _)| n);
    let mut out = Vec::with_capacity(n);
    for row in 0..n {
        let args: Vec<Value> = rest
            .iter()
            .map(|v| match v {
                Value::List(l) => l[row].clone(),
                other => other.clone(),
            })
            .collect();
        let s = format_values(&spec, &args)
            .map_err(|e| a.fail(&format!("error on format iteration {row}: {e}")))?;
        out.push(Value::String(s));
    }
    Ok(Value::List(out))
}

pub(super) fn indent(a: &Args, _: &FnContext) -> R {
    let n = a.int(0)?;
    if !(0..=1 << 16).contains(&n) {
        return Err(a.arg_err(0, "spaces must be between 0 and 65536"));
    }
    let pad = " ".repeat(n as usize);
    string(a.str(1)?.replace('\n', &format!("\n{pad}")))
}

pub(super) fn join(a: &Args, _: &FnContext) -> R {
    let sep = a.str(0)?;
    if a.len() < 2 {
        return Err(a.fail("at least one list is required"));
    }
    let mut parts = Vec::new();
    for i in 1..a.len() {
        parts.extend(a.strings(i)?);
    }
    string(parts.join(&sep))
}

pub(super) fn lower(a: &Args, _: &FnContext) -> R {
    string(a.str(0)?.to_lowercase())
}

pub(super) fn upper(a: &Args, _: &FnContext) -> R {
    string(a.str(0)?.to_uppercase())
}

/// Go's `strings.Title`: upper-cases the first letter of each word.
pub(super) fn title(a: &Args, _: &FnContext) -> R {
    let mut out = String::new();
    let mut prev_sep = true;
    for c in a.str(0)?.chars() {
        if prev_sep {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_sep = if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else {
            c.is_whitespace()
        };
    }
    string(out)
}

fn compile(a: &Args, i: usize, pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| {
        a.arg_err(
            i,
            &format!(
                "invalid regular expression pattern: {}",
                e.to_string().replace('\n', " ")
            ),
        )
    })
}

/// Shapes one match as Terraform does: no groups -> the matched string; unnamed groups -> a
/// list; named groups -> a map. Unmatched optional groups are null.
fn match_value(re: &Regex, caps: &regex::Captures) -> Value {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.is_empty() {
        return Value::String(caps[0].to_string());
    }
    let text = |i: usize| {
        caps.get(i)
            .map_or(Value::Null, |m| Value::String(m.as_str().to_string()))
    };
    if names.iter().all(Option::is_some) {
        let map: terrane_provider::Map = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.unwrap_or_default().to_string(), text(i + 1)))
            .collect();
        Value::Map(map)
    } else {
        Value::List((1..=names.len()).map(text).collect())
    }
}

fn check_groups(a: &Args, re: &Regex) -> Result<(), String> {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    let named = names.iter().filter(|n| n.is_some()).count();
    if named > 0 && named < names.len() {
        return Err(a.arg_err(
            0,
            "invalid regular expression pattern: cannot mix both named and unnamed capture groups",
        ));
    }
    Ok(())
}

pub(super) fn regex(a: &Args, _: &FnContext) -> R {
    let re = compile(a, 0, &a.str(0)?)?;
    check_groups(a, &re)?;
    let s = a.str(1)?;
    let caps = re
        .captures(&s)
        .ok_or_else(|| a.fail("pattern did not match any part of the given string"))?;
    Ok(match_value(&re, &caps))
}

pub(super) fn regexall(a: &Args, _: &FnContext) -> R {
    let re = compile(a, 0, &a.str(0)?)?;
    check_groups(a, &re)?;
    let s = a.str(1)?;
    Ok(Value::List(
        re.captures_iter(&s).map(|c| match_value(&re, &c)).collect(),
    ))
}

pub(super) fn replace(a: &Args, _: &FnContext) -> R {
    let (s, sub, rep) = (a.str(0)?, a.str(1)?, a.str(2)?);
    if sub.len() > 1 && sub.starts_with('/') && sub.ends_with('/') {
        let re = compile(a, 1, &sub[1..sub.len() - 1])?;
        return string(re.replace_all(&s, rep.as_str()));
    }
    if sub.is_empty() {
        // Go's strings.Replace with an empty needle inserts between every character.
        let mut out = rep.clone();
        for c in s.chars() {
            out.push(c);
            out.push_str(&rep);
        }
        return string(out);
    }
    string(s.replace(&sub, &rep))
}

pub(super) fn split(a: &Args, _: &FnContext) -> R {
    let (sep, s) = (a.str(0)?, a.str(1)?);
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(sep.as_str()).map(Value::string).collect()
    };
    Ok(Value::List(parts))
}

pub(super) fn strrev(a: &Args, _: &FnContext) -> R {
    string(a.str(0)?.chars().rev().collect::<String>())
}

pub(super) fn substr(a: &Args, _: &FnContext) -> R {
    let chars: Vec<char> = a.str(0)?.chars().collect();
    let (offset, length) = (a.int(1)?, a.int(2)?);
    let n = chars.len() as i64;
    let start = if offset < 0 {
        (offset + n).max(0)
    } else {
        offset.min(n)
    } as usize;
    let end = if length < 0 {
        chars.len()
    } else {
        (start + length as usize).min(chars.len())
    };
    string(chars[start..end].iter().collect::<String>())
}

pub(super) fn trim(a: &Args, _: &FnContext) -> R {
    let cut: Vec<char> = a.str(1)?.chars().collect();
    string(a.str(0)?.trim_matches(|c| cut.contains(&c)))
}

pub(super) fn trimprefix(a: &Args, _: &FnContext) -> R {
    let (s, p) = (a.str(0)?, a.str(1)?);
    string(s.strip_prefix(p.as_str()).unwrap_or(&s))
}

pub(super) fn trimsuffix(a: &Args, _: &FnContext) -> R {
    let (s, p) = (a.str(0)?, a.str(1)?);
    string(s.strip_suffix(p.as_str()).unwrap_or(&s))
}

pub(super) fn trimspace(a: &Args, _: &FnContext) -> R {
    string(a.str(0)?.trim())
}

/// Go's `url.QueryEscape`: unreserved bytes stay, space becomes '+', the rest %XX.
pub(super) fn urlencode(a: &Args, _: &FnContext) -> R {
    let mut out = String::new();
    for b in a.str(0)?.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    string(out)
}
