//! The server function folder: Next's traced standalone files copied in parallel
//! (symlinks kept, build-only and non-Linux native packages left out), our runtime
//! bundled as `index.mjs` with the chosen overrides, and the compiled config.

use crate::config::FunctionOverrides;
use crate::error::Result;
use crate::fsutil::{copy_entries, copy_tree, list_tree, write, CopyStats, EntryKind};
use crate::function_folder::{js_string, override_imports, write_function, FunctionSpec};
use crate::next_app::NextBuild;
use std::path::{Path, PathBuf};

/// Operating systems whose prebuilt native packages never run on Lambda.
const FOREIGN_PLATFORMS: &[&str] = &["darwin", "win32", "freebsd", "openbsd", "netbsd", "sunos", "aix", "android"];

/// Packages that are only needed to build, or that we replace (sharp: image
/// transforms are done in Rust by the image function).
/// (Next 16.5's `@next/safe-image-optimization`, for `experimental.imgOptSafeMode`, is
/// replaced by the Rust image stage too; a scoped name also covers its `-<platform>` packages.)
const EXCLUDED_PACKAGES: &[&str] =
    &["typescript", "sharp", "@img", "@next/swc", "@next/safe-image-optimization", "@swc/core", "caniuse-lite", "webpack"];

/// Files of the `next` package that Next's trace lists but nothing loads at run time:
/// `next/font`'s fallback font metrics (4 MB), read by the `next/font/google` loader
/// during `next build` only (the server's `font-utils.js` that also names it is
/// required by nothing).
const BUILD_TIME_NEXT_FILES: &[&str] = &["dist/server/capsize-font-metrics.json"];

/// Whether a standalone path (relative, `/`-separated) is copied into the function.
pub fn keep_traced_path(rel: &str, is_dir: bool) -> bool {
    if !is_dir && BUILD_TIME_NEXT_FILES.iter().any(|f| rel.strip_suffix(f).is_some_and(|head| head.ends_with("node_modules/next/"))) {
        return false;
    }
    let segs: Vec<&str> = rel.split('/').collect();
    for (i, seg) in segs.iter().enumerate() {
        let in_node_modules = i > 0 && segs[i - 1] == "node_modules";
        let scoped = i > 1 && segs[i - 2] == "node_modules" && segs[i - 1].starts_with('@');
        if in_node_modules || scoped {
            let name = if scoped { format!("{}/{}", segs[i - 1], seg) } else { seg.to_string() };
            for ex in EXCLUDED_PACKAGES {
                if name == *ex || (ex.starts_with('@') && name.strip_prefix(ex).is_some_and(|rest| rest.starts_with('-'))) {
                    return false;
                }
            }
            if FOREIGN_PLATFORMS
                .iter()
                .any(|p| seg.starts_with(&format!("{p}-")) || seg.contains(&format!("-{p}-")) || seg.ends_with(&format!("-{p}")))
            {
                return false;
            }
        }
        // pnpm store folders are named after the package: `.pnpm/@next+swc-linux-x64-gnu@16.0.0`.
        if i > 0 && segs[i - 1] == ".pnpm" {
            let pkg = seg.split('@').find(|s| !s.is_empty()).unwrap_or("");
            if pkg.starts_with("next+swc-")
                || pkg.starts_with("next+safe-image-optimization")
                || *seg == "typescript"
                || seg.starts_with("typescript@")
                || seg.starts_with("sharp@")
                || seg.starts_with("@img+")
                || seg.starts_with("@next+swc-")
            {
                return false;
            }
            if FOREIGN_PLATFORMS.iter().any(|p| seg.contains(&format!("-{p}-"))) {
                return false;
            }
        }
    }
    // Next's own build cache and the standalone server entry are not needed.
    if segs.len() >= 2 && segs[segs.len() - 2] == ".next" && segs[segs.len() - 1] == "cache" && is_dir {
        return false;
    }
    !(segs.last() == Some(&"server.js") && !rel.contains("node_modules") && !rel.contains(".next"))
}

