//! Expression evaluation over hcl-edit syntax trees, with Terraform's semantics: references,
//! operators, conditionals, `for` expressions, splats, templates and functions. Values that depend
//! on resources not yet known evaluate to `Value::Unknown`. The evaluator is lazy: locals,
//! variables and module outputs are evaluated on first use and memoised for one session.

use super::functions::{self, FnContext};
use super::program::{Expansion, Program, Repetition};
use crate::addr::{InstanceAddr, InstanceKey, Mode, ResourceAddr};
use crate::diag::{Diagnostic, FileId, Span};
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Span as _;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use terrane_provider::{AttrType, Map, Schema, Value};

/// Supplies the current values of resource instances (planned or applied).
pub trait ResourceValues {
    /// The instance's attributes, or None when nothing is known yet (evaluates as unknown).
    fn get(&self, addr: &InstanceAddr) -> Option<Value>;

    /// One top-level attribute: None when nothing is known of the instance, Some(None) when it
    /// lacks the attribute. Resolvers that hold values should override it to copy only that.
    fn get_attr(&self, addr: &InstanceAddr, name: &str) -> Option<Option<Value>> {
        self.get(addr).map(|v| v.get(name).cloned())
    }
}

/// A resolver that knows nothing: every resource attribute is unknown.
pub struct NoValues;

impl ResourceValues for NoValues {
    fn get(&self, _: &InstanceAddr) -> Option<Value> {
        None
    }
}

/// An evaluation error, turned into a diagnostic by the caller.
#[derive(Debug, Clone)]
pub struct EvalError {
    pub message: String,
    pub span: Option<Span>,
    pub help: Option<String>,
}

impl EvalError {
    pub fn new(message: impl Into<String>, span: Option<Span>) -> Self {
        EvalError {
            message: message.into(),
            span,
            help: None,
        }
    }
    pub fn help(mut self, h: impl Into<String>) -> Self {
        self.help = Some(h.into());
        self
    }
    pub fn into_diagnostic(self) -> Diagnostic {
        let mut d = Diagnostic::error(self.message).at_opt(self.span);
        if let Some(h) = self.help {
            d = d.help(h);
        }
        d
    }
}

pub type EvalResult = Result<Value, EvalError>;

/// Where an expression is evaluated: a module instance plus repetition and local bindings.
#[derive(Clone)]
pub(crate) struct Scope<'a> {
    pub module: usize,
    pub file: FileId,
    pub rep: &'a Repetition,
    /// `for` variables, dynamic block iterators and template variables, innermost last.
    pub bound: Vec<(String, Value)>,
    /// Inside a `templatefile` template only its variables are visible.
    pub template_only: bool,
    /// Offset in the file of the text the expressions were parsed from (a re-parsed block).
    pub base: usize,
}

impl<'a> Scope<'a> {
    pub fn new(module: usize, file: FileId, rep: &'a Repetition) -> Self {
        Scope {
            module,
            file,
            rep,
            bound: Vec::new(),
            template_only: false,
            base: 0,
        }
    }
    fn lookup(&self, name: &str) -> Option<&Value> {
        self.bound
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
    fn span(&self, r: Option<std::ops::Range<usize>>) -> Option<Span> {
        r.map(|r| Span::new(self.file, r.start + self.base..r.end + self.base))
    }
}

/// Memoised values (and their sensitivity) by module instance and name.
type Memo = HashMap<(usize, String), Result<(Value, bool), EvalError>>;

/// One evaluation session: memoises locals, variables and outputs.
pub struct Evaluator<'p> {
    pub(crate) prog: &'p Program,
    resolver: &'p dyn ResourceValues,
    now: Option<time::OffsetDateTime>,
    locals: RefCell<Memo>,
    vars: RefCell<Memo>,
    in_progress: RefCell<HashSet<(u8, usize, String)>>,
    sensitive: Cell<bool>,
}

impl<'p> Evaluator<'p> {
    pub fn new(
        prog: &'p Program,
        resolver: &'p dyn ResourceValues,
        now: Option<time::OffsetDateTime>,
    ) -> Self {
        Evaluator {
            prog,
            resolver,
            now,
            locals: RefCell::default(),
            vars: RefCell::default(),
            in_progress: RefCell::default(),
            sensitive: Cell::new(false),
        }
    }

    /// Evaluates and reports whether anything sensitive flowed into the result.
    pub(crate) fn eval_tracked(
        &self,
        e: &Expression,
        s: &Scope,
    ) -> Result<(Value, bool), EvalError> {
        let saved = self.sensitive.replace(false);
        let r = self.eval(e, s);
        let hit = self.sensitive.replace(saved || self.sensitive.get());
        r.map(|v| (v, hit))
    }

    /// Current value of a resource instance from the resolver.
    pub(crate) fn resolver_get(&self, addr: &InstanceAddr) -> Option<Value> {
        self.resolver.get(addr)
    }

    pub(crate) fn mark_sensitive(&self) {
        self.sensitive.set(true);
    }

