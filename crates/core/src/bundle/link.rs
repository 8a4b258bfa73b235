//! Scope hoisting: the bundle's ES modules are joined into one module scope, the
//! way esbuild and Rollup do, instead of each being wrapped in a function.
//!
//! Each hoisted module keeps its own top-level bindings (swc's resolver gave each
//! module its own syntax context, so equal names in two modules stay distinct
//! until `hygiene` renames them). Imports of hoisted modules become direct
//! references to the exporter's binding, so they stay live and cost nothing at
//! run time; `export`/`import` statements disappear. What is not hoisted (npm
//! packages, builtins, CommonJS files, JSON, and modules loaded by `require()` or
//! a dynamic `import()`) is loaded with one `__onRequire(...)` call at the place
//! where ESM would have evaluated it, and read with the same interop as before.
//!
//! The modules are placed in ESM evaluation order (a depth-first walk of the
//! imports in source order, dependencies first), so side effects run in the same
//! order as in Node.

use super::transpile::Parsed;
use crate::error::{CoreError, Result};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use swc_core::common::{Mark, SyntaxContext, DUMMY_SP};
use swc_core::ecma::ast::*;
use swc_core::ecma::atoms::Atom;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

/// What an import or re-export points at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// A hoisted module of this bundle (its module id).
    Hoisted(usize),
    /// Anything loaded with `__onRequire(spec)`: an external specifier, or the
    /// `"\0m<id>"` key of a function-wrapped module.
    Required(String),
}

#[derive(Clone, Debug)]
enum Imported {
    Named(Atom),
    Default,
    Namespace,
}

impl Imported {
    fn named(n: Atom) -> Imported {
        if &*n == "default" {
            Imported::Default
        } else {
            Imported::Named(n)
        }
    }
}

#[derive(Clone, Debug)]
enum ExportDef {
    Local(Id),
    Re(Source, Imported),
}

/// An import binding's target, once re-exports are followed.
#[derive(Clone, Debug)]
enum Resolved {
    Local(Id),
    Namespace(usize),
    Member(String, Atom),
    /// The default import of a required module; `true` with Node's ESM interop.
    Default(String, bool),
    /// The namespace import of a required module; `true` with Node's ESM interop.
    RequiredNamespace(String, bool),
}

/// One module ready to be hoisted: its statements without `import`/`export`,
/// and what those statements said.
pub struct HoistModule {
    path: PathBuf,
    /// Imports of CommonJS follow Node's ESM rules (`.mjs`, `.mts`, or a
    /// `"type": "module"` package): the default import is `module.exports`.
    /// Otherwise they follow Babel/TypeScript's (`__esModule` means `.default`).
    node_interop: bool,
    imports: HashMap<Id, (Source, Imported, usize)>,
    exports: Vec<(Atom, ExportDef)>,
    stars: Vec<Source>,
    /// Every `import`/`export ... from` source, in source order.
    records: Vec<Source>,
    body: Vec<Stmt>,
}

fn fresh(sym: &str) -> Ident {
    Ident::new(sym.into(), DUMMY_SP, SyntaxContext::empty().apply_mark(Mark::new()))
}

fn global(sym: &str) -> Ident {
    Ident::new(sym.into(), DUMMY_SP, SyntaxContext::empty())
}

fn name_of(n: &ModuleExportName) -> Atom {
    match n {
        ModuleExportName::Ident(i) => i.sym.clone(),
        ModuleExportName::Str(s) => s.value.to_string_lossy().into_owned().into(),
    }
}

pub(super) fn pat_ids(p: &Pat, out: &mut Vec<Id>) {
    match p {
        Pat::Ident(i) => out.push(i.id.to_id()),
        Pat::Array(a) => a.elems.iter().flatten().for_each(|e| pat_ids(e, out)),
        Pat::Object(o) => {
            for prop in &o.props {
                match prop {
                    ObjectPatProp::KeyValue(kv) => pat_ids(&kv.value, out),
                    ObjectPatProp::Assign(a) => out.push(a.key.id.to_id()),
                    ObjectPatProp::Rest(r) => pat_ids(&r.arg, out),
                }
            }
        }
        Pat::Rest(r) => pat_ids(&r.arg, out),
        Pat::Assign(a) => pat_ids(&a.left, out),
        _ => {}
    }
}

