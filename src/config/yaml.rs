//! The Crossplane-style YAML front end: multi-document manifests of Upbound AWS provider managed
//! resources (`apiVersion`, `kind`, `metadata`, `spec.forProvider`, `...Ref`/`...Selector`,
//! `deletionPolicy`, `managementPolicies`) turned into the same attribute values the HCL front end
//! produces, so one engine serves both. Everything is driven by the provider schemas: field names
//! are the camelCase spelling of the schema's snake_case attribute names.
//!
//! YAML is read with serde-saphyr into a small span-carrying tree (YAML 1.2 booleans only, so
//! `no`, `yes`, `on` stay strings); duplicate keys are found on that tree so both places can be
//! shown. Each `---` document is parsed on its own, so one broken document does not hide errors
//! in the others.
//!
//! The primary name rule (Crossplane's external-name behaviour): if `forProvider` does not set
//! it, the type's primary name attribute is filled from the `crossplane.io/external-name`
//! annotation, else from `metadata.name`. The primary name attribute is `bucket` for
//! `aws_s3_bucket`; otherwise `name` when the schema has a settable string `name` and the type is
//! not a child type. A child type is one with another required attribute that names its parent
//! (ends in `_id`, `_arn`, `_name` or `_url`, or is `role`, `bucket`, `user` or `group`), such as
//! `aws_iam_role_policy` or `aws_kms_alias`: their `name` is not the resource's identity.

use crate::addr::ResourceAddr;
use crate::config::model::{DeletionPolicy, Management};
use crate::diag::{Diagnostic, FileId, Span};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use terrane_provider::{AttrType, Block, Map, Nesting, Schema, Value};

/// The annotation Crossplane uses for a resource's name in the cloud.
pub const EXTERNAL_NAME: &str = "crossplane.io/external-name";

/// One `...Ref`, `...Refs` item or `...Selector` of `forProvider`.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlRef {
    /// The snake_case top-level attribute it fills, e.g. `bucket`, `vpc_id`.
    pub attr: String,
    /// `metadata.name` of the target, from `fooRef.name`.
    pub name: Option<String>,
    /// From `fooSelector.matchLabels`.
    pub match_labels: BTreeMap<String, String>,
    /// The target's attribute to use: `arn` for `..._arn(s)` attributes, else `id`.
    pub target_attr: String,
    /// True when the attribute is a list (`fooRefs`, or a selector on a list attribute).
    pub list: bool,
    pub span: Span,
}

/// One managed resource read from a manifest.
#[derive(Debug, Clone)]
pub struct YamlResource {
    pub type_name: String,
    /// `metadata.name`.
    pub name: String,
    /// A map of snake_case attributes, converted using the schema.
    pub attrs: Value,
    pub refs: Vec<YamlRef>,
    pub labels: BTreeMap<String, String>,
    pub deletion_policy: DeletionPolicy,
    pub management: Management,
    /// `providerConfigRef.name` unless it is `default`.
    pub provider_alias: Option<String>,
    /// The document's `kind:` line.
    pub span: Span,
    pub attr_spans: BTreeMap<String, Span>,
}

// ---------------------------------------------------------------------------------------------
// The span-carrying YAML tree.

