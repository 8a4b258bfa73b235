//! nft's wrapper pre-transforms (`utils/wrappers.js`) that make some bundle
//! shapes analysable: the UMD wrapper whose factory takes `(require, exports)`
//! and the When.js-style AMD wrapper. (Per-package special cases live in
//! `analyze.rs`.)

use rustc_hash::FxHashMap;
use swc_core::atoms::Atom;
use swc_core::common::DUMMY_SP;
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

fn wrapper_call(program: &mut Program) -> Option<&mut CallExpr> {
    let body_len = match program {
        Program::Script(s) => s.body.len(),
        Program::Module(m) => m.body.len(),
    };
    if body_len != 1 {
        return None;
    }
    let stmt = match program {
        Program::Script(s) => &mut s.body[0],
        Program::Module(m) => match &mut m.body[0] {
            ModuleItem::Stmt(s) => s,
            _ => return None,
        },
    };
    let Stmt::Expr(es) = stmt else { return None };
    let expr = unparen_mut(&mut es.expr);
    let call = match expr {
        Expr::Unary(u) if u.op == UnaryOp::Bang => match unparen_mut(&mut u.arg) {
            Expr::Call(c) if c.args.len() == 1 => c,
            _ => return None,
        },
        Expr::Call(c) if c.args.len() <= 1 => c,
        Expr::Assign(a) => {
            let is_module_exports = matches!(&a.left, AssignTarget::Simple(SimpleAssignTarget::Member(m))
                if matches!(&*m.obj, Expr::Ident(i) if i.sym == "module")
                && matches!(&m.prop, MemberProp::Ident(p) if p.sym == "exports"));
            if !is_module_exports {
                return None;
            }
            match unparen_mut(&mut a.right) {
                Expr::Call(c) if c.args.len() == 1 => c,
                _ => return None,
            }
        }
        _ => return None,
    };
    let Callee::Expr(callee) = &mut call.callee else { return None };
    // acorn has no parenthesized expressions: `(function () {})()` has the function as callee
    let inner = std::mem::replace(&mut **callee, Expr::Invalid(Invalid { span: Default::default() }));
    **callee = strip_parens(inner);
    if !matches!(&**callee, Expr::Fn(_)) {
        return None;
    }
    for arg in call.args.iter_mut() {
        let inner = std::mem::replace(&mut *arg.expr, Expr::Invalid(Invalid { span: Default::default() }));
        *arg.expr = strip_parens(inner);
    }
    Some(call)
}

fn unparen_mut(e: &mut Expr) -> &mut Expr {
    match e {
        Expr::Paren(p) => unparen_mut(&mut p.expr),
        other => other,
    }
}

fn strip_parens(e: Expr) -> Expr {
    match e {
        Expr::Paren(p) => strip_parens(*p.expr),
        other => other,
    }
}

fn strip_params(f: &mut Function) {
    f.params.clear();
}

