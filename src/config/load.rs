//! Loading a configuration directory: parse every `*.tf` (hcl-edit, keeping spans) and
//! `*.yaml`/`*.yml` file, follow local `module` sources, read variable inputs, expand `count` /
//! `for_each`, evaluate what can be known before apply, check everything against the provider
//! schemas, and produce the `Config` model. All problems come back as diagnostics.

use super::eval::{coerce, Evaluator, NoValues, Scope};
use super::model::*;
use super::program::*;
use super::refs::{body_refs, expr_refs, Ref};
use super::types::Type;
use super::{suggest, yaml};
use crate::addr::{InstanceKey, Mode, ModulePath, ResourceAddr};
use crate::diag::{Diagnostic, FileId, SourceMap, Span};
use crate::source::{normalize, SourceTree};
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};
use hcl_edit::Span as _;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use terrane_provider::{Block as SchemaBlock, Map, ResourceMode, Schema, Value};

/// Variable inputs from the command line and environment (read by the CLI, not here).
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-var NAME=VALUE`, in order.
    pub vars: Vec<(String, String)>,
    /// `-var-file FILE`, in order.
    pub var_files: Vec<PathBuf>,
    /// `TF_VAR_NAME` environment variables.
    pub env_vars: Vec<(String, String)>,
}

/// The provider schemas the config is checked against.
#[derive(Debug, Clone, Default)]
pub struct Schemas {
    /// Shared, so each resource declaration holds a pointer rather than a copy.
    types: HashMap<String, Arc<Schema>>,
    kinds: HashMap<(String, String), String>,
    providers: BTreeSet<String>,
}

impl Schemas {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a provider's schemas under its local name (e.g. `aws`).
    pub fn add_provider(&mut self, name: &str, schemas: Vec<Schema>) {
        self.providers.insert(name.to_string());
        for s in schemas {
            if let Some(cp) = &s.crossplane {
                self.kinds.insert(
                    (cp.group.to_string(), cp.kind.to_string()),
                    s.type_name.to_string(),
                );
            }
            let key = mode_key(s.mode, s.type_name);
            self.types.insert(key, Arc::new(s));
        }
    }

    pub fn get(&self, mode: Mode, type_name: &str) -> Option<&Schema> {
        self.types.get(&schema_key(mode, type_name)).map(|s| &**s)
    }

    /// The schema as a shared pointer, for holding on to.
    fn get_shared(&self, mode: Mode, type_name: &str) -> Option<Arc<Schema>> {
        self.types.get(&schema_key(mode, type_name)).cloned()
    }

    fn names(&self, mode: Mode) -> impl Iterator<Item = &str> {
        self.types
            .values()
            .filter(move |s| (s.mode == ResourceMode::Data) == (mode == Mode::Data))
            .map(|s| s.type_name)
    }

    /// The type for a Crossplane (group, kind).
    pub fn by_kind(&self, group: &str, kind: &str) -> Option<&Schema> {
        self.kinds
            .get(&(group.to_string(), kind.to_string()))
            .and_then(|t| self.get(Mode::Managed, t))
    }

    fn all_kinds(&self) -> Vec<(String, String)> {
        let mut v: Vec<_> = self.kinds.keys().cloned().collect();
        v.sort();
        v
    }

    /// The provider that serves a type: the longest provider name that prefixes it.
    pub fn provider_of(&self, type_name: &str) -> String {
        self.providers
            .iter()
            .filter(|p| type_name == p.as_str() || type_name.starts_with(&format!("{p}_")))
            .max_by_key(|p| p.len())
            .cloned()
            .unwrap_or_else(|| type_name.split('_').next().unwrap_or(type_name).to_string())
    }
}

fn schema_key(mode: Mode, type_name: &str) -> String {
    let m = if mode == Mode::Data {
        ResourceMode::Data
    } else {
        ResourceMode::Managed
    };
    mode_key(m, type_name)
}

fn mode_key(mode: ResourceMode, t: &str) -> String {
    match mode {
        ResourceMode::Managed => t.to_string(),
        ResourceMode::Data => format!("data.{t}"),
    }
}

/// A failed load: the diagnostics and the sources they point into.
#[derive(Debug)]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
}

impl LoadError {
    pub fn render(&self) -> String {
        crate::diag::render_all(&self.diagnostics, &self.sources)
    }
}

const META_ARGS: &[&str] = &["count", "for_each", "depends_on", "provider", "lifecycle"];

struct Loader<'a> {
    tree: Arc<dyn SourceTree>,
    schemas: &'a Schemas,
    sources: SourceMap,
    diags: Vec<Diagnostic>,
    defs: Vec<ModuleDef>,
    def_by_dir: HashMap<PathBuf, usize>,
    decls: Vec<ResourceDecl>,
    providers: Vec<ProviderDecl>,
    moved: Vec<(Expression, Expression, FileId, Span)>,
    imports: Vec<(Expression, Expression, FileId, Span)>,
    required_providers: BTreeMap<String, String>,
    yaml: Vec<(yaml::YamlResource, FileId)>,
    root: PathBuf,
}

impl Loader<'_> {
    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn span(file: FileId, r: Option<std::ops::Range<usize>>) -> Span {
        Span::new(file, r.unwrap_or(0..0))
    }

    /// Parses one module directory (once per directory) and returns its index.
    fn load_module(&mut self, dir: &Path, depth: usize, call_span: Option<Span>) -> Option<usize> {
        let dir = normalize(dir);
        if let Some(&i) = self.def_by_dir.get(&dir) {
            return Some(i);
        }
        if depth > 32 {
            self.err(
                Diagnostic::error(
                    "modules are nested more than 32 levels deep (a module calls itself?)",
                )
                .at_opt(call_span),
            );
            return None;
        }
        let full = self.root.join(&dir);
        let files = match self.tree.list_files(&full) {
            Ok(f) => f,
            Err(e) => {
                self.err(
                    Diagnostic::error(format!(
                        "cannot read module directory {}: {e}",
                        full.display()
                    ))
                    .at_opt(call_span)
                    .help("check the path (module sources are relative to the calling module)"),
                );
                return None;
            }
        };
        let idx = self.defs.len();
        self.defs.push(ModuleDef {
            dir: dir.clone(),
            ..Default::default()
        });
        self.def_by_dir.insert(dir.clone(), idx);
        let mut calls = Vec::new();
        for name in files {
            let path = full.join(&name);
            let shown = normalize(&self.root.join(&dir).join(&name))
                .display()
                .to_string();
            let is_tf = name.ends_with(".tf");
            let is_yaml = depth == 0 && (name.ends_with(".yaml") || name.ends_with(".yml"));
            if !is_tf && !is_yaml {
                continue;
            }
            let text = match self.tree.read(&path) {
                Ok(t) => t,
                Err(e) => {
                    self.err(Diagnostic::error(e));
                    continue;
                }
            };
            let file = self.sources.add(shown, &path, text.as_str());
            if is_yaml {
                let schemas = self.schemas;
                let lookup = |g: &str, k: &str| schemas.by_kind(g, k).cloned();
                let (res, ds) = yaml::parse_file(file, &text, &lookup, &schemas.all_kinds());
                self.diags.extend(ds);
                self.yaml.extend(res.into_iter().map(|r| (r, file)));
                continue;
            }
            match hcl_edit::parser::parse_body(&text) {
                Ok(body) => calls.extend(self.read_body(idx, file, body)),
                Err(e) => {
                    let loc = e.location();
                    let off = self.sources.file(file).offset_of(loc.line(), loc.column());
                    self.err(
                        Diagnostic::error(format!("syntax error: {}", e.message()))
                            .at(Span::new(file, off..off + 1))
                            .help("fix the HCL syntax at this position"),
                    );
                }
            }
        }
        // Child modules are loaded after this module's own files.
        for (name, source, file, span, mut call) in calls {
            let child_dir = dir.join(&source);
            match self.load_module(&child_dir, depth + 1, Some(span)) {
                Some(c) => {
                    call.def = c;
                    self.defs[idx].calls.insert(name, call);
                }
                None => {
                    let _ = file;
                }
            }
        }
        Some(idx)
    }

    /// Reads the top-level blocks of one file into the module definition.
    fn read_body(
        &mut self,
        def: usize,
        file: FileId,
        body: Body,
    ) -> Vec<(String, String, FileId, Span, CallDecl)> {
        let mut calls = Vec::new();
        for attr in body.attributes() {
            self.err(
                Diagnostic::error(format!(
                    "unexpected attribute {:?} at the top level",
                    attr.key.as_str()
                ))
                .at(Self::span(file, attr.span()))
                .help("top-level arguments belong inside a block such as locals { ... }"),
            );
        }
        for block in body.into_blocks() {
            let span = Self::span(file, block.span());
            let labels: Vec<String> = block
                .labels
                .iter()
                .map(|l| l.as_str().to_string())
                .collect();
            let kind = block.ident.as_str().to_string();
            let want = |n: usize, this: &mut Self| -> bool {
                if labels.len() != n {
                    this.err(
                        Diagnostic::error(format!(
                            "a {kind} block needs {n} label{}, found {}",
                            if n == 1 { "" } else { "s" },
                            labels.len()
                        ))
                        .at(span)
                        .help(match kind.as_str() {
                            "resource" => "write resource \"TYPE\" \"NAME\" { ... }",
                            "data" => "write data \"TYPE\" \"NAME\" { ... }",
                            _ => "write BLOCK \"NAME\" { ... }",
                        }),
                    );
                    false
                } else {
                    true
                }
            };
            match kind.as_str() {
                "resource" | "data" => {
                    if want(2, self) {
                        let mode = if kind == "data" {
                            Mode::Data
                        } else {
                            Mode::Managed
                        };
                        self.read_resource(def, file, span, mode, &labels[0], &labels[1], block);
                    }
                }
                "variable" => {
                    if want(1, self) {
                        self.read_variable(def, file, span, &labels[0], block);
                    }
                }
                "locals" => {
                    for a in block.body.attributes() {
                        let name = a.key.as_str().to_string();
                        let aspan = Self::span(file, a.span());
                        if self.defs[def].locals.contains_key(&name) {
                            self.err(
                                Diagnostic::error(format!("duplicate local value {name:?}"))
                                    .at(aspan)
                                    .help("each local value may be defined only once per module"),
                            );
                            continue;
                        }
                        self.defs[def].locals.insert(
                            name,
                            LocalDecl {
                                expr: a.value.clone(),
                                file,
                                span: aspan,
                            },
                        );
                    }
                }
                "output" => {
                    if want(1, self) {
                        let b = &block.body;
                        let name = labels[0].clone();
                        let Some(v) = b.get_attribute("value") else {
                            self.err(
                                Diagnostic::error(format!("output {name:?} has no value"))
                                    .at(span)
                                    .help("add value = <expression>"),
                            );
                            continue;
                        };
                        if self.defs[def].outputs.contains_key(&name) {
                            self.err(
                                Diagnostic::error(format!("duplicate output {name:?}")).at(span),
                            );
                            continue;
                        }
                        let out = OutputDecl {
                            expr: v.value.clone(),
                            sensitive: literal_bool(b, "sensitive").unwrap_or(false),
                            description: literal_string(b, "description"),
                            depends_on: list_items(b.get_attribute("depends_on").map(|a| &a.value)),
                            file,
                            span,
                        };
                        self.defs[def].outputs.insert(name, out);
                    }
                }
                "provider" => {
                    if want(1, self) {
                        let alias = literal_string(&block.body, "alias");
                        let mut body = block.body.clone();
                        body.remove_attribute("alias");
                        if def != 0 {
                            self.diags.push(
                                Diagnostic::warning("provider blocks inside modules are ignored; configure providers in the root module and pass them with `providers = { ... }`")
                                    .at(span),
                            );
                            continue;
                        }
                        self.providers.push(ProviderDecl {
                            provider: ProviderRef {
                                name: labels[0].clone(),
                                alias,
                            },
                            body,
                            file,
                            span,
                        });
                    }
                }
                "module" => {
                    if want(1, self) {
                        if let Some(c) = self.read_call(file, span, &labels[0], block) {
                            calls.push(c);
                        }
                    }
                }
                "terraform" => {
                    for inner in block.body.blocks() {
                        match inner.ident.as_str() {
                            "required_providers" => {
                                for a in inner.body.attributes() {
                                    let src = match &a.value {
                                        Expression::Object(o) => o
                                            .iter()
                                            .find(|(k, _)| k.as_ident().is_some_and(|i| i.as_str() == "source"))
                                            .and_then(|(_, v)| v.expr().as_str().map(str::to_string)),
                                        Expression::String(s) => Some(s.value().clone()),
                                        _ => None,
                                    };
                                    self.required_providers
                                        .insert(a.key.as_str().to_string(), src.unwrap_or_default());
                                }
                            }
                            "backend" | "cloud" => self.diags.push(
                                Diagnostic::warning(format!(
                                    "the terraform {} block is ignored: terrane keeps its own state (see --state)",
                                    inner.ident.as_str()
                                ))
                                .at(Self::span(file, inner.span())),
                            ),
                            _ => {}
                        }
                    }
                }
                "moved" => {
                    let from = block.body.get_attribute("from").map(|a| a.value.clone());
                    let to = block.body.get_attribute("to").map(|a| a.value.clone());
                    match (from, to) {
                        (Some(f), Some(t)) => self.moved.push((f, t, file, span)),
                        _ => self
                            .err(Diagnostic::error("a moved block needs `from` and `to`").at(span)),
                    }
                }
                "import" => {
                    let to = block.body.get_attribute("to").map(|a| a.value.clone());
                    let id = block.body.get_attribute("id").map(|a| a.value.clone());
                    match (to, id) {
                        (Some(t), Some(i)) => self.imports.push((t, i, file, span)),
                        _ => self
                            .err(Diagnostic::error("an import block needs `to` and `id`").at(span)),
                    }
                }
                "check" | "removed" => self.diags.push(
                    Diagnostic::warning(format!(
                        "{kind} blocks are not supported yet and are ignored"
                    ))
                    .at(span),
                ),
                other => {
                    let known = [
                        "resource",
                        "data",
                        "variable",
                        "locals",
                        "output",
                        "provider",
                        "module",
                        "terraform",
                        "moved",
                        "import",
                    ];
                    let help = suggest(other, known.iter().copied())
                        .map(|m| format!("did you mean {m}?"))
                        .unwrap_or_else(|| format!("expected one of: {}", known.join(", ")));
                    self.err(
                        Diagnostic::error(format!("unsupported block type {other:?}"))
                            .at(span)
                            .help(help),
                    );
                }
            }
        }
        calls
    }

    #[allow(clippy::too_many_arguments)]
    fn read_resource(
        &mut self,
        def: usize,
        file: FileId,
        span: Span,
        mode: Mode,
        ty: &str,
        name: &str,
        block: Block,
    ) {
        let key = (mode, ty.to_string(), name.to_string());
        if self.defs[def].resources.contains_key(&key) {
            self.err(
                Diagnostic::error(format!(
                    "duplicate {} {ty}.{name}",
                    if mode == Mode::Data {
                        "data source"
                    } else {
                        "resource"
                    }
                ))
                .at(span)
                .help("resource names must be unique per type within a module"),
            );
            return;
        }
        let schema = self.lookup_schema(mode, ty, file, &block, span);
        let range = block.span().unwrap_or(span.start..span.end);
        let body = block.body;
        let count = body.get_attribute("count").map(|a| a.value.clone());
        let for_each = body.get_attribute("for_each").map(|a| a.value.clone());
        if count.is_some() && for_each.is_some() {
            self.err(
                Diagnostic::error("count and for_each cannot both be set")
                    .at(span)
                    .help("use one of them"),
            );
        }
        let depends_on = list_items(body.get_attribute("depends_on").map(|a| &a.value));
        let provider = body
            .get_attribute("provider")
            .and_then(|a| provider_ref(&a.value));
        let lifecycle = self.read_lifecycle(file, &body);
        let idx = self.decls.len();
        self.decls.push(ResourceDecl {
            def,
            mode,
            type_name: ty.to_string(),
            name: name.to_string(),
            body: DeclBody::Block(range, Some(body)),
            count,
            for_each,
            depends_on,
            lifecycle,
            provider,
            schema,
            file,
            span,
            yaml: None,
        });
        self.defs[def].resources.insert(key, idx);
    }

    fn lookup_schema(
        &mut self,
        mode: Mode,
        ty: &str,
        file: FileId,
        block: &Block,
        span: Span,
    ) -> Option<Arc<Schema>> {
        if let Some(s) = self.schemas.get_shared(mode, ty) {
            return Some(s);
        }
        let label_span = block
            .labels
            .first()
            .and_then(|l| l.span())
            .map(|r| Span::new(file, r))
            .unwrap_or(span);
        let what = if mode == Mode::Data {
            "data source"
        } else {
            "resource"
        };
        let help = suggest(ty, self.schemas.names(mode))
            .map(|m| format!("did you mean {m:?}?"))
            .unwrap_or_else(|| format!("see `terrane providers` for the supported {what} types"));
        self.err(
            Diagnostic::error(format!("unknown {what} type {ty:?}"))
                .at(label_span)
                .help(help),
        );
        None
    }

    fn read_lifecycle(&mut self, file: FileId, body: &Body) -> Lifecycle {
        let mut lc = Lifecycle::default();
        let Some(b) = body.get_blocks("lifecycle").next() else {
            return lc;
        };
        for a in b.body.attributes() {
            let aspan = Self::span(file, a.span());
            match a.key.as_str() {
                "prevent_destroy" => lc.prevent_destroy = a.value.as_bool().unwrap_or(false),
                "create_before_destroy" => lc.create_before_destroy = a.value.as_bool().unwrap_or(false),
                "ignore_changes" => {
                    lc.ignore_changes = match &a.value {
                        Expression::Variable(v) if v.as_str() == "all" => IgnoreChanges::All,
                        Expression::String(s) if s.as_str() == "all" => IgnoreChanges::All,
                        Expression::Array(arr) => IgnoreChanges::Paths(arr.iter().filter_map(traversal_path).collect()),
                        _ => {
                            self.err(
                                Diagnostic::error("ignore_changes must be a list of attribute names or `all`")
                                    .at(aspan),
                            );
                            IgnoreChanges::None
                        }
                    }
                }
                "replace_triggered_by" => {
                    lc.replace_triggered_by = list_items(Some(&a.value)).iter().filter_map(traversal_path).collect();
                }
                "precondition" | "postcondition" => {}
                other => self.err(
                    Diagnostic::error(format!("unsupported lifecycle argument {other:?}"))
                        .at(aspan)
                        .help("lifecycle takes prevent_destroy, create_before_destroy, ignore_changes and replace_triggered_by"),
                ),
            }
        }
        lc
    }

    fn read_variable(&mut self, def: usize, file: FileId, span: Span, name: &str, block: Block) {
        let b = &block.body;
        let ty = match b.get_attribute("type") {
            Some(a) => match Type::parse(&a.value) {
                Ok(t) => Some(t),
                Err(m) => {
                    self.err(
                        Diagnostic::error(format!("invalid type for variable {name:?}: {m}"))
                            .at(Self::span(file, a.value.span())),
                    );
                    None
                }
            },
            None => None,
        };
        let validations = b
            .get_blocks("validation")
            .filter_map(|v| {
                let c = v.body.get_attribute("condition")?;
                let m = v.body.get_attribute("error_message")?;
                Some((
                    c.value.clone(),
                    m.value.clone(),
                    Self::span(file, c.value.span()),
                ))
            })
            .collect();
        if self.defs[def].variables.contains_key(name) {
            self.err(Diagnostic::error(format!("duplicate variable {name:?}")).at(span));
            return;
        }
        self.defs[def].variables.insert(
            name.to_string(),
            VarDecl {
                ty,
                default: b.get_attribute("default").map(|a| a.value.clone()),
                sensitive: literal_bool(b, "sensitive").unwrap_or(false),
                nullable: literal_bool(b, "nullable").unwrap_or(true),
                description: literal_string(b, "description"),
                validations,
                file,
                span,
            },
        );
    }

    fn read_call(
        &mut self,
        file: FileId,
        span: Span,
        name: &str,
        block: Block,
    ) -> Option<(String, String, FileId, Span, CallDecl)> {
        let b = &block.body;
        let Some(source) = literal_string(b, "source") else {
            self.err(
                Diagnostic::error(format!("module {name:?} has no source"))
                    .at(span)
                    .help("add source = \"./path/to/module\""),
            );
            return None;
        };
        if !(source.starts_with("./") || source.starts_with("../")) {
            self.err(
                Diagnostic::error(format!("module source {source:?} is not a local path"))
                    .at(Self::span(file, b.get_attribute("source").and_then(|a| a.value.span())))
                    .help("terrane supports local module sources starting with ./ or ../; vendor registry modules into the repository"),
            );
            return None;
        }
        let reserved = [
            "source",
            "version",
            "count",
            "for_each",
            "depends_on",
            "providers",
        ];
        let args = b
            .attributes()
            .filter(|a| !reserved.contains(&a.key.as_str()))
            .map(|a| {
                (
                    a.key.as_str().to_string(),
                    a.value.clone(),
                    Self::span(file, a.span()),
                )
            })
            .collect();
        let mut providers = Vec::new();
        if let Some(Expression::Object(o)) = b.get_attribute("providers").map(|a| &a.value) {
            for (k, v) in o.iter() {
                let local = match k {
                    hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_string(),
                    hcl_edit::expr::ObjectKey::Expression(e) => {
                        traversal_path(e).unwrap_or_default()
                    }
                };
                if let Some(p) = provider_ref(v.expr()) {
                    providers.push((local, p));
                }
            }
        }
        Some((
            name.to_string(),
            source,
            file,
            span,
            CallDecl {
                def: usize::MAX,
                args,
                count: b.get_attribute("count").map(|a| a.value.clone()),
                for_each: b.get_attribute("for_each").map(|a| a.value.clone()),
                depends_on: list_items(b.get_attribute("depends_on").map(|a| &a.value)),
                providers,
                file,
                span,
            },
        ))
    }
}

/// `aws.west` or `aws` as a provider reference.
fn provider_ref(e: &Expression) -> Option<ProviderRef> {
    let p = traversal_path(e)?;
    let mut it = p.splitn(2, '.');
    Some(ProviderRef {
        name: it.next()?.to_string(),
        alias: it.next().map(str::to_string),
    })
}

/// A plain traversal (`a.b["c"][0]`) as a dotted/bracketed path string.
pub(crate) fn traversal_path(e: &Expression) -> Option<String> {
    use hcl_edit::expr::TraversalOperator as T;
    match e {
        Expression::Variable(v) => Some(v.as_str().to_string()),
        Expression::String(s) => Some(s.value().clone()),
        Expression::Traversal(t) => {
            let mut s = traversal_path(&t.expr)?;
            for op in &t.operators {
                match op.value() {
                    T::GetAttr(a) => {
                        s.push('.');
                        s.push_str(a.as_str());
                    }
                    T::LegacyIndex(n) => s.push_str(&format!("[{}]", n.value())),
                    T::Index(Expression::Number(n)) => s.push_str(&format!("[{}]", n.value())),
                    T::Index(Expression::String(k)) => s.push_str(&format!(
                        "[{}]",
                        serde_json::Value::String(k.value().clone())
                    )),
                    _ => return None,
                }
            }
            Some(s)
        }
        _ => None,
    }
}

fn list_items(e: Option<&Expression>) -> Vec<Expression> {
    match e {
        Some(Expression::Array(a)) => a.iter().cloned().collect(),
        Some(other) => vec![other.clone()],
        None => vec![],
    }
}

fn literal_bool(b: &Body, k: &str) -> Option<bool> {
    b.get_attribute(k).and_then(|a| a.value.as_bool())
}

fn literal_string(b: &Body, k: &str) -> Option<String> {
    b.get_attribute(k)
        .and_then(|a| a.value.as_str().map(str::to_string))
}

/// Loads the configuration rooted at `root` in `tree`.
pub fn load(
    tree: Arc<dyn SourceTree>,
    root: &Path,
    opts: &LoadOptions,
    schemas: &Schemas,
) -> Result<Config, LoadError> {
    let mut l = Loader {
        tree: tree.clone(),
        schemas,
        sources: SourceMap::new(),
        diags: Vec::new(),
        defs: Vec::new(),
        def_by_dir: HashMap::new(),
        decls: Vec::new(),
        providers: Vec::new(),
        moved: Vec::new(),
        imports: Vec::new(),
        required_providers: BTreeMap::new(),
        yaml: Vec::new(),
        root: root.to_path_buf(),
    };
    if !tree.is_dir(root) {
        return Err(LoadError {
            diagnostics: vec![
                Diagnostic::error(format!("{} is not a directory", root.display()))
                    .help("point terrane at the directory holding your .tf or .yaml files"),
            ],
            sources: l.sources,
        });
    }
    l.load_module(Path::new(""), 0, None);
    if l.sources.files().next().is_none() && l.diags.is_empty() {
        l.diags.push(
            Diagnostic::error(format!("no .tf or .yaml files in {}", root.display()))
                .help("point terrane at the directory holding your configuration"),
        );
    }
    add_yaml_decls(&mut l);
    finish(l, opts)
}

/// Turns YAML manifests into resource declarations of the root module.
fn add_yaml_decls(l: &mut Loader) {
    let mut candidates: Vec<(ResourceAddr, String, BTreeMap<String, String>)> = l
        .decls
        .iter()
        .filter(|d| d.def == 0 && d.mode == Mode::Managed)
        .map(|d| {
            (
                ResourceAddr::new(ModulePath::root(), Mode::Managed, &d.type_name, &d.name),
                d.name.clone(),
                BTreeMap::new(),
            )
        })
        .collect();
    candidates.extend(l.yaml.iter().map(|(r, _)| {
        (
            ResourceAddr::new(ModulePath::root(), Mode::Managed, &r.type_name, &r.name),
            r.name.clone(),
            r.labels.clone(),
        )
    }));
    let yaml = std::mem::take(&mut l.yaml);
    for (r, file) in yaml {
        let refs = match yaml::resolve_refs(&r, &candidates) {
            Ok(refs) => refs,
            Err(ds) => {
                l.diags.extend(ds);
                continue;
            }
        };
        let key = (Mode::Managed, r.type_name.clone(), r.name.clone());
        if l.defs[0].resources.contains_key(&key) {
            l.err(
                Diagnostic::error(format!("duplicate resource {}.{}", r.type_name, r.name))
                    .at(r.span)
                    .help("metadata.name must be unique per kind"),
            );
            continue;
        }
        let schema = l.schemas.get_shared(Mode::Managed, &r.type_name);
        let idx = l.decls.len();
        l.decls.push(ResourceDecl {
            def: 0,
            mode: Mode::Managed,
            type_name: r.type_name.clone(),
            name: r.name.clone(),
            body: DeclBody::Empty,
            count: None,
            for_each: None,
            depends_on: vec![],
            lifecycle: Lifecycle {
                prevent_destroy: false,
                ..Default::default()
            },
            provider: r.provider_alias.clone().map(|a| ProviderRef {
                name: l.schemas.provider_of(&r.type_name),
                alias: Some(a),
            }),
            schema,
            file,
            span: r.span,
            yaml: Some(YamlDecl {
                attrs: r.attrs.clone(),
                refs,
                deletion_policy: r.deletion_policy,
                management: r.management,
                attr_spans: r.attr_spans.clone(),
            }),
        });
        l.defs[0].resources.insert(key, idx);
    }
}

/// Parses a `-var` value: as an HCL expression for complex types, else as a string.
fn parse_cli_value(raw: &str, ty: Option<&Type>) -> Result<Value, String> {
    let complex = match ty {
        Some(Type::String | Type::Number | Type::Bool) => false,
        Some(Type::Any) | None => raw.trim_start().starts_with(['[', '{']),
        Some(_) => true,
    };
    if !complex {
        return Ok(Value::String(raw.to_string()));
    }
    let e = hcl_edit::parser::parse_expr(raw).map_err(|e| e.message().to_string())?;
    const_value(&e)
        .ok_or_else(|| "the value must be a literal (no references or function calls)".into())
}

fn const_value(e: &Expression) -> Option<Value> {
    match e {
        Expression::Null(_) => Some(Value::Null),
        Expression::Bool(b) => Some(Value::Bool(*b.value())),
        Expression::Number(n) => n.value().as_f64().map(Value::Number),
        Expression::String(s) => Some(Value::String(s.value().clone())),
        Expression::Array(a) => a
            .iter()
            .map(const_value)
            .collect::<Option<Vec<_>>>()
            .map(Value::List),
        Expression::Object(o) => {
            let mut m = Map::new();
            for (k, v) in o.iter() {
                let key = match k {
                    hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_string(),
                    hcl_edit::expr::ObjectKey::Expression(e) => match e {
                        Expression::String(s) => s.value().clone(),
                        Expression::Variable(v) => v.as_str().to_string(),
                        _ => return None,
                    },
                };
                m.insert(key, const_value(v.expr())?);
            }
            Some(Value::Map(m))
        }
        Expression::Parenthesis(p) => const_value(p.inner()),
        Expression::UnaryOp(u) if *u.operator.value() == hcl_edit::expr::UnaryOperator::Neg => {
            match const_value(&u.expr)? {
                Value::Number(n) => Some(Value::Number(-n)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Reads root variable values: environment < terraform.tfvars < *.auto.tfvars < -var-file / -var.
fn root_vars(l: &mut Loader, opts: &LoadOptions) -> BTreeMap<String, (Value, bool)> {
    let mut vals = Map::new();
    let decls: Vec<(String, Option<Type>, bool)> = l
        .defs
        .first()
        .map(|d| {
            d.variables
                .iter()
                .map(|(n, v)| (n.clone(), v.ty.clone(), v.sensitive))
                .collect()
        })
        .unwrap_or_default();
    let ty_of = |n: &str| decls.iter().find(|d| d.0 == n).map(|d| d.1.clone());
    for (k, raw) in &opts.env_vars {
        if let Some(ty) = ty_of(k) {
            match parse_cli_value(raw, ty.as_ref()) {
                Ok(v) => {
                    vals.insert(k.clone(), v);
                }
                Err(e) => l.err(Diagnostic::error(format!(
                    "invalid value in TF_VAR_{k}: {e}"
                ))),
            }
        }
    }
    let mut files: Vec<PathBuf> = Vec::new();
    if let Ok(names) = l.tree.list_files(&l.root) {
        if names.iter().any(|n| n == "terraform.tfvars") {
            files.push(l.root.join("terraform.tfvars"));
        }
        files.extend(
            names
                .iter()
                .filter(|n| n.ends_with(".auto.tfvars"))
                .map(|n| l.root.join(n)),
        );
    }
    let explicit: Vec<PathBuf> = opts.var_files.clone();
    for (i, f) in files.iter().chain(explicit.iter()).enumerate() {
        let is_explicit = i >= files.len();
        let text = if is_explicit {
            std::fs::read_to_string(f).map_err(|e| e.to_string())
        } else {
            l.tree.read(f)
        };
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                l.err(Diagnostic::error(format!(
                    "cannot read variables file {}: {e}",
                    f.display()
                )));
                continue;
            }
        };
        let file = l.sources.add(f.display().to_string(), f, text.as_str());
        match hcl_edit::parser::parse_body(&text) {
            Ok(body) => {
                for a in body.attributes() {
                    let name = a.key.as_str();
                    let span = Span::new(file, a.span().unwrap_or(0..0));
                    if ty_of(name).is_none() {
                        l.diags.push(
                            Diagnostic::warning(format!("value for undeclared variable {name:?}"))
                                .at(span)
                                .help("declare it with a variable block, or remove it"),
                        );
                        continue;
                    }
                    match const_value(&a.value) {
                        Some(v) => {
                            vals.insert(name.to_string(), v);
                        }
                        None => l.err(
                            Diagnostic::error(
                                "variable values in .tfvars files must be literal values",
                            )
                            .at(span),
                        ),
                    }
                }
            }
            Err(e) => {
                let loc = e.location();
                let off = l.sources.file(file).offset_of(loc.line(), loc.column());
                l.err(
                    Diagnostic::error(format!("syntax error: {}", e.message()))
                        .at(Span::new(file, off..off + 1)),
                );
            }
        }
    }
    for (k, raw) in &opts.vars {
        match ty_of(k) {
            None => {
                let help = suggest(k, decls.iter().map(|d| d.0.as_str()))
                    .map(|m| format!("did you mean {m}?"))
                    .unwrap_or_else(|| format!("declare it: variable \"{k}\" {{}}"));
                l.err(
                    Diagnostic::error(format!("-var given for undeclared variable {k:?}"))
                        .help(help),
                );
            }
            Some(ty) => match parse_cli_value(raw, ty.as_ref()) {
                Ok(v) => {
                    vals.insert(k.clone(), v);
                }
                Err(e) => l.err(Diagnostic::error(format!(
                    "invalid -var value for {k}: {e}"
                ))),
            },
        }
    }
    vals.into_iter()
        .map(|(k, v)| {
            let sens = decls.iter().any(|d| d.0 == k && d.2);
            (k, (v, sens))
        })
        .collect()
}

/// Expands modules and resources, evaluates instances and builds the model.
fn finish(mut l: Loader, opts: &LoadOptions) -> Result<Config, LoadError> {
    if l.defs.is_empty() {
        return Err(LoadError {
            diagnostics: l.diags,
            sources: l.sources,
        });
    }
    let rv = root_vars(&mut l, opts);
    let mut prog = Program {
        defs: std::mem::take(&mut l.defs),
        insts: vec![ModuleInst {
            path: ModulePath::root(),
            def: 0,
            parent: None,
            call: None,
            rep: Repetition::default(),
            provider_map: BTreeMap::new(),
            children: BTreeMap::new(),
        }],
        decls: std::mem::take(&mut l.decls),
        providers: std::mem::take(&mut l.providers),
        expansions: HashMap::new(),
        res_insts: Vec::new(),
        root_vars: rv,
        reader: crate::source::reader(l.tree.clone()),
        root_dir: l.root.clone(),
        // Resource blocks are parsed again from these texts when evaluated.
        sources: l.sources.clone(),
    };
    let mut diags = std::mem::take(&mut l.diags);
    expand(&mut prog, &mut diags);
    let mut cfg = build_model(&prog, &mut diags, &l);
    // Errors stop the load; warnings travel with the config.
    let (errors, warnings): (Vec<_>, Vec<_>) = diags.into_iter().partition(Diagnostic::is_error);
    if !errors.is_empty() {
        let mut all = errors;
        all.extend(warnings);
        dedup(&mut all);
        return Err(LoadError {
            diagnostics: all,
            sources: l.sources,
        });
    }
    cfg.warnings = warnings;
    cfg.sources = l.sources;
    prog.drop_trees();
    cfg.program = Arc::new(prog);
    Ok(cfg)
}

fn dedup(d: &mut Vec<Diagnostic>) {
    let mut seen = Vec::new();
    d.retain(|x| {
        let key = (x.message.clone(), x.span);
        if seen.contains(&key) {
            false
        } else {
            seen.push(key);
            true
        }
    });
}

/// Evaluates `count` / `for_each` of module calls and resources, building the instance tree.
fn expand(prog: &mut Program, diags: &mut Vec<Diagnostic>) {
    let mut queue = vec![0usize];
    while let Some(mi) = queue.pop() {
        let def_idx = prog.insts[mi].def;
        // Module calls of this instance.
        #[allow(clippy::type_complexity)]
        let calls: Vec<(
            String,
            Option<Expression>,
            Option<Expression>,
            FileId,
            Span,
            Vec<(String, ProviderRef)>,
            usize,
        )> = prog.defs[def_idx]
            .calls
            .iter()
            .map(|(n, c)| {
                (
                    n.clone(),
                    c.count.clone(),
                    c.for_each.clone(),
                    c.file,
                    c.span,
                    c.providers.clone(),
                    c.def,
                )
            })
            .collect();
        let mut new_children = Vec::new();
        for (name, count, for_each, file, span, providers, child_def) in calls {
            let reps = {
                let ev = Evaluator::new(prog, &NoValues, None);
                repetitions(
                    &ev,
                    mi,
                    file,
                    span,
                    count.as_ref(),
                    for_each.as_ref(),
                    diags,
                    &format!("module.{name}"),
                )
            };
            let Some((exp, reps)) = reps else { continue };
            let parent_map = prog.insts[mi].provider_map.clone();
            let mut idxs = Vec::new();
            for (key, rep) in exp.keys().into_iter().zip(reps) {
                let mut map = BTreeMap::new();
                for (local, target) in &providers {
                    let resolved = parent_map
                        .get(&target.to_string())
                        .cloned()
                        .unwrap_or_else(|| target.clone());
                    map.insert(local.clone(), resolved);
                }
                // Unmapped default providers are inherited from the caller.
                for (k, v) in &parent_map {
                    if !k.contains('.') {
                        map.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                let path = prog.insts[mi].path.child(&name, key);
                idxs.push(prog.insts.len());
                prog.insts.push(ModuleInst {
                    path,
                    def: child_def,
                    parent: Some(mi),
                    call: Some(name.clone()),
                    rep,
                    provider_map: map,
                    children: BTreeMap::new(),
                });
            }
            new_children.push((name, exp, idxs));
        }
        for (name, exp, idxs) in new_children {
            queue.extend(idxs.iter().copied());
            prog.insts[mi].children.insert(name, (exp, idxs));
        }
        // Resources of this instance, in declaration order.
        let mut decls: Vec<usize> = prog.defs[def_idx].resources.values().copied().collect();
        decls.sort_by_key(|&d| (prog.decls[d].file, prog.decls[d].span.start));
        for d in decls {
            let (count, for_each, file, span, label) = {
                let r = &prog.decls[d];
                (
                    r.count.clone(),
                    r.for_each.clone(),
                    r.file,
                    r.span,
                    format!("{}.{}", r.type_name, r.name),
                )
            };
            let reps = {
                let ev = Evaluator::new(prog, &NoValues, None);
                repetitions(
                    &ev,
                    mi,
                    file,
                    span,
                    count.as_ref(),
                    for_each.as_ref(),
                    diags,
                    &label,
                )
            };
            let Some((exp, reps)) = reps else { continue };
            prog.expansions.insert((mi, d), exp);
            for rep in reps {
                prog.res_insts.push(ResInst {
                    decl: d,
                    module: mi,
                    rep,
                });
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn repetitions(
    ev: &Evaluator,
    module: usize,
    file: FileId,
    span: Span,
    count: Option<&Expression>,
    for_each: Option<&Expression>,
    diags: &mut Vec<Diagnostic>,
    what: &str,
) -> Option<(Expansion, Vec<Repetition>)> {
    let none = Repetition::default();
    let scope = Scope::new(module, file, &none);
    if let Some(c) = count {
        let sp = Span::new(file, c.span().unwrap_or(span.start..span.end));
        return match ev.eval(c, &scope) {
            Ok(Value::Unknown) => {
                diags.push(Diagnostic::error(format!("the count of {what} depends on values known only after apply")).at(sp)
                    .help("count must be known when planning: derive it from variables or locals, not from resource attributes"));
                None
            }
            Ok(v) => match v.as_f64() {
                Some(n) if n >= 0.0 && n.fract() == 0.0 => {
                    let n = n as usize;
                    Some((
                        Expansion::Count(n),
                        (0..n)
                            .map(|i| Repetition {
                                count_index: Some(i as i64),
                                each: None,
                            })
                            .collect(),
                    ))
                }
                _ => {
                    diags.push(
                        Diagnostic::error(format!(
                            "count must be a non-negative whole number, got {v}"
                        ))
                        .at(sp),
                    );
                    None
                }
            },
            Err(e) => {
                diags.push(e.into_diagnostic());
                None
            }
        };
    }
    if let Some(fe) = for_each {
        let sp = Span::new(file, fe.span().unwrap_or(span.start..span.end));
        return match ev.eval(fe, &scope) {
            Ok(Value::Map(m)) => {
                let keys: Vec<String> = m.keys().cloned().collect();
                let reps = m
                    .into_iter()
                    .map(|(k, v)| Repetition {
                        count_index: None,
                        each: Some((Value::String(k), v)),
                    })
                    .collect();
                Some((Expansion::ForEach(keys), reps))
            }
            Ok(Value::List(items)) => {
                let mut keys = Vec::new();
                for it in &items {
                    match it {
                        Value::String(s) => {
                            if !keys.contains(s) {
                                keys.push(s.clone());
                            }
                        }
                        Value::Unknown => {
                            diags.push(
                                Diagnostic::error(format!(
                                    "the for_each of {what} has elements known only after apply"
                                ))
                                .at(sp)
                                .help("for_each keys must be known when planning"),
                            );
                            return None;
                        }
                        other => {
                            diags.push(
                                Diagnostic::error(format!(
                                    "for_each over a set needs strings, got a {}",
                                    other.type_name()
                                ))
                                .at(sp)
                                .help("use toset([...]) of strings, or a map"),
                            );
                            return None;
                        }
                    }
                }
                keys.sort();
                let reps = keys
                    .iter()
                    .map(|k| Repetition {
                        count_index: None,
                        each: Some((Value::String(k.clone()), Value::String(k.clone()))),
                    })
                    .collect();
                Some((Expansion::ForEach(keys), reps))
            }
            Ok(Value::Unknown) => {
                diags.push(Diagnostic::error(format!("the for_each of {what} depends on values known only after apply")).at(sp)
                    .help("for_each must be known when planning: derive it from variables or locals, not from resource attributes"));
                None
            }
            Ok(other) => {
                diags.push(
                    Diagnostic::error(format!(
                        "for_each needs a map or a set of strings, got {}",
                        other.type_name()
                    ))
                    .at(sp),
                );
                None
            }
            Err(e) => {
                diags.push(e.into_diagnostic());
                None
            }
        };
    }
    Some((Expansion::Single, vec![none]))
}

/// Evaluated attributes of one instance plus which are sensitive and where each was written.
pub struct EvaluatedBody {
    pub attrs: Value,
    pub sensitive: BTreeSet<String>,
    pub spans: BTreeMap<String, Span>,
}

/// Evaluates a resource body against its schema.
pub(crate) fn eval_instance_body(
    ev: &Evaluator,
    prog: &Program,
    ri: &ResInst,
    diags: &mut Vec<Diagnostic>,
) -> EvaluatedBody {
    let decl = &prog.decls[ri.decl];
    let mut out = EvaluatedBody {
        attrs: Value::Map(Map::new()),
        sensitive: BTreeSet::new(),
        spans: BTreeMap::new(),
    };
    if let Some(y) = &decl.yaml {
        out.attrs = yaml_attrs(ev, prog, ri, y);
        out.spans = y.attr_spans.clone();
        return out;
    }
    let Some(schema) = &decl.schema else {
        return out;
    };
    let (body, base) = match prog.decl_body(decl) {
        Ok(b) => b,
        Err(d) => {
            diags.push(*d);
            return out;
        }
    };
    let mut scope = Scope::new(ri.module, decl.file, &ri.rep);
    scope.base = base;
    let mut ctx = BodyCtx {
        ev,
        diags,
        file: decl.file,
        base,
        sensitive: &mut out.sensitive,
        spans: &mut out.spans,
        what: format!("{}.{}", decl.type_name, decl.name),
    };
    out.attrs = eval_body(&mut ctx, &body, &schema.body, &scope, "", true, decl.span);
    out
}

fn yaml_attrs(ev: &Evaluator, prog: &Program, ri: &ResInst, y: &YamlDecl) -> Value {
    let mut attrs = y.attrs.clone();
    let module_path = &prog.insts[ri.module].path;
    for (r, targets) in &y.refs {
        let vals: Vec<Value> = targets
            .iter()
            .map(|t| {
                let addr = ResourceAddr {
                    module: module_path.clone(),
                    ..t.clone()
                };
                match ev.resolver_get(&addr.instance(InstanceKey::None)) {
                    Some(v) => v.get(&r.target_attr).cloned().unwrap_or(Value::Unknown),
                    None => Value::Unknown,
                }
            })
            .collect();
        let v = if r.list {
            Value::List(vals)
        } else {
            vals.into_iter().next().unwrap_or(Value::Null)
        };
        if let Some(m) = attrs.as_map_mut() {
            m.insert(r.attr.clone(), v);
        }
    }
    attrs
}

struct BodyCtx<'a, 'b> {
    ev: &'a Evaluator<'b>,
    diags: &'a mut Vec<Diagnostic>,
    file: FileId,
    /// Offset of the re-parsed block in its file.
    base: usize,
    sensitive: &'a mut BTreeSet<String>,
    spans: &'a mut BTreeMap<String, Span>,
    what: String,
}

impl BodyCtx<'_, '_> {
    /// A span in the re-parsed block, as a span in its file.
    fn span(&self, r: Option<std::ops::Range<usize>>, otherwise: Span) -> Span {
        r.map(|r| Span::new(self.file, r.start + self.base..r.end + self.base))
            .unwrap_or(otherwise)
    }
}

fn eval_body(
    ctx: &mut BodyCtx,
    body: &Body,
    schema: &SchemaBlock,
    scope: &Scope,
    prefix: &str,
    top: bool,
    block_span: Span,
) -> Value {
    let mut m = Map::new();
    // Blocks written with attribute syntax (`route = [{ ... }]`), where the schema allows it.
    let mut attr_blocks: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for a in body.attributes() {
        let name = a.key.as_str();
        if top && META_ARGS.contains(&name) {
            continue;
        }
        let aspan = ctx.span(a.span(), block_span);
        let key_span = ctx.span(a.key.span(), aspan);
        let path = format!("{prefix}{name}");
        let Some(attr) = schema.attributes.get(name) else {
            if let Some(bs) = schema.blocks.get(name).filter(|bs| bs.attribute_syntax) {
                if top {
                    ctx.spans.insert(name.to_string(), aspan);
                }
                match ctx.ev.eval(&a.value, scope) {
                    Ok(v) => match blocks_from_attribute(v, &bs.block) {
                        Ok(items) => {
                            attr_blocks.insert(name.to_string(), items);
                        }
                        Err(msg) => ctx.diags.push(
                            Diagnostic::error(format!("invalid value for {path}: {msg}"))
                                .at(ctx.span(a.value.span(), aspan)),
                        ),
                    },
                    Err(e) => ctx.diags.push(e.into_diagnostic()),
                }
            } else if schema.blocks.contains_key(name) {
                ctx.diags.push(
                    Diagnostic::error(format!(
                        "{name} is a block in {}, not an argument",
                        ctx.what
                    ))
                    .at(key_span)
                    .help(format!("write it as a block: {name} {{ ... }}")),
                );
            } else {
                let help = suggest(name, schema.settable_names())
                    .map(|s| format!("did you mean {s:?}?"))
                    .unwrap_or_else(|| {
                        format!(
                            "{} takes: {}",
                            ctx.what,
                            schema.settable_names().collect::<Vec<_>>().join(", ")
                        )
                    });
                ctx.diags.push(
                    Diagnostic::error(format!("unsupported argument {name:?} in {}", ctx.what))
                        .at(key_span)
                        .help(help),
                );
            }
            continue;
        };
        if !attr.required && !attr.optional {
            ctx.diags.push(
                Diagnostic::error(format!(
                    "{name} is computed by the provider and cannot be set"
                ))
                .at(key_span)
                .help("remove it; read it from the resource instead"),
            );
            continue;
        }
        if top {
            ctx.spans.insert(name.to_string(), aspan);
        }
        match ctx.ev.eval_tracked(&a.value, scope) {
            Ok((v, sens)) => {
                if sens && top {
                    ctx.sensitive.insert(name.to_string());
                }
                match coerce(v, &attr.ty) {
                    Ok(v) => {
                        m.insert(name.to_string(), v);
                    }
                    Err(msg) => ctx.diags.push(
                        Diagnostic::error(format!("invalid value for {path}: {msg}"))
                            .at(ctx.span(a.value.span(), aspan)),
                    ),
                }
            }
            Err(e) => ctx.diags.push(e.into_diagnostic()),
        }
    }
    // Nested blocks, including `dynamic` ones.
    let mut blocks: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for b in body.blocks() {
        let name = b.ident.as_str();
        let bspan = ctx.span(b.span(), block_span);
        if top && (name == "lifecycle" || name == "connection" || name == "provisioner") {
            if name != "lifecycle" {
                ctx.diags.push(
                    Diagnostic::warning(format!(
                        "{name} blocks are ignored: terrane does not run provisioners"
                    ))
                    .at(bspan),
                );
            }
            continue;
        }
        if name == "dynamic" {
            eval_dynamic(ctx, b, schema, scope, prefix, &mut blocks, bspan);
            continue;
        }
        let Some(bs) = schema.blocks.get(name) else {
            unknown_block(ctx, name, schema, bspan);
            continue;
        };
        if top {
            ctx.spans.entry(name.to_string()).or_insert(bspan);
        }
        let idx = blocks.get(name).map_or(0, Vec::len);
        let v = eval_body(
            ctx,
            &b.body,
            &bs.block,
            scope,
            &format!("{prefix}{name}[{idx}]."),
            false,
            bspan,
        );
        blocks.entry(name.to_string()).or_default().push(v);
    }
    for (name, bs) in &schema.blocks {
        let items = blocks.remove(name).unwrap_or_default();
        if let Some(from_attr) = attr_blocks.remove(name) {
            if !items.is_empty() {
                ctx.diags.push(
                    Diagnostic::error(format!(
                        "{name} in {} is set both as an argument and as blocks",
                        ctx.what
                    ))
                    .at(block_span)
                    .help("use one form"),
                );
            }
            // Kept even when empty: `name = []` says there are none.
            m.insert(name.clone(), Value::List(from_attr));
            continue;
        }
        if items.len() < bs.min_items {
            ctx.diags.push(
                Diagnostic::error(format!(
                    "{} needs at least {} {name} block{}",
                    ctx.what,
                    bs.min_items,
                    if bs.min_items == 1 { "" } else { "s" }
                ))
                .at(block_span)
                .help(format!("add a {name} {{ ... }} block")),
            );
        }
        if let Some(max) = bs.max_items {
            if items.len() > max {
                ctx.diags.push(
                    Diagnostic::error(format!(
                        "{} takes at most {max} {name} block{}",
                        ctx.what,
                        if max == 1 { "" } else { "s" }
                    ))
                    .at(block_span),
                );
            }
        }
        if !items.is_empty() {
            m.insert(name.clone(), Value::List(items));
        }
    }
    for (name, a) in &schema.attributes {
        if a.required && !m.contains_key(name) && !body.has_attribute(name) {
            ctx.diags.push(
                Diagnostic::error(format!(
                    "missing required argument {name:?} in {}",
                    ctx.what
                ))
                .at(block_span)
                .help(format!("add {name} = ... to the block")),
            );
        }
    }
    Value::Map(m)
}

/// The objects of a block written with attribute syntax, each attribute coerced to its type.
fn blocks_from_attribute(v: Value, schema: &SchemaBlock) -> Result<Vec<Value>, String> {
    let items = match v {
        Value::List(items) => items,
        Value::Null => Vec::new(),
        Value::Unknown => return Ok(vec![Value::Unknown]),
        other => return Err(format!("expected a list of objects, got {other:?}")),
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Map(obj) => {
                let mut out = Map::new();
                for (k, v) in obj {
                    if let Some(attr) = schema.attributes.get(&k) {
                        out.insert(
                            k.clone(),
                            coerce(v, &attr.ty).map_err(|e| format!("{k}: {e}"))?,
                        );
                    } else if schema.blocks.contains_key(&k) {
                        out.insert(k, v);
                    } else {
                        return Err(format!("unsupported attribute {k:?}"));
                    }
                }
                Ok(Value::Map(out))
            }
            Value::Unknown => Ok(Value::Unknown),
            other => Err(format!("expected an object, got {other:?}")),
        })
        .collect()
}

fn unknown_block(ctx: &mut BodyCtx, name: &str, schema: &SchemaBlock, span: Span) {
    if schema.attributes.contains_key(name) {
        ctx.diags.push(
            Diagnostic::error(format!(
                "{name} is an argument in {}, not a block",
                ctx.what
            ))
            .at(span)
            .help(format!("write it as {name} = ...")),
        );
        return;
    }
    let help = suggest(name, schema.blocks.keys().map(String::as_str))
        .map(|s| format!("did you mean {s:?}?"))
        .unwrap_or_else(|| "remove the block".to_string());
    ctx.diags.push(
        Diagnostic::error(format!("unsupported block type {name:?} in {}", ctx.what))
            .at(span)
            .help(help),
    );
}

fn eval_dynamic(
    ctx: &mut BodyCtx,
    b: &Block,
    schema: &SchemaBlock,
    scope: &Scope,
    prefix: &str,
    blocks: &mut BTreeMap<String, Vec<Value>>,
    span: Span,
) {
    let Some(label) = b.labels.first().map(|l| l.as_str().to_string()) else {
        ctx.diags.push(
            Diagnostic::error("a dynamic block needs a label naming the block to generate")
                .at(span),
        );
        return;
    };
    let Some(bs) = schema.blocks.get(&label) else {
        unknown_block(ctx, &label, schema, span);
        return;
    };
    let iter = match b.body.get_attribute("iterator").map(|a| &a.value) {
        Some(Expression::Variable(v)) => v.as_str().to_string(),
        _ => label.clone(),
    };
    let Some(fe) = b.body.get_attribute("for_each") else {
        ctx.diags
            .push(Diagnostic::error(format!("dynamic \"{label}\" needs for_each")).at(span));
        return;
    };
    let Some(content) = b.body.get_blocks("content").next() else {
        ctx.diags
            .push(Diagnostic::error(format!("dynamic \"{label}\" needs a content block")).at(span));
        return;
    };
    let coll = match ctx.ev.eval(&fe.value, scope) {
        Ok(v) => v,
        Err(e) => {
            ctx.diags.push(e.into_diagnostic());
            return;
        }
    };
    let pairs: Vec<(Value, Value)> = match coll {
        Value::List(l) => l
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Value::Number(i as f64), v))
            .collect(),
        Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
        Value::Null => vec![],
        Value::Unknown => {
            blocks.entry(label).or_default().push(Value::Unknown);
            return;
        }
        other => {
            ctx.diags.push(
                Diagnostic::error(format!(
                    "dynamic for_each needs a collection, got {}",
                    other.type_name()
                ))
                .at(span),
            );
            return;
        }
    };
    for (k, v) in pairs {
        let mut inner = scope.clone();
        inner
            .bound
            .push((iter.clone(), Value::map([("key", k), ("value", v)])));
        let idx = blocks.get(&label).map_or(0, Vec::len);
        let val = eval_body(
            ctx,
            &content.body,
            &bs.block,
            &inner,
            &format!("{prefix}{label}[{idx}]."),
            false,
            span,
        );
        blocks.entry(label.clone()).or_default().push(val);
    }
}

/// Evaluates a body without a schema (provider blocks): attributes as values, blocks as lists.
pub(crate) fn eval_free_body(
    ev: &Evaluator,
    body: &Body,
    scope: &Scope,
    diags: &mut Vec<Diagnostic>,
) -> Value {
    let mut m = Map::new();
    for a in body.attributes() {
        match ev.eval(&a.value, scope) {
            Ok(v) => {
                m.insert(a.key.as_str().to_string(), v);
            }
            Err(e) => diags.push(e.into_diagnostic()),
        }
    }
    for b in body.blocks() {
        let v = eval_free_body(ev, &b.body, scope, diags);
        match m
            .entry(b.ident.as_str().to_string())
            .or_insert_with(|| Value::List(vec![]))
        {
            Value::List(l) => l.push(v),
            other => *other = Value::List(vec![v]),
        }
    }
    Value::Map(m)
}

/// Dependencies of expressions, resolved through locals, variables and module outputs.
pub(crate) struct DepResolver<'p> {
    prog: &'p Program,
    memo: HashMap<(u8, usize, String), BTreeSet<ResourceAddr>>,
    active: BTreeSet<(u8, usize, String)>,
}

impl<'p> DepResolver<'p> {
    pub fn new(prog: &'p Program) -> Self {
        DepResolver {
            prog,
            memo: HashMap::new(),
            active: BTreeSet::new(),
        }
    }

    pub fn of_refs(&mut self, module: usize, refs: &[Ref], out: &mut BTreeSet<ResourceAddr>) {
        for r in refs {
            self.of_ref(module, r, out);
        }
    }

    fn of_ref(&mut self, module: usize, r: &Ref, out: &mut BTreeSet<ResourceAddr>) {
        let inst = &self.prog.insts[module];
        let def = &self.prog.defs[inst.def];
        let a0 = r.attrs.first().map(String::as_str);
        match (r.root.as_str(), a0) {
            ("var", Some(name)) => {
                let (Some(parent), Some(call)) = (inst.parent, inst.call.clone()) else {
                    return;
                };
                let key = (0u8, module, name.to_string());
                let deps = self.memoised(key, |this| {
                    let mut s = BTreeSet::new();
                    let pdef = &this.prog.defs[this.prog.insts[parent].def];
                    if let Some(c) = pdef.calls.get(&call) {
                        if let Some((_, e, _)) = c.args.iter().find(|(n, _, _)| n == name) {
                            let mut refs = Vec::new();
                            expr_refs(e, &mut refs);
                            this.of_refs(parent, &refs, &mut s);
                        }
                    }
                    s
                });
                out.extend(deps);
            }
            ("local", Some(name)) => {
                let Some(l) = def.locals.get(name) else {
                    return;
                };
                let key = (1u8, module, name.to_string());
                let expr = l.expr.clone();
                let deps = self.memoised(key, |this| {
                    let mut s = BTreeSet::new();
                    let mut refs = Vec::new();
                    expr_refs(&expr, &mut refs);
                    this.of_refs(module, &refs, &mut s);
                    s
                });
                out.extend(deps);
            }
            ("module", Some(name)) => {
                let Some((_, children)) = inst.children.get(name).cloned() else {
                    return;
                };
                let output = r.attrs.get(1).cloned();
                for c in children {
                    let key = (2u8, c, output.clone().unwrap_or_else(|| "*".into()));
                    let deps = self.memoised(key, |this| {
                        let mut s = BTreeSet::new();
                        let cdef = &this.prog.defs[this.prog.insts[c].def];
                        let outs: Vec<Expression> = cdef
                            .outputs
                            .iter()
                            .filter(|(n, _)| output.as_ref().is_none_or(|o| o == *n))
                            .flat_map(|(_, o)| {
                                std::iter::once(o.expr.clone()).chain(o.depends_on.iter().cloned())
                            })
                            .collect();
                        for e in outs {
                            let mut refs = Vec::new();
                            expr_refs(&e, &mut refs);
                            this.of_refs(c, &refs, &mut s);
                        }
                        s
                    });
                    out.extend(deps);
                }
            }
            ("data", Some(ty)) => {
                if let Some(name) = r.attrs.get(1) {
                    if def
                        .resources
                        .contains_key(&(Mode::Data, ty.to_string(), name.clone()))
                    {
                        out.insert(ResourceAddr::new(inst.path.clone(), Mode::Data, ty, name));
                    }
                }
            }
            (
                "var" | "local" | "module" | "data" | "count" | "each" | "path" | "terraform"
                | "self",
                _,
            ) => {}
            (ty, Some(name))
                if def.resources.contains_key(&(
                    Mode::Managed,
                    ty.to_string(),
                    name.to_string(),
                )) =>
            {
                out.insert(ResourceAddr::new(
                    inst.path.clone(),
                    Mode::Managed,
                    ty,
                    name,
                ));
            }
            _ => {}
        }
    }

    fn memoised(
        &mut self,
        key: (u8, usize, String),
        f: impl FnOnce(&mut Self) -> BTreeSet<ResourceAddr>,
    ) -> BTreeSet<ResourceAddr> {
        if let Some(s) = self.memo.get(&key) {
            return s.clone();
        }
        if !self.active.insert(key.clone()) {
            return BTreeSet::new();
        }
        let s = f(self);
        self.active.remove(&key);
        self.memo.insert(key, s.clone());
        s
    }

    /// Every resource declared in a module instance and its descendants.
    pub fn all_in_module(&self, module: usize, out: &mut BTreeSet<ResourceAddr>) {
        let inst = &self.prog.insts[module];
        for (mode, ty, name) in self.prog.defs[inst.def].resources.keys() {
            out.insert(ResourceAddr::new(inst.path.clone(), *mode, ty, name));
        }
        for (_, children) in inst.children.values() {
            for &c in children {
                self.all_in_module(c, out);
            }
        }
    }

    /// `depends_on` entries: resources, or whole modules.
    pub fn of_depends_on(
        &mut self,
        module: usize,
        items: &[Expression],
        out: &mut BTreeSet<ResourceAddr>,
        diags: &mut Vec<Diagnostic>,
        file: FileId,
    ) {
        for e in items {
            let mut refs = Vec::new();
            expr_refs(e, &mut refs);
            for r in &refs {
                let sp = Span::new(file, r.span.clone().unwrap_or(0..0));
                let inst = &self.prog.insts[module];
                match r.root.as_str() {
                    "module" => match r.attrs.first().and_then(|n| inst.children.get(n)).cloned() {
                        Some((_, children)) => {
                            for c in children {
                                self.all_in_module(c, out);
                            }
                        }
                        None => diags.push(
                            Diagnostic::error("depends_on refers to an undeclared module").at(sp),
                        ),
                    },
                    "data" | "var" | "local" => self.of_ref(module, r, out),
                    ty => {
                        let def = &self.prog.defs[inst.def];
                        match r.attrs.first() {
                            Some(name) if def.resources.contains_key(&(Mode::Managed, ty.to_string(), name.clone())) => self.of_ref(module, r, out),
                            _ => diags.push(Diagnostic::error(format!("depends_on refers to undeclared resource {}", std::iter::once(ty.to_string()).chain(r.attrs.iter().take(1).cloned()).collect::<Vec<_>>().join("."))).at(sp)
                                .help("depends_on takes resource addresses like aws_iam_role.app or module names like module.vpc")),
                        }
                    }
                }
            }
        }
    }
}

/// Builds the `Config` model: evaluates each instance with every resource unknown, checks
/// references, and computes dependencies.
/// The dependency set of a declaration: a copy for each instance but the last, which takes it.
fn take_or_clone(
    sets: &mut HashMap<(usize, usize), BTreeSet<ResourceAddr>>,
    pending: &mut HashMap<(usize, usize), usize>,
    key: (usize, usize),
) -> BTreeSet<ResourceAddr> {
    let left = pending.get_mut(&key).map(|n| {
        *n -= 1;
        *n
    });
    if left == Some(0) {
        sets.remove(&key).unwrap_or_default()
    } else {
        sets.get(&key).cloned().unwrap_or_default()
    }
}

fn build_model(prog: &Program, diags: &mut Vec<Diagnostic>, l: &Loader) -> Config {
    let ev = Evaluator::new(prog, &NoValues, None);
    let mut deps = DepResolver::new(prog);
    let mut instances = Vec::with_capacity(prog.res_insts.len());
    // References are checked once per declaration and module instance.
    let mut checked: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut decl_deps: HashMap<(usize, usize), BTreeSet<ResourceAddr>> = HashMap::new();
    // Instances still to build per declaration: the last one takes the dependency set.
    let mut pending: HashMap<(usize, usize), usize> = HashMap::new();
    for ri in &prog.res_insts {
        *pending.entry((ri.module, ri.decl)).or_default() += 1;
    }
    for ri in &prog.res_insts {
        let decl = &prog.decls[ri.decl];
        let minst = &prog.insts[ri.module];
        let key = (ri.module, ri.decl);
        if let std::collections::hash_map::Entry::Vacant(slot) = decl_deps.entry(key) {
            let mut refs = Vec::new();
            // The loader's tree: spans are file offsets (base 0) while the config loads.
            match prog.decl_body(decl) {
                Ok((body, base)) => {
                    body_refs(&body, &mut refs);
                    for r in &mut refs {
                        r.span = r.span.take().map(|s| s.start + base..s.end + base);
                    }
                }
                Err(d) => diags.push(*d),
            }
            if let Some(c) = &decl.count {
                expr_refs(c, &mut refs);
            }
            if let Some(f) = &decl.for_each {
                expr_refs(f, &mut refs);
            }
            let mut set = BTreeSet::new();
            deps.of_refs(ri.module, &refs, &mut set);
            deps.of_depends_on(ri.module, &decl.depends_on, &mut set, diags, decl.file);
            if let Some(y) = &decl.yaml {
                for (_, targets) in &y.refs {
                    set.extend(targets.iter().map(|t| ResourceAddr {
                        module: minst.path.clone(),
                        ..t.clone()
                    }));
                }
            }
            // depends_on of every enclosing module call.
            let mut cur = ri.module;
            while let (Some(parent), Some(call)) =
                (prog.insts[cur].parent, prog.insts[cur].call.clone())
            {
                let pdef = &prog.defs[prog.insts[parent].def];
                if let Some(c) = pdef.calls.get(&call) {
                    let items = c.depends_on.clone();
                    deps.of_depends_on(parent, &items, &mut set, diags, c.file);
                }
                cur = parent;
            }
            let self_addr =
                ResourceAddr::new(minst.path.clone(), decl.mode, &decl.type_name, &decl.name);
            set.remove(&self_addr);
            slot.insert(set);
        }
        let body = eval_instance_body(&ev, prog, ri, diags);
        checked.insert(key);
        let key_of = match (&ri.rep.count_index, &ri.rep.each) {
            (Some(i), _) => InstanceKey::Int(*i),
            (_, Some((k, _))) => InstanceKey::Str(k.as_str().unwrap_or_default().to_string()),
            _ => InstanceKey::None,
        };
        let addr = ResourceAddr::new(minst.path.clone(), decl.mode, &decl.type_name, &decl.name)
            .instance(key_of);
        let provider = resolve_provider(prog, ri, l.schemas);
        let (deletion_policy, management) = decl
            .yaml
            .as_ref()
            .map(|y| (y.deletion_policy, y.management))
            .unwrap_or_default();
        instances.push(Instance {
            addr,
            type_name: decl.type_name.clone(),
            provider,
            depends_on: take_or_clone(&mut decl_deps, &mut pending, key),
            lifecycle: decl.lifecycle.clone(),
            deletion_policy,
            management,
            span: decl.span,
            sensitive_attrs: body.sensitive,
            origin: if decl.yaml.is_some() {
                Origin::Yaml
            } else {
                Origin::Hcl
            },
        });
    }
    // Check references of locals and outputs that no resource touched.
    for (mi, inst) in prog.insts.iter().enumerate() {
        let def = &prog.defs[inst.def];
        for name in def.locals.keys() {
            if let Err(e) = ev.local(mi, name, None) {
                diags.push(e.into_diagnostic());
            }
        }
        if inst.parent.is_some() {
            // Every call argument must be a declared variable.
            let pdef = &prog.defs[prog.insts[inst.parent.unwrap_or(0)].def];
            if let Some(c) = inst.call.as_ref().and_then(|c| pdef.calls.get(c)) {
                for (n, _, sp) in &c.args {
                    if !def.variables.contains_key(n) {
                        let help = suggest(n, def.variables.keys().map(String::as_str))
                            .map(|m| format!("did you mean {m:?}?"))
                            .unwrap_or_else(|| "declare it as a variable in the module".into());
                        diags.push(
                            Diagnostic::error(format!(
                                "module {} has no variable {n:?}",
                                inst.path
                            ))
                            .at(*sp)
                            .help(help),
                        );
                    }
                }
            }
        }
        for name in def.variables.keys() {
            if let Err(e) = ev.variable(mi, name, None) {
                diags.push(e.into_diagnostic());
            }
        }
    }
    let mut outputs = Vec::new();
    if let Some(root_def) = prog.defs.first() {
        for (name, o) in &root_def.outputs {
            let rep = Repetition::default();
            let scope = Scope::new(0, o.file, &rep);
            let mut refs = Vec::new();
            expr_refs(&o.expr, &mut refs);
            let mut dset = BTreeSet::new();
            deps.of_refs(0, &refs, &mut dset);
            match ev.eval_tracked(&o.expr, &scope) {
                Ok((v, sens)) => {
                    if sens && !o.sensitive {
                        diags.push(Diagnostic::error(format!("output {name:?} refers to sensitive values")).at(o.span)
                            .help("add sensitive = true to the output block so its value is never printed"));
                    }
                    outputs.push(Output {
                        name: name.clone(),
                        value: v,
                        sensitive: o.sensitive || sens,
                        description: o.description.clone(),
                        depends_on: dset,
                        span: o.span,
                    });
                }
                Err(e) => diags.push(e.into_diagnostic()),
            }
        }
        // Outputs of child modules are checked too.
        for mi in 1..prog.insts.len() {
            if let Err(e) = ev.module_outputs(mi) {
                diags.push(e.into_diagnostic());
            }
        }
    }
    let providers = prog
        .providers
        .iter()
        .map(|p| {
            let rep = Repetition::default();
            let v = eval_free_body(&ev, &p.body, &Scope::new(0, p.file, &rep), diags);
            ProviderConfig {
                provider: p.provider.clone(),
                config: v,
                span: Some(p.span),
            }
        })
        .collect();
    let variables = prog
        .defs
        .first()
        .map(|d| {
            d.variables
                .iter()
                .map(|(n, v)| Variable {
                    name: n.clone(),
                    value: ev.variable(0, n, None).unwrap_or(Value::Null),
                    sensitive: v.sensitive,
                    description: v.description.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let moved = l
        .moved
        .iter()
        .filter_map(|(f, t, _, span)| {
            Some(Moved {
                from: traversal_path(f)?,
                to: traversal_path(t)?,
                span: *span,
            })
        })
        .collect();
    let mut imports = Vec::new();
    for (to, id, file, span) in &l.imports {
        let rep = Repetition::default();
        let scope = Scope::new(0, *file, &rep);
        let addr = traversal_path(to).and_then(|p| p.parse().ok());
        let idv = ev.eval(id, &scope);
        match (addr, idv) {
            (Some(a), Ok(Value::String(s))) => imports.push(Import {
                to: a,
                id: s,
                span: *span,
            }),
            (None, _) => diags.push(
                Diagnostic::error("import `to` must be a resource address like aws_s3_bucket.logs")
                    .at(*span),
            ),
            (_, Ok(v)) => diags.push(
                Diagnostic::error(format!(
                    "import id must be a string known before apply, got {}",
                    v.type_name()
                ))
                .at(*span),
            ),
            (_, Err(e)) => diags.push(e.into_diagnostic()),
        }
    }
    // Every provider used must have a configuration; default ones are implicit.
    Config {
        sources: SourceMap::new(),
        module_root: ModulePath::root(),
        instances,
        providers,
        outputs,
        variables,
        moved,
        imports,
        required_providers: l.required_providers.clone(),
        warnings: Vec::new(),
        program: Arc::new(Program::empty()),
    }
}

fn resolve_provider(prog: &Program, ri: &ResInst, schemas: &Schemas) -> ProviderRef {
    let decl = &prog.decls[ri.decl];
    let name = schemas.provider_of(&decl.type_name);
    let local = decl.provider.clone().unwrap_or(ProviderRef {
        name: name.clone(),
        alias: None,
    });
    let map = &prog.insts[ri.module].provider_map;
    map.get(&local.to_string()).cloned().unwrap_or(local)
}

/// Re-evaluation of a loaded configuration as resource values become known (plan walks the
/// graph and feeds planned values; apply feeds applied ones). Not shareable across threads:
/// use one session per walk.
pub struct Session<'a> {
    ev: Evaluator<'a>,
    prog: &'a Program,
}

impl Config {
    /// Starts an evaluation session over this config. `now` is the apply-time clock for
    /// `timestamp()` (None while planning, where it is unknown).
    pub fn session<'a>(
        &'a self,
        values: &'a dyn super::eval::ResourceValues,
        now: Option<time::OffsetDateTime>,
    ) -> Session<'a> {
        Session {
            ev: Evaluator::new(&self.program, values, now),
            prog: &self.program,
        }
    }
}

impl Session<'_> {
    /// The attributes of `Config::instances[idx]`, evaluated with the values known now.
    pub fn instance(&self, idx: usize) -> Result<EvaluatedBody, Vec<Diagnostic>> {
        let Some(ri) = self.prog.res_insts.get(idx) else {
            return Err(vec![Diagnostic::error(format!("no instance {idx}"))]);
        };
        let mut diags = Vec::new();
        let body = eval_instance_body(&self.ev, self.prog, ri, &mut diags);
        diags.retain(Diagnostic::is_error);
        if diags.is_empty() {
            Ok(body)
        } else {
            Err(diags)
        }
    }

    /// Root module outputs: name, value, sensitive.
    pub fn outputs(&self) -> Result<Vec<(String, Value, bool)>, Vec<Diagnostic>> {
        let mut out = Vec::new();
        let mut diags = Vec::new();
        if let Some(def) = self.prog.defs.first() {
            for (name, o) in &def.outputs {
                let rep = Repetition::default();
                match self.ev.eval_tracked(&o.expr, &Scope::new(0, o.file, &rep)) {
                    Ok((v, s)) => out.push((name.clone(), v, s || o.sensitive)),
                    Err(e) => diags.push(e.into_diagnostic()),
                }
            }
        }
        if diags.is_empty() {
            Ok(out)
        } else {
            Err(diags)
        }
    }

    /// The evaluated body of `Config::providers[idx]`.
    pub fn provider_config(&self, idx: usize) -> Result<Value, Vec<Diagnostic>> {
        let Some(p) = self.prog.providers.get(idx) else {
            return Ok(Value::Null);
        };
        let mut diags = Vec::new();
        let rep = Repetition::default();
        let v = eval_free_body(&self.ev, &p.body, &Scope::new(0, p.file, &rep), &mut diags);
        if diags.is_empty() {
            Ok(v)
        } else {
            Err(diags)
        }
    }
}
