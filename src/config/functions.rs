//! Terraform's built-in function library, so configurations written for Terraform evaluate the
//! same here. Pure: the only I/O goes through the `read_file` callback of [`FnContext`], and the
//! only clock is the `now` it carries. `try`, `can` and `templatefile` need lazy evaluation or
//! template parsing and are done by the expression evaluator; they are only named here.

use std::path::Path;
use std::sync::OnceLock;
use terrane_provider::{format_number, Value};

mod collections;
mod encoding;
mod files;
mod format;
mod net;
mod numeric;
mod strings;
#[cfg(test)]
mod tests;

/// What a function call may observe of the world.
pub struct FnContext<'a> {
    /// Directory of the module being evaluated (for `file`, relative paths).
    pub base_dir: &'a Path,
    /// Reads a file (the config source supplies it: a directory or a Git tree).
    pub read_file: &'a dyn Fn(&Path) -> Result<String, String>,
    /// Wall-clock time for `timestamp()`; None during plan -> timestamp() is Unknown.
    pub now: Option<time::OffsetDateTime>,
}

/// How a function treats unknown arguments before its body runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unk {
    /// Any unknown anywhere inside any argument makes the result unknown.
    Deep,
    /// Only a wholly unknown argument makes the result unknown; the body copes with unknown
    /// elements (e.g. `length` of a list whose elements are unknown is still known).
    Shallow,
    /// The body handles unknowns itself (e.g. `coalesce` short-circuits).
    Custom,
}

type Imp = fn(&Args, &FnContext) -> Result<Value, String>;

struct Spec {
    name: &'static str,
    params: &'static [&'static str],
    optional: &'static [&'static str],
    variadic: Option<&'static str>,
    null_ok: bool,
    unknown: Unk,
    /// None for the functions the evaluator implements.
    imp: Option<Imp>,
}

const fn f(name: &'static str, params: &'static [&'static str], imp: Imp) -> Spec {
    Spec {
        name,
        params,
        optional: &[],
        variadic: None,
        null_ok: false,
        unknown: Unk::Deep,
        imp: Some(imp),
    }
}

const fn evaluator(name: &'static str) -> Spec {
    Spec {
        name,
        params: &[],
        optional: &[],
        variadic: None,
        null_ok: true,
        unknown: Unk::Custom,
        imp: None,
    }
}

impl Spec {
    const fn opt(mut self, optional: &'static [&'static str]) -> Spec {
        self.optional = optional;
        self
    }
    const fn var(mut self, name: &'static str) -> Spec {
        self.variadic = Some(name);
        self
    }
    const fn nulls(mut self) -> Spec {
        self.null_ok = true;
        self
    }
    const fn shallow(mut self) -> Spec {
        self.unknown = Unk::Shallow;
        self
    }
    const fn custom(mut self) -> Spec {
        self.unknown = Unk::Custom;
        self
    }
}

use collections as c;
use encoding as e;
use files as fs;
use numeric as n;
use strings as s;

