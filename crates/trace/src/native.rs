//! Native addon lookups done the way the loaders do them at run time:
//! `node-gyp-build` (prebuilds/ and build/), `bindings` (its list of build
//! directories) and `@mapbox/node-pre-gyp` (`binary.module_path` templates).

use serde_json::Value;

use crate::job::Job;
use crate::path as p;
use crate::value::V;

/// `require('bindings')(opts)` with `opts.path = true`: the addon file, if one exists.
pub(crate) fn bindings_path(job: &Job, arg: &V, pkg_base: Option<&str>) -> Option<String> {
    let mut name = match arg {
        V::Str(x) => x.to_string(),
        V::Obj(o) => o.get("bindings").and_then(|v| v.as_str()).unwrap_or("bindings.node").to_string(),
        _ => return None,
    };
    // nft sets `module_root` to the package of the calling file
    let root = pkg_base?;
    if p::extname(&name) != ".node" {
        name.push_str(".node");
    }
    let node_pre_gyp = format!("node-v{}-{}-{}", job.node_abi, job.platform, job.arch);
    let tries: [&[&str]; 12] = [
        &["build"],
        &["build", "Debug"],
        &["build", "Release"],
        &["out", "Debug"],
        &["Debug"],
        &["out", "Release"],
        &["Release"],
        &["build", "default"],
        &["addon-build", "release", "install-root"],
        &["addon-build", "debug", "install-root"],
        &["addon-build", "default", "install-root"],
        &["lib", "binding", &node_pre_gyp],
    ];
    for t in tries {
        let mut parts = vec![root];
        parts.extend_from_slice(t);
        parts.push(&name);
        let candidate = p::join(&parts);
        if job.fs.is_file(&candidate) {
            return Some(candidate);
        }
    }
    None
}

struct Tags {
    file: String,
    specificity: u32,
    runtime: Option<String>,
    napi: bool,
    abi: Option<String>,
    uv: Option<String>,
    armv: Option<String>,
    libc: Option<String>,
}

fn parse_tags(file: &str) -> Option<Tags> {
    let mut arr: Vec<&str> = file.split('.').collect();
    let ext = arr.pop()?;
    if ext != "node" {
        return None;
    }
    let mut t = Tags { file: file.to_string(), specificity: 0, runtime: None, napi: false, abi: None, uv: None, armv: None, libc: None };
    for tag in arr {
        if tag == "node" || tag == "electron" || tag == "node-webkit" {
            t.runtime = Some(tag.to_string());
        } else if tag == "napi" {
            t.napi = true;
        } else if let Some(x) = tag.strip_prefix("abi") {
            t.abi = Some(x.to_string());
        } else if let Some(x) = tag.strip_prefix("uv") {
            t.uv = Some(x.to_string());
        } else if let Some(x) = tag.strip_prefix("armv") {
            t.armv = Some(x.to_string());
        } else if tag == "glibc" || tag == "musl" {
            t.libc = Some(tag.to_string());
        } else {
            continue;
        }
        t.specificity += 1;
    }
    Some(t)
}