/// Renames the CommonJS globals a hoisted module may use to the bundle's own:
/// `require` (relative literals were already rewritten to module keys),
/// `__filename` and `__dirname` (of the bundle file, as in a wrapped module).
struct CjsGlobals {
    unresolved: SyntaxContext,
}

impl VisitMut for CjsGlobals {
    fn visit_mut_ident(&mut self, i: &mut Ident) {
        if i.ctxt.outer() == self.unresolved.outer() {
            let to = match &*i.sym {
                "require" => "__onRequire",
                "__filename" => "__onFilename",
                "__dirname" => "__onDirnameValue",
                _ => return,
            };
            i.sym = to.into();
        }
    }
}

/// Whether a module must stay function-wrapped because it reads `module` or
/// `exports` as CommonJS globals.
pub fn uses_cjs_exports(parsed: &Parsed) -> bool {
    struct Finder {
        unresolved: Mark,
        found: bool,
    }
    impl swc_core::ecma::visit::Visit for Finder {
        fn visit_ident(&mut self, i: &Ident) {
            if i.ctxt.outer() == self.unresolved && matches!(&*i.sym, "module" | "exports") {
                self.found = true;
            }
        }
    }
    let mut f = Finder { unresolved: parsed.unresolved_mark, found: false };
    swc_core::ecma::visit::VisitWith::visit_with(&parsed.module, &mut f);
    f.found
}

/// The source of a rewritten specifier: `"\0m<id>"` of a hoisted module, or
/// anything else (external, or a wrapped module's key).
pub fn source_of(spec: &str, hoisted: &dyn Fn(usize) -> bool) -> Source {
    if let Some(id) = spec.strip_prefix("\0m").and_then(|n| n.parse::<usize>().ok()) {
        if hoisted(id) {
            return Source::Hoisted(id);
        }
    }
    Source::Required(spec.to_string())
}

