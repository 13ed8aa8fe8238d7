//! The `aws_iam_policy_document` data source, evaluated locally (no API call).
//!
//! Real configurations compare this data source's `json` output byte for byte (in outputs, in
//! `templatefile`s, in snapshot tests of their own), so the rendering follows the Terraform AWS
//! provider exactly: the field order `Sid, Effect, Action, NotAction, Resource, NotResource,
//! Principal, NotPrincipal, Condition`; a set of one string rendered as a plain string and larger
//! sets sorted in reverse; condition values kept in the order written; `&{...}` turned into
//! `${...}` in resources, principals and condition values; Go's two-space indentation and its
//! escaping of `<`, `>` and `&`; `source_policy_documents` merged first and
//! `override_policy_documents` last, statements with the same `Sid` replacing earlier ones.

use crate::clients::Clients;
use crate::registry::ResourceType;
use crate::util::{attr_str, block_list, str_list};
use async_trait::async_trait;
use terrane_provider::{
    AttrType, Attribute, Block, BlockSchema, ProviderError, ProviderResult, Schema, Value,
};

pub(crate) struct PolicyDocument;

fn strings() -> AttrType {
    AttrType::Set(Box::new(AttrType::String))
}

fn principals_block() -> BlockSchema {
    BlockSchema::set(
        Block::new()
            .attr("type", Attribute::required(AttrType::String))
            .attr("identifiers", Attribute::required(strings())),
    )
}

#[async_trait]
impl ResourceType for PolicyDocument {
    fn schema(&self) -> Schema {
        let statement = Block::new()
            .attr("sid", Attribute::optional(AttrType::String))
            .attr(
                "effect",
                Attribute::optional(AttrType::String).default(Value::string("Allow")),
            )
            .attr("actions", Attribute::optional(strings()))
            .attr("not_actions", Attribute::optional(strings()))
            .attr("resources", Attribute::optional(strings()))
            .attr("not_resources", Attribute::optional(strings()))
            .block("principals", principals_block())
            .block("not_principals", principals_block())
            .block(
                "condition",
                BlockSchema::set(
                    Block::new()
                        .attr("test", Attribute::required(AttrType::String))
                        .attr("variable", Attribute::required(AttrType::String))
                        .attr(
                            "values",
                            Attribute::required(AttrType::List(Box::new(AttrType::String))),
                        ),
                ),
            );
        Schema::data(
            "aws_iam_policy_document",
            Block::new()
                .attr("id", Attribute::computed(AttrType::String))
                .attr("json", Attribute::computed(AttrType::String))
                .attr("minified_json", Attribute::computed(AttrType::String))
                .attr(
                    "version",
                    Attribute::optional(AttrType::String).default(Value::string("2012-10-17")),
                )
                .attr("policy_id", Attribute::optional(AttrType::String))
                .attr(
                    "source_policy_documents",
                    Attribute::optional(AttrType::List(Box::new(AttrType::String))),
                )
                .attr(
                    "override_policy_documents",
                    Attribute::optional(AttrType::List(Box::new(AttrType::String))),
                )
                .block("statement", BlockSchema::list(statement)),
        )
    }

    async fn read_data(&self, _c: &Clients, config: &Value) -> ProviderResult<Value> {
        evaluate(config)
    }
}

/// Renders the document for a data source config and returns the full data source value.
pub(crate) fn evaluate(config: &Value) -> ProviderResult<Value> {
    let doc = build(config)?;
    let json = render(&doc.to_node(), true);
    let minified = render(&doc.to_node(), false);
    let mut out = config.as_map().cloned().unwrap_or_default();
    out.insert(
        "id".into(),
        Value::String(crc32(json.as_bytes()).to_string()),
    );
    out.insert("json".into(), Value::String(json));
    out.insert("minified_json".into(), Value::String(minified));
    out.entry("version".to_string())
        .and_modify(|v| {
            if v.is_null() {
                *v = Value::string("2012-10-17")
            }
        })
        .or_insert_with(|| Value::string("2012-10-17"));
    Ok(Value::Map(out))
}

/// Identifiers of a principal or values of a condition: Terraform keeps a lone value as a string.
#[derive(Debug, Clone, PartialEq)]
enum Strs {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Default)]
struct Statement {
    sid: String,
    effect: String,
    /// Action, NotAction, Resource, NotResource: a string or a list, already in output order.
    action: Option<Node>,
    not_action: Option<Node>,
    resource: Option<Node>,
    not_resource: Option<Node>,
    principals: Vec<(String, Strs)>,
    not_principals: Vec<(String, Strs)>,
    conditions: Vec<(String, String, Strs)>,
}

