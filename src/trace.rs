//! `nodeFileTrace`: the Rust file tracer (`open_next_trace`) for build scripts,
//! with @vercel/nft's option names and result shape (plain arrays and records
//! instead of `Set`/`Map`).

use napi::bindgen_prelude::*;
use napi_derive::napi;
use open_next_trace as core_trace;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

/// Options of {@link nodeFileTrace}. Same names and meaning as @vercel/nft's.
#[napi(object)]
#[derive(Clone, Default)]
pub struct NodeFileTraceOptions {
    /// Root of the trace: file names in the result are relative to it and files
    /// outside it are not listed. Default: the current directory.
    pub base: Option<String>,
    /// `process.cwd()` as seen by the traced code. Default: `base`.
    pub process_cwd: Option<String>,
    /// Globs, relative to `base`, of files never to list (picomatch rules, dot files not matched by `*`).
    pub ignore: Option<Vec<String>>,
    /// Extra package.json `exports`/`imports` conditions, besides `node`,
    /// `require`/`import` (from the referring syntax) and `default`.
    pub conditions: Option<Vec<String>>,
    /// Resolve `.ts`/`.tsx` files outside `node_modules` (default `true`).
    pub ts: Option<bool>,
    /// Also follow `module-sync` export conditions, as Node.js 22+ does (default `false`).
    pub module_sync: Option<bool>,
    /// `process.platform` assumed for native addon lookups (default: this machine's).
    /// Set `"linux"` with `arch` to trace for a Lambda target from another OS.
    pub platform: Option<String>,
    /// `process.arch` assumed for native addon lookups (default: this machine's), e.g. `"arm64"`.
    pub arch: Option<String>,
    /// Node ABI (`process.versions.modules`) assumed for native addon lookups (default `"115"`, Node.js 20).
    pub node_abi: Option<String>,
    /// `"glibc"` (default) or `"musl"`: the libc native prebuilds are picked for.
    pub libc: Option<String>,
}

/// Why a file is in the trace.
#[napi(object)]
pub struct NodeFileTraceReason {
    /// Reason kinds: `initial`, `resolve`, `dependency`, `asset`, `sharedlib`.
    #[napi(js_name = "type")]
    pub kind: Vec<String>,
    /// Base-relative files that caused this one to be included.
    pub parents: Vec<String>,
}

/// A problem that did not stop the trace: an unresolvable dependency or an unparsable file.
#[napi(object)]
pub struct NodeFileTraceWarning {
    /// Base-relative file the warning is about.
    pub file: Option<String>,
    /// What went wrong (nft's wording: `Failed to resolve dependency "x"`, `Failed to parse f as module: ...`).
    pub message: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
}

/// Result of {@link nodeFileTrace}.
#[napi(object)]
pub struct NodeFileTraceResult {
    /// Every file needed at run time, base-relative with `/` separators, sorted.
    /// Symlinks are listed under their own path and their target's.
    pub file_list: Vec<String>,
    /// The listed files that are ES modules.
    pub esm_file_list: Vec<String>,
    /// The reasons of every listed file.
    pub reasons: HashMap<String, NodeFileTraceReason>,
    /// Warnings, as data.
    pub warnings: Vec<NodeFileTraceWarning>,
}

/// A cache of file-system lookups, package.json reads and module analyses,
/// reusable across {@link nodeFileTrace} calls (as nft's `cache` option).
/// Do not reuse it after files have changed on disk.
#[napi]
pub struct TraceCache {
    inner: Arc<core_trace::TraceCache>,
}

#[napi]
impl TraceCache {
    /// An empty cache.
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> TraceCache {
        TraceCache { inner: Arc::new(core_trace::TraceCache::new()) }
    }

    /// How many module analyses the cache holds.
    #[napi(getter)]
    pub fn analysis_count(&self) -> u32 {
        self.inner.analysis_count() as u32
    }
}

fn trace_error(e: core_trace::TraceError) -> Error {
    Error::new(Status::InvalidArg, format!("ERR_TRACE: {e}"))
}

