//! `open-next.output.json` in OpenNext's schema, read by SST, CDK and Terraform.

use crate::config::{FunctionOverrides, OpenNextConfig};
use crate::error::{CoreError, Result};
use crate::utility_functions::UtilityKind;
use serde_json::{json, Map, Value};
use std::path::Path;

fn prefix(base_path: &str, pattern: &str) -> String {
    if base_path.is_empty() {
        pattern.to_string()
    } else {
        format!("{}/{}", base_path.trim_start_matches('/'), pattern)
    }
}

/// The origin of a server function: `default` or a split one (`functions.<name>`),
/// an ECS service with `override.generateDockerfile`, else a Lambda function.
fn server_origin(cfg: &OpenNextConfig, name: &str, o: &FunctionOverrides) -> Value {
    let bundle = format!(".open-next/server-functions/{name}");
    let mut origin = if crate::config::generates_dockerfile(&cfg.raw, name) {
        json!({"type": "ecs", "bundle": bundle, "dockerfile": format!("{bundle}/Dockerfile")})
    } else {
        let streaming = matches!(o.wrapper.name(), "aws-lambda-streaming" | "aws-apigw-streaming");
        json!({"type": "function", "handler": "index.handler", "bundle": bundle, "streaming": streaming})
    };
    let fields = origin.as_object_mut().expect("object");
    for (k, v) in [
        ("wrapper", o.wrapper.name()),
        ("converter", o.converter.name()),
        ("queue", o.queue.name()),
        ("incrementalCache", o.incremental_cache.name()),
        ("tagCache", o.tag_cache.name()),
    ] {
        fields.insert(k.into(), json!(v));
    }
    origin
}