/// Takes a module apart for hoisting. `hoisted(id)` says which module ids are
/// hoisted; `node_interop` picks Node's CommonJS interop for its imports.
pub fn analyze(path: PathBuf, node_interop: bool, parsed: Parsed, hoisted: &dyn Fn(usize) -> bool) -> HoistModule {
    let unresolved = SyntaxContext::empty().apply_mark(parsed.unresolved_mark);
    let mut m = HoistModule { path, node_interop, imports: HashMap::new(), exports: vec![], stars: vec![], records: vec![], body: vec![] };
    for item in parsed.module.body {
        let decl = match item {
            ModuleItem::Stmt(s) => {
                m.body.push(s);
                continue;
            }
            ModuleItem::ModuleDecl(d) => d,
        };
        match decl {
            ModuleDecl::Import(i) => {
                if i.type_only {
                    continue;
                }
                let src = source_of(&i.src.value.to_string_lossy(), hoisted);
                m.records.push(src.clone());
                let pos = i.span.lo.0 as usize;
                for s in i.specifiers {
                    match s {
                        ImportSpecifier::Named(n) if !n.is_type_only => {
                            let imported = n.imported.as_ref().map(name_of).unwrap_or_else(|| n.local.sym.clone());
                            m.imports.insert(n.local.to_id(), (src.clone(), Imported::named(imported), pos));
                        }
                        ImportSpecifier::Named(_) => {}
                        ImportSpecifier::Default(d) => {
                            m.imports.insert(d.local.to_id(), (src.clone(), Imported::Default, pos));
                        }
                        ImportSpecifier::Namespace(n) => {
                            m.imports.insert(n.local.to_id(), (src.clone(), Imported::Namespace, pos));
                        }
                    }
                }
            }
            ModuleDecl::ExportDecl(e) => {
                let mut ids = Vec::new();
                match &e.decl {
                    Decl::Fn(f) => ids.push(f.ident.to_id()),
                    Decl::Class(c) => ids.push(c.ident.to_id()),
                    Decl::Var(v) => v.decls.iter().for_each(|d| pat_ids(&d.name, &mut ids)),
                    _ => {}
                }
                for id in ids {
                    m.exports.push((id.0.clone(), ExportDef::Local(id)));
                }
                m.body.push(Stmt::Decl(e.decl));
            }
            ModuleDecl::ExportNamed(n) => {
                if n.type_only {
                    continue;
                }
                let src = n.src.as_ref().map(|s| source_of(&s.value.to_string_lossy(), hoisted));
                if let Some(src) = &src {
                    m.records.push(src.clone());
                }
                for s in n.specifiers {
                    match s {
                        ExportSpecifier::Named(ns) if !ns.is_type_only => {
                            let exported = name_of(ns.exported.as_ref().unwrap_or(&ns.orig));
                            let def = match (&src, &ns.orig) {
                                (Some(src), orig) => ExportDef::Re(src.clone(), Imported::named(name_of(orig))),
                                (None, ModuleExportName::Ident(i)) => ExportDef::Local(i.to_id()),
                                (None, ModuleExportName::Str(_)) => continue,
                            };
                            m.exports.push((exported, def));
                        }
                        ExportSpecifier::Named(_) => {}
                        ExportSpecifier::Namespace(ns) => {
                            if let Some(src) = &src {
                                m.exports.push((name_of(&ns.name), ExportDef::Re(src.clone(), Imported::Namespace)));
                            }
                        }
                        ExportSpecifier::Default(d) => {
                            if let Some(src) = &src {
                                m.exports.push((d.exported.sym.clone(), ExportDef::Re(src.clone(), Imported::Default)));
                            }
                        }
                    }
                }
            }
            ModuleDecl::ExportDefaultDecl(d) => match d.decl {
                DefaultDecl::Fn(f) => {
                    let ident = f.ident.unwrap_or_else(|| fresh("__default"));
                    m.exports.push(("default".into(), ExportDef::Local(ident.to_id())));
                    m.body.push(Stmt::Decl(Decl::Fn(FnDecl { ident, declare: false, function: f.function })));
                }
                DefaultDecl::Class(c) => {
                    let ident = c.ident.unwrap_or_else(|| fresh("__default"));
                    m.exports.push(("default".into(), ExportDef::Local(ident.to_id())));
                    m.body.push(Stmt::Decl(Decl::Class(ClassDecl { ident, declare: false, class: c.class })));
                }
                DefaultDecl::TsInterfaceDecl(_) => {}
            },
            ModuleDecl::ExportDefaultExpr(e) => {
                let ident = fresh("__default");
                m.exports.push(("default".into(), ExportDef::Local(ident.to_id())));
                m.body.push(const_decl(ident, *e.expr));
            }
            ModuleDecl::ExportAll(a) => {
                if a.type_only {
                    continue;
                }
                let src = source_of(&a.src.value.to_string_lossy(), hoisted);
                m.records.push(src.clone());
                m.stars.push(src);
            }
            // TypeScript-only forms are gone after type stripping.
            _ => {}
        }
    }
    let mut globals = CjsGlobals { unresolved };
    m.body.visit_mut_with(&mut globals);
    m
}

fn const_decl(ident: Ident, init: Expr) -> Stmt {
    Stmt::Decl(Decl::Var(Box::new(VarDecl {
        span: DUMMY_SP,
        ctxt: SyntaxContext::empty(),
        kind: VarDeclKind::Const,
        declare: false,
        decls: vec![VarDeclarator {
            span: DUMMY_SP,
            name: Pat::Ident(BindingIdent { id: ident, type_ann: None }),
            init: Some(Box::new(init)),
            definite: false,
        }],
    })))
}