/// Whether a standalone path is build output the server function does not need
/// because it ships elsewhere or is only used at build time:
/// - prerender outputs (`.html`/`.json`/`.rsc`/`.body`/`.meta`, segment files)
///   under `.next/server/{pages,app,route-cache}`, which are in the cache assets
///   and read through the incremental cache; fully static pages-router `.html`
///   files and dynamic-route shells (`[slug].html`, `fallback: true`) stay, since
///   Next reads those from disk;
/// - `.nft.json` traces;
/// - `.next/server` source maps, unless `experimental.serverSourceMaps` is on.
pub fn is_build_only_output(rel: &str, build: &NextBuild) -> bool {
    let dot_next = if build.package_path.is_empty() { ".next/".to_string() } else { format!("{}/.next/", build.package_path) };
    let Some(in_next) = rel.strip_prefix(&dot_next) else { return false };
    if in_next.ends_with(".nft.json") {
        return true;
    }
    // Directories of prerendered segment files (`index.segments/`): all in the cache.
    if in_next.ends_with(".segments") && (in_next.starts_with("server/app/") || in_next.starts_with("server/route-cache/")) {
        return true;
    }
    let Some(in_server) = in_next.strip_prefix("server/") else { return false };
    if in_server.ends_with(".map") {
        return build.config.pointer("/experimental/serverSourceMaps").and_then(serde_json::Value::as_bool) != Some(true);
    }
    let Some((dir, inner)) = in_server.split_once('/') else { return false };
    let is_pages = match dir {
        "pages" => true,
        "app" | "route-cache" => false,
        _ => return false,
    };
    if dir != "route-cache" && is_per_entry_manifest(inner) {
        return true;
    }
    !inner.contains('[') && crate::cache::is_prerender_output(inner, is_pages, &build.html_pages)
}

/// Turbopack's per-entry manifests (`server/app/<route>/page/build-manifest.json`,
/// `server/pages/<page>/pages-manifest.json`, ...): build inputs that Next merges
/// into the top-level manifests; the server reads only those (and each entry's
/// `react-loadable-manifest.json`, which stays). No entry's trace lists them, so
/// OpenNext leaves them out too. `inner` is the path below `server/app/` or
/// `server/pages/`.
fn is_per_entry_manifest(inner: &str) -> bool {
    const MERGED: &[&str] = &[
        "app-paths-manifest.json",
        "build-manifest.json",
        "client-build-manifest.json",
        "next-font-manifest.json",
        "pages-manifest.json",
        "server-reference-manifest.json",
    ];
    matches!(inner.rsplit_once('/'), Some((_, name)) if MERGED.contains(&name))
}

/// Whether `rel` (under `root`) is the development build of a package that
/// picks its build by `process.env.NODE_ENV`, as React's packages do:
/// `cjs/<name>.development.js` beside `cjs/<name>.production.js` (or
/// `.production.min.js`), named only by entry files that test `NODE_ENV`.
/// Next's trace keeps both builds; the server function runs with
/// `NODE_ENV=production` (set before Next loads), so it never requires this one.
/// An entry that names it without testing `NODE_ENV`, or none found beside
/// the `cjs/` folder, keeps it.
pub fn is_unused_development_build(root: &Path, rel: &str) -> bool {
    let Some(stem) = rel.strip_suffix(".development.js") else { return false };
    if !rel.contains("node_modules/") {
        return false;
    }
    if ![".production.js", ".production.min.js"].iter().any(|p| root.join(format!("{stem}{p}")).is_file()) {
        return false;
    }
    let file = root.join(rel);
    let (Some(name), Some(dir)) = (file.file_name().and_then(|n| n.to_str()), file.parent()) else { return false };
    // The entries sit beside the `cjs/` folder (react-dom/server.edge.js names ./cjs/…).
    let entries_dir = if dir.file_name().is_some_and(|d| d == "cjs") { dir.parent().unwrap_or(dir) } else { dir };
    let Ok(listing) = std::fs::read_dir(entries_dir) else { return false };
    let mut named = false;
    for entry in listing.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "js") || path == file {
            continue;
        }
        let Ok(code) = std::fs::read_to_string(&path) else { continue };
        if code.contains(name) {
            if !code.contains("process.env.NODE_ENV") {
                return false;
            }
            named = true;
        }
    }
    named
}

