//! One trace: the work queue (rayon tasks), file emission with reasons, and
//! symlink handling, following @vercel/nft's `Job`.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use dashmap::{DashMap, DashSet};

use crate::analyze::{self, Analysis};
use crate::fs::CachedFs;
use crate::glob::{Glob, GlobSet};
use crate::path as p;
use crate::resolve::{self, Resolved};
use crate::{FileReason, ReasonKind, TraceCache, TraceError, TraceOptions, TraceResult, TraceWarning};

#[derive(Default)]
struct Entry {
    kinds: BTreeSet<ReasonKind>,
    parents: BTreeSet<String>,
    listed: bool,
}

/// Per-trace state. Shared by reference between rayon tasks.
pub(crate) struct Job<'c> {
    pub base: String,
    pub cwd: String,
    pub conditions: Vec<String>,
    pub ts: bool,
    pub module_sync: bool,
    pub platform: String,
    pub arch: String,
    pub node_abi: String,
    pub libc: String,
    ignore: GlobSet,
    fingerprint: u64,
    pub fs: &'c CachedFs,
    cache: &'c TraceCache,
    realpaths: DashMap<String, Arc<(String, Vec<String>)>>,
    files: DashMap<String, Entry>,
    processed: DashSet<String>,
    esm: DashSet<String>,
    warnings: Mutex<Vec<TraceWarning>>,
}

fn utf8(path: &Path) -> Result<String, TraceError> {
    path.to_str().map(str::to_string).ok_or_else(|| TraceError::NonUtf8Path { path: path.to_path_buf() })
}

fn absolute(path: &Path) -> Result<String, TraceError> {
    let s = utf8(path)?;
    if p::is_absolute(&s) {
        return Ok(p::normalize(&s).trim_end_matches('/').to_string()).map(|x| if x.is_empty() { "/".into() } else { x });
    }
    let cwd = std::env::current_dir().map_err(|_| TraceError::InvalidBase { path: path.to_path_buf() })?;
    Ok(p::resolve_from(&utf8(&cwd)?, &[&s]))
}

/// The thread pool traces run on: rayon's default size, with stacks big
/// enough for swc and the recursive analysis of deeply nested code.
fn pool() -> Result<&'static rayon::ThreadPool, TraceError> {
    static POOL: std::sync::OnceLock<Result<rayon::ThreadPool, String>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("open-next-trace-{i}"))
            .stack_size(64 << 20)
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|m| TraceError::ThreadPool { message: m.clone() })
}

/// Runs a whole trace.
pub(crate) fn run(entries: &[PathBuf], opts: &TraceOptions, cache: &TraceCache) -> Result<TraceResult, TraceError> {
    let base = absolute(&opts.base)?;
    if !cache.fs.is_dir(&base) {
        return Err(TraceError::InvalidBase { path: opts.base.clone() });
    }
    let cwd = match &opts.process_cwd {
        Some(c) => absolute(c)?,
        None => base.clone(),
    };
    let ignore: Vec<String> = opts.ignore.iter().map(|g| p::relative(&base, &p::resolve_from(&base, &[g]))).collect();
    let mut conditions = vec!["node".to_string()];
    conditions.extend(opts.conditions.iter().cloned());
    let mut h = DefaultHasher::new();
    (&base, &cwd, &ignore, &conditions, opts.ts, opts.module_sync).hash(&mut h);
    (&opts.platform, &opts.arch, &opts.node_abi, &opts.libc).hash(&mut h);
    let job = Job::new(opts, base, cwd, GlobSet::new(&ignore), conditions, h.finish(), cache);
    let mut abs_entries = vec![];
    for e in entries {
        let a = absolute(e)?;
        if job.fs.stat(&a).is_none() {
            return Err(TraceError::EntryNotFound { path: PathBuf::from(a) });
        }
        abs_entries.push(a);
    }
    pool()?.install(|| {
        rayon::scope(|s| {
            for e in abs_entries {
                let job = &job;
                s.spawn(move |s| {
                    job.emit_file(&e, ReasonKind::Initial, None, false);
                    job.emit_dependency(s, e, None);
                });
            }
        })
    });
    Ok(job.finish())
}

