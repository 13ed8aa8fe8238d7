//! The loaded, not-yet-evaluated configuration: module definitions with their declarations (as
//! hcl-edit syntax trees), the module instance tree, and the resource instances after `count` /
//! `for_each` expansion. The evaluator runs over this; the engine re-evaluates instances from it
//! as resource values become known during plan and apply.
//!
//! Resource bodies are the bulk of a configuration, so their syntax trees serve only the load: a
//! declaration records where its block is in the source, and each later evaluation parses that
//! block again (microseconds for a block, while a tree costs kilobytes per resource for the
//! whole run).

use super::model::{Lifecycle, ProviderRef};
use super::types::Type;
use super::yaml::YamlRef;
use crate::addr::{InstanceKey, Mode, ModulePath};
use crate::diag::{Diagnostic, FileId, SourceMap, Span};
use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;
use indexmap::IndexMap;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use terrane_provider::{Schema, Value};

/// Reads a file of the configuration source (a directory or a Git tree).
pub type FileReader = Arc<dyn Fn(&Path) -> Result<String, String> + Send + Sync>;

pub(crate) struct VarDecl {
    pub ty: Option<Type>,
    pub default: Option<Expression>,
    pub sensitive: bool,
    pub nullable: bool,
    pub description: Option<String>,
    pub validations: Vec<(Expression, Expression, Span)>,
    pub file: FileId,
    pub span: Span,
}

pub(crate) struct LocalDecl {
    pub expr: Expression,
    pub file: FileId,
    pub span: Span,
}

pub(crate) struct OutputDecl {
    pub expr: Expression,
    pub sensitive: bool,
    pub description: Option<String>,
    pub depends_on: Vec<Expression>,
    pub file: FileId,
    pub span: Span,
}

pub(crate) struct CallDecl {
    pub def: usize,
    pub args: Vec<(String, Expression, Span)>,
    pub count: Option<Expression>,
    pub for_each: Option<Expression>,
    pub depends_on: Vec<Expression>,
    /// `providers = { aws = aws.west }`: child local name -> provider in the caller.
    pub providers: Vec<(String, ProviderRef)>,
    pub file: FileId,
    pub span: Span,
}

pub(crate) struct ResourceDecl {
    pub def: usize,
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
    pub body: DeclBody,
    pub count: Option<Expression>,
    pub for_each: Option<Expression>,
    pub depends_on: Vec<Expression>,
    pub lifecycle: Lifecycle,
    pub provider: Option<ProviderRef>,
    pub schema: Option<Arc<Schema>>,
    pub file: FileId,
    pub span: Span,
    /// Set for resources that came from YAML manifests.
    pub yaml: Option<YamlDecl>,
}

/// Where a resource declaration's body is.
pub(crate) enum DeclBody {
    /// No HCL body (YAML manifests, hand-built configs).
    Empty,
    /// The byte range of the whole `resource "T" "N" { ... }` block in its file, and, while
    /// the configuration loads, the syntax tree parsed with the file (spans are file offsets).
    Block(std::ops::Range<usize>, Option<Body>),
}

/// A YAML manifest's static attributes and the references to fill in at evaluation.
pub(crate) struct YamlDecl {
    pub attrs: Value,
    pub refs: Vec<(YamlRef, Vec<crate::addr::ResourceAddr>)>,
    pub deletion_policy: super::model::DeletionPolicy,
    pub management: super::model::Management,
    pub attr_spans: BTreeMap<String, Span>,
}

pub(crate) struct ProviderDecl {
    pub provider: ProviderRef,
    pub body: Body,
    pub file: FileId,
    pub span: Span,
}

/// One module directory's declarations.
#[derive(Default)]
pub(crate) struct ModuleDef {
    /// Directory relative to the root module (for `path.module`).
    pub dir: PathBuf,
    pub variables: IndexMap<String, VarDecl>,
    pub locals: IndexMap<String, LocalDecl>,
    pub resources: HashMap<(Mode, String, String), usize>,
    pub outputs: IndexMap<String, OutputDecl>,
    pub calls: IndexMap<String, CallDecl>,
}

/// How a resource (or module call) expanded in one module instance.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expansion {
    Single,
    Count(usize),
    ForEach(Vec<String>),
}

