//! The evaluated `open-next.config.ts`, as JSON handed over by the JS side, with
//! OpenNext's option names. Overrides are strings (built-in names) or, for custom
//! lazy overrides, `{"custom": true, "name": "<override.name>"}`.

use crate::error::{CoreError, Result};
use serde_json::Value;

/// Built-in wrappers and the converters each can work with (OpenNext's matrix).
pub const WRAPPERS: &[(&str, &[&str])] = &[
    ("aws-lambda", &["aws-apigw-v1", "aws-apigw-v2", "aws-cloudfront", "sqs-revalidate"]),
    ("aws-lambda-compressed", &["aws-apigw-v2"]),
    ("aws-lambda-streaming", &["aws-apigw-v2"]),
    ("aws-apigw-streaming", &["aws-apigw-v1", "aws-apigw-v2"]),
    ("cloudflare", &["edge"]),
    ("cloudflare-edge", &["edge"]),
    ("cloudflare-node", &["edge"]),
    ("node", &["node"]),
    ("express-dev", &["node"]),
    ("dummy", &["dummy"]),
];
/// Built-in converters.
pub const CONVERTERS: &[&str] = &["aws-apigw-v2", "aws-apigw-v1", "aws-cloudfront", "edge", "node", "sqs-revalidate", "dummy"];
/// Built-in incremental caches.
pub const INCREMENTAL_CACHES: &[&str] = &["s3", "s3-lite", "multi-tier-ddb-s3", "fs-dev", "dummy"];
/// Built-in tag caches.
pub const TAG_CACHES: &[&str] = &["dynamodb", "dynamodb-lite", "dynamodb-nextMode", "fs-dev", "fs-dev-nextMode", "dummy"];
/// Built-in queues.
pub const QUEUES: &[&str] = &["sqs", "sqs-lite", "direct", "dummy"];
/// Built-in external-rewrite proxies.
pub const PROXIES: &[&str] = &["node", "fetch", "dummy"];
/// Built-in CDN invalidations (after `revalidateTag`, `revalidatePath`, `res.revalidate()`).
pub const CDN_INVALIDATIONS: &[&str] = &["cloudfront", "dummy"];
/// Built-in origin resolvers of external middleware.
pub const ORIGIN_RESOLVERS: &[&str] = &["pattern-env", "dummy"];

/// Overrides implemented by this version's runtime (the rest are valid OpenNext
/// names that are refused with a clear message until they land).
pub const IMPLEMENTED: &[(&str, &[&str])] = &[
    ("wrapper", &["node", "express-dev", "aws-lambda", "aws-lambda-streaming", "aws-lambda-compressed", "aws-apigw-streaming", "dummy"]),
    ("converter", &["node", "aws-apigw-v2", "aws-apigw-v1", "aws-cloudfront", "dummy"]),
    ("incrementalCache", &["fs-dev", "s3", "s3-lite", "multi-tier-ddb-s3", "dummy"]),
    ("tagCache", &["fs-dev", "fs-dev-nextMode", "dynamodb", "dynamodb-lite", "dynamodb-nextMode", "dummy"]),
    ("queue", &["direct", "sqs", "sqs-lite", "dummy"]),
    ("proxyExternalRequest", &["node", "fetch", "dummy"]),
    ("cdnInvalidation", &["cloudfront", "dummy"]),
];

/// One resolved override choice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum OverrideChoice {
    /// A built-in override, by name.
    Builtin(String),
    /// A custom lazy override from the config; `name` is what it reports.
    Custom(String),
}

impl OverrideChoice {
    /// The name written to open-next.output.json.
    pub fn name(&self) -> &str {
        match self {
            OverrideChoice::Builtin(n) | OverrideChoice::Custom(n) => n,
        }
    }
}

