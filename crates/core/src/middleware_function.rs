//! The external middleware function (`middleware: { external: true }`):
//! `.open-next/middleware/` with `handler.mjs` (handler `handler.handler`, for
//! CloudFront / Lambda@Edge), the routing table and runtime addons the server
//! function also ships, the app's compiled edge middleware (the files its
//! `middleware-manifest.json` lists, under `.next/`), `middleware.json` (what the
//! edge adapter needs of the Next config) and the compiled config.

use crate::config::MiddlewareOverrides;
use crate::error::{CoreError, Result};
use crate::fsutil::{link_or_copy, mkdirp, read_json, write};
use crate::function_folder::{js_string, override_imports, write_function, FunctionSpec};
use crate::next_app::NextBuild;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// What goes into the middleware function.
#[derive(Clone, Copy)]
pub struct MiddlewareCode<'a> {
    /// Directory of the runtime TypeScript sources.
    pub runtime_dir: &'a Path,
    /// The selected overrides.
    pub overrides: &'a MiddlewareOverrides,
    /// The compiled `open-next.config.mjs`.
    pub compiled_config: &'a str,
    /// Minify the bundle (`middleware.minify`).
    pub minify: bool,
    /// Runtime addons to ship.
    pub runtime_addons: &'a [PathBuf],
    /// Signs the routing decisions the server function receives.
    pub route_key: &'a str,
    /// The config file, for messages.
    pub config_file: &'a str,
    /// The compiled routing table, the same as the server function's.
    pub routing_json: Option<&'a str>,
}

/// Source of the generated entry of the middleware bundle.
pub fn middleware_entry_source(runtime_dir: &Path, o: &MiddlewareOverrides, route_key: &str) -> String {
    let (mut src, names) = override_imports(runtime_dir, &o.kinds());
    let main = runtime_dir.join("middleware/main.ts");
    src.push_str(&format!("import {{ createMiddlewareFunction }} from {};\n", js_string(&main.to_string_lossy())));
    src.push_str(&format!(
        "export const handler = createMiddlewareFunction({{ overrides: {{ {} }}, routeKey: {} }});\n",
        names.join(", "),
        js_string(route_key)
    ));
    src
}

/// Refuses Node.js middleware (and Next 16's `proxy.ts`, always Node.js): it runs
/// in the server function, not at the edge.
pub fn check_edge_middleware(build: &NextBuild, config_file: &str) -> Result<()> {
    let file = build.dist_dir.join("server/functions-config-manifest.json");
    if !file.is_file() {
        return Ok(());
    }
    let manifest = read_json(&file)?;
    if manifest.pointer("/functions/~1_middleware/runtime").and_then(Value::as_str) == Some("nodejs") {
        return Err(CoreError::Config {
            file: config_file.to_string(),
            message: format!(
                "`middleware.external` needs edge-runtime middleware, but this app's middleware runs on Node.js ({} lists /_middleware with runtime \"nodejs\"; Next 16's proxy.ts is always Node.js). Remove `middleware.external` to run it in the server function, or use a middleware.ts without `runtime: \"nodejs\"`",
                file.display()
            ),
        });
    }
    Ok(())
}

/// The edge middleware's files, relative to `.next/` (scripts, wasm, assets), and the manifest itself.
fn edge_files(build: &NextBuild) -> Result<Vec<String>> {
    let manifest_file = build.dist_dir.join("server/middleware-manifest.json");
    if !manifest_file.is_file() {
        return Ok(vec![]);
    }
    let manifest = read_json(&manifest_file)?;
    let mut files = vec!["server/middleware-manifest.json".to_string()];
    if let Some(entry) = manifest.pointer("/middleware/~1") {
        let listed = |k: &str| entry.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
        files.extend(listed("files").iter().filter_map(Value::as_str).map(String::from));
        for k in ["wasm", "assets"] {
            files.extend(listed(k).iter().filter_map(|b| b.get("filePath").and_then(Value::as_str)).map(String::from));
        }
    }
    Ok(files)
}

/// Writes `.open-next/middleware/` into `dir`. Returns counters for the build report.
pub fn write_middleware_function(build: &NextBuild, dir: &Path, code: &MiddlewareCode) -> Result<Value> {
    check_edge_middleware(build, code.config_file)?;
    let modules = write_function(&FunctionSpec {
        dir: dir.to_path_buf(),
        entry_file: "handler.mjs",
        name: "middleware",
        entry: middleware_entry_source(code.runtime_dir, code.overrides, code.route_key),
        runtime_dir: code.runtime_dir,
        compiled_config: code.compiled_config,
        minify: code.minify,
        files: code.routing_json.map(|r| ("routing.json".to_string(), r.as_bytes().to_vec())).into_iter().collect(),
        runtime_addons: code.runtime_addons,
        external: &[],
    })?;
    let files = edge_files(build)?;
    for rel in &files {
        let from = build.dist_dir.join(rel);
        let to = dir.join(".next").join(rel);
        if let Some(parent) = to.parent() {
            mkdirp(parent)?;
        }
        link_or_copy(&from, &to).map_err(CoreError::io("copy the edge middleware file", &from))?;
    }
    let preview_file = build.dist_dir.join("prerender-manifest.json");
    let preview_mode_id = if preview_file.is_file() { read_json(&preview_file)?.pointer("/preview/previewModeId").cloned() } else { None };
    let c = &build.config;
    let meta = json!({
        "buildId": build.build_id,
        "previewModeId": preview_mode_id,
        "nextConfig": {
            "basePath": c.get("basePath").cloned().unwrap_or(json!("")),
            "i18n": c.get("i18n").cloned().unwrap_or(Value::Null),
            "trailingSlash": c.get("trailingSlash").cloned().unwrap_or(json!(false)),
            "experimental": {},
        },
    });
    write(&dir.join("middleware.json"), serde_json::to_vec_pretty(&meta).expect("json"))?;
    Ok(json!({"modules": modules, "edgeFiles": files.len().saturating_sub(1)}))
}

/// A fresh random key for signing routing decisions (256 bits from the OS).
pub fn new_route_key() -> Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    let urandom = Path::new("/dev/urandom");
    std::fs::File::open(urandom).and_then(|mut f| f.read_exact(&mut bytes)).map_err(CoreError::io("read", urandom))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_imports_middleware_overrides() {
        let o = crate::config::middleware_overrides("c.ts", &json!({"middleware": {"external": true, "originResolver": "dummy"}}))
            .unwrap()
            .unwrap();
        let s = middleware_entry_source(Path::new("/rt"), &o, "abc");
        assert!(s.contains("import wrapper from \"/rt/overrides/wrappers/aws-lambda.ts\";"), "{s}");
        assert!(s.contains("import converter from \"/rt/overrides/converters/aws-cloudfront.ts\";"), "{s}");
        assert!(s.contains("import originResolver from \"/rt/overrides/originResolver/dummy.ts\";"), "{s}");
        assert!(s.contains("routeKey: \"abc\""), "{s}");
    }

    #[test]
    fn route_keys_are_random_hex() {
        let (a, b) = (new_route_key().unwrap(), new_route_key().unwrap());
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
