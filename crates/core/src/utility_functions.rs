//! The functions an OpenNext AWS stack deploys beside the server function, each
//! written by [`write_function`] from a [`FunctionSpec`]:
//!
//! | folder | config key | default overrides | runtime |
//! |---|---|---|---|
//! | `revalidation-function/` | `revalidate` | `aws-lambda` + `sqs-revalidate` | `functions/revalidation.ts` |
//! | `warmer-function/` | `warmer` | `aws-lambda` + `dummy`, `invokeFunction: "aws-lambda"` | `functions/warmer.ts` |
//! | `dynamodb-provider/` | `initializationFunction` | `aws-lambda` + `dummy`, `tagCache: "dynamodb"` (the SDK from the Lambda runtime) | `functions/initializer.ts` |

use crate::config::{pick_override, OverrideChoice, CONVERTERS, WRAPPERS};
use crate::error::{CoreError, Result};
use crate::function_folder::{js_string, override_imports, write_function, FunctionSpec};
use crate::next_app::NextBuild;
use serde_json::Value;
use std::path::Path;

/// A kind of utility function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UtilityKind {
    /// SQS revalidation messages → HEAD requests to the server function.
    Revalidation,
    /// Scheduled: invokes the server functions with warmer events.
    Warmer,
    /// CloudFormation custom resource: seeds the tag cache.
    Initializer,
}

impl UtilityKind {
    /// The folder under `.open-next/`.
    pub fn dir(self) -> &'static str {
        match self {
            UtilityKind::Revalidation => "revalidation-function",
            UtilityKind::Warmer => "warmer-function",
            UtilityKind::Initializer => "dynamodb-provider",
        }
    }

    /// The key of its options in the config (OpenNext's names).
    pub fn config_key(self) -> &'static str {
        match self {
            UtilityKind::Revalidation => "revalidate",
            UtilityKind::Warmer => "warmer",
            UtilityKind::Initializer => "initializationFunction",
        }
    }

    /// Whether the function is built and listed in `open-next.output.json`: the
    /// revalidation function unless `dangerous.disableIncrementalCache`, the warmer
    /// always, the initializer when the build has tag/path pairs to seed and
    /// `dangerous.disableTagCache` is not set.
    pub fn is_built(self, raw: &Value, has_tag_seed: bool) -> bool {
        let flag = |k: &str| raw.pointer(&format!("/dangerous/{k}")).and_then(Value::as_bool) == Some(true);
        match self {
            UtilityKind::Revalidation => !flag("disableIncrementalCache"),
            UtilityKind::Warmer => true,
            UtilityKind::Initializer => has_tag_seed && !flag("disableTagCache"),
        }
    }

    /// The npm packages the function loads from the Lambda runtime instead of
    /// carrying them: the initializer's AWS SDK DynamoDB client (its default
    /// `tagCache: "dynamodb"`), which every Lambda Node.js runtime provides, as
    /// in OpenNext's `dynamodb-provider`.
    fn external(self) -> &'static [&'static str] {
        match self {
            UtilityKind::Initializer => &["@aws-sdk/client-dynamodb"],
            _ => &[],
        }
    }

    fn default_converter(self) -> &'static str {
        match self {
            UtilityKind::Revalidation => "sqs-revalidate",
            _ => "dummy",
        }
    }

    /// The extra override of the kind, if it has one.
    fn extra(self) -> Option<ExtraOverride> {
        match self {
            UtilityKind::Revalidation => None,
            UtilityKind::Warmer => Some(ExtraOverride {
                key: "invokeFunction",
                default: "aws-lambda",
                valid: &["aws-lambda", "dummy"],
                implemented: &["aws-lambda", "dummy"],
                folder: "warmer",
                export: "default",
            }),
            UtilityKind::Initializer => Some(ExtraOverride {
                key: "tagCache",
                default: "dynamodb",
                valid: crate::config::TAG_CACHES,
                implemented: &["dynamodb", "dynamodb-lite", "dynamodb-nextMode", "fs-dev", "fs-dev-nextMode", "dummy"],
                folder: "tagCache",
                export: "seeder",
            }),
        }
    }
}

/// An override a utility function has besides its wrapper and converter
/// (`warmer.invokeFunction`, `initializationFunction.tagCache`).
struct ExtraOverride {
    /// Its key in the function's config section.
    key: &'static str,
    /// OpenNext's default.
    default: &'static str,
    /// Every name OpenNext knows.
    valid: &'static [&'static str],
    /// The names this version ships.
    implemented: &'static [&'static str],
    /// Its folder under `runtime/overrides/`.
    folder: &'static str,
    /// The export of a built-in module the function takes (`seeder`: the
    /// initializer's tag caches without their reading half).
    export: &'static str,
}

/// Wrappers and converters these functions can use in this version.
const IMPLEMENTED_WRAPPERS: &[&str] = &["aws-lambda", "dummy"];
const IMPLEMENTED_CONVERTERS: &[&str] = &["sqs-revalidate", "dummy"];

