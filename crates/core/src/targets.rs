//! Which platforms a function's native addons are for.
//!
//! A function carries the runtime addons (the Router, the image stage) of every
//! platform it may run on, named `open-next-runtime.<target>.node` after napi-rs's
//! platform names (`linux-x64-gnu`, `linux-arm64-gnu`, …); the runtime loads the
//! one of the machine it runs on. A Lambda function carries linux-x64-gnu and
//! linux-arm64-gnu unless the function's `install.arch` / `install.libc` (OpenNext's
//! option names) narrow it to one; the image function linux-arm64-gnu alone, as
//! OpenNext installs sharp for arm64 alone (linux-x64-gnu when no arm64 addon is
//! to be had, with a warning); a self-hosted one (`node`, `express-dev`) the
//! build machine's; a Docker one Linux on the build machine's architecture;
//! Lambda@Edge linux-x64-gnu, the only architecture it has.

use crate::error::{CoreError, Result};
use crate::function_folder::Addon;
use serde_json::Value;
use std::path::PathBuf;

/// A platform the addons are built for, as napi-rs names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    /// `linux`, `darwin` or `win32` (Node's `process.platform`).
    pub os: &'static str,
    /// `x64` or `arm64` (Node's `process.arch`).
    pub arch: &'static str,
    /// `gnu`, `musl` or `msvc`; `None` on macOS.
    pub abi: Option<&'static str>,
}

impl Target {
    /// The two Lambda targets.
    pub const LAMBDA: [Target; 2] =
        [Target { os: "linux", arch: "x64", abi: Some("gnu") }, Target { os: "linux", arch: "arm64", abi: Some("gnu") }];

    /// The napi-rs platform name: `linux-arm64-gnu`, `darwin-x64`, …
    pub fn name(self) -> String {
        match self.abi {
            Some(abi) => format!("{}-{}-{abi}", self.os, self.arch),
            None => format!("{}-{}", self.os, self.arch),
        }
    }

    /// The AWS Lambda architecture name (`x86_64` or `arm64`).
    pub fn lambda_architecture(self) -> &'static str {
        if self.arch == "x64" {
            "x86_64"
        } else {
            "arm64"
        }
    }

    /// The platform package that holds this target's addons.
    pub fn package(self) -> String {
        format!("open-next-rs-{}", self.name())
    }

    /// The machine this build runs on, when the addons exist for it.
    pub fn host() -> Option<Target> {
        let os = match std::env::consts::OS {
            "linux" => "linux",
            "macos" => "darwin",
            "windows" => "win32",
            _ => return None,
        };
        let arch = match std::env::consts::ARCH {
            "x86_64" => "x64",
            "aarch64" => "arm64",
            _ => return None,
        };
        let abi = match os {
            "linux" if cfg!(target_env = "musl") => Some("musl"),
            "linux" => Some("gnu"),
            "win32" => Some("msvc"),
            _ => None,
        };
        Some(Target { os, arch, abi })
    }
}

/// Where a function runs, which decides its default targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// AWS Lambda (or another Linux platform): x64 and arm64.
    Lambda,
    /// The image function on Lambda: arm64 by default, OpenNext's architecture for it
    /// (it installs sharp for arm64 alone, and SST and CDK deploy it on arm64).
    LambdaImage,
    /// Lambda@Edge: x64 only.
    Edge,
    /// A self-hosted server: the build machine.
    SelfHosted,
    /// A Linux container (`generateDockerfile`): Linux on the build machine's architecture.
    Container,
}

/// The targets of one function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    /// The platforms, in a stable order.
    pub list: Vec<Target>,
    /// Set by the user (`install.arch` / `install.libc`), not a default.
    pub explicit: bool,
    /// Used instead when no addon of `list` is to be had and the targets are a default.
    pub fallback: Vec<Target>,
}

