//! Collection and type-conversion functions (lists, maps, sets).

use super::{loose_eq, make_set, to_bool, to_num, to_str, type_desc, unify, Args, FnContext};
use std::collections::BTreeMap;
use terrane_provider::{Map, Value};

type R = Result<Value, String>;

pub(super) fn alltrue(a: &Args, _: &FnContext) -> R {
    bool_fold(a, true)
}

pub(super) fn anytrue(a: &Args, _: &FnContext) -> R {
    bool_fold(a, false)
}

/// `alltrue` (all = true) / `anytrue`: a decisive element wins even when others are unknown.
fn bool_fold(a: &Args, all: bool) -> R {
    let list = match a.get(0) {
        Value::Unknown => return Ok(Value::Unknown),
        Value::Null => return Err(a.arg_err(0, "argument must not be null")),
        _ => a.list(0)?,
    };
    let mut unknown = false;
    for (i, v) in list.iter().enumerate() {
        let b = match v {
            Value::Unknown => {
                unknown = true;
                continue;
            }
            Value::Null => false,
            v => to_bool(v).ok_or_else(|| {
                a.arg_err(
                    0,
                    &format!("list of bool required, but element {i} is {}", type_desc(v)),
                )
            })?,
        };
        if b != all {
            return Ok(Value::Bool(!all));
        }
    }
    Ok(if unknown {
        Value::Unknown
    } else {
        Value::Bool(all)
    })
}

pub(super) fn chunklist(a: &Args, _: &FnContext) -> R {
    let list = a.list(0)?;
    let size = a.int(1)?;
    if size < 0 {
        return Err(a.arg_err(1, "the size argument must be positive"));
    }
    if list.is_empty() {
        return Ok(Value::List(vec![]));
    }
    if size == 0 {
        return Ok(Value::List(vec![Value::List(list.to_vec())]));
    }
    Ok(Value::List(
        list.chunks(size as usize)
            .map(|c| Value::List(c.to_vec()))
            .collect(),
    ))
}

pub(super) fn coalesce(a: &Args, _: &FnContext) -> R {
    let known: Vec<Value> = a.vals.iter().filter(|v| !v.is_unknown()).cloned().collect();
    let unified = unify(&known).map_err(|e| a.fail(&e.replace("elements", "arguments")))?;
    let is_string = unified.iter().any(|v| matches!(v, Value::String(_)));
    let mut unified = unified.into_iter();
    for v in &a.vals {
        if v.is_unknown() {
            return Ok(Value::Unknown);
        }
        let v = unified.next().unwrap_or(Value::Null);
        match &v {
            Value::Null => continue,
            Value::String(s) if s.is_empty() && is_string => continue,
            _ => return Ok(v),
        }
    }
    Err(a.fail("no non-null, non-empty-string arguments"))
}

pub(super) fn coalescelist(a: &Args, _: &FnContext) -> R {
    if a.len() == 0 {
        return Err(a.fail("at least one argument is required"));
    }
    for (i, v) in a.vals.iter().enumerate() {
        match v {
            Value::Null => continue,
            Value::List(l) if l.is_empty() => continue,
            Value::List(_) => return Ok(v.clone()),
            other => {
                return Err(a.arg_err(
                    i,
                    &format!("list or tuple required, got {}", type_desc(other)),
                ))
            }
        }
    }
    Err(a.fail("no non-null arguments"))
}

pub(super) fn compact(a: &Args, _: &FnContext) -> R {
    let list = a.list(0)?;
    let mut out = Vec::new();
    for (i, v) in list.iter().enumerate() {
        match v {
            Value::Null => {}
            v => {
                let s = to_str(v).ok_or_else(|| {
                    a.arg_err(
                        0,
                        &format!(
                            "list of string required, but element {i} is {}",
                            type_desc(v)
                        ),
                    )
                })?;
                if !s.is_empty() {
                    out.push(Value::String(s));
                }
            }
        }
    }
    Ok(Value::List(out))
}

