//! The post-`next build` pipeline: reads the build, then writes assets, cache,
//! server function and output description in parallel into a staging directory
//! that replaces `.open-next/` only when everything succeeded.

use crate::assets::create_static_assets;
use crate::cache::create_cache_assets;
use crate::config::{self, FunctionOverrides, OpenNextConfig};
use crate::error::Result;
use crate::fsutil::{write, StagingDir};
use crate::function_folder::Addon;
use crate::image_function::{image_overrides, write_image_function, ImageOverrides};
use crate::middleware_function::{check_edge_middleware, new_route_key, write_middleware_function, MiddlewareCode};
use crate::next_app::{find_app, read_build, run_build, NextApp, NextBuild};
use crate::output::output_json;
use crate::patch::{patch_function, SERVER_PATCHES};
use crate::resolutions::write_resolutions;
use crate::server_function::{
    copy_config_dependencies, copy_self_hosted_assets, copy_traced_files, is_self_hosted_wrapper, routing_table_json, write_function_code,
    FunctionCode,
};
use crate::targets::{function_targets, select_addons, Runs, Selected};
use crate::utility_functions::{utility_overrides, write_utility_function, UtilityKind};
use rayon::prelude::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Inputs of [`build`].
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Directory the command runs in (the app, or where `appPath` is relative to).
    pub cwd: PathBuf,
    /// The evaluated config as JSON (see [`crate::config`]).
    pub config: Value,
    /// Config file path for messages (`None`: defaults).
    pub config_file: Option<PathBuf>,
    /// Compiled config module (ESM) shipped as `open-next.config.mjs`.
    pub compiled_config: String,
    /// Directory with the runtime TypeScript sources.
    pub runtime_dir: PathBuf,
    /// Accept Next.js versions outside the supported range.
    pub dangerously_use_unsupported_next_version: bool,
    /// Skip running the Next.js build (use existing `.next/`).
    pub skip_next_build: bool,
    /// Our Deployment Adapter module, passed to Next >= 16.2 as `NEXT_ADAPTER_PATH`.
    pub adapter_path: Option<PathBuf>,
    /// Absolute paths of the files the compiled config needs at run time (its npm
    /// imports, traced where it was evaluated); copied into every function.
    pub config_traced_files: Vec<PathBuf>,
    /// The runtime addons found (`open-next-runtime.<target>.node`, the Router, and
    /// `open-next-image.<target>.node`, the image stage); each function gets those of
    /// its targets ([`crate::targets`]).
    pub runtime_addons: Vec<PathBuf>,
}

/// Wall time of one phase.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Phase {
    /// Phase name.
    pub name: String,
    /// Milliseconds.
    pub ms: f64,
}

/// What [`build`] produced.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildReport {
    /// Absolute path of `.open-next/`.
    pub output_dir: String,
    /// Installed Next.js version.
    pub next_version: String,
    /// How the build output was read: `"adapter"` (Deployment Adapter API) or `"manifests"`.
    pub input: String,
    /// The command that ran the Next.js build (absent with `skip_next_build`).
    pub build_command: Option<String>,
    /// BUILD_ID.
    pub build_id: String,
    /// Phases in completion order with their wall time.
    pub phases: Vec<Phase>,
    /// Wall time after `next build` (ms).
    pub post_build_ms: f64,
    /// The `open-next.output.json` content.
    pub output: Value,
    /// Counters (files copied, cache entries, ...).
    pub stats: Value,
    /// Non-fatal notes for the user.
    pub warnings: Vec<String>,
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}