#[derive(Debug, Clone, Default)]
struct Doc {
    version: String,
    id: String,
    statements: Vec<Statement>,
}

impl Doc {
    /// Terraform's merge: a later document's Id wins, the Version only goes up, and a statement
    /// with a Sid already present replaces that statement in place.
    fn merge(&mut self, other: Doc) {
        if !other.id.is_empty() {
            self.id = other.id;
        }
        if other.version > self.version {
            self.version = other.version;
        }
        for st in other.statements {
            if !st.sid.is_empty() {
                if let Some(slot) = self.statements.iter_mut().find(|s| s.sid == st.sid) {
                    *slot = st;
                    continue;
                }
            }
            self.statements.push(st);
        }
    }

    fn to_node(&self) -> Node {
        let mut obj = Vec::new();
        if !self.version.is_empty() {
            obj.push(("Version".to_string(), Node::Str(self.version.clone())));
        }
        if !self.id.is_empty() {
            obj.push(("Id".to_string(), Node::Str(self.id.clone())));
        }
        if !self.statements.is_empty() {
            obj.push((
                "Statement".to_string(),
                Node::Arr(self.statements.iter().map(Statement::to_node).collect()),
            ));
        }
        Node::Obj(obj)
    }
}

impl Statement {
    fn to_node(&self) -> Node {
        let mut obj = Vec::new();
        let mut put = |k: &str, v: Node| obj.push((k.to_string(), v));
        if !self.sid.is_empty() {
            put("Sid", Node::Str(self.sid.clone()));
        }
        if !self.effect.is_empty() {
            put("Effect", Node::Str(self.effect.clone()));
        }
        for (k, v) in [
            ("Action", &self.action),
            ("NotAction", &self.not_action),
            ("Resource", &self.resource),
            ("NotResource", &self.not_resource),
        ] {
            if let Some(n) = v {
                if !n.is_empty() {
                    put(k, n.clone());
                }
            }
        }
        if !self.principals.is_empty() {
            put("Principal", principals_node(&self.principals));
        }
        if !self.not_principals.is_empty() {
            put("NotPrincipal", principals_node(&self.not_principals));
        }
        if !self.conditions.is_empty() {
            put("Condition", conditions_node(&self.conditions));
        }
        Node::Obj(obj)
    }
}

/// `{"*": "*"}` alone becomes `"*"`; otherwise a map by type (keys sorted), identifiers of
/// one block as a string when there is one, reverse-sorted lists otherwise, blocks of the same
/// type concatenated.
fn principals_node(ps: &[(String, Strs)]) -> Node {
    if let [(ty, ids)] = ps {
        let star = match ids {
            Strs::One(s) => s == "*",
            Strs::Many(v) => v.len() == 1 && v[0] == "*",
        };
        if ty == "*" && star {
            return Node::Str("*".into());
        }
    }
    let mut raw: std::collections::BTreeMap<String, Strs> = Default::default();
    for (ty, ids) in ps {
        let merged = match (raw.remove(ty), ids) {
            (None, Strs::Many(v)) => Strs::Many(reverse_sorted(v.clone())),
            (None, Strs::One(s)) => Strs::One(s.clone()),
            (Some(Strs::One(prev)), Strs::Many(v)) => {
                let mut all = vec![prev];
                all.extend(reverse_sorted(v.clone()));
                Strs::Many(all)
            }
            (Some(Strs::One(prev)), Strs::One(s)) => Strs::Many(vec![prev, s.clone()]),
            (Some(Strs::Many(mut prev)), Strs::Many(v)) => {
                prev.extend(reverse_sorted(v.clone()));
                Strs::Many(prev)
            }
            (Some(Strs::Many(mut prev)), Strs::One(s)) => {
                prev.push(s.clone());
                Strs::Many(prev)
            }
        };
        raw.insert(ty.clone(), merged);
    }
    Node::Obj(raw.into_iter().map(|(k, v)| (k, strs_node(v))).collect())
}

