//! Node binding of open-next-rs: a thin `#[napi]` layer over `open_next_core`.
//! Heavy calls run as async tasks on libuv's pool; errors become JS errors whose
//! message starts with a stable code (`ERR_CONFIG: ...`); panics are caught.
#![deny(clippy::all)]

use napi::bindgen_prelude::*;
use napi_derive::napi;
use open_next_core::{bundle as core_bundle, pipeline, CoreError};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

mod router;
pub mod trace;

fn to_js(e: CoreError) -> Error {
    Error::new(Status::GenericFailure, format!("{}: {}", e.code(), e))
}

fn guarded<T>(f: impl FnOnce() -> std::result::Result<T, CoreError>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(to_js),
        Err(p) => {
            let msg = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_default();
            Err(Error::new(
                Status::GenericFailure,
                format!("ERR_INTERNAL: open-next-rs crashed ({msg}); please report this with the app that triggers it"),
            ))
        }
    }
}

/// Version of the native addon.
#[napi]
pub fn native_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Options of {@link build}. Paths are absolute.
#[napi(object)]
pub struct NativeBuildOptions {
    /// Directory `open-next build` runs in.
    pub cwd: String,
    /// The evaluated open-next config, JSON-serialisable (custom overrides as `{custom: true, name}`).
    pub config: serde_json::Value,
    /// The config file, for messages; absent when defaults are used.
    pub config_file: Option<String>,
    /// The compiled config module (ESM) written as `open-next.config.mjs` in every function.
    pub compiled_config: String,
    /// Directory with the runtime TypeScript sources.
    pub runtime_dir: String,
    /// Accept Next.js versions outside the supported range.
    pub dangerously_use_unsupported_next_version: Option<bool>,
    /// Do not run the Next.js build; use the existing `.next/`.
    pub skip_next_build: Option<bool>,
    /// Our Deployment Adapter module (used with Next.js >= 16.2).
    pub adapter_path: Option<String>,
    /// Absolute paths of the files the compiled config needs at run time (traced
    /// where it was evaluated); copied into every function.
    pub config_traced_files: Option<Vec<String>>,
    /// Runtime addons (`open-next-runtime.<platform>.node`) copied into every function.
    pub runtime_addons: Option<Vec<String>>,
}

/// Async task behind {@link build}.
pub struct BuildTask(pipeline::BuildOptions);

impl Task for BuildTask {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<Self::Output> {
        let opts = self.0.clone();
        guarded(|| pipeline::build(&opts).map(|r| serde_json::to_string(&r).expect("report serialises")))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }
}

/// Runs the post-`next build` pipeline (and `next build` itself unless skipped)
/// and resolves with the build report as JSON text: phases with timings, the
/// `open-next.output.json` content, counters and warnings.
#[napi(ts_return_type = "Promise<string>")]
pub fn build_native(options: NativeBuildOptions) -> AsyncTask<BuildTask> {
    AsyncTask::new(BuildTask(pipeline::BuildOptions {
        cwd: PathBuf::from(options.cwd),
        config: options.config,
        config_file: options.config_file.map(PathBuf::from),
        compiled_config: options.compiled_config,
        runtime_dir: PathBuf::from(options.runtime_dir),
        dangerously_use_unsupported_next_version: options.dangerously_use_unsupported_next_version.unwrap_or(false),
        skip_next_build: options.skip_next_build.unwrap_or(false),
        adapter_path: options.adapter_path.map(PathBuf::from),
        config_traced_files: options.config_traced_files.unwrap_or_default().into_iter().map(PathBuf::from).collect(),
        runtime_addons: options.runtime_addons.unwrap_or_default().into_iter().map(PathBuf::from).collect(),
    }))
}