/// Reads the targets of a function from its config (`install.arch`, `install.libc`
/// under `at`, for example `default` or `imageOptimization`).
pub fn function_targets(file: &str, fn_config: Option<&Value>, at: &str, runs: Runs) -> Result<Targets> {
    let install = fn_config.and_then(|f| f.get("install"));
    let err = |message: String| CoreError::Config { file: file.into(), message };
    let field = |k: &str| -> Result<Option<&str>> {
        match install.and_then(|i| i.get(k)) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(err(format!("`{at}.install.{k}` must be a string, got {other}"))),
        }
    };
    let arch = match field("arch")? {
        None => None,
        Some("x64") => Some("x64"),
        Some("arm64") => Some("arm64"),
        Some(other) => {
            return Err(err(format!("`{at}.install.arch` is \"{other}\"; use \"x64\" or \"arm64\", or leave it out for the default")))
        }
    };
    let abi = match field("libc")? {
        None => None,
        Some("glibc") => Some("gnu"),
        Some("musl") => Some("musl"),
        Some(other) => return Err(err(format!("`{at}.install.libc` is \"{other}\"; use \"glibc\" or \"musl\""))),
    };
    if let Some(os) = field("os")?.filter(|os| *os != "linux") {
        return Err(err(format!(
            "`{at}.install.os` is \"{os}\"; functions run on \"linux\" (a self-hosted server uses the build machine's platform)"
        )));
    }
    if runs == Runs::Edge && arch == Some("arm64") {
        return Err(err(format!("`{at}.install.arch` is \"arm64\", but Lambda@Edge runs on x86_64 only; remove it")));
    }
    let explicit = arch.is_some() || abi.is_some();
    let mut fallback = vec![];
    let list = match runs {
        Runs::SelfHosted if !explicit => Target::host().into_iter().collect(),
        Runs::Edge if !explicit => vec![Target::LAMBDA[0]],
        Runs::LambdaImage if arch.is_none() => {
            let abi = Some(abi.unwrap_or("gnu"));
            fallback.push(Target { abi, ..Target::LAMBDA[0] });
            vec![Target { abi, ..Target::LAMBDA[1] }]
        }
        Runs::Container if !explicit => {
            let arch = Target::host().map_or("x64", |t| t.arch);
            vec![Target { os: "linux", arch, abi: Some("gnu") }]
        }
        _ => {
            let archs: Vec<&'static str> = arch.map(|a| vec![a]).unwrap_or_else(|| vec!["x64", "arm64"]);
            archs.into_iter().map(|arch| Target { os: "linux", arch, abi: Some(abi.unwrap_or("gnu")) }).collect()
        }
    };
    Ok(Targets { list, explicit, fallback })
}

/// The addons a function ships.
#[derive(Debug, Clone, Default)]
pub struct Selected {
    /// The addon files.
    pub files: Vec<PathBuf>,
    /// The targets they cover.
    pub targets: Vec<Target>,
    /// Why a default target was left out, for the build's warnings.
    pub warning: Option<String>,
}

impl Selected {
    /// The Lambda architectures covered (`x86_64`, `arm64`), for `open-next.output.json`.
    pub fn architectures(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = self.targets.iter().map(|t| t.lambda_architecture()).collect();
        out.dedup();
        out
    }
}

