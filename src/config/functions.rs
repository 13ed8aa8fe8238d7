//! TEMPORARY shim until the functions branch lands.
use std::path::Path;
use terrane_provider::Value;
pub struct FnContext<'a> {
    pub base_dir: &'a Path,
    pub read_file: &'a dyn Fn(&Path) -> Result<String, String>,
    pub now: Option<time::OffsetDateTime>,
}
pub fn call(name: &str, args: Vec<Value>, ctx: &FnContext) -> Result<Value, String> {
    match name {
        "upper" => Ok(Value::String(args[0].as_str().unwrap_or("").to_uppercase())),
        "length" => Ok(Value::Number(match &args[0] {
            Value::List(l) => l.len() as f64,
            Value::Map(m) => m.len() as f64,
            Value::String(s) => s.chars().count() as f64,
            _ => 0.0,
        })),
        "file" => {
            (ctx.read_file)(&ctx.base_dir.join(args[0].as_str().unwrap_or(""))).map(Value::String)
        }
        "toset" => Ok(args[0].clone()),
        "jsonencode" => Ok(Value::String(args[0].to_json().to_string())),
        _ => Err("nope".into()),
    }
}
pub fn exists(name: &str) -> bool {
    names().contains(&name)
}
pub fn names() -> &'static [&'static str] {
    &[
        "upper",
        "length",
        "file",
        "toset",
        "jsonencode",
        "try",
        "can",
        "templatefile",
    ]
}
