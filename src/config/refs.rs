//! Finds the references an expression makes (`var.x`, `local.y`, `aws_vpc.main`, `module.m.out`),
//! skipping names bound by `for` expressions and template directives. The graph's edges and the
//! "undeclared reference" checks are built from these.

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::Body;
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Span as _;

/// One reference: its root name, the attribute names that follow it (up to three), and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Ref {
    pub root: String,
    pub attrs: Vec<String>,
    pub span: Option<std::ops::Range<usize>>,
}

/// Collects the references of an expression.
pub fn expr_refs(e: &Expression, out: &mut Vec<Ref>) {
    let mut bound = Vec::new();
    walk(e, &mut bound, out);
}

/// Collects the references of every attribute in a body, nested blocks included.
pub fn body_refs(b: &Body, out: &mut Vec<Ref>) {
    let mut bound = Vec::new();
    walk_body(b, &mut bound, out);
}

fn walk_body(b: &Body, bound: &mut Vec<String>, out: &mut Vec<Ref>) {
    for a in b.attributes() {
        walk(&a.value, bound, out);
    }
    for blk in b.blocks() {
        if blk.ident.as_str() == "dynamic" {
            // The iterator (default: the block label) is bound inside `content`.
            let iter = blk
                .body
                .get_attribute("iterator")
                .and_then(|a| match &a.value {
                    Expression::Variable(v) => Some(v.as_str().to_string()),
                    _ => None,
                })
                .or_else(|| blk.labels.first().map(|l| l.as_str().to_string()));
            if let Some(fe) = blk.body.get_attribute("for_each") {
                walk(&fe.value, bound, out);
            }
            let n = bound.len();
            if let Some(i) = iter {
                bound.push(i);
            }
            for inner in blk.body.blocks() {
                walk_body(&inner.body, bound, out);
            }
            bound.truncate(n);
        } else {
            walk_body(&blk.body, bound, out);
        }
    }
}

fn walk(e: &Expression, bound: &mut Vec<String>, out: &mut Vec<Ref>) {
    match e {
        Expression::Null(_)
        | Expression::Bool(_)
        | Expression::Number(_)
        | Expression::String(_) => {}
        Expression::Array(a) => a.iter().for_each(|x| walk(x, bound, out)),
        Expression::Object(o) => {
            for (k, v) in o.iter() {
                if let ObjectKey::Expression(ke) = k {
                    if !matches!(ke, Expression::Variable(_)) {
                        walk(ke, bound, out);
                    }
                }
                walk(v.expr(), bound, out);
            }
        }
        Expression::StringTemplate(t) => walk_template(t, bound, out),
        Expression::HeredocTemplate(h) => walk_template(&h.template, bound, out),
        Expression::Parenthesis(p) => walk(p.inner(), bound, out),
        Expression::Variable(v) => {
            if !bound.iter().any(|b| b == v.as_str()) {
                out.push(Ref {
                    root: v.as_str().to_string(),
                    attrs: vec![],
                    span: e.span(),
                });
            }
        }
        Expression::Traversal(t) => {
            match &t.expr {
                Expression::Variable(v) if !bound.iter().any(|b| b == v.as_str()) => {
                    let attrs = t
                        .operators
                        .iter()
                        .map_while(|o| match o.value() {
                            TraversalOperator::GetAttr(a) => Some(a.as_str().to_string()),
                            _ => None,
                        })
                        .take(3)
                        .collect();
                    out.push(Ref {
                        root: v.as_str().to_string(),
                        attrs,
                        span: e.span(),
                    });
                }
                other => walk(other, bound, out),
            }
            for op in &t.operators {
                if let TraversalOperator::Index(ix) = op.value() {
                    walk(ix, bound, out);
                }
            }
        }
        Expression::Conditional(c) => {
            walk(&c.cond_expr, bound, out);
            walk(&c.true_expr, bound, out);
            walk(&c.false_expr, bound, out);
        }
        Expression::FuncCall(f) => f.args.iter().for_each(|a| walk(a, bound, out)),
        Expression::UnaryOp(u) => walk(&u.expr, bound, out),
        Expression::BinaryOp(b) => {
            walk(&b.lhs_expr, bound, out);
            walk(&b.rhs_expr, bound, out);
        }
        Expression::ForExpr(f) => {
            walk(&f.intro.collection_expr, bound, out);
            let n = bound.len();
            if let Some(k) = &f.intro.key_var {
                bound.push(k.as_str().to_string());
            }
            bound.push(f.intro.value_var.as_str().to_string());
            if let Some(k) = &f.key_expr {
                walk(k, bound, out);
            }
            walk(&f.value_expr, bound, out);
            if let Some(c) = &f.cond {
                walk(&c.expr, bound, out);
            }
            bound.truncate(n);
        }
    }
}

fn walk_template(t: &Template, bound: &mut Vec<String>, out: &mut Vec<Ref>) {
    for el in t.iter() {
        match el {
            Element::Literal(_) => {}
            Element::Interpolation(i) => walk(&i.expr, bound, out),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(i) => {
                    walk(&i.if_expr.cond_expr, bound, out);
                    walk_template(&i.if_expr.template, bound, out);
                    if let Some(e) = &i.else_expr {
                        walk_template(&e.template, bound, out);
                    }
                }
                Directive::For(f) => {
                    let fe = &f.for_expr;
                    walk(&fe.collection_expr, bound, out);
                    let n = bound.len();
                    if let Some(k) = &fe.key_var {
                        bound.push(k.as_str().to_string());
                    }
                    bound.push(fe.value_var.as_str().to_string());
                    walk_template(&fe.template, bound, out);
                    bound.truncate(n);
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(s: &str) -> Vec<String> {
        let e = hcl_edit::parser::parse_expr(s).unwrap();
        let mut out = Vec::new();
        expr_refs(&e, &mut out);
        out.into_iter()
            .map(|r| {
                std::iter::once(r.root)
                    .chain(r.attrs)
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect()
    }

    #[test]
    fn for_variables_are_not_references() {
        assert_eq!(
            refs("[for s in aws_subnet.private : s.id if s.id != var.skip]"),
            vec!["aws_subnet.private", "var.skip"]
        );
    }

    #[test]
    fn template_and_index_references() {
        assert_eq!(
            refs(r#""${local.prefix}-%{ for x in var.xs }${x}%{ endfor }" "#.trim()),
            vec!["local.prefix", "var.xs"]
        );
        assert_eq!(
            refs("module.vpc.ids[count.index]"),
            vec!["module.vpc.ids", "count.index"]
        );
    }
}