static SPECS: &[Spec] = &[
    evaluator("can"),
    evaluator("try"),
    evaluator("templatefile"),
    // Collections.
    f("alltrue", &["list"], c::alltrue).custom(),
    f("anytrue", &["list"], c::anytrue).custom(),
    f("chunklist", &["list", "size"], c::chunklist).shallow(),
    f("coalesce", &[], c::coalesce).var("vals").nulls().custom(),
    f("coalescelist", &[], c::coalescelist)
        .var("vals")
        .nulls()
        .shallow(),
    f("compact", &["list"], c::compact),
    f("concat", &[], c::concat).var("seqs").shallow(),
    f("contains", &["list", "value"], c::contains),
    f("distinct", &["list"], c::distinct),
    f("element", &["list", "index"], c::element).shallow(),
    f("flatten", &["list"], c::flatten),
    f("index", &["list", "value"], c::index),
    f("keys", &["inputMap"], c::keys).shallow(),
    f("length", &["value"], c::length).shallow(),
    f("lookup", &["inputMap", "key"], c::lookup)
        .opt(&["default"])
        .nulls()
        .custom(),
    f("matchkeys", &["values", "keys", "searchset"], c::matchkeys),
    f("merge", &[], c::merge).var("maps").nulls().shallow(),
    f("one", &["list"], c::one).shallow(),
    f("reverse", &["list"], c::reverse).shallow(),
    f("setintersection", &["first_set"], c::setintersection).var("other_sets"),
    f("setproduct", &[], c::setproduct).var("sets"),
    f("setsubtract", &["a", "b"], c::setsubtract),
    f("setunion", &["first_set"], c::setunion).var("other_sets"),
    f("slice", &["list", "start_index", "end_index"], c::slice).shallow(),
    f("sort", &["list"], c::sort),
    f("sum", &["list"], c::sum),
    f("transpose", &["values"], c::transpose),
    f("values", &["mapping"], c::values).shallow(),
    f("zipmap", &["keys", "values"], c::zipmap).shallow(),
    // Type conversion.
    f("tobool", &["v"], c::tobool).nulls(),
    f("tolist", &["v"], c::tolist).nulls().shallow(),
    f("tomap", &["v"], c::tomap).nulls().shallow(),
    f("tonumber", &["v"], c::tonumber).nulls(),
    f("toset", &["v"], c::toset).nulls(),
    f("tostring", &["v"], c::tostring).nulls(),
    f("sensitive", &["value"], c::identity).nulls().custom(),
    f("nonsensitive", &["value"], c::identity).nulls().custom(),
    // Numbers.
    f("abs", &["num"], n::abs),
    f("ceil", &["num"], n::ceil),
    f("floor", &["num"], n::floor),
    f("log", &["num", "base"], n::log),
    f("max", &[], n::max).var("numbers"),
    f("min", &[], n::min).var("numbers"),
    f("parseint", &["number", "base"], n::parseint),
    f("pow", &["num", "power"], n::pow),
    f("range", &["params"], n::range).opt(&["limit", "step"]),
    f("signum", &["num"], n::signum),
    // Strings.
    f("chomp", &["str"], s::chomp),
    f("endswith", &["str", "suffix"], s::endswith),
    f("format", &["format"], s::format).var("args").nulls(),
    f("formatlist", &["format"], s::formatlist)
        .var("args")
        .nulls(),
    f("indent", &["spaces", "str"], s::indent),
    f("join", &["separator"], s::join).var("lists"),
    f("lower", &["str"], s::lower),
    f("regex", &["pattern", "string"], s::regex),
    f("regexall", &["pattern", "string"], s::regexall),
    f("replace", &["str", "substr", "replace"], s::replace),
    f("split", &["separator", "str"], s::split),
    f("startswith", &["str", "prefix"], s::startswith),
    f("strcontains", &["str", "substr"], s::strcontains),
    f("strrev", &["str"], s::strrev),
    f("substr", &["str", "offset", "length"], s::substr),
    f("title", &["str"], s::title),
    f("trim", &["str", "cutset"], s::trim),
    f("trimprefix", &["str", "prefix"], s::trimprefix),
    f("trimspace", &["str"], s::trimspace),
    f("trimsuffix", &["str", "suffix"], s::trimsuffix),
    f("upper", &["str"], s::upper),
    f("urlencode", &["str"], s::urlencode),
    // Encoding and hashing.
    f("base64decode", &["str"], e::base64decode),
    f("base64encode", &["str"], e::base64encode),
    f("base64sha256", &["str"], e::base64sha256),
    f("base64sha512", &["str"], e::base64sha512),
    f("jsondecode", &["str"], e::jsondecode),
    f("jsonencode", &["val"], e::jsonencode).nulls(),
    f("md5", &["str"], e::md5),
    f("sha1", &["str"], e::sha1),
    f("sha256", &["str"], e::sha256),
    f("sha512", &["str"], e::sha512),
    f("yamldecode", &["src"], e::yamldecode),
    f("yamlencode", &["value"], e::yamlencode).nulls(),
    // Networking.
    f("cidrhost", &["prefix", "hostnum"], net::cidrhost),
    f("cidrnetmask", &["prefix"], net::cidrnetmask),
    f(
        "cidrsubnet",
        &["prefix", "newbits", "netnum"],
        net::cidrsubnet,
    ),
    f("cidrsubnets", &["prefix"], net::cidrsubnets).var("newbits"),
    // Files, paths and time.
    f("basename", &["path"], fs::basename),
    f("dirname", &["path"], fs::dirname),
    f("file", &["path"], fs::file),
    f("filebase64", &["path"], fs::filebase64),
    f("filebase64sha256", &["path"], fs::filebase64sha256),
    f("filebase64sha512", &["path"], fs::filebase64sha512),
    f("fileexists", &["path"], fs::fileexists),
    f("filemd5", &["path"], fs::filemd5),
    f("filesha1", &["path"], fs::filesha1),
    f("filesha256", &["path"], fs::filesha256),
    f("filesha512", &["path"], fs::filesha512),
    f("formatdate", &["format", "time"], fs::formatdate),
    f("timestamp", &[], fs::timestamp).custom(),
];