fn core_options(o: &NodeFileTraceOptions) -> Result<core_trace::TraceOptions> {
    let base = match &o.base {
        Some(b) => PathBuf::from(b),
        None => std::env::current_dir().map_err(|e| Error::new(Status::GenericFailure, format!("ERR_TRACE: no current directory: {e}")))?,
    };
    let mut opts = core_trace::TraceOptions::new(base);
    opts.process_cwd = o.process_cwd.as_ref().map(PathBuf::from);
    opts.ignore = o.ignore.clone().unwrap_or_default();
    opts.conditions = o.conditions.clone().unwrap_or_default();
    if let Some(ts) = o.ts {
        opts.ts = ts;
    }
    opts.module_sync = o.module_sync.unwrap_or(false);
    if let Some(p) = &o.platform {
        opts.platform = p.clone();
    }
    if let Some(a) = &o.arch {
        opts.arch = a.clone();
    }
    if let Some(abi) = &o.node_abi {
        opts.node_abi = abi.clone();
    }
    if let Some(libc) = &o.libc {
        if libc != "glibc" && libc != "musl" {
            return Err(Error::new(Status::InvalidArg, format!("ERR_TRACE: options.libc is {libc:?}: use \"glibc\" or \"musl\"")));
        }
        opts.libc = libc.clone();
    }
    Ok(opts)
}

fn kind_name(k: core_trace::ReasonKind) -> String {
    serde_json::to_value(k).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn run_trace(files: &[String], o: &NodeFileTraceOptions, cache: Option<&core_trace::TraceCache>) -> Result<NodeFileTraceResult> {
    let opts = core_options(o)?;
    let entries: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
    let r = match catch_unwind(AssertUnwindSafe(|| core_trace::node_file_trace(&entries, &opts, cache))) {
        Ok(r) => r.map_err(trace_error)?,
        Err(_) => {
            return Err(Error::new(
                Status::GenericFailure,
                "ERR_INTERNAL: the file tracer crashed; please report this with the entry files that trigger it",
            ))
        }
    };
    Ok(NodeFileTraceResult {
        file_list: r.files.keys().cloned().collect(),
        esm_file_list: r.esm_files.into_iter().collect(),
        reasons: r
            .files
            .into_iter()
            .map(|(f, reason)| {
                (
                    f,
                    NodeFileTraceReason {
                        kind: reason.kind.into_iter().map(kind_name).collect(),
                        parents: reason.parents.into_iter().collect(),
                    },
                )
            })
            .collect(),
        warnings: r
            .warnings
            .into_iter()
            .map(|w| NodeFileTraceWarning { file: w.file, message: w.message, line: w.line, column: w.col })
            .collect(),
    })
}

/// Async task behind {@link nodeFileTrace}.
pub struct TraceTask {
    files: Vec<String>,
    options: NodeFileTraceOptions,
    cache: Option<Arc<core_trace::TraceCache>>,
}

impl Task for TraceTask {
    type Output = NodeFileTraceResult;
    type JsValue = NodeFileTraceResult;

    fn compute(&mut self) -> Result<Self::Output> {
        run_trace(&self.files, &self.options, self.cache.as_deref())
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }
}

/// Traces the files that `files` (entry modules, absolute or relative to the
/// current directory) need at run time, following @vercel/nft's rules:
/// `require`/`import`/`import()`, `require.resolve`, `path`/`fs` asset
/// references, package.json `exports`/`imports`, symlinks, native addons and
/// wasm. Files are parsed with swc and analysed in parallel, off the main thread.
///
/// Unresolvable dependencies and unparsable files are `warnings`; a missing
/// entry or `base` rejects with an `ERR_TRACE` error.
#[napi(ts_return_type = "Promise<NodeFileTraceResult>")]
pub fn node_file_trace(files: Vec<String>, options: Option<NodeFileTraceOptions>, cache: Option<&TraceCache>) -> AsyncTask<TraceTask> {
    AsyncTask::new(TraceTask { files, options: options.unwrap_or_default(), cache: cache.map(|c| c.inner.clone()) })
}

/// Synchronous twin of {@link nodeFileTrace} (blocks the calling thread).
#[napi]
pub fn node_file_trace_sync(
    files: Vec<String>,
    options: Option<NodeFileTraceOptions>,
    cache: Option<&TraceCache>,
) -> Result<NodeFileTraceResult> {
    run_trace(&files, &options.unwrap_or_default(), cache.map(|c| &*c.inner))
}