/// Runs the whole build.
pub fn build(opts: &BuildOptions) -> Result<BuildReport> {
    let file = opts.config_file.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "<default config>".into());
    let raw_str = |k: &str| opts.config.get(k).and_then(Value::as_str).map(|p| opts.cwd.join(p));
    let app_path = raw_str("appPath").unwrap_or_else(|| opts.cwd.clone());
    let output_root = raw_str("buildOutputPath").unwrap_or_else(|| app_path.clone());
    let app = find_app(&app_path, opts.dangerously_use_unsupported_next_version)?;
    let cfg: OpenNextConfig = config::parse(opts.config.clone(), &file)?;
    config::check_implemented(&file, &cfg.default, "default")?;
    let utilities = [UtilityKind::Revalidation, UtilityKind::Warmer, UtilityKind::Initializer]
        .into_iter()
        .map(|kind| Ok((kind, utility_overrides(&file, &cfg.raw, kind)?)))
        .collect::<Result<Vec<_>>>()?;
    let image = image_overrides(&file, &cfg.raw)?;
    let mut phases = Vec::new();
    let mut warnings = Vec::new();
    if !app.supported {
        warnings.push(format!(
            "Next.js {} is outside the supported range {}; continuing because of --dangerously-use-unsupported-next-version",
            app.next_version,
            crate::next_app::SUPPORTED_RANGE
        ));
    }
    let addons = FunctionAddons::select(&file, &cfg, &image, &opts.runtime_addons)?;
    warnings.extend(addons.warnings());
    let mut build_command = None;
    if !opts.skip_next_build {
        let t = Instant::now();
        let cmd = cfg.raw.get("buildCommand").and_then(Value::as_str);
        let mut env = Vec::new();
        if let Some(p) = opts.adapter_path.as_ref().filter(|_| crate::next_app::has_adapter_api(&app.next_version)) {
            env.push(("NEXT_ADAPTER_PATH".to_string(), p.display().to_string()));
        }
        build_command = Some(crate::next_app::build_command_for(&app, cmd));
        run_build(&app, cmd, &env)?;
        phases.push(Phase { name: "next build".into(), ms: ms(t) });
    }
    let post = Instant::now();
    let t = Instant::now();
    let nb = read_build(&app)?;
    config::check_function_routes(&cfg, &nb.app_routes, &nb.pages_routes)?;
    // External middleware: the app's middleware must be able to run at the edge; the
    // routing decisions it sends the server function are signed with a key of this build.
    let route_key = match &cfg.middleware {
        Some(_) => {
            check_edge_middleware(&nb, &file)?;
            Some(new_route_key()?)
        }
        None => None,
    };
    phases.push(Phase { name: "read build output".into(), ms: ms(t) });
    // Compiled once (every regex checked here, before anything is written) and
    // shipped by the server function and the external middleware alike.
    let t = Instant::now();
    let routing_json = routing_table_json(&nb, &app.next_version)?;
    phases.push(Phase { name: "routing table".into(), ms: ms(t) });

    let target = output_root.join(".open-next");
    let mut staging = StagingDir::new(&target)?;
    // The inputs are good: delete the previous output while the new one is written.
    staging.retire_previous()?;
    let out = staging.path().to_path_buf();
    let fn_dir = out.join("server-functions/default");
    let with_tags = cfg.raw.pointer("/dangerous/disableTagCache").and_then(Value::as_bool) != Some(true);

    let timed = |name: &str, f: &dyn Fn() -> Result<Value>| -> Result<(Phase, Value)> {
        let t = Instant::now();
        let v = f()?;
        Ok((Phase { name: name.to_string(), ms: ms(t) }, v))
    };
    let (((assets, image_fn), cache), (copy, code)) = rayon::join(
        || {
            rayon::join(
                || {
                    // The image function (a trace of Next's optimizer, a copy, a bundle) runs beside the
                    // server function's steps, not after them.
                    rayon::join(
                        || {
                            timed("static assets", &|| {
                                create_static_assets(&app, &nb, &out).map(|s| json!({"files": s.files, "bytes": s.bytes}))
                            })
                        },
                        || {
                            timed("image function", &|| {
                                let (modules, files) = write_image_function(
                                    &out,
                                    &image,
                                    &nb,
                                    &opts.runtime_dir,
                                    &opts.compiled_config,
                                    &cfg.raw,
                                    &addons.image.files,
                                )?;
                                Ok(json!({"modules": modules, "nextFiles": files}))
                            })
                        },
                    )
                },
                || {
                    timed("cache assets", &|| {
                        let c = create_cache_assets(&nb, &app.next_version, &out, with_tags)?;
                        if !c.tag_items.is_empty() {
                            let dir = out.join("dynamodb-provider");
                            write(&dir.join("dynamodb-cache.json"), serde_json::to_vec(&c.tag_items).expect("json"))?;
                        }
                        Ok(json!({"entries": c.entries, "fetchEntries": c.fetch_entries, "tagItems": c.tag_items.len()}))
                    })
                },
            )
        },
        || {
            rayon::join(
                || -> Result<((Phase, Value), (Phase, Value))> {
                    let files = std::sync::Mutex::new(Vec::new());
                    let copied = timed("server function: copy traced files", &|| {
                        let (stats, f) = copy_server_files(&app, &nb, opts, &fn_dir, cfg.default.wrapper.name())?;
                        *files.lock().expect("not poisoned") = f;
                        Ok(stats)
                    })?;
                    let files = files.into_inner().expect("not poisoned");
                    let patched = timed("server function: patch Next.js", &|| {
                        let r = patch_function(&fn_dir, &files, SERVER_PATCHES)?;
                        Ok(json!(r.patched))
                    })?;
                    Ok((copied, patched))
                },
                || {
                    timed("bundle functions (server, middleware, revalidation, warmer)", &|| {
                        let code = server_code("default", &cfg.default, &cfg, opts, &addons.server.files, &route_key, &routing_json);
                        let modules = write_function_code(&nb, &fn_dir, &code)?;
                        // The functions that need nothing of the other steps are bundled here, beside the
                        // server runtime; the initializer waits for the cache step's tag seed.
                        let mut functions = serde_json::Map::new();
                        for (kind, overrides) in
                            utilities.iter().filter(|(k, _)| *k != UtilityKind::Initializer && k.is_built(&cfg.raw, false))
                        {
                            let modules =
                                write_utility_function(&out, *kind, overrides, &nb, &opts.runtime_dir, &opts.compiled_config, &cfg.raw)?;
                            functions.insert(kind.dir().to_string(), json!({"modules": modules}));
                        }
                        let middleware = match (&cfg.middleware, &route_key) {
                            (Some(overrides), Some(key)) => write_middleware_function(
                                &nb,
                                &out.join("middleware"),
                                &MiddlewareCode {
                                    runtime_dir: &opts.runtime_dir,
                                    overrides,
                                    compiled_config: &opts.compiled_config,
                                    minify: cfg.raw.pointer("/middleware/minify").and_then(Value::as_bool) == Some(true),
                                    runtime_addons: addons.middleware.as_ref().map_or(&[][..], |m| &m.files),
                                    route_key: key,
                                    config_file: &file,
                                    routing_json: routing_json.as_deref(),
                                },
                            )?,
                            _ => Value::Null,
                        };
                        Ok(json!({"modules": modules, "middleware": middleware, "functions": functions}))
                    })
                },
            )
        },
    );
    let (assets, image_fn, cache, (copy, patched), code) = (assets?, image_fn?, cache?, copy?, code?);
    // Once its files and bundle are in place: where each of their `require`s resolves.
    let requires = timed("server function: require map", &|| {
        let s = write_resolutions(&fn_dir, &fn_dir.join(&nb.package_path))?;
        Ok(json!({"files": s.files, "entries": s.entries}))
    })?;
    let patched_names: Vec<&str> = patched.1.as_array().into_iter().flatten().filter_map(|p| p.get(0).and_then(Value::as_str)).collect();
    for p in SERVER_PATCHES {
        if !patched_names.contains(&p.name) {
            warnings.push(format!(
                "Next.js code patch `{}` found nothing to patch in Next.js {}; report this if the version is supported",
                p.name, app.next_version
            ));
        }
    }
    // Split server functions (`functions.<name>`): the same steps as the default one, each
    // carrying the whole app for now (OpenNext keeps only their routes).
    let t = Instant::now();
    let split: Vec<Value> = cfg
        .functions
        .par_iter()
        .zip(&addons.split)
        .map(|((name, overrides), selected)| -> Result<Value> {
            let dir = out.join("server-functions").join(name);
            let (copied, files) = copy_server_files(&app, &nb, opts, &dir, overrides.wrapper.name())?;
            let patched = patch_function(&dir, &files, SERVER_PATCHES)?;
            let code = server_code(name, overrides, &cfg, opts, &selected.files, &route_key, &routing_json);
            let modules = write_function_code(&nb, &dir, &code)?;
            let requires = write_resolutions(&dir, &dir.join(&nb.package_path))?;
            Ok(json!({"name": name, "copy": copied, "patched": patched.patched.len(), "modules": modules, "requireMap": requires.entries}))
        })
        .collect::<Result<_>>()?;
    if !split.is_empty() {
        phases.push(Phase { name: "split server functions".into(), ms: ms(t) });
    }
    let has_tag_seed = cache.1["tagItems"].as_u64().unwrap_or(0) > 0;
    for (p, _) in [&assets, &cache, &copy, &patched, &code, &requires, &image_fn] {
        phases.push(p.clone());
    }
    let initializer = utilities.iter().find(|(k, _)| *k == UtilityKind::Initializer).filter(|(k, _)| k.is_built(&cfg.raw, has_tag_seed));
    if let Some((kind, overrides)) = initializer {
        let t = Instant::now();
        write_utility_function(&out, *kind, overrides, &nb, &opts.runtime_dir, &opts.compiled_config, &cfg.raw)?;
        phases.push(Phase { name: "initializer function".into(), ms: ms(t) });
    }
    let t = Instant::now();
    let mut output = output_json(&cfg, &nb.base_path, &nb.build_id, &out.join("assets"), has_tag_seed)?;
    addons.describe(&mut output, &cfg);
    write(&out.join("open-next.output.json"), serde_json::to_vec_pretty(&output).expect("json"))?;
    staging.commit()?;
    phases.push(Phase { name: "output".into(), ms: ms(t) });
    Ok(BuildReport {
        output_dir: target.display().to_string(),
        next_version: app.next_version.clone(),
        build_command,
        input: if nb.adapter.is_some() { "adapter" } else { "manifests" }.to_string(),
        build_id: nb.build_id.clone(),
        phases,
        post_build_ms: ms(post),
        output,
        stats: json!({"staticAssets": assets.1, "cache": cache.1, "serverFunction": {"copy": copy.1, "patched": patched.1, "bundle": code.1, "requireMap": requires.1}, "splitFunctions": split, "imageFunction": image_fn.1}),
        warnings,
    })
}