    pub(crate) fn eval(&self, e: &Expression, s: &Scope) -> EvalResult {
        match e {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => Ok(Value::Number(n.value().as_f64().unwrap_or(0.0))),
            Expression::String(st) => Ok(Value::String(st.value().clone())),
            Expression::Array(a) => a
                .iter()
                .map(|x| self.eval(x, s))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::List),
            Expression::Object(o) => {
                let mut m = Map::new();
                let mut unknown_key = false;
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => Value::String(i.as_str().to_string()),
                        ObjectKey::Expression(Expression::Variable(v)) => {
                            Value::String(v.as_str().to_string())
                        }
                        ObjectKey::Expression(ke) => self.eval(ke, s)?,
                    };
                    let val = self.eval(v.expr(), s)?;
                    match key {
                        Value::Unknown => unknown_key = true,
                        k => {
                            let ks = k.to_string_lossy().ok_or_else(|| {
                                EvalError::new(
                                    format!("object keys must be strings, got {}", k.type_name()),
                                    s.span(v.expr().span()),
                                )
                            })?;
                            m.insert(ks, val);
                        }
                    }
                }
                Ok(if unknown_key {
                    Value::Unknown
                } else {
                    Value::Map(m)
                })
            }
            Expression::StringTemplate(t) => self.eval_template(t, s),
            Expression::HeredocTemplate(h) => self.eval_template(&h.template, s),
            Expression::Parenthesis(p) => self.eval(p.inner(), s),
            Expression::Variable(v) => self.eval_reference(v.as_str(), &[], s, e.span()),
            Expression::Traversal(t) => {
                if let Expression::Variable(root) = &t.expr {
                    if s.lookup(root.as_str()).is_none() {
                        let ops: Vec<&TraversalOperator> =
                            t.operators.iter().map(|o| o.value()).collect();
                        return self.eval_reference(root.as_str(), &ops, s, e.span());
                    }
                }
                let base = self.eval(&t.expr, s)?;
                let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
                self.apply_ops(base, &ops, s, e.span())
            }
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr, s)?;
                match cond {
                    Value::Unknown => Ok(Value::Unknown),
                    other => match other.as_bool() {
                        Some(true) => self.eval(&c.true_expr, s),
                        Some(false) => self.eval(&c.false_expr, s),
                        None => Err(EvalError::new(
                            format!("the condition must be a bool, got {}", other.type_name()),
                            s.span(c.cond_expr.span()),
                        )),
                    },
                }
            }
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr, s)?;
                if v.is_unknown() {
                    return Ok(Value::Unknown);
                }
                match u.operator.value() {
                    UnaryOperator::Neg => v.as_f64().map(|n| Value::Number(-n)).ok_or_else(|| {
                        EvalError::new(
                            format!("unary minus needs a number, got {}", v.type_name()),
                            s.span(e.span()),
                        )
                    }),
                    UnaryOperator::Not => v.as_bool().map(|b| Value::Bool(!b)).ok_or_else(|| {
                        EvalError::new(
                            format!("! needs a bool, got {}", v.type_name()),
                            s.span(e.span()),
                        )
                    }),
                }
            }
            Expression::BinaryOp(b) => {
                let op = *b.operator.value();
                let l = self.eval(&b.lhs_expr, s)?;
                // && and || short-circuit on a known left side.
                if op == BinaryOperator::And && l.as_bool() == Some(false) {
                    return Ok(Value::Bool(false));
                }
                if op == BinaryOperator::Or && l.as_bool() == Some(true) {
                    return Ok(Value::Bool(true));
                }
                let r = self.eval(&b.rhs_expr, s)?;
                binary(op, l, r).map_err(|m| EvalError::new(m, s.span(e.span())))
            }
            Expression::ForExpr(f) => self.eval_for(f, s, e.span()),
            Expression::FuncCall(f) => self.eval_call(f, s, e.span()),
        }
    }

    fn eval_for(
        &self,
        f: &hcl_edit::expr::ForExpr,
        s: &Scope,
        span: Option<std::ops::Range<usize>>,
    ) -> EvalResult {
        let coll = self.eval(&f.intro.collection_expr, s)?;
        let pairs: Vec<(Value, Value)> = match coll {
            Value::Unknown => return Ok(Value::Unknown),
            Value::List(l) => l
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Value::Number(i as f64), v))
                .collect(),
            Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
            Value::Null => {
                return Err(EvalError::new(
                    "cannot iterate over a null value",
                    s.span(f.intro.collection_expr.span()),
                ))
            }
            other => {
                return Err(EvalError::new(
                    format!(
                        "a for expression needs a list, set or map, got {}",
                        other.type_name()
                    ),
                    s.span(f.intro.collection_expr.span()),
                ))
            }
        };
        let mut list = Vec::new();
        let mut map: Map = Map::new();
        let mut any_unknown = false;
        for (k, v) in pairs {
            let mut inner = s.clone();
            if let Some(kv) = &f.intro.key_var {
                inner.bound.push((kv.as_str().to_string(), k.clone()));
            }
            inner
                .bound
                .push((f.intro.value_var.as_str().to_string(), v));
            if let Some(c) = &f.cond {
                match self.eval(&c.expr, &inner)? {
                    Value::Unknown => {
                        any_unknown = true;
                        continue;
                    }
                    c2 => match c2.as_bool() {
                        Some(true) => {}
                        Some(false) => continue,
                        None => {
                            return Err(EvalError::new(
                                "the `if` clause of a for expression must be a bool",
                                s.span(c.expr.span()),
                            ))
                        }
                    },
                }
            }
            let val = self.eval(&f.value_expr, &inner)?;
            match &f.key_expr {
                None => list.push(val),
                Some(ke) => {
                    let key = self.eval(ke, &inner)?;
                    if key.is_unknown() {
                        any_unknown = true;
                        continue;
                    }
                    let ks = key.to_string_lossy().ok_or_else(|| {
                        EvalError::new("for expression keys must be strings", s.span(ke.span()))
                    })?;
                    if f.grouping {
                        if let Value::List(l) = map.entry(ks).or_insert_with(|| Value::List(vec![]))
                        {
                            l.push(val);
                        }
                    } else {
                        match map.entry(ks) {
                            terrane_provider::map::Entry::Occupied(o) => {
                                return Err(EvalError::new(
                                    format!("duplicate object key {:?} in for expression", o.key()),
                                    s.span(span.clone()),
                                )
                                .help("add `...` after the value expression to group values with the same key"));
                            }
                            terrane_provider::map::Entry::Vacant(v) => {
                                v.insert(val);
                            }
                        }
                    }
                }
            }
        }
        if any_unknown {
            return Ok(Value::Unknown);
        }
        Ok(if f.key_expr.is_some() {
            Value::Map(map)
        } else {
            Value::List(list)
        })
    }

    fn eval_call(
        &self,
        f: &hcl_edit::expr::FuncCall,
        s: &Scope,
        span: Option<std::ops::Range<usize>>,
    ) -> EvalResult {
        let name = f.name.name.as_str();
        let sp = s.span(span);
        if f.name.is_namespaced() {
            return Err(EvalError::new(
                format!("provider-defined functions are not supported: {name}"),
                sp,
            ));
        }
        match name {
            "try" => {
                let mut last = None;
                for a in f.args.iter() {
                    match self.eval(a, s) {
                        Ok(v) => return Ok(v),
                        Err(e) => last = Some(e),
                    }
                }
                return Err(last
                    .unwrap_or_else(|| EvalError::new("try() needs at least one argument", sp))
                    .help("every argument of try() failed; the last error is shown"));
            }
            "can" => {
                let a = f
                    .args
                    .get(0)
                    .ok_or_else(|| EvalError::new("can() takes one argument", sp))?;
                return Ok(match self.eval(a, s) {
                    Ok(Value::Unknown) => Value::Unknown,
                    Ok(_) => Value::Bool(true),
                    Err(_) => Value::Bool(false),
                });
            }
            "templatefile" => return self.templatefile(f, s, sp),
            "sensitive" => {
                self.mark_sensitive();
            }
            _ => {}
        }
        if !functions::exists(name) {
            let help = crate::config::suggest(name, functions::names().iter().copied())
                .map(|m| format!("did you mean {m}()?"))
                .unwrap_or_else(|| "see the README for the supported functions".into());
            return Err(
                EvalError::new(format!("call to unknown function {name}()"), sp).help(help),
            );
        }
        let mut args = Vec::with_capacity(f.args.len());
        for a in f.args.iter() {
            args.push(self.eval(a, s)?);
        }
        if f.args.expand_final() {
            match args.pop() {
                Some(Value::List(l)) => args.extend(l),
                Some(Value::Unknown) => return Ok(Value::Unknown),
                _ => {
                    return Err(EvalError::new(
                        "the final argument before ... must be a list",
                        sp,
                    ))
                }
            }
        }
        // Relative paths resolve against the root module's directory, Terraform's working
        // directory, so `file("${path.module}/x")` works in every module.
        let dir = self.prog.root_dir.clone();
        let reader = |p: &std::path::Path| (self.prog.reader)(p);
        let ctx = FnContext {
            base_dir: &dir,
            read_file: &reader,
            now: self.now,
        };
        functions::call(name, args, &ctx).map_err(|m| EvalError::new(format!("{name}(): {m}"), sp))
    }

    fn templatefile(
        &self,
        f: &hcl_edit::expr::FuncCall,
        s: &Scope,
        sp: Option<Span>,
    ) -> EvalResult {
        if f.args.len() != 2 {
            return Err(EvalError::new(
                "templatefile(path, vars) takes two arguments",
                sp,
            ));
        }
        let path = self.eval(f.args.get(0).unwrap_or(&Expression::null()), s)?;
        let vars = self.eval(f.args.get(1).unwrap_or(&Expression::null()), s)?;
        let (Some(path), Some(vars)) = (path.as_str(), vars.as_map()) else {
            if path.is_unknown() || vars.is_unknown() {
                return Ok(Value::Unknown);
            }
            return Err(EvalError::new(
                "templatefile() needs a path string and a map of variables",
                sp,
            ));
        };
        let full = self.prog.root_dir.join(path);
        let text = (self.prog.reader)(&full)
            .map_err(|e| EvalError::new(format!("templatefile(): cannot read {path}: {e}"), sp))?;
        let tpl = hcl_edit::parser::parse_template(&text).map_err(|e| {
            EvalError::new(
                format!(
                    "templatefile(): {path}:{}:{}: {}",
                    e.location().line(),
                    e.location().column(),
                    e.message()
                ),
                sp,
            )
        })?;
        let mut inner = Scope::new(s.module, s.file, s.rep);
        inner.template_only = true;
        inner.bound = vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        // Spans inside the template refer to another file: report at the call instead.
        self.eval_template(&tpl, &inner).map_err(|mut e| {
            e.message = format!("in template {path}: {}", e.message);
            e.span = sp;
            e
        })
    }

    /// `path.module`: the module's directory relative to the root module's, as Terraform gives
    /// it (`.` for the root module, `modules/net` for a child).
    pub(crate) fn module_path(&self, module: usize) -> String {
        let def = &self.prog.defs[self.prog.insts[module].def];
        let dir = crate::source::normalize(&def.dir);
        if dir.as_os_str().is_empty() {
            ".".to_string()
        } else {
            dir.to_string_lossy().replace('\\', "/")
        }
    }

    fn eval_template(&self, t: &Template, s: &Scope) -> EvalResult {
        let mut out = String::new();
        let mut trim_next = false;
        let mut unknown = false;
        self.template_into(t, s, &mut out, &mut trim_next, &mut unknown)?;
        Ok(if unknown {
            Value::Unknown
        } else {
            Value::String(out)
        })
    }

    fn template_into(
        &self,
        t: &Template,
        s: &Scope,
        out: &mut String,
        trim_next: &mut bool,
        unknown: &mut bool,
    ) -> Result<(), EvalError> {
        for el in t.iter() {
            match el {
                Element::Literal(l) => {
                    let text: &str = l.value();
                    if *trim_next {
                        out.push_str(text.trim_start());
                        *trim_next = false;
                    } else {
                        out.push_str(text);
                    }
                }
                Element::Interpolation(i) => {
                    if i.strip.strip_start() {
                        trim_end_in_place(out);
                    }
                    let v = self.eval(&i.expr, s)?;
                    match v {
                        Value::Unknown => *unknown = true,
                        other => out.push_str(&other.to_string_lossy().ok_or_else(|| {
                            EvalError::new(
                                format!(
                                    "cannot include a {} value in a string template",
                                    other.type_name()
                                ),
                                s.span(i.expr.span()),
                            )
                            .help("use jsonencode() or join() to turn it into a string")
                        })?),
                    }
                    *trim_next = i.strip.strip_end();
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(ifd) => {
                        if ifd.if_expr.strip.strip_start() {
                            trim_end_in_place(out);
                        }
                        let c = self.eval(&ifd.if_expr.cond_expr, s)?;
                        let branch = match c {
                            Value::Unknown => {
                                *unknown = true;
                                None
                            }
                            other => Some(other.as_bool().ok_or_else(|| {
                                EvalError::new(
                                    "a template if condition must be a bool",
                                    s.span(ifd.if_expr.cond_expr.span()),
                                )
                            })?),
                        };
                        match branch {
                            Some(true) => {
                                *trim_next = ifd.if_expr.strip.strip_end();
                                self.template_into(
                                    &ifd.if_expr.template,
                                    s,
                                    out,
                                    trim_next,
                                    unknown,
                                )?;
                                if let Some(e) = &ifd.else_expr {
                                    if e.strip.strip_start() {
                                        trim_end_in_place(out);
                                    }
                                }
                            }
                            Some(false) => {
                                if let Some(e) = &ifd.else_expr {
                                    *trim_next = e.strip.strip_end();
                                    self.template_into(&e.template, s, out, trim_next, unknown)?;
                                }
                            }
                            None => {}
                        }
                        if ifd.endif_expr.strip.strip_start() {
                            trim_end_in_place(out);
                        }
                        *trim_next = ifd.endif_expr.strip.strip_end();
                    }
                    Directive::For(fd) => {
                        let fe = &fd.for_expr;
                        if fe.strip.strip_start() {
                            trim_end_in_place(out);
                        }
                        let coll = self.eval(&fe.collection_expr, s)?;
                        let pairs: Vec<(Value, Value)> = match coll {
                            Value::Unknown => {
                                *unknown = true;
                                vec![]
                            }
                            Value::List(l) => l
                                .into_iter()
                                .enumerate()
                                .map(|(i, v)| (Value::Number(i as f64), v))
                                .collect(),
                            Value::Map(m) => {
                                m.into_iter().map(|(k, v)| (Value::String(k), v)).collect()
                            }
                            other => {
                                return Err(EvalError::new(
                                    format!(
                                        "a template for needs a collection, got {}",
                                        other.type_name()
                                    ),
                                    s.span(fe.collection_expr.span()),
                                ))
                            }
                        };
                        for (k, v) in pairs {
                            let mut inner = s.clone();
                            if let Some(kv) = &fe.key_var {
                                inner.bound.push((kv.as_str().to_string(), k));
                            }
                            inner.bound.push((fe.value_var.as_str().to_string(), v));
                            *trim_next = fe.strip.strip_end();
                            self.template_into(&fe.template, &inner, out, trim_next, unknown)?;
                            if fd.endfor_expr.strip.strip_start() {
                                trim_end_in_place(out);
                            }
                        }
                        *trim_next = fd.endfor_expr.strip.strip_end();
                    }
                },
            }
        }
        Ok(())
    }

    /// Evaluates a reference rooted at `root` (var, local, module, data, a resource type, ...),
    /// consuming the operators it needs and applying the rest to the result.
    fn eval_reference(
        &self,
        root: &str,
        ops: &[&TraversalOperator],
        s: &Scope,
        span: Option<std::ops::Range<usize>>,
    ) -> EvalResult {
        let sp = s.span(span.clone());
        if let Some(v) = s.lookup(root) {
            return self.apply_ops(v.clone(), ops, s, span);
        }
        if s.template_only {
            return Err(
                EvalError::new(format!("the template has no variable {root:?}"), sp)
                    .help("pass it in the map given to templatefile()"),
            );
        }
        let attr = |i: usize| -> Option<&str> {
            match ops.get(i) {
                Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
                _ => None,
            }
        };
        let need = |i: usize, what: &str| -> Result<&str, EvalError> {
            attr(i).ok_or_else(|| {
                EvalError::new(
                    format!("invalid reference: `{root}` must be followed by {what}"),
                    sp,
                )
            })
        };
        let (base, used) = match root {
            "var" => {
                let name = need(0, "a variable name, e.g. var.region")?;
                (self.variable(s.module, name, sp)?, 1)
            }
            "local" => {
                let name = need(0, "a local value name, e.g. local.tags")?;
                (self.local(s.module, name, sp)?, 1)
            }
            "count" => {
                let a = need(0, "`.index`")?;
                if a != "index" {
                    return Err(EvalError::new(format!("count has no attribute {a:?}; use count.index"), sp));
                }
                match s.rep.count_index {
                    Some(i) => (Value::Number(i as f64), 1),
                    None => {
                        return Err(EvalError::new(
                            "count.index is only available in a resource or module with `count`",
                            sp,
                        ))
                    }
                }
            }
            "each" => {
                let a = need(0, "`.key` or `.value`")?;
                let Some((k, v)) = &s.rep.each else {
                    return Err(EvalError::new(
                        "each.key and each.value are only available in a resource or module with `for_each`",
                        sp,
                    ));
                };
                match a {
                    "key" => (k.clone(), 1),
                    "value" => (v.clone(), 1),
                    other => {
                        return Err(EvalError::new(
                            format!("each has no attribute {other:?}; use each.key or each.value"),
                            sp,
                        ))
                    }
                }
            }
            "path" => {
                let a = need(0, "`.module`, `.root` or `.cwd`")?;
                let v = match a {
                    "module" => self.module_path(s.module),
                    "root" => ".".to_string(),
                    "cwd" => std::env::current_dir()
                        .map(|d| d.display().to_string())
                        .unwrap_or_else(|_| ".".into()),
                    other => {
                        return Err(EvalError::new(format!("path has no attribute {other:?}"), sp))
                    }
                };
                (Value::String(if v.is_empty() { ".".into() } else { v }), 1)
            }
            "terraform" => {
                let a = need(0, "`.workspace`")?;
                if a != "workspace" {
                    return Err(EvalError::new(format!("terraform has no attribute {a:?}"), sp));
                }
                (Value::string("default"), 1)
            }
            "self" => {
                return Err(EvalError::new(
                    "`self` is only valid inside provisioner and connection blocks, which terrane does not run",
                    sp,
                ))
            }
            "module" => {
                let name = need(0, "a module name, e.g. module.vpc")?;
                (self.module_value(s.module, name, sp)?, 1)
            }
            "data" => {
                let ty = need(0, "a data source type and name, e.g. data.aws_region.current")?;
                let name = need(1, "a data source type and name, e.g. data.aws_region.current")?;
                let (v, sensitive_attr, took_attr) = self.resource_value(s.module, Mode::Data, ty, name, attr(2), sp)?;
                if sensitive_attr {
                    self.mark_sensitive();
                }
                (v, 2 + usize::from(took_attr))
            }
            ty => {
                let Some(name) = attr(0) else {
                    return Err(EvalError::new(
                        format!("unknown name {ty:?}"),
                        sp,
                    )
                    .help("a reference is var.NAME, local.NAME, module.NAME, data.TYPE.NAME or TYPE.NAME"));
                };
                let (v, sensitive_attr, took_attr) = self.resource_value(s.module, Mode::Managed, ty, name, attr(1), sp)?;
                if sensitive_attr {
                    self.mark_sensitive();
                }
                (v, 1 + usize::from(took_attr))
            }
        };
        self.apply_ops(base, &ops[used..], s, span)
    }

    fn apply_ops(
        &self,
        mut v: Value,
        ops: &[&TraversalOperator],
        s: &Scope,
        span: Option<std::ops::Range<usize>>,
    ) -> EvalResult {
        let sp = s.span(span.clone());
        for (i, op) in ops.iter().enumerate() {
            if v.is_unknown() {
                return Ok(Value::Unknown);
            }
            match op {
                TraversalOperator::GetAttr(a) => {
                    v = get_attr(v, a.as_str()).map_err(|m| EvalError::new(m, sp))?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    v = index(v, &Value::Number(*n.value() as f64))
                        .map_err(|m| EvalError::new(m, sp))?;
                }
                TraversalOperator::Index(e) => {
                    let k = self.eval(e, s)?;
                    if k.is_unknown() {
                        return Ok(Value::Unknown);
                    }
                    v = index(v, &k).map_err(|m| EvalError::new(m, sp))?;
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let items = match v {
                        Value::List(l) => l,
                        Value::Null => vec![],
                        other => vec![other],
                    };
                    let rest = &ops[i + 1..];
                    let mut out = Vec::with_capacity(items.len());
                    for it in items {
                        out.push(self.apply_ops(it, rest, s, span.clone())?);
                    }
                    return Ok(Value::List(out));
                }
            }
        }
        Ok(v)
    }

    /// The value of `var.NAME` in a module instance.
    pub(crate) fn variable(&self, module: usize, name: &str, sp: Option<Span>) -> EvalResult {
        let key = (module, name.to_string());
        if let Some(r) = self.vars.borrow().get(&key) {
            return r.clone().map(|(v, sens)| {
                if sens {
                    self.mark_sensitive();
                }
                v
            });
        }
        let inst = &self.prog.insts[module];
        let def = &self.prog.defs[inst.def];
        let Some(decl) = def.variables.get(name) else {
            let help = crate::config::suggest(name, def.variables.keys().map(String::as_str))
                .map(|m| format!("did you mean var.{m}?"))
                .unwrap_or_else(|| format!("declare it: variable \"{name}\" {{}}"));
            return Err(EvalError::new(
                format!("reference to undeclared input variable {name:?}"),
                sp,
            )
            .help(help));
        };
        let r = self.compute_variable(module, name, decl);
        self.vars.borrow_mut().insert(key, r.clone());
        r.map(|(v, sens)| {
            if sens {
                self.mark_sensitive();
            }
            v
        })
    }

    fn compute_variable(
        &self,
        module: usize,
        name: &str,
        decl: &super::program::VarDecl,
    ) -> Result<(Value, bool), EvalError> {
        let inst = &self.prog.insts[module];
        let mut sensitive = decl.sensitive;
        let given: Option<Value> = match (inst.parent, &inst.call) {
            (None, _) => self.prog.root_vars.get(name).map(|(v, s)| {
                sensitive |= *s;
                v.clone()
            }),
            (Some(parent), Some(call)) => {
                let pdef = &self.prog.defs[self.prog.insts[parent].def];
                let cdecl = &pdef.calls[call];
                match cdecl.args.iter().find(|(n, _, _)| n == name) {
                    Some((_, e, _)) => {
                        let scope = Scope::new(parent, cdecl.file, &inst.rep);
                        let (v, s) = self.eval_tracked(e, &scope)?;
                        sensitive |= s;
                        Some(v)
                    }
                    None => None,
                }
            }
            _ => None,
        };
        let value = match given {
            Some(v) if !(v.is_null() && decl.nullable && decl.default.is_some()) => v,
            _ => match &decl.default {
                Some(d) => {
                    let rep = Repetition::default();
                    self.eval(d, &Scope::new(module, decl.file, &rep))?
                }
                None => {
                    return Err(EvalError::new(
                        format!("no value for required variable {name:?}"),
                        Some(decl.span),
                    )
                    .help(if inst.parent.is_none() {
                        format!("set it with -var {name}=..., a .tfvars file, TF_VAR_{name}, or give it a default")
                    } else {
                        format!("pass {name} = ... in the module block, or give the variable a default")
                    }))
                }
            },
        };
        let value = match &decl.ty {
            Some(t) => t.convert(value).map_err(|m| {
                EvalError::new(
                    format!("invalid value for variable {name:?}: {m}"),
                    Some(decl.span),
                )
            })?,
            None => value,
        };
        if value.is_null() && !decl.nullable {
            return Err(EvalError::new(
                format!("variable {name:?} must not be null"),
                Some(decl.span),
            ));
        }
        // Validation rules see the variable's own value.
        for (cond, msg, span) in &decl.validations {
            let rep = Repetition::default();
            let mut scope = Scope::new(module, decl.file, &rep);
            scope
                .bound
                .push(("var".into(), Value::map([(name, value.clone())])));
            let ok = self.eval(cond, &scope)?;
            if ok.as_bool() == Some(false) {
                let m = self
                    .eval(msg, &scope)
                    .ok()
                    .and_then(|m| m.as_str().map(str::to_string))
                    .unwrap_or_else(|| "validation failed".into());
                return Err(EvalError::new(
                    format!("invalid value for variable {name:?}: {m}"),
                    Some(*span),
                )
                .help("this was checked by the variable's validation rule"));
            }
        }
        Ok((value, sensitive))
    }

    /// The value of `local.NAME`.
    pub(crate) fn local(&self, module: usize, name: &str, sp: Option<Span>) -> EvalResult {
        let key = (module, name.to_string());
        if let Some(r) = self.locals.borrow().get(&key) {
            return r.clone().map(|(v, sens)| {
                if sens {
                    self.mark_sensitive();
                }
                v
            });
        }
        let def = &self.prog.defs[self.prog.insts[module].def];
        let Some(decl) = def.locals.get(name) else {
            let help = crate::config::suggest(name, def.locals.keys().map(String::as_str))
                .map(|m| format!("did you mean local.{m}?"))
                .unwrap_or_else(|| "declare it in a locals { } block".into());
            return Err(EvalError::new(
                format!("reference to undeclared local value {name:?}"),
                sp,
            )
            .help(help));
        };
        let guard = (0u8, module, name.to_string());
        if !self.in_progress.borrow_mut().insert(guard.clone()) {
            return Err(EvalError::new(
                format!("local.{name} refers to itself (through a cycle of local values)"),
                Some(decl.span),
            ));
        }
        let rep = Repetition::default();
        let r = self.eval_tracked(&decl.expr, &Scope::new(module, decl.file, &rep));
        self.in_progress.borrow_mut().remove(&guard);
        self.locals.borrow_mut().insert(key, r.clone());
        r.map(|(v, sens)| {
            if sens {
                self.mark_sensitive();
            }
            v
        })
    }

    /// The value of `module.NAME`: an object of outputs (a list or map of them with count/for_each).
    fn module_value(&self, module: usize, name: &str, sp: Option<Span>) -> EvalResult {
        let inst = &self.prog.insts[module];
        let Some((exp, children)) = inst.children.get(name) else {
            let def = &self.prog.defs[inst.def];
            let help = crate::config::suggest(name, def.calls.keys().map(String::as_str))
                .map(|m| format!("did you mean module.{m}?"))
                .unwrap_or_else(|| {
                    format!("declare it: module \"{name}\" {{ source = \"./...\" }}")
                });
            return Err(
                EvalError::new(format!("reference to undeclared module {name:?}"), sp).help(help),
            );
        };
        let mut objs = Vec::with_capacity(children.len());
        for &c in children {
            objs.push(self.module_outputs(c)?);
        }
        Ok(match exp {
            Expansion::Single => objs.pop().unwrap_or(Value::Null),
            Expansion::Count(_) => Value::List(objs),
            Expansion::ForEach(keys) => Value::Map(keys.iter().cloned().zip(objs).collect()),
        })
    }

    /// All outputs of a module instance as an object.
    pub(crate) fn module_outputs(&self, module: usize) -> EvalResult {
        let def = &self.prog.defs[self.prog.insts[module].def];
        let mut m = Map::new();
        for (name, o) in &def.outputs {
            let guard = (1u8, module, name.clone());
            if !self.in_progress.borrow_mut().insert(guard.clone()) {
                return Err(EvalError::new(
                    format!("output {name:?} refers to itself through a cycle"),
                    Some(o.span),
                ));
            }
            let rep = Repetition::default();
            let r = self.eval_tracked(&o.expr, &Scope::new(module, o.file, &rep));
            self.in_progress.borrow_mut().remove(&guard);
            let (v, sens) = r?;
            if sens || o.sensitive {
                self.mark_sensitive();
            }
            m.insert(name.clone(), v);
        }
        Ok(Value::Map(m))
    }

    /// The value of a resource reference; also says whether `next_attr` is schema-sensitive,
    /// and whether the value is already that attribute's (a single instance with a schema:
    /// only the attribute is copied, not the whole object).
    fn resource_value(
        &self,
        module: usize,
        mode: Mode,
        ty: &str,
        name: &str,
        next_attr: Option<&str>,
        sp: Option<Span>,
    ) -> Result<(Value, bool, bool), EvalError> {
        let inst = &self.prog.insts[module];
        let def = &self.prog.defs[inst.def];
        let key = (mode, ty.to_string(), name.to_string());
        let Some(&decl_idx) = def.resources.get(&key) else {
            let prefix = if mode == Mode::Data { "data." } else { "" };
            let same_type: Vec<&str> = def
                .resources
                .keys()
                .filter(|(m, t, _)| *m == mode && t == ty)
                .map(|(_, _, n)| n.as_str())
                .collect();
            let help = match crate::config::suggest(name, same_type.iter().copied()) {
                Some(m) => format!("did you mean {prefix}{ty}.{m}?"),
                None => format!(
                    "declare it with a {} \"{ty}\" \"{name}\" block",
                    if mode == Mode::Data {
                        "data"
                    } else {
                        "resource"
                    }
                ),
            };
            return Err(EvalError::new(
                format!("reference to undeclared resource {prefix}{ty}.{name}"),
                sp,
            )
            .help(help));
        };
        let decl = &self.prog.decls[decl_idx];
        let mut sensitive = false;
        if let (Some(a), Some(schema)) = (next_attr, &decl.schema) {
            if !schema.body.attributes.contains_key(a)
                && !schema.body.blocks.contains_key(a)
                && a != "id"
            {
                let names = schema
                    .body
                    .attributes
                    .keys()
                    .chain(schema.body.blocks.keys())
                    .map(String::as_str);
                let help = crate::config::suggest(a, names)
                    .map(|m| format!("did you mean {m}?"))
                    .unwrap_or_else(|| format!("see the attributes of {ty}"));
                return Err(EvalError::new(format!("{ty} has no attribute {a:?}"), sp).help(help));
            }
            sensitive = schema.is_sensitive(a);
        }
        let addr = ResourceAddr::new(inst.path.clone(), mode, ty, name);
        let exp = self
            .prog
            .expansions
            .get(&(module, decl_idx))
            .cloned()
            .unwrap_or(Expansion::Single);
        if let (Expansion::Single, Some(a), Some(schema)) = (&exp, next_attr, &decl.schema) {
            let v = match self.resolver.get_attr(&addr.instance(InstanceKey::None), a) {
                None => Value::Unknown,
                Some(Some(v)) => v,
                Some(None) => absent_attr(schema, a),
            };
            return Ok((v, sensitive, true));
        }
        let get = |k: InstanceKey| -> Value {
            match self.resolver.get(&addr.instance(k)) {
                Some(v) => complete_object(decl.schema.as_deref(), v),
                None => Value::Unknown,
            }
        };
        let v = match &exp {
            Expansion::Single => get(InstanceKey::None),
            Expansion::Count(n) => {
                Value::List((0..*n as i64).map(|i| get(InstanceKey::Int(i))).collect())
            }
            Expansion::ForEach(keys) => Value::Map(
                keys.iter()
                    .map(|k| (k.clone(), get(InstanceKey::Str(k.clone()))))
                    .collect(),
            ),
        };
        Ok((v, sensitive, false))
    }
}

