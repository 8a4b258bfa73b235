//! Analysis of one module: what it requires/imports and which asset files it
//! reads. A port of @vercel/nft's `analyze.js` over swc's AST: the same
//! walk order (ESTree's), the same known bindings with scope shadowing, the
//! same "static child" backtracking that grows an expression containing
//! `__dirname` (or another trigger) up to the largest statically known
//! expression, and the same emission rules for the resulting asset paths.

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::rc::Rc;

use swc_core::atoms::Atom;
use swc_core::common::{BytePos, Spanned};
use swc_core::ecma::ast::*;
use swc_core::ecma::parser::error::SyntaxError;
use swc_core::ecma::parser::{EsSyntax, Lexer, Parser, StringInput, Syntax};

use crate::eval::{get_prop, process_object, static_module, unparen};
use crate::glob::Glob;
use crate::job::Job;
use crate::path as p;
use crate::scope;
use crate::value::*;

/// A warning produced while analysing a file.
#[derive(Clone, Debug)]
pub(crate) struct Warn {
    pub message: String,
    pub line: Option<u32>,
    pub col: Option<u32>,
}

/// What a module needs: specifiers to resolve and asset files.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    /// `require`/static `import` specifiers (or absolute paths from globs).
    pub deps: Vec<String>,
    /// Dynamic `import()` specifiers (always resolved as ESM).
    pub imports: Vec<String>,
    /// Absolute asset paths.
    pub assets: Vec<String>,
    pub is_esm: bool,
    pub warnings: Vec<Warn>,
}

/// An insertion-ordered string set.
#[derive(Default)]
pub(crate) struct OrdSet {
    seen: HashSet<String>,
    items: Vec<String>,
}

impl OrdSet {
    pub fn insert(&mut self, s: String) {
        if self.seen.insert(s.clone()) {
            self.items.push(s);
        }
    }
}

/// nft's `getPackageBase`: `/x/node_modules/@scope/pkg` for a file inside it.
pub(crate) fn package_base(id: &str) -> Option<String> {
    let i = id.rfind("node_modules")?;
    let b = id.as_bytes();
    if i == 0 || b[i - 1] != b'/' || b.get(i + 12) != Some(&b'/') {
        return None;
    }
    let rest = &id[i + 13..];
    let name_len = pkg_name_len(rest)?;
    Some(id[..i + 13 + name_len].to_string())
}

fn pkg_name_len(rest: &str) -> Option<usize> {
    let mut it = rest.split('/');
    let first = it.next()?;
    if first.is_empty() {
        return None;
    }
    if first.starts_with('@') && first.len() > 1 {
        if let Some(second) = it.next() {
            if !second.is_empty() {
                return Some(first.len() + 1 + second.len());
            }
        }
    }
    Some(first.len())
}

/// nft's `getPackageName`.
fn package_name(id: &str) -> Option<String> {
    let i = id.rfind("node_modules")?;
    let b = id.as_bytes();
    if i == 0 || b[i - 1] != b'/' || b.get(i + 12) != Some(&b'/') {
        return None;
    }
    let rest = &id[i + 13..];
    Some(rest[..pkg_name_len(rest)?].to_string())
}

/// nft's `absoluteRegEx` / `isAbsolutePathOrUrl`.
fn abs_regex(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() >= 2 && b[0] == b'/' && b[1] != b'/')
        || (b.len() >= 4 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/') && b[3] != b'\\' && b[3] != b'/')
}

fn is_abs_or_url(v: &V) -> bool {
    match v {
        V::Url(h) => url_protocol(h) == "file:",
        V::Str(x) => {
            if x.starts_with("file:") {
                url_parse(x, None).is_some()
            } else {
                abs_regex(x)
            }
        }
        _ => false,
    }
}

const EXCLUDE_EXT: &[&str] = &[".h", ".cmake", ".c", ".cpp"];
const EXCLUDE_FILES: &[&str] = &["CHANGELOG.md", "README.md", "readme.md", "changelog.md"];