/// The override set of one server function.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FunctionOverrides {
    /// Wrapper.
    pub wrapper: OverrideChoice,
    /// Converter.
    pub converter: OverrideChoice,
    /// Incremental cache.
    pub incremental_cache: OverrideChoice,
    /// Tag cache.
    pub tag_cache: OverrideChoice,
    /// Queue.
    pub queue: OverrideChoice,
    /// Proxy of external rewrites.
    pub proxy_external_request: OverrideChoice,
    /// CDN invalidation after on-demand revalidation.
    pub cdn_invalidation: OverrideChoice,
}

impl FunctionOverrides {
    /// Each override with its config key (OpenNext's names), in a fixed order.
    pub fn kinds(&self) -> [(&'static str, &OverrideChoice); 7] {
        [
            ("wrapper", &self.wrapper),
            ("converter", &self.converter),
            ("incrementalCache", &self.incremental_cache),
            ("tagCache", &self.tag_cache),
            ("queue", &self.queue),
            ("proxyExternalRequest", &self.proxy_external_request),
            ("cdnInvalidation", &self.cdn_invalidation),
        ]
    }
}

/// The overrides of the external middleware function (`middleware: { external: true }`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct MiddlewareOverrides {
    /// Wrapper (OpenNext's default for middleware: `aws-lambda`).
    pub wrapper: OverrideChoice,
    /// Converter (default `aws-cloudfront`).
    pub converter: OverrideChoice,
    /// Picks the origin a routed request goes to (default `pattern-env`).
    pub origin_resolver: OverrideChoice,
    /// Proxy of external rewrites answered at the edge.
    pub proxy_external_request: OverrideChoice,
}