fn call(callee: &str, args: Vec<Expr>) -> Expr {
    Expr::Call(CallExpr {
        span: DUMMY_SP,
        ctxt: SyntaxContext::empty(),
        callee: Callee::Expr(Box::new(Expr::Ident(global(callee)))),
        args: args.into_iter().map(|e| ExprOrSpread { spread: None, expr: Box::new(e) }).collect(),
        type_args: None,
    })
}

fn member(obj: Expr, prop: &Atom) -> Expr {
    let prop = if super::is_valid_ident(prop) {
        MemberProp::Ident(IdentName::new(prop.clone(), DUMMY_SP))
    } else {
        MemberProp::Computed(ComputedPropName { span: DUMMY_SP, expr: Box::new(Expr::Lit(Lit::Str(Str::from(prop.to_string())))) })
    };
    Expr::Member(MemberExpr { span: DUMMY_SP, obj: Box::new(obj), prop })
}

/// Which generated declarations a required source needs.
#[derive(Default)]
struct Required {
    ident: Option<Ident>,
    /// Indexed by Node interop (0: Babel's, 1: Node's).
    default: [Option<Ident>; 2],
    namespace: [Option<Ident>; 2],
}

/// The result of [`link`]: the hoisted statements and the entry's exports.
pub struct Linked {
    /// Statements in evaluation order.
    pub body: Vec<Stmt>,
    /// The entry's exports: exported name and the local binding holding it.
    pub exports: Vec<(Atom, Ident)>,
    /// Generated declarations that have no side effects (namespace objects and
    /// interop reads), which tree shaking may drop.
    pub pure: HashSet<Id>,
}

struct Linker<'a> {
    modules: &'a HashMap<usize, HoistModule>,
    required: HashMap<String, Required>,
    namespaces: HashMap<usize, Ident>,
}