impl Expansion {
    pub fn keys(&self) -> Vec<InstanceKey> {
        match self {
            Expansion::Single => vec![InstanceKey::None],
            Expansion::Count(n) => (0..*n as i64).map(InstanceKey::Int).collect(),
            Expansion::ForEach(ks) => ks.iter().cloned().map(InstanceKey::Str).collect(),
        }
    }
}

/// The repetition context of a resource or module instance.
#[derive(Debug, Clone, Default)]
pub(crate) struct Repetition {
    pub count_index: Option<i64>,
    pub each: Option<(Value, Value)>,
}

pub(crate) struct ModuleInst {
    pub path: ModulePath,
    pub def: usize,
    pub parent: Option<usize>,
    /// The call's name in the parent.
    pub call: Option<String>,
    pub rep: Repetition,
    /// Child local provider name -> root provider configuration.
    pub provider_map: BTreeMap<String, ProviderRef>,
    /// Instances of each child call: call name -> (expansion, instance indexes).
    pub children: BTreeMap<String, (Expansion, Vec<usize>)>,
}

/// One resource instance in evaluation terms (parallel to `Config::instances`).
pub(crate) struct ResInst {
    pub decl: usize,
    pub module: usize,
    pub rep: Repetition,
}

/// Everything needed to evaluate (and re-evaluate) the configuration.
pub struct Program {
    pub(crate) defs: Vec<ModuleDef>,
    pub(crate) insts: Vec<ModuleInst>,
    pub(crate) decls: Vec<ResourceDecl>,
    pub(crate) providers: Vec<ProviderDecl>,
    /// (module instance, resource decl) -> expansion.
    pub(crate) expansions: HashMap<(usize, usize), Expansion>,
    pub(crate) res_insts: Vec<ResInst>,
    /// Root variable values and whether each is sensitive.
    pub(crate) root_vars: BTreeMap<String, (Value, bool)>,
    pub(crate) reader: FileReader,
    /// The root module's directory as given by the user (for `path.root`).
    pub(crate) root_dir: PathBuf,
    pub(crate) sources: SourceMap,
}

impl Program {
    /// A program with nothing in it (for configs built by hand in tests).
    pub fn empty() -> Self {
        Program {
            defs: vec![ModuleDef::default()],
            insts: vec![ModuleInst {
                path: ModulePath::root(),
                def: 0,
                parent: None,
                call: None,
                rep: Repetition::default(),
                provider_map: BTreeMap::new(),
                children: BTreeMap::new(),
            }],
            decls: vec![],
            providers: vec![],
            expansions: HashMap::new(),
            res_insts: vec![],
            root_vars: BTreeMap::new(),
            reader: Arc::new(|p: &Path| Err(format!("cannot read {}", p.display()))),
            root_dir: PathBuf::new(),
            sources: SourceMap::new(),
        }
    }
}

impl Program {
    /// A resource declaration's body (the loader's tree, or parsed again from its source), and
    /// the offset of the parsed text in its file (spans in the body are relative to it).
    pub(crate) fn decl_body<'a>(
        &self,
        decl: &'a ResourceDecl,
    ) -> Result<(Cow<'a, Body>, usize), Box<Diagnostic>> {
        let range = match &decl.body {
            DeclBody::Empty => return Ok((Cow::Owned(Body::new()), 0)),
            DeclBody::Block(_, Some(tree)) => return Ok((Cow::Borrowed(tree), 0)),
            DeclBody::Block(range, None) => range,
        };
        let text = &self.sources.file(decl.file).text;
        text.get(range.clone())
            .and_then(|t| hcl_edit::parser::parse_body(t).ok())
            .and_then(|b| b.into_iter().next())
            .and_then(|s| s.into_block().ok())
            .map(|block| (Cow::Owned(block.body), range.start))
            // It parsed when the configuration was loaded, from this same text.
            .ok_or_else(|| {
                Box::new(
                    Diagnostic::error(format!(
                        "internal error: the block of {}.{} could not be parsed again",
                        decl.type_name, decl.name
                    ))
                    .at(decl.span),
                )
            })
    }

    /// Drops the loader's syntax trees: from now on each evaluation parses its block again.
    pub(crate) fn drop_trees(&mut self) {
        for d in &mut self.decls {
            if let DeclBody::Block(_, tree) = &mut d.body {
                *tree = None;
            }
        }
    }
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program")
            .field("modules", &self.insts.len())
            .field("resources", &self.decls.len())
            .field("instances", &self.res_insts.len())
            .finish()
    }
}
