//! A small swc-based bundler producing one ESM file.
//!
//! ES modules reached from the entry by static imports are scope-hoisted into
//! the bundle's own module scope (`link`) and tree-shaken (`shake`). The rest
//! (CommonJS files, JSON, and modules loaded by `require()` or a relative dynamic
//! `import()`) is stripped of types, turned into CommonJS and wrapped in a
//! function stored in a module table (the format esbuild uses for CommonJS).
//! Bare specifiers that are not bundled stay external and are loaded at run time
//! with Node's `require` created from the bundle's own URL, so they resolve from
//! the directory the bundle is written to.

mod link;
mod optimize;
mod shake;
mod sourcemap;
pub mod transpile;

use crate::error::{CoreError, Result};
pub use optimize::Define;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use swc_core::common::comments::SingleThreadedComments;
use swc_core::common::sync::Lrc;
use swc_core::common::{Globals, Mark, SourceMap, SyntaxContext, DUMMY_SP, GLOBALS};
use swc_core::ecma::ast::*;
use swc_core::ecma::transforms::base::{fixer::fixer, hygiene::hygiene};
use swc_core::ecma::visit::{VisitMut, VisitMutWith};
pub use transpile::Jsx;
use transpile::{esm_to_cjs, Parsed};

/// Where the bundle's entry comes from.
#[derive(Debug, Clone)]
pub enum Entry {
    /// A file on disk.
    File(PathBuf),
    /// Generated source, with the (virtual) path used to resolve its relative imports.
    Source {
        /// Virtual file path; its extension selects the language.
        path: PathBuf,
        /// Source text.
        code: String,
    },
}

/// Options of [`bundle`].
#[derive(Debug, Clone)]
pub struct BundleOptions {
    /// The entry module.
    pub entry: Entry,
    /// Specifiers to keep external even if they could be bundled: exact, or a
    /// package name (which also covers its subpaths, `pkg/sub`).
    pub external: Vec<String>,
    /// Minify the output (swc's minifier: top-level names mangled, whitespace removed; tree shaking and `define` do the dead-code removal).
    pub minify: bool,
    /// Globals replaced by constants before imports are followed (see [`Define`]).
    pub define: Vec<Define>,
    /// Also produce a source map of the output (to the original files, sources inlined).
    pub sourcemap: bool,
    /// Banner placed at the top of the output.
    pub banner: Option<String>,
    /// Bare specifiers bundled from the given file instead of kept external.
    pub alias: Vec<(String, PathBuf)>,
    /// How JSX in `.jsx`/`.tsx` modules is compiled.
    pub jsx: Jsx,
    /// Whether npm packages are bundled or stay external.
    pub packages: Packages,
}

/// What happens to bare specifiers (npm packages).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Packages {
    /// Loaded at run time with `require`, from the bundle's directory.
    #[default]
    External,
    /// Resolved as Node would (package.json `exports` with the `node` and
    /// `import`/`require` conditions, `main`, symlinks followed) and bundled;
    /// Node builtins and `external` entries stay external.
    Bundle,
}

impl BundleOptions {
    /// Options for `entry` with every default: nothing extra external, no
    /// minification, banner, aliases, defines or source map.
    pub fn new(entry: Entry) -> BundleOptions {
        BundleOptions {
            entry,
            external: vec![],
            minify: false,
            banner: None,
            alias: vec![],
            define: vec![],
            sourcemap: false,
            jsx: Jsx::Classic,
            packages: Packages::External,
        }
    }
}

/// Result of [`bundle`].
#[derive(Debug, Clone)]
pub struct BundleOutput {
    /// The ESM code.
    pub code: String,
    /// Absolute paths of bundled modules, in load order of discovery.
    pub modules: Vec<PathBuf>,
    /// External specifiers referenced (bare packages and builtins).
    pub externals: BTreeSet<String>,
    /// The source map (JSON), when asked for.
    pub map: Option<String>,
}

const EXTENSIONS: &[&str] = &["ts", "tsx", "mts", "cts", "js", "mjs", "cjs", "jsx", "json"];