/// The overrides chosen for one utility function.
#[derive(Debug, Clone)]
pub struct UtilityOverrides {
    /// Wrapper.
    pub wrapper: OverrideChoice,
    /// Converter.
    pub converter: OverrideChoice,
    /// `warmer.invokeFunction` or `initializationFunction.tagCache`.
    pub extra: Option<OverrideChoice>,
}

/// Reads and checks the overrides of `kind` from the config.
pub fn utility_overrides(file: &str, raw: &Value, kind: UtilityKind) -> Result<UtilityOverrides> {
    let key = kind.config_key();
    let section = raw.get(key).filter(|v| !v.is_null());
    let ov = section.and_then(|s| s.get("override"));
    let wrappers: Vec<&str> = WRAPPERS.iter().map(|(w, _)| *w).collect();
    let wrapper = pick_override(file, ov, "wrapper", "aws-lambda", &wrappers, &format!("{key}.override.wrapper"))?;
    let converter = pick_override(file, ov, "converter", kind.default_converter(), CONVERTERS, &format!("{key}.override.converter"))?;
    check_available(file, &wrapper, IMPLEMENTED_WRAPPERS, &format!("{key}.override.wrapper"))?;
    check_available(file, &converter, IMPLEMENTED_CONVERTERS, &format!("{key}.override.converter"))?;
    crate::config::check_pair(file, &wrapper, &converter, &[kind.default_converter()], &format!("{key}.override"))?;
    let extra = match kind.extra() {
        Some(x) => {
            let at = format!("{key}.{}", x.key);
            let choice = pick_override(file, section, x.key, x.default, x.valid, &at)?;
            check_available(file, &choice, x.implemented, &at)?;
            Some(choice)
        }
        None => None,
    };
    Ok(UtilityOverrides { wrapper, converter, extra })
}

/// Refuses a built-in override at `at` that is not among `implemented`, naming the choices.
pub(crate) fn check_available(file: &str, choice: &OverrideChoice, implemented: &[&str], at: &str) -> Result<()> {
    match choice {
        OverrideChoice::Builtin(name) if !implemented.contains(&name.as_str()) => Err(CoreError::Config {
            file: file.to_string(),
            message: format!(
                "\"{name}\" at `{at}` is not available in this version of open-next-rs yet; available: {}, or a custom override function",
                implemented.join(", ")
            ),
        }),
        _ => Ok(()),
    }
}

/// Source of the generated entry of a utility function.
pub fn utility_entry_source(runtime_dir: &Path, kind: UtilityKind, o: &UtilityOverrides) -> String {
    let (mut src, _) = override_imports(runtime_dir, &[("wrapper", &o.wrapper), ("converter", &o.converter)]);
    let import = |rel: &str| js_string(&runtime_dir.join(rel).to_string_lossy());
    if let (Some(x), Some(choice)) = (kind.extra(), &o.extra) {
        match choice {
            OverrideChoice::Builtin(b) => src.push_str(&format!(
                "import {{ {} as {} }} from {};\n",
                x.export,
                x.key,
                import(&format!("overrides/{}/{b}.ts", x.folder))
            )),
            OverrideChoice::Custom(_) => src.push_str(&format!("const {} = undefined;\n", x.key)),
        }
    }
    src.push_str(&format!("import {{ createGenericFunction }} from {};\n", import("functions/generic.ts")));
    let handler = match kind {
        UtilityKind::Revalidation => {
            src.push_str(&format!("import {{ revalidationHandler }} from {};\n", import("functions/revalidation.ts")));
            "revalidationHandler"
        }
        UtilityKind::Warmer => {
            src.push_str(&format!("import {{ warmerHandler }} from {};\n", import("functions/warmer.ts")));
            "warmerHandler(invokeFunction)"
        }
        UtilityKind::Initializer => {
            src.push_str(&format!("import {{ initializerHandler }} from {};\n", import("functions/initializer.ts")));
            "initializerHandler(tagCache)"
        }
    };
    src.push_str(&format!(
        "export const handler = createGenericFunction({{ type: {}, handler: {handler}, wrapper, converter }});\n",
        js_string(kind.config_key())
    ));
    src
}

/// The `prerender-manifest.json` the revalidation function ships: the build's,
/// cut down to what it reads (`preview`; `version` and empty route maps keep
/// the manifest's shape). The routes are the bulk of the file and unused there.
fn revalidation_manifest(build: &NextBuild) -> Result<Vec<u8>> {
    let path = build.dist_dir.join("prerender-manifest.json");
    let bytes = std::fs::read(&path).map_err(CoreError::io("read", &path))?;
    let full: Value = serde_json::from_slice(&bytes).map_err(|e| CoreError::Json { path: path.clone(), message: e.to_string() })?;
    let slim = serde_json::json!({
        "version": full.get("version").cloned().unwrap_or(Value::from(4)),
        "routes": {},
        "dynamicRoutes": {},
        "notFoundRoutes": [],
        "preview": full.get("preview").cloned().unwrap_or(Value::Null),
    });
    Ok(serde_json::to_vec(&slim).expect("json"))
}

