//! Pure-Rust core of open-next-rs: reads `next build` output and writes `.open-next/`.
//! Nothing here depends on napi; the Node binding lives in the root crate.

pub mod bundle;
pub mod error;
pub mod fsutil;

pub use error::{CoreError, Result};
pub mod assets;
pub mod cache;
pub mod config;
pub mod next_app;
pub mod output;
pub mod patch;
pub mod pipeline;
pub use open_next_routing as routing;
pub mod function_folder;
pub mod image_function;
pub mod middleware_function;
pub mod resolutions;
pub mod server_function;
pub mod targets;
pub mod utility_functions;