/// Resolves one specifier from the file `parent` as Node would load it (see
/// [`crate::resolve_module`]).
pub(crate) fn resolve_one(
    specifier: &str,
    parent: &Path,
    conditions: &[String],
    cjs: bool,
    cache: &TraceCache,
) -> Result<Option<String>, String> {
    Resolver::new(conditions, false, cache).resolve(specifier, parent, cjs)
}

/// Resolves many specifiers as Node loads them, sharing what it learns on the
/// way (real paths, package.json files) between calls. Thread-safe.
pub struct Resolver<'c> {
    job: Job<'c>,
}

impl<'c> Resolver<'c> {
    /// A resolver with the `node` condition plus `conditions` (and `module-sync`
    /// when `module_sync`, as Node versions with `require(esm)` match it),
    /// reading through `cache`.
    pub fn new(conditions: &[String], module_sync: bool, cache: &'c TraceCache) -> Resolver<'c> {
        let mut all = vec!["node".to_string()];
        all.extend(conditions.iter().cloned());
        // Node's resolution: no TypeScript sources in place of `.js` files.
        let opts = TraceOptions { ts: false, module_sync, ..TraceOptions::new("/") };
        Resolver { job: Job::new(&opts, "/".into(), "/".into(), GlobSet::new(&Vec::<String>::new()), all, 0, cache) }
    }

    /// `specifier` from the file `parent`: `require` when `cjs`, else `import`.
    /// `Ok(None)` for a builtin; `Err` names the specifier and the parent.
    pub fn resolve(&self, specifier: &str, parent: &Path, cjs: bool) -> Result<Option<String>, String> {
        let parent = absolute(parent).map_err(|e| e.to_string())?;
        match crate::resolve::resolve_dependency(&self.job, specifier, &parent, cjs) {
            Ok(crate::resolve::Resolved::Builtin) => Ok(None),
            // The first path is the one Node loads (nft lists the legacy `main` after it).
            Ok(crate::resolve::Resolved::Paths(paths)) => Ok(paths.into_iter().next().filter(|p| !p.starts_with("node:"))),
            Err(e) => Err(e.message().to_string()),
        }
    }
}

impl<'c> Job<'c> {
    fn new(
        opts: &TraceOptions,
        base: String,
        cwd: String,
        ignore: GlobSet,
        conditions: Vec<String>,
        fingerprint: u64,
        cache: &'c TraceCache,
    ) -> Job<'c> {
        Job {
            ignore,
            base,
            cwd,
            conditions,
            ts: opts.ts,
            module_sync: opts.module_sync,
            platform: opts.platform.clone(),
            arch: opts.arch.clone(),
            node_abi: opts.node_abi.clone(),
            libc: opts.libc.clone(),
            fingerprint,
            fs: &cache.fs,
            cache,
            realpaths: DashMap::new(),
            files: DashMap::new(),
            processed: DashSet::new(),
            esm: DashSet::new(),
            warnings: Mutex::new(vec![]),
        }
    }

    fn finish(self) -> TraceResult {
        let mut out = TraceResult::default();
        for (path, e) in self.files.into_iter() {
            if e.listed {
                out.files.insert(path, FileReason { kind: e.kinds.into_iter().collect(), parents: e.parents });
            }
        }
        out.esm_files = self.esm.into_iter().collect();
        let mut w = self.warnings.into_inner().unwrap_or_default();
        w.sort_by(|a, b| (&a.file, &a.message).cmp(&(&b.file, &b.message)));
        w.dedup();
        out.warnings = w;
        out
    }

    /// Path relative to `base`, `/`-separated.
    pub fn rel(&self, path: &str) -> String {
        p::relative(&self.base, path)
    }

    /// nft's `ignoreFn`: outside `base`, or matched by an `ignore` glob.
    pub fn ignored(&self, rel: &str) -> bool {
        rel.starts_with("../") || rel == ".." || self.ignore.is_match(rel)
    }

    pub fn warn(&self, file: Option<&str>, message: String, line: Option<u32>, col: Option<u32>) {
        let file = file.map(|f| self.rel(f));
        if let Ok(mut w) = self.warnings.lock() {
            w.push(TraceWarning { file, message, line, col });
        }
    }