/// Builds the output description. `assets_dir` is the written `assets/` folder
/// (its top-level entries become behaviors); `has_tag_seed` tells whether
/// `dynamodb-provider/` was produced.
pub fn output_json(cfg: &OpenNextConfig, base_path: &str, build_id: &str, assets_dir: &Path, has_tag_seed: bool) -> Result<Value> {
    let dangerous = cfg.raw.get("dangerous");
    let flag = |k: &str| dangerous.and_then(|d| d.get(k)).and_then(Value::as_bool);
    let disable_incremental = flag("disableIncrementalCache");
    let disable_tags = flag("disableTagCache");

    let mut copy = vec![json!({
        "from": ".open-next/assets",
        "to": if base_path.is_empty() { "_assets".to_string() } else { format!("_assets{base_path}") },
        "cached": true,
        "versionedSubDir": prefix(base_path, "_next"),
    })];
    if disable_incremental != Some(true) {
        copy.push(json!({"from": ".open-next/cache", "to": "_cache", "cached": false}));
    }
    let image = cfg.raw.get("imageOptimization");
    let image_loader =
        image.and_then(|i| i.get("loader")).and_then(|l| l.as_str().or_else(|| l.get("name").and_then(Value::as_str))).unwrap_or("s3");
    let image_wrapper = image
        .and_then(|i| i.pointer("/override/wrapper"))
        .and_then(|w| w.as_str().or_else(|| w.get("name").and_then(Value::as_str)))
        .unwrap_or("aws-lambda");
    let image_converter = image
        .and_then(|i| i.pointer("/override/converter"))
        .and_then(|w| w.as_str().or_else(|| w.get("name").and_then(Value::as_str)))
        .unwrap_or("aws-apigw-v2");

    let mut origins = Map::new();
    origins.insert("s3".into(), json!({"type": "s3", "originPath": "_assets", "copy": copy}));
    origins.insert(
        "imageOptimizer".into(),
        json!({
            "type": "function",
            "handler": "index.handler",
            "bundle": ".open-next/image-optimization-function",
            "streaming": false,
            "imageLoader": image_loader,
            "wrapper": image_wrapper,
            "converter": image_converter,
        }),
    );
    origins.insert("default".into(), server_origin(cfg, "default", &cfg.default));
    for (name, o) in &cfg.functions {
        origins.insert(name.clone(), server_origin(cfg, name, o));
    }

    // External middleware runs on the behaviors that reach the server function.
    let mut edge_functions = Map::new();
    let routed_to = |pattern: String, origin: &str| match &cfg.middleware {
        Some(_) => json!({"pattern": pattern, "origin": origin, "edgeFunction": "middleware"}),
        None => json!({"pattern": pattern, "origin": origin}),
    };
    let routed = |pattern: String| routed_to(pattern, "default");
    if let Some(m) = &cfg.middleware {
        edge_functions.insert(
            "middleware".into(),
            json!({
                "bundle": ".open-next/middleware",
                "handler": "handler.handler",
                "pathResolver": m.origin_resolver.name(),
                "wrapper": m.wrapper.name(),
                "converter": m.converter.name(),
            }),
        );
    }
    let mut behaviors = vec![json!({"pattern": prefix(base_path, "_next/image*"), "origin": "imageOptimizer"})];
    // The split functions' patterns come before the default's, as in OpenNext.
    for (name, _) in &cfg.functions {
        let patterns = cfg.raw.pointer(&format!("/functions/{name}/patterns")).and_then(Value::as_array).cloned().unwrap_or_default();
        for p in patterns.iter().filter_map(Value::as_str) {
            behaviors.push(routed_to(prefix(base_path, &p.replace("BUILD_ID", build_id)), name));
        }
    }
    behaviors.push(routed(prefix(base_path, "_next/data/*")));
    behaviors.push(routed("*".into()));
    let mut items: Vec<(String, bool)> = std::fs::read_dir(assets_dir)
        .map_err(CoreError::io("read directory", assets_dir))?
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path().is_dir()))
        .collect();
    items.sort();
    for (name, is_dir) in items {
        let pattern = if is_dir { format!("{name}/*") } else { name };
        behaviors.push(json!({"pattern": prefix(base_path, &pattern), "origin": "s3"}));
    }

    let mut additional = Map::new();
    if let Some(v) = disable_incremental {
        additional.insert("disableIncrementalCache".into(), json!(v));
    }
    if let Some(v) = disable_tags {
        additional.insert("disableTagCache".into(), json!(v));
    }
    // The functions the build writes (`UtilityKind::is_built`), under OpenNext's keys.
    for (key, kind) in [
        ("warmer", UtilityKind::Warmer),
        ("initializationFunction", UtilityKind::Initializer),
        ("revalidationFunction", UtilityKind::Revalidation),
    ] {
        if kind.is_built(&cfg.raw, has_tag_seed) {
            additional.insert(key.into(), json!({"handler": "index.handler", "bundle": format!(".open-next/{}", kind.dir())}));
        }
    }
    Ok(json!({
        "edgeFunctions": edge_functions,
        "origins": origins,
        "behaviors": behaviors,
        "additionalProps": additional,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaviors_order_and_base_path() {
        let d = std::env::temp_dir().join(format!("onc-out-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("_next/static")).unwrap();
        std::fs::write(d.join("favicon.ico"), "x").unwrap();
        std::fs::write(d.join("BUILD_ID"), "x").unwrap();
        let cfg = crate::config::parse(
            json!({"default": {"override": {"wrapper": "node", "converter": "node", "incrementalCache": "fs-dev", "tagCache": "fs-dev", "queue": "direct"}}}),
            "c.ts",
        )
        .unwrap();
        let out = output_json(&cfg, "/docs", "b1", &d, true).unwrap();
        let patterns: Vec<&str> = out["behaviors"].as_array().unwrap().iter().map(|b| b["pattern"].as_str().unwrap()).collect();
        assert_eq!(patterns, vec!["docs/_next/image*", "docs/_next/data/*", "*", "docs/BUILD_ID", "docs/_next/*", "docs/favicon.ico"]);
        assert_eq!(out["origins"]["s3"]["copy"][0]["to"], "_assets/docs");
        assert_eq!(out["origins"]["default"]["wrapper"], "node");
        assert_eq!(out["origins"]["default"]["handler"], "index.handler");
        assert_eq!(out["additionalProps"]["initializationFunction"]["bundle"], ".open-next/dynamodb-provider");
        assert_eq!(out["edgeFunctions"], json!({}));
        assert!(out["behaviors"][2].get("edgeFunction").is_none());

        let mut raw = cfg.raw.clone();
        raw["middleware"] = json!({"external": true, "originResolver": "dummy"});
        let cfg = crate::config::parse(raw, "c.ts").unwrap();
        let out = output_json(&cfg, "", "b1", &d, true).unwrap();
        assert_eq!(
            out["edgeFunctions"]["middleware"],
            json!({"bundle": ".open-next/middleware", "handler": "handler.handler", "pathResolver": "dummy", "wrapper": "aws-lambda", "converter": "aws-cloudfront"})
        );
        let with_edge: Vec<&str> = out["behaviors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["edgeFunction"] == "middleware")
            .map(|b| b["pattern"].as_str().unwrap())
            .collect();
        assert_eq!(with_edge, vec!["_next/data/*", "*"]);

        let mut raw = cfg.raw.clone();
        raw["functions"] = json!({"api": {"routes": ["app/api/hello/route"], "patterns": ["api/*", "_next/BUILD_ID/api*"], "override": {"wrapper": "aws-lambda-streaming"}}});
        let cfg = crate::config::parse(raw, "c.ts").unwrap();
        let out = output_json(&cfg, "", "b1", &d, true).unwrap();
        assert_eq!(out["origins"]["api"]["bundle"], ".open-next/server-functions/api");
        assert_eq!(out["origins"]["api"]["streaming"], true);
        assert_eq!(out["origins"]["api"]["wrapper"], "aws-lambda-streaming");
        let to_api: Vec<(usize, &str)> = out["behaviors"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .filter(|(_, b)| b["origin"] == "api")
            .map(|(i, b)| (i, b["pattern"].as_str().unwrap()))
            .collect();
        assert_eq!(to_api, vec![(1, "api/*"), (2, "_next/b1/api*")]);
        assert_eq!(out["behaviors"][1]["edgeFunction"], "middleware");
    }
}