/// Conditions grouped by test then variable (both sorted), values concatenated in order and a
/// single value written as a string.
fn conditions_node(cs: &[(String, String, Strs)]) -> Node {
    use std::collections::BTreeMap;
    let mut raw: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (test, var, vals) in cs {
        let slot = raw
            .entry(test.clone())
            .or_default()
            .entry(var.clone())
            .or_default();
        match vals {
            Strs::One(s) => slot.push(s.clone()),
            Strs::Many(v) => slot.extend(v.iter().cloned()),
        }
    }
    Node::Obj(
        raw.into_iter()
            .map(|(test, vars)| {
                let inner = vars
                    .into_iter()
                    .map(|(var, mut vals)| {
                        let n = if vals.len() == 1 {
                            Node::Str(vals.remove(0))
                        } else {
                            Node::Arr(vals.into_iter().map(Node::Str).collect())
                        };
                        (var, n)
                    })
                    .collect();
                (test, Node::Obj(inner))
            })
            .collect(),
    )
}

fn strs_node(s: Strs) -> Node {
    match s {
        Strs::One(s) => Node::Str(s),
        Strs::Many(v) => Node::Arr(v.into_iter().map(Node::Str).collect()),
    }
}

fn reverse_sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.reverse();
    v
}

/// A set from config as Terraform renders it: one element as a string, more reverse-sorted.
fn decode_set(mut items: Vec<String>) -> Strs {
    items.sort();
    items.dedup();
    if items.len() == 1 {
        Strs::One(items.remove(0))
    } else {
        items.reverse();
        Strs::Many(items)
    }
}

fn strs_to_node(s: Strs) -> Node {
    strs_node(s)
}

/// `&{aws:username}` is how configs write IAM's `${aws:username}` without Terraform
/// interpolating it; version 2008-10-17 has no policy variables, so it is an error there.
fn replace_vars(s: Strs, version: &str, what: &str) -> ProviderResult<Strs> {
    let fix = |x: String| -> ProviderResult<String> {
        if version == "2008-10-17" && x.contains("&{") {
            return Err(ProviderError::invalid(format!(
                "aws_iam_policy_document: {what}: found &{{ sequence in ({x}), which is not supported in document version 2008-10-17"
            )));
        }
        Ok(x.replace("&{", "${"))
    };
    Ok(match s {
        Strs::One(x) => Strs::One(fix(x)?),
        Strs::Many(v) => Strs::Many(v.into_iter().map(fix).collect::<ProviderResult<_>>()?),
    })
}