/// Applies nft's wrapper rewrites: the UMD `(require, exports)` factory
/// unwrapping (its parameters are dropped so `require` inside it is the
/// module's `require`) and the webpack bundle rewrite (`__webpack_require__(N)`
/// of a module that is `module.exports = require("x")` becomes `require("x")`).
pub(crate) fn handle_wrappers(program: &mut Program) {
    let Some(call) = wrapper_call(program) else { return };
    if webpack_wrapper(call) {
        return;
    }
    let Callee::Expr(callee) = &call.callee else { return };
    let Expr::Fn(wrapper_fn) = &**callee else { return };
    let Some(body) = wrapper_fn.function.body.as_ref() else { return };
    let Some(arg0) = call.args.first() else { return };

    // UMD: (function (factory) { if (typeof module === "object" && typeof module.exports === "object") { var v = factory(require, exports); ... } ... })(function (require, exports) { ... })
    if let Expr::Fn(factory) = &*arg0.expr {
        let two_ident_params = factory.function.params.len() == 2 && factory.function.params.iter().all(|p| matches!(p.pat, Pat::Ident(_)));
        if two_ident_params && body.stmts.len() == 1 {
            if let Stmt::If(if_stmt) = &body.stmts[0] {
                let test_ok = is_umd_test(&if_stmt.test);
                let call_site = match &*if_stmt.cons {
                    Stmt::Block(b) if !b.stmts.is_empty() => match &b.stmts[0] {
                        Stmt::Decl(Decl::Var(v)) => match v.decls.first().and_then(|d| d.init.as_deref()) {
                            Some(Expr::Call(c)) => Some(c),
                            _ => None,
                        },
                        Stmt::Expr(es) => match &*es.expr {
                            Expr::Call(c) => Some(c),
                            Expr::Assign(a) if a.op == AssignOp::Assign => match &*a.right {
                                Expr::Call(c) => Some(c),
                                _ => None,
                            },
                            _ => None,
                        },
                        _ => None,
                    },
                    _ => None,
                };
                let first_param = match wrapper_fn.function.params.first().map(|p| &p.pat) {
                    Some(Pat::Ident(i)) => Some(i.id.sym.clone()),
                    _ => None,
                };
                let matches_site = call_site.is_some_and(|c| {
                    matches!(&c.callee, Callee::Expr(e) if matches!(&**e, Expr::Ident(i) if Some(&i.sym) == first_param.as_ref()))
                        && c.args.len() == 2
                        && matches!(&*c.args[0].expr, Expr::Ident(i) if i.sym == "require")
                        && matches!(&*c.args[1].expr, Expr::Ident(i) if i.sym == "exports")
                });
                if test_ok && matches_site {
                    if let Some(arg0) = call.args.first_mut() {
                        if let Expr::Fn(factory) = &mut *arg0.expr {
                            strip_params(&mut factory.function);
                        }
                    }
                }
            }
        }
    }
}

fn typeof_of(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::Unary(u) if u.op == UnaryOp::TypeOf => Some(&u.arg),
        _ => None,
    }
}

fn is_str(e: &Expr, s: &str) -> bool {
    matches!(e, Expr::Lit(Lit::Str(x)) if x.value == *s)
}

/// `typeof module === "object" && typeof module.exports === "object"` (any
/// equality operator, as nft only checks the shape).
fn is_umd_test(e: &Expr) -> bool {
    let Expr::Bin(and) = e else { return false };
    if and.op != BinaryOp::LogicalAnd {
        return false;
    }
    let (Expr::Bin(l), Expr::Bin(r)) = (&*and.left, &*and.right) else { return false };
    let l_ok = typeof_of(&l.left).is_some_and(|a| matches!(a, Expr::Ident(i) if i.sym == "module")) && is_str(&l.right, "object");
    let r_ok = typeof_of(&r.left).is_some_and(|a| {
        matches!(a, Expr::Member(m)
            if matches!(&*m.obj, Expr::Ident(i) if i.sym == "module")
            && matches!(&m.prop, MemberProp::Ident(p) if p.sym == "exports"))
    }) && is_str(&r.right, "object");
    l_ok && r_ok
}

fn is_fn_expr(e: &Expr) -> bool {
    matches!(e, Expr::Fn(_))
}

fn lit_key(p: &PropOrSpread) -> Option<String> {
    let PropOrSpread::Prop(p) = p else { return None };
    let Prop::KeyValue(kv) = &**p else { return None };
    if !is_fn_expr(&kv.value) {
        return None;
    }
    match &kv.key {
        PropName::Str(s) => Some(s.value.to_string_lossy().into_owned()),
        PropName::Num(n) => Some(crate::value::num_to_string(n.value)),
        _ => None,
    }
}