/// Resolves a relative specifier against the importing file, probing extensions
/// and `index` files. A `.js` specifier also finds the `.ts` source (TypeScript's rule).
pub fn resolve_relative(importer: &Path, spec: &str) -> Result<PathBuf> {
    let base = importer.parent().unwrap_or(Path::new("/")).join(spec);
    let mut tried = Vec::new();
    let mut candidates = vec![base.clone()];
    let s = base.to_string_lossy().to_string();
    for (js, ts) in [(".js", ".ts"), (".mjs", ".mts"), (".cjs", ".cts"), (".jsx", ".tsx"), (".js", ".tsx")] {
        if let Some(stem) = s.strip_suffix(js) {
            candidates.push(PathBuf::from(format!("{stem}{ts}")));
        }
    }
    for ext in EXTENSIONS {
        candidates.push(PathBuf::from(format!("{s}.{ext}")));
    }
    for ext in EXTENSIONS {
        candidates.push(base.join(format!("index.{ext}")));
    }
    for c in candidates {
        if c.is_file() {
            return Ok(normalize(&c));
        }
        tried.push(c.display().to_string());
    }
    Err(CoreError::Resolve { importer: importer.to_path_buf(), at: None, specifier: spec.to_string(), tried: tried.join(", ") })
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn is_relative(spec: &str) -> bool {
    spec.starts_with("./") || spec.starts_with("../") || spec == "." || spec == ".." || spec.starts_with('/')
}

/// Rewrites internal import specifiers to module ids and records externals.
struct SpecifierRewriter<'a> {
    importer: PathBuf,
    resolved: &'a mut Vec<(String, PathBuf)>,
    externals: &'a mut BTreeSet<String>,
    error: Option<CoreError>,
    extra_external: &'a [String],
    alias: &'a [(String, PathBuf)],
    ids: &'a mut HashMap<PathBuf, usize>,
    queue: &'a mut Vec<PathBuf>,
    /// Bundled modules this one imports statically (`import`, `export ... from`).
    static_edges: Vec<usize>,
    /// Bundled modules this one loads at run time (`require()`, `import()`).
    lazy_edges: Vec<usize>,
    /// Whether the specifier being mapped is a `require()`/`import()` argument.
    lazy: bool,
    /// Whether it is a `require()` argument (CommonJS resolution conditions).
    cjs: bool,
    /// Bundle npm packages (see [`Packages::Bundle`]).
    bundle_packages: bool,
    /// File-system and package.json cache of package resolution.
    resolve_cache: &'a open_next_trace::TraceCache,
    /// Where the specifier being mapped starts (for error locations).
    pos: Option<swc_core::common::BytePos>,
    /// The source map holding the importer.
    cm: &'a Lrc<SourceMap>,
    /// The importer's mark for references to globals.
    unresolved: Mark,
}

impl Packages {
    /// Parses the `packages` option: `"external"` or `"bundle"`.
    pub fn parse(value: &str) -> Result<Packages> {
        match value {
            "external" => Ok(Packages::External),
            "bundle" => Ok(Packages::Bundle),
            other => Err(CoreError::Config {
                file: "bundle option `packages`".into(),
                message: format!("unknown value {other:?}: use \"external\" (load npm packages at run time) or \"bundle\""),
            }),
        }
    }
}

/// Whether `spec` is `external` itself or a path inside an `external` package.
fn is_listed_external(spec: &str, external: &[String]) -> bool {
    external.iter().any(|e| spec == e || spec.strip_prefix(e.as_str()).is_some_and(|rest| rest.starts_with('/')))
}