pub(super) fn concat(a: &Args, _: &FnContext) -> R {
    if a.len() == 0 {
        return Err(a.fail("at least one argument is required"));
    }
    let mut out = Vec::new();
    for (i, v) in a.vals.iter().enumerate() {
        match v {
            Value::List(l) => out.extend(l.iter().cloned()),
            other => {
                return Err(a.arg_err(
                    i,
                    &format!(
                        "all arguments must be lists or tuples; got {}",
                        type_desc(other)
                    ),
                ))
            }
        }
    }
    Ok(Value::List(out))
}

pub(super) fn contains(a: &Args, _: &FnContext) -> R {
    let list = a.list(0)?;
    Ok(Value::Bool(list.iter().any(|v| loose_eq(v, a.get(1)))))
}

pub(super) fn distinct(a: &Args, _: &FnContext) -> R {
    let mut out: Vec<Value> = Vec::new();
    for v in unify(a.list(0)?).map_err(|e| a.arg_err(0, &e))? {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(Value::List(out))
}

pub(super) fn element(a: &Args, _: &FnContext) -> R {
    let list = a.list(0)?;
    let idx = a.int(1)?;
    if list.is_empty() {
        return Err(a.fail("cannot use element function with an empty list"));
    }
    if idx < 0 {
        return Err(a.fail("cannot use element function with a negative index"));
    }
    Ok(list[(idx as usize) % list.len()].clone())
}

pub(super) fn flatten(a: &Args, _: &FnContext) -> R {
    fn walk(items: &[Value], out: &mut Vec<Value>) {
        for v in items {
            match v {
                Value::List(l) => walk(l, out),
                other => out.push(other.clone()),
            }
        }
    }
    let mut out = Vec::new();
    walk(a.list(0)?, &mut out);
    Ok(Value::List(out))
}

pub(super) fn index(a: &Args, _: &FnContext) -> R {
    let list = a.list(0)?;
    list.iter()
        .position(|v| loose_eq(v, a.get(1)))
        .map(|i| Value::Number(i as f64))
        .ok_or_else(|| a.fail("item not found"))
}

pub(super) fn keys(a: &Args, _: &FnContext) -> R {
    Ok(Value::List(
        a.map(0)?.keys().map(|k| Value::String(k.clone())).collect(),
    ))
}

pub(super) fn values(a: &Args, _: &FnContext) -> R {
    Ok(Value::List(a.map(0)?.values().cloned().collect()))
}

pub(super) fn length(a: &Args, _: &FnContext) -> R {
    let n = match a.get(0) {
        Value::String(s) => s.chars().count(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.len(),
        _ => {
            return Err(a.arg_err(
                0,
                "argument must be a string, a collection type, or a structural type",
            ))
        }
    };
    Ok(Value::Number(n as f64))
}

pub(super) fn lookup(a: &Args, _: &FnContext) -> R {
    let (map, key) = (a.get(0), a.get(1));
    if map.is_unknown() || key.is_unknown() {
        return Ok(Value::Unknown);
    }
    if map.is_null() {
        return Err(a.arg_err(0, "argument must not be null"));
    }
    if key.is_null() {
        return Err(a.arg_err(1, "argument must not be null"));
    }
    let map = a.map(0)?;
    let key = a.str(1)?;
    match map.get(&key) {
        Some(v) => Ok(v.clone()),
        None if a.len() > 2 => Ok(a.get(2).clone()),
        None => Err(a.fail(&format!("lookup failed to find key {key:?}"))),
    }
}

pub(super) fn matchkeys(a: &Args, _: &FnContext) -> R {
    let (values, keys, search) = (a.list(0)?, a.list(1)?, a.list(2)?);
    if values.len() != keys.len() {
        return Err(a.fail("length of keys and values should be equal"));
    }
    Ok(Value::List(
        values
            .iter()
            .zip(keys)
            .filter(|(_, k)| search.iter().any(|s| loose_eq(s, k)))
            .map(|(v, _)| v.clone())
            .collect(),
    ))
}

pub(super) fn merge(a: &Args, _: &FnContext) -> R {
    let mut out = Map::new();
    for (i, v) in a.vals.iter().enumerate() {
        match v {
            Value::Null => {}
            Value::Map(m) => out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
            other => {
                return Err(a.arg_err(
                    i,
                    &format!(
                        "arguments must be maps or objects, got {:?}",
                        type_desc(other)
                    ),
                ))
            }
        }
    }
    Ok(Value::Map(out))
}

pub(super) fn one(a: &Args, _: &FnContext) -> R {
    match a.get(0) {
        Value::List(l) if l.is_empty() => Ok(Value::Null),
        Value::List(l) if l.len() == 1 => Ok(l[0].clone()),
        _ => Err(a.arg_err(
            0,
            "must be a list, set, or tuple value with either zero or one elements",
        )),
    }
}

pub(super) fn reverse(a: &Args, _: &FnContext) -> R {
    let mut l = a.list(0)?.to_vec();
    l.reverse();
    Ok(Value::List(l))
}

fn set_arg(a: &Args, i: usize) -> Result<Vec<Value>, String> {
    let Value::List(l) = make_set(a.list(i)?.to_vec()).map_err(|e| a.arg_err(i, &e))? else {
        return Err(a.arg_err(i, "set required"));
    };
    Ok(l)
}

pub(super) fn setintersection(a: &Args, _: &FnContext) -> R {
    let mut acc = set_arg(a, 0)?;
    for i in 1..a.len() {
        let other = set_arg(a, i)?;
        acc.retain(|v| other.iter().any(|o| loose_eq(o, v)));
    }
    make_set(acc).map_err(|e| a.fail(&e))
}

pub(super) fn setsubtract(a: &Args, _: &FnContext) -> R {
    let mut acc = set_arg(a, 0)?;
    let other = set_arg(a, 1)?;
    acc.retain(|v| !other.iter().any(|o| loose_eq(o, v)));
    make_set(acc).map_err(|e| a.fail(&e))
}

pub(super) fn setunion(a: &Args, _: &FnContext) -> R {
    let mut acc = Vec::new();
    for i in 0..a.len() {
        acc.extend(a.list(i)?.iter().cloned());
    }
    make_set(acc).map_err(|e| a.fail(&e))
}

pub(super) fn setproduct(a: &Args, _: &FnContext) -> R {
    if a.len() < 2 {
        return Err(a.fail("at least two arguments are required"));
    }
    let mut acc: Vec<Vec<Value>> = vec![vec![]];
    for i in 0..a.len() {
        let items = a.list(i)?;
        acc = acc
            .iter()
            .flat_map(|prefix| {
                items.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push(v.clone());
                    p
                })
            })
            .collect();
    }
    Ok(Value::List(acc.into_iter().map(Value::List).collect()))
}