/// What `complete_object` fills in for an attribute the object lacks.
fn absent_attr(schema: &Schema, name: &str) -> Value {
    match schema.body.attributes.get(name) {
        Some(a) if a.computed => Value::Unknown,
        Some(_) => Value::Null,
        None if schema.body.blocks.contains_key(name) => Value::List(vec![]),
        None => Value::Unknown,
    }
}

/// Fills attributes a resource object lacks: computed ones unknown, others null.
fn complete_object(schema: Option<&Schema>, v: Value) -> Value {
    // Takes `v` by value and moves the map out: no copy per reference.
    let Some(schema) = schema else {
        return v;
    };
    let Value::Map(mut m) = v else {
        return v;
    };
    for (name, a) in &schema.body.attributes {
        m.entry(name.clone()).or_insert(if a.computed {
            Value::Unknown
        } else {
            Value::Null
        });
    }
    for name in schema.body.blocks.keys() {
        m.entry(name.clone()).or_insert(Value::List(vec![]));
    }
    m.entry("id".into()).or_insert(Value::Unknown);
    Value::Map(m)
}

fn trim_end_in_place(s: &mut String) {
    let n = s.trim_end().len();
    s.truncate(n);
}

fn get_attr(v: Value, a: &str) -> Result<Value, String> {
    match v {
        Value::Map(mut m) => m.remove(a).ok_or_else(|| {
            let keys: Vec<&str> = m.keys().map(String::as_str).collect();
            match crate::config::suggest(a, keys.iter().copied()) {
                Some(s) => format!("this object has no attribute {a:?}; did you mean {s:?}?"),
                None => format!("this object has no attribute {a:?}"),
            }
        }),
        Value::Null => Err(format!("cannot read attribute {a:?} of a null value")),
        Value::List(_) => Err(format!(
            "cannot read attribute {a:?} of a list; use an index like [0] or a splat like [*].{a}"
        )),
        other => Err(format!(
            "cannot read attribute {a:?} of a {} value",
            other.type_name()
        )),
    }
}

