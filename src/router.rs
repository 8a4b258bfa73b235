//! `Router`: the Rust routing table and resolver exposed to the runtime.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use open_next_routing::{
    self as routing, Headers, JsUrl, MiddlewareResult, Phase1, Redirect, RouteRequest, RouteResult, RoutingSpec, RoutingTable,
};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Mutex;

/// Routes requests exactly as Next.js does, from a routing table compiled once.
#[napi]
pub struct Router {
    table: RoutingTable,
    suspended: Mutex<(u32, HashMap<u32, routing::resolve::Suspended>)>,
}

fn bad(msg: impl std::fmt::Display) -> Error {
    Error::new(Status::InvalidArg, format!("ERR_ROUTING: {msg}"))
}

fn headers_from(pairs: Vec<Vec<String>>) -> Headers {
    Headers::from_pairs(pairs.into_iter().filter_map(|p| if p.len() == 2 { Some((p[0].clone(), p[1].clone())) } else { None }))
}

fn headers_json(h: &Headers) -> Value {
    Value::Array(h.entries().into_iter().map(|(k, v)| json!([k, v])).collect())
}

fn redirect_json(r: &Redirect) -> Value {
    json!({"url": r.url.href(), "status": r.status})
}

/// The decision as a plain object (same field names as `@next/routing`'s result,
/// with URLs as strings and headers as `[name, value]` pairs).
fn result_json(r: &RouteResult) -> Value {
    let mut o = serde_json::Map::new();
    if r.middleware_responded {
        o.insert("middlewareResponded".into(), json!(true));
    }
    if let Some(x) = &r.external_rewrite {
        o.insert("externalRewrite".into(), json!(x.href()));
    }
    if let Some(x) = &r.redirect {
        o.insert("redirect".into(), redirect_json(x));
    }
    if let Some(x) = &r.resolved_pathname {
        o.insert("resolvedPathname".into(), json!(x));
    }
    if let Some(x) = &r.resolved_query {
        o.insert("resolvedQuery".into(), json!(x));
    }
    if let (Some(p), Some(q)) = (&r.invocation_pathname, &r.resolved_query) {
        o.insert("invocationTarget".into(), json!({"pathname": p, "query": q}));
    }
    if let Some(x) = &r.resolved_headers {
        o.insert("resolvedHeaders".into(), headers_json(x));
    }
    if let Some(x) = r.status {
        o.insert("status".into(), json!(x));
    }
    if let Some(x) = &r.route_matches {
        o.insert("routeMatches".into(), json!(x));
    }
    Value::Object(o)
}

/// What middleware produced, as passed back to {@link Router.resume}.
#[napi(object)]
pub struct MiddlewareOutcome {
    /// The middleware responded itself.
    pub body_sent: Option<bool>,
    /// Request headers to continue with, as `[name, value]` pairs.
    pub request_headers: Option<Vec<Vec<String>>>,
    /// Response headers to add.
    pub response_headers: Option<Vec<Vec<String>>>,
    /// Redirect target URL.
    pub redirect_url: Option<String>,
    /// Redirect status.
    pub redirect_status: Option<u32>,
    /// Rewrite target URL (absolute).
    pub rewrite: Option<String>,
}

#[napi]
impl Router {
    /// Compiles a routing table (JSON of the spec). Fails, naming the route, when a
    /// regex cannot be run.
    #[napi(constructor)]
    pub fn new(spec_json: String) -> Result<Self> {
        let spec: RoutingSpec = serde_json::from_str(&spec_json).map_err(|e| bad(format!("invalid routing table: {e}")))?;
        let table = RoutingTable::compile(spec).map_err(bad)?;
        Ok(Self { table, suspended: Mutex::new((0, HashMap::new())) })
    }

    /// Builds the routing table spec (JSON) from our Deployment Adapter output.
    #[napi]
    pub fn spec_from_adapter_output(adapter_json: String) -> Result<String> {
        let v: Value = serde_json::from_str(&adapter_json).map_err(|e| bad(format!("invalid adapter output: {e}")))?;
        let spec = RoutingTable::spec_from_adapter(&v).map_err(bad)?;
        serde_json::to_string(&spec).map_err(|e| bad(e.to_string()))
    }