    fn realpath_info(&self, path: &str, seen: &mut Vec<String>) -> Result<Arc<(String, Vec<String>)>, String> {
        if let Some(v) = self.realpaths.get(path) {
            return Ok(v.clone());
        }
        if seen.iter().any(|s| s == path) {
            return Err(format!("Recursive symlink detected resolving {path}"));
        }
        seen.push(path.to_string());
        let res = if let Some(link) = self.fs.readlink(path) {
            let parent_path = p::dirname(path);
            let resolved = p::resolve2(&parent_path, &link);
            let real_parent = self.realpath_info(&parent_path, &mut vec![])?;
            let mut emits = real_parent.1.clone();
            if p::in_path(path, &real_parent.0) {
                emits.push(path.to_string());
            }
            let target = self.realpath_info(&resolved, seen)?;
            emits.extend(target.1.iter().cloned());
            (target.0.clone(), emits)
        } else if !p::in_path(path, &self.base) {
            (path.to_string(), vec![])
        } else {
            let parent = self.realpath_info(&p::dirname(path), seen)?;
            (p::join2(&parent.0, &p::basename(path, None)), parent.1.clone())
        };
        let res = Arc::new(res);
        self.realpaths.insert(path.to_string(), res.clone());
        Ok(res)
    }

    /// nft's `realpath`: resolves symlinks within `base`, emitting the
    /// symlinks met (as `resolve` reasons of `parent`).
    pub fn realpath(&self, path: &str, parent: Option<&str>) -> Result<String, String> {
        let info = self.realpath_info(path, &mut vec![])?;
        for link in &info.1 {
            self.emit_file(link, ReasonKind::Resolve, parent, true);
        }
        Ok(info.0.clone())
    }

    /// nft's `emitFile`: records `path` (after symlink resolution unless
    /// `is_realpath`) with a reason; false when it is ignored.
    pub fn emit_file(&self, path: &str, kind: ReasonKind, parent: Option<&str>, is_realpath: bool) -> bool {
        let path = if is_realpath {
            path.to_string()
        } else {
            match self.realpath(path, parent) {
                Ok(r) => r,
                Err(m) => {
                    self.warn(parent, m, None, None);
                    return false;
                }
            }
        };
        let rel = self.rel(&path);
        let mut e = self.files.entry(rel.clone()).or_default();
        e.kinds.insert(kind);
        if let Some(parent) = parent {
            if self.ignored(&rel) {
                return false;
            }
            e.parents.insert(self.rel(parent));
        }
        e.listed = true;
        true
    }

    /// nft's `getPjsonBoundary`: the nearest directory above `path` with a package.json.
    pub fn pjson_boundary(&self, path: &str) -> Option<String> {
        let mut path = path;
        while let Some(i) = path.rfind('/') {
            if i == 0 {
                break;
            }
            path = &path[..i];
            if self.fs.is_file(&format!("{path}/package.json")) {
                return Some(path.to_string());
            }
        }
        None
    }

