//! Semantic equality of values under a schema. Configs and providers spell the same thing in
//! different ways (null vs `[]`, `"30"` vs `30`, JSON with other whitespace or key order, sets in
//! another order); none of that may show up as a change or as drift.

use terrane_provider::{AttrType, Block, BlockSchema, Nesting, Value};

static NULL: Value = Value::Null;

/// Null, `""`, `[]` and `{}`: all mean "not set" for an optional attribute.
pub fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

/// Equality of two attribute values of type `ty`. Unknown equals nothing.
pub fn attr_eq(ty: &AttrType, a: &Value, b: &Value) -> bool {
    if a.is_unknown() || b.is_unknown() {
        return false;
    }
    if is_empty(a) && is_empty(b) {
        return true;
    }
    match ty {
        AttrType::String => {
            if matches!(a, Value::Number(_)) || matches!(b, Value::Number(_)) {
                return num_eq(a, b);
            }
            match (a.to_string_lossy(), b.to_string_lossy()) {
                (Some(x), Some(y)) => x == y,
                _ => dyn_eq(a, b),
            }
        }
        AttrType::Number => match (a.as_f64(), b.as_f64()) {
            (Some(_), Some(_)) => num_eq(a, b),
            _ => dyn_eq(a, b),
        },
        AttrType::Bool => match (a.as_bool(), b.as_bool()) {
            (Some(x), Some(y)) => x == y,
            _ => dyn_eq(a, b),
        },
        AttrType::List(t) => match (a.as_list(), b.as_list()) {
            (Some(x), Some(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| attr_eq(t, p, q))
            }
            _ => false,
        },
        AttrType::Set(t) => match (as_items(a), as_items(b)) {
            (Some(x), Some(y)) => multiset_eq(x, y, |p, q| attr_eq(t, p, q)),
            _ => false,
        },
        AttrType::Map(t) => match (as_object(a), as_object(b)) {
            (Some(_), Some(_)) => keys_of(a, b)
                .iter()
                .all(|k| attr_eq(t, field(a, k), field(b, k))),
            _ => false,
        },
        AttrType::Json => json_eq(a, b),
        AttrType::Dynamic => dyn_eq(a, b),
    }
}

/// Structural equality without a schema, with the same leniency for empties and numbers.
pub fn dyn_eq(a: &Value, b: &Value) -> bool {
    if a.is_unknown() || b.is_unknown() {
        return false;
    }
    if is_empty(a) && is_empty(b) {
        return true;
    }
    match (a, b) {
        (Value::Number(_), Value::String(_)) | (Value::String(_), Value::Number(_)) => num_eq(a, b),
        (Value::Bool(_), Value::String(_)) | (Value::String(_), Value::Bool(_)) => {
            a.as_bool().is_some() && a.as_bool() == b.as_bool()
        }
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| dyn_eq(p, q))
        }
        (Value::Map(_), Value::Map(_)) => keys_of(a, b)
            .iter()
            .all(|k| dyn_eq(field(a, k), field(b, k))),
        _ => a == b,
    }
}

/// JSON documents compared as parsed JSON; a side that does not parse is compared as text.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    dyn_eq(&parse_json(a), &parse_json(b))
}

fn parse_json(v: &Value) -> Value {
    match v {
        Value::String(s) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(j) => Value::from_json(&j),
            Err(_) => v.clone(),
        },
        other => other.clone(),
    }
}

fn num_eq(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y || (x - y).abs() <= f64::EPSILON * x.abs().max(y.abs()),
        _ => false,
    }
}

/// Equality of two objects of a nested block (or resource body): only schema keys count.
pub fn block_eq(block: &Block, a: &Value, b: &Value) -> bool {
    if a.is_unknown() || b.is_unknown() {
        return false;
    }
    block
        .attributes
        .iter()
        .all(|(k, attr)| attr_eq(&attr.ty, field(a, k), field(b, k)))
        && block
            .blocks
            .iter()
            .all(|(k, bs)| blocks_eq(bs, field(a, k), field(b, k)))
}