/// Recognises nft's webpack shapes and rewrites their module functions;
/// returns whether the wrapper was a webpack bundle.
fn webpack_wrapper(call: &mut CallExpr) -> bool {
    let Callee::Expr(callee) = &call.callee else { return false };
    let Expr::Fn(wrapper_fn) = &**callee else { return false };
    let Some(body) = wrapper_fn.function.body.as_ref() else { return false };
    let stmts = &body.stmts;
    let fn_decl_ok = |i: usize| {
        matches!(stmts.get(i), Some(Stmt::Decl(Decl::Fn(f)))
            if f.function.params.len() == 1 && f.function.body.as_ref().is_some_and(|b| b.stmts.len() >= 3))
    };
    // webpack 4: (function (modules) { var installed = {}; function __webpack_require__(id) {...} ... })([...] or {...})
    let v4 = stmts.len() > 2
        && matches!(&stmts[0], Stmt::Decl(Decl::Var(v)) if v.decls.len() == 1
        && matches!(v.decls[0].name, Pat::Ident(_))
        && match v.decls[0].init.as_deref() {
            Some(Expr::Object(o)) => o.props.is_empty(),
            Some(Expr::Call(c)) => c.args.len() == 1,
            _ => false,
        })
        && (fn_decl_ok(1) || fn_decl_ok(2))
        && match call.args.first().map(|a| &*a.expr) {
            Some(Expr::Array(a)) => {
                !a.elems.is_empty() && a.elems.iter().all(|e| matches!(e, Some(ExprOrSpread { spread: None, expr }) if is_fn_expr(expr)))
            }
            Some(Expr::Object(o)) => !o.props.is_empty() && o.props.iter().all(|p| lit_key(p).is_some()),
            _ => false,
        };
    // webpack 5 chunk without runtime: (function () { var exports = {}; exports.id = ..; exports.ids = ..; exports.modules = {...}; var __webpack_require__ = require("..."); ... })()
    let v5 = !v4
        && call.args.is_empty()
        && wrapper_fn.function.params.is_empty()
        && stmts.len() > 5
        && matches!(&stmts[0], Stmt::Decl(Decl::Var(v)) if v.decls.len() == 1 && matches!(v.decls[0].name, Pat::Ident(_)))
        && (1..4).all(|i| matches!(&stmts[i], Stmt::Expr(e) if matches!(&*e.expr, Expr::Assign(_))))
        && {
            let Stmt::Decl(Decl::Var(v)) = &stmts[0] else { unreachable!() };
            let Pat::Ident(name) = &v.decls[0].name else { unreachable!() };
            matches!(&stmts[3], Stmt::Expr(e) if matches!(&*e.expr, Expr::Assign(a)
                if matches!(&a.left, AssignTarget::Simple(SimpleAssignTarget::Member(m))
                    if matches!(&*m.obj, Expr::Ident(o) if o.sym == name.id.sym)
                    && matches!(&m.prop, MemberProp::Ident(p) if p.sym == "modules"))
                && matches!(&*a.right, Expr::Object(o) if o.props.iter().all(|p| lit_key(p).is_some()))))
        }
        && [4, 5].iter().any(|&i| {
            matches!(&stmts[i], Stmt::Decl(Decl::Var(v)) if v.decls.len() == 1
                && matches!(v.decls[0].init.as_deref(), Some(Expr::Call(c))
                    if matches!(&c.callee, Callee::Expr(e) if matches!(&**e, Expr::Ident(i) if i.sym == "require"))))
        });
    if !v4 && !v5 {
        return false;
    }
    // the module functions, by id
    let mut modules: Vec<(String, &mut Function)> = vec![];
    if v4 {
        let Callee::Expr(_) = &call.callee else { return true };
        match call.args.first_mut().map(|a| &mut *a.expr) {
            Some(Expr::Array(a)) => {
                let fns = a.elems.iter_mut().flatten().filter_map(|e| match &mut *e.expr {
                    Expr::Fn(f) => Some(&mut *f.function),
                    _ => None,
                });
                for (i, f) in fns.enumerate() {
                    modules.push((i.to_string(), f));
                }
            }
            Some(Expr::Object(o)) => collect_obj_modules(o, &mut modules),
            _ => {}
        }
    } else {
        let Callee::Expr(callee) = &mut call.callee else { return true };
        let Expr::Fn(wrapper_fn) = &mut **callee else { return true };
        let Some(body) = wrapper_fn.function.body.as_mut() else { return true };
        if let Stmt::Expr(e) = &mut body.stmts[3] {
            if let Expr::Assign(a) = &mut *e.expr {
                if let Expr::Object(o) = &mut *a.right {
                    collect_obj_modules(o, &mut modules);
                }
            }
        }
    }
    // modules that are `module.exports = require("x")`
    let mut externals: FxHashMap<String, Atom> = FxHashMap::default();
    for (k, m) in &modules {
        let Some(body) = m.body.as_ref() else { continue };
        let b = &body.stmts;
        let use_strict = |s: &Stmt| matches!(s, Stmt::Expr(e) if matches!(&*e.expr, Expr::Lit(Lit::Str(x)) if x.value == *"use strict"));
        let statement = if b.len() == 1 {
            Some(&b[0])
        } else if (b.len() == 2 || (b.len() == 3 && matches!(b[2], Stmt::Empty(_)))) && use_strict(&b[0]) {
            Some(&b[1])
        } else {
            None
        };
        let Some(Stmt::Expr(es)) = statement else { continue };
        let Expr::Assign(a) = &*es.expr else { continue };
        let Some(Pat::Ident(p0)) = m.params.first().map(|p| &p.pat) else { continue };
        let left_ok = a.op == AssignOp::Assign
            && matches!(&a.left, AssignTarget::Simple(SimpleAssignTarget::Member(mm))
                if matches!(&*mm.obj, Expr::Ident(o) if o.sym == p0.id.sym)
                && matches!(&mm.prop, MemberProp::Ident(p) if p.sym == "exports"));
        if !left_ok {
            continue;
        }
        if let Expr::Call(c) = &*a.right {
            let is_require = matches!(&c.callee, Callee::Expr(e) if matches!(&**e, Expr::Ident(i) if i.sym == "require"));
            if is_require && c.args.len() == 1 {
                if let Expr::Lit(Lit::Str(x)) = &*c.args[0].expr {
                    externals.insert(k.clone(), x.value.to_atom_lossy().into_owned());
                }
            }
        }
    }
    for (_, m) in modules {
        if m.params.len() != 3 {
            continue;
        }
        let Pat::Ident(req) = &m.params[2].pat else { continue };
        let mut rw = WebpackRewrite { req: req.id.sym.clone(), externals: &externals };
        if let Some(body) = m.body.as_mut() {
            body.visit_mut_with(&mut rw);
        }
    }
    true
}