fn spec(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.name == name)
}

/// Calls the built-in function `name`. `Err` carries a diagnostic message in Terraform's words.
pub fn call(name: &str, args: Vec<Value>, ctx: &FnContext) -> Result<Value, String> {
    let Some(spec) = spec(name) else {
        return Err(format!(
            "Call to unknown function: There is no function named \"{name}\"."
        ));
    };
    let Some(imp) = spec.imp else {
        return Err(format!(
            "Function \"{name}\" is evaluated by the expression evaluator, not the function library."
        ));
    };
    let min = spec.params.len();
    if args.len() < min {
        return Err(format!(
            "Not enough function arguments: Function \"{name}\" expects {min} argument(s). Missing value for \"{}\".",
            spec.params[args.len()]
        ));
    }
    if spec.variadic.is_none() {
        let max = min + spec.optional.len();
        if args.len() > max {
            return Err(format!(
                "Too many function arguments: Function \"{name}\" expects only {max} argument(s)."
            ));
        }
    }
    let unknown = match spec.unknown {
        Unk::Deep => args.iter().any(|a| !a.is_wholly_known()),
        Unk::Shallow => args.iter().any(Value::is_unknown),
        Unk::Custom => false,
    };
    if unknown {
        return Ok(Value::Unknown);
    }
    let args = Args { spec, vals: args };
    if !spec.null_ok {
        if let Some(i) = args.vals.iter().position(Value::is_null) {
            return Err(args.arg_err(i, "argument must not be null"));
        }
    }
    imp(&args, ctx)
}

/// True if `name` is a built-in function (including those the evaluator implements).
pub fn exists(name: &str) -> bool {
    spec(name).is_some()
}

/// All built-in function names, sorted, for "did you mean" suggestions.
pub fn names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut v: Vec<&'static str> = SPECS.iter().map(|s| s.name).collect();
        v.sort_unstable();
        v
    })
}

/// The arguments of one call, with typed accessors that report errors against the parameter.
pub(crate) struct Args {
    spec: &'static Spec,
    vals: Vec<Value>,
}

impl Args {
    fn len(&self) -> usize {
        self.vals.len()
    }

    fn get(&self, i: usize) -> &Value {
        &self.vals[i]
    }

    /// Arguments from `from` on (the variadic tail).
    fn rest(&self, from: usize) -> &[Value] {
        self.vals.get(from..).unwrap_or(&[])
    }

    fn param(&self, i: usize) -> &'static str {
        let s = self.spec;
        if i < s.params.len() {
            s.params[i]
        } else if i - s.params.len() < s.optional.len() {
            s.optional[i - s.params.len()]
        } else {
            s.variadic.unwrap_or("args")
        }
    }

    /// An error about one argument ("Invalid value for "list" parameter: ...").
    fn arg_err(&self, i: usize, msg: &str) -> String {
        format!(
            "Invalid function argument: Invalid value for \"{}\" parameter: {}.",
            self.param(i),
            msg.trim_end_matches('.')
        )
    }

    /// An error about the call as a whole.
    fn fail(&self, msg: &str) -> String {
        fail(self.spec.name, msg)
    }

    fn str(&self, i: usize) -> Result<String, String> {
        to_str(self.get(i)).ok_or_else(|| self.arg_err(i, "string required"))
    }

    fn num(&self, i: usize) -> Result<f64, String> {
        let v = self.get(i);
        to_num(v).ok_or_else(|| match v {
            Value::String(s) => self.arg_err(
                i,
                &format!("cannot convert {s:?} to number; given string must be a decimal representation of a number"),
            ),
            _ => self.arg_err(i, "number required"),
        })
    }

    fn int(&self, i: usize) -> Result<i64, String> {
        let n = self.num(i)?;
        if n.fract() != 0.0 || !n.is_finite() || n.abs() > 9.0e15 {
            return Err(self.arg_err(i, "value must be a whole number"));
        }
        Ok(n as i64)
    }

    fn list(&self, i: usize) -> Result<&[Value], String> {
        match self.get(i) {
            Value::List(l) => Ok(l),
            other => Err(self.arg_err(i, &format!("list required, got {}", type_desc(other)))),
        }
    }

    fn map(&self, i: usize) -> Result<&terrane_provider::Map, String> {
        match self.get(i) {
            Value::Map(m) => Ok(m),
            other => Err(self.arg_err(i, &format!("map required, got {}", type_desc(other)))),
        }
    }

    /// A list argument whose elements must all be strings (numbers and bools convert).
    fn strings(&self, i: usize) -> Result<Vec<String>, String> {
        self.list(i)?
            .iter()
            .enumerate()
            .map(|(j, v)| match v {
                Value::Null => Err(self.arg_err(i, &format!("element {j} is null"))),
                v => to_str(v).ok_or_else(|| {
                    self.arg_err(
                        i,
                        &format!(
                            "list of string required, but element {j} is {}",
                            type_desc(v)
                        ),
                    )
                }),
            })
            .collect()
    }
}