/// node-gyp-build's `load.resolve(dir)` (v4): `build/Release`, `build/Debug`,
/// then the best `prebuilds/<platform>-<arch>/*.node` for this runtime.
pub(crate) fn node_gyp_build_path(job: &Job, dir: &str) -> Option<String> {
    let dir = p::resolve_from(&job.cwd, &[dir]);
    for sub in ["build/Release", "build/Debug"] {
        let d = p::join2(&dir, sub);
        if let Some(first) = job.fs.readdir(&d).unwrap_or_default().into_iter().find(|n| n.ends_with(".node")) {
            return Some(p::join2(&d, &first));
        }
    }
    let prebuilds = p::join2(&dir, "prebuilds");
    let mut tuples: Vec<(String, usize)> = job
        .fs
        .readdir(&prebuilds)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|name| {
            let parts: Vec<&str> = name.split('-').collect();
            if parts.len() != 2 || parts[0].is_empty() {
                return None;
            }
            let archs: Vec<&str> = parts[1].split('+').collect();
            if archs.iter().any(|a| a.is_empty()) {
                return None;
            }
            if parts[0] != job.platform || !archs.contains(&job.arch.as_str()) {
                return None;
            }
            let n = archs.len();
            Some((name, n))
        })
        .collect();
    tuples.sort_by_key(|t| t.1);
    let (tuple, _) = tuples.into_iter().next()?;
    let dir = p::join2(&prebuilds, &tuple);
    let runtime = "node";
    let armv = if job.arch == "arm64" { "8" } else { "" };
    let mut candidates: Vec<Tags> = job
        .fs
        .readdir(&dir)
        .unwrap_or_default()
        .iter()
        .filter_map(|f| parse_tags(f))
        .filter(|t| {
            let agnostic = t.runtime.as_deref() == Some("node") && t.napi;
            if t.runtime.as_deref().is_some_and(|r| r != runtime) && !agnostic {
                return false;
            }
            if t.abi.as_deref().is_some_and(|a| a != job.node_abi) && !t.napi {
                return false;
            }
            if t.uv.as_deref().is_some_and(|u| u != "1") {
                return false;
            }
            if t.armv.as_deref().is_some_and(|a| a != armv) {
                return false;
            }
            if t.libc.as_deref().is_some_and(|l| l != job.libc) {
                return false;
            }
            true
        })
        .collect();
    candidates.sort_by(|a, b| {
        use std::cmp::Ordering::*;
        if a.runtime != b.runtime {
            return if a.runtime.as_deref() == Some(runtime) { Less } else { Greater };
        }
        if a.abi != b.abi {
            return if a.abi.is_some() { Less } else { Greater };
        }
        if a.specificity != b.specificity {
            return if a.specificity > b.specificity { Less } else { Greater };
        }
        Equal
    });
    candidates.into_iter().next().map(|t| p::join2(&dir, &t.file))
}

/// `@mapbox/node-pre-gyp`'s `find(package_json_path)`: the addon path from
/// the package's `binary.module_path` and `binary.module_name`.
pub(crate) fn pregyp_find(job: &Job, package_json: &str) -> Option<String> {
    let pkg_dir = p::dirname(package_json);
    let pkg: Value = serde_json::from_slice(&std::fs::read(package_json).ok()?).ok()?;
    let binary = pkg.get("binary")?;
    let module_name = binary.get("module_name")?.as_str()?;
    let module_path = binary.get("module_path")?.as_str()?;
    // node-pre-gyp's `validate_config`
    pkg.get("name")?.as_str()?;
    pkg.get("version")?.as_str()?;
    binary.get("host")?.as_str()?;
    if binary.get("napi_versions").is_some() {
        let has = |k: &str| binary.get(k).and_then(Value::as_str).is_some_and(|v| v.contains("{napi_build_version}"));
        if !has("module_path") || !(has("remote_path") || has("package_name")) {
            return None;
        }
    }
    let napi_version = binary
        .get("napi_versions")
        .and_then(Value::as_array)
        .and_then(|v| v.iter().filter_map(Value::as_u64).filter(|v| *v <= 9).max())
        .map(|v| v.to_string())
        .unwrap_or_default();
    let version = pkg.get("version").and_then(Value::as_str).unwrap_or("");
    let name = pkg.get("name").and_then(Value::as_str).unwrap_or("");
    let subst = |t: &str| -> String {
        let mut out = t.to_string();
        for (k, v) in [
            ("node_abi", format!("node-v{}", job.node_abi)),
            ("platform", job.platform.clone()),
            ("arch", job.arch.clone()),
            ("libc", job.libc.clone()),
            ("configuration", "Release".into()),
            ("module_name", module_name.to_string()),
            ("version", version.to_string()),
            ("name", name.to_string()),
            ("napi_build_version", napi_version.clone()),
            ("node_napi_label", if napi_version.is_empty() { format!("node-v{}", job.node_abi) } else { format!("napi-v{napi_version}") }),
            ("toolset", String::new()),
        ] {
            out = out.replace(&format!("{{{k}}}"), &v);
        }
        out
    };
    let dir = p::resolve_from("/", &[&pkg_dir, &subst(module_path)]);
    Some(p::join2(&dir, &format!("{module_name}.node")))
}
