//! The printf-style engine behind `format` and `formatlist`, following cty's verbs: %v %#v %t
//! %b %d %o %x %X %e %E %f %g %G %s %q %%, with flags (+ - # space 0), width, precision and
//! explicit argument indexes (%[2]s).

use super::encoding::json_encode;
use super::{to_bool, to_num, to_str, type_desc};
use terrane_provider::{format_number, Value};

/// Widths beyond this are certainly mistakes; refusing them keeps memory bounded.
const MAX_WIDTH: usize = 1 << 16;

#[derive(Default)]
struct Verb {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Formats `args` per `spec`. Errors are plain messages for the caller to wrap.
pub(super) fn format_values(spec: &str, args: &[Value]) -> Result<String, String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut next_arg = 0usize;
    let mut used = vec![false; args.len()];
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        if chars.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let mut v = Verb::default();
        while let Some(&f) = chars.get(i) {
            match f {
                '+' => v.plus = true,
                '-' => v.minus = true,
                '#' => v.sharp = true,
                ' ' => v.space = true,
                '0' => v.zero = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'[') {
            let close = chars[i..]
                .iter()
                .position(|c| *c == ']')
                .ok_or_else(|| format!("unterminated argument index at {start}"))?;
            let idx: String = chars[i + 1..i + close].iter().collect();
            let idx: usize = idx
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("invalid argument index {idx:?} at {start}"))?;
            next_arg = idx - 1;
            i += close + 1;
        }
        let digits = |i: &mut usize| -> Option<usize> {
            let s: String = chars[*i..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            *i += s.len();
            s.parse().ok()
        };
        v.width = digits(&mut i);
        if chars.get(i) == Some(&'.') {
            i += 1;
            v.prec = Some(digits(&mut i).unwrap_or(0));
        }
        if v.width.max(v.prec).is_some_and(|w| w > MAX_WIDTH) {
            return Err(format!(
                "width or precision at {start} is larger than {MAX_WIDTH}"
            ));
        }
        let Some(&verb) = chars.get(i) else {
            return Err(format!("unterminated format verb at {start}"));
        };
        i += 1;
        let Some(arg) = args.get(next_arg) else {
            return Err(format!(
                "not enough arguments for \"%{verb}\" at {start}: need index {} but have {} total",
                next_arg + 1,
                args.len()
            ));
        };
        used[next_arg] = true;
        next_arg += 1;
        let body = format_one(verb, &v, arg)
            .map_err(|e| format!("unsupported value for \"%{verb}\" at {start}: {e}"))?;
        out.push_str(&pad(&v, body, is_numeric_verb(verb)));
    }
    if let Some(n) = used.iter().position(|u| !u) {
        if used.iter().skip(n).all(|u| !u) {
            return Err(format!(
                "too many arguments; only {n} used by format string"
            ));
        }
    }
    Ok(out)
}

fn is_numeric_verb(v: char) -> bool {
    matches!(
        v,
        'b' | 'd' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G'
    )
}

fn pad(v: &Verb, body: String, numeric: bool) -> String {
    let Some(w) = v.width else { return body };
    let len = body.chars().count();
    if len >= w {
        return body;
    }
    let fill = w - len;
    if v.minus {
        format!("{body}{}", " ".repeat(fill))
    } else if v.zero && numeric {
        let (sign, rest) = match body.chars().next() {
            Some(c @ ('-' | '+' | ' ')) => (c.to_string(), body[1..].to_string()),
            _ => (String::new(), body),
        };
        format!("{sign}{}{rest}", "0".repeat(fill))
    } else {
        format!("{}{body}", " ".repeat(fill))
    }
}

