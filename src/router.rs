//! `Router`: the Rust routing table and resolver exposed to the runtime.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use open_next_routing::{
    self as routing, Headers, JsUrl, MiddlewareResult, Phase1, QueryValue, Redirect, RouteRequest, RouteResult, RoutingSpec, RoutingTable,
};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
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

/// Headers split from `name\0value\0name\0value` (see {@link Router.resolvePacked}).
fn headers_from_packed(packed: &str) -> Result<Headers> {
    if packed.is_empty() {
        return Ok(Headers::new());
    }
    let mut headers = Headers::new();
    let mut parts = packed.split('\0');
    while let Some(name) = parts.next() {
        let Some(value) = parts.next() else {
            return Err(bad("packed headers must alternate names and values joined by NUL characters (an odd number of parts was given)"));
        };
        headers.append(name, value);
    }
    Ok(headers)
}

/// A redirect in a decision.
#[derive(Serialize)]
struct RedirectOut {
    url: String,
    status: u16,
}

/// `invocationTarget` of a decision.
#[derive(Serialize)]
struct TargetOut<'a> {
    pathname: &'a str,
    query: &'a BTreeMap<String, QueryValue>,
}

/// The decision as JSON (same field names as `@next/routing`'s result, with URLs
/// as strings and headers as `[name, value]` pairs), serialised straight from
/// the router's result.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DecisionOut<'a> {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    middleware_responded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_rewrite: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect: Option<RedirectOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolved_pathname: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolved_query: Option<&'a BTreeMap<String, QueryValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invocation_target: Option<TargetOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolved_headers: Option<Vec<(String, String)>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    route_matches: Option<&'a BTreeMap<String, String>>,
}

fn decision_out(r: &RouteResult) -> DecisionOut<'_> {
    DecisionOut {
        middleware_responded: r.middleware_responded,
        external_rewrite: r.external_rewrite.as_ref().map(|x| x.href().to_string()),
        redirect: r.redirect.as_ref().map(|x| RedirectOut { url: x.url.href().to_string(), status: x.status }),
        resolved_pathname: r.resolved_pathname.as_deref(),
        resolved_query: r.resolved_query.as_ref(),
        invocation_target: match (&r.invocation_pathname, &r.resolved_query) {
            (Some(pathname), Some(query)) => Some(TargetOut { pathname, query }),
            _ => None,
        },
        resolved_headers: r.resolved_headers.as_ref().map(|h| h.entries()),
        status: r.status,
        route_matches: r.route_matches.as_ref(),
    }
}

/// A call for middleware in a first-phase answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MiddlewareCallOut {
    url: String,
    headers: Vec<(String, String)>,
    /// Middleware must be told the request is a `_next/data` one (`x-nextjs-data: 1`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    next_data: bool,
}

/// First-phase answer when middleware must run.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SuspendedOut {
    middleware: MiddlewareCallOut,
    response_headers: Vec<(String, String)>,
    token: u32,
}

/// What the first phase answers: a decision, or a call for middleware.
#[derive(Serialize)]
#[serde(untagged)]
enum FirstOut<'a> {
    Decision(DecisionOut<'a>),
    Suspended(SuspendedOut),
}

fn to_value(v: &impl Serialize) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| bad(e.to_string()))
}

fn to_json(v: &impl Serialize) -> Result<String> {
    serde_json::to_string(v).map_err(|e| bad(e.to_string()))
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

/// Build-time constructors of the table spec. The runtime addon functions ship
/// leaves them out (feature `build-tools`), and the manifest and adapter readers with them.
#[cfg(feature = "build-tools")]
#[napi]
impl Router {
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

    /// Routes a request. Returns the decision, or `{ middleware: { url, headers },
    /// responseHeaders, token }` when middleware must run first (`responseHeaders`:
    /// those set by routing so far, which a response of middleware's own also
    /// carries); then call {@link Router.resume} with the token, always, even when
    /// middleware failed (it frees the suspended state).
    #[napi(ts_return_type = "Record<string, any>")]
    pub fn resolve(&self, url: String, headers: Vec<Vec<String>>) -> Result<Value> {
        self.first_phase(&url, headers_from(headers), |out| to_value(out))
    }

    /// {@link Router.resolve} with the result as JSON text (one string across the
    /// boundary instead of an object built property by property: faster on the
    /// request path, where the runtime parses it).
    #[napi]
    pub fn resolve_json(&self, url: String, headers: Vec<Vec<String>>) -> Result<String> {
        self.first_phase(&url, headers_from(headers), |out| to_json(out))
    }

    /// {@link Router.resolveJson} with the request headers packed in one string:
    /// names and values alternating, joined by NUL characters
    /// (`"host\0example.com\0accept\0text/html"`; `""` for none). One string
    /// crosses the boundary instead of an array of arrays, the cheapest form for
    /// the request path. Header values cannot hold NUL (HTTP forbids it); a
    /// runtime that sees one uses {@link Router.resolveJson}.
    #[napi]
    pub fn resolve_packed(&self, url: String, headers: String) -> Result<String> {
        self.first_phase(&url, headers_from_packed(&headers)?, |out| to_json(out))
    }

    /// The request headers a decision depends on (lower-case names, sorted): the
    /// keys of the table's `has`/`missing` header conditions, `cookie` when a
    /// condition or i18n reads cookies, `accept-language` under i18n. Passing
    /// only these to {@link Router.resolvePacked} gives the same decision with
    /// less to copy; the middleware call then carries only these too, so the
    /// caller hands middleware the full request headers itself.
    #[napi(getter)]
    pub fn request_header_names(&self) -> Vec<String> {
        self.table.request_header_names()
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
        to_value(&decision_out(&routing::resume(&self.table, state, Some(mw))))
    }
}

impl Router {
    /// Runs routing up to middleware; `emit` serialises the answer.
    fn first_phase<T>(&self, url: &str, headers: Headers, emit: impl Fn(&FirstOut) -> Result<T>) -> Result<T> {
        let url = JsUrl::parse(url).ok_or_else(|| bad(format!("invalid request URL {url:?}")))?;
        let req = RouteRequest { url, headers };
        match routing::resolve_phase1(&self.table, &req) {
            Phase1::Done(r) => emit(&FirstOut::Decision(decision_out(&r))),
            Phase1::Continue(s) => emit(&FirstOut::Decision(decision_out(&routing::resume(&self.table, *s, None)))),
            Phase1::Middleware(call, s) => {
                let mut guard = self.suspended.lock().map_err(|_| bad("router state poisoned"))?;
                guard.0 = guard.0.wrapping_add(1);
                let token = guard.0;
                let response_headers = s.response_headers().entries();
                guard.1.insert(token, *s);
                drop(guard);
                emit(&FirstOut::Suspended(SuspendedOut {
                    middleware: MiddlewareCallOut {
                        url: call.url.href().to_string(),
                        headers: call.headers.entries(),
                        next_data: call.next_data,
                    },
                    response_headers,
                    token,
                }))
            }
        }
    }
}
