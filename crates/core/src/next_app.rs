//! Finding the Next.js app, its `next` version and package manager, running
//! `next build` in standalone mode, and reading what it wrote.

use crate::error::{CoreError, Result};
use crate::fsutil::{read_json, read_string};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Supported Next.js versions, human readable.
pub const SUPPORTED_RANGE: &str = ">=15.5.0 <17.0.0";

/// Package manager of the repository, detected from its lockfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageManager {
    /// npm (`package-lock.json`, or no lockfile)
    Npm,
    /// pnpm (`pnpm-lock.yaml`)
    Pnpm,
    /// Yarn (`yarn.lock`)
    Yarn,
    /// Bun (`bun.lock`, `bun.lockb`)
    Bun,
}

impl PackageManager {
    /// The executable name.
    pub fn bin(self) -> &'static str {
        match self {
            PackageManager::Npm => "npm",
            PackageManager::Pnpm => "pnpm",
            PackageManager::Yarn => "yarn",
            PackageManager::Bun => "bun",
        }
    }
}

/// The Next.js application being built.
#[derive(Debug, Clone)]
pub struct NextApp {
    /// Directory with the app's package.json and next.config.
    pub app_dir: PathBuf,
    /// Monorepo (or app) root: where the lockfile is.
    pub root_dir: PathBuf,
    /// Package manager from the lockfile.
    pub package_manager: PackageManager,
    /// Installed `next` version.
    pub next_version: String,
    /// Whether the version is inside [`SUPPORTED_RANGE`].
    pub supported: bool,
}

/// A parsed `major.minor.patch` version (pre-release tags ignored for ordering).
pub fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.trim().trim_start_matches('v').split(['-', '+']).next()?;
    let mut it = core.split('.').map(|p| p.parse::<u64>().ok());
    Some((it.next()??, it.next()??, it.next()??))
}

/// Whether a Next.js version is supported.
pub fn is_supported(version: &str) -> bool {
    matches!(parse_version(version), Some(v) if ((15, 5, 0)..(17, 0, 0)).contains(&v))
}

/// Locates the Next.js app in `app_dir` and checks its `next` installation.
pub fn find_app(app_dir: &Path, allow_unsupported: bool) -> Result<NextApp> {
    let app_dir = std::path::absolute(app_dir).map_err(CoreError::io("resolve", app_dir))?;
    let pkg_path = app_dir.join("package.json");
    let has_config = ["js", "mjs", "cjs", "ts", "mts"].iter().any(|e| app_dir.join(format!("next.config.{e}")).is_file());
    let pkg = if pkg_path.is_file() { Some(read_json(&pkg_path)?) } else { None };
    let declares_next =
        pkg.as_ref().is_some_and(|p| ["dependencies", "devDependencies"].iter().any(|k| p.get(k).and_then(|d| d.get("next")).is_some()));
    if pkg.is_none() || !(has_config || declares_next) {
        return Err(CoreError::NotNextApp { dir: app_dir });
    }
    let mut next_version = None;
    for dir in app_dir.ancestors() {
        let p = dir.join("node_modules/next/package.json");
        if p.is_file() {
            let v = read_json(&p)?;
            next_version = v.get("version").and_then(|v| v.as_str()).map(str::to_string);
            break;
        }
    }
    let next_version = next_version.ok_or_else(|| CoreError::NextNotInstalled { dir: app_dir.clone() })?;
    let supported = is_supported(&next_version);
    if !supported && !allow_unsupported {
        return Err(CoreError::UnsupportedNextVersion { version: next_version, supported: SUPPORTED_RANGE });
    }
    let (root_dir, package_manager) = detect_root(&app_dir);
    Ok(NextApp { app_dir, root_dir, package_manager, next_version, supported })
}

/// Walks up from `app_dir` to the first directory with a lockfile.
pub fn detect_root(app_dir: &Path) -> (PathBuf, PackageManager) {
    for dir in app_dir.ancestors() {
        for (file, pm) in [
            ("pnpm-lock.yaml", PackageManager::Pnpm),
            ("yarn.lock", PackageManager::Yarn),
            ("bun.lock", PackageManager::Bun),
            ("bun.lockb", PackageManager::Bun),
            ("package-lock.json", PackageManager::Npm),
        ] {
            if dir.join(file).is_file() {
                return (dir.to_path_buf(), pm);
            }
        }
    }
    (app_dir.to_path_buf(), PackageManager::Npm)
}