/// Options of {@link bundle}.
#[napi(object)]
pub struct BundleOptions {
    /// Entry file (absolute path).
    pub entry: String,
    /// Specifiers to keep external: exact, or a package name (with its subpaths).
    pub external: Option<Vec<String>>,
    /// npm packages: `"external"` (the default: loaded at run time with
    /// `require` from the bundle's directory) or `"bundle"` (resolved as Node
    /// would, with package.json `exports`, and bundled; builtins and `external`
    /// stay external).
    #[napi(ts_type = "'external' | 'bundle'")]
    pub packages: Option<String>,
    /// Minify the output (swc's minifier: top-level names mangled, whitespace removed; tree shaking and `define` do the dead-code removal).
    pub minify: Option<bool>,
    /// Globals or dotted chains replaced by constants before imports are
    /// followed, esbuild-style: `{ "process.env.NODE_ENV": "\"production\"" }`
    /// (values are JSON: strings need their quotes). Branches made dead are
    /// dropped, with the modules only they import.
    pub define: Option<std::collections::HashMap<String, String>>,
    /// Also return a source map (`map`) from the output to the original files
    /// (TypeScript included, sources inlined); composed through minification.
    pub sourcemap: Option<bool>,
    /// Text placed at the top of the output.
    pub banner: Option<String>,
    /// Bare specifiers bundled from a file instead of kept external:
    /// `{ "my-pkg": "/abs/path/shim.ts" }`.
    pub alias: Option<std::collections::HashMap<String, String>>,
    /// How JSX in `.jsx`/`.tsx` files is compiled: `"classic"` (the default,
    /// `React.createElement`, as esbuild) or `"automatic"` (`react/jsx-runtime`).
    #[napi(ts_type = "'classic' | 'automatic'")]
    pub jsx: Option<String>,
}

/// Result of {@link bundle}.
#[napi(object)]
pub struct BundleResult {
    /// The ESM output.
    pub code: String,
    /// Bundled module paths.
    pub modules: Vec<String>,
    /// External specifiers the bundle loads at run time.
    pub externals: Vec<String>,
    /// Source map JSON (with `sourcemap: true`). Write it next to the code and
    /// end the code with `//# sourceMappingURL=<file>.map`.
    pub map: Option<String>,
}

fn run_bundle(o: &BundleOptions) -> Result<BundleResult> {
    let mut define = Vec::new();
    for (k, v) in o.define.iter().flatten() {
        define.push(core_bundle::Define::parse(k, v).map_err(to_js)?);
    }
    let jsx = o.jsx.as_deref().map(core_bundle::Jsx::parse).transpose().map_err(to_js)?.unwrap_or_default();
    let packages = o.packages.as_deref().map(core_bundle::Packages::parse).transpose().map_err(to_js)?.unwrap_or_default();
    let opts = core_bundle::BundleOptions {
        packages,
        jsx,
        define,
        sourcemap: o.sourcemap.unwrap_or(false),
        entry: core_bundle::Entry::File(PathBuf::from(&o.entry)),
        external: o.external.clone().unwrap_or_default(),
        minify: o.minify.unwrap_or(false),
        banner: o.banner.clone(),
        alias: o.alias.iter().flatten().map(|(k, v)| (k.clone(), PathBuf::from(v))).collect(),
    };
    guarded(|| core_bundle::bundle(&opts)).map(|out| BundleResult {
        code: out.code,
        modules: out.modules.iter().map(|p| p.display().to_string()).collect(),
        externals: out.externals.into_iter().collect(),
        map: out.map,
    })
}

/// Async task behind {@link bundle}.
pub struct BundleTask(BundleOptions);

impl Task for BundleTask {
    type Output = BundleResult;
    type JsValue = BundleResult;

    fn compute(&mut self) -> Result<Self::Output> {
        run_bundle(&self.0)
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }
}

/// Bundles a TypeScript/JavaScript entry and its relative imports into one ESM
/// module (used for `open-next.config.ts` and the function runtimes). ES modules
/// are scope-hoisted and tree-shaken; CommonJS files, JSON and modules loaded by
/// `require()` or a relative dynamic `import()` run lazily from a module table.
/// Errors carry `file:line:col`.
#[napi(ts_return_type = "Promise<BundleResult>")]
pub fn bundle(options: BundleOptions) -> AsyncTask<BundleTask> {
    AsyncTask::new(BundleTask(options))
}

/// Synchronous twin of {@link bundle}.
#[napi]
pub fn bundle_sync(options: BundleOptions) -> Result<BundleResult> {
    run_bundle(&options)
}

/// Strips TypeScript types from one module and prints ESM JavaScript.
#[napi]
pub fn strip_types(code: String, filename: String) -> Result<String> {
    guarded(|| core_bundle::transpile::strip_types(std::path::Path::new(&filename), code))
}
