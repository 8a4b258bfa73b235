//! One path for every function folder: a [`FunctionSpec`] (where, the generated
//! entry, the files beside it, the runtime addons) goes in, a folder comes out
//! with the bundled entry, `open-next.config.mjs` and the rest. The server
//! function, external middleware, and the revalidation, warmer and initializer
//! functions are all written by [`write_function`]; what differs is the spec.

use crate::bundle::{bundle, BundleOptions, Entry, Packages};
use crate::config::OverrideChoice;
use crate::error::Result;
use crate::fsutil::{mkdirp, write};
use crate::server_function::debug_build;
use std::path::{Path, PathBuf};

/// What one function folder holds besides Next's files.
pub struct FunctionSpec<'a> {
    /// The function's directory (its `index.mjs` / `handler.mjs` goes here).
    pub dir: PathBuf,
    /// File name of the bundled entry: `index.mjs`, or `handler.mjs` for middleware.
    pub entry_file: &'static str,
    /// A name for the generated entry module (`__entry_<name>.ts`, resolved in the runtime directory).
    pub name: &'a str,
    /// The generated entry module (TypeScript importing the runtime).
    pub entry: String,
    /// Directory of the runtime TypeScript sources.
    pub runtime_dir: &'a Path,
    /// The compiled `open-next.config.mjs`.
    pub compiled_config: &'a str,
    /// Minify the bundle.
    pub minify: bool,
    /// Other files written next to the entry: (relative path, contents).
    pub files: Vec<(String, Vec<u8>)>,
    /// Runtime addons copied next to the entry (none for functions that do not route).
    pub runtime_addons: &'a [PathBuf],
    /// npm packages left out of the bundle and loaded at run time from the
    /// Lambda runtime (`@aws-sdk/client-dynamodb` in the initializer, as OpenNext
    /// ships it); `next` always is.
    pub external: &'a [&'a str],
}

/// Writes a function folder from its spec. Returns the number of bundled modules.
pub fn write_function(spec: &FunctionSpec) -> Result<usize> {
    mkdirp(&spec.dir)?;
    let modules = write_bundle(
        spec.runtime_dir,
        &format!("__entry_{}.ts", spec.name),
        spec.entry.clone(),
        spec.minify,
        spec.external,
        &spec.dir.join(spec.entry_file),
    )?;
    write(&spec.dir.join("open-next.config.mjs"), spec.compiled_config)?;
    for (rel, contents) in &spec.files {
        let to = spec.dir.join(rel);
        if let Some(parent) = to.parent() {
            mkdirp(parent)?;
        }
        write(&to, contents)?;
    }
    if !spec.runtime_addons.is_empty() {
        copy_runtime_addons(spec.runtime_addons, &spec.dir)?;
    }
    Ok(modules)
}

/// The runtime folder of an override kind.
fn kind_dir(kind: &str) -> &'static str {
    match kind {
        "wrapper" => "wrappers",
        "converter" => "converters",
        "incrementalCache" => "incrementalCache",
        "tagCache" => "tagCache",
        "proxyExternalRequest" => "proxyExternalRequest",
        "originResolver" => "originResolver",
        "cdnInvalidation" => "cdnInvalidation",
        "imageLoader" => "imageLoader",
        _ => "queue",
    }
}

/// `import <kind> from "<runtime>/overrides/<dir>/<name>.ts"` for each built-in
/// override (custom ones are `undefined`: loaded lazily from the shipped config at
/// run time). Returns the source and the binding names.
pub(crate) fn override_imports<'a>(runtime_dir: &Path, kinds: &[(&'a str, &OverrideChoice)]) -> (String, Vec<&'a str>) {
    let mut src = String::new();
    let mut names = Vec::new();
    for (kind, choice) in kinds {
        match choice {
            OverrideChoice::Builtin(name) => {
                let p = runtime_dir.join("overrides").join(kind_dir(kind)).join(format!("{name}.ts"));
                src.push_str(&format!("import {kind} from {};\n", js_string(&p.to_string_lossy())));
            }
            OverrideChoice::Custom(_) => src.push_str(&format!("const {kind} = undefined;\n")),
        }
        names.push(*kind);
    }
    (src, names)
}

/// A JS string literal.
pub(crate) fn js_string(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

/// The two addons functions ship.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addon {
    /// `open-next-runtime.<platform>.node`: the Router.
    Router,
    /// `open-next-image.<platform>.node`: the image stage.
    Image,
}

impl Addon {
    /// The file name's stem.
    pub fn name(self) -> &'static str {
        match self {
            Addon::Router => "open-next-runtime",
            Addon::Image => "open-next-image",
        }
    }
}

/// Copies the runtime addons (the Router the request path calls) next to
/// `index.mjs`, keeping their `open-next-runtime.<platform>.node` names so the
/// runtime picks the one for the machine it runs on.
pub(crate) fn copy_runtime_addons(addons: &[PathBuf], app_dir: &Path) -> Result<()> {
    for addon in addons {
        let Some(name) = addon.file_name() else { continue };
        let to = app_dir.join(name);
        crate::fsutil::link_or_copy(addon, &to).map_err(crate::CoreError::io("copy the runtime addon", addon))?;
    }
    Ok(())
}

/// Bundles a generated entry (named `entry_name` inside `runtime_dir`, so its
/// imports resolve from there) into `out_file`, with `<out_file>.map` on debug
/// builds. Returns the number of bundled modules.
fn write_bundle(runtime_dir: &Path, entry_name: &str, entry: String, minify: bool, external: &[&str], out_file: &Path) -> Result<usize> {
    let out = bundle(&BundleOptions {
        minify,
        banner: Some("// Generated by open-next-rs. Do not edit.".into()),
        // OpenNext's debug builds (`OPEN_NEXT_DEBUG=true`) ship a source map of the runtime.
        sourcemap: debug_build(),
        // The runtime's own npm dependencies (aws4fetch for the lite AWS overrides) go
        // into the bundle; Next is loaded from the function's node_modules at run time.
        packages: Packages::Bundle,
        external: std::iter::once("next").chain(external.iter().copied()).map(String::from).collect(),
        ..BundleOptions::new(Entry::Source { path: runtime_dir.join(entry_name), code: entry })
    })?;
    match &out.map {
        Some(map) => {
            let name = out_file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            write(out_file, format!("{}\n//# sourceMappingURL={name}.map\n", out.code))?;
            write(&out_file.with_file_name(format!("{name}.map")), map)?;
        }
        None => write(out_file, &out.code)?,
    }
    Ok(out.modules.len())
}