impl SpecifierRewriter<'_> {
    fn map(&mut self, spec: &str) -> Option<String> {
        let aliased = self.alias.iter().find(|(name, _)| name == spec).map(|(_, file)| file.clone());
        let listed = is_listed_external(spec, self.extra_external);
        let package = !is_relative(spec);
        if aliased.is_none() && (listed || (package && !self.bundle_packages)) {
            self.externals.insert(spec.to_string());
            return None;
        }
        let resolved = match aliased {
            Some(file) => std::path::absolute(&file).map(|p| normalize(&p)).map_err(CoreError::io("resolve", &file)),
            None if package => {
                match open_next_trace::resolve_module(spec, &self.importer, &[], self.cjs, self.resolve_cache) {
                    // A Node builtin.
                    Ok(None) => {
                        self.externals.insert(spec.to_string());
                        return None;
                    }
                    Ok(Some(path)) => Ok(path),
                    // A `require()` of a package that is not installed is left to run
                    // time, as esbuild leaves it: CommonJS code probes optional
                    // dependencies that way (`try { require("supports-color") } catch {}`).
                    Err(_) if self.cjs => {
                        self.externals.insert(spec.to_string());
                        return None;
                    }
                    Err(message) => Err(CoreError::Resolve {
                        importer: self.importer.clone(),
                        at: None,
                        specifier: spec.to_string(),
                        tried: format!("{message}; install the package, or list it in `external`"),
                    }),
                }
            }
            None => resolve_relative(&self.importer, spec),
        };
        match resolved {
            Ok(path) => {
                let next = self.ids.len();
                let id = *self.ids.entry(path.clone()).or_insert_with(|| {
                    self.queue.push(path.clone());
                    next
                });
                self.resolved.push((spec.to_string(), path));
                if self.lazy {
                    self.lazy_edges.push(id);
                } else {
                    self.static_edges.push(id);
                }
                Some(format!("\0m{id}"))
            }
            Err(mut e) => {
                if let (CoreError::Resolve { at, .. }, Some(pos)) = (&mut e, self.pos) {
                    let loc = self.cm.lookup_char_pos(pos);
                    *at = Some((loc.line, loc.col_display + 1));
                }
                if self.error.is_none() {
                    self.error = Some(e);
                }
                None
            }
        }
    }

    fn rewrite(&mut self, s: &mut Str) {
        self.pos = Some(s.span.lo);
        let spec = s.value.to_string_lossy().into_owned();
        if let Some(new) = self.map(&spec) {
            *s = Str::from(new);
        }
    }
}

impl VisitMut for SpecifierRewriter<'_> {
    fn visit_mut_import_decl(&mut self, n: &mut ImportDecl) {
        if !n.type_only {
            self.rewrite(&mut n.src);
        }
    }
    fn visit_mut_export_all(&mut self, n: &mut ExportAll) {
        self.rewrite(&mut n.src);
    }
    fn visit_mut_named_export(&mut self, n: &mut NamedExport) {
        if let Some(src) = &mut n.src {
            self.rewrite(src);
        }
    }
    fn visit_mut_call_expr(&mut self, n: &mut CallExpr) {
        n.visit_mut_children_with(self);
        // Dynamic `import("./x")` of a relative literal is bundled like a static
        // import (its module runs on first call, as with a real dynamic import):
        // lazy overrides in open-next.config.ts are written this way. Other
        // dynamic imports stay real ones, resolved at run time next to the bundle.
        if matches!(n.callee, Callee::Import(_)) {
            if n.args.len() == 1 {
                if let Some(Expr::Lit(Lit::Str(s))) = n.args.first().map(|a| &*a.expr) {
                    let spec = s.value.to_string_lossy().into_owned();
                    self.pos = Some(s.span.lo);
                    self.lazy = true;
                    let mapped = self.map(&spec);
                    self.lazy = false;
                    if let Some(id) = mapped {
                        n.callee = Callee::Expr(Box::new(Expr::Ident(Ident::new_no_ctxt("__onImport".into(), DUMMY_SP))));
                        n.args = vec![ExprOrSpread { spread: None, expr: Box::new(Expr::Lit(Lit::Str(Str::from(id)))) }];
                    }
                    return;
                }
            }
            return;
        }
        // CommonJS `require("./x")` with a literal argument.
        if let Callee::Expr(callee) = &n.callee {
            if let Expr::Ident(id) = &**callee {
                // Only the CommonJS global: a local `require` (say from
                // `createRequire(import.meta.url)`) resolves at run time.
                if &*id.sym == "require" && id.ctxt.outer() == self.unresolved && n.args.len() == 1 {
                    if let Expr::Lit(Lit::Str(s)) = &mut *n.args[0].expr {
                        self.lazy = true;
                        self.cjs = true;
                        self.rewrite(s);
                        self.lazy = false;
                        self.cjs = false;
                    }
                }
            }
        }
    }
}

