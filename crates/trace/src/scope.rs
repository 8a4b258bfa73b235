//! The names each scope declares, as `@rollup/pluginutils`' `attachScopes`
//! computes them (which nft uses to know when a known binding is shadowed):
//! `var`, function and class declarations belong to the nearest function
//! scope, `let`/`const` to the block they appear in.

use swc_core::atoms::Atom;
use swc_core::ecma::ast::*;

/// Adds the names bound by a pattern.
pub(crate) fn pat_names(pat: &Pat, out: &mut Vec<Atom>) {
    match pat {
        Pat::Ident(i) => out.push(i.id.sym.clone()),
        Pat::Array(a) => {
            for e in a.elems.iter().flatten() {
                pat_names(e, out);
            }
        }
        Pat::Rest(r) => pat_names(&r.arg, out),
        Pat::Object(o) => {
            for p in &o.props {
                match p {
                    ObjectPatProp::KeyValue(kv) => pat_names(&kv.value, out),
                    ObjectPatProp::Assign(a) => out.push(a.key.id.sym.clone()),
                    ObjectPatProp::Rest(r) => pat_names(&r.arg, out),
                }
            }
        }
        Pat::Assign(a) => pat_names(&a.left, out),
        _ => {}
    }
}

fn var_names(v: &VarDecl, out: &mut Vec<Atom>) {
    for d in &v.decls {
        pat_names(&d.name, out);
    }
}

fn scan_fn_stmt(stmt: &Stmt, out: &mut Vec<Atom>, direct: bool) {
    match stmt {
        Stmt::Decl(Decl::Var(v)) if v.kind == VarDeclKind::Var || direct => var_names(v, out),
        Stmt::Decl(Decl::Using(u)) if direct => {
            for d in &u.decls {
                pat_names(&d.name, out);
            }
        }
        Stmt::Decl(Decl::Fn(f)) => out.push(f.ident.sym.clone()),
        Stmt::Decl(Decl::Class(c)) => out.push(c.ident.sym.clone()),
        Stmt::Block(b) => scan_fn_stmts(&b.stmts, out, false),
        Stmt::If(i) => {
            scan_fn_stmt(&i.cons, out, false);
            if let Some(a) = &i.alt {
                scan_fn_stmt(a, out, false);
            }
        }
        Stmt::For(f) => {
            if let Some(VarDeclOrExpr::VarDecl(v)) = &f.init {
                if v.kind == VarDeclKind::Var {
                    var_names(v, out);
                }
            }
            scan_fn_stmt(&f.body, out, false);
        }
        Stmt::ForIn(f) => {
            if let ForHead::VarDecl(v) = &f.left {
                if v.kind == VarDeclKind::Var {
                    var_names(v, out);
                }
            }
            scan_fn_stmt(&f.body, out, false);
        }
        Stmt::ForOf(f) => {
            if let ForHead::VarDecl(v) = &f.left {
                if v.kind == VarDeclKind::Var {
                    var_names(v, out);
                }
            }
            scan_fn_stmt(&f.body, out, false);
        }
        Stmt::While(w) => scan_fn_stmt(&w.body, out, false),
        Stmt::DoWhile(w) => scan_fn_stmt(&w.body, out, false),
        Stmt::With(w) => scan_fn_stmt(&w.body, out, false),
        Stmt::Labeled(l) => scan_fn_stmt(&l.body, out, direct),
        Stmt::Try(t) => {
            scan_fn_stmts(&t.block.stmts, out, false);
            if let Some(h) = &t.handler {
                scan_fn_stmts(&h.body.stmts, out, false);
            }
            if let Some(f) = &t.finalizer {
                scan_fn_stmts(&f.stmts, out, false);
            }
        }
        Stmt::Switch(s) => {
            for c in &s.cases {
                scan_fn_stmts(&c.cons, out, direct);
            }
        }
        _ => {}
    }
}

fn scan_fn_stmts(stmts: &[Stmt], out: &mut Vec<Atom>, direct: bool) {
    for s in stmts {
        scan_fn_stmt(s, out, direct);
    }
}

/// Names declared in a function scope: its parameters, the name of a named
/// function expression, and the hoisted declarations of its body.
pub(crate) fn function_scope<'a>(params: impl Iterator<Item = &'a Pat>, expr_name: Option<&Ident>, body: Option<&[Stmt]>) -> Vec<Atom> {
    let mut out = vec![];
    for p in params {
        pat_names(p, &mut out);
    }
    if let Some(n) = expr_name {
        out.push(n.sym.clone());
    }
    if let Some(b) = body {
        scan_fn_stmts(b, &mut out, true);
    }
    out
}

fn scan_block_stmts(stmts: &[Stmt], out: &mut Vec<Atom>) {
    for s in stmts {
        match s {
            Stmt::Decl(Decl::Var(v)) if v.kind != VarDeclKind::Var => var_names(v, out),
            Stmt::Decl(Decl::Using(u)) => {
                for d in &u.decls {
                    pat_names(&d.name, out);
                }
            }
            Stmt::Switch(sw) => {
                for c in &sw.cases {
                    scan_block_stmts(&c.cons, out);
                }
            }
            _ => {}
        }
    }
}

/// Names declared in a block scope (`let`/`const` directly in it).
pub(crate) fn block_scope(stmts: &[Stmt]) -> Vec<Atom> {
    let mut out = vec![];
    scan_block_stmts(stmts, &mut out);
    out
}

/// Names declared by a `for` head (`let`/`const` only).
pub(crate) fn for_head_scope(v: Option<&VarDecl>) -> Vec<Atom> {
    let mut out = vec![];
    if let Some(v) = v {
        if v.kind != VarDeclKind::Var {
            var_names(v, &mut out);
        }
    }
    out
}

/// The `var` declarations of a static block (a function-like scope).
pub(crate) fn static_block_scope(stmts: &[Stmt]) -> Vec<Atom> {
    let mut out = vec![];
    scan_fn_stmts(stmts, &mut out, true);
    out
}