/// Writes one utility function folder into `out` (`.open-next/` being staged):
/// minified unless `<key>.minify` is `false` (as OpenNext ships them), the
/// revalidation function with the build's preview id beside it
/// ([`revalidation_manifest`]). (The initializer's `dynamodb-cache.json` is
/// written by the cache step.)
pub fn write_utility_function(
    out: &Path,
    kind: UtilityKind,
    o: &UtilityOverrides,
    build: &NextBuild,
    runtime_dir: &Path,
    compiled_config: &str,
    raw: &Value,
) -> Result<usize> {
    let files = match kind {
        UtilityKind::Revalidation => vec![("prerender-manifest.json".to_string(), revalidation_manifest(build)?)],
        _ => vec![],
    };
    let minify = raw.pointer(&format!("/{}/minify", kind.config_key())).and_then(Value::as_bool) != Some(false);
    write_function(&FunctionSpec {
        dir: out.join(kind.dir()),
        entry_file: "index.mjs",
        name: kind.dir(),
        entry: utility_entry_source(runtime_dir, kind, o),
        runtime_dir,
        compiled_config,
        minify,
        files,
        runtime_addons: &[],
        external: kind.external(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_openexts() {
        let raw = json!({"default": {}});
        let r = utility_overrides("c.ts", &raw, UtilityKind::Revalidation).unwrap();
        assert_eq!((r.wrapper.name(), r.converter.name()), ("aws-lambda", "sqs-revalidate"));
        let w = utility_overrides("c.ts", &raw, UtilityKind::Warmer).unwrap();
        assert_eq!(w.extra.unwrap().name(), "aws-lambda");
        let i = utility_overrides("c.ts", &raw, UtilityKind::Initializer).unwrap();
        assert_eq!((i.converter.name(), i.extra.unwrap().name()), ("dummy", "dynamodb"));
        assert_eq!(UtilityKind::Initializer.external(), ["@aws-sdk/client-dynamodb"], "taken from the Lambda runtime");
    }

    #[test]
    fn which_functions_are_built() {
        let none = json!({});
        assert!(UtilityKind::Revalidation.is_built(&none, false) && UtilityKind::Warmer.is_built(&none, false));
        assert!(!UtilityKind::Initializer.is_built(&none, false), "nothing to seed");
        assert!(UtilityKind::Initializer.is_built(&none, true));
        let off = json!({"dangerous": {"disableIncrementalCache": true, "disableTagCache": true}});
        assert!(!UtilityKind::Revalidation.is_built(&off, true) && !UtilityKind::Initializer.is_built(&off, true));
    }

    #[test]
    fn unavailable_and_unknown_names_are_refused_with_the_choices() {
        let e =
            utility_overrides("c.ts", &json!({"revalidate": {"override": {"wrapper": "node"}}}), UtilityKind::Revalidation).unwrap_err();
        assert!(e.to_string().contains("`revalidate.override.wrapper`") && e.to_string().contains("aws-lambda, dummy"), "{e}");
        // The pair is checked; `aws-lambda` also runs the kind's own default converter.
        let dummy_sqs = json!({"warmer": {"override": {"wrapper": "dummy", "converter": "sqs-revalidate"}}});
        let e = utility_overrides("c.ts", &dummy_sqs, UtilityKind::Warmer).unwrap_err();
        assert!(e.to_string().contains("`warmer.override`") && e.to_string().contains("use one of: dummy"), "{e}");
        assert!(utility_overrides("c.ts", &json!({}), UtilityKind::Warmer).is_ok(), "aws-lambda with the warmer's dummy converter");
        let e = utility_overrides("c.ts", &json!({"initializationFunction": {"tagCache": "redis"}}), UtilityKind::Initializer).unwrap_err();
        assert!(e.to_string().contains("`initializationFunction.tagCache`") && e.to_string().contains("dynamodb-lite"), "{e}");
    }

    #[test]
    fn entry_imports_the_overrides_and_the_handler() {
        let raw = json!({"warmer": {"invokeFunction": {"custom": true, "name": "mine"}}});
        let o = utility_overrides("c.ts", &raw, UtilityKind::Warmer).unwrap();
        let s = utility_entry_source(Path::new("/rt"), UtilityKind::Warmer, &o);
        assert!(s.contains("import wrapper from \"/rt/overrides/wrappers/aws-lambda.ts\";"), "{s}");
        assert!(s.contains("import converter from \"/rt/overrides/converters/dummy.ts\";"), "{s}");
        assert!(s.contains("const invokeFunction = undefined;"), "{s}");
        assert!(s.contains("handler: warmerHandler(invokeFunction)"), "{s}");
    }
}