fn collect_obj_modules<'a>(o: &'a mut ObjectLit, out: &mut Vec<(String, &'a mut Function)>) {
    for p in o.props.iter_mut() {
        let Some(key) = lit_key(p) else { continue };
        let PropOrSpread::Prop(p) = p else { continue };
        let Prop::KeyValue(kv) = &mut **p else { continue };
        if let Expr::Fn(f) = &mut *kv.value {
            out.push((key, &mut f.function));
        }
    }
}

/// Rewrites `R(N)` (N an external module) to `require("x")` and
/// `var y = R.n(x)` to `var y = Object.assign(() => x, { a: x })`, in the
/// parent positions nft rewrites.
struct WebpackRewrite<'m> {
    req: Atom,
    externals: &'m FxHashMap<String, Atom>,
}

fn ident(name: &str) -> Box<Expr> {
    Box::new(Expr::Ident(Ident::new_no_ctxt(name.into(), DUMMY_SP)))
}

impl WebpackRewrite<'_> {
    fn replace(&self, e: &mut Box<Expr>) {
        let Expr::Call(c) = &**e else { return };
        let Callee::Expr(callee) = &c.callee else { return };
        if !matches!(&**callee, Expr::Ident(i) if i.sym == self.req) || c.args.len() != 1 {
            return;
        }
        let key = match &*c.args[0].expr {
            Expr::Lit(Lit::Str(s)) => s.value.to_string_lossy().into_owned(),
            Expr::Lit(Lit::Num(n)) => crate::value::num_to_string(n.value),
            Expr::Lit(Lit::Bool(b)) => b.value.to_string(),
            Expr::Lit(Lit::Null(_)) => "null".into(),
            _ => return,
        };
        let Some(ext) = self.externals.get(&key) else { return };
        **e = Expr::Call(CallExpr {
            span: DUMMY_SP,
            ctxt: Default::default(),
            callee: Callee::Expr(ident("require")),
            args: vec![ExprOrSpread { spread: None, expr: Box::new(Expr::Lit(Lit::Str(Str::from(ext.clone())))) }],
            type_args: None,
        });
    }
}

