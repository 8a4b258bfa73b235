//! The image optimization function (`.open-next/image-optimization-function/`,
//! config key `imageOptimization`, origin `imageOptimizer`), written by
//! [`write_function`] like every other kind:
//!
//! - the entry (`runtime/functions/image.ts`) with its wrapper, converter and
//!   `loader` (`s3` by default, as OpenNext; `s3-lite`, `host`, `fs-dev`,
//!   `dummy`, or a custom one);
//! - Next's image optimizer from the app's own `next`, traced out of
//!   `.next/standalone` without sharp, with the `sharp-to-rust` patch: the
//!   pixel work is the runtime addon's, so no sharp or libvips install;
//! - `.next/required-server-files.json` and `.next/BUILD_ID`, as OpenNext ships them;
//! - the image addons (`open-next-image.<platform>.node`; no Router).

use crate::config::{pick_override, OverrideChoice, CONVERTERS, WRAPPERS};
use crate::error::{CoreError, Result};
use crate::function_folder::{js_string, override_imports, write_function, FunctionSpec};
use crate::next_app::NextBuild;
use crate::patch::{patch_function, SHARP_TO_RUST};
use crate::server_function::copy_config_dependencies;
use crate::utility_functions::check_available;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The folder under `.open-next/`.
pub const DIR: &str = "image-optimization-function";

/// Image loaders OpenNext knows (all shipped).
const LOADERS: &[&str] = &["s3", "s3-lite", "host", "fs-dev", "dummy"];
const IMPLEMENTED_WRAPPERS: &[&str] = &["aws-lambda", "aws-lambda-streaming", "dummy"];
const IMPLEMENTED_CONVERTERS: &[&str] = &["aws-apigw-v2", "aws-apigw-v1", "aws-cloudfront", "dummy"];

/// The overrides chosen for the image function.
#[derive(Debug, Clone)]
pub struct ImageOverrides {
    /// Wrapper (`aws-lambda` by default).
    pub wrapper: OverrideChoice,
    /// Converter (`aws-apigw-v2` by default).
    pub converter: OverrideChoice,
    /// `imageOptimization.loader` (`s3` by default).
    pub loader: OverrideChoice,
}

/// Reads and checks `imageOptimization` from the config.
pub fn image_overrides(file: &str, raw: &Value) -> Result<ImageOverrides> {
    let section = raw.get("imageOptimization").filter(|v| !v.is_null());
    let ov = section.and_then(|s| s.get("override"));
    let wrappers: Vec<&str> = WRAPPERS.iter().map(|(w, _)| *w).collect();
    let wrapper = pick_override(file, ov, "wrapper", "aws-lambda", &wrappers, "imageOptimization.override.wrapper")?;
    let converter = pick_override(file, ov, "converter", "aws-apigw-v2", CONVERTERS, "imageOptimization.override.converter")?;
    let loader = pick_override(file, section, "loader", "s3", LOADERS, "imageOptimization.loader")?;
    check_available(file, &wrapper, IMPLEMENTED_WRAPPERS, "imageOptimization.override.wrapper")?;
    check_available(file, &converter, IMPLEMENTED_CONVERTERS, "imageOptimization.override.converter")?;
    crate::config::check_pair(file, &wrapper, &converter, &[], "imageOptimization.override")?;
    Ok(ImageOverrides { wrapper, converter, loader })
}

/// Source of the generated entry.
pub fn image_entry_source(runtime_dir: &Path, o: &ImageOverrides) -> String {
    let (mut src, _) = override_imports(runtime_dir, &[("wrapper", &o.wrapper), ("converter", &o.converter), ("imageLoader", &o.loader)]);
    let import = |rel: &str| js_string(&runtime_dir.join(rel).to_string_lossy());
    src.push_str(&format!("import {{ imageHandler }} from {};\n", import("functions/image.ts")));
    src.push_str(&format!("import {{ createGenericFunction }} from {};\n", import("functions/generic.ts")));
    src.push_str(
        "export const handler = createGenericFunction({ type: \"imageOptimization\", handler: imageHandler(imageLoader), wrapper, converter });\n",
    );
    src
}