fn is_esm(module: &Module) -> bool {
    module.body.iter().any(|item| matches!(item, ModuleItem::ModuleDecl(_)))
}

/// Names exported by an ESM module (`default` included). `export *` from internal
/// modules is followed through `star_targets`.
fn export_names(module: &Module, star_targets: &mut Vec<String>) -> Vec<String> {
    let mut names = Vec::new();
    for item in &module.body {
        let ModuleItem::ModuleDecl(decl) = item else {
            continue;
        };
        match decl {
            ModuleDecl::ExportDecl(ExportDecl { decl, .. }) => match decl {
                Decl::Class(c) => names.push(c.ident.sym.to_string()),
                Decl::Fn(f) => names.push(f.ident.sym.to_string()),
                Decl::Var(v) => {
                    for d in &v.decls {
                        let mut ids = Vec::new();
                        link::pat_ids(&d.name, &mut ids);
                        names.extend(ids.into_iter().map(|(sym, _)| sym.to_string()));
                    }
                }
                _ => {}
            },
            ModuleDecl::ExportNamed(n) if !n.type_only => {
                for s in &n.specifiers {
                    match s {
                        ExportSpecifier::Named(ns) if !ns.is_type_only => {
                            let name = ns.exported.as_ref().unwrap_or(&ns.orig);
                            names.push(export_name(name));
                        }
                        ExportSpecifier::Namespace(ns) => names.push(export_name(&ns.name)),
                        ExportSpecifier::Default(d) => names.push(d.exported.sym.to_string()),
                        _ => {}
                    }
                }
            }
            ModuleDecl::ExportDefaultDecl(_) | ModuleDecl::ExportDefaultExpr(_) => names.push("default".into()),
            ModuleDecl::ExportAll(a) => star_targets.push(a.src.value.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    names
}

fn export_name(n: &ModuleExportName) -> String {
    match n {
        ModuleExportName::Ident(i) => i.sym.to_string(),
        ModuleExportName::Str(s) => s.value.to_string_lossy().into_owned(),
    }
}

fn is_valid_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// Bundles `options.entry` and everything it imports relatively into one ESM file.
/// Dynamic `import()` is not followed: its target is loaded at run time.
pub fn bundle(options: &BundleOptions) -> Result<BundleOutput> {
    GLOBALS.set(&Globals::new(), || bundle_inner(options))
}

/// Whether Node runs `path` as an ES module by its own rules: `.mjs`/`.mts`, or
/// `.js`/`.ts` under a package.json with `"type": "module"` (the nearest one
/// decides). `types` caches the answer per directory.
fn node_esm(path: &Path, types: &mut HashMap<PathBuf, bool>) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some("mjs" | "mts") => return true,
        Some("js" | "ts" | "jsx" | "tsx") => {}
        _ => return false,
    }
    let mut dirs = Vec::new();
    let mut dir = path.parent();
    let found = loop {
        let Some(d) = dir else { break false };
        if let Some(&t) = types.get(d) {
            break t;
        }
        dirs.push(d.to_path_buf());
        if let Ok(text) = std::fs::read_to_string(d.join("package.json")) {
            let t = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("type").and_then(|t| t.as_str().map(|t| t == "module")));
            break t.unwrap_or(false);
        }
        dir = d.parent();
    };
    for d in dirs {
        types.insert(d, found);
    }
    found
}

/// `require` of a bundle with module functions: `\0m<id>` runs (once) the
/// module function of that id; anything else is Node's `require`.
const MODULE_REQUIRE: &str = concat!(
    "function __onRequire(id) {\n",
    "  if (typeof id === \"string\" && id.charCodeAt(0) === 0) {\n",
    "    const n = id.slice(2);\n",
    "    const cached = __onCache[n];\n",
    "    if (cached) return cached.exports;\n",
    "    const module = { exports: {} };\n",
    "    __onCache[n] = module;\n",
    "    __onModules[n].call(module.exports, module, module.exports, __onRequire, __onFilename, __onDirnameValue);\n",
    "    return module.exports;\n",
    "  }\n",
    "  return __onExternalRequire(id);\n",
    "}\n",
    "__onRequire.resolve = __onExternalRequire.resolve;\n",
);