impl Linker<'_> {
    fn resolve_export(&self, m: usize, name: &Atom, seen: &mut HashSet<(usize, Atom)>) -> Option<Resolved> {
        if !seen.insert((m, name.clone())) {
            return None;
        }
        let module = &self.modules[&m];
        if let Some((_, def)) = module.exports.iter().find(|(n, _)| n == name) {
            return match def {
                ExportDef::Local(id) => match module.imports.get(id) {
                    Some((src, imported, _)) => self.resolve_import(module.node_interop, src, imported, seen),
                    None => Some(Resolved::Local(id.clone())),
                },
                ExportDef::Re(src, imported) => self.resolve_import(module.node_interop, src, imported, seen),
            };
        }
        if &**name != "default" {
            for star in &module.stars {
                match star {
                    Source::Hoisted(t) => {
                        if let Some(r) = self.resolve_export(*t, name, seen) {
                            return Some(r);
                        }
                    }
                    // Not hoisted (see `can_hoist`): cannot be listed at build time.
                    Source::Required(_) => {}
                }
            }
        }
        None
    }

    fn resolve_import(&self, node_interop: bool, src: &Source, imported: &Imported, seen: &mut HashSet<(usize, Atom)>) -> Option<Resolved> {
        match (src, imported) {
            (Source::Hoisted(t), Imported::Named(n)) => self.resolve_export(*t, n, seen),
            (Source::Hoisted(t), Imported::Default) => self.resolve_export(*t, &"default".into(), seen),
            (Source::Hoisted(t), Imported::Namespace) => Some(Resolved::Namespace(*t)),
            (Source::Required(s), Imported::Named(n)) => Some(Resolved::Member(s.clone(), n.clone())),
            (Source::Required(s), Imported::Default) => Some(Resolved::Default(s.clone(), node_interop)),
            (Source::Required(s), Imported::Namespace) => Some(Resolved::RequiredNamespace(s.clone(), node_interop)),
        }
    }

    /// Every name `m` exports (`export *` followed; its `default` is not re-exported).
    fn export_names(&self, m: usize, seen: &mut HashSet<usize>, out: &mut Vec<Atom>) {
        if !seen.insert(m) {
            return;
        }
        let module = &self.modules[&m];
        for (n, _) in &module.exports {
            if !out.contains(n) {
                out.push(n.clone());
            }
        }
        for star in &module.stars {
            if let Source::Hoisted(t) = star {
                let mut inner = Vec::new();
                self.export_names(*t, seen, &mut inner);
                for n in inner {
                    if &*n != "default" && !out.contains(&n) {
                        out.push(n);
                    }
                }
            }
        }
    }

    fn required_ident(&mut self, spec: &str) -> Ident {
        let r = self.required.entry(spec.to_string()).or_default();
        r.ident.get_or_insert_with(|| fresh(&req_name(spec))).clone()
    }

    fn expr(&mut self, r: &Resolved) -> Expr {
        match r {
            Resolved::Local(id) => Expr::Ident(Ident::new(id.0.clone(), DUMMY_SP, id.1)),
            Resolved::Namespace(t) => {
                let name = format!("{}_ns", module_name(&self.modules[t].path));
                Expr::Ident(self.namespaces.entry(*t).or_insert_with(|| fresh(&name)).clone())
            }
            Resolved::Member(s, n) => member(Expr::Ident(self.required_ident(s)), n),
            // Node: the default import of CommonJS is `module.exports` itself.
            Resolved::Default(s, true) => Expr::Ident(self.required_ident(s)),
            Resolved::Default(s, false) => {
                let base = self.required_ident(s);
                let r = self.required.get_mut(s).expect("just inserted");
                Expr::Ident(r.default[0].get_or_insert_with(|| fresh(&format!("{}_default", base.sym))).clone())
            }
            Resolved::RequiredNamespace(s, node) => {
                let base = self.required_ident(s);
                let r = self.required.get_mut(s).expect("just inserted");
                let name = format!("{}_ns{}", base.sym, if *node { "_node" } else { "" });
                Expr::Ident(r.namespace[usize::from(*node)].get_or_insert_with(|| fresh(&name)).clone())
            }
        }
    }
}

/// A readable binding name for a required specifier (`@aws-sdk/client-s3` →
/// `__aws_sdk_client_s3`); hygiene makes it unique.
fn req_name(spec: &str) -> String {
    if let Some(id) = spec.strip_prefix("\0m") {
        return format!("__m{id}");
    }
    let tail: String = spec.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    format!("__{}", tail.trim_matches('_'))
}

fn module_name(p: &std::path::Path) -> String {
    let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("module");
    let stem: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    format!("__{stem}")
}

/// A module's import bindings → their replacements, and its namespace imports
/// of hoisted modules → each export's replacement.
type Rewrites = (HashMap<Id, Expr>, HashMap<Id, HashMap<Atom, Expr>>);

/// Replaces references to import bindings in one module's statements.
struct Rewrite<'a> {
    map: &'a HashMap<Id, Expr>,
    /// Namespace imports of hoisted modules: `ns.name` reads become direct
    /// references (so tree shaking sees which exports are used).
    members: &'a HashMap<Id, HashMap<Atom, Expr>>,
}