/// The files of Next's image optimizer (and `serve-static`, for its content
/// types) in `.next/standalone`, absolute.
fn traced_next_files(build: &NextBuild) -> Result<Vec<PathBuf>> {
    let app = build.standalone_dist().parent().map(Path::to_path_buf).unwrap_or_else(|| build.standalone_dir.clone());
    let cache = open_next_trace::TraceCache::new();
    let parent = app.join("server.js");
    let mut entries = Vec::new();
    for spec in ["next/dist/server/image-optimizer.js", "next/dist/server/serve-static.js"] {
        let found = open_next_trace::resolve_module(spec, &parent, &[], true, &cache).map_err(|message| CoreError::Config {
            file: build.standalone_dir.display().to_string(),
            message: format!("the image function needs {spec} from the app's `next`: {message}"),
        })?;
        entries.extend(found);
    }
    let mut opts = open_next_trace::TraceOptions::new(&build.standalone_dir);
    opts.ignore = vec!["**/node_modules/sharp/**".into(), "**/node_modules/@img/**".into()];
    let traced = open_next_trace::node_file_trace(&entries, &opts, Some(&cache)).map_err(|e| CoreError::Config {
        file: build.standalone_dir.display().to_string(),
        message: format!("tracing Next's image optimizer: {e}"),
    })?;
    Ok(traced.files.keys().map(|rel| build.standalone_dir.join(rel)).collect())
}

/// Writes the image function into `out` (`.open-next/` being staged). Returns
/// the number of bundled modules and of Next files copied.
pub fn write_image_function(
    out: &Path,
    o: &ImageOverrides,
    build: &NextBuild,
    runtime_dir: &Path,
    compiled_config: &str,
    raw: &Value,
    runtime_addons: &[PathBuf],
) -> Result<(usize, usize)> {
    let dir = out.join(DIR);
    let read = |name: &str| -> Result<Vec<u8>> {
        let p = build.dist_dir.join(name);
        std::fs::read(&p).map_err(CoreError::io("read", &p))
    };
    let files = vec![
        (".next/required-server-files.json".to_string(), read("required-server-files.json")?),
        (".next/BUILD_ID".to_string(), build.build_id.clone().into_bytes()),
    ];
    let minify = raw.pointer("/imageOptimization/minify").and_then(Value::as_bool) != Some(false);
    let modules = write_function(&FunctionSpec {
        dir: dir.clone(),
        entry_file: "index.mjs",
        name: DIR,
        entry: image_entry_source(runtime_dir, o),
        runtime_dir,
        compiled_config,
        minify,
        files,
        runtime_addons,
        // The `s3` loader's SDK client comes from the Lambda runtime, as the other SDK overrides' do.
        external: &["@aws-sdk/client-s3"],
    })?;
    let (_, copied) = copy_config_dependencies(&build.standalone_dir, &dir, &traced_next_files(build)?)?;
    let report = patch_function(&dir, &copied, &[&SHARP_TO_RUST])?;
    if report.patched.is_empty() {
        return Err(CoreError::Config {
            file: build.standalone_dir.display().to_string(),
            message:
                "the image function found no `require('sharp')` to patch in Next's image optimizer; report this with your Next.js version"
                    .into(),
        });
    }
    Ok((modules, copied.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_openexts() {
        let o = image_overrides("c.ts", &json!({"default": {}})).unwrap();
        assert_eq!((o.wrapper.name(), o.converter.name(), o.loader.name()), ("aws-lambda", "aws-apigw-v2", "s3"));
        let s = image_entry_source(Path::new("/rt"), &o);
        assert!(s.contains("import imageLoader from \"/rt/overrides/imageLoader/s3.ts\";"), "{s}");
        assert!(s.contains("imageHandler(imageLoader)"), "{s}");
    }

    #[test]
    fn loaders_and_wrappers_are_checked() {
        let e = image_overrides("c.ts", &json!({"imageOptimization": {"loader": "gcs"}})).unwrap_err();
        assert!(e.to_string().contains("`imageOptimization.loader`") && e.to_string().contains("s3, s3-lite, host, fs-dev, dummy"), "{e}");
        let e = image_overrides("c.ts", &json!({"imageOptimization": {"override": {"wrapper": "cloudflare-node"}}})).unwrap_err();
        assert!(e.to_string().contains("aws-lambda, aws-lambda-streaming, dummy"), "{e}");
        // The wrapper/converter pair is checked as the server function's is.
        let streaming_v1 = json!({"imageOptimization": {"override": {"wrapper": "aws-lambda-streaming", "converter": "aws-apigw-v1"}}});
        let e = image_overrides("c.ts", &streaming_v1).unwrap_err();
        assert!(e.to_string().contains("`imageOptimization.override`") && e.to_string().contains("use one of: aws-apigw-v2"), "{e}");
        let custom = image_overrides("c.ts", &json!({"imageOptimization": {"loader": {"custom": true, "name": "mine"}}})).unwrap();
        assert!(matches!(custom.loader, OverrideChoice::Custom(_)));
    }
}