/// The ESM/CJS interop helpers the linked code calls (a minified bundle keeps
/// only those it uses).
const INTEROP: &str = concat!(
    "function __onNs(m) {\n",
    "  return m && m.__esModule ? m : Object.assign(Object.create(null), m, { default: m });\n",
    "}\n",
    "function __onNodeNs(m) {\n",
    "  return Object.assign(Object.create(null), m, { default: m });\n",
    "}\n",
    "function __onDefault(m) {\n",
    "  return m && m.__esModule ? m.default : m;\n",
    "}\n",
    "function __onNamespace(getters) {\n",
    "  const ns = Object.create(null);\n",
    "  for (const k of Object.keys(getters)) Object.defineProperty(ns, k, { enumerable: true, get: getters[k] });\n",
    "  Object.defineProperty(ns, Symbol.toStringTag, { value: \"Module\" });\n",
    "  return Object.freeze(ns);\n",
    "}\n",
    "function __onImport(id) {\n",
    "  return Promise.resolve().then(() => __onNs(__onRequire(id)));\n",
    "}\n",
);

/// One module of the graph, parsed, before it is hoisted or wrapped.
struct Record {
    path: PathBuf,
    /// The module (its specifiers already rewritten); `None` for JSON.
    parsed: Option<Parsed>,
    /// JSON text, for `.json` modules.
    json: Option<String>,
    static_edges: Vec<usize>,
    lazy_edges: Vec<usize>,
}