impl MiddlewareOverrides {
    /// Each override with its config key, in a fixed order.
    pub fn kinds(&self) -> [(&'static str, &OverrideChoice); 4] {
        [
            ("wrapper", &self.wrapper),
            ("converter", &self.converter),
            ("originResolver", &self.origin_resolver),
            ("proxyExternalRequest", &self.proxy_external_request),
        ]
    }
}

/// Middleware overrides implemented by this version.
pub const MIDDLEWARE_IMPLEMENTED: &[(&str, &[&str])] = &[
    ("wrapper", &["aws-lambda"]),
    ("converter", &["aws-cloudfront"]),
    ("originResolver", &["pattern-env", "dummy"]),
    ("proxyExternalRequest", &["node", "fetch", "dummy"]),
];

/// The validated config.
#[derive(Debug, Clone)]
pub struct OpenNextConfig {
    /// The raw JSON (for values the core does not interpret).
    pub raw: Value,
    /// File the config came from, for messages.
    pub file: String,
    /// Overrides of the default server function.
    pub default: FunctionOverrides,
    /// External middleware, when `middleware.external` is `true`.
    pub middleware: Option<MiddlewareOverrides>,
    /// Split server functions (`functions.<name>`), in config order.
    pub functions: Vec<(String, FunctionOverrides)>,
}

/// Reads `middleware` (`None` unless `external: true`) and checks its overrides exist in this version.
pub fn middleware_overrides(file: &str, raw: &Value) -> Result<Option<MiddlewareOverrides>> {
    let Some(mw) = raw.get("middleware").filter(|m| !m.is_null()) else {
        return Ok(None);
    };
    match mw.get("external") {
        Some(Value::Bool(true)) => {}
        None | Some(Value::Bool(false)) => return Ok(None),
        Some(other) => {
            return Err(CoreError::Config {
                file: file.to_string(),
                message: format!("`middleware.external` must be true or false, got {other}"),
            })
        }
    }
    let ov = mw.get("override");
    let wrappers: Vec<&str> = WRAPPERS.iter().map(|(w, _)| *w).collect();
    let resolver = pick_override(file, Some(mw), "originResolver", "pattern-env", ORIGIN_RESOLVERS, "middleware.originResolver")?;
    let o = MiddlewareOverrides {
        wrapper: pick(file, ov, "wrapper", "aws-lambda", &wrappers, "middleware")?,
        converter: pick(file, ov, "converter", "aws-cloudfront", CONVERTERS, "middleware")?,
        origin_resolver: resolver,
        proxy_external_request: pick(file, ov, "proxyExternalRequest", "node", PROXIES, "middleware")?,
    };
    check_pair(file, &o.wrapper, &o.converter, &[], "middleware.override")?;
    for (kind, choice) in o.kinds() {
        if let OverrideChoice::Builtin(name) = choice {
            let implemented = MIDDLEWARE_IMPLEMENTED.iter().find(|(k, _)| *k == kind).map(|(_, v)| *v).unwrap_or(&[]);
            if !implemented.contains(&name.as_str()) {
                let at =
                    if kind == "originResolver" { "middleware.originResolver".to_string() } else { format!("middleware.override.{kind}") };
                return Err(CoreError::Config {
                    file: file.to_string(),
                    message: format!(
                        "the built-in {kind} \"{name}\" (`{at}`) is not available for external middleware in this version of open-next-rs; available: {}, or a custom override function",
                        implemented.join(", ")
                    ),
                });
            }
        }
    }
    Ok(Some(o))
}

fn pick(file: &str, obj: Option<&Value>, key: &str, default: &str, valid: &[&str], at: &str) -> Result<OverrideChoice> {
    pick_override(file, obj, key, default, valid, &format!("{at}.override.{key}"))
}

/// [`pick`] with the option's full path (`option`) for messages.
pub(crate) fn pick_override(
    file: &str,
    obj: Option<&Value>,
    key: &str,
    default: &str,
    valid: &[&str],
    option: &str,
) -> Result<OverrideChoice> {
    match obj.and_then(|o| o.get(key)) {
        None | Some(Value::Null) => Ok(OverrideChoice::Builtin(default.to_string())),
        Some(Value::String(s)) => {
            if valid.contains(&s.as_str()) {
                Ok(OverrideChoice::Builtin(s.clone()))
            } else {
                Err(CoreError::Config {
                    file: file.to_string(),
                    message: format!(
                        "unknown {key} override \"{s}\" at `{option}`; valid values: {}, or a custom override function",
                        valid.join(", ")
                    ),
                })
            }
        }
        Some(Value::Object(o)) if o.get("custom").and_then(Value::as_bool) == Some(true) => {
            Ok(OverrideChoice::Custom(o.get("name").and_then(Value::as_str).unwrap_or("custom").to_string()))
        }
        Some(other) => Err(CoreError::Config {
            file: file.to_string(),
            message: format!("`{option}` must be a string or a function returning a Promise of the override, got {other}"),
        }),
    }
}

/// Reads the overrides of a function config (`default`, `functions.x`, ...).
pub fn function_overrides(file: &str, fn_config: Option<&Value>, at: &str) -> Result<FunctionOverrides> {
    let ov = fn_config.and_then(|f| f.get("override"));
    let wrappers: Vec<&str> = WRAPPERS.iter().map(|(w, _)| *w).collect();
    let res = FunctionOverrides {
        wrapper: pick(file, ov, "wrapper", "aws-lambda", &wrappers, at)?,
        converter: pick(file, ov, "converter", "aws-apigw-v2", CONVERTERS, at)?,
        incremental_cache: pick(file, ov, "incrementalCache", "s3-lite", INCREMENTAL_CACHES, at)?,
        tag_cache: pick(file, ov, "tagCache", "dynamodb-lite", TAG_CACHES, at)?,
        queue: pick(file, ov, "queue", "sqs-lite", QUEUES, at)?,
        proxy_external_request: pick(file, ov, "proxyExternalRequest", "node", PROXIES, at)?,
        cdn_invalidation: pick(file, ov, "cdnInvalidation", "dummy", CDN_INVALIDATIONS, at)?,
    };
    check_pair(file, &res.wrapper, &res.converter, &[], &format!("{at}.override"))?;
    Ok(res)
}

/// Refuses a built-in wrapper and converter that cannot work together (OpenNext's
/// compatibility matrix, [`WRAPPERS`]), for every kind of function. `lambda_also`
/// are converters a function kind also runs with under `aws-lambda` (the warmer's
/// and the initializer's `dummy`, as OpenNext builds them). Custom overrides are not
/// checked.
pub fn check_pair(file: &str, wrapper: &OverrideChoice, converter: &OverrideChoice, lambda_also: &[&str], at: &str) -> Result<()> {
    let (OverrideChoice::Builtin(w), OverrideChoice::Builtin(c)) = (wrapper, converter) else {
        return Ok(());
    };
    let ok = WRAPPERS.iter().find(|(name, _)| name == w).map(|(_, cs)| *cs).unwrap_or(&[]);
    if ok.contains(&c.as_str()) || (w == "aws-lambda" && lambda_also.contains(&c.as_str())) {
        return Ok(());
    }
    Err(CoreError::Config {
        file: file.to_string(),
        message: format!(
            "wrapper \"{w}\" cannot work with converter \"{c}\" (at `{at}`); with wrapper \"{w}\" use one of: {}",
            ok.join(", ")
        ),
    })
}

/// Refuses built-in overrides that this version does not ship yet.
pub fn check_implemented(file: &str, o: &FunctionOverrides, at: &str) -> Result<()> {
    for (kind, choice) in o.kinds() {
        if let OverrideChoice::Builtin(name) = choice {
            let implemented = IMPLEMENTED.iter().find(|(k, _)| *k == kind).map(|(_, v)| *v).unwrap_or(&[]);
            if !implemented.contains(&name.as_str()) {
                return Err(CoreError::Config {
                    file: file.to_string(),
                    message: format!(
                        "the built-in {kind} \"{name}\" (`{at}.override.{kind}`{}) is not available in this version of open-next-rs yet; available: {}. Set it explicitly in open-next.config.ts, or provide a custom override function",
                        if o_is_default(choice, kind) { ", the OpenNext default" } else { "" },
                        implemented.join(", ")
                    ),
                });
            }
        }
    }
    Ok(())
}

fn o_is_default(choice: &OverrideChoice, kind: &str) -> bool {
    let default = match kind {
        "wrapper" => "aws-lambda",
        "converter" => "aws-apigw-v2",
        "incrementalCache" => "s3-lite",
        "tagCache" => "dynamodb-lite",
        "proxyExternalRequest" => "node",
        "cdnInvalidation" => "dummy",
        _ => "sqs-lite",
    };
    choice.name() == default
}

/// Parses and validates the evaluated config.
pub fn parse(raw: Value, file: &str) -> Result<OpenNextConfig> {
    if !raw.is_object() {
        return Err(CoreError::Config {
            file: file.into(),
            message: "the config must `export default` an object (use `defineConfig({...})`)".into(),
        });
    }
    if raw.get("default").is_some_and(|d| !d.is_object()) {
        return Err(CoreError::Config { file: file.into(), message: "`default` must be an object with an `override` field".into() });
    }
    let default = function_overrides(file, raw.get("default"), "default")?;
    let middleware = middleware_overrides(file, &raw)?;
    let functions = split_functions(file, &raw)?;
    Ok(OpenNextConfig { raw, file: file.to_string(), default, middleware, functions })
}

/// Where a server function's options are, for messages: `default`, or
/// `functions.<name>` for a split one.
pub fn server_function_at(name: &str) -> String {
    if name == "default" {
        "default".into()
    } else {
        format!("functions.{name}")
    }
}

/// A server function's options (see [`server_function_at`]).
pub fn server_function_config<'a>(raw: &'a Value, name: &str) -> Option<&'a Value> {
    if name == "default" {
        raw.get("default")
    } else {
        raw.get("functions").and_then(|f| f.get(name))
    }
}