    /// Builds the routing table spec (JSON) from the manifests of a `next build`
    /// output directory (`distDir`, usually `<app>/.next`): routes-manifest,
    /// prerender-manifest, middleware/functions-config/pages/app-paths manifests,
    /// `required-server-files.json`, `BUILD_ID` and the static files. Gives the
    /// same table as {@link Router.specFromAdapterOutput} on builds with the
    /// Deployment Adapter, and is how builds without it (Next 15.5–16.1) get one.
    /// Fails with `ERR_ROUTING` when a manifest is missing or a route cannot be
    /// converted or compiled.
    #[napi]
    pub fn spec_from_manifests(dist_dir: String) -> Result<String> {
        let spec = routing::spec_from_manifests(std::path::Path::new(&dist_dir)).map_err(bad)?;
        let table = RoutingTable::compile(spec).map_err(bad)?;
        serde_json::to_string(&table.spec).map_err(|e| bad(e.to_string()))
    }

    /// Routes a request. Returns the decision, or `{ middleware: { url, headers },
    /// responseHeaders, token }` when middleware must run first (`responseHeaders`:
    /// those set by routing so far, which a response of middleware's own also
    /// carries); then call {@link Router.resume} with the token, always, even when
    /// middleware failed (it frees the suspended state).
    #[napi(ts_return_type = "Record<string, any>")]
    pub fn resolve(&self, url: String, headers: Vec<Vec<String>>) -> Result<Value> {
        let url = JsUrl::parse(&url).ok_or_else(|| bad(format!("invalid request URL {url:?}")))?;
        let req = RouteRequest { url, headers: headers_from(headers) };
        Ok(match routing::resolve_phase1(&self.table, &req) {
            Phase1::Done(r) => result_json(&r),
            Phase1::Continue(s) => result_json(&routing::resume(&self.table, *s, None)),
            Phase1::Middleware(call, s) => {
                let mut guard = self.suspended.lock().map_err(|_| bad("router state poisoned"))?;
                guard.0 = guard.0.wrapping_add(1);
                let token = guard.0;
                let before = headers_json(s.response_headers());
                guard.1.insert(token, *s);
                json!({"middleware": {"url": call.url.href(), "headers": headers_json(&call.headers)}, "responseHeaders": before, "token": token})
            }
        })
    }

    /// {@link Router.resolve} with the result as JSON text (one string across the
    /// boundary instead of an object built property by property: faster on the
    /// request path, where the runtime parses it).
    #[napi]
    pub fn resolve_json(&self, url: String, headers: Vec<Vec<String>>) -> Result<String> {
        self.resolve(url, headers).map(|v| v.to_string())
    }

    /// Finishes routing after middleware ran for `token`.
    #[napi(ts_return_type = "Record<string, any>")]
    pub fn resume(&self, token: u32, outcome: MiddlewareOutcome) -> Result<Value> {
        let state = self
            .suspended
            .lock()
            .map_err(|_| bad("router state poisoned"))?
            .1
            .remove(&token)
            .ok_or_else(|| bad(format!("unknown routing token {token}")))?;
        let parse = |u: &str| JsUrl::parse(u).ok_or_else(|| bad(format!("invalid URL from middleware {u:?}")));
        let redirect = match (outcome.redirect_url, outcome.redirect_status) {
            (Some(u), Some(s)) => Some(Redirect { url: parse(&u)?, status: s as u16 }),
            _ => None,
        };
        let mw = MiddlewareResult {
            body_sent: outcome.body_sent.unwrap_or(false),
            request_headers: outcome.request_headers.map(headers_from),
            response_headers: outcome.response_headers.map(headers_from),
            redirect,
            rewrite: outcome.rewrite.as_deref().map(parse).transpose()?,
        };
        Ok(result_json(&routing::resume(&self.table, state, Some(mw))))
    }
}
