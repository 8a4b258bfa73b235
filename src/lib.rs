#![deny(clippy::all)]
use napi_derive::napi;
/// Returns the version of the native addon.
#[napi]
pub fn native_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