impl Rewrite<'_> {
    fn lookup_member(&self, m: &MemberExpr) -> Option<Expr> {
        let Expr::Ident(obj) = &*m.obj else { return None };
        let table = self.members.get(&obj.to_id())?;
        let name: Atom = match &m.prop {
            MemberProp::Ident(i) => i.sym.clone(),
            MemberProp::Computed(c) => match &*c.expr {
                Expr::Lit(Lit::Str(s)) => s.value.to_string_lossy().into_owned().into(),
                _ => return None,
            },
            MemberProp::PrivateName(_) => return None,
        };
        Some(table.get(&name).cloned().unwrap_or_else(|| {
            Expr::Unary(UnaryExpr { span: DUMMY_SP, op: UnaryOp::Void, arg: Box::new(Expr::Lit(Lit::Num(0.0.into()))) })
        }))
    }

    /// A called expression: `f()` where the import `f` becomes `obj.f` is called
    /// as `(0, obj.f)()`, as ESM would call it (without `this`).
    fn visit_mut_called(&mut self, e: &mut Box<Expr>) {
        let replaced = match &**e {
            Expr::Ident(i) => self.map.get(&i.to_id()).cloned(),
            Expr::Member(m) => self.lookup_member(m),
            _ => None,
        };
        match replaced {
            Some(r @ Expr::Member(_)) => {
                **e = Expr::Seq(SeqExpr { span: DUMMY_SP, exprs: vec![Box::new(Expr::Lit(Lit::Num(0.0.into()))), Box::new(r)] })
            }
            Some(r) => **e = r,
            None => e.visit_mut_with(self),
        }
    }
}

impl VisitMut for Rewrite<'_> {
    fn visit_mut_expr(&mut self, e: &mut Expr) {
        match e {
            Expr::Ident(i) => {
                if let Some(r) = self.map.get(&i.to_id()) {
                    *e = r.clone();
                }
                return;
            }
            Expr::Member(m) => {
                if let Some(r) = self.lookup_member(m) {
                    *e = r;
                    return;
                }
            }
            _ => {}
        }
        e.visit_mut_children_with(self);
    }

    fn visit_mut_callee(&mut self, c: &mut Callee) {
        if let Callee::Expr(e) = c {
            self.visit_mut_called(e);
        } else {
            c.visit_mut_children_with(self);
        }
    }

    fn visit_mut_tagged_tpl(&mut self, t: &mut TaggedTpl) {
        self.visit_mut_called(&mut t.tag);
        t.tpl.visit_mut_with(self);
    }

    fn visit_mut_prop(&mut self, p: &mut Prop) {
        if let Prop::Shorthand(i) = p {
            if let Some(r) = self.map.get(&i.to_id()) {
                *p = Prop::KeyValue(KeyValueProp {
                    key: PropName::Ident(IdentName::new(i.sym.clone(), i.span)),
                    value: Box::new(r.clone()),
                });
            }
            return;
        }
        p.visit_mut_children_with(self);
    }
}