/// Equality of the element lists of a nested block, ignoring order for set nesting.
pub fn blocks_eq(bs: &BlockSchema, a: &Value, b: &Value) -> bool {
    if a.is_unknown() || b.is_unknown() {
        return false;
    }
    let (x, y) = (block_items(a), block_items(b));
    match bs.nesting {
        Nesting::Single | Nesting::List => {
            x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| block_eq(&bs.block, p, q))
        }
        Nesting::Set => multiset_eq(&x, &y, |p, q| block_eq(&bs.block, p, q)),
    }
}

/// The elements of a nested block value: null is none, a lone object is one.
pub fn block_items(v: &Value) -> Vec<Value> {
    match v {
        Value::Null => Vec::new(),
        Value::List(l) => l.clone(),
        Value::Map(_) => vec![v.clone()],
        other => vec![other.clone()],
    }
}

/// Greedy one-to-one matching; fine because the element equalities are equivalences.
pub fn multiset_eq<F: Fn(&Value, &Value) -> bool>(a: &[Value], b: &[Value], eq: F) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    a.iter()
        .all(|x| match (0..b.len()).find(|&j| !used[j] && eq(x, &b[j])) {
            Some(j) => {
                used[j] = true;
                true
            }
            None => false,
        })
}

/// Field of an object value, null when absent or when the value is not an object.
pub fn field<'a>(v: &'a Value, k: &str) -> &'a Value {
    v.get(k).unwrap_or(&NULL)
}

fn as_items(v: &Value) -> Option<&[Value]> {
    match v {
        Value::Null => Some(&[]),
        Value::List(l) => Some(l),
        _ => None,
    }
}

fn as_object(v: &Value) -> Option<()> {
    match v {
        Value::Null | Value::Map(_) => Some(()),
        _ => None,
    }
}

fn keys_of(a: &Value, b: &Value) -> Vec<String> {
    let mut keys: Vec<String> = a
        .as_map()
        .into_iter()
        .chain(b.as_map())
        .flat_map(|m| m.keys().cloned())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::string(x)
    }

    #[test]
    fn empties_are_equal() {
        let list = AttrType::List(Box::new(AttrType::String));
        assert!(attr_eq(&list, &Value::Null, &Value::List(vec![])));
        assert!(attr_eq(&AttrType::String, &Value::Null, &s("")));
        let map = AttrType::Map(Box::new(AttrType::String));
        assert!(attr_eq(&map, &Value::Null, &Value::map::<&str>([])));
        assert!(!attr_eq(&AttrType::Bool, &Value::Null, &Value::Bool(false)));
        assert!(!attr_eq(
            &AttrType::Number,
            &Value::Null,
            &Value::Number(0.0)
        ));
    }

    #[test]
    fn numbers_compare_numerically() {
        assert!(attr_eq(&AttrType::Number, &s("30"), &Value::Number(30.0)));
        assert!(attr_eq(&AttrType::String, &s("30"), &Value::Number(30.0)));
        assert!(!attr_eq(&AttrType::Number, &s("31"), &Value::Number(30.0)));
        assert!(dyn_eq(&s("1.5"), &Value::Number(1.5)));
    }

    #[test]
    fn json_ignores_whitespace_and_key_order() {
        let a = s(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#);
        let b = s("{\n  \"Statement\": [ { \"Action\": \"s3:*\", \"Effect\": \"Allow\" } ],\n  \"Version\": \"2012-10-17\"\n}");
        assert!(attr_eq(&AttrType::Json, &a, &b));
        let c = s(r#"{"Version":"2012-10-17","Statement":[]}"#);
        assert!(!attr_eq(&AttrType::Json, &a, &c));
        assert!(!attr_eq(&AttrType::Json, &s("not json"), &s("not  json")));
    }

    #[test]
    fn sets_ignore_order_lists_do_not() {
        let a = Value::List(vec![s("a"), s("b")]);
        let b = Value::List(vec![s("b"), s("a")]);
        assert!(attr_eq(&AttrType::Set(Box::new(AttrType::String)), &a, &b));
        assert!(!attr_eq(
            &AttrType::List(Box::new(AttrType::String)),
            &a,
            &b
        ));
    }

    #[test]
    fn unknown_equals_nothing() {
        assert!(!attr_eq(
            &AttrType::String,
            &Value::Unknown,
            &Value::Unknown
        ));
        assert!(!dyn_eq(&Value::Unknown, &Value::Null));
    }
}