fn build(config: &Value) -> ProviderResult<Doc> {
    let err = |m: String| ProviderError::invalid(format!("aws_iam_policy_document: {m}"));
    let mut merged = Doc::default();

    let mut source_sids = std::collections::BTreeSet::new();
    for (i, src) in str_list(config.get("source_policy_documents"))
        .iter()
        .enumerate()
    {
        let doc = parse_doc(src).map_err(|e| err(format!("merging source document {i}: {e}")))?;
        for (j, st) in doc.statements.iter().enumerate() {
            if !st.sid.is_empty() && !source_sids.insert(st.sid.clone()) {
                return Err(err(format!(
                    "merging source document {i}: duplicate Sid ({}) in source_policy_documents (statement {j}); remove the Sid or make the Sids unique",
                    st.sid
                )));
            }
        }
        merged.merge(doc);
    }

    let version = attr_str(config, "version").unwrap_or_else(|| "2012-10-17".into());
    if version != "2012-10-17" && version != "2008-10-17" {
        return Err(err(format!(
            "version must be \"2012-10-17\" or \"2008-10-17\", not {version:?}"
        )));
    }
    let mut doc = Doc {
        version: version.clone(),
        id: attr_str(config, "policy_id").unwrap_or_default(),
        statements: Vec::new(),
    };
    let mut sids = std::collections::BTreeSet::new();
    for (i, st) in block_list(config, "statement").into_iter().enumerate() {
        // Any Sid, as in Terraform: IAM allows only letters and digits, but S3, SQS and SNS
        // policies (which this data source also builds) accept others, e.g. "Allow-Publish".
        let sid = attr_str(st, "sid").unwrap_or_default();
        if !sid.is_empty() && !sids.insert(sid.clone()) {
            return Err(err(format!(
                "duplicate Sid ({sid}); remove the Sid or make it unique"
            )));
        }
        let effect = attr_str(st, "effect").unwrap_or_else(|| "Allow".into());
        if effect != "Allow" && effect != "Deny" {
            return Err(err(format!(
                "statement {i}: effect must be \"Allow\" or \"Deny\", not {effect:?}"
            )));
        }
        let set = |k: &str| {
            let items = str_list(st.get(k));
            (!items.is_empty()).then(|| decode_set(items))
        };
        let with_vars = |k: &str, what: &str| -> ProviderResult<Option<Node>> {
            set(k)
                .map(|s| replace_vars(s, &version, what).map(strs_to_node))
                .transpose()
        };
        let principals = |k: &str| -> ProviderResult<Vec<(String, Strs)>> {
            block_list(st, k)
                .into_iter()
                .map(|p| {
                    let ty = attr_str(p, "type").unwrap_or_default();
                    let ids = decode_set(str_list(p.get("identifiers")));
                    Ok((ty, replace_vars(ids, &version, "identifiers")?))
                })
                .collect()
        };
        let conditions = block_list(st, "condition")
            .into_iter()
            .map(|c| {
                let test = attr_str(c, "test").unwrap_or_default();
                let var = attr_str(c, "variable").unwrap_or_default();
                // Values keep their order and empty strings (`"home/"` prefixes often include "").
                let vals: Vec<String> = match c.get("values") {
                    Some(Value::List(l)) => l.iter().filter_map(Value::to_string_lossy).collect(),
                    Some(v) => v.to_string_lossy().into_iter().collect(),
                    None => Vec::new(),
                };
                let vals = if vals.len() == 1 {
                    Strs::One(vals[0].clone())
                } else {
                    Strs::Many(vals)
                };
                Ok((test, var, replace_vars(vals, &version, "condition values")?))
            })
            .collect::<ProviderResult<Vec<_>>>()?;
        doc.statements.push(Statement {
            sid,
            effect,
            action: set("actions").map(strs_to_node),
            not_action: set("not_actions").map(strs_to_node),
            resource: with_vars("resources", "resources")?,
            not_resource: with_vars("not_resources", "not_resources")?,
            principals: principals("principals")?,
            not_principals: principals("not_principals")?,
            conditions,
        });
    }
    merged.merge(doc);

    for (i, ov) in str_list(config.get("override_policy_documents"))
        .iter()
        .enumerate()
    {
        let doc = parse_doc(ov).map_err(|e| err(format!("merging override document {i}: {e}")))?;
        merged.merge(doc);
    }
    Ok(merged)
}

/// Reads a JSON policy document the way Terraform's model does: Action/Resource kept as
/// written, principals and conditions decomposed so they can be re-rendered.
fn parse_doc(text: &str) -> Result<Doc, String> {
    use serde_json::Value as J;
    let j: J = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let obj = j.as_object().ok_or("the document must be a JSON object")?;
    let s = |v: Option<&J>| v.and_then(J::as_str).unwrap_or_default().to_string();
    let mut doc = Doc {
        version: s(obj.get("Version")),
        id: s(obj.get("Id")),
        statements: Vec::new(),
    };
    let stmts: Vec<&J> = match obj.get("Statement") {
        Some(J::Array(a)) => a.iter().collect(),
        Some(o @ J::Object(_)) => vec![o],
        None | Some(J::Null) => vec![],
        Some(_) => return Err("Statement must be an object or a list".into()),
    };
    for st in stmts {
        let o = st.as_object().ok_or("each Statement must be an object")?;
        let strings = |k: &str| -> Result<Option<Node>, String> {
            match o.get(k) {
                None | Some(J::Null) => Ok(None),
                Some(J::String(x)) => Ok(Some(Node::Str(x.clone()))),
                Some(J::Array(a)) => a
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .map(|s| Node::Str(s.to_string()))
                            .ok_or_else(|| format!("{k} must hold strings"))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(|v| Some(Node::Arr(v))),
                Some(_) => Err(format!("{k} must be a string or a list of strings")),
            }
        };
        let principals = |k: &str| -> Result<Vec<(String, Strs)>, String> {
            match o.get(k) {
                None | Some(J::Null) => Ok(vec![]),
                Some(J::String(_)) => Ok(vec![("*".into(), Strs::Many(vec!["*".into()]))]),
                Some(J::Object(m)) => m
                    .iter()
                    .map(|(ty, ids)| match ids {
                        J::String(x) => Ok((ty.clone(), Strs::One(x.clone()))),
                        J::Array(a) => {
                            let mut v = a
                                .iter()
                                .map(|x| {
                                    x.as_str().map(str::to_string).ok_or_else(|| {
                                        format!("{k} {ty:?} identifiers must be strings")
                                    })
                                })
                                .collect::<Result<Vec<_>, _>>()?;
                            v.sort();
                            Ok((ty.clone(), Strs::Many(v)))
                        }
                        _ => Err(format!("{k} {ty:?} must be a string or a list")),
                    })
                    .collect(),
                Some(_) => Err(format!("{k} must be \"*\" or an object")),
            }
        };
        let mut conditions = Vec::new();
        if let Some(J::Object(tests)) = o.get("Condition") {
            for (test, vars) in tests {
                let vars = vars
                    .as_object()
                    .ok_or_else(|| format!("Condition {test:?} must be an object"))?;
                for (var, vals) in vars {
                    let scalar = |x: &J| match x {
                        J::String(s) => Some(s.clone()),
                        J::Bool(b) => Some(b.to_string()),
                        J::Number(n) => Some(n.to_string()),
                        _ => None,
                    };
                    let v = match vals {
                        J::Array(a) => Strs::Many(a.iter().filter_map(scalar).collect()),
                        J::Bool(b) => Strs::One(b.to_string()),
                        other => Strs::Many(scalar(other).into_iter().collect()),
                    };
                    conditions.push((test.clone(), var.clone(), v));
                }
            }
        }
        doc.statements.push(Statement {
            sid: s(o.get("Sid")),
            effect: s(o.get("Effect")),
            action: strings("Action")?,
            not_action: strings("NotAction")?,
            resource: strings("Resource")?,
            not_resource: strings("NotResource")?,
            principals: principals("Principal")?,
            not_principals: principals("NotPrincipal")?,
            conditions,
        });
    }
    Ok(doc)
}

