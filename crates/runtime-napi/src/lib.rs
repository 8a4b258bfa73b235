//! The native addon that runs inside each server function at request time.
//!
//! It holds only what requests need (the `Router`, and `optimizeImage` for
//! `/_next/image`), so a function carries a small binary instead of the build
//! tool's (swc, tracing, bundling). The
//! `Router` binding is the same source file as the build addon's, so the two
//! cannot drift apart.
#![deny(clippy::all)]

pub mod image;
#[path = "../../../src/router.rs"]
mod router;

/// Version of the runtime addon (matches the build addon it shipped with).
#[napi_derive::napi]
pub fn runtime_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