fn fail(name: &str, msg: &str) -> String {
    format!(
        "Error in function call: Call to function \"{name}\" failed: {}.",
        msg.trim_end_matches('.')
    )
}

/// Terraform's description of a value's type in messages.
fn type_desc(v: &Value) -> &'static str {
    match v {
        Value::List(_) => "tuple",
        Value::Map(_) => "object",
        Value::Unknown => "dynamic",
        other => other.type_name(),
    }
}

/// Converts a primitive to a string as Terraform's automatic conversion does.
fn to_str(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(format_number(*n)),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Converts a number or a decimal string to a number.
fn to_num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::String(s) => parse_decimal(s),
        _ => None,
    }
}

/// Parses a string the way cty converts strings to numbers: decimal notation only.
fn parse_decimal(s: &str) -> Option<f64> {
    let ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'));
    if !ok {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn to_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// Unifies primitive element types the way Terraform does for collections: if the elements
/// mix strings with numbers or bools, everything becomes a string; numbers mixed with bools (or
/// primitives mixed with collections) cannot be unified.
fn unify(items: &[Value]) -> Result<Vec<Value>, String> {
    let mut has = [false; 5]; // string, number, bool, list, map
    for v in items {
        match v {
            Value::String(_) => has[0] = true,
            Value::Number(_) => has[1] = true,
            Value::Bool(_) => has[2] = true,
            Value::List(_) => has[3] = true,
            Value::Map(_) => has[4] = true,
            Value::Null | Value::Unknown => {}
        }
    }
    let kinds = has.iter().filter(|h| **h).count();
    if kinds <= 1 {
        return Ok(items.to_vec());
    }
    if has[3] || has[4] {
        if has[0] || has[1] || has[2] {
            return Err("all elements must have the same type".into());
        }
        // Lists mixed with maps: Terraform keeps these as a tuple; so do we.
        return Ok(items.to_vec());
    }
    if !has[0] {
        return Err("all elements must have the same type (cannot unify number and bool)".into());
    }
    Ok(items
        .iter()
        .map(|v| match v {
            Value::Null | Value::Unknown => v.clone(),
            v => Value::String(to_str(v).unwrap_or_default()),
        })
        .collect())
}

/// Builds a set: unified, de-duplicated, and ordered as Terraform iterates sets (strings
/// lexically, numbers numerically, bools false first; other elements in first-seen order).
fn make_set(items: Vec<Value>) -> Result<Value, String> {
    let items = unify(&items)?;
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for v in items {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    if out.iter().all(|v| matches!(v, Value::String(_))) {
        out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    } else if out.iter().all(|v| matches!(v, Value::Number(_))) {
        out.sort_by(|a, b| {
            let (Value::Number(x), Value::Number(y)) = (a, b) else {
                return std::cmp::Ordering::Equal;
            };
            x.total_cmp(y)
        });
    } else if out.iter().all(|v| matches!(v, Value::Bool(_))) {
        out.sort_by_key(|v| matches!(v, Value::Bool(true)));
    }
    Ok(Value::List(out))
}

/// Equality after Terraform's conversion of the needle to the haystack's element type.
fn loose_eq(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (a, b) {
        (Value::String(_), Value::Number(_) | Value::Bool(_))
        | (Value::Number(_) | Value::Bool(_), Value::String(_)) => to_str(a) == to_str(b),
        _ => false,
    }
}
