//! Node file tracing in Rust.
//!
//! Given entry files, [`node_file_trace`] returns every file they need at run
//! time, with the reasons each file was included, following the same rules as
//! [`@vercel/nft`](https://github.com/vercel/nft): `require`, `import`, dynamic
//! `import()` with constant or partly constant arguments, `require.resolve`,
//! `path.join`/`path.resolve` with `__dirname`/`__filename`/`process.cwd()`,
//! `fs` reads of asset files, `new URL('./x', import.meta.url)`, package.json
//! `exports`/`imports`/`main`, symlinks (pnpm layouts), native addons
//! (`.node`, `node-gyp-build`, `bindings`, `node-pre-gyp`) and the shared
//! libraries beside them, wasm and JSON files, and the package.json files met
//! on the way.
//!
//! Every file is parsed with swc; files are analysed and resolved in parallel
//! on rayon's thread pool. A [`TraceCache`] can be shared between calls.

#![warn(missing_docs)]

mod analyze;
mod error;
mod eval;
mod fs;
mod glob;
mod job;
mod native;
pub mod path;
mod resolve;
mod scope;
mod special;
mod value;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dashmap::DashMap;
use serde::Serialize;

pub use error::TraceError;
pub use glob::{Glob, GlobSet};
pub use job::Resolver;

/// Options of a trace. Mirrors @vercel/nft's options of the same names.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TraceOptions {
    /// Root of the trace: file names in the result are relative to it, and
    /// files outside it are not emitted (nft's `base`).
    pub base: PathBuf,
    /// The `process.cwd()` seen by the traced code (nft's `processCwd`);
    /// defaults to `base`.
    pub process_cwd: Option<PathBuf>,
    /// Globs, relative to `base`, of files never to emit (nft's `ignore`,
    /// picomatch semantics without dot files).
    pub ignore: Vec<String>,
    /// Extra package.json `exports`/`imports` conditions, besides `node`,
    /// `require`/`import` (by the referring syntax) and `default`.
    pub conditions: Vec<String>,
    /// Resolve `.ts`/`.tsx` files outside `node_modules` (nft's `ts`, default true).
    pub ts: bool,
    /// Also emit the `module-sync` export targets, as nft does when it runs on
    /// Node.js 22 or newer (default false: nft's behaviour on Node.js 20).
    pub module_sync: bool,
    /// `process.platform`/`os.platform()` assumed for native addon lookups
    /// (default: this machine's, as nft uses its own).
    pub platform: String,
    /// `process.arch`/`os.arch()` assumed for native addon lookups
    /// (default: this machine's).
    pub arch: String,
    /// `process.versions.modules` (the Node ABI) assumed for native addon
    /// lookups (default 115, Node.js 20).
    pub node_abi: String,
    /// The libc native addons are picked for: `glibc` or `musl` (default `glibc`).
    pub libc: String,
}

impl TraceOptions {
    /// Options with `base` and every default.
    pub fn new(base: impl Into<PathBuf>) -> TraceOptions {
        TraceOptions {
            base: base.into(),
            process_cwd: None,
            ignore: vec![],
            conditions: vec![],
            ts: true,
            module_sync: false,
            platform: host_platform().into(),
            arch: host_arch().into(),
            node_abi: "115".into(),
            libc: "glibc".into(),
        }
    }
}

/// Node's name for this machine's platform.
fn host_platform() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    }
}

/// Node's name for this machine's architecture.
fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        "x86" => "ia32",
        "powerpc64" => "ppc64",
        other => other,
    }
}

/// Why a file is in the trace (nft's reason `type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasonKind {
    /// An entry file.
    Initial,
    /// A file the resolver read: a package.json, or a symlink on the way.
    Resolve,
    /// A module loaded by `require`/`import`.
    Dependency,
    /// A file read at run time (fs reads, `path.join(__dirname, ...)`, wasm, ...).
    Asset,
    /// A shared library beside a native addon.
    Sharedlib,
}

/// The reasons for one file (nft's `reasons` entry).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileReason {
    /// Every reason kind that applied, in a fixed order.
    #[serde(rename = "type")]
    pub kind: Vec<ReasonKind>,
    /// The base-relative files that caused this one to be included.
    pub parents: BTreeSet<String>,
}

/// A problem found while tracing that did not stop it (nft's `warnings`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceWarning {
    /// The base-relative file the warning is about, if any.
    pub file: Option<String>,
    /// What went wrong.
    pub message: String,
    /// 1-based line in `file`, when known.
    pub line: Option<u32>,
    /// 1-based column in `file`, when known.
    pub col: Option<u32>,
}

/// The result of a trace.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TraceResult {
    /// Every file needed, by base-relative `/`-separated path (nft's `fileList`
    /// and `reasons`). Symlinks appear under their link path and their target.
    pub files: BTreeMap<String, FileReason>,
    /// The traced files that are ES modules (nft's `esmFileList`).
    pub esm_files: BTreeSet<String>,
    /// Warnings (unresolvable dependencies, unparsable files, ...).
    pub warnings: Vec<TraceWarning>,
}

/// A cache reusable across traces: file-system queries, package.json reads
/// and module analyses. Thread-safe; share it by reference.
///
/// Analyses are keyed by the options that influence them, so one cache can
/// serve traces with different options. Do not reuse a cache across file
/// changes.
#[derive(Default)]
pub struct TraceCache {
    pub(crate) fs: fs::CachedFs,
    pub(crate) analyses: DashMap<(u64, String), Arc<analyze::Analysis>>,
}

impl TraceCache {
    /// An empty cache.
    pub fn new() -> TraceCache {
        TraceCache::default()
    }

    /// How many module analyses the cache holds.
    pub fn analysis_count(&self) -> usize {
        self.analyses.len()
    }
}

/// Resolves `specifier` from the file `parent` the way Node loads it: `require`
/// when `cjs`, else `import` (package.json `exports`/`imports` with the `node`
/// condition plus `conditions`, then `main` and index files; symlinks resolved
/// to real paths, as Node does). `Ok(None)` for a Node builtin; `Err` names the
/// specifier and the parent when nothing is found.
pub fn resolve_module(
    specifier: &str,
    parent: &Path,
    conditions: &[String],
    cjs: bool,
    cache: &TraceCache,
) -> Result<Option<PathBuf>, String> {
    job::resolve_one(specifier, parent, conditions, cjs, cache).map(|p| p.map(PathBuf::from))
}

/// Traces `entries` (absolute, or relative to the current directory) and
/// returns every file they need at run time.
///
/// Uses `cache` when given (and fills it), otherwise a cache private to this
/// call. Files that cannot be parsed or dependencies that cannot be resolved
/// become [`TraceWarning`]s; a missing entry or an unreadable `base` is an error.
pub fn node_file_trace(entries: &[PathBuf], opts: &TraceOptions, cache: Option<&TraceCache>) -> Result<TraceResult, TraceError> {
    let own;
    let cache = match cache {
        Some(c) => c,
        None => {
            own = TraceCache::new();
            &own
        }
    };
    job::run(entries, opts, cache)
}