fn index(v: Value, k: &Value) -> Result<Value, String> {
    match v {
        Value::List(mut l) => {
            let i = k
                .as_f64()
                .filter(|n| n.fract() == 0.0)
                .ok_or_else(|| format!("a list index must be a whole number, got {k}"))?;
            if i < 0.0 || i as usize >= l.len() {
                return Err(format!(
                    "index {i} is out of range for a list of {} elements",
                    l.len()
                ));
            }
            Ok(l.swap_remove(i as usize))
        }
        Value::Map(mut m) => {
            let key = k
                .to_string_lossy()
                .ok_or_else(|| format!("a map key must be a string, got {}", k.type_name()))?;
            m.remove(&key)
                .ok_or_else(|| format!("the map has no element with key {key:?}"))
        }
        Value::Null => Err("cannot index a null value".into()),
        other => Err(format!("cannot index a {} value", other.type_name())),
    }
}

fn num(v: &Value, op: &str) -> Result<f64, String> {
    v.as_f64()
        .ok_or_else(|| format!("operator {op} needs numbers, got {}", v.type_name()))
}

fn binary(op: BinaryOperator, l: Value, r: Value) -> EvalResult2 {
    use BinaryOperator as B;
    if l.is_unknown() || r.is_unknown() {
        return Ok(Value::Unknown);
    }
    let s = op.as_str();
    Ok(match op {
        B::Eq => Value::Bool(values_equal(&l, &r)),
        B::NotEq => Value::Bool(!values_equal(&l, &r)),
        B::Plus => Value::Number(num(&l, s)? + num(&r, s)?),
        B::Minus => Value::Number(num(&l, s)? - num(&r, s)?),
        B::Mul => Value::Number(num(&l, s)? * num(&r, s)?),
        B::Div => {
            let d = num(&r, s)?;
            if d == 0.0 {
                return Err("division by zero".into());
            }
            Value::Number(num(&l, s)? / d)
        }
        B::Mod => {
            let d = num(&r, s)?;
            if d == 0.0 {
                return Err("modulo by zero".into());
            }
            Value::Number(num(&l, s)? % d)
        }
        B::Less => Value::Bool(num(&l, s)? < num(&r, s)?),
        B::LessEq => Value::Bool(num(&l, s)? <= num(&r, s)?),
        B::Greater => Value::Bool(num(&l, s)? > num(&r, s)?),
        B::GreaterEq => Value::Bool(num(&l, s)? >= num(&r, s)?),
        B::And | B::Or => {
            let (a, b) = (
                l.as_bool()
                    .ok_or_else(|| format!("operator {s} needs bools, got {}", l.type_name()))?,
                r.as_bool()
                    .ok_or_else(|| format!("operator {s} needs bools, got {}", r.type_name()))?,
            );
            Value::Bool(if op == B::And { a && b } else { a || b })
        }
    })
}