/// A JSON value with object keys in a fixed order, for rendering exactly as Go does.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Str(String),
    Arr(Vec<Node>),
    Obj(Vec<(String, Node)>),
}

impl Node {
    fn is_empty(&self) -> bool {
        matches!(self, Node::Arr(a) if a.is_empty())
    }
}

/// Go's `json.MarshalIndent(v, "", "  ")` (pretty) or `json.Marshal(v)`.
fn render(n: &Node, pretty: bool) -> String {
    let mut out = String::new();
    write_node(n, pretty, 0, &mut out);
    out
}

fn write_node(n: &Node, pretty: bool, depth: usize, out: &mut String) {
    let newline = |out: &mut String, depth: usize| {
        if pretty {
            out.push('\n');
            for _ in 0..depth {
                out.push_str("  ");
            }
        }
    };
    match n {
        Node::Str(s) => write_go_string(s, out),
        Node::Arr(items) if items.is_empty() => out.push_str("[]"),
        Node::Obj(items) if items.is_empty() => out.push_str("{}"),
        Node::Arr(items) => {
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_node(it, pretty, depth + 1, out);
            }
            newline(out, depth);
            out.push(']');
        }
        Node::Obj(items) => {
            out.push('{');
            for (i, (k, v)) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_go_string(k, out);
                out.push(':');
                if pretty {
                    out.push(' ');
                }
                write_node(v, pretty, depth + 1, out);
            }
            newline(out, depth);
            out.push('}');
        }
    }
}