/// The command that builds the app: `buildCommand`, or `<pm> run build`.
pub fn build_command_for(app: &NextApp, build_command: Option<&str>) -> String {
    build_command.map(str::to_string).unwrap_or_else(|| format!("{} run build", app.package_manager.bin()))
}

/// Runs the Next.js build (the given command, or `<pm> run build`) in standalone
/// mode, streaming its output to our stderr and keeping the tail for errors.
pub fn run_build(app: &NextApp, build_command: Option<&str>, extra_env: &[(String, String)]) -> Result<()> {
    let command = build_command_for(app, build_command);
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&command)
        .current_dir(&app.app_dir)
        .env("NEXT_PRIVATE_STANDALONE", "true")
        .env("NEXT_PRIVATE_OUTPUT_TRACE_ROOT", &app.root_dir)
        .envs(extra_env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(CoreError::io("spawn build command in", &app.app_dir))?;
    let tail = std::sync::Arc::new(std::sync::Mutex::new(std::collections::VecDeque::<String>::new()));
    let pump = |stream: Box<dyn std::io::Read + Send>| {
        let tail = tail.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(|l| l.ok()) {
                let _ = writeln!(std::io::stderr(), "{line}");
                let mut t = tail.lock().unwrap();
                t.push_back(line);
                if t.len() > 60 {
                    t.pop_front();
                }
            }
        })
    };
    let a = pump(Box::new(child.stdout.take().expect("piped")));
    let b = pump(Box::new(child.stderr.take().expect("piped")));
    let status = child.wait().map_err(CoreError::io("wait for build command in", &app.app_dir))?;
    let _ = a.join();
    let _ = b.join();
    if !status.success() {
        let output = tail.lock().unwrap().iter().cloned().collect::<Vec<_>>().join("\n");
        return Err(CoreError::NextBuildFailed { command, dir: app.app_dir.clone(), status: status.to_string(), output });
    }
    Ok(())
}

/// File our adapter writes into `.next/`.
pub const ADAPTER_OUTPUT_FILE: &str = "open-next-adapter.json";

/// What `next build` produced, as read from `.next/`.
#[derive(Debug, Clone)]
pub struct NextBuild {
    /// `.next/` of the app.
    pub dist_dir: PathBuf,
    /// `.next/standalone/`.
    pub standalone_dir: PathBuf,
    /// App directory relative to the trace root (`""` outside monorepos), `/`-separated.
    pub package_path: String,
    /// `BUILD_ID`.
    pub build_id: String,
    /// `deploymentId ?? BUILD_ID`: the key prefix used for cache entries at build and run time.
    pub cache_build_id: String,
    /// The resolved next.config from required-server-files.json.
    pub config: serde_json::Value,
    /// `basePath` ("" when unset).
    pub base_path: String,
    /// `.html` files of pages-manifest (fully static pages router pages), relative to `server/pages`.
    pub html_pages: BTreeSet<String>,
    /// App-router route entries (keys of app-path-routes-manifest, e.g. `/api/echo/route`).
    pub app_routes: Vec<String>,
    /// Pages-router entries (keys of pages-manifest, e.g. `/api/hello`).
    pub pages_routes: Vec<String>,
    /// What `onBuildComplete` of our Deployment Adapter received (Next >= 16.2), when
    /// it was written by this build (its buildId matches BUILD_ID).
    pub adapter: Option<serde_json::Value>,
}

/// First Next.js version with the stable Deployment Adapter API.
pub const ADAPTER_API_MIN: (u64, u64, u64) = (16, 2, 0);

/// Whether `version` has the stable Deployment Adapter API.
pub fn has_adapter_api(version: &str) -> bool {
    parse_version(version).is_some_and(|v| v >= ADAPTER_API_MIN)
}

