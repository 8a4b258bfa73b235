//! Module resolution as @vercel/nft does it (its `resolve-dependency`): Node's
//! CJS/ESM algorithm, plus the legacy `main` file next to `exports` targets so
//! both are traced, and package.json files emitted as they are read.

use serde_json::Value;

use crate::job::Job;
use crate::path as p;
use crate::ReasonKind;

/// What a specifier resolved to.
pub(crate) enum Resolved {
    /// A Node.js builtin module.
    Builtin,
    /// One or more files (several when `exports` and `main` differ).
    Paths(Vec<String>),
}

/// Why a specifier did not resolve.
pub(crate) enum ResolveError {
    NotFound(String),
    Other(String),
}

impl ResolveError {
    pub fn message(&self) -> &str {
        match self {
            ResolveError::NotFound(m) | ResolveError::Other(m) => m,
        }
    }
}

fn not_found(specifier: &str, parent: &str) -> ResolveError {
    ResolveError::NotFound(format!("Cannot find module '{specifier}' loaded from {parent}"))
}

type Res<T> = Result<T, ResolveError>;

/// Node.js 20's `require('module').builtinModules`.
pub(crate) const BUILTINS: &[&str] = &[
    "_http_agent",
    "_http_client",
    "_http_common",
    "_http_incoming",
    "_http_outgoing",
    "_http_server",
    "_stream_duplex",
    "_stream_passthrough",
    "_stream_readable",
    "_stream_transform",
    "_stream_wrap",
    "_stream_writable",
    "_tls_common",
    "_tls_wrap",
    "assert",
    "assert/strict",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "dns/promises",
    "domain",
    "events",
    "fs",
    "fs/promises",
    "http",
    "http2",
    "https",
    "inspector",
    "inspector/promises",
    "module",
    "net",
    "os",
    "path",
    "path/posix",
    "path/win32",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "readline/promises",
    "repl",
    "stream",
    "stream/consumers",
    "stream/promises",
    "stream/web",
    "string_decoder",
    "sys",
    "timers",
    "timers/promises",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "util/types",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
];

fn realpath(job: &Job, path: &str, parent: &str) -> Res<String> {
    job.realpath(path, Some(parent)).map_err(ResolveError::Other)
}

/// nft's `resolveDependency`.
pub(crate) fn resolve_dependency(job: &Job, specifier: &str, parent: &str, cjs: bool) -> Res<Resolved> {
    let resolved = if p::is_absolute(specifier)
        || specifier == "."
        || specifier == ".."
        || specifier.starts_with("./")
        || specifier.starts_with("../")
    {
        let trailing = specifier.ends_with('/');
        let mut path = p::resolve_from("/", &[parent, "..", specifier]);
        if trailing {
            path.push('/');
        }
        vec![resolve_path(job, &path, parent)?]
    } else if specifier.starts_with('#') {
        package_imports_resolve(job, specifier, parent, cjs)?
    } else {
        match resolve_package(job, specifier, parent, cjs)? {
            None => return Ok(Resolved::Builtin),
            Some(v) => v,
        }
    };
    let mut out = Vec::with_capacity(resolved.len());
    for r in resolved {
        if r.starts_with("node:") {
            out.push(r);
        } else {
            out.push(realpath(job, &r, parent)?);
        }
    }
    Ok(Resolved::Paths(out))
}

fn resolve_path(job: &Job, path: &str, parent: &str) -> Res<String> {
    if let Some(r) = resolve_file(job, path, parent)? {
        return Ok(r);
    }
    if let Some(r) = resolve_dir(job, path, parent)? {
        return Ok(r);
    }
    Err(not_found(path, parent))
}

fn ts_allowed(job: &Job, path: &str) -> bool {
    job.ts && path.starts_with(&job.base) && !path[job.base.len()..].contains("/node_modules/")
}