impl VisitMut for WebpackRewrite<'_> {
    fn visit_mut_assign_expr(&mut self, n: &mut AssignExpr) {
        self.replace(&mut n.right);
        n.visit_mut_children_with(self);
    }
    fn visit_mut_bin_expr(&mut self, n: &mut BinExpr) {
        self.replace(&mut n.right);
        self.replace(&mut n.left);
        n.visit_mut_children_with(self);
    }
    fn visit_mut_member_expr(&mut self, n: &mut MemberExpr) {
        self.replace(&mut n.obj);
        n.visit_mut_children_with(self);
    }
    fn visit_mut_call_expr(&mut self, n: &mut CallExpr) {
        if let Callee::Expr(c) = &mut n.callee {
            self.replace(c);
        }
        for a in n.args.iter_mut() {
            self.replace(&mut a.expr);
        }
        n.visit_mut_children_with(self);
    }
    fn visit_mut_new_expr(&mut self, n: &mut NewExpr) {
        for a in n.args.iter_mut().flatten() {
            self.replace(&mut a.expr);
        }
        n.visit_mut_children_with(self);
    }
    fn visit_mut_var_declarator(&mut self, n: &mut VarDeclarator) {
        if let Some(init) = n.init.as_mut() {
            self.replace(init);
            // var y = R.n(x)  ->  Object.assign(() => x, { a: x })
            let interop = match &**init {
                Expr::Call(c) if c.args.len() == 1 => match (&c.callee, &*c.args[0].expr) {
                    (Callee::Expr(ce), Expr::Ident(x)) => match &**ce {
                        Expr::Member(m)
                            if matches!(&*m.obj, Expr::Ident(o) if o.sym == self.req)
                                && matches!(&m.prop, MemberProp::Ident(p) if p.sym == "n") =>
                        {
                            Some(x.clone())
                        }
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            };
            if let Some(x) = interop {
                let arrow = Expr::Arrow(ArrowExpr {
                    span: DUMMY_SP,
                    ctxt: Default::default(),
                    params: vec![],
                    body: Box::new(ArrowFunctionBody::Expr(Box::new(Expr::Ident(x.clone())))),
                    is_async: false,
                    is_generator: false,
                    type_params: None,
                    return_type: None,
                });
                let obj = Expr::Object(ObjectLit {
                    span: DUMMY_SP,
                    props: vec![PropOrSpread::Prop(Box::new(Prop::KeyValue(KeyValueProp {
                        key: PropName::Ident(IdentName::new("a".into(), DUMMY_SP)),
                        value: Box::new(Expr::Ident(x)),
                    })))],
                });
                let callee = Expr::Member(MemberExpr {
                    span: DUMMY_SP,
                    obj: ident("Object"),
                    prop: MemberProp::Ident(IdentName::new("assign".into(), DUMMY_SP)),
                });
                **init = Expr::Call(CallExpr {
                    span: DUMMY_SP,
                    ctxt: Default::default(),
                    callee: Callee::Expr(Box::new(callee)),
                    args: vec![ExprOrSpread { spread: None, expr: Box::new(arrow) }, ExprOrSpread { spread: None, expr: Box::new(obj) }],
                    type_args: None,
                });
            }
        }
        n.visit_mut_children_with(self);
    }
}