/// Decides which modules are scope-hoisted. A module is hoisted when it is an
/// ES module (or a script) that does not use CommonJS's `module`/`exports`, and
/// every module that reaches it does so by a static import from a hoisted
/// module: a module that `require()` or `import()` loads at run time, or that a
/// wrapped module imports, must stay a function that runs when it is called.
fn choose_hoisted(records: &HashMap<usize, Record>, count: usize) -> Vec<bool> {
    let mut hoist = vec![false; count];
    for (&id, r) in records {
        let cjs_file = matches!(r.path.extension().and_then(|e| e.to_str()), Some("cjs" | "cts" | "json"));
        hoist[id] = !cjs_file && r.parsed.as_ref().is_some_and(|p| !link::uses_cjs_exports(p) && !link::has_ts_module_forms(p));
    }
    for r in records.values() {
        for &d in &r.lazy_edges {
            hoist[d] = false;
        }
    }
    loop {
        let mut changed = false;
        for (&id, r) in records {
            if hoist[id] {
                let parsed = r.parsed.as_ref().expect("hoisted modules are parsed");
                if !link::stars_hoistable(parsed, &|t| hoist[t]) {
                    hoist[id] = false;
                    changed = true;
                }
            } else {
                for &d in &r.static_edges {
                    if hoist[d] {
                        hoist[d] = false;
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            return hoist;
        }
    }
}

/// Prints the hoisted part: linked, tree-shaken, renamed apart, with the
/// entry's `export` statement at the end.
fn emit_hoisted(
    hoisted: HashMap<usize, link::HoistModule>,
    cm: &Lrc<SourceMap>,
    comments: &SingleThreadedComments,
    unresolved: &HashSet<SyntaxContext>,
    sourcemap: bool,
) -> Result<(String, Option<swc_sourcemap::SourceMap>)> {
    let linked = link::link(0, hoisted, cm)?;
    let roots: Vec<Id> = linked.exports.iter().map(|(_, i)| i.to_id()).collect();
    let body = shake::shake(linked.body, &roots, &linked.pure, comments, unresolved);
    let mut items: Vec<ModuleItem> = body.into_iter().map(ModuleItem::Stmt).collect();
    items.extend(link::export_statement(&linked.exports));
    let mut program = Program::Module(Module { span: DUMMY_SP, body: items, shebang: None });
    program.mutate(hygiene());
    program.mutate(fixer(Some(comments)));
    let parsed = Parsed { module: program.expect_module(), cm: cm.clone(), comments: comments.clone(), unresolved_mark: Mark::new() };
    Ok(transpile::print_bundled(&parsed, sourcemap))
}

fn bundle_inner(options: &BundleOptions) -> Result<BundleOutput> {
    let (entry_path, entry_code) = match &options.entry {
        Entry::File(p) => {
            let p = normalize(&std::path::absolute(p).map_err(CoreError::io("resolve", p))?);
            let code = std::fs::read_to_string(&p).map_err(CoreError::io("read", &p))?;
            (p, code)
        }
        Entry::Source { path, code } => (normalize(path), code.clone()),
    };
    let cm: Lrc<SourceMap> = Default::default();
    let comments = SingleThreadedComments::default();
    let mut ids: HashMap<PathBuf, usize> = HashMap::new();
    ids.insert(entry_path.clone(), 0);
    let mut queue = vec![entry_path.clone()];
    let mut records: HashMap<usize, Record> = HashMap::new();
    let resolve_cache = open_next_trace::TraceCache::new();
    let mut externals = BTreeSet::new();
    let mut entry_exports = Vec::new();
    // Export names of modules, for following `export *` in the entry.
    let mut module_exports: HashMap<PathBuf, (Vec<String>, Vec<PathBuf>)> = HashMap::new();

    while let Some(path) = queue.pop() {
        let id = ids[&path];
        let code = if id == 0 { entry_code.clone() } else { std::fs::read_to_string(&path).map_err(CoreError::io("read", &path))? };
        if path.extension().and_then(|e| e.to_str()) == Some("json") {
            serde_json::from_str::<serde_json::Value>(&code).map_err(|e| CoreError::Json { path: path.clone(), message: e.to_string() })?;
            records.insert(id, Record { path, parsed: None, json: Some(code), static_edges: vec![], lazy_edges: vec![] });
            continue;
        }
        let mut parsed = optimize::parse_with_defines(&cm, &comments, &path, code, &options.define, options.jsx)?;
        let mut resolved = Vec::new();
        let mut rewriter = SpecifierRewriter {
            importer: path.clone(),
            resolved: &mut resolved,
            externals: &mut externals,
            error: None,
            extra_external: &options.external,
            alias: &options.alias,
            ids: &mut ids,
            queue: &mut queue,
            static_edges: vec![],
            lazy_edges: vec![],
            lazy: false,
            cjs: false,
            bundle_packages: options.packages == Packages::Bundle,
            resolve_cache: &resolve_cache,
            pos: None,
            cm: &cm,
            unresolved: parsed.unresolved_mark,
        };
        // Collect export names before rewriting specifiers.
        let mut stars = Vec::new();
        let names = export_names(&parsed.module, &mut stars);
        parsed.module.visit_mut_with(&mut rewriter);
        if let Some(e) = rewriter.error {
            return Err(e);
        }
        let (static_edges, lazy_edges) = (rewriter.static_edges, rewriter.lazy_edges);
        let star_paths = stars.iter().filter_map(|s| resolved.iter().find(|(spec, _)| spec == s).map(|(_, p)| p.clone())).collect();
        module_exports.insert(path.clone(), (names.clone(), star_paths));
        if id == 0 {
            entry_exports = names;
        }
        records.insert(id, Record { path, parsed: Some(parsed), json: None, static_edges, lazy_edges });
    }

    let hoist = choose_hoisted(&records, ids.len());
    let mut chunks: HashMap<usize, (String, Option<swc_sourcemap::SourceMap>)> = HashMap::new();
    let mut hoisted: HashMap<usize, link::HoistModule> = HashMap::new();
    let mut unresolved = HashSet::new();
    let mut paths: HashMap<usize, PathBuf> = HashMap::new();
    let mut package_types: HashMap<PathBuf, bool> = HashMap::new();
    // A CommonJS entry (`module.exports = …`, as in OpenNext's example configs): its
    // `module.exports` is the bundle's default export, as esbuild makes it.
    let mut entry_is_cjs = false;
    for (id, r) in records {
        paths.insert(id, r.path.clone());
        if let Some(json) = r.json {
            chunks.insert(id, (format!("module.exports = {json};"), None));
            continue;
        }
        let mut parsed = r.parsed.expect("non-JSON modules are parsed");
        if hoist[id] {
            unresolved.insert(SyntaxContext::empty().apply_mark(parsed.unresolved_mark));
            let node_interop = node_esm(&r.path, &mut package_types);
            hoisted.insert(id, link::analyze(r.path, node_interop, parsed, &|t| hoist[t]));
            continue;
        }
        if is_esm(&parsed.module) {
            esm_to_cjs(&mut parsed);
        } else {
            entry_is_cjs |= id == 0;
            transpile::finish(&mut parsed);
        }
        chunks.insert(id, transpile::print_bundled(&parsed, options.sourcemap));
    }

    // Follow `export *` of the entry through internal modules (for a wrapped entry).
    let mut seen = BTreeSet::new();
    let mut stack: Vec<PathBuf> = module_exports.get(&entry_path).map(|(_, s)| s.clone()).unwrap_or_default();
    while let Some(p) = stack.pop() {
        if !seen.insert(p.clone()) {
            continue;
        }
        if let Some((names, stars)) = module_exports.get(&p) {
            entry_exports.extend(names.iter().filter(|n| *n != "default").cloned());
            stack.extend(stars.iter().cloned());
        }
    }
    entry_exports.sort();
    entry_exports.dedup();

    // The hoisted part first: whether it needs `__filename`/`__dirname` decides the prelude.
    let hoisted_code = if hoist[0] { Some(emit_hoisted(hoisted, &cm, &comments, &unresolved, options.sourcemap)?) } else { None };
    let mut out = String::new();
    out.push_str("import { createRequire as __onCreateRequire } from \"node:module\";\n");
    let mut bundle_map = sourcemap::BundleMap::default();
    // Module functions are handed `__filename`/`__dirname`; hoisted code may name them.
    let needs_paths =
        !chunks.is_empty() || hoisted_code.as_ref().is_some_and(|(c, _)| c.contains("__onFilename") || c.contains("__onDirnameValue"));
    if needs_paths {
        out.push_str("import { fileURLToPath as __onFileURLToPath } from \"node:url\";\n");
        out.push_str("import { dirname as __onDirname } from \"node:path\";\n");
        out.push_str("const __onFilename = __onFileURLToPath(import.meta.url);\n");
        out.push_str("const __onDirnameValue = __onDirname(__onFilename);\n");
    }
    if chunks.is_empty() {
        // No module functions: `require` is Node's, for externals and built-ins.
        out.push_str("const __onRequire = __onCreateRequire(import.meta.url);\n");
    } else {
        out.push_str("const __onExternalRequire = __onCreateRequire(import.meta.url);\n");
        out.push_str("const __onCache = Object.create(null);\n");
        out.push_str("const __onModules = {\n");
        let mut id_list: Vec<_> = chunks.keys().copied().collect();
        id_list.sort();
        let mut line = out.matches('\n').count() as u32;
        for id in id_list {
            // Two lines: the path comment and the module function's head.
            out.push_str(&format!("// {}\n{id}: function (module, exports, require, __filename, __dirname) {{\n", paths[&id].display()));
            line += 2;
            let (code, map) = &chunks[&id];
            if let Some(map) = map {
                bundle_map.add(map, line);
            }
            out.push_str(code);
            out.push_str("\n},\n");
            line += code.matches('\n').count() as u32 + 2;
        }
        out.push_str("};\n");
        out.push_str(MODULE_REQUIRE);
    }
    out.push_str(INTEROP);
    if let Some((code, map)) = hoisted_code {
        let line = out.matches('\n').count() as u32;
        if let Some(map) = &map {
            bundle_map.add(map, line);
        }
        out.push_str(&code);
        out.push('\n');
    } else {
        out.push_str("const __onEntry = __onRequire(\"\\u0000m0\");\n");
        if entry_is_cjs {
            out.push_str("export default __onEntry;\n");
        }
        for name in &entry_exports {
            if name == "default" {
                out.push_str("export default __onEntry.default;\n");
            } else if is_valid_ident(name) {
                out.push_str(&format!("export const {name} = __onEntry.{name};\n"));
            }
        }
    }
    let modules = {
        let mut v: Vec<_> = ids.iter().map(|(p, id)| (*id, p.clone())).collect();
        v.sort();
        v.into_iter().map(|(_, p)| p).collect()
    };
    let map = options.sourcemap.then(|| bundle_map.finish());
    let (code, map) = if options.minify { optimize::minify_module(&entry_path, out, map)? } else { (out, map) };
    let (code, map) = match &options.banner {
        Some(b) => (format!("{b}\n{code}"), map.map(|m| sourcemap::shift_lines(&m, b.matches('\n').count() as u32 + 1))),
        None => (code, map),
    };
    let map = map.map(|m| sourcemap::to_json(&m, &entry_path.with_extension("mjs")));
    Ok(BundleOutput { code, modules, externals, map })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("onc-bundle-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn bundles_ts_modules_and_keeps_externals() {
        let d = tmp("basic");
        std::fs::write(d.join("a.ts"), "import { b } from './b';\nimport fs from 'node:fs';\nexport const a: number = b + 1;\nexport default function main() { return typeof fs.readFileSync; }\nexport * from './c.js';").unwrap();
        std::fs::write(d.join("b.ts"), "export const b = 41;").unwrap();
        std::fs::write(d.join("c.ts"), "export const c = 'c'; export type Z = 1;").unwrap();
        let out = bundle(&BundleOptions::new(Entry::File(d.join("a.ts")))).unwrap();
        assert_eq!(out.modules.len(), 3);
        assert!(out.externals.contains("node:fs"));
        // All three are ES modules: hoisted, no module functions, one export statement.
        assert!(!out.code.contains(": function (module, exports"), "{}", out.code);
        assert!(
            out.code.contains("export { a, main as default, c };") || out.code.contains("export { a, c, main as default };"),
            "{}",
            out.code
        );
        assert!(out.code.contains("const b = 41;"), "{}", out.code);
    }

    #[test]
    fn tree_shaking_drops_unused_pure_declarations_and_keeps_side_effects() {
        let d = tmp("shake");
        std::fs::write(d.join("a.ts"), "import { used } from './b';\nimport './c';\nexport const x = used();").unwrap();
        // A local `Map` is not the global one: constructing it may have effects.
        std::fs::write(d.join("c.ts"), "class Map { constructor() { console.log('own Map'); } }\nconst keptLocalMap = new Map();").unwrap();
        std::fs::write(
            d.join("b.ts"),
            [
                "export function used() { return helper(); }",
                "function helper() { return 1; }",
                "export const droppedConst = { a: [1, 2], f: () => 3 }, keptCall = sideEffect();",
                "export class DroppedClass { static x = 1; m() {} }",
                "export class KeptClass extends base() {}",
                "export const droppedPure = /*#__PURE__*/ make(), droppedMap = new Map([[1, 2]]);",
                "export function droppedFn() { return droppedConst; }",
                "console.log('kept statement');",
            ]
            .join("\n"),
        )
        .unwrap();
        let out = bundle(&BundleOptions::new(Entry::File(d.join("a.ts")))).unwrap();
        let code = &out.code;
        for kept in ["function used", "function helper", "keptCall = sideEffect()", "class KeptClass", "keptLocalMap", "kept statement"] {
            assert!(code.contains(kept), "{kept} missing:\n{code}");
        }
        for dropped in ["droppedConst", "DroppedClass", "droppedPure", "droppedMap", "droppedFn"] {
            assert!(!code.contains(dropped), "{dropped} kept:\n{code}");
        }
    }

    #[test]
    fn unresolvable_import_names_importer() {
        let d = tmp("missing");
        std::fs::write(d.join("a.ts"), "import x from './nope';\nconsole.log(x);").unwrap();
        let err = bundle(&BundleOptions::new(Entry::File(d.join("a.ts")))).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("a.ts"), "{msg}");
        assert!(msg.contains("./nope"), "{msg}");
    }
}