    fn analysis(&self, real: &str) -> Option<Arc<Analysis>> {
        let key = (self.fingerprint, real.to_string());
        if let Some(a) = self.cache.analyses.get(&key) {
            return Some(a.clone());
        }
        let Some((src, binary)) = self.fs.read_source(real) else {
            self.warn(Some(real), format!("File {real} does not exist."), None, None);
            return None;
        };
        let t0 = std::time::Instant::now();
        let len = src.len();
        // a panic in the parser or the analysis loses this file's analysis
        // (as a warning), not the trace
        let analysed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| analyze::analyze(real, src, binary, self)));
        let a = Arc::new(analysed.unwrap_or_else(|e| {
            let msg =
                e.downcast_ref::<String>().map(String::as_str).or_else(|| e.downcast_ref::<&str>().copied()).unwrap_or("unknown panic");
            Analysis {
                warnings: vec![analyze::Warn { message: format!("Failed to analyze {real}: {msg}"), line: None, col: None }],
                ..Analysis::default()
            }
        }));
        if std::env::var_os("OPEN_NEXT_TRACE_TIMINGS").is_some() {
            eprintln!("{:>8.1}ms {:>9}B {real}", t0.elapsed().as_secs_f64() * 1000.0, len);
        }
        self.cache.analyses.insert(key, a.clone());
        Some(a)
    }

    /// nft's `emitDependency`: emits `path` and, once per real file, analyses
    /// it and queues what it needs.
    pub fn emit_dependency<'s>(&'s self, s: &rayon::Scope<'s>, path: String, parent: Option<String>) {
        let real = match self.realpath(&path, parent.as_deref()) {
            Ok(r) => r,
            Err(m) => {
                self.warn(parent.as_deref(), m, None, None);
                return;
            }
        };
        if !self.processed.insert(real.clone()) {
            if parent.is_some() {
                self.emit_file(&path, ReasonKind::Dependency, parent.as_deref(), false);
            }
            return;
        }
        if !self.emit_file(&path, ReasonKind::Dependency, parent.as_deref(), false) {
            return;
        }
        if real.ends_with(".json") {
            return;
        }
        if real.ends_with(".node") {
            self.sharedlib_emit(&real);
            return;
        }
        if real.ends_with(".js") || real.ends_with(".ts") {
            if let Some(b) = self.pjson_boundary(&real) {
                self.emit_file(&format!("{b}/package.json"), ReasonKind::Resolve, Some(&real), false);
            }
        }
        let Some(a) = self.analysis(&real) else { return };
        for w in &a.warnings {
            self.warn(Some(&real), w.message.clone(), w.line, w.col);
        }
        if a.is_esm {
            self.esm.insert(self.rel(&real));
        }
        for asset in &a.assets {
            let ext = p::extname(asset);
            let js_like = matches!(ext, ".js" | ".mjs" | ".node" | "")
                || (self.ts
                    && matches!(ext, ".ts" | ".tsx")
                    && asset.starts_with(&self.base)
                    && !asset[self.base.len()..].contains("/node_modules/"));
            if js_like {
                let (asset, real) = (asset.clone(), real.clone());
                s.spawn(move |s| self.emit_dependency(s, asset, Some(real)));
            } else {
                self.emit_file(asset, ReasonKind::Asset, Some(&real), false);
            }
        }
        let cjs = !a.is_esm;
        for (dep, cjs_resolve) in a.deps.iter().map(|d| (d, cjs)).chain(a.imports.iter().map(|d| (d, false))) {
            let (dep, real) = (dep.clone(), real.clone());
            s.spawn(move |s| self.maybe_emit_dep(s, &dep, &real, cjs_resolve));
        }
    }

    /// nft's `maybeEmitDep`: resolves `dep` from `parent` and emits the result.
    fn maybe_emit_dep<'s>(&'s self, s: &rayon::Scope<'s>, dep: &str, parent: &str, cjs: bool) {
        let mut res = resolve::resolve_dependency(self, dep, parent, cjs);
        if let Err(resolve::ResolveError::NotFound(_)) = &res {
            if self.ts && dep.ends_with(".js") {
                let ts_dep = format!("{}.ts", &dep[..dep.len() - 3]);
                if let Ok(r) = resolve::resolve_dependency(self, &ts_dep, parent, cjs) {
                    res = Ok(r);
                }
            }
        }
        match res {
            Err(e) => {
                self.warn(Some(parent), format!("Failed to resolve dependency \"{dep}\":\n{}", e.message()), None, None);
            }
            Ok(Resolved::Builtin) => {}
            Ok(Resolved::Paths(paths)) => {
                for item in paths {
                    if item.starts_with("node:") {
                        return;
                    }
                    self.emit_dependency(s, item, Some(parent.to_string()));
                }
            }
        }
    }

    /// nft's `sharedLibEmit`: the `*.so*` files of the package of a `.node` file.
    fn sharedlib_emit(&self, real: &str) {
        let Some(pkg) = analyze::package_base(real) else { return };
        let glob = if self.platform == "darwin" {
            "**/*.@(dylib|so?(.*))"
        } else if self.platform == "win32" {
            "**/*.dll"
        } else {
            "**/*.so?(.*)"
        };
        let mut files = BTreeSet::new();
        Glob::new(glob, true).walk(&pkg, &mut files);
        for f in files {
            self.emit_file(&f, ReasonKind::Sharedlib, Some(real), false);
        }
    }
}
