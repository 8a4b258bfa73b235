//! The require map of a server function: where each static `require("x")` of
//! its files resolves, worked out at build time, so that a cold start does not
//! search for them.
//!
//! A cold server function loads about 300 CommonJS modules of Next. Node finds
//! each by trying candidate files and reading `package.json` files, which takes
//! about a sixth of the time from process start to the first response. The build
//! knows the function's files and they do not change once deployed, so it
//! resolves every literal specifier of every `.js`/`.cjs`/`.mjs` file with the
//! tracer's resolver (Node's CommonJS algorithm, symlinks to real paths) and
//! writes the answers to [`FILE_NAME`]. The runtime answers `require` from it and
//! leaves anything else to Node (`runtime/server/resolutions.ts`).
//!
//! Where Node versions disagree (`exports` with `module-sync`, matched where
//! `require(esm)` is on), both answers are written and the runtime picks. Left
//! to Node: builtins, `#imports`, packages with `node-addons` conditions, and
//! anything that resolves outside the function.

use crate::error::{CoreError, Result};
use crate::fsutil::write;
use open_next_trace::Resolver;
use rayon::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The map's file name, at the root of the function.
pub const FILE_NAME: &str = "open-next.resolutions.json";

/// Version of the map's format, checked by the runtime.
pub const FORMAT: u64 = 1;

/// What [`write_resolutions`] found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ResolutionStats {
    /// Files scanned.
    pub files: usize,
    /// Entries written: (directory, specifier) pairs.
    pub entries: usize,
}

/// The literal specifiers of `require("…")` calls in `code`: a byte scan, not
/// a parse. A match inside a string or a comment only adds an entry that is
/// never asked for; what matters is that each entry is what Node would answer.
pub fn require_specifiers(code: &[u8]) -> BTreeSet<String> {
    const NEEDLE: &[u8] = b"require(";
    let mut out = BTreeSet::new();
    for start in memchr::memmem::find_iter(code, NEEDLE) {
        let i = start + NEEDLE.len();
        // `require(` must not be the tail of a longer name (`__webpack_require(`, `myrequire(`).
        if start > 0 && matches!(code[start - 1], b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'$') {
            continue;
        }
        let mut j = i;
        while j < code.len() && code[j].is_ascii_whitespace() {
            j += 1;
        }
        let Some(&quote) = code.get(j).filter(|q| matches!(q, b'"' | b'\'')) else { continue };
        let body = j + 1;
        let Some(len) = code[body..].iter().position(|&b| b == quote || b == b'\\' || b == b'\n') else { continue };
        if code[body + len] != quote || len == 0 {
            continue;
        }
        let mut k = body + len + 1;
        while k < code.len() && code[k].is_ascii_whitespace() {
            k += 1;
        }
        if code.get(k) != Some(&b')') {
            continue;
        }
        if let Ok(s) = std::str::from_utf8(&code[body..body + len]) {
            out.insert(s.to_string());
        }
    }
    out
}

/// The package folder a resolved file of a bare specifier lies in
/// (`…/node_modules/<name>` or `…/node_modules/@scope/<name>`).
fn package_dir(file: &Path) -> Option<PathBuf> {
    let parts: Vec<_> = file.components().collect();
    let nm = parts.iter().rposition(|c| c.as_os_str() == "node_modules")?;
    let name = parts.get(nm + 1)?;
    let take = if name.as_os_str().to_string_lossy().starts_with('@') { nm + 3 } else { nm + 2 };
    if take >= parts.len() {
        return None;
    }
    Some(parts[..take].iter().collect())
}

/// How the `exports` of a package may be read by the Node versions a function runs on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Conditions {
    /// The same by every version.
    Same,
    /// With `module-sync`, matched where `require(esm)` is on (Node 20.19+, 22.12+).
    ModuleSync,
    /// With conditions the tracer does not know (`node-addons`): left to Node.
    Unknown,
}

fn package_conditions(pkg: &Path, seen: &Mutex<HashMap<PathBuf, Conditions>>) -> Conditions {
    if let Some(c) = seen.lock().expect("not poisoned").get(pkg) {
        return *c;
    }
    let text = fs::read_to_string(pkg.join("package.json")).unwrap_or_default();
    let c = if text.contains("\"node-addons\"") {
        Conditions::Unknown
    } else if text.contains("\"module-sync\"") {
        Conditions::ModuleSync
    } else {
        Conditions::Same
    };
    seen.lock().expect("not poisoned").insert(pkg.to_path_buf(), c);
    c
}

