//! File, path and time functions. Files are read only through the context's callback, so the
//! same configuration evaluates identically from a directory or a Git tree.

use super::encoding::{b64_digest, hex_digest};
use super::{Args, FnContext};
use base64::Engine;
use std::path::PathBuf;
use terrane_provider::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

type R = Result<Value, String>;

fn resolve(a: &Args, ctx: &FnContext) -> Result<(String, PathBuf), String> {
    let p = a.str(0)?;
    let path = PathBuf::from(&p);
    let full = if path.is_absolute() {
        path
    } else {
        ctx.base_dir.join(path)
    };
    Ok((p, full))
}

fn read(a: &Args, ctx: &FnContext) -> Result<String, String> {
    let (p, full) = resolve(a, ctx)?;
    (ctx.read_file)(&full).map_err(|e| {
        a.arg_err(
            0,
            &format!(
                "no file exists at {p:?} ({e}); this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource"
            ),
        )
    })
}

pub(super) fn file(a: &Args, ctx: &FnContext) -> R {
    read(a, ctx).map(Value::String)
}

pub(super) fn filebase64(a: &Args, ctx: &FnContext) -> R {
    let s = read(a, ctx)?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
    ))
}

pub(super) fn fileexists(a: &Args, ctx: &FnContext) -> R {
    let (_, full) = resolve(a, ctx)?;
    Ok(Value::Bool((ctx.read_file)(&full).is_ok()))
}

pub(super) fn filemd5(a: &Args, ctx: &FnContext) -> R {
    Ok(Value::String(hex_digest::<md5::Md5>(
        read(a, ctx)?.as_bytes(),
    )))
}

pub(super) fn filesha1(a: &Args, ctx: &FnContext) -> R {
    Ok(Value::String(hex_digest::<sha1::Sha1>(
        read(a, ctx)?.as_bytes(),
    )))
}

pub(super) fn filesha256(a: &Args, ctx: &FnContext) -> R {
    Ok(Value::String(hex_digest::<sha2::Sha256>(
        read(a, ctx)?.as_bytes(),
    )))
}

pub(super) fn filesha512(a: &Args, ctx: &FnContext) -> R {
    Ok(Value::String(hex_digest::<sha2::Sha512>(
        read(a, ctx)?.as_bytes(),
    )))
}

pub(super) fn filebase64sha256(a: &Args, ctx: &FnContext) -> R {
    Ok(Value::String(b64_digest::<sha2::Sha256>(
        read(a, ctx)?.as_bytes(),
    )))
}

pub(super) fn filebase64sha512(a: &Args, ctx: &FnContext) -> R {
    Ok(Value::String(b64_digest::<sha2::Sha512>(
        read(a, ctx)?.as_bytes(),
    )))
}

/// Go's `filepath.Base` on slash-separated paths.
pub(super) fn basename(a: &Args, _: &FnContext) -> R {
    let p = a.str(0)?;
    if p.is_empty() {
        return Ok(Value::string("."));
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(Value::string("/"));
    }
    Ok(Value::string(trimmed.rsplit('/').next().unwrap_or(trimmed)))
}

/// Go's `filepath.Dir`: everything before the last slash, cleaned.
pub(super) fn dirname(a: &Args, _: &FnContext) -> R {
    let p = a.str(0)?;
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    Ok(Value::String(clean(dir)))
}

/// Go's `path.Clean`.
fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

pub(super) fn timestamp(_: &Args, ctx: &FnContext) -> R {
    match ctx.now {
        None => Ok(Value::Unknown),
        Some(now) => {
            let utc = now.to_offset(time::UtcOffset::UTC);
            let fmt =
                time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
            utc.format(&fmt)
                .map(Value::String)
                .map_err(|e| format!("timestamp: {e}"))
        }
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

pub(super) fn formatdate(a: &Args, _: &FnContext) -> R {
    let spec = a.str(0)?;
    let ts = a.str(1)?;
    let t = OffsetDateTime::parse(&ts, &Rfc3339)
        .map_err(|e| a.arg_err(1, &format!("not a valid RFC3339 timestamp: {e}")))?;
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // Quoted literal; '' inside or alone is a literal quote.
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return Err(a.arg_err(0, "unterminated literal '")),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        out.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(&ch) => {
                        out.push(ch);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|x| **x == c).count();
        let token: String = chars[i..i + run].iter().collect();
        i += run;
        let off = t.offset();
        let (oh, om) = (off.whole_hours(), off.minutes_past_hour());
        let osign = if off.is_negative() { '-' } else { '+' };
        let hour12 = match t.hour() % 12 {
            0 => 12,
            h => h,
        };
        let piece = match token.as_str() {
            "YYYY" => format!("{:04}", t.year()),
            "YY" => format!("{:02}", t.year().rem_euclid(100)),
            "MMMM" => MONTHS[t.month() as usize - 1].to_string(),
            "MMM" => MONTHS[t.month() as usize - 1][..3].to_string(),
            "MM" => format!("{:02}", t.month() as u8),
            "M" => (t.month() as u8).to_string(),
            "DD" => format!("{:02}", t.day()),
            "D" => t.day().to_string(),
            "EEEE" => DAYS[t.weekday().number_days_from_monday() as usize].to_string(),
            "EEE" => DAYS[t.weekday().number_days_from_monday() as usize][..3].to_string(),
            "hh" => format!("{:02}", t.hour()),
            "h" => t.hour().to_string(),
            "HH" => format!("{hour12:02}"),
            "H" => hour12.to_string(),
            "AA" => if t.hour() < 12 { "AM" } else { "PM" }.to_string(),
            "aa" => if t.hour() < 12 { "am" } else { "pm" }.to_string(),
            "mm" => format!("{:02}", t.minute()),
            "m" => t.minute().to_string(),
            "ss" => format!("{:02}", t.second()),
            "s" => t.second().to_string(),
            "ZZZZZ" => format!("{osign}{:02}:{:02}", oh.abs(), om.abs()),
            "ZZZZ" => format!("{osign}{:02}{:02}", oh.abs(), om.abs()),
            "ZZZ" if off.is_utc() => "UTC".to_string(),
            "ZZZ" => format!("{osign}{:02}{:02}", oh.abs(), om.abs()),
            "Z" if off.is_utc() => "Z".to_string(),
            "Z" => format!("{osign}{:02}:{:02}", oh.abs(), om.abs()),
            other => {
                return Err(a.arg_err(0, &format!("invalid date format verb {other:?}")));
            }
        };
        out.push_str(&piece);
    }
    Ok(Value::String(out))
}
