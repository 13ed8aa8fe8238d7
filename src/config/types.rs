//! Terraform type constraints (`list(string)`, `object({a = optional(number, 1)})`, ...) for
//! variables: parsed from the `type` expression and used to convert input values the way
//! Terraform does (numbers to strings, optional attributes filled in, extra attributes dropped).

use hcl_edit::expr::{Expression, ObjectKey};
use std::collections::BTreeMap;
use terrane_provider::{Map, Value};

/// A type constraint.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    /// Attributes with their type, whether optional, and the optional default.
    Object(BTreeMap<String, (Type, bool, Option<Value>)>),
}

impl Type {
    /// Parses a type expression as written in a `variable` block.
    pub fn parse(expr: &Expression) -> Result<Type, String> {
        match expr {
            Expression::Variable(v) => match v.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "any" => Ok(Type::Any),
                "list" => Ok(Type::List(Box::new(Type::Any))),
                "map" => Ok(Type::Map(Box::new(Type::Any))),
                "set" => Ok(Type::Set(Box::new(Type::Any))),
                other => Err(format!(
                    "unknown type {other:?}; use string, number, bool, any, list(T), set(T), map(T), object({{...}}) or tuple([...])"
                )),
            },
            Expression::FuncCall(f) => {
                let name = f.name.name.as_str();
                let arg = |i: usize| {
                    f.args
                        .get(i)
                        .ok_or_else(|| format!("{name}(...) needs an element type"))
                };
                match name {
                    "list" => Ok(Type::List(Box::new(Type::parse(arg(0)?)?))),
                    "set" => Ok(Type::Set(Box::new(Type::parse(arg(0)?)?))),
                    "map" => Ok(Type::Map(Box::new(Type::parse(arg(0)?)?))),
                    "tuple" => match arg(0)? {
                        Expression::Array(a) => Ok(Type::Tuple(
                            a.iter().map(Type::parse).collect::<Result<_, _>>()?,
                        )),
                        _ => Err("tuple(...) takes a list of types".into()),
                    },
                    "object" => match arg(0)? {
                        Expression::Object(o) => {
                            let mut attrs = BTreeMap::new();
                            for (k, v) in o.iter() {
                                let key = match k {
                                    ObjectKey::Ident(i) => i.as_str().to_string(),
                                    ObjectKey::Expression(Expression::String(s)) => {
                                        s.as_str().to_string()
                                    }
                                    _ => return Err("object attribute names must be plain names".into()),
                                };
                                let (ty, optional, default) = match v.expr() {
                                    Expression::FuncCall(f) if f.name.name.as_str() == "optional" => {
                                        let inner = f
                                            .args
                                            .get(0)
                                            .ok_or("optional(...) needs a type")?;
                                        let default = match f.args.get(1) {
                                            Some(d) => Some(literal_value(d).ok_or(
                                                "optional(...) defaults must be literal values",
                                            )?),
                                            None => None,
                                        };
                                        (Type::parse(inner)?, true, default)
                                    }
                                    other => (Type::parse(other)?, false, None),
                                };
                                attrs.insert(key, (ty, optional, default));
                            }
                            Ok(Type::Object(attrs))
                        }
                        _ => Err("object(...) takes an object of attribute types".into()),
                    },
                    other => Err(format!("unknown type constructor {other}(...)")),
                }
            }
            _ => Err("not a type; expected e.g. string, list(string) or object({...})".into()),
        }
    }

    /// Converts a value to this type, as Terraform does for variable values.
    pub fn convert(&self, v: Value) -> Result<Value, String> {
        if matches!(v, Value::Unknown | Value::Null) {
            return Ok(v);
        }
        match self {
            Type::Any => Ok(v),
            Type::String => match v {
                Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                    Ok(Value::String(v.to_string_lossy().unwrap_or_default()))
                }
                other => Err(format!("string required, got {}", other.type_name())),
            },
            Type::Number => match &v {
                Value::Number(_) => Ok(v),
                Value::String(s) => s
                    .trim()
                    .parse::<f64>()
                    .map(Value::Number)
                    .map_err(|_| format!("a number is required, got {s:?}")),
                other => Err(format!("number required, got {}", other.type_name())),
            },
            Type::Bool => match &v {
                Value::Bool(_) => Ok(v),
                Value::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
                other => Err(format!("bool required, got {}", other.type_name())),
            },
            Type::List(t) | Type::Set(t) => {
                let items = match v {
                    Value::List(l) => l,
                    other => return Err(format!("list required, got {}", other.type_name())),
                };
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    out.push(t.convert(item).map_err(|e| format!("element {i}: {e}"))?);
                }
                if matches!(self, Type::Set(_)) {
                    let mut dedup: Vec<Value> = Vec::new();
                    for x in out {
                        if !dedup.contains(&x) {
                            dedup.push(x);
                        }
                    }
                    out = dedup;
                }
                Ok(Value::List(out))
            }
            Type::Tuple(ts) => {
                let items = match v {
                    Value::List(l) => l,
                    other => return Err(format!("tuple required, got {}", other.type_name())),
                };
                if items.len() != ts.len() {
                    return Err(format!(
                        "tuple of {} elements required, got {}",
                        ts.len(),
                        items.len()
                    ));
                }
                items
                    .into_iter()
                    .zip(ts)
                    .enumerate()
                    .map(|(i, (x, t))| t.convert(x).map_err(|e| format!("element {i}: {e}")))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::List)
            }
            Type::Map(t) => {
                let m = match v {
                    Value::Map(m) => m,
                    other => return Err(format!("map required, got {}", other.type_name())),
                };
                let mut out = Map::new();
                for (k, x) in m {
                    let c = t.convert(x).map_err(|e| format!("element {k:?}: {e}"))?;
                    out.insert(k, c);
                }
                Ok(Value::Map(out))
            }
            Type::Object(attrs) => {
                let mut m = match v {
                    Value::Map(m) => m,
                    other => return Err(format!("object required, got {}", other.type_name())),
                };
                let mut out = Map::new();
                for (name, (t, optional, default)) in attrs {
                    match m.remove(name) {
                        Some(x) if !x.is_null() => {
                            out.insert(
                                name.clone(),
                                t.convert(x)
                                    .map_err(|e| format!("attribute {name:?}: {e}"))?,
                            );
                        }
                        _ if *optional => {
                            out.insert(name.clone(), default.clone().unwrap_or(Value::Null));
                        }
                        _ => return Err(format!("attribute {name:?} is required")),
                    }
                }
                Ok(Value::Map(out))
            }
        }
    }
}