/// The ESTree parent of the node being visited, as far as the analysis
/// needs to know it.
#[derive(Clone, Copy)]
pub(crate) enum P<'a> {
    Root,
    /// An expression parent (evaluable when backtracking).
    Expr(&'a Expr),
    /// An `ExpressionStatement` (evaluates to its expression).
    ExprStmt(&'a Expr),
    /// A `VariableDeclarator` (whose init this is).
    Declarator(&'a VarDeclarator),
    /// A loop statement; `var_loop` for `for`/`for-in`/`for-of`.
    Loop {
        var_loop: bool,
    },
    Other,
}

/// What `enter` looks at for a node.
enum Enter<'a> {
    None,
    Ident(&'a Ident, bool),
    Member(&'a MemberExpr),
    ImportCall(Option<&'a ExprOrSpread>),
    Call { node: &'a Expr, callee: &'a Expr, args: &'a [ExprOrSpread] },
    VarDecl(&'a VarDecl),
    Assign(&'a AssignExpr),
    Func { first_param: Option<&'a Atom>, name: Option<&'a Atom>, body: Option<&'a [Stmt]> },
}

pub(crate) struct Binding {
    pub shadow: u32,
    pub value: R,
}

/// State of the analysis of one module.
pub(crate) struct Analyzer<'a, 'j> {
    pub job: &'a Job<'j>,
    pub id: &'a str,
    dir: String,
    pkg_base: Option<String>,
    is_esm: bool,
    pub import_meta: V,
    pub bindings: HashMap<Atom, Binding>,
    pub deps: OrdSet,
    imports: OrdSet,
    assets: OrdSet,
    static_child: Option<(R, bool)>,
    defined_express_engines: bool,
    atoms: Atoms,
}

/// Names looked up often, made once.
struct Atoms {
    require: Atom,
    module: Atom,
    create_require: Atom,
}

/// Analyses the module at `id` (a real path) with source `src`.
pub(crate) fn analyze(id: &str, src: String, binary: bool, job: &Job) -> Analysis {
    let mut out = Analysis::default();
    // A binary file (a shared library or an image reached as a dependency)
    // cannot parse as JavaScript; acorn gives up at once, swc would first
    // index the whole file. A NUL byte near the start says "binary".
    if binary {
        for goal in ["script", "module"] {
            out.warnings.push(Warn {
                message: format!("Failed to parse {id} as {goal}:\nUnexpected character (binary file)"),
                line: Some(1),
                col: Some(1),
            });
        }
        return out;
    }
    let syntax = Syntax::Es(EsSyntax {
        allow_return_outside_function: true,
        import_attributes: true,
        explicit_resource_management: true,
        ..Default::default()
    });
    let mut errors = vec![];
    let loc = |span: swc_core::common::Span| {
        // 1-based line and column (in UTF-16 units, like acorn) of a position
        let off = (span.lo.0.saturating_sub(1) as usize).min(src.len());
        let mut off = off;
        while !src.is_char_boundary(off) {
            off -= 1;
        }
        let before = &src[..off];
        let line = before.matches('\n').count() as u32 + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].encode_utf16().count() as u32 + 1;
        (Some(line), Some(col))
    };
    let parse_script = |errors: &mut Vec<_>| {
        let input = StringInput::new(&src, BytePos(1), BytePos(1 + src.len() as u32));
        let mut parser = Parser::new_from(Lexer::new(syntax, EsVersion::latest(), input, None));
        let r = parser.parse_script();
        errors.extend(parser.take_errors());
        r
    };
    let parse_module = |errors: &mut Vec<_>| {
        let input = StringInput::new(&src, BytePos(1), BytePos(1 + src.len() as u32));
        let mut parser = Parser::new_from(Lexer::new(syntax, EsVersion::latest(), input, None));
        let r = parser.parse_module();
        errors.extend(parser.take_errors());
        r
    };
    let program = match parse_script(&mut errors) {
        Ok(s) if errors.is_empty() => Program::Script(s),
        r => {
            let err = match r {
                Err(e) => Some(e),
                Ok(_) => errors.drain(..).next(),
            };
            if let Some(e) = &err {
                let module_syntax = matches!(
                    e.kind(),
                    SyntaxError::ImportExportInScript
                        | SyntaxError::ImportMetaInScript
                        | SyntaxError::TopLevelAwaitInScript
                        | SyntaxError::NonTopLevelImportExport
                );
                if !module_syntax {
                    let (line, col) = loc(e.span());
                    out.warnings.push(Warn { message: format!("Failed to parse {id} as script:\n{}", e.kind().msg()), line, col });
                }
            }
            errors.clear();
            match parse_module(&mut errors) {
                Ok(m) if errors.is_empty() => {
                    out.is_esm = true;
                    Program::Module(m)
                }
                r => {
                    let err = match r {
                        Err(e) => Some(e),
                        Ok(_) => errors.drain(..).next(),
                    };
                    if let Some(e) = err {
                        let (line, col) = loc(e.span());
                        out.warnings.push(Warn { message: format!("Failed to parse {id} as module:\n{}", e.kind().msg()), line, col });
                    }
                    out.is_esm = false;
                    return out;
                }
            }
        }
    };
    let is_esm = out.is_esm;
    let mut program = program;
    crate::special::handle_wrappers(&mut program);
    let url = path_to_file_url(id);
    let dir = p::dirname(id);
    let import_meta = obj(vec![("url", V::Str(url.into())), ("dirname", s(&dir)), ("filename", s(id))], false);
    let mut a = Analyzer {
        job,
        id,
        dir: dir.clone(),
        pkg_base: package_base(id),
        is_esm,
        import_meta,
        bindings: HashMap::default(),
        deps: OrdSet::default(),
        imports: OrdSet::default(),
        assets: OrdSet::default(),
        static_child: None,
        defined_express_engines: false,
        atoms: Atoms { require: "require".into(), module: "module".into(), create_require: "createRequire".into() },
    };
    let known = |v: V| Binding { shadow: 0, value: R::v(v) };
    a.bindings.insert("__dirname".into(), known(s(&dir)));
    a.bindings.insert("__filename".into(), known(s(id)));
    a.bindings.insert("process".into(), known(process_object()));
    if !is_esm {
        let req =
            V::Obj(Rc::new(Obj { props: vec![("resolve".into(), V::Fn(F::RequireResolve))], unknown: false, call: Some(F::Require) }));
        a.bindings.insert("require".into(), known(req));
    }
    if let Program::Module(m) = &program {
        a.collect_module_decls(m);
    }
    a.special_cases(&program);
    a.visit_program(&program);
    out.deps = a.deps.items;
    out.imports = a.imports.items;
    out.assets = a.assets.items;
    out
}

fn lit_str(s: &Str) -> String {
    s.value.to_string_lossy().into_owned()
}

impl<'a, 'j> Analyzer<'a, 'j> {
    fn collect_module_decls(&mut self, m: &Module) {
        for item in &m.body {
            let ModuleItem::ModuleDecl(decl) = item else { continue };
            match decl {
                ModuleDecl::Import(imp) => {
                    let source = lit_str(&imp.src);
                    self.deps.insert(source.clone());
                    let name = source.strip_prefix("node:").unwrap_or(&source);
                    let Some(module) = static_module(name) else { continue };
                    for spec in &imp.specifiers {
                        match spec {
                            ImportSpecifier::Namespace(ns) => self.set_known_binding(ns.local.sym.clone(), R::v(module.clone())),
                            ImportSpecifier::Default(d) => {
                                if let Some(v) = get_prop(&module, "default") {
                                    self.set_known_binding(d.local.sym.clone(), R::v(v));
                                }
                            }
                            ImportSpecifier::Named(n) => {
                                let imported = match &n.imported {
                                    Some(ModuleExportName::Ident(i)) => Some(i.sym.to_string()),
                                    Some(ModuleExportName::Str(_)) => None,
                                    None => Some(n.local.sym.to_string()),
                                };
                                if let Some(imported) = imported {
                                    if let V::Obj(o) = &module {
                                        if let Some(v) = o.get(&imported) {
                                            self.set_known_binding(n.local.sym.clone(), R::v(v.clone()));
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                ModuleDecl::ExportNamed(NamedExport { src: Some(src), .. }) => self.deps.insert(lit_str(src)),
                ModuleDecl::ExportAll(e) => self.deps.insert(lit_str(&e.src)),
                _ => {}
            }
        }
    }

    pub(crate) fn set_known_binding(&mut self, name: Atom, value: R) {
        if &*name == "require" {
            if let R::V { v, .. } = &value {
                if !matches!(v, V::Sym(Sym::BoundRequire)) {
                    return;
                }
            }
        }
        self.bindings.insert(name, Binding { shadow: 0, value });
    }

    fn known_value(&self, name: &Atom) -> Option<&R> {
        self.bindings.get(name).filter(|b| b.shadow == 0).map(|b| &b.value)
    }

    fn require_known(&self) -> bool {
        self.bindings.get(&self.atoms.require).is_some_and(|b| b.shadow == 0)
    }

    // ---- emission ------------------------------------------------------

    fn glob_into(&self, dir: &str, pattern: &str, dot: bool, into_deps: bool) -> Vec<String> {
        let _ = into_deps;
        let mut files = BTreeSet::new();
        let rel = pattern.strip_prefix('/').unwrap_or(pattern);
        Glob::new(rel, dot).walk(if dir.is_empty() { "/" } else { dir }, &mut files);
        files
            .into_iter()
            .filter(|f| !EXCLUDE_EXT.contains(&p::extname(f)) && !EXCLUDE_FILES.contains(&p::basename(f, None).as_str()))
            .collect()
    }

    fn split_wildcard(path: &str) -> (usize, Option<usize>) {
        match path.find(WILDCARD) {
            None => (path.len(), None),
            Some(wi) => (path[..wi].rfind('/').unwrap_or(0), Some(wi)),
        }
    }

    fn wildcard_pattern(pattern_path: &str) -> String {
        let chars: Vec<char> = pattern_path.chars().collect();
        let mut out = String::new();
        for (i, c) in chars.iter().enumerate() {
            if *c == WILDCARD {
                if i > 0 && chars[i - 1] == '/' {
                    out.push_str("**/*");
                } else {
                    out.push('*');
                }
            } else {
                out.push(*c);
            }
        }
        out
    }

    /// nft's `emitAssetDirectory`.
    pub(crate) fn emit_asset_directory(&mut self, wildcard_path: &str) {
        let (dir_index, _) = Self::split_wildcard(wildcard_path);
        let asset_dir = &wildcard_path[..dir_index];
        let pattern_path = &wildcard_path[dir_index..];
        let mut pattern = Self::wildcard_pattern(pattern_path);
        // repeatGlobRegEx: /([\/\\]\*\*[\/\\]\*)+/g -> '/**/*'
        while pattern.contains("/**/*/**/*") {
            pattern = pattern.replace("/**/*/**/*", "/**/*");
        }
        if pattern.is_empty() {
            pattern = "/**/*".into();
        }
        if self.job.ignored(&p::relative(&self.job.base, &format!("{asset_dir}{pattern}"))) {
            return;
        }
        for f in self.glob_into(asset_dir, &pattern, true, false) {
            self.assets.insert(f);
        }
    }

    /// nft's `emitWildcardRequire`.
    fn emit_wildcard_require(&mut self, wildcard_require: &str) {
        if !wildcard_require.starts_with("./") && !wildcard_require.starts_with("../") {
            return;
        }
        let w = p::resolve_from("/", &[&self.dir, wildcard_require]);
        let (dir_index, _) = Self::split_wildcard(&w);
        let wildcard_dir = &w[..dir_index];
        let pattern_path = &w[dir_index..];
        let mut pattern = Self::wildcard_pattern(pattern_path);
        if pattern.is_empty() {
            pattern = "/**/*".into();
        }
        if !pattern.ends_with('*') {
            pattern.push_str(if self.job.ts { "?(.ts|.tsx|.js|.json|.node)" } else { "?(.js|.json|.node)" });
        }
        if self.job.ignored(&p::relative(&self.job.base, &format!("{wildcard_dir}{pattern}"))) {
            return;
        }
        for f in self.glob_into(wildcard_dir, &pattern, false, true) {
            self.deps.insert(f);
        }
    }

    fn node_modules_base(&self) -> String {
        let i = self.id.find("/node_modules").unwrap_or(0);
        format!("{}/node_modules/", &self.id[..i])
    }

    fn valid_wildcard(&self, asset_path: &str) -> bool {
        let wc = WILDCARD.to_string();
        let suffix = if asset_path.ends_with('/') {
            "/".to_string()
        } else if asset_path.ends_with(&format!("/{wc}")) {
            format!("/{wc}")
        } else if asset_path.ends_with(WILDCARD) {
            wc
        } else {
            String::new()
        };
        if asset_path == format!("{}{suffix}", self.dir) || asset_path == format!("{}{suffix}", self.job.cwd) {
            return false;
        }
        if asset_path.ends_with(&format!("/node_modules{suffix}")) {
            return false;
        }
        let stem = &asset_path[..asset_path.len() - suffix.len()];
        if self.dir.starts_with(&format!("{stem}/")) {
            return false;
        }
        if self.pkg_base.is_some() && !asset_path.starts_with(&self.node_modules_base()) {
            return false;
        }
        true
    }

    /// nft's `emitAssetPath`.
    fn emit_asset_path(&mut self, asset_path: &str) {
        let (dir_index, wi) = Self::split_wildcard(asset_path);
        let base_path = &asset_path[..dir_index];
        let Some(kind) = self.job.fs.stat(base_path) else { return };
        if wi.is_some() && kind == crate::fs::Kind::File {
            return;
        }
        if self.pkg_base.is_some() && !asset_path.starts_with(&self.node_modules_base()) {
            return;
        }
        match kind {
            crate::fs::Kind::File => {
                if self.job.ignored(&p::relative(&self.job.base, asset_path)) {
                    return;
                }
                self.assets.insert(asset_path.to_string());
            }
            crate::fs::Kind::Dir => {
                if self.job.ignored(&p::relative(&self.job.base, asset_path)) {
                    return;
                }
                if self.valid_wildcard(asset_path) {
                    self.emit_asset_directory(asset_path);
                }
            }
            crate::fs::Kind::Other => {}
        }
    }

    fn resolve_abs_or_url(&self, v: &V) -> Option<String> {
        match v {
            V::Url(h) => file_url_to_path(h),
            V::Str(x) if x.starts_with("file:") => file_url_to_path(&url_parse(x, None)?),
            V::Str(x) => Some(p::resolve_from(&self.job.cwd, &[x])),
            _ => None,
        }
    }

    /// nft's `emitStaticChildAsset`.
    fn emit_static_child_asset(&mut self) {
        let Some((val, is_array)) = self.static_child.take() else { return };
        match val {
            R::V { v, .. } if is_abs_or_url(&v) => {
                if let Some(r) = self.resolve_abs_or_url(&v) {
                    self.emit_asset_path(&r);
                }
            }
            R::C { t, e } if is_abs_or_url(&t) && is_abs_or_url(&e) => {
                let rt = self.resolve_abs_or_url(&t);
                let re = self.resolve_abs_or_url(&e);
                if let Some(r) = rt {
                    self.emit_asset_path(&r);
                }
                if let Some(r) = re {
                    self.emit_asset_path(&r);
                }
            }
            R::V { v: V::Arr(items), .. } if is_array => {
                for item in items.iter() {
                    if let Some(r) = self.resolve_abs_or_url(item) {
                        self.emit_asset_path(&r);
                    }
                }
            }
            _ => {}
        }
    }

    /// nft's `backtrack`; returns whether to skip the node being entered.
    fn backtrack(&mut self, parent: P<'a>, in_enter: bool) -> bool {
        if let Some(cur) = self.eval_parent(parent) {
            if Self::continues(&cur) {
                let is_array = matches!(parent, P::Expr(Expr::Array(_)));
                self.static_child = Some((cur, is_array));
                return in_enter;
            }
        }
        self.emit_static_child_asset();
        false
    }

    /// nft's `processRequireArg`.
    fn process_require_arg(&mut self, arg: &ExprOrSpread, is_import: bool) {
        if arg.spread.is_some() {
            return;
        }
        self.process_require_expr(&arg.expr, is_import);
    }

    fn process_require_expr(&mut self, e: &Expr, is_import: bool) {
        match unparen(e) {
            Expr::Cond(c) => {
                self.process_require_expr(&c.cons, is_import);
                self.process_require_expr(&c.alt, is_import);
                return;
            }
            Expr::Bin(b) if matches!(b.op, BinaryOp::LogicalAnd | BinaryOp::LogicalOr | BinaryOp::NullishCoalescing) => {
                self.process_require_expr(&b.left, is_import);
                self.process_require_expr(&b.right, is_import);
                return;
            }
            _ => {}
        }
        let Some(computed) = self.eval(e, true) else { return };
        let add = |this: &mut Self, v: String| {
            if is_import {
                this.imports.insert(v);
            } else {
                this.deps.insert(v);
            }
        };
        match computed {
            R::V { v: V::Str(x), wc } => {
                if wc == 0 {
                    add(self, x.to_string());
                } else {
                    self.emit_wildcard_require(&x);
                }
            }
            R::V { .. } => {}
            R::C { t, e } => {
                if let V::Str(x) = t {
                    add(self, x.to_string());
                }
                if let V::Str(x) = e {
                    add(self, x.to_string());
                }
            }
        }
    }

    // ---- the walk --------------------------------------------------------

    fn with_node(&mut self, parent: P<'a>, scope: Option<Vec<Atom>>, enter: Enter<'a>, children: impl FnOnce(&mut Self)) {
        let scope = scope.map(|mut names| {
            names.sort();
            names.dedup();
            for n in &names {
                if let Some(b) = self.bindings.get_mut(n) {
                    b.shadow += 1;
                }
            }
            names
        });
        if self.static_child.is_none() && !matches!(parent, P::Root) && self.enter(enter, parent) {
            return;
        }
        children(self);
        if let Some(names) = scope {
            for n in names {
                if let Some(b) = self.bindings.get_mut(&n) {
                    if b.shadow > 0 {
                        b.shadow -= 1;
                    } else {
                        self.bindings.remove(&n);
                    }
                }
            }
        }
        if self.static_child.is_some() && !matches!(parent, P::Root) {
            self.backtrack(parent, false);
        }
    }

    /// A node without children or analysis of its own (a literal, a
    /// non-read identifier, ...): it only continues backtracking on leave.
    fn leaf(&mut self, parent: P<'a>) {
        if self.static_child.is_some() && !matches!(parent, P::Root) {
            self.backtrack(parent, false);
        }
    }

    fn visit_program(&mut self, program: &'a Program) {
        match program {
            Program::Script(s) => self.with_node(P::Root, None, Enter::None, |a| {
                for st in &s.body {
                    a.visit_stmt(st, P::Other);
                }
            }),
            Program::Module(m) => self.with_node(P::Root, None, Enter::None, |a| {
                for item in &m.body {
                    match item {
                        ModuleItem::Stmt(st) => a.visit_stmt(st, P::Other),
                        ModuleItem::ModuleDecl(d) => a.visit_module_decl(d),
                    }
                }
            }),
        }
    }

    fn visit_module_decl(&mut self, d: &'a ModuleDecl) {
        let parent = P::Other;
        match d {
            ModuleDecl::Import(i) => self.with_node(parent, None, Enter::None, |a| {
                for spec in &i.specifiers {
                    a.with_node(P::Other, None, Enter::None, |a| {
                        a.leaf(P::Other);
                        if matches!(spec, ImportSpecifier::Named(n) if n.imported.is_some()) {
                            a.leaf(P::Other);
                        }
                    });
                }
                a.leaf(P::Other);
            }),
            ModuleDecl::ExportDecl(e) => self.with_node(parent, None, Enter::None, |a| a.visit_decl(&e.decl, P::Other)),
            ModuleDecl::ExportNamed(n) => self.with_node(parent, None, Enter::None, |a| {
                for _ in &n.specifiers {
                    a.with_node(P::Other, None, Enter::None, |a| a.leaf(P::Other));
                }
                if n.src.is_some() {
                    a.leaf(P::Other);
                }
            }),
            ModuleDecl::ExportDefaultDecl(e) => self.with_node(parent, None, Enter::None, |a| match &e.decl {
                DefaultDecl::Fn(f) => a.visit_function(&f.function, f.ident.as_ref(), FnKind::Decl, P::Other),
                DefaultDecl::Class(c) => a.visit_class(&c.class, c.ident.as_ref(), P::Other),
                DefaultDecl::TsInterfaceDecl(_) => {}
            }),
            ModuleDecl::ExportDefaultExpr(e) => self.with_node(parent, None, Enter::None, |a| a.visit_expr(&e.expr, P::Other)),
            ModuleDecl::ExportAll(_) => self.with_node(parent, None, Enter::None, |a| a.leaf(P::Other)),
            _ => {}
        }
    }

    fn visit_block(&mut self, b: &'a BlockStmt, parent: P<'a>, fn_body: bool) {
        let scope = if fn_body { None } else { Some(scope::block_scope(&b.stmts)) };
        self.with_node(parent, scope, Enter::None, |a| {
            for st in &b.stmts {
                a.visit_stmt(st, P::Other);
            }
        });
    }

    fn visit_fn_body(&mut self, stmts: &'a [Stmt], parent: P<'a>) {
        self.with_node(parent, None, Enter::None, |a| {
            for st in stmts {
                a.visit_stmt(st, P::Other);
            }
        });
    }

    fn visit_stmt(&mut self, st: &'a Stmt, parent: P<'a>) {
        match st {
            Stmt::Expr(es) => self.with_node(parent, None, Enter::None, |a| a.visit_expr(&es.expr, P::ExprStmt(&es.expr))),
            Stmt::Block(b) => self.visit_block(b, parent, false),
            Stmt::Empty(_) | Stmt::Debugger(_) => self.leaf(parent),
            Stmt::With(w) => self.with_node(parent, None, Enter::None, |a| {
                a.visit_expr(&w.obj, P::Other);
                a.visit_stmt(&w.body, P::Other);
            }),
            Stmt::Return(r) => self.with_node(parent, None, Enter::None, |a| {
                if let Some(arg) = &r.arg {
                    a.visit_expr(arg, P::Other);
                }
            }),
            Stmt::Labeled(l) => self.with_node(parent, None, Enter::None, |a| {
                a.visit_stmt(&l.body, P::Other);
                a.leaf(P::Other);
            }),
            Stmt::Break(b) => self.with_node(parent, None, Enter::None, |a| {
                if b.label.is_some() {
                    a.leaf(P::Other);
                }
            }),
            Stmt::Continue(c) => self.with_node(parent, None, Enter::None, |a| {
                if c.label.is_some() {
                    a.leaf(P::Other);
                }
            }),
            Stmt::If(i) => self.with_node(parent, None, Enter::None, |a| {
                a.visit_expr(&i.test, P::Other);
                a.visit_stmt(&i.cons, P::Other);
                if let Some(alt) = &i.alt {
                    a.visit_stmt(alt, P::Other);
                }
            }),
            Stmt::Switch(sw) => self.with_node(parent, None, Enter::None, |a| {
                a.visit_expr(&sw.discriminant, P::Other);
                for c in &sw.cases {
                    a.with_node(P::Other, None, Enter::None, |a| {
                        for st in &c.cons {
                            a.visit_stmt(st, P::Other);
                        }
                        if let Some(t) = &c.test {
                            a.visit_expr(t, P::Other);
                        }
                    });
                }
            }),
            Stmt::Throw(t) => self.with_node(parent, None, Enter::None, |a| a.visit_expr(&t.arg, P::Other)),
            Stmt::Try(t) => self.with_node(parent, None, Enter::None, |a| {
                a.visit_block(&t.block, P::Other, false);
                if let Some(h) = &t.handler {
                    let mut names = vec![];
                    if let Some(param) = &h.param {
                        scope::pat_names(param, &mut names);
                    }
                    a.with_node(P::Other, Some(names), Enter::None, |a| {
                        if let Some(param) = &h.param {
                            a.visit_pat(param, P::Other, true);
                        }
                        a.visit_block(&h.body, P::Other, false);
                    });
                }
                if let Some(f) = &t.finalizer {
                    a.visit_block(f, P::Other, false);
                }
            }),
            Stmt::While(w) => self.with_node(parent, None, Enter::None, |a| {
                let lp = P::Loop { var_loop: false };
                a.visit_expr(&w.test, lp);
                a.visit_stmt(&w.body, lp);
            }),
            Stmt::DoWhile(w) => self.with_node(parent, None, Enter::None, |a| {
                let lp = P::Loop { var_loop: false };
                a.visit_stmt(&w.body, lp);
                a.visit_expr(&w.test, lp);
            }),
            Stmt::For(f) => {
                let head = match &f.init {
                    Some(VarDeclOrExpr::VarDecl(v)) => Some(&**v),
                    _ => None,
                };
                self.with_node(parent, Some(scope::for_head_scope(head)), Enter::None, |a| {
                    let lp = P::Loop { var_loop: true };
                    match &f.init {
                        Some(VarDeclOrExpr::VarDecl(v)) => a.visit_var_decl(v, lp),
                        Some(VarDeclOrExpr::Expr(e)) => a.visit_expr(e, lp),
                        None => {}
                    }
                    if let Some(t) = &f.test {
                        a.visit_expr(t, lp);
                    }
                    if let Some(u) = &f.update {
                        a.visit_expr(u, lp);
                    }
                    a.visit_stmt(&f.body, lp);
                })
            }
            Stmt::ForIn(f) => self.visit_for_in_of(&f.left, &f.right, &f.body, parent),
            Stmt::ForOf(f) => self.visit_for_in_of(&f.left, &f.right, &f.body, parent),
            Stmt::Decl(d) => self.visit_decl(d, parent),
        }
    }

    fn visit_for_in_of(&mut self, left: &'a ForHead, right: &'a Expr, body: &'a Stmt, parent: P<'a>) {
        let head = match left {
            ForHead::VarDecl(v) => Some(&**v),
            _ => None,
        };
        self.with_node(parent, Some(scope::for_head_scope(head)), Enter::None, |a| {
            let lp = P::Loop { var_loop: true };
            match left {
                ForHead::VarDecl(v) => a.visit_var_decl(v, lp),
                ForHead::Pat(pat) => a.visit_pat(pat, lp, false),
                ForHead::UsingDecl(u) => a.with_node(lp, None, Enter::None, |a| {
                    for d in &u.decls {
                        a.visit_pat(&d.name, P::Other, false);
                    }
                }),
            }
            a.visit_expr(right, lp);
            a.visit_stmt(body, lp);
        });
    }

    fn visit_decl(&mut self, d: &'a Decl, parent: P<'a>) {
        match d {
            Decl::Var(v) => self.visit_var_decl(v, parent),
            Decl::Fn(f) => self.visit_function(&f.function, Some(&f.ident), FnKind::Decl, parent),
            Decl::Class(c) => self.visit_class(&c.class, Some(&c.ident), parent),
            Decl::Using(u) => self.with_node(parent, None, Enter::None, |a| {
                for d in &u.decls {
                    a.with_node(P::Other, None, Enter::None, |a| {
                        a.visit_pat(&d.name, P::Other, false);
                        if let Some(init) = &d.init {
                            a.visit_expr(init, P::Declarator(d));
                        }
                    });
                }
            }),
            _ => {}
        }
    }

    fn visit_var_decl(&mut self, v: &'a VarDecl, parent: P<'a>) {
        self.with_node(parent, None, Enter::VarDecl(v), |a| {
            for d in &v.decls {
                a.with_node(P::Other, None, Enter::None, |a| {
                    a.visit_pat(&d.name, P::Other, false);
                    if let Some(init) = &d.init {
                        a.visit_expr(init, P::Declarator(d));
                    }
                });
            }
        });
    }

    /// Patterns. `read` says whether a bare identifier here counts as a read
    /// in nft's `isIdentifierRead` (true under `AssignmentPattern.left`,
    /// `RestElement` and a `Property` value).
    fn visit_pat(&mut self, pat: &'a Pat, parent: P<'a>, read: bool) {
        match pat {
            Pat::Ident(i) => self.with_node(parent, None, Enter::Ident(&i.id, read), |_| {}),
            Pat::Array(arr) => self.with_node(parent, None, Enter::None, |a| {
                for el in arr.elems.iter().flatten() {
                    a.visit_pat(el, P::Other, false);
                }
            }),
            Pat::Rest(r) => self.with_node(parent, None, Enter::None, |a| a.visit_pat(&r.arg, P::Other, true)),
            Pat::Object(o) => self.with_node(parent, None, Enter::None, |a| {
                for prop in &o.props {
                    match prop {
                        ObjectPatProp::KeyValue(kv) => a.with_node(P::Other, None, Enter::None, |a| {
                            a.visit_prop_name(&kv.key, P::Other);
                            a.visit_pat(&kv.value, P::Other, true);
                        }),
                        ObjectPatProp::Assign(ap) => a.with_node(P::Other, None, Enter::None, |a| {
                            a.leaf(P::Other);
                            match &ap.value {
                                None => a.with_node(P::Other, None, Enter::Ident(&ap.key.id, true), |_| {}),
                                Some(def) => a.with_node(P::Other, None, Enter::None, |a| {
                                    a.with_node(P::Other, None, Enter::Ident(&ap.key.id, true), |_| {});
                                    a.visit_expr(def, P::Other);
                                }),
                            }
                        }),
                        ObjectPatProp::Rest(r) => a.with_node(P::Other, None, Enter::None, |a| a.visit_pat(&r.arg, P::Other, true)),
                    }
                }
            }),
            Pat::Assign(ap) => self.with_node(parent, None, Enter::None, |a| {
                a.visit_pat(&ap.left, P::Other, true);
                a.visit_expr(&ap.right, P::Other);
            }),
            Pat::Expr(e) => self.visit_expr(e, parent),
            Pat::Invalid(_) => {}
        }
    }

    fn visit_prop_name(&mut self, key: &'a PropName, parent: P<'a>) {
        match key {
            PropName::Computed(c) => self.visit_expr(&c.expr, parent),
            _ => self.leaf(parent),
        }
    }

    fn visit_function(&mut self, f: &'a Function, ident: Option<&'a Ident>, kind: FnKind, parent: P<'a>) {
        let body = f.body.as_ref().map(|b| &b.stmts[..]);
        let scope = scope::function_scope(f.params.iter().map(|p| &p.pat), if kind == FnKind::Expr { ident } else { None }, body);
        let first_param = match f.params.first().map(|p| &p.pat) {
            Some(Pat::Ident(i)) => Some(&i.id.sym),
            _ => None,
        };
        let name = match (kind, parent) {
            (FnKind::Expr, P::Declarator(d)) => match &d.name {
                Pat::Ident(i) => Some(&i.id.sym),
                _ => ident.map(|i| &i.sym),
            },
            _ => ident.map(|i| &i.sym),
        };
        let enter = if kind == FnKind::Method { Enter::None } else { Enter::Func { first_param, name, body } };
        self.with_node(parent, Some(scope), enter, |a| {
            if ident.is_some() {
                a.leaf(P::Other);
            }
            for param in &f.params {
                a.visit_pat(&param.pat, P::Other, false);
            }
            if let Some(b) = &f.body {
                a.visit_fn_body(&b.stmts, P::Other);
            }
        });
    }

    fn visit_arrow(&mut self, arrow: &'a ArrowExpr, me: &'a Expr, parent: P<'a>) {
        let body = match &*arrow.body {
            ArrowFunctionBody::FunctionBody(b) => Some(&b.stmts[..]),
            ArrowFunctionBody::Expr(_) => None,
        };
        let scope = scope::function_scope(arrow.params.iter(), None, body);
        let first_param = match arrow.params.first() {
            Some(Pat::Ident(i)) => Some(&i.id.sym),
            _ => None,
        };
        let name = match parent {
            P::Declarator(d) => match &d.name {
                Pat::Ident(i) => Some(&i.id.sym),
                _ => None,
            },
            _ => None,
        };
        self.with_node(parent, Some(scope), Enter::Func { first_param, name, body }, |a| {
            for param in &arrow.params {
                a.visit_pat(param, P::Other, false);
            }
            match &*arrow.body {
                ArrowFunctionBody::FunctionBody(b) => a.visit_fn_body(&b.stmts, P::Other),
                ArrowFunctionBody::Expr(e) => a.visit_expr(e, P::Expr(me)),
            }
        });
    }

    fn visit_class(&mut self, c: &'a Class, ident: Option<&'a Ident>, parent: P<'a>) {
        self.with_node(parent, None, Enter::None, |a| {
            if ident.is_some() {
                a.leaf(P::Other);
            }
            if let Some(sc) = &c.super_class {
                a.visit_expr(sc, P::Other);
            }
            a.with_node(P::Other, None, Enter::None, |a| {
                for m in &c.body {
                    a.visit_class_member(m);
                }
            });
        });
    }

    fn visit_class_member(&mut self, m: &'a ClassMember) {
        let parent = P::Other;
        match m {
            ClassMember::Constructor(c) => self.with_node(parent, None, Enter::None, |a| {
                a.leaf(P::Other);
                let body = c.body.as_ref().map(|b| &b.stmts[..]);
                let params: Vec<&Pat> = c
                    .params
                    .iter()
                    .filter_map(|p| match p {
                        ParamOrTsParamProp::Param(p) => Some(&p.pat),
                        _ => None,
                    })
                    .collect();
                let scope = scope::function_scope(params.iter().copied(), None, body);
                a.with_node(P::Other, Some(scope), Enter::None, |a| {
                    for p in &params {
                        a.visit_pat(p, P::Other, false);
                    }
                    if let Some(b) = body {
                        a.visit_fn_body(b, P::Other);
                    }
                });
            }),
            ClassMember::Method(cm) => self.with_node(parent, None, Enter::None, |a| {
                a.visit_prop_name(&cm.key, P::Other);
                a.visit_function(&cm.function, None, FnKind::Method, P::Other);
            }),
            ClassMember::PrivateMethod(pm) => self.with_node(parent, None, Enter::None, |a| {
                a.leaf(P::Other);
                a.visit_function(&pm.function, None, FnKind::Method, P::Other);
            }),
            ClassMember::ClassProp(cp) => self.with_node(parent, None, Enter::None, |a| {
                a.visit_prop_name(&cp.key, P::Other);
                if let Some(v) = &cp.value {
                    a.visit_expr(v, P::Other);
                }
            }),
            ClassMember::PrivateProp(pp) => self.with_node(parent, None, Enter::None, |a| {
                a.leaf(P::Other);
                if let Some(v) = &pp.value {
                    a.visit_expr(v, P::Other);
                }
            }),
            ClassMember::StaticBlock(sb) => {
                let scope = scope::static_block_scope(&sb.body.stmts);
                self.with_node(parent, Some(scope), Enter::None, |a| {
                    for st in &sb.body.stmts {
                        a.visit_stmt(st, P::Other);
                    }
                })
            }
            ClassMember::AutoAccessor(aa) => self.with_node(parent, None, Enter::None, |a| {
                match &aa.key {
                    Key::Private(_) => a.leaf(P::Other),
                    Key::Public(k) => a.visit_prop_name(k, P::Other),
                }
                if let Some(v) = &aa.value {
                    a.visit_expr(v, P::Other);
                }
            }),
            _ => {}
        }
    }

    fn visit_arg(&mut self, arg: &'a ExprOrSpread, parent: P<'a>) {
        if arg.spread.is_some() {
            self.with_node(parent, None, Enter::None, |a| a.visit_expr(&arg.expr, P::Other));
        } else {
            self.visit_expr(&arg.expr, parent);
        }
    }

    fn visit_member_children(&mut self, m: &'a MemberExpr, me: P<'a>) {
        self.visit_expr(&m.obj, me);
        match &m.prop {
            MemberProp::Computed(c) => self.visit_expr(&c.expr, me),
            _ => self.leaf(me),
        }
    }

    fn visit_tpl_children(&mut self, t: &'a Tpl, me: P<'a>) {
        for e in &t.exprs {
            self.visit_expr(e, me);
        }
        for _ in &t.quasis {
            self.leaf(me);
        }
    }

    fn visit_expr(&mut self, e: &'a Expr, parent: P<'a>) {
        if let Expr::Paren(pe) = e {
            return self.visit_expr(&pe.expr, parent);
        }
        let me = P::Expr(e);
        match e {
            Expr::Ident(i) => self.with_node(parent, None, Enter::Ident(i, true), |_| {}),
            Expr::This(_) | Expr::Lit(_) | Expr::PrivateName(_) => self.leaf(parent),
            Expr::Array(arr) => self.with_node(parent, None, Enter::None, |a| {
                for el in arr.elems.iter().flatten() {
                    a.visit_arg(el, me);
                }
            }),
            Expr::Object(o) => self.with_node(parent, None, Enter::None, |a| {
                for prop in &o.props {
                    match prop {
                        PropOrSpread::Spread(sp) => a.with_node(me, None, Enter::None, |a| a.visit_expr(&sp.expr, P::Other)),
                        PropOrSpread::Prop(pr) => a.visit_prop(pr, me),
                    }
                }
            }),
            Expr::Fn(f) => self.visit_function(&f.function, f.ident.as_ref(), FnKind::Expr, parent),
            Expr::Arrow(arrow) => self.visit_arrow(arrow, e, parent),
            Expr::Class(c) => self.visit_class(&c.class, c.ident.as_ref(), parent),
            Expr::Unary(u) => self.with_node(parent, None, Enter::None, |a| a.visit_expr(&u.arg, me)),
            Expr::Update(u) => self.with_node(parent, None, Enter::None, |a| a.visit_expr(&u.arg, me)),
            Expr::Bin(b) => self.with_node(parent, None, Enter::None, |a| {
                a.visit_expr(&b.left, me);
                a.visit_expr(&b.right, me);
            }),
            Expr::Assign(asg) => self.with_node(parent, None, Enter::Assign(asg), |a| {
                match &asg.left {
                    AssignTarget::Simple(SimpleAssignTarget::Ident(i)) => a.with_node(me, None, Enter::Ident(&i.id, false), |_| {}),
                    AssignTarget::Simple(SimpleAssignTarget::Member(m)) => {
                        a.with_node(me, None, Enter::Member(m), |a| a.visit_member_children(m, P::Other))
                    }
                    AssignTarget::Simple(SimpleAssignTarget::Paren(pe)) => a.visit_expr(&pe.expr, me),
                    AssignTarget::Simple(SimpleAssignTarget::SuperProp(sp)) => a.with_node(me, None, Enter::None, |a| {
                        a.leaf(P::Other);
                        if let SuperProp::Computed(c) = &sp.prop {
                            a.visit_expr(&c.expr, P::Other);
                        } else {
                            a.leaf(P::Other);
                        }
                    }),
                    AssignTarget::Simple(SimpleAssignTarget::OptChain(oc)) => a.visit_opt_chain(oc, me),
                    AssignTarget::Simple(_) => {}
                    AssignTarget::Pat(AssignTargetPat::Object(o)) => {
                        a.visit_pat_obj(o, me);
                    }
                    AssignTarget::Pat(AssignTargetPat::Array(arr)) => a.with_node(me, None, Enter::None, |a| {
                        for el in arr.elems.iter().flatten() {
                            a.visit_pat(el, P::Other, false);
                        }
                    }),
                    AssignTarget::Pat(AssignTargetPat::Invalid(_)) => {}
                }
                a.visit_expr(&asg.right, me);
            }),
            Expr::Member(m) => self.with_node(parent, None, Enter::Member(m), |a| a.visit_member_children(m, me)),
            Expr::SuperProp(sp) => self.with_node(parent, None, Enter::None, |a| {
                a.leaf(me);
                match &sp.prop {
                    SuperProp::Computed(c) => a.visit_expr(&c.expr, me),
                    SuperProp::Ident(_) => a.leaf(me),
                }
            }),
            Expr::Cond(c) => self.with_node(parent, None, Enter::None, |a| {
                a.visit_expr(&c.test, me);
                a.visit_expr(&c.cons, me);
                a.visit_expr(&c.alt, me);
            }),
            Expr::Call(c) => match &c.callee {
                Callee::Import(_) => self.with_node(parent, None, Enter::ImportCall(c.args.first()), |a| {
                    for arg in &c.args {
                        a.visit_arg(arg, me);
                    }
                }),
                Callee::Super(_) => self.with_node(parent, None, Enter::None, |a| {
                    a.leaf(me);
                    for arg in &c.args {
                        a.visit_arg(arg, me);
                    }
                }),
                Callee::Expr(callee) => self.with_node(parent, None, Enter::Call { node: e, callee, args: &c.args }, |a| {
                    a.visit_expr(callee, me);
                    for arg in &c.args {
                        a.visit_arg(arg, me);
                    }
                }),
            },
            Expr::New(n) => self.with_node(parent, None, Enter::None, |a| {
                a.visit_expr(&n.callee, me);
                for arg in n.args.iter().flatten() {
                    a.visit_arg(arg, me);
                }
            }),
            Expr::Seq(sq) => self.with_node(parent, None, Enter::None, |a| {
                for x in &sq.exprs {
                    a.visit_expr(x, me);
                }
            }),
            Expr::Tpl(t) => self.with_node(parent, None, Enter::None, |a| a.visit_tpl_children(t, me)),
            Expr::TaggedTpl(t) => self.with_node(parent, None, Enter::None, |a| {
                a.visit_expr(&t.tag, me);
                a.with_node(me, None, Enter::None, |a| a.visit_tpl_children(&t.tpl, P::Other));
            }),
            Expr::Yield(y) => self.with_node(parent, None, Enter::None, |a| {
                if let Some(arg) = &y.arg {
                    a.visit_expr(arg, me);
                }
            }),
            Expr::Await(aw) => self.with_node(parent, None, Enter::None, |a| a.visit_expr(&aw.arg, me)),
            Expr::MetaProp(_) => self.with_node(parent, None, Enter::None, |a| {
                a.leaf(me);
                a.leaf(me);
            }),
            Expr::OptChain(oc) => self.visit_opt_chain(oc, parent),
            _ => self.with_node(parent, None, Enter::None, |_| {}),
        }
    }

    /// `a?.b` / `a?.()`: an ESTree `ChainExpression` around the member or call.
    fn visit_opt_chain(&mut self, oc: &'a OptChainExpr, parent: P<'a>) {
        self.with_node(parent, None, Enter::None, |a| match &*oc.base {
            OptChainBase::Member(m) => a.with_node(P::Other, None, Enter::Member(m), |a| a.visit_member_children(m, P::Other)),
            OptChainBase::Call(c) => a.with_node(P::Other, None, Enter::None, |a| {
                a.visit_expr(&c.callee, P::Other);
                for arg in &c.args {
                    a.visit_arg(arg, P::Other);
                }
            }),
        });
    }

    fn visit_pat_obj(&mut self, o: &'a ObjectPat, parent: P<'a>) {
        self.with_node(parent, None, Enter::None, |a| {
            for prop in &o.props {
                match prop {
                    ObjectPatProp::KeyValue(kv) => a.with_node(P::Other, None, Enter::None, |a| {
                        a.visit_prop_name(&kv.key, P::Other);
                        a.visit_pat(&kv.value, P::Other, true);
                    }),
                    ObjectPatProp::Assign(ap) => a.with_node(P::Other, None, Enter::None, |a| {
                        a.leaf(P::Other);
                        a.with_node(P::Other, None, Enter::Ident(&ap.key.id, true), |_| {});
                        if let Some(v) = &ap.value {
                            a.visit_expr(v, P::Other);
                        }
                    }),
                    ObjectPatProp::Rest(r) => a.with_node(P::Other, None, Enter::None, |a| a.visit_pat(&r.arg, P::Other, true)),
                }
            }
        });
    }

    fn visit_prop(&mut self, prop: &'a Prop, parent: P<'a>) {
        match prop {
            Prop::Shorthand(i) => self.with_node(parent, None, Enter::None, |a| {
                a.with_node(P::Other, None, Enter::Ident(i, true), |_| {});
                a.leaf(P::Other);
            }),
            Prop::KeyValue(kv) => self.with_node(parent, None, Enter::None, |a| {
                a.visit_prop_name(&kv.key, P::Other);
                a.visit_expr(&kv.value, P::Other);
            }),
            Prop::Getter(g) => self.with_node(parent, None, Enter::None, |a| {
                a.visit_prop_name(&g.key, P::Other);
                a.visit_function(&g.function, None, FnKind::Method, P::Other);
            }),
            Prop::Setter(st) => self.with_node(parent, None, Enter::None, |a| {
                a.visit_prop_name(&st.key, P::Other);
                a.visit_function(&st.function, None, FnKind::Method, P::Other);
            }),
            Prop::Method(m) => self.with_node(parent, None, Enter::None, |a| {
                a.visit_prop_name(&m.key, P::Other);
                a.visit_function(&m.function, None, FnKind::Expr, P::Other);
            }),
            Prop::Assign(_) => {}
        }
    }

    // ---- enter -------------------------------------------------------------

    /// nft's `enter`; returns whether to skip the node's children.
    fn enter(&mut self, kind: Enter<'a>, parent: P<'a>) -> bool {
        match kind {
            Enter::None => false,
            Enter::Ident(i, read) => {
                if !read {
                    return false;
                }
                let trigger = match self.known_value(&i.sym) {
                    Some(R::V { v: V::Str(x), .. }) => abs_regex(x).then(|| V::Str(x.clone())),
                    Some(R::V { v: V::Fn(f), .. }) if f.is_trigger() => Some(V::Undef),
                    _ => None,
                };
                if let Some(v) = trigger {
                    self.static_child = Some((R::v(v), false));
                    return self.backtrack(parent, true);
                }
                false
            }
            Enter::Member(m) => {
                if let Expr::MetaProp(mp) = unparen(&m.obj) {
                    if mp.kind == MetaPropKind::ImportMeta {
                        let prop = match &m.prop {
                            MemberProp::Ident(i) => Some(i.sym.to_string()),
                            MemberProp::Computed(c) => match unparen(&c.expr) {
                                Expr::Lit(Lit::Str(x)) => Some(lit_str(x)),
                                _ => None,
                            },
                            _ => None,
                        };
                        if let Some(prop) = prop.filter(|x| matches!(x.as_str(), "url" | "dirname" | "filename")) {
                            let v = get_prop(&self.import_meta, &prop).unwrap_or(V::Undef);
                            self.static_child = Some((R::v(v), false));
                            return self.backtrack(parent, true);
                        }
                    }
                }
                false
            }
            Enter::ImportCall(arg) => {
                if let Some(arg) = arg {
                    self.process_require_arg(arg, true);
                }
                false
            }
            Enter::Call { node, callee, args } => self.enter_call(node, callee, args, parent),
            Enter::VarDecl(v) => {
                if matches!(parent, P::Loop { var_loop: true }) {
                    return false;
                }
                for d in &v.decls {
                    let Some(init) = &d.init else { continue };
                    let Some(computed) = self.eval(init, true) else { continue };
                    match &d.name {
                        Pat::Ident(i) => self.set_known_binding(i.id.sym.clone(), computed.clone()),
                        Pat::Object(o) => {
                            if let R::V { v, .. } = &computed {
                                self.destructure(o, v);
                            }
                        }
                        _ => {}
                    }
                    if let R::C { t, e } = &computed {
                        if is_abs_or_url(t) && is_abs_or_url(e) {
                            self.static_child = Some((computed.clone(), false));
                            self.emit_static_child_asset();
                        }
                    }
                }
                false
            }
            Enter::Assign(asg) => {
                if matches!(parent, P::Loop { .. }) {
                    return false;
                }
                let name = match &asg.left {
                    AssignTarget::Simple(SimpleAssignTarget::Ident(i)) => Some(i.id.sym.clone()),
                    _ => None,
                };
                if let Some(n) = &name {
                    if self.known_value(n).is_some() {
                        return false;
                    }
                }
                let Some(computed) = self.eval(&asg.right, false) else { return false };
                let R::V { v, .. } = &computed else { return false };
                let v = v.clone();
                if let Some(n) = name {
                    self.set_known_binding(n, computed.clone());
                } else if let AssignTarget::Pat(AssignTargetPat::Object(o)) = &asg.left {
                    self.destructure(o, &v);
                }
                if is_abs_or_url(&v) {
                    let is_array = matches!(unparen(&asg.right), Expr::Array(_));
                    self.static_child = Some((computed, is_array));
                    self.emit_static_child_asset();
                }
                false
            }
            Enter::Func { first_param, name, body } => {
                if self.is_esm {
                    return false;
                }
                let (Some(arg0), Some(name), Some(body)) = (first_param, name, body) else { return false };
                let require_unshadowed = self.require_known();
                let mut require_decl: Option<&Atom> = None;
                let mut returned = false;
                for st in body {
                    if let Stmt::Decl(Decl::Var(v)) = st {
                        if require_decl.is_none() {
                            require_decl = v.decls.iter().find_map(|d| {
                                let Pat::Ident(id) = &d.name else { return None };
                                let Some(Expr::Call(c)) = d.init.as_deref() else { return None };
                                let Callee::Expr(ce) = &c.callee else { return None };
                                let Expr::Ident(ci) = &**ce else { return None };
                                if ci.sym != "require" || !require_unshadowed {
                                    return None;
                                }
                                match c.args.first() {
                                    Some(ExprOrSpread { spread: None, expr }) => match &**expr {
                                        Expr::Ident(a0) if a0.sym == *arg0 => Some(&id.id.sym),
                                        _ => None,
                                    },
                                    _ => None,
                                }
                            });
                        }
                    }
                    if let (Some(rd), Stmt::Return(r)) = (require_decl, st) {
                        if matches!(r.arg.as_deref(), Some(Expr::Ident(x)) if x.sym == *rd) {
                            returned = true;
                            break;
                        }
                    }
                }
                if returned {
                    self.set_known_binding(name.clone(), R::v(V::Sym(Sym::BoundRequire)));
                }
                false
            }
        }
    }

    fn destructure(&mut self, o: &ObjectPat, v: &V) {
        if !v.is_object() {
            return;
        }
        for prop in &o.props {
            let (key, local) = match prop {
                ObjectPatProp::KeyValue(kv) => {
                    let key = match &kv.key {
                        PropName::Ident(i) => i.sym.to_string(),
                        PropName::Computed(c) => match unparen(&c.expr) {
                            Expr::Ident(i) => i.sym.to_string(),
                            _ => continue,
                        },
                        _ => continue,
                    };
                    let Pat::Ident(local) = &*kv.value else { continue };
                    (key, local.id.sym.clone())
                }
                ObjectPatProp::Assign(ap) if ap.value.is_none() => (ap.key.id.sym.to_string(), ap.key.id.sym.clone()),
                _ => continue,
            };
            if let Some(val) = get_prop(v, &key) {
                self.set_known_binding(local, R::v(val));
            }
        }
    }

    fn enter_call(&mut self, node: &'a Expr, callee: &'a Expr, args: &'a [ExprOrSpread], parent: P<'a>) -> bool {
        let cjs = !self.is_esm;
        let callee_u = unparen(callee);
        let member_of = |e: &Expr, obj: &str, prop: &str| -> bool {
            matches!(e, Expr::Member(m)
                if matches!(unparen(&m.obj), Expr::Ident(o) if o.sym == obj)
                && matches!(&m.prop, MemberProp::Ident(p) if p.sym == prop))
        };
        if cjs && matches!(callee_u, Expr::Ident(_)) && !args.is_empty() {
            if let Expr::Ident(ci) = callee_u {
                if ci.sym == "require" && self.require_known() {
                    self.process_require_arg(&args[0], false);
                    return false;
                }
            }
        } else if cjs
            && !args.is_empty()
            && ((member_of(callee_u, "module", "require") && !self.bindings.contains_key(&self.atoms.module))
                || (member_of(callee_u, "require", "resolve") && self.require_known()))
        {
            // module.require(x), require.resolve(x)
            self.process_require_arg(&args[0], false);
            return false;
        } else if let Expr::Member(m) = callee_u {
            let is_meta = matches!(unparen(&m.obj), Expr::MetaProp(mp) if mp.kind == MetaPropKind::ImportMeta);
            let is_resolve = match &m.prop {
                MemberProp::Ident(i) => i.sym == "resolve",
                MemberProp::Computed(c) => matches!(unparen(&c.expr), Expr::Lit(Lit::Str(x)) if x.value == *"resolve"),
                _ => false,
            };
            if is_meta && is_resolve && !args.is_empty() {
                self.process_require_arg(&args[0], true);
                return false;
            }
        }
        let callee_value = self.eval(callee, false);
        let mut skip = false;
        match callee_value {
            Some(R::V { v: V::Fn(f), .. }) if f.is_trigger() => {
                if let Some(val) = self.eval(node, true) {
                    if !matches!(parent, P::Root) {
                        self.static_child = Some((val, false));
                        skip = self.backtrack(parent, true);
                    }
                }
            }
            Some(R::V { v: V::Sym(sym), .. }) => match sym {
                Sym::BoundRequire => {
                    let lit_arg = args.len() == 1 && args[0].spread.is_none() && matches!(unparen(&args[0].expr), Expr::Lit(_));
                    let unshadowed = self.bindings.get(&self.atoms.require).is_none_or(|b| b.shadow == 0);
                    if lit_arg && matches!(callee_u, Expr::Ident(_)) && unshadowed {
                        self.process_require_arg(&args[0], false);
                    }
                }
                Sym::Bindings => {
                    if let Some(a0) = args.first() {
                        if let Some(R::V { v, .. }) = self.eval(&a0.expr, false) {
                            if v.truthy() {
                                let resolved = crate::native::bindings_path(self.job, &v, self.pkg_base.as_deref());
                                if let Some(r) = resolved {
                                    self.static_child = Some((R::v(V::Str(r.into())), false));
                                    self.emit_static_child_asset();
                                }
                            }
                        }
                    }
                }
                Sym::NodeGypBuild => {
                    if let Some(a0) = args.first() {
                        if let Some(R::V { v: V::Str(dir), .. }) = self.eval(&a0.expr, false) {
                            if !dir.is_empty() {
                                if let Some(r) = crate::native::node_gyp_build_path(self.job, &dir) {
                                    self.static_child = Some((R::v(V::Str(r.into())), false));
                                    self.emit_static_child_asset();
                                }
                            }
                        }
                    }
                }
                Sym::ExpressSet
                    if args.len() == 2
                        && matches!(unparen(&args[0].expr), Expr::Lit(Lit::Str(x)) if x.value == *"view engine")
                        && !self.defined_express_engines =>
                {
                    self.process_require_arg(&args[1], false);
                    return true;
                }
                Sym::ExpressEngine => self.defined_express_engines = true,
                Sym::PinoTransport => {
                    if let Some(Expr::Object(o)) = args.first().map(|a| unparen(&a.expr)) {
                        self.pino_transport(o);
                        return true;
                    }
                }
                Sym::FastifyLogger => {
                    if let Some(Expr::Object(o)) = args.first().map(|a| unparen(&a.expr)) {
                        for prop in &o.props {
                            if let Some((k, Expr::Object(logger))) = kv_prop(prop) {
                                if k == "logger" {
                                    for lp in &logger.props {
                                        if let Some((k2, Expr::Object(t))) = kv_prop(lp) {
                                            if k2 == "transport" {
                                                self.pino_transport(t);
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                Sym::FsFn | Sym::FsDirFn => {
                    if let Some(a0) = args.first() {
                        if a0.spread.is_none() {
                            if let Some(val) = self.eval(&a0.expr, true) {
                                let is_array = matches!(unparen(&a0.expr), Expr::Array(_));
                                self.static_child = Some((val, is_array));
                                if sym == Sym::FsDirFn && matches!(unparen(&a0.expr), Expr::Ident(i) if i.sym == "__dirname") {
                                    let dir = self.dir.clone();
                                    self.emit_asset_directory(&dir);
                                } else {
                                    self.backtrack(parent, true);
                                }
                                return true;
                            }
                        }
                    }
                }
                Sym::SetRootDir => {
                    if let Some(a0) = args.first() {
                        if let Some(R::V { v, .. }) = self.eval(&a0.expr, false) {
                            if v.truthy() {
                                if let Some(root) = v.to_js_string() {
                                    self.emit_asset_directory(&format!("{root}/intl"));
                                }
                            }
                        }
                        return true;
                    }
                }
                Sym::PkgInfo => {
                    let mut pj = p::resolve2(self.id, "../package.json");
                    while pj != "/package.json" && self.job.fs.stat(&pj).is_none() {
                        pj = p::resolve2(&pj, "../../package.json");
                    }
                    if pj != "/package.json" {
                        self.assets.insert(pj);
                    }
                }
                Sym::ModuleFn => {
                    if let Some(Expr::Lit(Lit::Str(x))) = args.first().map(|a| unparen(&a.expr)) {
                        let spec = lit_str(x);
                        if spec.starts_with('.') {
                            let parent_url = match args.get(1) {
                                Some(a1) => self.eval(&a1.expr, true),
                                None => None,
                            };
                            if let Some(R::V { v, .. }) = parent_url {
                                let base = match &v {
                                    V::Url(h) => Some(h.to_string()),
                                    V::Str(x) => Some(x.to_string()),
                                    V::Obj(o) => o.get("parentURL").and_then(|x| x.to_js_string()),
                                    _ => None,
                                };
                                if let Some(src) = base.and_then(|b| url_parse(&spec, Some(&b))) {
                                    let me_url = path_to_file_url(self.id);
                                    let cur_dir = &me_url[..me_url.rfind('/').unwrap_or(0)];
                                    let rel = p::relative_from(&self.job.cwd, cur_dir, &src);
                                    let rel = if rel.starts_with('.') { rel } else { format!("./{rel}") };
                                    self.imports.insert(rel);
                                }
                            }
                        } else {
                            self.imports.insert(spec);
                        }
                    }
                }
                _ => {}
            },
            Some(R::V { v: V::Obj(o), .. }) if matches!(o.get("transport"), Some(V::Sym(Sym::PinoTransport))) => {
                if let Some(Expr::Object(arg)) = args.first().map(|a| unparen(&a.expr)) {
                    for prop in &arg.props {
                        if let Some((k, Expr::Object(t))) = kv_prop(prop) {
                            if k == "transport" {
                                self.pino_transport(t);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        if skip {
            return true;
        }
        // module.createRequire / createRequire
        if let P::Declarator(d) = parent {
            if let Pat::Ident(target) = &d.name {
                let is_module_cr = matches!(callee_u, Expr::Member(m)
                    if matches!(unparen(&m.obj), Expr::Ident(o) if o.sym == "module")
                    && matches!(&m.prop, MemberProp::Ident(p) if p.sym == "createRequire"));
                let is_named_cr = matches!(callee_u, Expr::Ident(i) if i.sym == "createRequire")
                    && matches!(self.known_value(&self.atoms.create_require), Some(R::V { v: V::Sym(Sym::CreateRequire), .. }));
                if is_module_cr || is_named_cr {
                    self.set_known_binding(target.id.sym.clone(), R::v(V::Sym(Sym::BoundRequire)));
                }
            }
        }
        false
    }

    fn pino_transport(&mut self, o: &'a ObjectLit) {
        for prop in &o.props {
            let Some((k, v)) = kv_prop(prop) else { continue };
            if k == "target" {
                if let Expr::Lit(_) = v {
                    self.process_require_expr(v, false);
                }
            } else if k == "targets" || k == "pipeline" {
                if let Expr::Array(arr) = v {
                    for el in arr.elems.iter().flatten() {
                        if let Expr::Object(inner) = unparen(&el.expr) {
                            for ip in &inner.props {
                                if let Some((k, iv @ Expr::Lit(_))) = kv_prop(ip) {
                                    if k == "target" {
                                        self.process_require_expr(iv, false);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// nft's special cases for specific packages.
    fn special_cases(&mut self, program: &Program) {
        let Some(name) = package_name(self.id) else { return };
        let id = self.id.to_string();
        let dir = self.dir.clone();
        let r = |parts: &[&str]| p::resolve_from("/", parts);
        match name.as_str() {
            "@generated/photon" if id.ends_with("@generated/photon/index.js") => self.emit_asset_directory(&r(&[&dir, "runtime/"])),
            "@serialport/bindings-cpp" if id.ends_with("@serialport/bindings-cpp/dist/index.js") => {
                self.emit_asset_directory(&r(&[&dir, "..", "build", "Release"]));
                self.emit_asset_directory(&r(&[&dir, "..", "prebuilds"]));
            }
            "argon2" if id.ends_with("argon2/argon2.js") => {
                self.emit_asset_directory(&r(&[&dir, "build", "Release"]));
                self.emit_asset_directory(&r(&[&dir, "prebuilds"]));
                self.emit_asset_directory(&r(&[&dir, "lib", "binding"]));
            }
            "bull" if id.ends_with("bull/lib/commands/index.js") => self.emit_asset_directory(&dir),
            "camaro" if id.ends_with("camaro/dist/camaro.js") => {
                self.assets.insert(r(&[&dir, "camaro.wasm"]));
            }
            "esbuild" | "sharp" if id.ends_with("esbuild/lib/main.js") || id.ends_with("sharp/lib/index.js") => {
                let pkg_json = r(&[&id, "..", "..", "package.json"]);
                let deps = read_optional_deps(&pkg_json);
                for dep in deps {
                    let dep_dir = r(&[&id, "..", "..", "..", &dep]);
                    self.emit_asset_directory(&dep_dir);
                    if name == "sharp" {
                        let inner = read_optional_deps(&format!("{dep_dir}/package.json"));
                        if !inner.is_empty() {
                            let real = self.job.realpath(&dep_dir, None).unwrap_or(dep_dir.clone());
                            for inner_dep in inner {
                                self.emit_asset_directory(&r(&[&real, "..", "..", &inner_dep]));
                            }
                        }
                    }
                }
            }
            "ffmpeg-static" if id.ends_with("ffmpeg-static/index.js") => {
                let ext = if self.job.platform == "win32" { ".exe" } else { "" };
                let candidates =
                    [r(&[&dir, &format!("ffmpeg{ext}")]), r(&[&dir, "bin", &self.job.platform, &self.job.arch, &format!("ffmpeg{ext}")])];
                if let Some(c) = candidates.into_iter().find(|c| std::path::Path::new(c).exists()) {
                    self.assets.insert(c);
                }
            }
            "google-gax" if id.ends_with("google-gax/build/src/grpc.js") => {
                let body: Vec<&Stmt> = match program {
                    Program::Script(s) => s.body.iter().collect(),
                    Program::Module(m) => m.body.iter().filter_map(|i| i.as_stmt()).collect(),
                };
                for st in body {
                    if let Stmt::Decl(Decl::Var(v)) = st {
                        if matches!(v.decls.first().map(|d| &d.name), Some(Pat::Ident(i)) if i.id.sym == "googleProtoFilesDir") {
                            self.emit_asset_directory(&r(&[&dir, "../../../google-proto-files"]));
                        }
                    }
                }
            }
            "phantomjs-prebuilt" if id.ends_with("phantomjs-prebuilt/lib/phantomjs.js") => {
                self.emit_asset_directory(&r(&[&dir, "..", "bin"]))
            }
            "remark-prism" if id.ends_with("remark-prism/src/highlight.js") => {
                let nm = &id[..id.len() - "remark-prism/src/highlight.js".len()];
                self.emit_asset_directory(&r(&[nm, "prismjs", "components"]));
            }
            "semver" if id.ends_with("semver/index.js") => {
                self.assets.insert(r(&[&id.replacen("index.js", "preload.js", 1)]));
            }
            "shiki" if id.ends_with("/dist/index.js") => {
                self.emit_asset_directory(&r(&[&dir, "..", "languages"]));
                self.emit_asset_directory(&r(&[&dir, "..", "themes"]));
            }
            "typescript" if id.ends_with("typescript/lib/tsc.js") => self.emit_asset_directory(&r(&[&id, "../"])),
            "uglify-es" if id.ends_with("uglify-es/tools/node.js") => {
                for f in [
                    "utils",
                    "ast",
                    "parse",
                    "transform",
                    "scope",
                    "output",
                    "compress",
                    "sourcemap",
                    "mozilla-ast",
                    "propmangle",
                    "minify",
                ] {
                    self.assets.insert(r(&[&id, &format!("../../lib/{f}.js")]));
                }
                self.assets.insert(r(&[&id, "../exports.js"]));
            }
            "uglify-js" if id.ends_with("uglify-js/tools/node.js") => {
                self.emit_asset_directory(&r(&[&id, "../../lib"]));
                self.assets.insert(r(&[&id, "../exports.js"]));
            }
            "playwright-core" if id.ends_with("playwright-core/index.js") => {
                self.assets.insert(r(&[&dir, "browsers.json"]));
            }
            "geo-tz" if id.ends_with("geo-tz/dist/geo-tz.js") => {
                self.assets.insert(r(&[&dir, "../data/geo.dat"]));
            }
            "pixelmatch" if id.ends_with("pixelmatch/index.js") => {
                self.deps.insert(r(&[&dir, "bin/pixelmatch"]));
            }
            "geoip-lite" if id.ends_with("geoip-lite/lib/geoip.js") => {
                for f in ["geoip-city.dat", "geoip-city6.dat", "geoip-city-names.dat", "geoip-country.dat", "geoip-country6.dat"] {
                    self.assets.insert(r(&[&dir, &format!("../data/{f}")]));
                }
            }
            _ => {}
        }
    }
}

fn read_optional_deps(pkg_json: &str) -> Vec<String> {
    std::fs::read(pkg_json)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("optionalDependencies").and_then(|o| o.as_object()).map(|o| o.keys().cloned().collect()))
        .unwrap_or_default()
}

/// A non-computed `key: value` property of an object literal.
fn kv_prop(prop: &PropOrSpread) -> Option<(String, &Expr)> {
    let PropOrSpread::Prop(pr) = prop else { return None };
    let Prop::KeyValue(kv) = &**pr else { return None };
    let PropName::Ident(k) = &kv.key else { return None };
    Some((k.sym.to_string(), unparen(&kv.value)))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FnKind {
    Decl,
    Expr,
    Method,
}