/// The addons each function ships, chosen from its targets.
struct FunctionAddons {
    server: Selected,
    /// Those of `cfg.functions`, in the same order.
    split: Vec<Selected>,
    image: Selected,
    middleware: Option<Selected>,
}

impl FunctionAddons {
    fn select(file: &str, cfg: &OpenNextConfig, image: &ImageOverrides, all: &[PathBuf]) -> Result<Self> {
        let runs = |wrapper: &str| if is_self_hosted_wrapper(wrapper) { Runs::SelfHosted } else { Runs::Lambda };
        let server_fn = |name: &str, overrides: &FunctionOverrides| -> Result<Selected> {
            let section = config::server_function_config(&cfg.raw, name);
            let runs = if config::generates_dockerfile(&cfg.raw, name) { Runs::Container } else { runs(overrides.wrapper.name()) };
            // A self-hosted server answers `/_next/image` itself, so it carries the image stage too.
            let self_hosted = is_self_hosted_wrapper(overrides.wrapper.name());
            let kinds: &[Addon] = if self_hosted { &[Addon::Router, Addon::Image] } else { &[Addon::Router] };
            select_addons(all, kinds, &function_targets(file, section, &config::server_function_at(name), runs)?, name)
        };
        let server = server_fn("default", &cfg.default)?;
        let split = cfg.functions.iter().map(|(name, o)| server_fn(name, o)).collect::<Result<Vec<_>>>()?;
        // OpenNext's image function is arm64 unless its loader is `fs-dev` (then the build machine's).
        let image_runs = match runs(image.wrapper.name()) {
            Runs::Lambda if image.loader.name() == "fs-dev" => Runs::SelfHosted,
            Runs::Lambda => Runs::LambdaImage,
            other => other,
        };
        let image_targets = function_targets(file, cfg.raw.get("imageOptimization"), "imageOptimization", image_runs)?;
        let image = select_addons(all, &[Addon::Image], &image_targets, "image optimization")?;
        let middleware = match &cfg.middleware {
            Some(_) => {
                let targets = function_targets(file, cfg.raw.get("middleware"), "middleware", Runs::Edge)?;
                Some(select_addons(all, &[Addon::Router], &targets, "middleware")?)
            }
            None => None,
        };
        Ok(FunctionAddons { server, split, image, middleware })
    }