pub(super) fn slice(a: &Args, _: &FnContext) -> R {
    let list = a.list(0)?;
    let (start, end) = (a.int(1)?, a.int(2)?);
    if start < 0 {
        return Err(a.arg_err(1, "start index must be greater than or equal to 0"));
    }
    if end > list.len() as i64 {
        return Err(a.arg_err(
            2,
            "end index must be less than or equal to the length of the list",
        ));
    }
    if start > end {
        return Err(a.arg_err(1, "start index must be less than or equal to end index"));
    }
    Ok(Value::List(list[start as usize..end as usize].to_vec()))
}

pub(super) fn sort(a: &Args, _: &FnContext) -> R {
    let list = a.list(0)?;
    if let Some(i) = list.iter().position(Value::is_null) {
        return Err(a.arg_err(
            0,
            &format!("given list element {i} is null; a null string cannot be sorted"),
        ));
    }
    let mut s = a.strings(0)?;
    s.sort();
    Ok(Value::List(s.into_iter().map(Value::String).collect()))
}

pub(super) fn sum(a: &Args, _: &FnContext) -> R {
    let list = a.list(0)?;
    if list.is_empty() {
        return Err(a.fail("cannot sum an empty list"));
    }
    let mut total = 0.0;
    for (i, v) in list.iter().enumerate() {
        total += to_num(v).ok_or_else(|| {
            a.arg_err(
                0,
                &format!(
                    "list of number required, but element {i} is {}",
                    type_desc(v)
                ),
            )
        })?;
    }
    Ok(Value::Number(total))
}