fn format_one(verb: char, v: &Verb, arg: &Value) -> Result<String, String> {
    if arg.is_null() && verb != 'v' {
        return Err("null value cannot be formatted".into());
    }
    match verb {
        'v' => Ok(match arg {
            _ if v.sharp => json_encode(arg)?,
            Value::Null => "null".into(),
            Value::String(s) => s.clone(),
            Value::Number(_) => return format_num('g', v, to_num(arg).unwrap_or(0.0)),
            Value::Bool(b) => b.to_string(),
            Value::List(_) | Value::Map(_) => json_encode(arg)?,
            Value::Unknown => return Err("value is unknown".into()),
        }),
        't' => to_bool(arg)
            .map(|b| b.to_string())
            .ok_or_else(|| format!("bool required, got {}", type_desc(arg))),
        's' => {
            let s =
                to_str(arg).ok_or_else(|| format!("string required, got {}", type_desc(arg)))?;
            Ok(match v.prec {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            })
        }
        'q' => {
            let s =
                to_str(arg).ok_or_else(|| format!("string required, got {}", type_desc(arg)))?;
            json_encode(&Value::String(s))
        }
        c if is_numeric_verb(c) => {
            let n =
                to_num(arg).ok_or_else(|| format!("number required, got {}", type_desc(arg)))?;
            format_num(c, v, n)
        }
        other => Err(format!("unrecognized format character {other:?}")),
    }
}

fn sign(v: &Verb, negative: bool) -> &'static str {
    if negative {
        "-"
    } else if v.plus {
        "+"
    } else if v.space {
        " "
    } else {
        ""
    }
}

fn format_num(verb: char, v: &Verb, n: f64) -> Result<String, String> {
    let neg = n < 0.0 || (n == 0.0 && n.is_sign_negative() && verb != 'd');
    let a = n.abs();
    let body = match verb {
        'b' | 'd' | 'o' | 'x' | 'X' => {
            if n.fract() != 0.0 || !n.is_finite() {
                return Err("value must be a whole number".into());
            }
            let i = a as u128;
            let digits = match verb {
                'b' => format!("{i:b}"),
                'd' => format!("{i}"),
                'o' => format!("{i:o}"),
                'x' => format!("{i:x}"),
                _ => format!("{i:X}"),
            };
            let prefix = match (v.sharp, verb) {
                (true, 'o') => "0",
                (true, 'x') => "0x",
                (true, 'X') => "0X",
                _ => "",
            };
            return Ok(format!("{}{prefix}{digits}", sign(v, n < 0.0)));
        }
        'f' | 'F' => format!("{:.*}", v.prec.unwrap_or(6), a),
        'e' | 'E' => {
            let s = exp_form(a, Some(v.prec.unwrap_or(6)));
            if verb == 'E' {
                s.to_uppercase()
            } else {
                s
            }
        }
        _ => {
            let s = general(a, v.prec);
            if verb == 'G' {
                s.to_uppercase()
            } else {
                s
            }
        }
    };
    Ok(format!("{}{body}", sign(v, neg)))
}

/// Go-style exponent form: mantissa, 'e', sign, at least two exponent digits.
fn exp_form(a: f64, prec: Option<usize>) -> String {
    let s = match prec {
        Some(p) => format!("{a:.p$e}"),
        None => format!("{a:e}"),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    format!("{mant}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

/// %g: shortest representation, exponent form for large or tiny exponents.
fn general(a: f64, prec: Option<usize>) -> String {
    if a == 0.0 {
        return "0".into();
    }
    let (digits_prec, eprec) = match prec {
        Some(p) => (Some(p.max(1) - 1), p.max(1) as i32),
        // %v of a number prints integers plainly; shortest %g switches at exponent 21.
        None => (None, 21),
    };
    let e = exp_form(a, digits_prec);
    let exp: i32 = e
        .split_once('e')
        .and_then(|(_, x)| x.parse().ok())
        .unwrap_or(0);
    if exp < -4 || exp >= eprec {
        let (mant, rest) = e.split_once('e').unwrap_or((&e, ""));
        let mant = if mant.contains('.') {
            mant.trim_end_matches('0').trim_end_matches('.')
        } else {
            mant
        };
        return format!("{mant}e{rest}");
    }
    match prec {
        None => format_number(a),
        Some(p) => {
            let decimals = (p as i32 - 1 - exp).max(0) as usize;
            let s = format!("{a:.decimals$}");
            if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                s
            }
        }
    }
}