fn resolve_file(job: &Job, path: &str, parent: &str) -> Res<Option<String>> {
    if path.ends_with('/') {
        return Ok(None);
    }
    let path = realpath(job, path, parent)?;
    if job.fs.is_file(&path) {
        return Ok(Some(path));
    }
    if ts_allowed(job, &path) {
        for ext in [".ts", ".tsx"] {
            let c = format!("{path}{ext}");
            if job.fs.is_file(&c) {
                return Ok(Some(c));
            }
        }
    }
    for ext in [".js", ".json", ".node"] {
        let c = format!("{path}{ext}");
        if job.fs.is_file(&c) {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

fn resolve_dir(job: &Job, path: &str, parent: &str) -> Res<Option<String>> {
    let path = path.strip_suffix('/').unwrap_or(path);
    if !job.fs.is_dir(path) {
        return Ok(None);
    }
    if let Some(cfg) = job.fs.package_json(path) {
        if let Some(main) = cfg.get("main").and_then(Value::as_str) {
            let main_path = p::resolve_from("/", &[path, main]);
            let r = match resolve_file(job, &main_path, parent)? {
                Some(r) => Some(r),
                None => resolve_file(job, &p::resolve_from("/", &[path, main, "index"]), parent)?,
            };
            if let Some(r) = r {
                job.emit_file(&format!("{path}/package.json"), ReasonKind::Resolve, Some(parent), false);
                return Ok(Some(r));
            }
        }
    }
    resolve_file(job, &p::resolve_from("/", &[path, "index"]), parent)
}

fn pkg_name(name: &str) -> &str {
    let mut it = name.split('/');
    let first = it.next().unwrap_or("");
    if name.starts_with('@') {
        if let Some(second) = it.next() {
            return &name[..first.len() + 1 + second.len()];
        }
    }
    first
}

/// The target of an `exports`/`imports` value: `None` is JavaScript's
/// `undefined`, `Some(None)` is `null`.
fn exports_target(exports: &Value, conditions: &[String], cjs: bool, module_sync: bool) -> Option<Option<String>> {
    match exports {
        Value::String(s) => Some(Some(s.clone())),
        Value::Null => Some(None),
        Value::Array(items) => {
            for item in items {
                let t = exports_target(item, conditions, cjs, module_sync);
                match &t {
                    Some(None) => return t,
                    Some(Some(s)) if s.starts_with("./") => return t,
                    _ => {}
                }
            }
            None
        }
        Value::Object(map) => {
            for (cond, v) in map {
                if cond == "default"
                    || (cond == "require" && cjs)
                    || (cond == "import" && !cjs)
                    || (cond == "module-sync" && module_sync)
                    || conditions.iter().any(|c| c == cond)
                {
                    let t = exports_target(v, conditions, cjs, module_sync);
                    if t.is_some() {
                        return t;
                    }
                }
            }
            None
        }
        _ => None,
    }
}

fn pattern_key_compare(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    let ai = a.find('*');
    let bi = b.find('*');
    let abl = ai.map_or(a.len(), |i| i + 1);
    let bbl = bi.map_or(b.len(), |i| i + 1);
    if abl > bbl {
        return Less;
    }
    if bbl > abl {
        return Greater;
    }
    if ai.is_none() {
        return Greater;
    }
    if bi.is_none() {
        return Less;
    }
    if a.len() > b.len() {
        return Less;
    }
    if b.len() > a.len() {
        return Greater;
    }
    Equal
}

fn pattern_match<'a>(pattern: &str, subpath: &'a str) -> Option<&'a str> {
    let i = pattern.find('*')?;
    if pattern.rfind('*') != Some(i) {
        return None;
    }
    let base = &pattern[..i];
    if !subpath.starts_with(base) {
        return None;
    }
    let trailer = &pattern[i + 1..];
    if subpath.len() < pattern.len() || (!trailer.is_empty() && !subpath.ends_with(trailer)) {
        return None;
    }
    Some(&subpath[i..subpath.len() - trailer.len()])
}

fn add_target_path(paths: &mut Vec<String>, pkg: &str, target: Option<Option<String>>, wildcard: Option<&str>) {
    let Some(Some(t)) = target else { return };
    if !t.starts_with("./") {
        return;
    }
    let tp = match wildcard {
        Some(w) if !w.is_empty() => t[1..].replace('*', w),
        _ => t[1..].to_string(),
    };
    let path = format!("{pkg}{tp}");
    if !paths.contains(&path) {
        paths.push(path);
    }
}

fn validate_paths(job: &Job, paths: Vec<String>, parent: &str, cjs: bool) -> Res<Vec<String>> {
    let mut out = vec![];
    for path in paths {
        if cjs {
            let r = match resolve_file(job, &path, parent)? {
                Some(r) => Some(r),
                None => resolve_dir(job, &path, parent)?,
            };
            match r {
                Some(r) => out.push(r),
                None => return Err(not_found(&path, parent)),
            }
        } else {
            if !job.fs.is_file(&path) {
                return Err(not_found(&path, parent));
            }
            out.push(path);
        }
    }
    Ok(out)
}

fn module_sync_paths(job: &Job, paths: &mut Vec<String>, pkg: &str, entry: &Value, cjs: bool, wildcard: Option<&str>) {
    let Value::Object(map) = entry else { return };
    let Some(ms) = map.get("module-sync") else { return };
    add_target_path(paths, pkg, exports_target(ms, &job.conditions, cjs, true), wildcard);
    let fallback = if cjs && map.contains_key("require") {
        "require"
    } else if !cjs && map.contains_key("import") {
        "import"
    } else {
        "default"
    };
    let t = map.get(fallback).and_then(|v| exports_target(v, &job.conditions, cjs, false));
    add_target_path(paths, pkg, t, wildcard);
}

/// nft's `resolveExportsImports`.
fn resolve_exports_imports(
    job: &Job,
    pkg: &str,
    obj: &Value,
    subpath: &str,
    is_imports: bool,
    cjs: bool,
    parent: &str,
) -> Res<Option<Vec<String>>> {
    let wrapped;
    let map = if is_imports {
        match obj {
            Value::Object(m) => m,
            _ => return Ok(None),
        }
    } else {
        let needs_wrap = match obj {
            Value::String(_) | Value::Array(_) | Value::Null => true,
            Value::Object(m) => m.keys().next().is_some_and(|k| !k.starts_with('.')),
            _ => false,
        };
        if needs_wrap {
            let mut m = serde_json::Map::new();
            m.insert(".".into(), obj.clone());
            wrapped = m;
            &wrapped
        } else {
            match obj {
                Value::Object(m) => m,
                _ => return Ok(None),
            }
        }
    };
    if let Some(entry) = map.get(subpath) {
        let target = exports_target(entry, &job.conditions, cjs, job.module_sync);
        match &target {
            Some(Some(t)) if t.starts_with("./") => {
                let mut paths = vec![format!("{pkg}{}", &t[1..])];
                if job.module_sync {
                    module_sync_paths(job, &mut paths, pkg, entry, cjs, None);
                }
                return validate_paths(job, paths, parent, cjs).map(Some);
            }
            Some(Some(t)) if is_imports => {
                return match resolve_dependency(job, t, parent, cjs)? {
                    Resolved::Builtin => Ok(Some(vec![format!("node:{t}")])),
                    Resolved::Paths(v) => Ok(Some(v)),
                };
            }
            _ => {}
        }
    }
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by(|a, b| pattern_key_compare(a, b));
    for key in keys {
        if let Some(w) = pattern_match(key, subpath) {
            let entry = &map[key.as_str()];
            let target = exports_target(entry, &job.conditions, cjs, job.module_sync);
            if let Some(Some(t)) = &target {
                if t.starts_with("./") {
                    // (nft adds `module-sync` targets for patterns only with
                    // its `moduleSyncCatchall` option, which we do not have)
                    let paths = vec![format!("{pkg}{}", t[1..].replace('*', w))];
                    return validate_paths(job, paths, parent, cjs).map(Some);
                }
            }
        }
        if !key.ends_with('/') {
            continue;
        }
        if subpath.starts_with(key.as_str()) {
            let target = exports_target(&map[key.as_str()], &job.conditions, cjs, job.module_sync);
            if let Some(Some(t)) = target {
                if t.ends_with('/') && t.starts_with("./") {
                    let path = format!("{pkg}{}{}", &t[1..], &subpath[key.len()..]);
                    return validate_paths(job, vec![path], parent, cjs).map(Some);
                }
            }
        }
    }
    Ok(None)
}

fn package_imports_resolve(job: &Job, name: &str, parent: &str, cjs: bool) -> Res<Vec<String>> {
    if name != "#" {
        if let Some(boundary) = job.pjson_boundary(parent) {
            if let Some(cfg) = job.fs.package_json(&boundary) {
                if let Some(imports) = cfg.get("imports").filter(|v| !v.is_null()) {
                    if let Some(r) = resolve_exports_imports(job, &boundary, imports, name, true, cjs, parent)? {
                        job.emit_file(&format!("{boundary}/package.json"), ReasonKind::Resolve, Some(parent), false);
                        return Ok(r);
                    }
                }
            }
        }
    }
    Err(not_found(name, parent))
}

fn file_or_dir(job: &Job, path: &str, parent: &str) -> Res<Option<String>> {
    match resolve_file(job, path, parent)? {
        Some(r) => Ok(Some(r)),
        None => resolve_dir(job, path, parent),
    }
}

/// nft's `resolvePackage`; `None` for builtins.
fn resolve_package(job: &Job, name: &str, parent: &str, cjs: bool) -> Res<Option<Vec<String>>> {
    if BUILTINS.contains(&name) || name.starts_with("node:") {
        return Ok(None);
    }
    let pkg = pkg_name(name);
    let sub = format!(".{}", &name[pkg.len()..]);
    let mut self_resolved: Option<Vec<String>> = None;
    if let Some(boundary) = job.pjson_boundary(parent) {
        if let Some(cfg) = job.fs.package_json(&boundary) {
            let exports = cfg.get("exports").filter(|v| !v.is_null());
            let cfg_name = cfg.get("name").and_then(Value::as_str).unwrap_or("");
            if let Some(exports) = exports {
                if !cfg_name.is_empty() && cfg_name == pkg {
                    self_resolved = resolve_exports_imports(job, &boundary, exports, &sub, false, cjs, parent)?;
                    if self_resolved.is_some() {
                        job.emit_file(&format!("{boundary}/package.json"), ReasonKind::Resolve, Some(parent), false);
                    }
                }
            }
        }
    }
    let mut dir = parent;
    while let Some(i) = dir.rfind('/') {
        if i == 0 {
            break;
        }
        dir = &dir[..i];
        let nm = format!("{dir}/node_modules");
        if !job.fs.is_dir(&nm) {
            continue;
        }
        let pkg_dir = format!("{nm}/{pkg}");
        let cfg = job.fs.package_json(&pkg_dir);
        let exports = cfg.as_ref().and_then(|c| c.get("exports")).filter(|v| !v.is_null());
        let full = format!("{nm}/{name}");
        if let (Some(exports), None) = (exports, &self_resolved) {
            let legacy = file_or_dir(job, &full, parent)?;
            let resolved = resolve_exports_imports(job, &pkg_dir, exports, &sub, false, cjs, parent)?;
            if let Some(mut resolved) = resolved {
                job.emit_file(&format!("{pkg_dir}/package.json"), ReasonKind::Resolve, Some(parent), false);
                if let Some(l) = legacy {
                    if !resolved.contains(&l) {
                        resolved.push(l);
                    }
                }
                return Ok(Some(resolved));
            }
            if let Some(l) = legacy {
                return Ok(Some(vec![l]));
            }
        } else if let Some(r) = file_or_dir(job, &full, parent)? {
            if let Some(sr) = self_resolved {
                if !sr.contains(&r) {
                    let mut v = vec![r];
                    v.extend(sr);
                    return Ok(Some(v));
                }
                return Ok(Some(sr));
            }
            return Ok(Some(vec![r]));
        }
    }
    if let Some(sr) = self_resolved {
        return Ok(Some(sr));
    }
    Err(not_found(name, parent))
}
