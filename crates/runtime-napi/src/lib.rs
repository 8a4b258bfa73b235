//! The native addon that runs inside each server function at request time.
//!
//! It holds only what requests need (the `Router`), so a function carries a
//! small binary instead of the build tool's (swc, tracing, bundling). Images
//! are a separate addon (`crates/image-napi`). The
//! `Router` binding is the same source file as the build addon's, so the two
//! cannot drift apart.
#![deny(clippy::all)]

#[path = "../../../src/router.rs"]
mod router;

/// Version of the runtime addon (matches the build addon it shipped with).
#[napi_derive::napi]
pub fn runtime_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