/// Whether a server function is built as a Docker image (`override.generateDockerfile`).
pub fn generates_dockerfile(raw: &Value, name: &str) -> bool {
    server_function_config(raw, name).and_then(|f| f.pointer("/override/generateDockerfile")).and_then(Value::as_bool) == Some(true)
}

/// Reads `functions`: each split server function's overrides. Its name becomes a
/// folder (`server-functions/<name>`) and an origin of `open-next.output.json`.
fn split_functions(file: &str, raw: &Value) -> Result<Vec<(String, FunctionOverrides)>> {
    let err = |message: String| CoreError::Config { file: file.into(), message };
    let Some(functions) = raw.get("functions") else { return Ok(vec![]) };
    let Some(functions) = functions.as_object() else {
        return Err(err(
            "`functions` must be an object of split server functions, e.g. `{ api: { routes: [...], patterns: [\"/api/*\"] } }`".into(),
        ));
    };
    let mut out = vec![];
    for (name, f) in functions {
        let at = server_function_at(name);
        if name == "default" || name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(err(format!("`{at}`: a split function's name must be letters, digits, `-` or `_`, and not `default`")));
        }
        if f.get("placement").and_then(Value::as_str).is_some_and(|p| p != "regional") {
            return Err(err(format!(
                "`{at}.placement`: only \"regional\" split functions are supported by this version; remove `placement`"
            )));
        }
        let patterns = f.get("patterns").and_then(Value::as_array);
        if patterns.is_none_or(|p| p.is_empty() || p.iter().any(|x| !x.is_string())) {
            return Err(err(format!("`{at}.patterns` must list the paths the function serves, e.g. [\"/api/*\"]")));
        }
        let overrides = function_overrides(file, Some(f), &at)?;
        check_implemented(file, &overrides, &at)?;
        out.push((name.clone(), overrides));
    }
    Ok(out)
}