/// What serde-saphyr gives us: any YAML value, with locations on every node and key.
enum Raw {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Raw;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Raw, E> {
                Ok(Raw::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Raw, E> {
                Ok(Raw::Num(n as f64))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Raw, E> {
                Ok(Raw::Num(n as f64))
            }
            fn visit_i128<E>(self, n: i128) -> Result<Raw, E> {
                Ok(Raw::Num(n as f64))
            }
            fn visit_u128<E>(self, n: u128) -> Result<Raw, E> {
                Ok(Raw::Num(n as f64))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Raw, E> {
                Ok(Raw::Num(n))
            }
            fn visit_str<E>(self, s: &str) -> Result<Raw, E> {
                Ok(Raw::Str(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Raw, E> {
                Ok(Raw::Str(s))
            }
            fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<Raw, E> {
                Ok(Raw::Str(String::from_utf8_lossy(b).into_owned()))
            }
            fn visit_unit<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Raw, D2::Error> {
                Raw::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut items = Vec::new();
                while let Some(x) = a.next_element()? {
                    items.push(x);
                }
                Ok(Raw::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut entries = Vec::new();
                while let Some(kv) = a.next_entry()? {
                    entries.push(kv);
                }
                Ok(Raw::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone)]
enum N {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone)]
struct Node {
    v: N,
    span: Span,
}

#[derive(Debug, Clone)]
struct Key {
    name: String,
    span: Span,
}

impl Node {
    fn what(&self) -> &'static str {
        match self.v {
            N::Null => "null",
            N::Bool(_) => "a boolean",
            N::Num(_) => "a number",
            N::Str(_) => "a string",
            N::Seq(_) => "a list",
            N::Map(_) => "a mapping",
        }
    }
    fn get(&self, key: &str) -> Option<(&Key, &Node)> {
        match &self.v {
            N::Map(m) => m.iter().find(|(k, _)| k.name == key).map(|(k, v)| (k, v)),
            _ => None,
        }
    }
    /// The node as a plain value, with no schema applied.
    fn plain(&self) -> Value {
        match &self.v {
            N::Null => Value::Null,
            N::Bool(b) => Value::Bool(*b),
            N::Num(n) => Value::Number(*n),
            N::Str(s) => Value::String(s.clone()),
            N::Seq(items) => Value::List(items.iter().map(Node::plain).collect()),
            N::Map(m) => Value::Map(m.iter().map(|(k, v)| (k.name.clone(), v.plain())).collect()),
        }
    }
    /// A scalar's text (strings, numbers and booleans), for labels and names.
    fn scalar_text(&self) -> Option<String> {
        match &self.v {
            N::Str(s) => Some(s.clone()),
            N::Num(n) => Some(terrane_provider::format_number(*n)),
            N::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// One document's text within the file, for turning parser locations into file spans.
struct DocText<'a> {
    file: FileId,
    text: &'a str,
    base: usize,
}

impl DocText<'_> {
    /// Byte offset (in the file) of a 1-based line and character column of this document.
    fn offset_of(&self, line: u64, col: u64) -> usize {
        let mut start = 0;
        for _ in 1..line.max(1) {
            match self.text[start..].find('\n') {
                Some(i) => start += i + 1,
                None => return self.base + self.text.len(),
            }
        }
        let line_text = &self.text[start..];
        let within = line_text
            .char_indices()
            .nth(col.saturating_sub(1) as usize)
            .map_or(line_text.len(), |(i, _)| i);
        self.base + start + within
    }

    fn span(&self, loc: &Location) -> Span {
        let end_of_doc = self.base + self.text.len();
        if loc.line() == 0 {
            return Span::new(self.file, self.base..self.base);
        }
        let sp = loc.span();
        let start = match sp.byte_offset() {
            Some(b) if (b as usize) <= self.text.len() => self.base + b as usize,
            _ => self.offset_of(loc.line(), loc.column()),
        };
        let len = sp.byte_len().unwrap_or(1).max(1) as usize;
        let end = (start + len).min(end_of_doc).max(start);
        Span::new(self.file, start..end)
    }

    fn node(&self, raw: Spanned<Raw>, diags: &mut Vec<Diagnostic>) -> Node {
        let span = self.span(&raw.referenced);
        let v = match raw.value {
            Raw::Null => N::Null,
            Raw::Bool(b) => N::Bool(b),
            Raw::Num(n) => N::Num(n),
            Raw::Str(s) => N::Str(s),
            Raw::Seq(items) => N::Seq(items.into_iter().map(|i| self.node(i, diags)).collect()),
            Raw::Map(entries) => {
                let mut seen: HashMap<String, Span> = HashMap::new();
                let mut out = Vec::new();
                for (k, v) in entries {
                    let key = self.node(k, diags);
                    let value = self.node(v, diags);
                    let Some(name) = key
                        .scalar_text()
                        .or_else(|| matches!(key.v, N::Null).then(|| "null".to_string()))
                    else {
                        diags.push(
                            Diagnostic::error("a mapping key must be a plain string")
                                .at(key.span)
                                .label(format!("this key is {}", key.what())),
                        );
                        continue;
                    };
                    if let Some(first) = seen.get(&name) {
                        diags.push(
                            Diagnostic::error(format!("duplicate key `{name}`"))
                                .at(key.span)
                                .label("second definition")
                                .note("first defined here", Some(*first))
                                .help("YAML mapping keys must be unique; remove one of them"),
                        );
                        continue;
                    }
                    seen.insert(name.clone(), key.span);
                    out.push((
                        Key {
                            name,
                            span: key.span,
                        },
                        value,
                    ));
                }
                N::Map(out)
            }
        };
        Node { v, span }
    }
}

fn yaml_options() -> serde_saphyr::options::Options {
    let mut o = serde_saphyr::options::Options::default();
    o.strict_booleans = true;
    o.with_snippet = false;
    o.duplicate_keys = serde_saphyr::options::DuplicateKeyPolicy::PassThrough;
    o
}

/// Splits a file into documents at `---` / `...` markers in column 0, as `(start, end)` byte
/// ranges. A document starts right after its `---`, so `--- {a: 1}` keeps its content.
fn split_documents(text: &str) -> Vec<(usize, usize)> {
    let mut docs = Vec::new();
    let mut start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut line_start = start;
    while line_start < text.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i + 1);
        let line = &text[line_start..line_end];
        let is_marker = (line.starts_with("---") || line.starts_with("..."))
            && line[3..]
                .chars()
                .next()
                .is_none_or(|c| c == ' ' || c == '\t' || c == '\r' || c == '\n');
        if is_marker {
            docs.push((start, line_start));
            start = line_start + 3;
        }
        line_start = line_end;
    }
    docs.push((start, text.len()));
    docs
}

/// True if a document holds nothing but blank lines, comments and directives.
fn is_blank(doc: &str) -> bool {
    doc.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || l.starts_with('%')
    })
}

/// Parses one document into the span tree; `Err` holds why it is not valid YAML.
fn parse_document(doc: &DocText<'_>) -> Result<(Node, Vec<Diagnostic>), Box<Diagnostic>> {
    match serde_saphyr::from_str_with_options::<Spanned<Raw>>(doc.text, yaml_options()) {
        Ok(raw) => {
            let mut diags = Vec::new();
            let node = doc.node(raw, &mut diags);
            Ok((node, diags))
        }
        Err(e) => {
            let mut msg = e.to_string();
            if let Some(i) = msg.rfind(" at line ") {
                msg.truncate(i);
            }
            let first_line = msg.lines().next().unwrap_or("").trim().to_string();
            let span = match e.location() {
                Some(loc) if loc.line() > 0 => {
                    let at = doc.offset_of(loc.line(), loc.column());
                    let end = (at + 1).min(doc.base + doc.text.len()).max(at);
                    Span::new(doc.file, at..end)
                }
                _ => Span::new(doc.file, doc.base..doc.base),
            };
            Err(Box::new(
                Diagnostic::error(format!("invalid YAML: {first_line}"))
                    .at(span)
                    .label("the YAML parser stopped here"),
            ))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Names.

/// `messageRetentionSeconds` -> `message_retention_seconds`, `ipv6CidrBlock` -> `ipv6_cidr_block`.
pub fn camel_to_snake(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                None | Some('_') => false,
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) => p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()),
            };
            if boundary {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `message_retention_seconds` -> `messageRetentionSeconds`.
pub fn snake_to_camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, part) in s.split('_').enumerate() {
        if i == 0 {
            out.push_str(part);
        } else {
            let mut cs = part.chars();
            if let Some(f) = cs.next() {
                out.extend(f.to_uppercase());
                out.push_str(cs.as_str());
            }
        }
    }
    out
}

/// Up to three candidates close to `word`, best first.
fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let norm = |s: &str| s.to_lowercase().replace(['_', '-', '.'], "");
    let w = norm(word);
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let n = norm(c);
            let score = if n == w {
                2.0
            } else {
                strsim::jaro_winkler(&w, &n)
            };
            (score >= 0.82).then_some((score, c))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

fn suggestion(word: &str, candidates: Vec<&str>) -> Option<String> {
    let close = did_you_mean(word, candidates);
    match close.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean `{one}`?")),
        many => Some(format!(
            "did you mean one of {}?",
            many.iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Kubernetes object names are RFC 1123 subdomains.
fn valid_object_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

// ---------------------------------------------------------------------------------------------
// Documents.

/// Per-document state: the diagnostics found so far.
struct Cx {
    diags: Vec<Diagnostic>,
}

impl Cx {
    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }
    fn has_errors(&self) -> bool {
        self.diags.iter().any(Diagnostic::is_error)
    }
    /// A string scalar, or an error saying what was found.
    fn string<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n str> {
        match &node.v {
            N::Str(s) => Some(s),
            _ => {
                self.err(
                    Diagnostic::error(format!("`{what}` must be a string"))
                        .at(node.span)
                        .label(format!("this is {}", node.what())),
                );
                None
            }
        }
    }
    /// A mapping of strings to scalars (labels, annotations, matchLabels).
    fn string_map(&mut self, node: &Node, what: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        match &node.v {
            N::Null => {}
            N::Map(m) => {
                for (k, v) in m {
                    match v.scalar_text() {
                        Some(s) => {
                            out.insert(k.name.clone(), s);
                        }
                        None => self.err(
                            Diagnostic::error(format!("`{what}.{}` must be a string", k.name))
                                .at(v.span)
                                .label(format!("this is {}", v.what())),
                        ),
                    }
                }
            }
            _ => self.err(
                Diagnostic::error(format!("`{what}` must be a mapping of strings"))
                    .at(node.span)
                    .label(format!("this is {}", node.what())),
            ),
        }
        out
    }
    /// Reports keys of a mapping that are not in `allowed`.
    fn only_keys(&mut self, node: &Node, allowed: &[&str], what: &str) {
        if let N::Map(m) = &node.v {
            for (k, _) in m {
                if !allowed.contains(&k.name.as_str()) {
                    let mut d = Diagnostic::error(format!("unknown field `{}` in {what}", k.name))
                        .at(k.span)
                        .label("not a known field");
                    d.help = suggestion(&k.name, allowed.to_vec()).or_else(|| {
                        Some(format!(
                            "{what} takes {}",
                            allowed
                                .iter()
                                .map(|a| format!("`{a}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    });
                    self.err(d);
                }
            }
        }
    }
}

/// Reads every manifest in one file. Documents with errors produce diagnostics and no resource;
/// the other documents are still read.
pub fn parse_file(
    file: FileId,
    text: &str,
    schemas: &dyn Fn(&str, &str) -> Option<Schema>,
    all_kinds: &[(String, String)],
) -> (Vec<YamlResource>, Vec<Diagnostic>) {
    let mut resources = Vec::new();
    let mut diags = Vec::new();
    for (start, end) in split_documents(text) {
        let Some(chunk) = text.get(start..end) else {
            continue;
        };
        if is_blank(chunk) {
            continue;
        }
        let doc = DocText {
            file,
            text: chunk,
            base: start,
        };
        let (node, parse_diags) = match parse_document(&doc) {
            Ok(x) => x,
            Err(d) => {
                diags.push(*d);
                continue;
            }
        };
        let mut cx = Cx { diags: parse_diags };
        if matches!(node.v, N::Null) {
            diags.extend(cx.diags);
            continue;
        }
        let res = document(&mut cx, &node, schemas, all_kinds);
        if let (Some(r), false) = (res, cx.has_errors()) {
            resources.push(r);
        }
        diags.extend(cx.diags);
    }
    // Two manifests of one kind with one name would be one address: keep the first.
    let mut seen: HashMap<(String, String), Span> = HashMap::new();
    let mut unique = Vec::with_capacity(resources.len());
    for r in resources {
        let key = (r.type_name.clone(), r.name.clone());
        if let Some(first) = seen.get(&key) {
            diags.push(
                Diagnostic::error(format!(
                    "a {} named `{}` is declared twice",
                    r.type_name, r.name
                ))
                .at(r.span)
                .note("first declared here", Some(*first))
                .help("give each manifest of a kind its own metadata.name"),
            );
        } else {
            seen.insert(key, r.span);
            unique.push(r);
        }
    }
    (unique, diags)
}

const TOP_KEYS: &[&str] = &["apiVersion", "kind", "metadata", "spec", "status"];
const METADATA_KEYS: &[&str] = &[
    "name",
    "labels",
    "annotations",
    "namespace",
    "uid",
    "generation",
    "resourceVersion",
    "creationTimestamp",
    "finalizers",
    "generateName",
];
const SPEC_KEYS: &[&str] = &[
    "forProvider",
    "initProvider",
    "deletionPolicy",
    "managementPolicies",
    "providerConfigRef",
    "writeConnectionSecretToRef",
    "publishConnectionDetailsTo",
];

fn document(
    cx: &mut Cx,
    node: &Node,
    schemas: &dyn Fn(&str, &str) -> Option<Schema>,
    all_kinds: &[(String, String)],
) -> Option<YamlResource> {
    if !matches!(node.v, N::Map(_)) {
        cx.err(
            Diagnostic::error("a manifest must be a mapping")
                .at(node.span)
                .label(format!("this document is {}", node.what()))
                .help("write `apiVersion`, `kind`, `metadata` and `spec` at the top level"),
        );
        return None;
    }
    cx.only_keys(node, TOP_KEYS, "a manifest");

    let api_version = match node.get("apiVersion") {
        Some((_, v)) => cx.string(v, "apiVersion").map(|s| (s, v.span)),
        None => {
            cx.err(
                Diagnostic::error("missing `apiVersion`")
                    .at(node.span)
                    .help("add e.g. `apiVersion: s3.aws.upbound.io/v1beta1`"),
            );
            None
        }
    };
    let group = api_version.and_then(|(s, span)| match s.split_once('/') {
        Some((g, v)) if !g.is_empty() && !v.is_empty() && !v.contains('/') => Some((g, span)),
        _ => {
            cx.err(
                Diagnostic::error(format!("invalid apiVersion `{s}`"))
                    .at(span)
                    .label("expected <group>/<version>")
                    .help("e.g. `apiVersion: s3.aws.upbound.io/v1beta1`"),
            );
            None
        }
    });
    let (kind_key, kind) = match node.get("kind") {
        Some((k, v)) => (Some(k.span), cx.string(v, "kind").map(|s| (s, v.span))),
        None => {
            cx.err(
                Diagnostic::error("missing `kind`")
                    .at(node.span)
                    .help("add e.g. `kind: Bucket`"),
            );
            (None, None)
        }
    };
    let schema = match (group, kind) {
        (Some((g, gspan)), Some((k, kspan))) => {
            lookup_schema(cx, schemas, all_kinds, g, gspan, k, kspan)
        }
        _ => None,
    };

    // metadata
    let mut name: Option<(String, Span)> = None;
    let mut labels = BTreeMap::new();
    let mut external_name: Option<(String, Span)> = None;
    match node.get("metadata") {
        None => cx.err(
            Diagnostic::error("missing `metadata.name`")
                .at(node.span)
                .help("add `metadata: {name: <name>}`; references use this name"),
        ),
        Some((mk, mv)) => {
            if !matches!(mv.v, N::Map(_)) {
                cx.err(
                    Diagnostic::error("`metadata` must be a mapping")
                        .at(mv.span)
                        .label(format!("this is {}", mv.what())),
                );
            } else {
                for (k, _) in match &mv.v {
                    N::Map(m) => m.as_slice(),
                    _ => &[],
                } {
                    if !METADATA_KEYS.contains(&k.name.as_str()) {
                        let mut d =
                            Diagnostic::warning(format!("`metadata.{}` is ignored", k.name))
                                .at(k.span)
                                .label("not a field terrane reads");
                        d.help = suggestion(&k.name, METADATA_KEYS.to_vec());
                        cx.diags.push(d);
                    }
                }
                match mv.get("name") {
                    None => cx.err(
                        Diagnostic::error("missing `metadata.name`")
                            .at(mk.span)
                            .help("add `name: <name>` under `metadata`; references use this name"),
                    ),
                    Some((_, nv)) => {
                        if let Some(n) = cx.string(nv, "metadata.name") {
                            if valid_object_name(n) {
                                name = Some((n.to_string(), nv.span));
                            } else {
                                cx.err(
                                    Diagnostic::error(format!("invalid metadata.name `{n}`"))
                                        .at(nv.span)
                                        .help("use lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit (at most 253 characters)"),
                                );
                            }
                        }
                    }
                }
                if let Some((_, lv)) = mv.get("labels") {
                    labels = cx.string_map(lv, "metadata.labels");
                }
                if let Some((_, av)) = mv.get("annotations") {
                    let ann = cx.string_map(av, "metadata.annotations");
                    if let Some(ext) = ann.get(EXTERNAL_NAME) {
                        let span = av.get(EXTERNAL_NAME).map_or(av.span, |(_, v)| v.span);
                        if ext.is_empty() {
                            cx.err(
                                Diagnostic::error(format!("`{EXTERNAL_NAME}` is empty")).at(span),
                            );
                        } else {
                            external_name = Some((ext.clone(), span));
                        }
                    }
                }
            }
        }
    }

    // spec
    let mut deletion_policy = DeletionPolicy::Delete;
    let mut management = Management::Full;
    let mut provider_alias = None;
    let mut converted: Option<Converted> = None;
    match node.get("spec") {
        None => cx.err(
            Diagnostic::error("missing `spec.forProvider`")
                .at(node.span)
                .help("add `spec: {forProvider: {...}}` with the resource's settings"),
        ),
        Some((sk, sv)) => {
            if !matches!(sv.v, N::Map(_)) {
                cx.err(
                    Diagnostic::error("`spec` must be a mapping")
                        .at(sv.span)
                        .label(format!("this is {}", sv.what())),
                );
            } else {
                cx.only_keys(sv, SPEC_KEYS, "`spec`");
                if let Some((k, _)) = sv.get("initProvider") {
                    cx.err(
                        Diagnostic::error("`spec.initProvider` is not supported")
                            .at(k.span)
                            .help("move these fields into `forProvider`, and if they should not be kept in sync afterwards, manage them outside terrane"),
                    );
                }
                for key in ["writeConnectionSecretToRef", "publishConnectionDetailsTo"] {
                    if let Some((k, _)) = sv.get(key) {
                        cx.diags.push(
                            Diagnostic::warning(format!("`spec.{key}` is ignored"))
                                .at(k.span)
                                .help("terrane does not write connection secrets; read the values from its outputs instead"),
                        );
                    }
                }
                if let Some((_, v)) = sv.get("deletionPolicy") {
                    deletion_policy = parse_deletion_policy(cx, v);
                }
                if let Some((_, v)) = sv.get("managementPolicies") {
                    let (m, orphan) = parse_management(cx, v);
                    management = m;
                    if orphan {
                        deletion_policy = DeletionPolicy::Orphan;
                    }
                }
                if let Some((_, v)) = sv.get("providerConfigRef") {
                    provider_alias = parse_provider_ref(cx, v);
                }
                match sv.get("forProvider") {
                    None => cx.err(
                        Diagnostic::error("missing `spec.forProvider`")
                            .at(sk.span)
                            .help("add `forProvider:` under `spec` with the resource's settings"),
                    ),
                    Some((_, fv)) => {
                        if let Some(schema) = &schema {
                            converted = Some(for_provider(cx, schema, fv));
                        }
                    }
                }
            }
        }
    }

    let schema = schema?;
    let (name, name_span) = name?;
    let mut c = converted?;
    if let Some(attr) = primary_name_attr(&schema) {
        let prefix = format!("{attr}_prefix");
        let has_ref = c.refs.iter().any(|r| r.attr == attr);
        if !c.attrs.contains_key(attr) && !c.attrs.contains_key(&prefix) && !has_ref {
            let (value, span) = external_name.unwrap_or((name.clone(), name_span));
            c.attrs.insert(attr.to_string(), Value::String(value));
            c.spans.insert(attr.to_string(), span);
        }
    }
    Some(YamlResource {
        type_name: schema.type_name.to_string(),
        name,
        attrs: Value::Map(c.attrs),
        refs: c.refs,
        labels,
        deletion_policy,
        management,
        provider_alias,
        span: kind_key.unwrap_or(node.span),
        attr_spans: c.spans,
    })
}

#[allow(clippy::too_many_arguments)]
fn lookup_schema(
    cx: &mut Cx,
    schemas: &dyn Fn(&str, &str) -> Option<Schema>,
    all_kinds: &[(String, String)],
    group: &str,
    group_span: Span,
    kind: &str,
    kind_span: Span,
) -> Option<Schema> {
    if let Some(s) = schemas(group, kind) {
        return Some(s);
    }
    // Crossplane v2's namespaced kinds live in `<svc>.aws.m.upbound.io` with the same schema.
    if let Some(g) = group
        .strip_suffix(".aws.m.upbound.io")
        .map(|svc| format!("{svc}.aws.upbound.io"))
    {
        if let Some(s) = schemas(&g, kind) {
            return Some(s);
        }
    }
    let group_known = all_kinds.iter().any(|(g, _)| g == group);
    let elsewhere: Vec<&str> = all_kinds
        .iter()
        .filter(|(_, k)| k == kind)
        .map(|(g, _)| g.as_str())
        .collect();
    if group_known {
        let in_group: Vec<&str> = all_kinds
            .iter()
            .filter(|(g, _)| g == group)
            .map(|(_, k)| k.as_str())
            .collect();
        let mut d = Diagnostic::error(format!("unknown kind `{kind}` in `{group}`"))
            .at(kind_span)
            .label("terrane has no schema for this kind");
        d.help = if let Some(g) = elsewhere.first() {
            Some(format!("`{kind}` is in `{g}`; change the apiVersion group"))
        } else {
            suggestion(kind, in_group.clone())
        };
        if d.help.is_none() {
            d = d.note(format!("kinds in `{group}`: {}", in_group.join(", ")), None);
        }
        cx.err(d);
    } else {
        let mut d = Diagnostic::error(format!("unknown API group `{group}`"))
            .at(group_span)
            .label("terrane has no kinds in this group");
        let groups: BTreeSet<&str> = all_kinds.iter().map(|(g, _)| g.as_str()).collect();
        d.help = if let Some(g) = elsewhere.first() {
            Some(format!(
                "`{kind}` is in `{g}`: use `apiVersion: {g}/v1beta1`"
            ))
        } else {
            suggestion(group, groups.into_iter().collect())
        };
        cx.err(d);
    }
    None
}

fn parse_deletion_policy(cx: &mut Cx, v: &Node) -> DeletionPolicy {
    match &v.v {
        N::Str(s) if s == "Delete" => DeletionPolicy::Delete,
        N::Str(s) if s == "Orphan" => DeletionPolicy::Orphan,
        _ => {
            let mut d =
                Diagnostic::error("`deletionPolicy` must be `Delete` or `Orphan`").at(v.span);
            if let N::Str(s) = &v.v {
                d.help = suggestion(s, vec!["Delete", "Orphan"]);
            }
            cx.err(d);
            DeletionPolicy::Delete
        }
    }
}

const POLICIES: &[&str] = &[
    "*",
    "Observe",
    "Create",
    "Update",
    "Delete",
    "LateInitialize",
];

/// Reduces `managementPolicies` to what the engine acts on. The second value is true when the
/// policies leave out `Delete`, which means the resource is orphaned on removal.
fn parse_management(cx: &mut Cx, v: &Node) -> (Management, bool) {
    let N::Seq(items) = &v.v else {
        cx.err(
            Diagnostic::error("`managementPolicies` must be a list")
                .at(v.span)
                .help("e.g. `managementPolicies: [\"*\"]` or `[\"Observe\"]`"),
        );
        return (Management::Full, false);
    };
    let mut set = BTreeSet::new();
    for item in items {
        match &item.v {
            N::Str(s) if POLICIES.contains(&s.as_str()) => {
                set.insert(s.as_str());
            }
            _ => {
                let mut d = Diagnostic::error("unknown management policy")
                    .at(item.span)
                    .label(format!("expected one of {}", POLICIES.join(", ")));
                if let N::Str(s) = &item.v {
                    d.help = suggestion(s, POLICIES.to_vec());
                }
                cx.err(d);
                return (Management::Full, false);
            }
        }
    }
    let has = |p: &str| set.contains(p);
    if has("*") {
        return (Management::Full, false);
    }
    if has("Observe") && !has("Create") && !has("Update") && !has("Delete") {
        return (Management::ObserveOnly, false);
    }
    if has("Observe") && has("Create") && has("Update") {
        return (Management::Full, !has("Delete"));
    }
    cx.err(
        Diagnostic::error("unsupported combination of `managementPolicies`")
            .at(v.span)
            .help("terrane supports [\"*\"], [\"Observe\"], and Observe+Create+Update with or without Delete"),
    );
    (Management::Full, false)
}

fn parse_provider_ref(cx: &mut Cx, v: &Node) -> Option<String> {
    cx.only_keys(v, &["name"], "`providerConfigRef`");
    let Some((_, nv)) = v.get("name") else {
        cx.err(
            Diagnostic::error("`providerConfigRef` needs a `name`")
                .at(v.span)
                .help("e.g. `providerConfigRef: {name: default}`"),
        );
        return None;
    };
    let name = cx.string(nv, "providerConfigRef.name")?;
    (name != "default").then(|| name.to_string())
}

/// The attribute filled from external-name / metadata.name, per the rule in the module docs.
fn primary_name_attr(schema: &Schema) -> Option<&'static str> {
    let settable_string = |n: &str| {
        schema
            .body
            .attributes
            .get(n)
            .is_some_and(|a| (a.required || a.optional) && a.ty == AttrType::String)
    };
    if schema.type_name == "aws_s3_bucket" {
        return settable_string("bucket").then_some("bucket");
    }
    if !settable_string("name") {
        return None;
    }
    let child = schema.body.attributes.iter().any(|(n, a)| {
        n != "name"
            && a.required
            && (n.ends_with("_id")
                || n.ends_with("_arn")
                || n.ends_with("_name")
                || n.ends_with("_url")
                || ["role", "bucket", "user", "group"].contains(&n.as_str()))
    });
    (!child).then_some("name")
}

// ---------------------------------------------------------------------------------------------
// forProvider.

struct Converted {
    attrs: Map,
    refs: Vec<YamlRef>,
    spans: BTreeMap<String, Span>,
}

fn for_provider(cx: &mut Cx, schema: &Schema, node: &Node) -> Converted {
    let mut out = Converted {
        attrs: Map::new(),
        refs: Vec::new(),
        spans: BTreeMap::new(),
    };
    let N::Map(entries) = &node.v else {
        if !matches!(node.v, N::Null) {
            cx.err(
                Diagnostic::error("`forProvider` must be a mapping")
                    .at(node.span)
                    .label(format!("this is {}", node.what())),
            );
        }
        return out;
    };
    let mut ref_keys: BTreeMap<String, Key> = BTreeMap::new();
    for (key, value) in entries {
        if key.name == "region" {
            continue;
        }
        if let Some(attr) = find_member(&schema.body, &key.name) {
            if let Some(v) = member_value(cx, &schema.body, &attr, key, value) {
                out.attrs.insert(attr.clone(), v);
                out.spans.insert(attr, key.span);
            }
            continue;
        }
        if let Some(found) = reference(cx, schema, key, value) {
            let Ok((attr, refs)) = found else {
                continue;
            };
            if let Some(prev) = ref_keys.get(&attr) {
                cx.err(
                    Diagnostic::error(format!(
                        "`{}` and `{}` both set `{}`",
                        prev.name,
                        key.name,
                        snake_to_camel(&attr)
                    ))
                    .at(key.span)
                    .note("the other one is here", Some(prev.span))
                    .help("keep one of them"),
                );
                continue;
            }
            ref_keys.insert(attr.clone(), key.clone());
            out.spans.entry(attr).or_insert(key.span);
            out.refs.extend(refs);
            continue;
        }
        unknown_member(cx, &schema.body, key, true);
    }
    for (attr, key) in &ref_keys {
        if out.attrs.contains_key(attr) {
            cx.err(
                Diagnostic::error(format!(
                    "`{}` is set both directly and through `{}`",
                    snake_to_camel(attr),
                    key.name
                ))
                .at(key.span)
                .help("keep one of them"),
            );
        }
    }
    out
}

/// The schema name (attribute or nested block) a camelCase key stands for.
fn find_member(block: &Block, key: &str) -> Option<String> {
    block
        .attributes
        .keys()
        .chain(block.blocks.keys())
        .find(|n| snake_to_camel(n) == key)
        .cloned()
}

fn unknown_member(cx: &mut Cx, block: &Block, key: &Key, top: bool) {
    let camel_names: Vec<String> = block.settable_names().map(snake_to_camel).collect();
    let snake = camel_to_snake(&key.name);
    let mut d = Diagnostic::error(format!("unknown field `{}`", key.name))
        .at(key.span)
        .label("not in this kind's schema");
    d.help = if block.settable_names().any(|n| n == snake) && snake == key.name {
        Some(format!(
            "fields are camelCase: did you mean `{}`?",
            snake_to_camel(&snake)
        ))
    } else {
        suggestion(&key.name, camel_names.iter().map(String::as_str).collect())
    };
    if !top
        && ["Ref", "Refs", "Selector"]
            .iter()
            .any(|s| key.name.ends_with(s))
    {
        d = d.note(
            "references are supported only directly under `forProvider`",
            None,
        );
    }
    cx.err(d);
}

/// Converts the value of a known attribute or nested block.
fn member_value(cx: &mut Cx, block: &Block, name: &str, key: &Key, value: &Node) -> Option<Value> {
    if let Some(a) = block.attributes.get(name) {
        if !(a.required || a.optional) {
            cx.err(
                Diagnostic::error(format!(
                    "`{}` is set by AWS and cannot be configured",
                    key.name
                ))
                .at(key.span)
                .help("remove it; it is reported in the resource's state"),
            );
            return None;
        }
        if matches!(value.v, N::Null) {
            return None;
        }
        return typed_value(cx, &a.ty, value, &key.name);
    }
    let bs = block.blocks.get(name)?;
    let items: Vec<&Node> = match &value.v {
        N::Null => return None,
        N::Seq(items) => items.iter().collect(),
        N::Map(_) => vec![value],
        _ => {
            cx.err(
                Diagnostic::error(format!("`{}` must be a list of objects", key.name))
                    .at(value.span)
                    .label(format!("this is {}", value.what())),
            );
            return None;
        }
    };
    if bs.nesting == Nesting::Single && items.len() > 1 {
        cx.err(
            Diagnostic::error(format!("`{}` takes at most one object", key.name))
                .at(items[1].span)
                .label("second object"),
        );
        return None;
    }
    let mut out = Vec::new();
    for item in items {
        let N::Map(entries) = &item.v else {
            cx.err(
                Diagnostic::error(format!("each item of `{}` must be a mapping", key.name))
                    .at(item.span)
                    .label(format!("this is {}", item.what())),
            );
            continue;
        };
        let mut obj = Map::new();
        for (k, v) in entries {
            match find_member(&bs.block, &k.name) {
                Some(n) => {
                    if let Some(val) = member_value(cx, &bs.block, &n, k, v) {
                        obj.insert(n, val);
                    }
                }
                None => unknown_member(cx, &bs.block, k, false),
            }
        }
        out.push(Value::Map(obj));
    }
    Some(Value::List(out))
}

fn type_label(ty: &AttrType) -> &'static str {
    match ty {
        AttrType::String => "a string",
        AttrType::Number => "a number",
        AttrType::Bool => "a boolean",
        AttrType::List(_) | AttrType::Set(_) => "a list",
        AttrType::Map(_) => "a mapping",
        AttrType::Json => "a JSON string",
        AttrType::Dynamic => "any value",
    }
}

/// Converts a value, checking its shape against the schema type. Scalars of another scalar type
/// pass through unchanged (the engine coerces them); only impossible shapes are errors.
fn typed_value(cx: &mut Cx, ty: &AttrType, node: &Node, what: &str) -> Option<Value> {
    let mismatch = |cx: &mut Cx| {
        cx.err(
            Diagnostic::error(format!("`{what}` must be {}", type_label(ty)))
                .at(node.span)
                .label(format!("this is {}", node.what())),
        );
        None
    };
    match (&node.v, ty) {
        (N::Null, _) => Some(Value::Null),
        (_, AttrType::Dynamic) => Some(node.plain()),
        (N::Seq(_) | N::Map(_), AttrType::Json) => {
            Some(Value::String(node.plain().to_json().to_string()))
        }
        (N::Seq(_) | N::Map(_), AttrType::String | AttrType::Number | AttrType::Bool) => {
            mismatch(cx)
        }
        (N::Str(s), AttrType::Bool) if s != "true" && s != "false" => {
            let mut d = Diagnostic::error(format!("`{what}` must be a boolean"))
                .at(node.span)
                .label(format!("this is the string {s:?}"));
            if ["yes", "no", "on", "off", "y", "n"].contains(&s.to_lowercase().as_str()) {
                d = d.help("terrane reads YAML 1.2: write `true` or `false`");
            }
            cx.err(d);
            None
        }
        (N::Str(s), AttrType::Number) if s.trim().parse::<f64>().is_err() => {
            cx.err(
                Diagnostic::error(format!("`{what}` must be a number"))
                    .at(node.span)
                    .label(format!("{s:?} is not a number")),
            );
            None
        }
        (_, AttrType::String | AttrType::Number | AttrType::Bool | AttrType::Json) => {
            Some(node.plain())
        }
        (N::Seq(items), AttrType::List(inner) | AttrType::Set(inner)) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                out.push(typed_value(cx, inner, item, &format!("{what}[{i}]"))?);
            }
            Some(Value::List(out))
        }
        (N::Map(m), AttrType::Map(inner)) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(
                    k.name.clone(),
                    typed_value(cx, inner, v, &format!("{what}.{}", k.name))?,
                );
            }
            Some(Value::Map(out))
        }
        _ => mismatch(cx),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum RefKind {
    Ref,
    Refs,
    Selector,
}

/// Reads a `...Ref`, `...Refs` or `...Selector` key: the attribute it fills and its refs.
/// `None` when the key is not reference-shaped (the caller reports it as unknown); `Some(Err)`
/// when it was reported here.
fn reference(
    cx: &mut Cx,
    schema: &Schema,
    key: &Key,
    value: &Node,
) -> Option<Result<(String, Vec<YamlRef>), ()>> {
    let (base, kind) = if let Some(b) = key.name.strip_suffix("Refs") {
        (b, RefKind::Refs)
    } else if let Some(b) = key.name.strip_suffix("Ref") {
        (b, RefKind::Ref)
    } else if let Some(b) = key.name.strip_suffix("Selector") {
        (b, RefKind::Selector)
    } else {
        return None;
    };
    if base.is_empty() {
        return None;
    }
    let body = &schema.body;
    let lookup = |camel: &str| {
        body.attributes
            .iter()
            .find(|(n, a)| snake_to_camel(n) == camel && (a.required || a.optional))
            .map(|(n, a)| {
                (
                    n.clone(),
                    matches!(a.ty, AttrType::List(_) | AttrType::Set(_)),
                )
            })
    };
    let plural = format!("{base}s");
    let found = match kind {
        RefKind::Ref => lookup(base),
        RefKind::Refs => lookup(&plural).or_else(|| lookup(base)),
        RefKind::Selector => lookup(base).or_else(|| lookup(&plural)),
    };
    let Some((attr, is_list)) = found else {
        let candidates: Vec<String> = body
            .settable_names()
            .filter(|n| body.attributes.contains_key(*n))
            .map(|n| {
                let camel = snake_to_camel(n);
                let stem = camel.strip_suffix('s').filter(|_| kind == RefKind::Refs);
                format!(
                    "{}{}",
                    stem.unwrap_or(&camel),
                    match kind {
                        RefKind::Ref => "Ref",
                        RefKind::Refs => "Refs",
                        RefKind::Selector => "Selector",
                    }
                )
            })
            .collect();
        let mut d = Diagnostic::error(format!(
            "`{}` refers to a field `{}` that `{}` does not have",
            key.name, base, schema.type_name
        ))
        .at(key.span);
        d.help = suggestion(&key.name, candidates.iter().map(String::as_str).collect());
        cx.err(d);
        return Some(Err(()));
    };
    if kind == RefKind::Refs && !is_list {
        cx.err(
            Diagnostic::error(format!("`{}` takes a single value", snake_to_camel(&attr)))
                .at(key.span)
                .help(format!("use `{base}Ref` with one name")),
        );
        return Some(Err(()));
    }
    if kind == RefKind::Ref && is_list {
        cx.err(
            Diagnostic::error(format!("`{}` is a list", snake_to_camel(&attr)))
                .at(key.span)
                .help(format!("use `{base}Refs: [{{name: ...}}]`")),
        );
        return Some(Err(()));
    }
    let target_attr = if attr.ends_with("_arn") || attr.ends_with("_arns") {
        "arn"
    } else {
        "id"
    }
    .to_string();
    let make = |name: Option<String>, match_labels, span| YamlRef {
        attr: attr.clone(),
        name,
        match_labels,
        target_attr: target_attr.clone(),
        list: is_list,
        span,
    };
    let mut refs = Vec::new();
    match kind {
        RefKind::Ref => {
            if let Some(n) = ref_name(cx, value, &key.name) {
                refs.push(make(Some(n), BTreeMap::new(), key.span));
            }
        }
        RefKind::Refs => match &value.v {
            N::Seq(items) if !items.is_empty() => {
                for item in items {
                    if let Some(n) = ref_name(cx, item, &key.name) {
                        refs.push(make(Some(n), BTreeMap::new(), item.span));
                    }
                }
            }
            _ => cx.err(
                Diagnostic::error(format!("`{}` must be a non-empty list", key.name))
                    .at(value.span)
                    .help(format!("e.g. `{}: [{{name: a}}, {{name: b}}]`", key.name)),
            ),
        },
        RefKind::Selector => {
            if matches!(value.v, N::Map(_)) {
                cx.only_keys(
                    value,
                    &["matchLabels", "matchControllerRef", "policy"],
                    &format!("`{}`", key.name),
                );
                let labels = match value.get("matchLabels") {
                    Some((_, lv)) => cx.string_map(lv, &format!("{}.matchLabels", key.name)),
                    None => BTreeMap::new(),
                };
                refs.push(make(None, labels, key.span));
            } else {
                cx.err(
                    Diagnostic::error(format!("`{}` must be a mapping", key.name))
                        .at(value.span)
                        .help(format!(
                            "e.g. `{}: {{matchLabels: {{team: payments}}}}`",
                            key.name
                        )),
                );
            }
        }
    }
    Some(Ok((attr, refs)))
}

/// The `name` of a `{name: x, policy: {...}}` reference.
fn ref_name(cx: &mut Cx, node: &Node, what: &str) -> Option<String> {
    if !matches!(node.v, N::Map(_)) {
        cx.err(
            Diagnostic::error(format!("`{what}` must be a mapping with a `name`"))
                .at(node.span)
                .help(format!("e.g. `{what}: {{name: my-resource}}`")),
        );
        return None;
    }
    cx.only_keys(node, &["name", "policy"], &format!("`{what}`"));
    match node.get("name") {
        Some((_, v)) => cx.string(v, &format!("{what}.name")).map(str::to_string),
        None => {
            cx.err(
                Diagnostic::error(format!("`{what}` needs a `name`"))
                    .at(node.span)
                    .help("give the metadata.name of the resource it refers to"),
            );
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reference resolution.

/// Types an attribute's references are expected to point at, where the attribute's stem does not
/// end the type name by itself.
const STEM_TYPES: &[(&str, &[&str])] = &[
    ("bucket", &["aws_s3_bucket"]),
    ("role", &["aws_iam_role"]),
    ("policy", &["aws_iam_policy"]),
    ("topic", &["aws_sns_topic"]),
    ("queue", &["aws_sqs_queue"]),
    ("gateway", &["aws_internet_gateway", "aws_vpn_gateway"]),
    ("target_key", &["aws_kms_key"]),
    ("key", &["aws_kms_key"]),
    ("group", &["aws_iam_group"]),
    ("user", &["aws_iam_user"]),
    ("allocation", &["aws_eip"]),
    ("secret", &["aws_secretsmanager_secret"]),
];

fn attr_stem(attr: &str) -> &str {
    [
        "_ids", "_id", "_arns", "_arn", "_urls", "_url", "_names", "_name",
    ]
    .iter()
    .find_map(|s| attr.strip_suffix(s).filter(|b| !b.is_empty()))
    .unwrap_or(attr)
}

/// The stem and its shorter forms that still have two words: `vpc_security_group`,
/// `security_group` (so `vpcSecurityGroupIds` finds `aws_security_group`).
fn stem_variants(attr: &str) -> Vec<&str> {
    let stem = attr_stem(attr);
    let mut out = vec![stem];
    let mut rest = stem;
    while let Some((_, tail)) = rest.split_once('_') {
        if !tail.contains('_') {
            break;
        }
        out.push(tail);
        rest = tail;
    }
    out
}

/// The types a reference for `attr` should point at, for messages.
fn expected_types(attr: &str) -> Vec<String> {
    let stem = attr_stem(attr);
    match STEM_TYPES.iter().find(|(s, _)| *s == stem) {
        Some((_, types)) => types.iter().map(|t| t.to_string()).collect(),
        None => stem_variants(attr)
            .iter()
            .map(|v| format!("aws_{v}"))
            .collect(),
    }
}

/// Whether a resource of `type_name` fits a reference for `attr`.
fn type_fits(attr: &str, type_name: &str) -> bool {
    let stem = attr_stem(attr);
    match STEM_TYPES.iter().find(|(s, _)| *s == stem) {
        Some((_, types)) => types.contains(&type_name),
        None => stem_variants(attr)
            .iter()
            .any(|v| type_name.ends_with(&format!("_{v}"))),
    }
}

fn show_labels(l: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = l.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", inner.join(", "))
}

fn list_addrs(c: &[&(ResourceAddr, String, BTreeMap<String, String>)]) -> String {
    let mut names: Vec<String> = c.iter().take(10).map(|x| x.0.to_string()).collect();
    if c.len() > 10 {
        names.push(format!("and {} more", c.len() - 10));
    }
    names.join(", ")
}

/// Resolves each ref to a target address among `candidates` (all resources from YAML and HCL:
/// address, metadata/resource name, labels). Candidates of the type the attribute calls for are
/// preferred; for a name, another type is accepted only when no candidate of a fitting type exists
/// at all (an attribute terrane cannot map to a type) and the name alone is unambiguous.
/// Selectors only ever match fitting types.
#[allow(clippy::type_complexity)]
pub fn resolve_refs(
    res: &YamlResource,
    candidates: &[(ResourceAddr, String, BTreeMap<String, String>)],
) -> Result<Vec<(YamlRef, Vec<ResourceAddr>)>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut diags = Vec::new();
    let others: Vec<&(ResourceAddr, String, BTreeMap<String, String>)> = candidates
        .iter()
        .filter(|(a, n, _)| !(a.type_name == res.type_name && *n == res.name))
        .collect();
    for r in &res.refs {
        let want = expected_types(&r.attr).join(" or ");
        let typed: Vec<_> = others
            .iter()
            .copied()
            .filter(|c| type_fits(&r.attr, &c.0.type_name))
            .collect();
        let what = match &r.name {
            Some(n) => format!("{want} named `{n}`"),
            None => format!("{want} with labels {}", show_labels(&r.match_labels)),
        };
        let matched: Vec<_> = others
            .iter()
            .copied()
            .filter(|c| match &r.name {
                Some(n) => &c.1 == n,
                None => r.match_labels.iter().all(|(k, v)| c.2.get(k) == Some(v)),
            })
            .collect();
        let fitting: Vec<_> = matched
            .iter()
            .copied()
            .filter(|c| type_fits(&r.attr, &c.0.type_name))
            .collect();
        let chosen = if !fitting.is_empty() || !typed.is_empty() || r.name.is_none() {
            fitting
        } else {
            matched.clone()
        };
        let attr = &r.attr;
        let fail = |msg: String| {
            Diagnostic::error(msg)
                .at(r.span)
                .label(format!("looking for {what}"))
        };
        match chosen.len() {
            0 => {
                let mut d = fail(format!(
                    "cannot resolve the reference for `{attr}`: no {what}"
                ));
                if let Some(other) = matched.first() {
                    d = d.note(
                        format!("`{}` matches, but `{attr}` needs {want}", other.0),
                        None,
                    );
                }
                d = if typed.is_empty() {
                    d.note(format!("no {want} is declared"), None)
                } else {
                    d.note(format!("declared: {}", list_addrs(&typed)), None)
                };
                if let Some(n) = &r.name {
                    d.help = suggestion(n, typed.iter().map(|c| c.1.as_str()).collect());
                } else {
                    let labelled: Vec<String> = typed
                        .iter()
                        .take(5)
                        .map(|c| format!("{} {}", c.0, show_labels(&c.2)))
                        .collect();
                    if !labelled.is_empty() {
                        d = d.note(format!("their labels: {}", labelled.join("; ")), None);
                    }
                }
                diags.push(d);
            }
            1 => out.push((r.clone(), vec![chosen[0].0.clone()])),
            _ if r.list && r.name.is_none() => {
                out.push((r.clone(), chosen.iter().map(|c| c.0.clone()).collect()));
            }
            n => {
                let mut d = fail(format!(
                    "ambiguous reference for `{attr}`: {n} resources match ({})",
                    list_addrs(&chosen)
                ));
                d.help = Some(if r.name.is_some() {
                    "give the resources distinct names".to_string()
                } else {
                    "add labels so that exactly one resource matches, or use a Ref by name"
                        .to_string()
                });
                diags.push(d);
            }
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::{Mode, ModulePath};
    use crate::diag::SourceMap;
    use std::path::Path;
    use terrane_provider::{tags_attributes, Attribute, BlockSchema};

    fn s() -> AttrType {
        AttrType::String
    }

    fn schemas() -> Vec<Schema> {
        vec![
            Schema::managed(
                "aws_sqs_queue",
                tags_attributes(
                    Block::new()
                        .attr("name", Attribute::optional_computed(s()).force_new())
                        .attr("name_prefix", Attribute::optional(s()))
                        .attr(
                            "message_retention_seconds",
                            Attribute::optional(AttrType::Number),
                        )
                        .attr("redrive_policy", Attribute::optional(AttrType::Json))
                        .attr("kms_master_key_id", Attribute::optional(s()))
                        .attr("fifo_queue", Attribute::optional(AttrType::Bool))
                        .attr("arn", Attribute::computed(s()))
                        .attr("url", Attribute::computed(s())),
                ),
            )
            .crossplane("sqs.aws.upbound.io", "Queue")
            .taggable(),
            Schema::managed(
                "aws_s3_bucket",
                tags_attributes(
                    Block::new()
                        .attr("bucket", Attribute::optional_computed(s()))
                        .attr("bucket_prefix", Attribute::optional(s()))
                        .attr("force_destroy", Attribute::optional(AttrType::Bool)),
                ),
            )
            .crossplane("s3.aws.upbound.io", "Bucket"),
            Schema::managed(
                "aws_s3_bucket_versioning",
                Block::new().attr("bucket", Attribute::required(s())).block(
                    "versioning_configuration",
                    BlockSchema::single(
                        Block::new()
                            .attr("status", Attribute::required(s()))
                            .attr("mfa_delete", Attribute::optional(s())),
                    ),
                ),
            )
            .crossplane("s3.aws.upbound.io", "BucketVersioning"),
            Schema::managed(
                "aws_vpc",
                tags_attributes(
                    Block::new()
                        .attr("cidr_block", Attribute::optional(s()))
                        .attr("enable_dns_hostnames", Attribute::optional(AttrType::Bool))
                        .attr("ipv6_cidr_block", Attribute::optional(s())),
                ),
            )
            .crossplane("ec2.aws.upbound.io", "VPC"),
            Schema::managed(
                "aws_security_group",
                Block::new()
                    .attr("name", Attribute::optional(s()))
                    .attr("vpc_id", Attribute::optional(s()))
                    .block(
                        "ingress",
                        BlockSchema::set(
                            Block::new()
                                .attr("from_port", Attribute::required(AttrType::Number))
                                .attr("to_port", Attribute::required(AttrType::Number))
                                .attr("protocol", Attribute::required(s()))
                                .attr(
                                    "cidr_blocks",
                                    Attribute::optional(AttrType::List(Box::new(s()))),
                                ),
                        ),
                    ),
            )
            .crossplane("ec2.aws.upbound.io", "SecurityGroup"),
            Schema::managed(
                "aws_instance",
                Block::new()
                    .attr("ami", Attribute::required(s()))
                    .attr("subnet_id", Attribute::optional(s()))
                    .attr(
                        "vpc_security_group_ids",
                        Attribute::optional(AttrType::Set(Box::new(s()))),
                    ),
            )
            .crossplane("ec2.aws.upbound.io", "Instance"),
            Schema::managed(
                "aws_iam_role_policy_attachment",
                Block::new()
                    .attr("role", Attribute::required(s()))
                    .attr("policy_arn", Attribute::required(s())),
            )
            .crossplane("iam.aws.upbound.io", "RolePolicyAttachment"),
            Schema::managed(
                "aws_iam_role_policy",
                Block::new()
                    .attr("name", Attribute::optional(s()))
                    .attr("role", Attribute::required(s()))
                    .attr("policy", Attribute::required(AttrType::Json)),
            )
            .crossplane("iam.aws.upbound.io", "RolePolicy"),
        ]
    }

    fn lookup(group: &str, kind: &str) -> Option<Schema> {
        static ALL: std::sync::OnceLock<Vec<Schema>> = std::sync::OnceLock::new();
        ALL.get_or_init(schemas)
            .iter()
            .find(|s| {
                s.crossplane
                    .as_ref()
                    .is_some_and(|c| c.group == group && c.kind == kind)
            })
            .cloned()
    }

    fn kinds() -> Vec<(String, String)> {
        schemas()
            .iter()
            .filter_map(|s| s.crossplane.as_ref())
            .map(|c| (c.group.to_string(), c.kind.to_string()))
            .collect()
    }

    fn parse(text: &str) -> (SourceMap, Vec<YamlResource>, Vec<Diagnostic>) {
        let mut sm = SourceMap::new();
        let f = sm.add("m.yaml", Path::new("m.yaml"), text);
        let (r, d) = parse_file(f, text, &lookup, &kinds());
        (sm, r, d)
    }

    fn ok(text: &str) -> Vec<YamlResource> {
        let (sm, r, d) = parse(text);
        assert!(
            d.iter().all(|d| !d.is_error()),
            "{}",
            crate::diag::render_all(&d, &sm)
        );
        r
    }

    /// The single error of `text`, as (location, message, rendered).
    fn one_error(text: &str) -> (String, String, String) {
        let (sm, r, d) = parse(text);
        let errs: Vec<_> = d.iter().filter(|d| d.is_error()).collect();
        assert_eq!(errs.len(), 1, "{}", crate::diag::render_all(&d, &sm));
        assert!(r.is_empty());
        let e = errs[0];
        (
            sm.location(e.span.expect("error has a span")),
            e.message.clone(),
            e.render(&sm),
        )
    }

    fn get<'a>(r: &'a YamlResource, k: &str) -> &'a Value {
        r.attrs.get(k).unwrap_or(&Value::Null)
    }

    const EXAMPLE: &str = r#"apiVersion: sqs.aws.upbound.io/v1beta1
kind: Queue
metadata:
  name: orders-dlq
  labels: {team: payments}
  annotations: {crossplane.io/external-name: my-real-name}
spec:
  deletionPolicy: Delete        # or Orphan
  managementPolicies: ["*"]
  providerConfigRef: {name: default}
  forProvider:
    region: us-east-1
    messageRetentionSeconds: 1209600
    redrivePolicy: '{"deadLetterTargetArn":"...","maxReceiveCount":4}'
    tags: {Env: prod, costCenter: "42"}
---
apiVersion: s3.aws.upbound.io/v1beta1
kind: BucketVersioning
metadata: {name: logs-versioning}
spec:
  providerConfigRef: {name: west}
  forProvider:
    bucketRef: {name: logs}
    versioningConfiguration: [{status: Enabled}]
---
# an empty document
---
apiVersion: s3.aws.upbound.io/v1beta1
kind: Bucket
metadata:
  name: logs
spec:
  forProvider:
    forceDestroy: true
"#;

    #[test]
    fn happy_path_multi_document() {
        let r = ok(EXAMPLE);
        assert_eq!(r.len(), 3);
        let q = &r[0];
        assert_eq!(q.type_name, "aws_sqs_queue");
        assert_eq!(q.name, "orders-dlq");
        assert_eq!(
            get(q, "message_retention_seconds"),
            &Value::Number(1209600.0)
        );
        assert_eq!(
            get(q, "redrive_policy").as_str(),
            Some(r#"{"deadLetterTargetArn":"...","maxReceiveCount":4}"#)
        );
        assert!(q.attrs.get("region").is_none());
        assert_eq!(q.labels.get("team").map(String::as_str), Some("payments"));
        assert_eq!(q.provider_alias, None);
        assert_eq!(q.deletion_policy, DeletionPolicy::Delete);
        assert_eq!(q.management, Management::Full);
        let (sm, _, _) = parse(EXAMPLE);
        assert_eq!(sm.location(q.span), "m.yaml:2:1");
        assert_eq!(
            sm.location(q.attr_spans["message_retention_seconds"]),
            "m.yaml:13:5"
        );

        let v = &r[1];
        assert_eq!(v.type_name, "aws_s3_bucket_versioning");
        assert_eq!(v.provider_alias.as_deref(), Some("west"));
        assert_eq!(sm.location(v.span), "m.yaml:18:1");
        let b = &r[2];
        assert_eq!(b.type_name, "aws_s3_bucket");
        assert_eq!(get(b, "bucket").as_str(), Some("logs"));
        assert_eq!(get(b, "force_destroy"), &Value::Bool(true));
        assert_eq!(sm.location(b.span), "m.yaml:29:1");
    }

    #[test]
    fn nested_blocks_and_camel_case_convert() {
        let r = ok(r#"
apiVersion: ec2.aws.upbound.io/v1beta1
kind: VPC
metadata: {name: main}
spec:
  forProvider:
    cidrBlock: 10.0.0.0/16
    enableDnsHostnames: true
    ipv6CidrBlock: "::/56"
---
apiVersion: ec2.aws.upbound.io/v1beta1
kind: SecurityGroup
metadata: {name: web}
spec:
  forProvider:
    ingress:
      - fromPort: 443
        toPort: 443
        protocol: tcp
        cidrBlocks: [0.0.0.0/0]
---
apiVersion: s3.aws.upbound.io/v1beta1
kind: BucketVersioning
metadata: {name: v}
spec:
  forProvider:
    bucket: logs
    versioningConfiguration: {status: Enabled}
"#);
        assert_eq!(get(&r[0], "cidr_block").as_str(), Some("10.0.0.0/16"));
        assert_eq!(get(&r[0], "enable_dns_hostnames"), &Value::Bool(true));
        assert_eq!(get(&r[0], "ipv6_cidr_block").as_str(), Some("::/56"));
        assert_eq!(
            get(&r[1], "ingress"),
            &Value::List(vec![Value::map([
                ("from_port", Value::Number(443.0)),
                ("to_port", Value::Number(443.0)),
                ("protocol", Value::string("tcp")),
                ("cidr_blocks", Value::List(vec![Value::string("0.0.0.0/0")])),
            ])])
        );
        // name defaults to metadata.name for a non-child type with a `name`.
        assert_eq!(get(&r[1], "name").as_str(), Some("web"));
        // A single object is accepted for a nested block and stored as a one-item list.
        assert_eq!(
            get(&r[2], "versioning_configuration"),
            &Value::List(vec![Value::map([("status", Value::string("Enabled"))])])
        );
    }

    #[test]
    fn camel_snake_round_trip() {
        for (c, sn) in [
            ("messageRetentionSeconds", "message_retention_seconds"),
            ("kmsMasterKeyId", "kms_master_key_id"),
            ("cidrBlock", "cidr_block"),
            ("enableDnsHostnames", "enable_dns_hostnames"),
            ("ipv6CidrBlock", "ipv6_cidr_block"),
        ] {
            assert_eq!(camel_to_snake(c), sn);
            assert_eq!(snake_to_camel(sn), c);
        }
        assert_eq!(camel_to_snake("enableDNSHostnames"), "enable_dns_hostnames");
    }

    #[test]
    fn tag_keys_are_kept_verbatim() {
        let r = ok(EXAMPLE);
        assert_eq!(
            get(&r[0], "tags"),
            &Value::map([
                ("Env", Value::string("prod")),
                ("costCenter", Value::string("42")),
            ])
        );
    }

    #[test]
    fn external_name_and_metadata_name_fill_the_primary_name() {
        let r = ok(EXAMPLE);
        assert_eq!(get(&r[0], "name").as_str(), Some("my-real-name"));
        // Explicit forProvider name wins; child types are left alone.
        let r = ok(r#"
apiVersion: sqs.aws.upbound.io/v1beta1
kind: Queue
metadata:
  name: q
  annotations: {crossplane.io/external-name: ext}
spec:
  forProvider: {name: explicit}
---
apiVersion: sqs.aws.upbound.io/v1beta1
kind: Queue
metadata: {name: prefixed}
spec:
  forProvider: {namePrefix: p-}
---
apiVersion: iam.aws.upbound.io/v1beta1
kind: RolePolicy
metadata: {name: inline}
spec:
  forProvider:
    role: r
    policy: {Version: "2012-10-17"}
"#);
        assert_eq!(get(&r[0], "name").as_str(), Some("explicit"));
        assert!(r[1].attrs.get("name").is_none());
        assert!(r[2].attrs.get("name").is_none());
        // A mapping given for a JSON attribute is encoded.
        assert_eq!(
            get(&r[2], "policy").as_str(),
            Some(r#"{"Version":"2012-10-17"}"#)
        );
    }

    #[test]
    fn orphan_and_observe_policies() {
        let doc = |spec: &str| {
            format!(
                "apiVersion: s3.aws.upbound.io/v1beta1\nkind: Bucket\nmetadata: {{name: b}}\nspec:\n{spec}  forProvider: {{}}\n"
            )
        };
        let r = ok(&doc("  deletionPolicy: Orphan\n"));
        assert_eq!(r[0].deletion_policy, DeletionPolicy::Orphan);
        assert_eq!(r[0].management, Management::Full);
        let r = ok(&doc("  managementPolicies: [\"Observe\"]\n"));
        assert_eq!(r[0].management, Management::ObserveOnly);
        let r = ok(&doc(
            "  managementPolicies: [Observe, Create, Update, LateInitialize]\n",
        ));
        assert_eq!(r[0].management, Management::Full);
        assert_eq!(r[0].deletion_policy, DeletionPolicy::Orphan);
        let (loc, msg, _) = one_error(&doc("  deletionPolicy: Orphn\n"));
        assert_eq!(loc, "m.yaml:5:19");
        assert!(msg.contains("Delete"), "{msg}");
        let (loc, _, _) = one_error(&doc("  managementPolicies: [Observe, Destroy]\n"));
        assert_eq!(loc, "m.yaml:5:33");
    }

    fn candidates() -> Vec<(ResourceAddr, String, BTreeMap<String, String>)> {
        let c = |t: &str, n: &str, labels: &[(&str, &str)]| {
            (
                ResourceAddr::new(ModulePath::root(), Mode::Managed, t, n),
                n.to_string(),
                labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        vec![
            c("aws_s3_bucket", "logs", &[]),
            c("aws_sqs_queue", "logs", &[]),
            c("aws_vpc", "main", &[("net", "prod")]),
            c("aws_vpc", "other", &[("net", "dev")]),
            c("aws_security_group", "web", &[("tier", "web")]),
            c("aws_security_group", "ssh", &[("tier", "web")]),
            c("aws_security_group", "db", &[("tier", "db")]),
            c("aws_iam_role", "app", &[]),
            c("aws_iam_policy", "read", &[]),
        ]
    }

    const REFS: &str = r#"apiVersion: ec2.aws.upbound.io/v1beta1
kind: Instance
metadata: {name: box}
spec:
  forProvider:
    ami: ami-123
    vpcSecurityGroupIdRefs:
      - name: web
      - name: db
---
apiVersion: ec2.aws.upbound.io/v1beta1
kind: Instance
metadata: {name: box2}
spec:
  forProvider:
    ami: ami-123
    vpcSecurityGroupIdSelector:
      matchLabels: {tier: web}
---
apiVersion: ec2.aws.upbound.io/v1beta1
kind: SecurityGroup
metadata: {name: sg}
spec:
  forProvider:
    vpcIdSelector:
      matchLabels: {net: prod}
---
apiVersion: iam.aws.upbound.io/v1beta1
kind: RolePolicyAttachment
metadata: {name: att}
spec:
  forProvider:
    roleRef: {name: app}
    policyArnRef: {name: read}
---
apiVersion: s3.aws.upbound.io/v1beta1
kind: BucketVersioning
metadata: {name: logs-versioning}
spec:
  forProvider:
    bucketRef: {name: logs}
"#;

    #[test]
    fn refs_and_selectors_resolve() {
        let r = ok(REFS);
        let cands = candidates();
        let addr = |t: &str, n: &str| ResourceAddr::new(ModulePath::root(), Mode::Managed, t, n);

        let box1 = resolve_refs(&r[0], &cands).unwrap();
        assert_eq!(box1.len(), 2);
        assert!(box1
            .iter()
            .all(|(r, _)| r.attr == "vpc_security_group_ids" && r.list));
        assert_eq!(box1[0].1, vec![addr("aws_security_group", "web")]);
        assert_eq!(box1[1].1, vec![addr("aws_security_group", "db")]);

        let box2 = resolve_refs(&r[1], &cands).unwrap();
        assert!(box2[0].0.list);
        assert_eq!(
            box2[0].1,
            vec![
                addr("aws_security_group", "web"),
                addr("aws_security_group", "ssh")
            ]
        );

        let sg = resolve_refs(&r[2], &cands).unwrap();
        assert_eq!(sg[0].0.attr, "vpc_id");
        assert!(!sg[0].0.list);
        assert_eq!(sg[0].0.target_attr, "id");
        assert_eq!(sg[0].1, vec![addr("aws_vpc", "main")]);

        let att = resolve_refs(&r[3], &cands).unwrap();
        assert_eq!(att[0].0.attr, "role");
        assert_eq!(att[0].1, vec![addr("aws_iam_role", "app")]);
        assert_eq!(att[1].0.attr, "policy_arn");
        assert_eq!(att[1].0.target_attr, "arn");
        assert_eq!(att[1].1, vec![addr("aws_iam_policy", "read")]);

        // Two resources are named `logs`; the bucket is chosen for `bucket`.
        let v = resolve_refs(&r[4], &cands).unwrap();
        assert_eq!(v[0].0.attr, "bucket");
        assert_eq!(v[0].1, vec![addr("aws_s3_bucket", "logs")]);
    }

    #[test]
    fn unresolvable_refs_point_at_the_ref() {
        let text = r#"apiVersion: s3.aws.upbound.io/v1beta1
kind: BucketVersioning
metadata: {name: v}
spec:
  forProvider:
    bucketRef: {name: logz}
---
apiVersion: ec2.aws.upbound.io/v1beta1
kind: Instance
metadata: {name: box}
spec:
  forProvider:
    ami: ami-1
    subnetIdSelector:
      matchLabels: {tier: web}
---
apiVersion: ec2.aws.upbound.io/v1beta1
kind: SecurityGroup
metadata: {name: sg}
spec:
  forProvider:
    vpcIdSelector: {}
"#;
        let (sm, r, d) = parse(text);
        assert!(d.is_empty());
        let cands = candidates();
        let e = resolve_refs(&r[0], &cands).unwrap_err();
        assert_eq!(sm.location(e[0].span.unwrap()), "m.yaml:6:5");
        let shown = e[0].render(&sm);
        assert!(shown.contains("aws_s3_bucket named `logz`"), "{shown}");
        assert!(shown.contains("did you mean `logs`"), "{shown}");
        let e = resolve_refs(&r[1], &cands).unwrap_err();
        assert_eq!(sm.location(e[0].span.unwrap()), "m.yaml:14:5");
        assert!(e[0].render(&sm).contains("no aws_subnet is declared"));
        let e = resolve_refs(&r[2], &cands).unwrap_err();
        assert_eq!(sm.location(e[0].span.unwrap()), "m.yaml:22:5");
        assert!(e[0].message.contains("ambiguous"), "{}", e[0].message);
    }

    #[test]
    fn ref_errors_in_the_manifest() {
        let doc = |body: &str| {
            format!("apiVersion: s3.aws.upbound.io/v1beta1\nkind: BucketVersioning\nmetadata: {{name: v}}\nspec:\n  forProvider:\n{body}")
        };
        let (loc, msg, _) = one_error(&doc("    bucketzRef: {name: a}\n"));
        assert_eq!(loc, "m.yaml:6:5");
        assert!(msg.contains("bucketz"), "{msg}");
        let (loc, msg, _) = one_error(&doc("    bucket: x\n    bucketRef: {name: a}\n"));
        assert_eq!(loc, "m.yaml:7:5");
        assert!(msg.contains("both"), "{msg}");
        let (loc, msg, _) = one_error(&doc("    bucketRef: {}\n"));
        assert_eq!(loc, "m.yaml:6:16");
        assert!(msg.contains("needs a `name`"), "{msg}");
    }

    #[test]
    fn invalid_yaml_reports_parser_location() {
        let (loc, msg, _) = one_error("apiVersion: v1\nkind: [Queue\nmetadata: x\n");
        assert!(msg.starts_with("invalid YAML"), "{msg}");
        assert!(loc.starts_with("m.yaml:3:"), "{loc}");
        // In a later document the location is still in file terms.
        let text = format!("{EXAMPLE}---\na: 'unterminated\n");
        let (sm, r, d) = parse(&text);
        assert_eq!(r.len(), 3);
        assert_eq!(d.len(), 1);
        assert_eq!(sm.location(d[0].span.unwrap()), "m.yaml:36:4");
        assert!(d[0].message.starts_with("invalid YAML"));
    }

    #[test]
    fn unknown_kind_and_group_suggest() {
        let (loc, msg, shown) =
            one_error("apiVersion: sqs.aws.upbound.io/v1beta1\nkind: Queu\nmetadata: {name: q}\nspec: {forProvider: {}}\n");
        assert_eq!(loc, "m.yaml:2:7");
        assert!(msg.contains("unknown kind `Queu`"), "{msg}");
        assert!(shown.contains("did you mean `Queue`"), "{shown}");
        let (loc, msg, shown) =
            one_error("apiVersion: sqs.aws.upbound.iox/v1beta1\nkind: Queue\nmetadata: {name: q}\nspec: {forProvider: {}}\n");
        assert_eq!(loc, "m.yaml:1:13");
        assert!(msg.contains("unknown API group"), "{msg}");
        assert!(shown.contains("sqs.aws.upbound.io/v1beta1"), "{shown}");
        // Crossplane v2 namespaced groups map onto the same kinds.
        let r = ok("apiVersion: sqs.aws.m.upbound.io/v1beta1\nkind: Queue\nmetadata: {name: q, namespace: team}\nspec: {forProvider: {}}\n");
        assert_eq!(r[0].type_name, "aws_sqs_queue");
    }

    #[test]
    fn unknown_attribute_suggests_camel_case() {
        let doc = |body: &str| {
            format!("apiVersion: sqs.aws.upbound.io/v1beta1\nkind: Queue\nmetadata: {{name: q}}\nspec:\n  forProvider:\n{body}")
        };
        let (loc, msg, shown) = one_error(&doc(
            "    region: us-east-1\n    messageRetentionSecond: 5\n",
        ));
        assert_eq!(loc, "m.yaml:7:5");
        assert!(msg.contains("messageRetentionSecond"), "{msg}");
        assert!(
            shown.contains("did you mean `messageRetentionSeconds`"),
            "{shown}"
        );
        let (loc, _, shown) = one_error(&doc("    kms_master_key_id: k\n"));
        assert_eq!(loc, "m.yaml:6:5");
        assert!(shown.contains("`kmsMasterKeyId`"), "{shown}");
        let (loc, msg, _) = one_error(&doc("    arn: x\n"));
        assert_eq!(loc, "m.yaml:6:5");
        assert!(msg.contains("set by AWS"), "{msg}");
        // Inside a nested block.
        let (loc, _, shown) = one_error(
            "apiVersion: s3.aws.upbound.io/v1beta1\nkind: BucketVersioning\nmetadata: {name: v}\nspec:\n  forProvider:\n    bucket: b\n    versioningConfiguration:\n      - statu: Enabled\n",
        );
        assert_eq!(loc, "m.yaml:8:9");
        assert!(shown.contains("`status`"), "{shown}");
    }

    #[test]
    fn missing_fields_are_located() {
        let (loc, msg, _) =
            one_error("apiVersion: s3.aws.upbound.io/v1beta1\nkind: Bucket\nmetadata:\n  labels: {a: b}\nspec: {forProvider: {}}\n");
        assert_eq!(loc, "m.yaml:3:1");
        assert_eq!(msg, "missing `metadata.name`");
        let (loc, msg, _) =
            one_error("\n\nkind: Bucket\nmetadata: {name: b}\nspec: {forProvider: {}}\n");
        assert_eq!(loc, "m.yaml:3:1");
        assert_eq!(msg, "missing `apiVersion`");
        let (loc, msg, _) =
            one_error("apiVersion: s3.aws.upbound.io/v1beta1\nkind: Bucket\nmetadata: {name: b}\nspec:\n  deletionPolicy: Delete\n");
        assert_eq!(loc, "m.yaml:4:1");
        assert_eq!(msg, "missing `spec.forProvider`");
    }

    #[test]
    fn duplicate_keys_show_both_places() {
        let (sm, r, d) = parse(
            "apiVersion: s3.aws.upbound.io/v1beta1\nkind: Bucket\nmetadata: {name: b}\nspec:\n  forProvider:\n    forceDestroy: true\n    forceDestroy: false\n",
        );
        assert!(r.is_empty());
        assert_eq!(d.len(), 1);
        assert_eq!(sm.location(d[0].span.unwrap()), "m.yaml:7:5");
        assert_eq!(d[0].message, "duplicate key `forceDestroy`");
        assert_eq!(sm.location(d[0].notes[0].1.unwrap()), "m.yaml:6:5");
    }

    #[test]
    fn yaml_1_1_booleans_stay_strings() {
        let r = ok("apiVersion: s3.aws.upbound.io/v1beta1\nkind: Bucket\nmetadata:\n  name: b\nspec:\n  forProvider:\n    tags: {Public: no, Backup: on, Keep: yes}\n");
        assert_eq!(
            get(&r[0], "tags"),
            &Value::map([
                ("Public", Value::string("no")),
                ("Backup", Value::string("on")),
                ("Keep", Value::string("yes")),
            ])
        );
        let (loc, _, shown) = one_error(
            "apiVersion: s3.aws.upbound.io/v1beta1\nkind: Bucket\nmetadata:\n  name: b\nspec:\n  forProvider:\n    forceDestroy: no\n",
        );
        assert_eq!(loc, "m.yaml:7:19");
        assert!(shown.contains("write `true` or `false`"), "{shown}");
    }

    #[test]
    fn shapes_are_checked_and_strings_kept() {
        let doc = |body: &str| {
            format!("apiVersion: sqs.aws.upbound.io/v1beta1\nkind: Queue\nmetadata: {{name: q}}\nspec:\n  forProvider:\n{body}")
        };
        let r = ok(&doc("    messageRetentionSeconds: \"60\"\n"));
        assert_eq!(
            get(&r[0], "message_retention_seconds"),
            &Value::string("60")
        );
        let (loc, msg, _) = one_error(&doc("    kmsMasterKeyId: {a: 1}\n"));
        assert_eq!(loc, "m.yaml:6:21");
        assert!(msg.contains("must be a string"), "{msg}");
        let (loc, _, _) = one_error(&doc("    tags: [a]\n"));
        assert_eq!(loc, "m.yaml:6:11");
    }

    #[test]
    fn several_bad_documents_each_report() {
        let text = "apiVersion: s3.aws.upbound.io/v1beta1\nkind: Bucket\nmetadata: {name: a}\nspec: {forProvider: {nope: 1}}\n---\n- just\n- a list\n---\n--- 42\n---\napiVersion: s3.aws.upbound.io/v1beta1\nkind: Bucket\nmetadata: {name: fine}\nspec: {forProvider: {}}\n";
        let (sm, r, d) = parse(text);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].name, "fine");
        let locs: Vec<String> = d.iter().map(|d| sm.location(d.span.unwrap())).collect();
        assert_eq!(locs, ["m.yaml:4:22", "m.yaml:6:1", "m.yaml:9:5"]);
        assert!(d[1].message.contains("mapping"));
    }

    #[test]
    fn same_kind_and_name_twice_is_an_error() {
        let doc = "apiVersion: s3.aws.upbound.io/v1beta1\nkind: Bucket\nmetadata: {name: a}\nspec: {forProvider: {}}\n";
        let (sm, r, d) = parse(&format!("{doc}---\n{doc}"));
        assert_eq!(r.len(), 1);
        assert_eq!(d.len(), 1);
        assert_eq!(sm.location(d[0].span.unwrap()), "m.yaml:7:1");
        assert_eq!(sm.location(d[0].notes[0].1.unwrap()), "m.yaml:2:1");
    }

    #[test]
    fn unknown_metadata_fields_only_warn() {
        let (sm, r, d) = parse("apiVersion: s3.aws.upbound.io/v1beta1\nkind: Bucket\nmetadata:\n  name: a\n  lables: {x: y}\nspec: {forProvider: {}}\n");
        assert_eq!(r.len(), 1);
        assert_eq!(d.len(), 1);
        assert!(!d[0].is_error());
        assert_eq!(sm.location(d[0].span.unwrap()), "m.yaml:5:3");
        assert_eq!(d[0].help.as_deref(), Some("did you mean `labels`?"));
    }

    #[test]
    fn reference_types_follow_the_attribute() {
        assert!(type_fits("vpc_id", "aws_vpc"));
        assert!(type_fits("vpc_security_group_ids", "aws_security_group"));
        assert!(type_fits("subnet_ids", "aws_subnet"));
        assert!(type_fits("bucket", "aws_s3_bucket"));
        assert!(type_fits("queue_url", "aws_sqs_queue"));
        assert!(type_fits("target_key_id", "aws_kms_key"));
        assert!(type_fits("kms_key_id", "aws_kms_key"));
        assert!(type_fits("gateway_id", "aws_internet_gateway"));
        assert!(type_fits("route_table_id", "aws_route_table"));
        assert!(!type_fits("bucket", "aws_sqs_queue"));
        assert!(!type_fits("policy_arn", "aws_s3_bucket_policy"));
        assert!(!type_fits("security_group_id", "aws_cloudwatch_log_group"));
    }

    #[test]
    fn empty_input_gives_nothing() {
        for t in [
            "",
            "\n",
            "---\n",
            "# only a comment\n---\n...\n",
            "\u{feff}---\n",
        ] {
            let (_, r, d) = parse(t);
            assert!(r.is_empty() && d.is_empty(), "{t:?}: {d:?}");
        }
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        const TOKENS: &[&str] = &[
            "apiVersion: ",
            "kind: ",
            "metadata:",
            "spec:",
            "forProvider:",
            "name: ",
            "  ",
            "    ",
            "\n",
            "---\n",
            "...\n",
            "- ",
            "[",
            "]",
            "{",
            "}",
            ",",
            ": ",
            "'",
            "\"",
            "#",
            "&a ",
            "*a",
            "<<: ",
            "!!str ",
            "|\n",
            ">-\n",
            "?",
            "Queue",
            "Bucket",
            "s3.aws.upbound.io/v1beta1",
            "sqs.aws.upbound.io/v1beta1",
            "bucketRef",
            "tags",
            "vpcIdSelector",
            "matchLabels",
            "no",
            "1e9",
            "-",
            "é",
            "\t",
            "\r\n",
            "~",
            "%YAML 1.2\n",
            "versioningConfiguration",
            "managementPolicies",
            "deletionPolicy",
            "Orphan",
        ];

        proptest! {
            // Each case parses eight documents with an unoptimised parser: fewer cases.
            #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

            #[test]
            fn mutated_manifests_never_panic(
                edits in proptest::collection::vec((any::<usize>(), 0..TOKENS.len(), 0usize..8), 1..6)
            ) {
                let mut text = format!("{EXAMPLE}---\n{REFS}");
                for (at, tok, cut) in edits {
                    let mut at = at % (text.len() + 1);
                    while !text.is_char_boundary(at) {
                        at -= 1;
                    }
                    let mut end = (at + cut).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(at..end, TOKENS[tok]);
                }
                let (sm, res, diags) = parse(&text);
                for d in &diags {
                    let _ = d.render(&sm);
                }
                for r in &res {
                    let _ = resolve_refs(r, &candidates());
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

            #[test]
            fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
                let text = String::from_utf8_lossy(&bytes);
                let _ = parse(&text);
            }

            #[test]
            fn token_soup_never_panics(idx in proptest::collection::vec(0..TOKENS.len(), 0..60)) {
                let text: String = idx.iter().map(|i| TOKENS[*i]).collect();
                let (_, res, _) = parse(&text);
                for r in &res {
                    let _ = resolve_refs(r, &candidates());
                }
            }
        }
    }
}
