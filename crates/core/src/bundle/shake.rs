//! Tree shaking of the hoisted statements: a top-level declaration that nothing
//! live refers to, and whose evaluation has no side effect, is dropped.
//!
//! Live are the entry's exports and every statement that may have a side effect
//! (calls, assignments, loops, ... anything not known to be pure). Liveness then
//! follows the bindings a live statement mentions, anywhere inside it (function
//! bodies included), until nothing changes. Bindings are swc ids (name and syntax
//! context), so equal names in different modules or scopes never mix.

use std::collections::{HashMap, HashSet};
use swc_core::common::comments::{Comments, SingleThreadedComments};
use swc_core::common::SyntaxContext;
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{Visit, VisitWith};

/// Drops unused pure top-level declarations from `body`. `roots` are bindings
/// that must stay (the entry's exports); `pure` are generated declarations
/// known to have no side effects; `comments` carries `/* @__PURE__ */` marks.
pub fn shake(
    body: Vec<Stmt>,
    roots: &[Id],
    pure: &HashSet<Id>,
    comments: &SingleThreadedComments,
    unresolved: &HashSet<SyntaxContext>,
) -> Vec<Stmt> {
    // One item per declarator, so `const a = 1, b = f()` can lose `a` alone.
    let mut items: Vec<Stmt> = Vec::with_capacity(body.len());
    for stmt in body {
        match stmt {
            Stmt::Decl(Decl::Var(v)) if v.decls.len() > 1 => {
                let VarDecl { span, ctxt, kind, declare, decls } = *v;
                for d in decls {
                    items.push(Stmt::Decl(Decl::Var(Box::new(VarDecl { span, ctxt, kind, declare, decls: vec![d] }))));
                }
            }
            Stmt::Empty(_) => {}
            other => items.push(other),
        }
    }
    let judge = Purity { comments, unresolved };
    let mut declares: HashMap<Id, Vec<usize>> = HashMap::new();
    let mut removable = vec![false; items.len()];
    for (i, item) in items.iter().enumerate() {
        let (ids, is_pure) = match item {
            Stmt::Decl(Decl::Fn(f)) => (vec![f.ident.to_id()], true),
            Stmt::Decl(Decl::Class(c)) => (vec![c.ident.to_id()], judge.class(&c.class)),
            Stmt::Decl(Decl::Var(v)) => {
                let d = &v.decls[0];
                match &d.name {
                    Pat::Ident(b) => {
                        let id = b.id.to_id();
                        let p = pure.contains(&id) || d.init.as_deref().is_none_or(|e| judge.expr(e));
                        (vec![id], p)
                    }
                    other => {
                        let mut ids = Vec::new();
                        super::link::pat_ids(other, &mut ids);
                        (ids, false)
                    }
                }
            }
            _ => (vec![], false),
        };
        for id in ids {
            declares.entry(id).or_default().push(i);
        }
        removable[i] = is_pure;
    }
    let mut live = vec![false; items.len()];
    let mut work: Vec<usize> = Vec::new();
    for (i, r) in removable.iter().enumerate() {
        if !r {
            live[i] = true;
            work.push(i);
        }
    }
    for id in roots {
        for &i in declares.get(id).into_iter().flatten() {
            if !live[i] {
                live[i] = true;
                work.push(i);
            }
        }
    }
    while let Some(i) = work.pop() {
        let mut refs = Refs::default();
        items[i].visit_with(&mut refs);
        for id in refs.ids {
            for &j in declares.get(&id).into_iter().flatten() {
                if !live[j] {
                    live[j] = true;
                    work.push(j);
                }
            }
        }
    }
    items.into_iter().zip(live).filter_map(|(s, l)| l.then_some(s)).collect()
}

/// Every identifier mentioned (over-approximates references: a binding's own
/// name counts too, which only keeps more).
#[derive(Default)]
struct Refs {
    ids: HashSet<Id>,
}

impl Visit for Refs {
    fn visit_ident(&mut self, i: &Ident) {
        self.ids.insert(i.to_id());
    }
}

struct Purity<'a> {
    comments: &'a SingleThreadedComments,
    /// The syntax contexts swc's resolver gives references to globals (one per module).
    unresolved: &'a HashSet<SyntaxContext>,
}