/// `to` relative to `from` with `/` (`..` where it lies outside), `""` for `from` itself.
fn relative(from: &Path, to: &Path) -> String {
    let (a, b): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_string(); a.len() - common];
    parts.extend(b[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    parts.join("/")
}

/// Scans the function at `fn_dir`, resolves what its files `require`, and
/// writes [`FILE_NAME`] next to its `index.mjs` (in `entry_dir`, the app's
/// folder inside the function): `{"v": 1, "dirs": {"<dir>": {"<specifier>": <file>}}}`,
/// paths relative to `entry_dir` with `/`, `entry_dir` itself as `""`. A
/// `<file>` is a path, or `[without, with]` where Node's answer depends on
/// whether `require(esm)` is on (`process.features.require_module`).
pub fn write_resolutions(fn_dir: &Path, entry_dir: &Path) -> Result<ResolutionStats> {
    let root = fs::canonicalize(fn_dir).map_err(CoreError::io("resolve", fn_dir))?;
    let base = fs::canonicalize(entry_dir).map_err(CoreError::io("resolve", entry_dir))?;
    let files: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "js" || x == "cjs" || x == "mjs"))
        .collect();
    // (directory, specifier) → a file of that directory to resolve from.
    let wanted: BTreeMap<(PathBuf, String), PathBuf> = files
        .par_iter()
        .flat_map_iter(|f| {
            let specs = fs::read(f).map(|code| require_specifiers(&code)).unwrap_or_default();
            let dir = f.parent().unwrap_or(&root).to_path_buf();
            specs.into_iter().filter(|s| !s.starts_with("node:") && !s.starts_with('#')).map(move |s| ((dir.clone(), s), f.clone()))
        })
        .collect();
    let cache = open_next_trace::TraceCache::new();
    let (plain, sync) = (Resolver::new(&[], false, &cache), Resolver::new(&[], true, &cache));
    let seen = Mutex::new(HashMap::new());
    let inside = |f: &str| Some(PathBuf::from(f)).filter(|p| p.starts_with(&root));
    let resolved: Vec<((PathBuf, String), Value)> = wanted
        .into_par_iter()
        .filter_map(|((dir, spec), parent)| {
            let file = inside(&plain.resolve(&spec, &parent, true).ok()??)?;
            let bare = !(spec.starts_with('.') || spec.starts_with('/'));
            let conditions = match package_dir(&file) {
                Some(pkg) if bare => package_conditions(&pkg, &seen),
                _ => Conditions::Same,
            };
            let value = match conditions {
                Conditions::Same => Value::String(relative(&base, &file)),
                Conditions::Unknown => return None,
                Conditions::ModuleSync => {
                    let with = inside(&sync.resolve(&spec, &parent, true).ok()??)?;
                    if with == file {
                        Value::String(relative(&base, &file))
                    } else {
                        json!([relative(&base, &file), relative(&base, &with)])
                    }
                }
            };
            Some(((dir, spec), value))
        })
        .collect();
    let mut dirs: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let entries = resolved.len();
    for ((dir, spec), value) in resolved {
        dirs.entry(relative(&base, &dir)).or_default().insert(spec, value);
    }
    let stats = ResolutionStats { files: files.len(), entries };
    write(&entry_dir.join(FILE_NAME), serde_json::to_vec(&json!({"v": FORMAT, "dirs": dirs})).expect("json"))?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_literal_requires_only() {
        let code = br#"
            const a = require("next/dist/server/base-server");
            const b = require( './x.js' );
            const c = __webpack_require__("nope");
            const d = require(name);
            const e = require(`tpl`);
            const f = require("a\"b");
            const g = myrequire("nope2");
            const h = require("multi
            line");
            const i = require("ok") + require('two')
        "#;
        let found: Vec<_> = require_specifiers(code).into_iter().collect();
        assert_eq!(found, vec!["./x.js", "next/dist/server/base-server", "ok", "two"]);
    }

    #[test]
    fn relative_paths() {
        assert_eq!(relative(Path::new("/f/apps/web"), Path::new("/f/node_modules/next")), "../../node_modules/next");
        assert_eq!(relative(Path::new("/f"), Path::new("/f/node_modules/next")), "node_modules/next");
        assert_eq!(relative(Path::new("/f"), Path::new("/f")), "");
    }

    #[test]
    fn package_dir_of_scoped_and_plain() {
        assert_eq!(package_dir(Path::new("/f/node_modules/next/dist/a.js")), Some(PathBuf::from("/f/node_modules/next")));
        assert_eq!(package_dir(Path::new("/f/node_modules/@next/env/dist/a.js")), Some(PathBuf::from("/f/node_modules/@next/env")));
        assert_eq!(
            package_dir(Path::new("/f/node_modules/a/node_modules/b/i.js")),
            Some(PathBuf::from("/f/node_modules/a/node_modules/b"))
        );
        assert_eq!(package_dir(Path::new("/f/lib/a.js")), None);
    }

    #[test]
    fn writes_node_answers_and_leaves_the_rest() {
        let dir = std::env::temp_dir().join(format!("on-resolutions-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let w = |p: &str, s: &str| write(&dir.join(p), s).unwrap();
        w("index.mjs", "const r = createRequire(import.meta.url); r(\"dep\"); require(\"dep/sub\"); require(\"fs\"); require(\"#priv\"); require(\"missing\");");
        w("node_modules/dep/package.json", r#"{"name":"dep","exports":{".":{"require":"./c.cjs","import":"./e.mjs"},"./sub":"./sub.js"}}"#);
        w("node_modules/dep/c.cjs", "require('./lib')");
        w("node_modules/dep/e.mjs", "");
        w("node_modules/dep/sub.js", "");
        w("node_modules/dep/lib/index.js", "require('sync'); require('addons')");
        w("node_modules/sync/package.json", r#"{"name":"sync","exports":{"module-sync":"./m.mjs","default":"./d.js"}}"#);
        w("node_modules/sync/d.js", "");
        w("node_modules/sync/m.mjs", "");
        w("node_modules/addons/package.json", r#"{"name":"addons","exports":{"node-addons":"./n.js","default":"./d.js"}}"#);
        w("node_modules/addons/d.js", "");
        w("node_modules/addons/n.js", "require('sync')");
        let stats = write_resolutions(&dir, &dir).unwrap();
        let map: Value = serde_json::from_slice(&fs::read(dir.join(FILE_NAME)).unwrap()).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            map,
            json!({"v": 1, "dirs": {
                "": {"dep/sub": "node_modules/dep/sub.js"},
                "node_modules/dep": {"./lib": "node_modules/dep/lib/index.js"},
                "node_modules/dep/lib": {"sync": ["node_modules/sync/d.js", "node_modules/sync/m.mjs"]},
                "node_modules/addons": {"sync": ["node_modules/sync/d.js", "node_modules/sync/m.mjs"]},
            }})
        );
        assert_eq!(stats, ResolutionStats { files: 9, entries: 4 });
    }
}