/// Checks that each split function's `routes` name existing routes
/// (`app/<entry>` or `pages/<entry>`), listing the known ones otherwise.
pub fn check_function_routes(cfg: &OpenNextConfig, app_routes: &[String], pages_routes: &[String]) -> Result<()> {
    let Some(funcs) = cfg.raw.get("functions").and_then(Value::as_object) else {
        return Ok(());
    };
    let known: Vec<String> = app_routes
        .iter()
        .map(|r| format!("app{r}"))
        .chain(pages_routes.iter().map(|r| format!("pages{}", if r == "/" { "/index" } else { r })))
        .collect();
    for (name, f) in funcs {
        let at = format!("functions.{name}");
        function_overrides(&cfg.file, Some(f), &at)?;
        let routes = f.get("routes").and_then(Value::as_array).cloned().unwrap_or_default();
        if routes.is_empty() {
            return Err(CoreError::Config {
                file: cfg.file.clone(),
                message: format!("`{at}.routes` must list at least one route, e.g. \"app/api/hello/route\" or \"pages/api/hello\""),
            });
        }
        for r in routes {
            let r = r.as_str().unwrap_or_default();
            if !known.iter().any(|k| k == r) {
                let mut sample: Vec<&str> = known.iter().map(String::as_str).take(12).collect();
                sample.sort();
                return Err(CoreError::Config {
                    file: cfg.file.clone(),
                    message: format!(
                        "`{at}.routes` contains \"{r}\", which matches no route of this app; known routes include: {}",
                        sample.join(", ")
                    ),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node_cfg() -> Value {
        json!({"default": {"override": {"wrapper": "node", "converter": "node", "incrementalCache": "fs-dev", "tagCache": "fs-dev", "queue": "direct"}}})
    }

    #[test]
    fn valid_node_config() {
        let c = parse(node_cfg(), "c.ts").unwrap();
        assert_eq!(c.default.wrapper.name(), "node");
        check_implemented("c.ts", &c.default, "default").unwrap();
    }

    #[test]
    fn unknown_override_lists_valid_names() {
        let e = parse(json!({"default": {"override": {"wrapper": "nodee"}}}), "c.ts").unwrap_err().to_string();
        assert!(e.contains("\"nodee\""), "{e}");
        assert!(e.contains("aws-lambda-streaming"), "{e}");
        assert!(e.contains("c.ts"), "{e}");
    }

    #[test]
    fn incompatible_pair() {
        let e = parse(json!({"default": {"override": {"wrapper": "node", "converter": "aws-apigw-v2"}}}), "c.ts").unwrap_err().to_string();
        assert!(e.contains("cannot work with converter"), "{e}");
        assert!(e.contains("use one of: node"), "{e}");
        // A streaming wrapper cannot answer through a converter that buffers (CloudFront, SQS).
        let e = parse(json!({"default": {"override": {"wrapper": "aws-lambda-streaming", "converter": "aws-cloudfront"}}}), "c.ts")
            .unwrap_err()
            .to_string();
        assert!(e.contains("use one of: aws-apigw-v2"), "{e}");
    }

    #[test]
    fn cdn_invalidation_is_a_function_override() {
        let c = parse(json!({"default": {"override": {"cdnInvalidation": "cloudfront"}}}), "c.ts").unwrap();
        assert_eq!(c.default.cdn_invalidation, OverrideChoice::Builtin("cloudfront".into()));
        assert_eq!(parse(json!({}), "c.ts").unwrap().default.cdn_invalidation.name(), "dummy");
        let e = parse(json!({"default": {"override": {"cdnInvalidation": "fastly"}}}), "c.ts").unwrap_err().to_string();
        assert!(e.contains("`default.override.cdnInvalidation`") && e.contains("cloudfront, dummy"), "{e}");
    }

    #[test]
    fn custom_overrides_pass() {
        let c = parse(json!({"default": {"override": {"wrapper": {"custom": true, "name": "mine"}, "converter": "aws-apigw-v2"}}}), "c.ts")
            .unwrap();
        assert_eq!(c.default.wrapper, OverrideChoice::Custom("mine".into()));
    }

    #[test]
    fn external_middleware_defaults_and_checks() {
        let mut raw = node_cfg();
        assert!(parse(raw.clone(), "c.ts").unwrap().middleware.is_none());
        raw["middleware"] = json!({"external": true});
        let m = parse(raw.clone(), "c.ts").unwrap().middleware.unwrap();
        assert_eq!(m.kinds().map(|(_, c)| c.name().to_string()), ["aws-lambda", "aws-cloudfront", "pattern-env", "node"].map(String::from));
        raw["middleware"] = json!({"external": true, "originResolver": "nope"});
        let e = parse(raw.clone(), "c.ts").unwrap_err().to_string();
        assert!(e.contains("`middleware.originResolver`") && e.contains("pattern-env, dummy"), "{e}");
        raw["middleware"] = json!({"external": true, "override": {"wrapper": "node", "converter": "node"}});
        let e = parse(raw.clone(), "c.ts").unwrap_err().to_string();
        assert!(e.contains("`middleware.override.wrapper`") && e.contains("aws-lambda"), "{e}");
        raw["middleware"] = json!({"external": "yes"});
        assert!(parse(raw, "c.ts").unwrap_err().to_string().contains("`middleware.external` must be true or false"));
    }

    #[test]
    fn function_routes_must_exist() {
        let mut raw = node_cfg();
        raw["functions"] =
            json!({"api": {"routes": ["app/api/nope/route"], "patterns": ["api/*"], "override": {"wrapper": "node", "converter": "node"}}});
        let c = parse(raw.clone(), "c.ts").unwrap();
        assert_eq!(c.functions.iter().map(|(n, o)| (n.as_str(), o.wrapper.name())).collect::<Vec<_>>(), vec![("api", "node")]);
        let e = check_function_routes(&c, &["/api/echo/route".into()], &["/api/hello".into()]).unwrap_err().to_string();
        assert!(e.contains("app/api/nope/route"), "{e}");
        assert!(e.contains("app/api/echo/route"), "{e}");
        raw["functions"] = json!({"api": {"routes": ["app/api/echo/route"]}});
        assert!(parse(raw.clone(), "c.ts").unwrap_err().to_string().contains("`functions.api.patterns` must list"));
        raw["functions"] = json!({"a/b": {"routes": [], "patterns": ["x"]}});
        assert!(parse(raw.clone(), "c.ts").unwrap_err().to_string().contains("`functions.a/b`: a split function's name"));
        raw["functions"] = json!({"edge": {"routes": [], "patterns": ["x"], "placement": "global"}});
        assert!(parse(raw, "c.ts").unwrap_err().to_string().contains("only \"regional\""));
    }
}