/// Reads the standalone build output of `app`.
pub fn read_build(app: &NextApp) -> Result<NextBuild> {
    let dist_dir = app.app_dir.join(".next");
    let rsf_path = dist_dir.join("required-server-files.json");
    if !rsf_path.is_file() {
        return Err(CoreError::MissingBuildOutput {
            path: rsf_path,
            hint: "run `next build` first (or remove a `buildCommand` that skips it)".into(),
        });
    }
    let standalone_dir = dist_dir.join("standalone");
    if !standalone_dir.is_dir() {
        return Err(CoreError::MissingBuildOutput {
            path: standalone_dir,
            hint: "the build did not run in standalone mode; open-next sets NEXT_PRIVATE_STANDALONE=true, so a custom buildCommand must run `next build` with that environment".into(),
        });
    }
    let rsf = read_json(&rsf_path)?;
    let config = rsf.get("config").cloned().unwrap_or(serde_json::Value::Null);
    let package_path = rsf.get("relativeAppDir").and_then(|v| v.as_str()).unwrap_or("").replace('\\', "/");
    let build_id = read_string(&dist_dir.join("BUILD_ID"))?.trim().to_string();
    let cache_build_id = config
        .get("deploymentId")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| build_id.clone());
    let base_path = config.get("basePath").and_then(|v| v.as_str()).unwrap_or("").to_string();
    let pages_manifest_path = dist_dir.join("server/pages-manifest.json");
    let pages_manifest = if pages_manifest_path.is_file() { read_json(&pages_manifest_path)? } else { serde_json::json!({}) };
    let mut html_pages = BTreeSet::new();
    let mut pages_routes = Vec::new();
    if let Some(obj) = pages_manifest.as_object() {
        for (k, v) in obj {
            pages_routes.push(k.clone());
            if let Some(file) = v.as_str().filter(|f| f.ends_with(".html")) {
                html_pages.insert(file.trim_start_matches("pages/").to_string());
            }
        }
    }
    let app_manifest_path = dist_dir.join("app-path-routes-manifest.json");
    let mut app_routes = if app_manifest_path.is_file() {
        read_json(&app_manifest_path)?.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
    } else {
        Vec::new()
    };
    let adapter_path = dist_dir.join(ADAPTER_OUTPUT_FILE);
    let adapter = if adapter_path.is_file() {
        let v = read_json(&adapter_path)?;
        (v.get("buildId").and_then(|b| b.as_str()) == Some(build_id.as_str())).then_some(v)
    } else {
        None
    };
    if let Some(a) = &adapter {
        // The adapter's outputs are authoritative for the route lists.
        let source_pages = |kinds: &[&str]| -> Vec<String> {
            let mut v: Vec<String> = kinds
                .iter()
                .flat_map(|k| a.pointer(&format!("/outputs/{k}")).and_then(|o| o.as_array()).cloned().unwrap_or_default())
                .filter_map(|o| o.get("sourcePage").and_then(|s| s.as_str()).map(str::to_string))
                // Next 16.2 gives pages without the leading slash (`api/hello`).
                .map(|s| if s.starts_with('/') { s } else { format!("/{s}") })
                .collect();
            v.sort();
            v.dedup();
            v
        };
        app_routes = source_pages(&["appPages", "appRoutes"]);
        pages_routes = source_pages(&["pages", "pagesApi"]);
    }
    Ok(NextBuild {
        dist_dir,
        standalone_dir,
        package_path,
        build_id,
        cache_build_id,
        config,
        base_path,
        html_pages,
        app_routes,
        pages_routes,
        adapter,
    })
}

impl NextBuild {
    /// The `.next/` directory inside the standalone output.
    pub fn standalone_dist(&self) -> PathBuf {
        let mut p = self.standalone_dir.clone();
        if !self.package_path.is_empty() {
            p.push(&self.package_path);
        }
        p.join(".next")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_range() {
        assert!(is_supported("15.5.0"));
        assert!(is_supported("16.4.6"));
        assert!(is_supported("16.3.0-canary.4"));
        assert!(!is_supported("15.4.9"));
        assert!(!is_supported("14.2.0"));
        assert!(!is_supported("17.0.0"));
        assert!(!is_supported("garbage"));
    }

    #[test]
    fn detects_not_a_next_app_and_missing_next() {
        let d = std::env::temp_dir().join(format!("onc-app-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        assert!(matches!(find_app(&d, false), Err(CoreError::NotNextApp { .. })));
        std::fs::write(d.join("package.json"), r#"{"dependencies":{"next":"16.0.0"}}"#).unwrap();
        assert!(matches!(find_app(&d, false), Err(CoreError::NextNotInstalled { .. })));
        std::fs::create_dir_all(d.join("node_modules/next")).unwrap();
        std::fs::write(d.join("node_modules/next/package.json"), r#"{"version":"14.2.3"}"#).unwrap();
        let e = find_app(&d, false).unwrap_err();
        assert!(e.to_string().contains("14.2.3"), "{e}");
        assert!(e.to_string().contains("--dangerously-use-unsupported-next-version"));
        assert!(!find_app(&d, true).unwrap().supported);
    }
}