/// Globals whose construction or call with pure arguments has no side effect.
const PURE_CONSTRUCTORS: &[&str] = &[
    "Map",
    "Set",
    "WeakMap",
    "WeakSet",
    "WeakRef",
    "Error",
    "TypeError",
    "RangeError",
    "TextEncoder",
    "TextDecoder",
    "Symbol",
    "Date",
    "AbortController",
    "URLSearchParams",
];

impl Purity<'_> {
    fn expr(&self, e: &Expr) -> bool {
        match e {
            Expr::Lit(_) | Expr::Ident(_) | Expr::Fn(_) | Expr::Arrow(_) | Expr::This(_) => true,
            Expr::Class(c) => self.class(&c.class),
            Expr::Tpl(t) => t.exprs.iter().all(|e| self.expr(e)),
            Expr::Array(a) => a.elems.iter().flatten().all(|e| e.spread.is_none() && self.expr(&e.expr)),
            Expr::Object(o) => o.props.iter().all(|p| match p {
                PropOrSpread::Spread(_) => false,
                PropOrSpread::Prop(p) => match &**p {
                    Prop::Shorthand(_) => true,
                    Prop::KeyValue(kv) => self.key(&kv.key) && self.expr(&kv.value),
                    Prop::Getter(g) => self.key(&g.key),
                    Prop::Setter(s) => self.key(&s.key),
                    Prop::Method(m) => self.key(&m.key),
                    Prop::Assign(_) => false,
                },
            }),
            Expr::Unary(u) => u.op != UnaryOp::Delete && self.expr(&u.arg),
            Expr::Bin(b) => !matches!(b.op, BinaryOp::In | BinaryOp::InstanceOf) && self.expr(&b.left) && self.expr(&b.right),
            Expr::Cond(c) => self.expr(&c.test) && self.expr(&c.cons) && self.expr(&c.alt),
            Expr::Seq(s) => s.exprs.iter().all(|e| self.expr(e)),
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Call(c) => {
                let args_pure = c.args.iter().all(|a| a.spread.is_none() && self.expr(&a.expr));
                args_pure && (self.comments.has_flag(c.span.lo, "PURE") || matches!(&c.callee, Callee::Expr(f) if self.is_pure_global(f)))
            }
            Expr::New(n) => {
                let args_pure = n.args.iter().flatten().all(|a| a.spread.is_none() && self.expr(&a.expr));
                args_pure && (self.comments.has_flag(n.span.lo, "PURE") || self.is_pure_global(&n.callee))
            }
            _ => false,
        }
    }

    /// `Map`, `Symbol`, ... or `Symbol.for`, `Object.freeze`, `Object.create`,
    /// read from the globals (not from a binding of the same name).
    fn is_pure_global(&self, e: &Expr) -> bool {
        match e {
            Expr::Ident(i) => self.unresolved.contains(&i.ctxt) && PURE_CONSTRUCTORS.contains(&&*i.sym),
            Expr::Member(m) => {
                let (Expr::Ident(obj), MemberProp::Ident(p)) = (&*m.obj, &m.prop) else { return false };
                self.unresolved.contains(&obj.ctxt)
                    && matches!((&*obj.sym, &*p.sym), ("Symbol", "for") | ("Object", "freeze") | ("Object", "create"))
            }
            _ => false,
        }
    }

    fn key(&self, k: &PropName) -> bool {
        match k {
            PropName::Computed(c) => matches!(&*c.expr, Expr::Lit(_)) || is_well_known_symbol(&c.expr),
            _ => true,
        }
    }

    fn class(&self, c: &Class) -> bool {
        if !c.decorators.is_empty() {
            return false;
        }
        if let Some(sup) = &c.super_class {
            if !matches!(&**sup, Expr::Ident(_)) {
                return false;
            }
        }
        c.body.iter().all(|m| match m {
            ClassMember::Constructor(_) | ClassMember::Empty(_) => true,
            ClassMember::Method(m) => self.key(&m.key),
            ClassMember::PrivateMethod(_) => true,
            ClassMember::ClassProp(p) => self.key(&p.key) && (!p.is_static || p.value.as_deref().is_none_or(|v| self.expr(v))),
            ClassMember::PrivateProp(p) => !p.is_static || p.value.as_deref().is_none_or(|v| self.expr(v)),
            _ => false,
        })
    }
}

/// `Symbol.iterator` and the like as a computed key.
fn is_well_known_symbol(e: &Expr) -> bool {
    matches!(e, Expr::Member(m) if matches!(&*m.obj, Expr::Ident(o) if &*o.sym == "Symbol") && matches!(m.prop, MemberProp::Ident(_)))
}