    fn warnings(&self) -> Vec<String> {
        [Some(&self.server), Some(&self.image), self.middleware.as_ref()]
            .into_iter()
            .flatten()
            .chain(&self.split)
            .filter_map(|s| s.warning.clone())
            .collect()
    }

    /// Adds each function's Lambda `architectures` to `open-next.output.json`, for the IaC that deploys it.
    fn describe(&self, output: &mut Value, cfg: &OpenNextConfig) {
        let mut set = |pointer: &str, selected: &Selected| {
            if let Some(Value::Object(o)) = output.pointer_mut(pointer) {
                o.insert("architectures".into(), json!(selected.architectures()));
            }
        };
        set("/origins/default", &self.server);
        for ((name, _), selected) in cfg.functions.iter().zip(&self.split) {
            set(&format!("/origins/{name}"), selected);
        }
        set("/origins/imageOptimizer", &self.image);
        if let Some(m) = &self.middleware {
            set("/edgeFunctions/middleware", m);
        }
    }
}

/// Copies a server function's files: Next's traced standalone output, the files
/// the config's npm imports need, and for self-hosted wrappers `public/` and
/// `.next/static/`. Returns the counters and the copied files (for the patches).
fn copy_server_files(app: &NextApp, nb: &NextBuild, opts: &BuildOptions, fn_dir: &Path, wrapper: &str) -> Result<(Value, Vec<String>)> {
    let (s, mut files) = copy_traced_files(nb, fn_dir)?;
    let (config_deps, config_files) = copy_config_dependencies(&app.root_dir, fn_dir, &opts.config_traced_files)?;
    files.extend(config_files);
    let own = if is_self_hosted_wrapper(wrapper) { copy_self_hosted_assets(&app.app_dir, nb, fn_dir)? } else { Default::default() };
    let stats = json!({"files": s.files, "symlinks": s.symlinks, "bytes": s.bytes, "selfHostedAssets": own.files, "configDependencies": config_deps.files + config_deps.symlinks});
    Ok((stats, files))
}

/// The code of a server function named `name` (`default` or a split one).
fn server_code<'a>(
    name: &'a str,
    overrides: &'a FunctionOverrides,
    cfg: &OpenNextConfig,
    opts: &'a BuildOptions,
    addons: &'a [PathBuf],
    route_key: &'a Option<String>,
    routing_json: &'a Option<String>,
) -> FunctionCode<'a> {
    let section = config::server_function_config(&cfg.raw, name);
    FunctionCode {
        runtime_dir: &opts.runtime_dir,
        function_name: name,
        overrides,
        compiled_config: &opts.compiled_config,
        minify: section.and_then(|s| s.get("minify")).and_then(Value::as_bool) == Some(true),
        runtime_addons: addons,
        route_key: route_key.as_deref(),
        routing_json: routing_json.as_deref(),
    }
}
