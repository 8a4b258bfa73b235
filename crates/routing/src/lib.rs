//! Request routing with Next.js semantics, decided in Rust. Kept apart from the
//! build core (no swc) so the runtime addon path, the fuzzers and the benches
//! build quickly.
//!
//! `table` compiles Next's route lists once (JS regexes via `regress`);
//! `resolve` ports the reference algorithm of `@next/routing`; `manifests`
//! derives the route lists from the `.next` manifests when there is no adapter output.

pub mod headers;
pub mod jsregex;
pub mod jsregex_subset;
pub mod jsurl;
pub mod manifests;
pub mod resolve;
pub mod table;

pub use headers::Headers;
pub use jsurl::JsUrl;
pub use manifests::spec_from_manifests;
pub use resolve::{
    resolve, resolve_phase1, resume, MiddlewareCall, MiddlewareResult, Phase1, QueryValue, Redirect, RouteRequest, RouteResult,
};
pub use table::{RouteDef, RoutingSpec, RoutingTable, TableError};