pub(super) fn transpose(a: &Args, _: &FnContext) -> R {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (k, v) in a.map(0)? {
        let Value::List(items) = v else {
            return Err(a.arg_err(0, "map of list of string required"));
        };
        for item in items {
            let s = to_str(item).ok_or_else(|| a.arg_err(0, "map of list of string required"))?;
            out.entry(s).or_default().push(Value::String(k.clone()));
        }
    }
    Ok(Value::Map(
        out.into_iter().map(|(k, v)| (k, Value::List(v))).collect(),
    ))
}

pub(super) fn zipmap(a: &Args, _: &FnContext) -> R {
    if !a.get(0).is_wholly_known() {
        return Ok(Value::Unknown);
    }
    let keys = a.strings(0)?;
    let values = a.list(1)?;
    if keys.len() != values.len() {
        return Err(a.fail(&format!(
            "number of keys ({}) does not match number of values ({})",
            keys.len(),
            values.len()
        )));
    }
    Ok(Value::Map(
        keys.into_iter().zip(values.iter().cloned()).collect(),
    ))
}

pub(super) fn tobool(a: &Args, _: &FnContext) -> R {
    match a.get(0) {
        Value::Null => Ok(Value::Null),
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::String(s) => to_bool(a.get(0)).map(Value::Bool).ok_or_else(|| {
            a.arg_err(0, &format!("cannot convert {s:?} to bool; only the strings \"true\" or \"false\" are allowed"))
        }),
        other => Err(a.arg_err(0, &format!("cannot convert {} to bool", type_desc(other)))),
    }
}

pub(super) fn tonumber(a: &Args, _: &FnContext) -> R {
    match a.get(0) {
        Value::Null => Ok(Value::Null),
        Value::Number(n) => Ok(Value::Number(*n)),
        Value::String(_) => a.num(0).map(Value::Number),
        other => Err(a.arg_err(0, &format!("cannot convert {} to number", type_desc(other)))),
    }
}

pub(super) fn tostring(a: &Args, _: &FnContext) -> R {
    match a.get(0) {
        Value::Null => Ok(Value::Null),
        v => to_str(v)
            .map(Value::String)
            .ok_or_else(|| a.arg_err(0, &format!("cannot convert {} to string", type_desc(v)))),
    }
}

pub(super) fn tolist(a: &Args, _: &FnContext) -> R {
    match a.get(0) {
        Value::Null => Ok(Value::Null),
        Value::List(l) => unify(l).map(Value::List).map_err(|e| a.arg_err(0, &e)),
        v => Err(a.arg_err(0, &format!("cannot convert {} to list", type_desc(v)))),
    }
}

pub(super) fn toset(a: &Args, _: &FnContext) -> R {
    match a.get(0) {
        Value::Null => Ok(Value::Null),
        Value::List(l) => make_set(l.clone()).map_err(|e| a.arg_err(0, &e)),
        v => Err(a.arg_err(0, &format!("cannot convert {} to set", type_desc(v)))),
    }
}

pub(super) fn tomap(a: &Args, _: &FnContext) -> R {
    match a.get(0) {
        Value::Null => Ok(Value::Null),
        Value::Map(m) => {
            let vals: Vec<Value> = m.values().cloned().collect();
            let vals = unify(&vals).map_err(|e| a.arg_err(0, &e))?;
            Ok(Value::Map(m.keys().cloned().zip(vals).collect()))
        }
        v => Err(a.arg_err(0, &format!("cannot convert {} to map", type_desc(v)))),
    }
}

/// `sensitive` / `nonsensitive`: sensitivity is tracked outside `Value`.
pub(super) fn identity(a: &Args, _: &FnContext) -> R {
    Ok(a.get(0).clone())
}
