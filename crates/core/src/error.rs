//! Typed errors of the core. Every variant names the file, option or command at
//! fault and says how to fix it; the napi layer maps them to JS errors with a code.

use std::path::PathBuf;

/// Result alias used across the core.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// Everything that can go wrong in the core.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// A filesystem operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What we were doing ("read", "write", "copy", ...).
        op: &'static str,
        /// The path at fault.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON file could not be parsed.
    #[error("invalid JSON in {path}: {message}")]
    Json {
        /// The file at fault.
        path: PathBuf,
        /// What serde said.
        message: String,
    },
    /// JavaScript/TypeScript source failed to parse.
    #[error("{file}:{line}:{col}: syntax error: {message}")]
    Syntax {
        /// The source file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// Parser message.
        message: String,
    },
    /// An import could not be resolved.
    #[error("{}{}: cannot resolve import \"{specifier}\"; check that the file exists (tried {tried})", importer.display(), at.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Resolve {
        /// The importing file.
        importer: PathBuf,
        /// 1-based line and column of the specifier in the importer, when known.
        at: Option<(usize, usize)>,
        /// The specifier as written.
        specifier: String,
        /// Candidate paths that were probed.
        tried: String,
    },
    /// An ESM import names an export that the imported module does not have.
    #[error(
        "{importer}:{line}:{col}: imports \"{name}\" from {target}, which does not export it; fix the imported name or add the export"
    )]
    MissingExport {
        /// The importing file.
        importer: PathBuf,
        /// 1-based line of the import.
        line: usize,
        /// 1-based column of the import.
        col: usize,
        /// The imported name.
        name: String,
        /// The imported module.
        target: PathBuf,
    },
    /// The directory is not a Next.js application.
    #[error("{dir} is not a Next.js app: no next.config.{{js,mjs,ts,cjs}} and no `next` dependency in package.json. Run `open-next build` from your Next.js app directory (or set `appPath` in open-next.config.ts)")]
    NotNextApp {
        /// The directory that was checked.
        dir: PathBuf,
    },
    /// `next` is not installed.
    #[error("cannot find the `next` package from {dir} (looked for node_modules/next/package.json up to the filesystem root). Install dependencies first (`npm install`, `pnpm install` or `yarn`)")]
    NextNotInstalled {
        /// The app directory.
        dir: PathBuf,
    },
    /// The Next.js version is outside the supported range.
    #[error("Next.js {version} is not supported (supported: {supported}). Upgrade Next.js, or pass --dangerously-use-unsupported-next-version to try anyway")]
    UnsupportedNextVersion {
        /// The installed version.
        version: String,
        /// The supported range, human readable.
        supported: &'static str,
    },
    /// The Next.js build command failed.
    #[error(
        "the Next.js build command `{command}` failed ({status}) in {dir}. Fix the build error above and run again. Last output:\n{output}"
    )]
    NextBuildFailed {
        /// The command line.
        command: String,
        /// Working directory.
        dir: PathBuf,
        /// Exit status text.
        status: String,
        /// Tail of the command output.
        output: String,
    },
    /// Next.js build output is missing or incomplete.
    #[error("{path} is missing: {hint}")]
    MissingBuildOutput {
        /// The missing file or directory.
        path: PathBuf,
        /// How to fix it.
        hint: String,
    },
    /// The routing table cannot be built (e.g. a route regex we cannot run).
    #[error("cannot build the routing table from {source_file}: {message}. Simplify the route in next.config, or report it if Next.js generated it")]
    Routing {
        /// Where the routes came from.
        source_file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A function's native addons (the Router, the image stage) are missing for a
    /// platform it must run on.
    #[error(
        "the {function} function needs the open-next-rs addons for {targets}, which are not installed: add {packages} \
         (npm install {packages}), set the function's `install.arch` to an architecture you have, or run \
         `node scripts/build-runtime-addon.mjs release --target <triple>` in a source checkout"
    )]
    MissingRuntimeAddon {
        /// `default`, `image optimization`, `middleware`.
        function: String,
        /// The missing napi-rs platform names (`linux-arm64-gnu`).
        targets: String,
        /// The platform packages that hold them.
        packages: String,
    },
    /// The open-next config is invalid.
    #[error("invalid open-next config ({file}): {message}")]
    Config {
        /// The config file (or "<defaults>").
        file: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}

impl CoreError {
    /// Stable machine-readable code, exposed to JavaScript as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::Io { .. } => "ERR_IO",
            CoreError::Json { .. } => "ERR_JSON",
            CoreError::Syntax { .. } => "ERR_SYNTAX",
            CoreError::Resolve { .. } => "ERR_RESOLVE",
            CoreError::MissingExport { .. } => "ERR_MISSING_EXPORT",
            CoreError::NotNextApp { .. } => "ERR_NOT_NEXT_APP",
            CoreError::NextNotInstalled { .. } => "ERR_NEXT_NOT_INSTALLED",
            CoreError::UnsupportedNextVersion { .. } => "ERR_UNSUPPORTED_NEXT_VERSION",
            CoreError::NextBuildFailed { .. } => "ERR_NEXT_BUILD_FAILED",
            CoreError::MissingBuildOutput { .. } => "ERR_MISSING_BUILD_OUTPUT",
            CoreError::Config { .. } => "ERR_CONFIG",
            CoreError::Routing { .. } => "ERR_ROUTING",
            CoreError::MissingRuntimeAddon { .. } => "ERR_RUNTIME_ADDON",
        }
    }

    /// Helper to build an [`CoreError::Io`] from a closure-friendly position.
    pub fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> CoreError {
        let path = path.into();
        move |source| CoreError::Io { op, path, source }
    }
}