/// Joins the hoisted modules, starting from `entry`, into one list of
/// statements in evaluation order, and lists the entry's exports.
pub fn link(
    entry: usize,
    mut modules: HashMap<usize, HoistModule>,
    cm: &swc_core::common::sync::Lrc<swc_core::common::SourceMap>,
) -> Result<Linked> {
    // Evaluation order: dependencies first, in the order of their imports.
    let mut order = Vec::new();
    let mut slots = Vec::new();
    {
        let mut seen = HashSet::new();
        let mut required_seen = HashSet::new();
        visit(entry, &modules, &mut seen, &mut required_seen, &mut order, &mut slots);
    }
    let mut bodies: HashMap<usize, Vec<Stmt>> = modules.iter_mut().map(|(k, m)| (*k, std::mem::take(&mut m.body))).collect();
    let mut linker = Linker { modules: &modules, required: HashMap::new(), namespaces: HashMap::new() };
    // Resolve every module's import bindings first (read-only), then rewrite.
    let mut rewrites: HashMap<usize, Rewrites> = HashMap::new();
    for &m in &order {
        let module = &modules[&m];
        let mut map = HashMap::new();
        let mut members = HashMap::new();
        let mut imports: Vec<_> = module.imports.iter().collect();
        imports.sort_by_key(|(_, (_, _, pos))| *pos);
        for (id, (src, imported, pos)) in imports {
            let Some(r) = linker.resolve_import(module.node_interop, src, imported, &mut HashSet::new()) else {
                let Source::Hoisted(t) = src else { unreachable!("required sources always resolve") };
                let name = match imported {
                    Imported::Named(n) => n.to_string(),
                    _ => "default".into(),
                };
                let loc = cm.lookup_char_pos(swc_core::common::BytePos(*pos as u32));
                return Err(CoreError::MissingExport {
                    importer: module.path.clone(),
                    line: loc.line,
                    col: loc.col_display + 1,
                    name,
                    target: modules[t].path.clone(),
                });
            };
            if let Resolved::Namespace(t) = &r {
                let mut names = Vec::new();
                linker.export_names(*t, &mut HashSet::new(), &mut names);
                let mut table = HashMap::new();
                for n in names {
                    if let Some(r) = linker.resolve_export(*t, &n, &mut HashSet::new()) {
                        table.insert(n, linker.expr(&r));
                    }
                }
                members.insert(id.clone(), table);
            }
            map.insert(id.clone(), linker.expr(&r));
        }
        rewrites.insert(m, (map, members));
    }
    // The entry's exports.
    let mut exports = Vec::new();
    let mut export_decls = Vec::new();
    let mut names = Vec::new();
    linker.export_names(entry, &mut HashSet::new(), &mut names);
    for n in names {
        let Some(r) = linker.resolve_export(entry, &n, &mut HashSet::new()) else { continue };
        match linker.expr(&r) {
            Expr::Ident(i) => exports.push((n, i)),
            other => {
                let local = fresh(&format!("__export_{}", n.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>()));
                export_decls.push(const_decl(local.clone(), other));
                exports.push((n, local));
            }
        }
    }
    // Namespace objects: a getter per export, so they stay live bindings.
    let mut ns_decls: HashMap<usize, Stmt> = HashMap::new(); // by module id
    let mut pure = HashSet::new();
    let wanted: Vec<(usize, Ident)> = linker.namespaces.iter().map(|(k, v)| (*k, v.clone())).collect();
    for (t, ident) in wanted {
        let mut names = Vec::new();
        linker.export_names(t, &mut HashSet::new(), &mut names);
        // A module namespace lists its exports in sorted order.
        names.sort();
        let mut props = Vec::new();
        for n in names {
            let Some(r) = linker.resolve_export(t, &n, &mut HashSet::new()) else { continue };
            let value = linker.expr(&r);
            props.push(PropOrSpread::Prop(Box::new(Prop::KeyValue(KeyValueProp {
                key: PropName::Str(Str::from(n.to_string())),
                value: Box::new(Expr::Arrow(ArrowExpr {
                    span: DUMMY_SP,
                    ctxt: SyntaxContext::empty(),
                    params: vec![],
                    body: Box::new(ArrowFunctionBody::Expr(Box::new(value))),
                    is_async: false,
                    is_generator: false,
                    type_params: None,
                    return_type: None,
                })),
            }))));
        }
        pure.insert(ident.to_id());
        let obj = Expr::Object(ObjectLit { span: DUMMY_SP, props });
        ns_decls.insert(t, const_decl(ident, call("__onNamespace", vec![obj])));
    }
    // Namespace objects first: their getters are lazy, and in ESM a namespace
    // exists before any module runs (a module in a cycle may read the namespace
    // of one that runs after it).
    let mut ns_first: Vec<(usize, Stmt)> = ns_decls.into_iter().collect();
    ns_first.sort_by_key(|(m, _)| *m);
    let mut body: Vec<Stmt> = ns_first.into_iter().map(|(_, d)| d).collect();
    for slot in slots {
        match slot {
            Slot::Required(spec) => {
                let Some(r) = linker.required.get(&spec) else {
                    // Imported for its side effects only.
                    body.push(Stmt::Expr(ExprStmt {
                        span: DUMMY_SP,
                        expr: Box::new(call("__onRequire", vec![Expr::Lit(Lit::Str(Str::from(spec)))])),
                    }));
                    continue;
                };
                let ident = r.ident.clone().expect("required sources have a binding");
                body.push(const_decl(ident.clone(), call("__onRequire", vec![Expr::Lit(Lit::Str(Str::from(spec.clone())))])));
                if let Some(d) = &r.default[0] {
                    pure.insert(d.to_id());
                    body.push(const_decl(d.clone(), call("__onDefault", vec![Expr::Ident(ident.clone())])));
                }
                for (n, helper) in r.namespace.iter().zip(["__onNs", "__onNodeNs"]) {
                    if let Some(n) = n {
                        pure.insert(n.to_id());
                        body.push(const_decl(n.clone(), call(helper, vec![Expr::Ident(ident.clone())])));
                    }
                }
            }
            Slot::Module(m) => {
                let mut stmts = bodies.remove(&m).unwrap_or_default();
                let (map, members) = &rewrites[&m];
                if !map.is_empty() {
                    stmts.visit_mut_with(&mut Rewrite { map, members });
                }
                body.extend(stmts);
            }
        }
    }
    body.extend(export_decls);
    Ok(Linked { body, exports, pure })
}