/// A string literal escaped as Go's encoding/json does (HTML-safe).
fn write_go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// CRC-32 (IEEE), which Terraform uses as this data source's id.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::string(x)
    }
    fn l(items: &[&str]) -> Value {
        Value::List(items.iter().map(|x| s(x)).collect())
    }
    fn obj(pairs: Vec<(&str, Value)>) -> Value {
        Value::map(pairs)
    }
    fn json_of(cfg: Value) -> String {
        evaluate(&cfg).unwrap().get_str("json").unwrap().to_string()
    }

    /// The "Basic Example" of the Terraform docs page for the data source
    /// (registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy_document).
    #[test]
    fn basic_example_renders_like_terraform() {
        let cfg = obj(vec![(
            "statement",
            Value::List(vec![
                obj(vec![
                    ("sid", s("1")),
                    (
                        "actions",
                        l(&["s3:GetBucketLocation", "s3:ListAllMyBuckets"]),
                    ),
                    ("resources", l(&["arn:aws:s3:::*"])),
                ]),
                obj(vec![
                    ("actions", l(&["s3:ListBucket"])),
                    ("resources", l(&["arn:aws:s3:::mybucket"])),
                    (
                        "condition",
                        Value::List(vec![obj(vec![
                            ("test", s("StringLike")),
                            ("variable", s("s3:prefix")),
                            ("values", l(&["", "home/", "home/&{aws:username}/"])),
                        ])]),
                    ),
                ]),
                obj(vec![
                    ("actions", l(&["s3:*"])),
                    (
                        "resources",
                        l(&[
                            "arn:aws:s3:::mybucket/home/&{aws:username}",
                            "arn:aws:s3:::mybucket/home/&{aws:username}/*",
                        ]),
                    ),
                ]),
            ]),
        )]);
        let expected = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "1",
      "Effect": "Allow",
      "Action": [
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation"
      ],
      "Resource": "arn:aws:s3:::*"
    },
    {
      "Effect": "Allow",
      "Action": "s3:ListBucket",
      "Resource": "arn:aws:s3:::mybucket",
      "Condition": {
        "StringLike": {
          "s3:prefix": [
            "",
            "home/",
            "home/${aws:username}/"
          ]
        }
      }
    },
    {
      "Effect": "Allow",
      "Action": "s3:*",
      "Resource": [
        "arn:aws:s3:::mybucket/home/${aws:username}/*",
        "arn:aws:s3:::mybucket/home/${aws:username}"
      ]
    }
  ]
}"#;
        assert_eq!(json_of(cfg.clone()), expected);
        let out = evaluate(&cfg).unwrap();
        let min = out.get_str("minified_json").unwrap();
        assert!(min.starts_with(r#"{"Version":"2012-10-17","Statement":[{"Sid":"1","#));
        // Same document parsed both ways.
        let a: serde_json::Value = serde_json::from_str(expected).unwrap();
        let b: serde_json::Value = serde_json::from_str(min).unwrap();
        assert_eq!(a, b);
    }

    /// The docs' assume-role example: a service principal and a single action.
    #[test]
    fn assume_role_policy_and_star_principals() {
        let cfg = obj(vec![(
            "statement",
            Value::List(vec![obj(vec![
                ("actions", l(&["sts:AssumeRole"])),
                (
                    "principals",
                    Value::List(vec![obj(vec![
                        ("type", s("Service")),
                        ("identifiers", l(&["ec2.amazonaws.com"])),
                    ])]),
                ),
            ])]),
        )]);
        assert_eq!(
            json_of(cfg),
            "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"sts:AssumeRole\",\n      \"Principal\": {\n        \"Service\": \"ec2.amazonaws.com\"\n      }\n    }\n  ]\n}"
        );
        // {"*": ["*"]} alone renders as "*"; {"AWS": "*"} stays a map.
        let star = |ty: &str| {
            obj(vec![(
                "statement",
                Value::List(vec![obj(vec![
                    ("effect", s("Deny")),
                    ("actions", l(&["*"])),
                    ("resources", l(&["*"])),
                    (
                        "principals",
                        Value::List(vec![obj(vec![("type", s(ty)), ("identifiers", l(&["*"]))])]),
                    ),
                ])]),
            )])
        };
        let a = evaluate(&star("*")).unwrap();
        assert_eq!(
            a.get_str("minified_json").unwrap(),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Principal":"*"}]}"#
        );
        let b = evaluate(&star("AWS")).unwrap();
        assert!(b
            .get_str("minified_json")
            .unwrap()
            .contains(r#""Principal":{"AWS":"*"}"#));
    }

    /// The docs' "Example of Merging Source Documents" and "Override Documents" behaviour.
    #[test]
    fn source_and_override_documents_merge_by_sid() {
        let source = evaluate(&obj(vec![(
            "statement",
            Value::List(vec![
                obj(vec![("actions", l(&["ec2:*"])), ("resources", l(&["*"]))]),
                obj(vec![
                    ("sid", s("SidToOverride")),
                    ("actions", l(&["s3:*"])),
                    ("resources", l(&["*"])),
                ]),
            ]),
        )]))
        .unwrap();
        let merged = obj(vec![
            (
                "source_policy_documents",
                Value::List(vec![source.get("json").unwrap().clone()]),
            ),
            (
                "statement",
                Value::List(vec![obj(vec![
                    ("sid", s("SidToOverride")),
                    ("actions", l(&["s3:*"])),
                    (
                        "resources",
                        l(&["arn:aws:s3:::somebucket", "arn:aws:s3:::somebucket/*"]),
                    ),
                ])]),
            ),
        ]);
        let expected = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "ec2:*",
      "Resource": "*"
    },
    {
      "Sid": "SidToOverride",
      "Effect": "Allow",
      "Action": "s3:*",
      "Resource": [
        "arn:aws:s3:::somebucket/*",
        "arn:aws:s3:::somebucket"
      ]
    }
  ]
}"#;
        assert_eq!(json_of(merged), expected);

        let over = obj(vec![
            (
                "statement",
                Value::List(vec![obj(vec![
                    ("sid", s("SidToOverride")),
                    ("actions", l(&["s3:*"])),
                    ("resources", l(&["*"])),
                ])]),
            ),
            (
                "override_policy_documents",
                Value::List(vec![s(
                    r#"{"Version":"2012-10-17","Statement":[{"Sid":"SidToOverride","Effect":"Deny","Action":["s3:DeleteBucket"],"Resource":"*"},{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#,
                )]),
            ),
        ]);
        let out = evaluate(&over).unwrap();
        assert_eq!(
            out.get_str("minified_json").unwrap(),
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"SidToOverride","Effect":"Deny","Action":["s3:DeleteBucket"],"Resource":"*"},{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#
        );
    }

    #[test]
    fn conditions_group_and_escape_like_go() {
        let cfg = obj(vec![
            ("policy_id", s("p1")),
            (
                "statement",
                Value::List(vec![obj(vec![
                    ("not_actions", l(&["iam:*"])),
                    ("not_resources", l(&["arn:aws:iam::*:role/<admin>&"])),
                    (
                        "condition",
                        Value::List(vec![
                            obj(vec![
                                ("test", s("StringEquals")),
                                ("variable", s("aws:RequestedRegion")),
                                ("values", l(&["us-east-1", "eu-west-1"])),
                            ]),
                            obj(vec![
                                ("test", s("Bool")),
                                ("variable", s("aws:SecureTransport")),
                                ("values", l(&["true"])),
                            ]),
                        ]),
                    ),
                ])]),
            ),
        ]);
        let out = evaluate(&cfg).unwrap();
        assert_eq!(
            out.get_str("minified_json").unwrap(),
            r#"{"Version":"2012-10-17","Id":"p1","Statement":[{"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:iam::*:role/\u003cadmin\u003e\u0026","Condition":{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}}]}"#
        );
        // The id is Terraform's hash code of the pretty JSON: a CRC-32.
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        let json = out.get_str("json").unwrap();
        assert_eq!(
            out.get_str("id").unwrap(),
            crc32(json.as_bytes()).to_string()
        );
    }

    #[test]
    fn any_sid_is_accepted() {
        let cfg = obj(vec![(
            "statement",
            Value::List(vec![obj(vec![
                ("sid", s("Allow SNS-Publish_1.0")),
                ("actions", l(&["sns:Publish"])),
            ])]),
        )]);
        assert!(json_of(cfg).contains(r#""Sid": "Allow SNS-Publish_1.0""#));
    }

    #[test]
    fn mistakes_are_clear_errors() {
        let dup = obj(vec![(
            "statement",
            Value::List(vec![
                obj(vec![("sid", s("A")), ("actions", l(&["s3:*"]))]),
                obj(vec![("sid", s("A")), ("actions", l(&["sqs:*"]))]),
            ]),
        )]);
        let e = evaluate(&dup).unwrap_err();
        assert!(e.message.contains("duplicate Sid (A)"), "{e}");
        let bad_effect = obj(vec![(
            "statement",
            Value::List(vec![obj(vec![("effect", s("allow"))])]),
        )]);
        assert!(evaluate(&bad_effect)
            .unwrap_err()
            .message
            .contains("effect must be"));
        let bad_src = obj(vec![("source_policy_documents", l(&["{not json"]))]);
        assert!(evaluate(&bad_src)
            .unwrap_err()
            .message
            .contains("source document 0"));
        let old = obj(vec![
            ("version", s("2008-10-17")),
            (
                "statement",
                Value::List(vec![obj(vec![("resources", l(&["arn:&{aws:username}"]))])]),
            ),
        ]);
        assert!(evaluate(&old).unwrap_err().message.contains("2008-10-17"));
    }
}