/// Evaluates a literal (no references) expression, for `optional()` defaults.
fn literal_value(e: &Expression) -> Option<Value> {
    match e {
        Expression::Null(_) => Some(Value::Null),
        Expression::Bool(b) => Some(Value::Bool(*b.value())),
        Expression::Number(n) => n.value().as_f64().map(Value::Number),
        Expression::String(s) => Some(Value::String(s.value().clone())),
        Expression::Array(a) => a
            .iter()
            .map(literal_value)
            .collect::<Option<Vec<_>>>()
            .map(Value::List),
        Expression::Object(o) => {
            let mut m = Map::new();
            for (k, v) in o.iter() {
                let key = match k {
                    ObjectKey::Ident(i) => i.as_str().to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                    _ => return None,
                };
                m.insert(key, literal_value(v.expr())?);
            }
            Some(Value::Map(m))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> Type {
        Type::parse(&hcl_edit::parser::parse_expr(s).unwrap()).unwrap()
    }

    #[test]
    fn object_with_optional_defaults() {
        let t = ty(
            "object({ name = string, size = optional(number, 3), tags = optional(map(string)) })",
        );
        let v = t
            .convert(Value::map([
                ("name", Value::string("a")),
                ("extra", Value::Bool(true)),
            ]))
            .unwrap();
        assert_eq!(
            v,
            Value::map([
                ("name", Value::string("a")),
                ("size", Value::Number(3.0)),
                ("tags", Value::Null)
            ])
        );
        assert!(t
            .convert(Value::map([("size", Value::Number(1.0))]))
            .is_err());
    }

    #[test]
    fn primitive_conversions() {
        assert_eq!(
            ty("string").convert(Value::Number(5.0)).unwrap(),
            Value::string("5")
        );
        assert_eq!(
            ty("number").convert(Value::string("5")).unwrap(),
            Value::Number(5.0)
        );
        assert!(ty("number").convert(Value::string("x")).is_err());
        assert_eq!(
            ty("set(string)")
                .convert(Value::List(vec![Value::string("a"), Value::string("a")]))
                .unwrap(),
            Value::List(vec![Value::string("a")])
        );
    }
}