enum Slot {
    Required(String),
    Module(usize),
}

fn visit(
    m: usize,
    modules: &HashMap<usize, HoistModule>,
    seen: &mut HashSet<usize>,
    required_seen: &mut HashSet<String>,
    order: &mut Vec<usize>,
    slots: &mut Vec<Slot>,
) {
    if !seen.insert(m) {
        return;
    }
    for rec in &modules[&m].records {
        match rec {
            Source::Hoisted(t) => visit(*t, modules, seen, required_seen, order, slots),
            Source::Required(s) => {
                if required_seen.insert(s.clone()) {
                    slots.push(Slot::Required(s.clone()));
                }
            }
        }
    }
    order.push(m);
    slots.push(Slot::Module(m));
}

/// The statements of the entry's exports: `export { local as name, ... }`.
pub fn export_statement(exports: &[(Atom, Ident)]) -> Option<ModuleItem> {
    if exports.is_empty() {
        return None;
    }
    let specifiers = exports
        .iter()
        .map(|(name, local)| {
            // `export { x }` when the names agree (hygiene adds `as x` if it renames x).
            let exported = if *name == local.sym {
                None
            } else if super::is_valid_ident(name) {
                Some(ModuleExportName::Ident(Ident::new(name.clone(), DUMMY_SP, SyntaxContext::empty())))
            } else {
                Some(ModuleExportName::Str(Str::from(name.to_string())))
            };
            ExportSpecifier::Named(ExportNamedSpecifier {
                span: DUMMY_SP,
                orig: ModuleExportName::Ident(local.clone()),
                exported,
                is_type_only: false,
            })
        })
        .collect();
    Some(ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(NamedExport {
        span: DUMMY_SP,
        specifiers,
        src: None,
        type_only: false,
        with: None,
    })))
}

/// Whether a module's `export *` all point at hoisted modules (a star of
/// something loaded with `require` cannot be listed at build time, so such a
/// module stays wrapped).
pub fn stars_hoistable(parsed: &Parsed, hoisted: &dyn Fn(usize) -> bool) -> bool {
    parsed.module.body.iter().all(|item| match item {
        ModuleItem::ModuleDecl(ModuleDecl::ExportAll(a)) => {
            matches!(source_of(&a.src.value.to_string_lossy(), hoisted), Source::Hoisted(_))
        }
        _ => true,
    })
}

/// Any `import`-family declaration swc's type stripping leaves that hoisting
/// does not handle (`import x = require()`, `export =`).
pub fn has_ts_module_forms(parsed: &Parsed) -> bool {
    parsed.module.body.iter().any(|item| {
        matches!(
            item,
            ModuleItem::ModuleDecl(ModuleDecl::TsImportEquals(_) | ModuleDecl::TsExportAssignment(_) | ModuleDecl::TsNamespaceExport(_))
        )
    })
}