/// Copies the standalone output into `fn_dir` (without what
/// [`is_build_only_output`] leaves out, nor development builds
/// [`is_unused_development_build`]); returns the copy stats and the
/// function-relative paths of the regular files copied.
pub fn copy_traced_files(build: &NextBuild, fn_dir: &Path) -> Result<(CopyStats, Vec<String>)> {
    let keep = |rel: &str, is_dir: bool| {
        keep_traced_path(rel, is_dir)
            && if is_dir {
                !(rel.ends_with(".segments") && is_build_only_output(rel, build))
            } else {
                !is_build_only_output(rel, build) && !is_unused_development_build(&build.standalone_dir, rel)
            }
    };
    let entries = list_tree(&build.standalone_dir, &keep)?;
    let stats = copy_entries(&build.standalone_dir, fn_dir, &entries)?;
    let files = entries.into_iter().filter(|e| e.kind == EntryKind::File).map(|e| e.rel).collect();
    Ok((stats, files))
}

/// Copies files the config needs at run time (the npm packages imported by the
/// compiled `open-next.config.mjs` and its custom overrides, traced from where
/// the config was evaluated) into `fn_dir`, at their path relative to the trace
/// `root` (the layout of `.next/standalone`). Files already in the function,
/// files outside `root` and build-only or foreign-platform packages are skipped.
/// Returns the copy stats and the function-relative paths copied.
pub fn copy_config_dependencies(root: &Path, fn_dir: &Path, files: &[PathBuf]) -> Result<(CopyStats, Vec<String>)> {
    let mut entries = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for f in files {
        let Ok(rel_path) = f.strip_prefix(root) else { continue };
        let rel = crate::fsutil::rel_slash(rel_path);
        if rel.is_empty() || !seen.insert(rel.clone()) || !keep_traced_path(&rel, false) {
            continue;
        }
        if std::fs::symlink_metadata(fn_dir.join(&rel)).is_ok() {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(f) else { continue };
        let kind = if meta.file_type().is_symlink() {
            EntryKind::Symlink(std::fs::read_link(f).map_err(crate::CoreError::io("read link", f))?)
        } else if meta.is_file() {
            EntryKind::File
        } else {
            continue;
        };
        entries.push(crate::fsutil::TreeEntry { rel, kind });
    }
    let stats = copy_entries(root, fn_dir, &entries)?;
    Ok((stats, entries.into_iter().map(|e| e.rel).collect()))
}

/// For wrappers that run as a plain server (`node`, `express-dev`) there is no
/// CDN in front: ship `public/` and `.next/static/` inside the function so Next
/// serves them as `next start` does. Lambda wrappers get them from S3 instead.
pub fn copy_self_hosted_assets(app_dir: &Path, build: &NextBuild, fn_dir: &Path) -> Result<CopyStats> {
    let target = if build.package_path.is_empty() { fn_dir.to_path_buf() } else { fn_dir.join(&build.package_path) };
    let (a, b) = rayon::join(
        || copy_tree(&build.dist_dir.join("static"), &target.join(".next/static"), &|_, _| true),
        || {
            let public = app_dir.join("public");
            if public.is_dir() {
                copy_tree(&public, &target.join("public"), &|_, _| true)
            } else {
                Ok(CopyStats::default())
            }
        },
    );
    let (a, b) = (a?, b?);
    Ok(CopyStats { files: a.files + b.files, symlinks: a.symlinks + b.symlinks, bytes: a.bytes + b.bytes })
}

/// Compiles the routing table (every regex is checked here, at build time) and
/// returns its JSON, shipped as `routing.json`: from the Deployment Adapter output
/// when the build has one (Next >= 16.2), else converted from the `.next`
/// manifests as Next's adapter code would (`routing::spec_from_manifests`).
/// `next_version` picks the `next start` behaviours that changed between releases.
pub fn routing_table_json(build: &NextBuild, next_version: &str) -> Result<Option<String>> {
    let (spec, source_file) = match &build.adapter {
        Some(adapter) => {
            let source_file = build.dist_dir.join(crate::next_app::ADAPTER_OUTPUT_FILE);
            let spec = crate::routing::RoutingTable::spec_from_adapter(adapter)
                .map_err(|message| crate::CoreError::Routing { source_file: source_file.clone(), message })?;
            (spec, source_file)
        }
        None => {
            let source_file = build.dist_dir.join("routes-manifest.json");
            let spec = crate::routing::spec_from_manifests(&build.dist_dir)
                .map_err(|message| crate::CoreError::Routing { source_file: source_file.clone(), message })?;
            (spec, source_file)
        }
    };
    let mut spec = spec;
    spec.next_start_compat = true;
    let config = |k: &str| build.config.get(k).and_then(serde_json::Value::as_bool).unwrap_or(false);
    let skip_normalize = config("skipProxyUrlNormalize")
        || config("skipMiddlewareUrlNormalize")
        || build.config.pointer("/experimental/skipMiddlewareUrlNormalize").and_then(serde_json::Value::as_bool).unwrap_or(false);
    spec.trailing_slash = config("trailingSlash") && !skip_normalize;
    spec.data_default_locale = adds_default_locale_to_data_requests(next_version);
    // OpenNext's users rely on `locale: false` routes matching the path as sent.
    spec.locale_false_unprefixed = true;
    // Next's tables leave `public/` out (platforms upload it themselves), but
    // routing checks it like any other file: before afterFiles rewrites.
    if let Some(app_dir) = build.dist_dir.parent() {
        let public = public_pathnames(&app_dir.join("public"), &build.base_path)?;
        // With i18n, routing looks pathnames up with the locale in front. `next start`
        // serves static files under the default locales (the app's and each
        // domain's) but under no other locale.
        let mut locales: Vec<String> = spec
            .i18n
            .as_ref()
            .map(|i| {
                std::iter::once(i.default_locale.clone()).chain(i.domains.iter().flatten().map(|d| d.default_locale.clone())).collect()
            })
            .unwrap_or_default();
        locales.sort();
        locales.dedup();
        for locale in &locales {
            let bp = &build.base_path;
            spec.pathnames.extend(public.iter().map(|p| format!("{bp}/{locale}{}", &p[bp.len()..])));
        }
        spec.pathnames.extend(public);
        spec.pathnames.sort();
        spec.pathnames.dedup();
    }
    let table =
        crate::routing::RoutingTable::compile(spec).map_err(|e| crate::CoreError::Routing { source_file, message: e.to_string() })?;
    Ok(Some(serde_json::to_string(&table.spec).expect("spec serialises")))
}

/// Whether `next start` of this Next version gives a `_next/data` request without a
/// locale the default locale when the app has middleware (15.5.16+ and 16.2.5+).
fn adds_default_locale_to_data_requests(next_version: &str) -> bool {
    crate::next_app::parse_version(next_version).is_some_and(|v| ((15, 5, 16)..(16, 0, 0)).contains(&v) || v >= (16, 2, 5))
}

/// The URL pathnames of the files in `public/` (`<basePath>/<path>`), empty when
/// there is no such directory.
fn public_pathnames(public_dir: &Path, base_path: &str) -> Result<Vec<String>> {
    if !public_dir.is_dir() {
        return Ok(vec![]);
    }
    Ok(list_tree(public_dir, &|_, _| true)?
        .into_iter()
        .filter(|e| matches!(e.kind, EntryKind::File))
        .map(|e| format!("{base_path}/{}", e.rel))
        .collect())
}

/// Whether this is a debug build (`OPEN_NEXT_DEBUG` set to anything but empty,
/// `0` or `false`, as OpenNext reads it).
pub fn debug_build() -> bool {
    std::env::var("OPEN_NEXT_DEBUG").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Whether a wrapper serves HTTP itself, without a CDN for static files.
pub fn is_self_hosted_wrapper(name: &str) -> bool {
    matches!(name, "node" | "express-dev")
}

/// Source of the generated entry module for a server function. `route_key` is
/// set with external middleware (the key its signed routing decisions verify with).
pub fn server_entry_source(runtime_dir: &Path, function_name: &str, o: &FunctionOverrides, route_key: Option<&str>) -> String {
    let (mut src, names) = override_imports(runtime_dir, &o.kinds());
    let main = runtime_dir.join("server/main.ts");
    src.push_str(&format!("import {{ createServerFunction }} from {};\n", js_string(&main.to_string_lossy())));
    let key = route_key.map(|k| format!(", routeKey: {}", js_string(k))).unwrap_or_default();
    let call =
        format!("createServerFunction({{ functionName: {}, overrides: {{ {} }}{key} }})", js_string(function_name), names.join(", "));
    if is_self_hosted_wrapper(o.wrapper.name()) {
        // The node wrapper starts its server itself; requests wait for initialisation.
        src.push_str(&format!("export const handler = {call};\n"));
    } else {
        // Lambda initialises during the init phase and sees the wrapper's own handler
        // (the streaming wrapper's is marked by `awslambda.streamifyResponse`).
        src.push_str(&format!("export const handler = await {call}.ready;\n"));
    }
    src
}

/// What goes into a function's code besides Next's files.
#[derive(Clone, Copy)]
pub struct FunctionCode<'a> {
    /// Directory of the runtime TypeScript sources.
    pub runtime_dir: &'a Path,
    /// `default` or the split function's key.
    pub function_name: &'a str,
    /// The selected overrides.
    pub overrides: &'a FunctionOverrides,
    /// The compiled `open-next.config.mjs`.
    pub compiled_config: &'a str,
    /// Minify the bundle.
    pub minify: bool,
    /// Runtime addons to ship.
    pub runtime_addons: &'a [PathBuf],
    /// With external middleware: the key of its signed routing decisions.
    pub route_key: Option<&'a str>,
    /// The compiled routing table ([`routing_table_json`]), shipped as `routing.json`.
    pub routing_json: Option<&'a str>,
}

/// Bundles the runtime entry and writes `index.mjs`, `open-next.config.mjs`,
/// `cache.cjs` and `composable-cache.cjs` into the function's app directory (`fn_dir/<packagePath>`). Returns
/// the number of bundled modules.
pub fn write_function_code(build: &NextBuild, fn_dir: &Path, code: &FunctionCode) -> Result<usize> {
    let FunctionCode { runtime_dir, function_name, overrides, compiled_config, minify, runtime_addons, route_key, routing_json } = *code;
    let app_dir: PathBuf = if build.package_path.is_empty() { fn_dir.to_path_buf() } else { fn_dir.join(&build.package_path) };
    let mut files = vec![
        ("cache.cjs".to_string(), b"module.exports = globalThis.__OPEN_NEXT_CACHE_HANDLER__;\n".to_vec()),
        ("composable-cache.cjs".to_string(), b"module.exports = globalThis.__OPEN_NEXT_COMPOSABLE_CACHE_HANDLER__;\n".to_vec()),
    ];
    if let Some(routing) = routing_json {
        files.push(("routing.json".to_string(), routing.as_bytes().to_vec()));
    }
    let modules = write_function(&FunctionSpec {
        dir: app_dir,
        entry_file: "index.mjs",
        name: function_name,
        entry: server_entry_source(runtime_dir, function_name, overrides, route_key),
        runtime_dir,
        compiled_config,
        minify,
        files,
        runtime_addons,
        external: &[],
    })?;
    if !build.package_path.is_empty() {
        write(&fn_dir.join("index.mjs"), format!("export * from \"./{}/index.mjs\";\n", build.package_path))?;
    }
    Ok(modules)
}

#[cfg(test)]
mod tests {
    #[test]
    fn data_requests_get_the_default_locale_from_15_5_16_and_16_2_5() {
        let adds = super::adds_default_locale_to_data_requests;
        // Measured on the releases' router-utils/resolve-routes.js.
        assert!(!adds("15.5.15") && adds("15.5.16") && adds("15.5.29"));
        assert!(!adds("16.0.0") && !adds("16.2.4") && adds("16.2.5") && adds("16.5.0"));
    }

    use super::*;
    use crate::config::OverrideChoice;

    #[test]
    fn development_builds_named_only_by_node_env_switches_are_left_out() {
        let root = std::env::temp_dir().join(format!("onc-devbuilds-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let write = |rel: &str, code: &str| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, code).unwrap();
        };
        let switch = |name: &str| {
            format!("if (process.env.NODE_ENV === 'production') module.exports = require('./cjs/{name}.production.js');\nelse module.exports = require('./cjs/{name}.development.js');\n")
        };
        write("node_modules/react-dom/server.edge.js", &switch("server"));
        write("node_modules/react-dom/cjs/server.production.js", "");
        write("node_modules/react-dom/cjs/server.development.js", "");
        // Named by an entry that does not test NODE_ENV.
        write("node_modules/odd/index.js", &switch("a"));
        write("node_modules/odd/direct.js", "require('./cjs/a.development.js');\n");
        write("node_modules/odd/cjs/a.production.js", "");
        write("node_modules/odd/cjs/a.development.js", "");
        // No production build beside it; named by no entry.
        write("node_modules/lone/cjs/b.development.js", "");
        write("node_modules/quiet/cjs/c.production.min.js", "");
        write("node_modules/quiet/cjs/c.development.js", "");
        assert!(is_unused_development_build(&root, "node_modules/react-dom/cjs/server.development.js"));
        for rel in [
            "node_modules/react-dom/cjs/server.production.js",
            "node_modules/odd/cjs/a.development.js",
            "node_modules/lone/cjs/b.development.js",
            "node_modules/quiet/cjs/c.development.js",
        ] {
            assert!(!is_unused_development_build(&root, rel), "{rel}");
        }
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn per_entry_manifests_are_build_only() {
        for rel in ["a/static-0/page/build-manifest.json", "api/r-0/route/app-paths-manifest.json", "_app/pages-manifest.json"] {
            assert!(is_per_entry_manifest(rel), "{rel}");
        }
        // Top-level manifests (not below app/ or pages/), the loadable manifest, and page files stay.
        for rel in ["build-manifest.json", "a/static-0/page/react-loadable-manifest.json", "a/build-manifest.json.body", "x/page.js"] {
            assert!(!is_per_entry_manifest(rel), "{rel}");
        }
    }

    #[test]
    fn filters_build_only_and_foreign_packages() {
        assert!(keep_traced_path("node_modules/next/dist/server/next-server.js", false));
        assert!(!keep_traced_path("node_modules/@img", true));
        assert!(!keep_traced_path("node_modules/sharp", true));
        assert!(!keep_traced_path("node_modules/@next/swc-linux-x64-gnu", true));
        assert!(!keep_traced_path("node_modules/@esbuild/darwin-arm64", true));
        assert!(keep_traced_path("node_modules/@esbuild/linux-arm64", true));
        assert!(!keep_traced_path("node_modules/fsevents-darwin-x64", true));
        assert!(!keep_traced_path("node_modules/.pnpm/@next+swc-linux-x64-gnu@16.0.0", true));
        assert!(!keep_traced_path("node_modules/.pnpm/sharp@0.34.1", true));
        assert!(!keep_traced_path("node_modules/@next/safe-image-optimization", true));
        assert!(!keep_traced_path("node_modules/@next/safe-image-optimization-linux-arm64-gnu", true));
        assert!(!keep_traced_path("node_modules/.pnpm/@next+safe-image-optimization@0.0.5", true));
        assert!(keep_traced_path("node_modules/@next/env", true));
        assert!(keep_traced_path("node_modules/.pnpm/react@19.0.0", true));
        assert!(keep_traced_path("node_modules/@aws-sdk/client-s3", true));
        assert!(!keep_traced_path(".next/cache", true));
        assert!(!keep_traced_path("server.js", false));
        assert!(!keep_traced_path("apps/web/server.js", false));
        assert!(keep_traced_path("node_modules/foo/server.js", false));
        assert!(keep_traced_path(".next/server/app/page.js", false));
        // next/font's metrics are read at build time only.
        assert!(!keep_traced_path("node_modules/next/dist/server/capsize-font-metrics.json", false));
        assert!(!keep_traced_path("node_modules/.pnpm/next@16.4.6/node_modules/next/dist/server/capsize-font-metrics.json", false));
        assert!(keep_traced_path("node_modules/other/dist/server/capsize-font-metrics.json", false));
    }

    fn build_with(package_path: &str, config: serde_json::Value) -> NextBuild {
        NextBuild {
            dist_dir: PathBuf::from("/app/.next"),
            standalone_dir: PathBuf::from("/app/.next/standalone"),
            package_path: package_path.into(),
            build_id: "b".into(),
            cache_build_id: "b".into(),
            config,
            base_path: String::new(),
            html_pages: ["404.html".to_string(), "about.html".to_string(), "en/about.html".to_string()].into(),
            app_routes: vec![],
            pages_routes: vec![],
            adapter: None,
        }
    }

    #[test]
    fn prerender_outputs_and_traces_stay_out_of_the_function() {
        let b = build_with("", serde_json::json!({}));
        for rel in [
            ".next/server/app/index.html",
            ".next/server/app/index.rsc",
            ".next/server/app/index.meta",
            ".next/server/app/blog/post.prefetch.rsc",
            ".next/server/app/index.segments/_tree.segment.rsc",
            ".next/server/app/blog/post.segments",
            ".next/server/app/feed.xml.body",
            ".next/server/pages/ssg.html",
            ".next/server/pages/ssg.json",
            ".next/server/route-cache/app/abc/$/x.html",
            ".next/server/app/page.js.nft.json",
            ".next/next-server.js.nft.json",
            ".next/server/app/page.js.map",
        ] {
            assert!(is_build_only_output(rel, &b), "{rel} should be left out");
        }
        for rel in [
            ".next/server/app/page.js",
            ".next/server/app/page_client-reference-manifest.js",
            ".next/server/pages/404.html",
            ".next/server/pages/about.html",
            ".next/server/pages/en/about.html",
            ".next/server/pages/blog/[slug].html",
            ".next/server/app-paths-manifest.json",
            ".next/server/pages-manifest.json",
            ".next/prerender-manifest.json",
            ".next/BUILD_ID",
            "node_modules/next/dist/server/next-server.js",
            "node_modules/foo/index.html",
            "node_modules/foo/x.js.map",
        ] {
            assert!(!is_build_only_output(rel, &b), "{rel} should be kept");
        }
        let with_maps = build_with("apps/web", serde_json::json!({"experimental": {"serverSourceMaps": true}}));
        assert!(!is_build_only_output("apps/web/.next/server/app/page.js.map", &with_maps));
        assert!(is_build_only_output("apps/web/.next/server/app/index.html", &with_maps));
        assert!(!is_build_only_output(".next/server/app/index.html", &with_maps));
    }

    #[test]
    fn entry_imports_selected_overrides() {
        let o = FunctionOverrides {
            wrapper: OverrideChoice::Builtin("node".into()),
            converter: OverrideChoice::Builtin("node".into()),
            incremental_cache: OverrideChoice::Builtin("fs-dev".into()),
            tag_cache: OverrideChoice::Custom("mine".into()),
            queue: OverrideChoice::Builtin("direct".into()),
            proxy_external_request: OverrideChoice::Builtin("fetch".into()),
            cdn_invalidation: OverrideChoice::Builtin("cloudfront".into()),
        };
        let s = server_entry_source(Path::new("/rt"), "default", &o, None);
        assert!(s.contains("import wrapper from \"/rt/overrides/wrappers/node.ts\";"));
        assert!(s.contains("import incrementalCache from \"/rt/overrides/incrementalCache/fs-dev.ts\";"));
        assert!(s.contains("const tagCache = undefined;"));
        assert!(s.contains("import proxyExternalRequest from \"/rt/overrides/proxyExternalRequest/fetch.ts\";"));
        assert!(s.contains("import cdnInvalidation from \"/rt/overrides/cdnInvalidation/cloudfront.ts\";"));
        assert!(s.contains("functionName: \"default\""));
        assert!(!s.contains("routeKey"));
        assert!(server_entry_source(Path::new("/rt"), "default", &o, Some("k1")).contains(", routeKey: \"k1\" });"));
        assert!(s.contains("export const handler = createServerFunction("), "{s}");
        // Lambda wrappers export the wrapper's own handler, once initialised.
        let lambda = FunctionOverrides { wrapper: OverrideChoice::Builtin("aws-lambda-streaming".into()), ..o };
        let s = server_entry_source(Path::new("/rt"), "default", &lambda, None);
        assert!(s.contains("export const handler = await createServerFunction(") && s.ends_with(".ready;\n"), "{s}");
    }
}
