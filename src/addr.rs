//! Typed resource addresses (`module.vpc.aws_subnet.private[1]`, `data.aws_region.current`,
//! `aws_iam_role.r["admin"]`): parsed once, compared and printed everywhere the same way.

use serde::{Deserialize, Serialize};
use std::fmt;
use terrane_provider::ResourceMode;

/// The key of one instance of a resource or module with `count` or `for_each`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum InstanceKey {
    None,
    Int(i64),
    Str(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::None => Ok(()),
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", serde_json::Value::String(s.clone())),
        }
    }
}

/// A module instance path: empty for the root module.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ModulePath(pub Vec<(String, InstanceKey)>);

impl ModulePath {
    pub fn root() -> Self {
        ModulePath(Vec::new())
    }
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
    pub fn child(&self, name: &str, key: InstanceKey) -> Self {
        let mut v = self.0.clone();
        v.push((name.to_string(), key));
        ModulePath(v)
    }
}

impl fmt::Display for ModulePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, key)) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ".")?;
            }
            write!(f, "module.{name}{key}")?;
        }
        Ok(())
    }
}

/// A resource (all its instances) in a module instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceAddr {
    pub module: ModulePath,
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
}

/// Serializable mirror of `ResourceMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Mode {
    Managed,
    Data,
}

impl From<ResourceMode> for Mode {
    fn from(m: ResourceMode) -> Self {
        match m {
            ResourceMode::Managed => Mode::Managed,
            ResourceMode::Data => Mode::Data,
        }
    }
}

impl ResourceAddr {
    pub fn new(module: ModulePath, mode: Mode, type_name: &str, name: &str) -> Self {
        ResourceAddr {
            module,
            mode,
            type_name: type_name.to_string(),
            name: name.to_string(),
        }
    }
    pub fn instance(&self, key: InstanceKey) -> InstanceAddr {
        InstanceAddr {
            resource: self.clone(),
            key,
        }
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        if self.mode == Mode::Data {
            write!(f, "data.")?;
        }
        write!(f, "{}.{}", self.type_name, self.name)
    }
}

/// One instance of a resource: what the plan, the store and the graph key on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InstanceAddr {
    pub resource: ResourceAddr,
    pub key: InstanceKey,
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.resource, self.key)
    }
}

/// Why an address string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid resource address {input:?}: {reason}")]
pub struct AddrParseError {
    pub input: String,
    pub reason: String,
}

impl std::str::FromStr for InstanceAddr {
    type Err = AddrParseError;

    /// Parses `module.a["x"].module.b.aws_t.n[0]` and `data.aws_t.n`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| AddrParseError {
            input: s.to_string(),
            reason: reason.to_string(),
        };
        let parts = split_address(s).map_err(|r| err(&r))?;
        let mut i = 0;
        let mut module = Vec::new();
        while i < parts.len() && parts[i].0 == "module" {
            let (name, key) = parts
                .get(i + 1)
                .ok_or_else(|| err("`module` must be followed by a module name"))?;
            if parts[i].1 != InstanceKey::None {
                return Err(err("an index belongs after the module name"));
            }
            module.push((name.clone(), key.clone()));
            i += 2;
        }
        let mut mode = Mode::Managed;
        if parts.get(i).is_some_and(|p| p.0 == "data") {
            mode = Mode::Data;
            i += 1;
        }
        let rest = &parts[i..];
        if rest.len() != 2 {
            return Err(err(
                "expected TYPE.NAME, optionally with an index like [0] or [\"key\"]",
            ));
        }
        if rest[0].1 != InstanceKey::None {
            return Err(err("an index belongs after the resource name"));
        }
        Ok(InstanceAddr {
            resource: ResourceAddr {
                module: ModulePath(module),
                mode,
                type_name: rest[0].0.clone(),
                name: rest[1].0.clone(),
            },
            key: rest[1].1.clone(),
        })
    }
}

/// Splits `a.b[0].c["k"]` into `(name, key)` segments.
fn split_address(s: &str) -> Result<Vec<(String, InstanceKey)>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '-')
        {
            i += 1;
        }
        if start == i {
            return Err(format!(
                "unexpected character {:?}",
                chars.get(i).unwrap_or(&' ')
            ));
        }
        let name: String = chars[start..i].iter().collect();
        let mut key = InstanceKey::None;
        if i < chars.len() && chars[i] == '[' {
            let close = chars[i..]
                .iter()
                .position(|c| *c == ']')
                .ok_or("unclosed [")?
                + i;
            let inner: String = chars[i + 1..close].iter().collect();
            key = if let Ok(n) = inner.parse::<i64>() {
                InstanceKey::Int(n)
            } else if inner.starts_with('"') && inner.ends_with('"') && inner.len() >= 2 {
                InstanceKey::Str(serde_json::from_str::<String>(&inner).map_err(|e| e.to_string())?)
            } else {
                return Err("an index must be a number or a quoted string".into());
            };
            i = close + 1;
        }
        out.push((name, key));
        if i < chars.len() {
            if chars[i] != '.' {
                return Err(format!("unexpected character {:?}", chars[i]));
            }
            i += 1;
            if i == chars.len() {
                return Err("address ends with a dot".into());
            }
        }
    }
    if out.is_empty() {
        return Err("address is empty".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print_round_trip() {
        for s in [
            "aws_s3_bucket.logs",
            "aws_subnet.private[1]",
            "module.vpc.aws_vpc.this[0]",
            "aws_iam_role.r[\"admin\"]",
            "module.a[\"x\"].module.b.data.aws_region.current",
        ] {
            let a: InstanceAddr = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
    }

    #[test]
    fn bad_addresses_are_errors() {
        for s in [
            "",
            "aws_s3_bucket",
            "a.b.c",
            "aws_x.y[",
            "module",
            "aws_x.y[abc]",
        ] {
            assert!(s.parse::<InstanceAddr>().is_err(), "{s}");
        }
    }
}
