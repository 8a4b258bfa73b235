//! Errors that stop a trace.

use std::path::PathBuf;

/// An error that stops a trace. Problems with single files (a dependency that
/// cannot be resolved, a file that cannot be parsed) are not errors but
/// [`TraceWarning`](crate::TraceWarning)s.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// `base` (or `process_cwd`) is not an existing directory.
    #[error("trace base {path} is not a directory: pass an existing directory as `base`")]
    InvalidBase {
        /// The path given.
        path: PathBuf,
    },
    /// An entry file does not exist.
    #[error("entry file {path} does not exist")]
    EntryNotFound {
        /// The entry as given, made absolute.
        path: PathBuf,
    },
    /// A path is not valid UTF-8, which the tracer (like Node's module
    /// resolution on package.json strings) cannot represent.
    #[error("path {path:?} is not valid UTF-8")]
    NonUtf8Path {
        /// The path.
        path: PathBuf,
    },
    /// The rayon thread pool could not be used.
    #[error("could not run the trace in parallel: {message}")]
    ThreadPool {
        /// What rayon said.
        message: String,
    },
}
