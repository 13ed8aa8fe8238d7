//! Numeric functions.

use super::{type_desc, Args, FnContext};
use terrane_provider::Value;

type R = Result<Value, String>;

pub(super) fn abs(a: &Args, _: &FnContext) -> R {
    Ok(Value::Number(a.num(0)?.abs()))
}

pub(super) fn ceil(a: &Args, _: &FnContext) -> R {
    Ok(Value::Number(a.num(0)?.ceil()))
}

pub(super) fn floor(a: &Args, _: &FnContext) -> R {
    Ok(Value::Number(a.num(0)?.floor()))
}

pub(super) fn log(a: &Args, _: &FnContext) -> R {
    Ok(Value::Number(a.num(0)?.ln() / a.num(1)?.ln()))
}

pub(super) fn pow(a: &Args, _: &FnContext) -> R {
    Ok(Value::Number(a.num(0)?.powf(a.num(1)?)))
}

pub(super) fn signum(a: &Args, _: &FnContext) -> R {
    let n = a.num(0)?;
    Ok(Value::Number(if n > 0.0 {
        1.0
    } else if n < 0.0 {
        -1.0
    } else {
        0.0
    }))
}

fn numbers(a: &Args) -> Result<Vec<f64>, String> {
    if a.len() == 0 {
        return Err(a.fail("must pass at least one number"));
    }
    (0..a.len()).map(|i| a.num(i)).collect()
}

pub(super) fn max(a: &Args, _: &FnContext) -> R {
    Ok(Value::Number(
        numbers(a)?.into_iter().fold(f64::MIN, f64::max),
    ))
}

pub(super) fn min(a: &Args, _: &FnContext) -> R {
    Ok(Value::Number(
        numbers(a)?.into_iter().fold(f64::MAX, f64::min),
    ))
}

pub(super) fn parseint(a: &Args, _: &FnContext) -> R {
    let base = a.int(1)?;
    if !(2..=62).contains(&base) {
        return Err(a.arg_err(1, "base must be a whole number between 2 and 62 inclusive"));
    }
    let s = match a.get(0) {
        Value::String(s) => s.clone(),
        other => return Err(a.arg_err(0, &format!("string required, got {}", type_desc(other)))),
    };
    let bad = || a.arg_err(0, &format!("cannot parse {s:?} as a base {base} integer"));
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let mut n: f64 = 0.0;
    for ch in digits.chars() {
        let d = match ch {
            '0'..='9' => ch as i64 - '0' as i64,
            'a'..='z' => ch as i64 - 'a' as i64 + 10,
            'A'..='Z' if base <= 36 => ch as i64 - 'A' as i64 + 10,
            'A'..='Z' => ch as i64 - 'A' as i64 + 36,
            _ => return Err(bad()),
        };
        if d >= base {
            return Err(bad());
        }
        n = n * base as f64 + d as f64;
    }
    Ok(Value::Number(if neg { -n } else { n }))
}

pub(super) fn range(a: &Args, _: &FnContext) -> R {
    let (start, limit) = match a.len() {
        1 => (0.0, a.num(0)?),
        _ => (a.num(0)?, a.num(1)?),
    };
    let step = if a.len() == 3 {
        a.num(2)?
    } else if limit >= start {
        1.0
    } else {
        -1.0
    };
    if step == 0.0 {
        return Err(a.arg_err(2, "step must not be zero"));
    }
    let mut out = Vec::new();
    let mut i = 0.0;
    loop {
        let v = start + step * i;
        let more = if step > 0.0 { v < limit } else { v > limit };
        if !more {
            break;
        }
        if out.len() == 1024 {
            return Err(a.fail("more than 1024 values were generated; either decrease the difference between start and limit or use a smaller step"));
        }
        out.push(Value::Number(v));
        i += 1.0;
    }
    Ok(Value::List(out))
}