/// The addon files of `kinds` for `targets` among `all` (by file name). A missing
/// one is an error when the user chose the targets, or when no target is left;
/// otherwise it is left out and named in the warning. When none of a default's
/// targets is left, its fallback is used, with a warning.
pub fn select_addons(all: &[PathBuf], kinds: &[Addon], targets: &Targets, function: &str) -> Result<Selected> {
    let files_for = |t: &Target| -> Option<Vec<PathBuf>> {
        kinds
            .iter()
            .map(|k| {
                let name = format!("{}.{}.node", k.name(), t.name());
                all.iter().find(|p| p.file_name().is_some_and(|n| n.to_string_lossy() == name)).cloned()
            })
            .collect()
    };
    let mut selected = Selected::default();
    let mut missing: Vec<Target> = vec![];
    for t in &targets.list {
        match files_for(t) {
            Some(files) => {
                selected.files.extend(files);
                selected.targets.push(*t);
            }
            None => missing.push(*t),
        }
    }
    if missing.is_empty() {
        return Ok(selected);
    }
    let names = |ts: &[Target]| ts.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ");
    let packages = missing.iter().map(|t| t.package()).collect::<Vec<_>>().join(", ");
    if selected.targets.is_empty() && !targets.explicit {
        for t in &targets.fallback {
            if let Some(files) = files_for(t) {
                selected.files.extend(files);
                selected.targets.push(*t);
            }
        }
        if !selected.targets.is_empty() {
            let archs = selected.architectures().join(", ");
            selected.warning = Some(format!(
                "the {function} function is built for {archs}, not its default {} (install {packages}, or set `install.arch`): \
                 deploy it on {archs}",
                names(&missing),
            ));
            return Ok(selected);
        }
    }
    if targets.explicit || selected.targets.is_empty() {
        return Err(CoreError::MissingRuntimeAddon { function: function.to_string(), targets: names(&missing), packages });
    }
    selected.warning = Some(format!(
        "the {function} function has no addon for {} (install {packages}, or set `install.arch` to build for one architecture); \
         it runs on {} only",
        names(&missing),
        selected.architectures().join(", "),
    ));
    Ok(selected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(t: &Targets) -> Vec<String> {
        t.list.iter().map(|t| t.name()).collect()
    }

    #[test]
    fn defaults_and_install_options() {
        let lambda = function_targets("c.ts", None, "default", Runs::Lambda).unwrap();
        assert_eq!((names(&lambda), lambda.explicit), (vec!["linux-x64-gnu".to_string(), "linux-arm64-gnu".to_string()], false));
        let image = function_targets("c.ts", None, "imageOptimization", Runs::LambdaImage).unwrap();
        assert_eq!((names(&image), image.explicit), (vec!["linux-arm64-gnu".to_string()], false));
        let x64 = function_targets("c.ts", Some(&json!({"install": {"arch": "x64"}})), "imageOptimization", Runs::LambdaImage).unwrap();
        assert_eq!(names(&x64), vec!["linux-x64-gnu"]);
        let edge = function_targets("c.ts", None, "middleware", Runs::Edge).unwrap();
        assert_eq!(names(&edge), vec!["linux-x64-gnu"]);
        let docker = function_targets("c.ts", None, "default", Runs::Container).unwrap();
        assert_eq!(docker.list, vec![Target { os: "linux", ..Target::host().unwrap() }]);
        let host = function_targets("c.ts", None, "default", Runs::SelfHosted).unwrap();
        assert_eq!(host.list, Target::host().into_iter().collect::<Vec<_>>());
        let arm = function_targets("c.ts", Some(&json!({"install": {"arch": "arm64", "packages": []}})), "default", Runs::Lambda).unwrap();
        assert_eq!((names(&arm), arm.explicit), (vec!["linux-arm64-gnu".to_string()], true));
        let musl = function_targets("c.ts", Some(&json!({"install": {"libc": "musl"}})), "default", Runs::SelfHosted).unwrap();
        assert_eq!(names(&musl), vec!["linux-x64-musl", "linux-arm64-musl"]);
        let e = function_targets("c.ts", Some(&json!({"install": {"arch": "x86_64"}})), "imageOptimization", Runs::Lambda).unwrap_err();
        assert!(e.to_string().contains("`imageOptimization.install.arch` is \"x86_64\"; use \"x64\" or \"arm64\""), "{e}");
        let e = function_targets("c.ts", Some(&json!({"install": {"arch": "arm64"}})), "middleware", Runs::Edge).unwrap_err();
        assert!(e.to_string().contains("Lambda@Edge runs on x86_64 only"), "{e}");
        let e = function_targets("c.ts", Some(&json!({"install": {"os": "darwin"}})), "default", Runs::Lambda).unwrap_err();
        assert!(e.to_string().contains("`default.install.os`"), "{e}");
    }

    #[test]
    fn missing_addons_warn_for_defaults_and_fail_for_choices() {
        let all = vec![PathBuf::from("/p/open-next-runtime.linux-x64-gnu.node"), PathBuf::from("/p/open-next-image.linux-x64-gnu.node")];
        let both = function_targets("c.ts", None, "default", Runs::Lambda).unwrap();
        let s = select_addons(&all, &[Addon::Router], &both, "default").unwrap();
        assert_eq!(s.files, vec![PathBuf::from("/p/open-next-runtime.linux-x64-gnu.node")]);
        assert_eq!(s.architectures(), vec!["x86_64"]);
        let w = s.warning.unwrap();
        assert!(
            w.contains("no addon for linux-arm64-gnu (install open-next-rs-linux-arm64-gnu") && w.contains("runs on x86_64 only"),
            "{w}"
        );
        let x64 = Targets { list: vec![Target::LAMBDA[0]], explicit: false, fallback: vec![] };
        let s = select_addons(&all, &[Addon::Router, Addon::Image], &x64, "default").unwrap();
        assert_eq!((s.files.len(), s.warning), (2, None));
        let arm = Targets { list: vec![Target::LAMBDA[1]], explicit: true, fallback: vec![] };
        let e = select_addons(&all, &[Addon::Image], &arm, "image optimization").unwrap_err();
        let m = e.to_string();
        assert!(m.contains("the image optimization function needs the open-next-rs addons for linux-arm64-gnu"), "{m}");
        assert!(m.contains("npm install open-next-rs-linux-arm64-gnu"), "{m}");
        // Nothing left of the defaults: an error too.
        assert!(select_addons(&[], &[Addon::Router], &both, "default").is_err());
        // The image function's arm64 default falls back to x64, and says so.
        let image = function_targets("c.ts", None, "imageOptimization", Runs::LambdaImage).unwrap();
        let s = select_addons(&all, &[Addon::Image], &image, "image optimization").unwrap();
        assert_eq!((&s.files, s.architectures()), (&vec![PathBuf::from("/p/open-next-image.linux-x64-gnu.node")], vec!["x86_64"]));
        let w = s.warning.unwrap();
        assert!(w.contains("built for x86_64, not its default linux-arm64-gnu") && w.contains("deploy it on x86_64"), "{w}");
        // Not when the user chose arm64.
        let chosen = json!({"install": {"arch": "arm64"}});
        let image = function_targets("c.ts", Some(&chosen), "imageOptimization", Runs::LambdaImage).unwrap();
        assert!(select_addons(&all, &[Addon::Image], &image, "image optimization").is_err());
    }
}