type EvalResult2 = Result<Value, String>;

/// Terraform equality: same type and value (numbers numerically).
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y,
        _ => a == b,
    }
}

/// Converts a value to match an attribute type, as Terraform does for resource arguments
/// (numbers from numeric strings, strings from numbers and bools).
pub(crate) fn coerce(v: Value, ty: &AttrType) -> Result<Value, String> {
    if matches!(v, Value::Unknown | Value::Null) {
        return Ok(v);
    }
    match ty {
        AttrType::String | AttrType::Json => match v {
            Value::String(_) => Ok(v),
            Value::Number(_) | Value::Bool(_) => {
                Ok(Value::String(v.to_string_lossy().unwrap_or_default()))
            }
            other => Err(format!(
                "a string is required here, got {}",
                other.type_name()
            )),
        },
        AttrType::Number => match &v {
            Value::Number(_) => Ok(v),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .map(Value::Number)
                .map_err(|_| format!("a number is required here, got {s:?}")),
            other => Err(format!(
                "a number is required here, got {}",
                other.type_name()
            )),
        },
        AttrType::Bool => match &v {
            Value::Bool(_) => Ok(v),
            Value::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
            other => Err(format!(
                "a bool is required here, got {}",
                other.type_name()
            )),
        },
        AttrType::List(t) | AttrType::Set(t) => match v {
            Value::List(l) => {
                let mut out = l
                    .into_iter()
                    .map(|x| coerce(x, t))
                    .collect::<Result<Vec<_>, _>>()?;
                if matches!(ty, AttrType::Set(_)) {
                    let mut seen: Vec<Value> = Vec::new();
                    out.retain(|x| {
                        if seen.contains(x) {
                            false
                        } else {
                            seen.push(x.clone());
                            true
                        }
                    });
                }
                Ok(Value::List(out))
            }
            other => Err(format!(
                "a list is required here, got {}",
                other.type_name()
            )),
        },
        AttrType::Map(t) => match v {
            Value::Map(m) => m
                .into_iter()
                .map(|(k, x)| coerce(x, t).map(|x| (k, x)))
                .collect::<Result<Map, _>>()
                .map(Value::Map),
            other => Err(format!("a map is required here, got {}", other.type_name())),
        },
        AttrType::Dynamic => Ok(v),
    }
}
