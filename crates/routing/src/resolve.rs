//! Route resolution with the semantics of Next's own reference implementation
//! (`@next/routing`'s `resolveRoutes`): i18n, `_next/data` normalisation, the
//! route phases, middleware (run by the caller between the two phases), dynamic
//! routes and `onMatch` headers. The differential test in
//! `__test__/routing.test.mjs` checks this against the npm package.

use super::headers::Headers;
use super::jsregex::JsMatch;
use super::jsurl::{parse_search_params, JsUrl};
use super::manifests::qs_escape;
use super::table::{CompiledCond, CompiledRoute, I18nConfig, I18nDomain, RoutingSpec, RoutingTable};
use std::collections::BTreeMap;

/// A query value: one string or several.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum QueryValue {
    /// Single value.
    One(String),
    /// Repeated key.
    Many(Vec<String>),
}

/// A redirect decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// Target URL.
    pub url: JsUrl,
    /// Status code.
    pub status: u16,
}

/// What routing decided (the fields of `ResolveRoutesResult`).
#[derive(Debug, Clone, Default)]
pub struct RouteResult {
    /// Middleware already sent the response.
    pub middleware_responded: bool,
    /// Proxy to this external URL.
    pub external_rewrite: Option<JsUrl>,
    /// Redirect.
    pub redirect: Option<Redirect>,
    /// Route pathname selected (template pathname for dynamic routes).
    pub resolved_pathname: Option<String>,
    /// Merged query.
    pub resolved_query: Option<BTreeMap<String, QueryValue>>,
    /// Concrete pathname to invoke.
    pub invocation_pathname: Option<String>,
    /// Response headers to add.
    pub resolved_headers: Option<Headers>,
    /// Status override.
    pub status: Option<u16>,
    /// Dynamic route params (numbered and named groups).
    pub route_matches: Option<BTreeMap<String, String>>,
}

/// What middleware returned (the fields of `MiddlewareResult`).
#[derive(Debug, Clone, Default)]
pub struct MiddlewareResult {
    /// The middleware sent a response body itself.
    pub body_sent: bool,
    /// Request headers to continue with.
    pub request_headers: Option<Headers>,
    /// Response headers to add.
    pub response_headers: Option<Headers>,
    /// Redirect.
    pub redirect: Option<Redirect>,
    /// Rewrite target.
    pub rewrite: Option<JsUrl>,
}

/// A request to route.
#[derive(Debug, Clone)]
pub struct RouteRequest {
    /// Absolute URL (`http://host/path?query`).
    pub url: JsUrl,
    /// Request headers.
    pub headers: Headers,
}

/// State carried across the middleware call.
#[derive(Debug, Clone)]
pub struct Suspended {
    url: JsUrl,
    req_headers: Headers,
    res_headers: Headers,
    status: Option<u16>,
    origin: String,
    is_next_data: bool,
    pending_redirect: Option<Redirect>,
    stopped: Option<Option<u16>>,
    /// With `next_start_compat`: the request's own path when it names a locale
    /// and an API route (`/fr/api/x`), which `next start` does not serve as the API route.
    locale_api_path: Option<String>,
    /// The path before routing gave it the default locale, for `locale: false` routes.
    unprefixed: Option<Unprefixed>,
}

impl Suspended {
    /// Response headers routing set before middleware (next.config `headers`),
    /// which also go on a response middleware sends itself.
    pub fn response_headers(&self) -> &Headers {
        &self.res_headers
    }
}

/// What middleware receives.
#[derive(Debug, Clone)]
pub struct MiddlewareCall {
    /// URL to pass to middleware.
    pub url: JsUrl,
    /// Request headers.
    pub headers: Headers,
    /// With `next_start_compat`: the request is a `_next/data` request, which
    /// `next start` tells middleware with `x-nextjs-data: 1` (Next's adapter then
    /// answers redirects with `x-nextjs-redirect` and rewrites with `x-nextjs-rewrite`).
    pub next_data: bool,
}

/// First phase outcome.
#[derive(Debug, Clone)]
pub enum Phase1 {
    /// Routing finished before middleware.
    Done(Box<RouteResult>),
    /// Run middleware with `call`, then call [`resume`] with `state`.
    Middleware(MiddlewareCall, Box<Suspended>),
    /// No middleware for this request; call [`resume`] with `None`.
    Continue(Box<Suspended>),
}

// ---- conditions ---------------------------------------------------------

struct CondMatch {
    captured: String,
    named: Vec<(String, String)>,
}

fn condition_value(c: &CompiledCond, url: &JsUrl, headers: &Headers) -> Option<String> {
    let key = c.def.key.as_deref().unwrap_or("");
    match c.def.kind.as_str() {
        "header" => headers.get(key).filter(|v| !v.is_empty()),
        "cookie" => {
            let cookie = headers.get("cookie").filter(|v| !v.is_empty())?;
            let mut found = None;
            for part in cookie.split(';') {
                let t = part.trim();
                let mut it = t.split('=');
                let name = it.next().unwrap_or("");
                if !name.is_empty() {
                    let rest: Vec<&str> = it.collect();
                    if name == key {
                        found = Some(rest.join("="));
                    }
                }
            }
            found
        }
        "query" => url.search_param(key).filter(|v| !v.is_empty()),
        "host" => Some(url.hostname()),
        _ => Some(String::new()),
    }
}

fn matches_condition(value: Option<&str>, c: &CompiledCond) -> Option<CondMatch> {
    let value = value?;
    let Some(pattern) = c.def.value.as_deref() else {
        return Some(CondMatch { captured: value.to_string(), named: vec![] });
    };
    if let Some((anchored, raw)) = &c.regexes {
        if let Some(m) = anchored.exec(value).or_else(|| raw.exec(value)) {
            let named = m.named.iter().filter_map(|(k, v)| v.as_ref().filter(|v| !v.is_empty()).map(|v| (k.clone(), v.clone()))).collect();
            return Some(CondMatch { captured: m.groups[0].clone().unwrap_or_default(), named });
        }
    }
    if value == pattern {
        return Some(CondMatch { captured: value.to_string(), named: vec![] });
    }
    None
}

fn normalize_capture_key(k: &str) -> String {
    k.chars().filter(|c| c.is_ascii_alphabetic()).collect()
}

/// Captures from `has`, or `None` when a condition fails.
fn check_has(conds: &[CompiledCond], url: &JsUrl, headers: &Headers) -> Option<Vec<(String, String)>> {
    let mut caps: Vec<(String, String)> = Vec::new();
    let put = |caps: &mut Vec<(String, String)>, k: String, v: String| {
        if let Some(e) = caps.iter_mut().find(|(ek, _)| *ek == k) {
            e.1 = v;
        } else {
            caps.push((k, v));
        }
    };
    for c in conds {
        let v = condition_value(c, url, headers);
        let m = matches_condition(v.as_deref(), c)?;
        for (k, v) in m.named {
            put(&mut caps, k, v);
        }
        if c.def.kind != "host" {
            put(&mut caps, normalize_capture_key(c.def.key.as_deref().unwrap_or("")), m.captured);
        }
    }
    Some(caps)
}

fn check_missing(conds: &[CompiledCond], url: &JsUrl, headers: &Headers) -> bool {
    conds.iter().all(|c| matches_condition(condition_value(c, url, headers).as_deref(), c).is_none())
}

// ---- destinations -------------------------------------------------------

/// Replaces `$1`, `$name` and has-captures in `text` (JS `replaceDestination`).
pub fn replace_destination(text: &str, m: Option<&JsMatch>, caps: &[(String, String)]) -> String {
    replace_destination_with(text, m, caps, false)
}

/// Where the path of a destination starts in `out` (after `scheme://host` when absolute).
fn path_start(out: &str) -> usize {
    match out.find("://") {
        Some(i) => out[i + 3..].find('/').map_or(out.len(), |j| i + 3 + j),
        None => 0,
    }
}

/// [`replace_destination`]; with `drop_unmatched_prefix`, a `/` right before a
/// group that did not take part in the match is left out of the path, as
/// path-to-regexp compiles `/docs/:path*` without a path to `/docs`.
pub fn replace_destination_with(text: &str, m: Option<&JsMatch>, caps: &[(String, String)], drop_unmatched_prefix: bool) -> String {
    if !text.contains('$') {
        return text.to_string();
    }
    let mut keys: Vec<String> = caps.iter().map(|(k, _)| k.clone()).collect();
    if let Some(m) = m {
        for i in 1..m.groups.len() {
            keys.push(i.to_string());
        }
        keys.extend(m.named.iter().map(|(k, _)| k.clone()));
    }
    if keys.is_empty() {
        return text.to_string();
    }
    // Longest first (stable, like Array.prototype.sort).
    keys.sort_by_key(|k| std::cmp::Reverse(k.chars().count()));
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if bytes[i] == b'$' {
            let rest = &text[i + 1..];
            let found = keys.iter().find(|k| {
                if !rest.starts_with(k.as_str()) {
                    return false;
                }
                if k.bytes().all(|b| b.is_ascii_digit()) {
                    !rest[k.len()..].starts_with(|c: char| c.is_ascii_digit())
                } else {
                    true
                }
            });
            if let Some(k) = found {
                let whole = format!("${k}");
                let mut rep: Option<String> = None;
                let mut unmatched = false;
                if let Some(m) = m {
                    if let Ok(n) = k.parse::<usize>() {
                        if n > 0 && n < m.groups.len() && n.to_string() == *k {
                            unmatched = m.groups[n].is_none();
                            rep = Some(m.groups[n].clone().unwrap_or_default());
                        }
                    }
                    if rep.is_none() && m.has_named() {
                        if let Some(v) = m.named_group(k) {
                            unmatched = v.is_none();
                            rep = Some(v.clone().unwrap_or_default());
                        }
                    }
                }
                let ends_segment = matches!(text.as_bytes().get(i + 1 + k.len()), None | Some(b'/' | b'?' | b'#'));
                if drop_unmatched_prefix
                    && unmatched
                    && ends_segment
                    && !text[..i].contains(['?', '#'])
                    && out.ends_with('/')
                    && out.len() - 1 > path_start(&out)
                {
                    out.pop();
                }
                if rep.is_none() {
                    rep = caps.iter().find(|(ck, _)| ck == k).map(|(_, v)| v.clone());
                }
                out.push_str(&rep.unwrap_or(whole));
                i += 1 + k.len();
                continue;
            }
        }
        let ch = text[i..].chars().next().expect("in bounds");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn is_external(dest: &str) -> bool {
    dest.starts_with("http://") || dest.starts_with("https://")
}

fn split_query(dest: &str) -> (&str, Option<&str>) {
    let mut it = dest.split('?');
    let path = it.next().unwrap_or("");
    (path, it.next())
}

fn apply_destination(url: &JsUrl, dest: &str) -> Option<JsUrl> {
    if is_external(dest) {
        return JsUrl::parse(dest);
    }
    let mut n = url.clone();
    let (path, query) = split_query(dest);
    n.set_pathname(path);
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        for (k, v) in parse_search_params(q) {
            n.search_params_set(&k, &v);
        }
    }
    Some(n)
}

fn merge_destination_query(url: &JsUrl, dest: &str) -> JsUrl {
    let mut n = url.clone();
    if let Some(q) = split_query(dest).1.filter(|q| !q.is_empty()) {
        for (k, v) in parse_search_params(q) {
            n.search_params_set(&k, &v);
        }
    }
    n
}

fn is_redirect_status(s: Option<u16>) -> bool {
    matches!(s, Some(s) if (300..400).contains(&s))
}

fn has_redirect_headers(h: &[(String, String)]) -> bool {
    h.iter().any(|(k, _)| k.eq_ignore_ascii_case("location") || k.eq_ignore_ascii_case("refresh"))
}

fn normalize_next_data(url: &JsUrl, base_path: &str, build_id: &str) -> JsUrl {
    let mut a = url.clone();
    let prefix = format!("{base_path}/_next/data/{build_id}/");
    let p = a.pathname().to_string();
    if let Some(rest) = p.strip_prefix(&prefix) {
        let rest = rest.strip_suffix(".json").unwrap_or(rest);
        let s = if rest == "index" {
            if base_path.is_empty() {
                "/".to_string()
            } else {
                base_path.to_string()
            }
        } else if base_path.is_empty() {
            format!("/{rest}")
        } else {
            format!("{base_path}/{rest}")
        };
        a.set_pathname(&s);
    }
    a
}

/// Whether a `_next/data` path (after `<buildId>/`) names a page path ending in a
/// `.` or `..` segment (`x/...json` is `x/..`); the URL parser has already resolved
/// any dot segment before the last one.
fn ends_in_dot_segment(rest: &str) -> bool {
    let last = rest.rsplit('/').next().unwrap_or(rest);
    matches!(last, "..json" | "...json")
}

/// The `_next/data` URL of page `url`; with `trim_slash` (the trailing slash
/// `next start` adds under `trailingSlash`), `/about/` is `about.json`.
fn denormalize_next_data(url: &JsUrl, base_path: &str, build_id: &str, trim_slash: bool) -> JsUrl {
    let mut a = url.clone();
    let prefix = format!("{base_path}/_next/data/{build_id}/");
    let p = a.pathname().to_string();
    if !p.starts_with(&prefix) {
        let mut e = p.as_str();
        if !base_path.is_empty() && p.starts_with(base_path) {
            e = &p[base_path.len()..];
        }
        let e = match e {
            "" | "/" => "/index",
            _ if trim_slash => e.strip_suffix('/').unwrap_or(e),
            _ => e,
        };
        a.set_pathname(&format!("{base_path}/_next/data/{build_id}{e}.json"));
    }
    a
}

// ---- i18n ---------------------------------------------------------------

fn detect_domain_locale<'a>(domains: Option<&'a [I18nDomain]>, hostname: Option<&str>, locale: Option<&str>) -> Option<&'a I18nDomain> {
    let host = hostname.map(|h| h.to_lowercase());
    let locale = locale.map(|l| l.to_lowercase());
    for d in domains? {
        let dom = d.domain.split(':').next().unwrap_or("").to_lowercase();
        if host.as_deref() == Some(dom.as_str())
            || locale.as_deref() == Some(d.default_locale.to_lowercase().as_str())
            || d.locales.iter().flatten().any(|l| Some(l.to_lowercase()) == locale)
        {
            return Some(d);
        }
    }
    None
}

fn normalize_locale_path(pathname: &str, locales: &[String]) -> (String, Option<String>) {
    if locales.is_empty() {
        return (pathname.to_string(), None);
    }
    let seg = pathname.split('/').nth(1).unwrap_or("");
    if seg.is_empty() {
        return (pathname.to_string(), None);
    }
    let lower = seg.to_lowercase();
    match locales.iter().position(|l| l.to_lowercase() == lower) {
        None => (pathname.to_string(), None),
        Some(i) => {
            let loc = &locales[i];
            let rest = pathname.get(loc.len() + 1..).unwrap_or("");
            (if rest.is_empty() { "/".to_string() } else { rest.to_string() }, Some(loc.clone()))
        }
    }
}

fn accept_language_locale(header: &str, locales: &[String]) -> Option<String> {
    if header.is_empty() || locales.is_empty() {
        return None;
    }
    let mut prefs: Vec<(String, f64, usize)> = header
        .split(',')
        .enumerate()
        .map(|(i, part)| {
            let mut t = part.trim().split(';');
            let locale = t.next().unwrap_or("").to_string();
            let mut q = 1.0;
            if let Some(p) = t.next() {
                if let Some(idx) = p.find("q=") {
                    let num: String = p[idx + 2..].chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
                    if !num.is_empty() {
                        q = js_parse_float(&num);
                    }
                }
            }
            (locale, q, i)
        })
        .filter(|(_, q, _)| *q > 0.0)
        .collect();
    prefs.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal).then(a.2.cmp(&b.2)));
    let map: Vec<(String, &String)> = locales.iter().map(|l| (l.to_lowercase(), l)).collect();
    let lookup = |k: &str| map.iter().rev().find(|(lk, _)| lk == k).map(|(_, l)| (*l).clone());
    for (l, _, _) in &prefs {
        if let Some(v) = lookup(&l.to_lowercase()) {
            return Some(v);
        }
    }
    for (l, _, _) in &prefs {
        let lower = l.to_lowercase();
        let base = lower.split('-').next().unwrap_or("");
        if let Some(v) = lookup(base) {
            return Some(v);
        }
        let mut seen = std::collections::HashSet::new();
        for (lk, orig) in &map {
            // Map iteration order: first insertion position of each key, last value.
            if !seen.insert(lk.clone()) {
                continue;
            }
            if lk.starts_with(&format!("{base}-")) {
                return lookup(lk).or_else(|| Some((*orig).clone()));
            }
        }
    }
    None
}

/// The locale `next start` prefers from `Accept-Language` (Next's `acceptLanguage`
/// with prefix matching): a configured `de-DE` also answers for `de`, but a
/// requested `de-CH` matches nothing; `q=0` entries are dropped, an out-of-range
/// `q` counts as 1, ties go to the configured order, `*` stands for every locale
/// not named, and a malformed header gives no preference.
fn next_start_accept_language(header: &str, locales: &[String]) -> Option<String> {
    let header: String = header.chars().filter(|c| *c != ' ' && *c != '\t').collect();
    // Keys in insertion order, as a JS Map iterates; a repeated key keeps its place.
    let mut lowers: Vec<(String, &String, usize)> = Vec::new();
    let mut pos = 0;
    for pref in locales {
        let lower = pref.to_lowercase();
        match lowers.iter_mut().find(|(k, _, _)| *k == lower) {
            Some(e) => *e = (lower.clone(), pref, pos),
            None => lowers.push((lower.clone(), pref, pos)),
        }
        pos += 1;
        let mut parts: Vec<&str> = lower.split('-').collect();
        while parts.pop().is_some() && !parts.is_empty() {
            let joined = parts.join("-");
            if !lowers.iter().any(|(k, _, _)| *k == joined) {
                lowers.push((joined, pref, pos));
                pos += 1;
            }
        }
    }
    let find = |t: &str| lowers.iter().find(|(k, _, _)| k == t);
    let mut named = std::collections::HashSet::new();
    // (token, position, q, configured position)
    let mut selections: Vec<(String, usize, f64, Option<usize>)> = Vec::new();
    for (i, part) in header.split(',').enumerate() {
        if part.is_empty() {
            continue;
        }
        let params: Vec<&str> = part.split(';').collect();
        if params.len() > 2 || params[0].is_empty() {
            return None;
        }
        let token = params[0].to_lowercase();
        let pref = find(&token).map(|e| e.2);
        named.insert(token.clone());
        let mut q = 1.0;
        if let Some(param) = params.get(1) {
            let mut kv = param.split('=');
            let (key, value) = (kv.next().unwrap_or(""), kv.next().unwrap_or(""));
            if value.is_empty() || (key != "q" && key != "Q") {
                return None;
            }
            let score = js_parse_float(value.trim_start());
            if score == 0.0 {
                continue;
            }
            if score.is_finite() && (0.001..=1.0).contains(&score) {
                q = score;
            }
        }
        selections.push((token, i, q, pref));
    }
    selections.sort_by(|a, b| {
        b.2.partial_cmp(&a.2)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| match (a.3, b.3) {
                (Some(x), Some(y)) => x.cmp(&y),
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then(a.1.cmp(&b.1))
    });
    let first = selections.iter().find_map(|(token, ..)| {
        if token == "*" {
            lowers.iter().find(|(k, _, _)| !named.contains(k)).map(|e| e.1.clone())
        } else {
            find(token).map(|e| e.1.clone())
        }
    });
    first.filter(|l| !l.is_empty())
}

/// `parseFloat`: the longest prefix that is a decimal literal (sign, digits, one
/// dot, an exponent when digits follow it, or `Infinity`), `NaN` when there is none.
fn js_parse_float(s: &str) -> f64 {
    let s = s.trim_start();
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    if s[i..].starts_with("Infinity") {
        return if b[0] == b'-' { f64::NEG_INFINITY } else { f64::INFINITY };
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    let mut any = digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        any |= digits(&mut i);
    }
    if !any {
        return f64::NAN;
    }
    let mantissa = i;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1 + usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        i = if digits(&mut j) { j } else { mantissa };
    }
    s[..i].parse::<f64>().unwrap_or(f64::NAN)
}

/// The `NEXT_LOCALE` cookie as `next start` reads it (Next's compiled `cookie`
/// parser): the first cookie of that name wins, surrounding quotes are dropped,
/// and a value that is not valid percent-encoding is kept as written. Another
/// cookie's bad encoding does not matter.
fn next_start_cookie(cookie: &str, name: &str) -> Option<String> {
    for part in cookie.split(';') {
        let Some(eq) = part.find('=') else { continue };
        if part[..eq].trim() != name {
            continue;
        }
        let mut v = part[eq + 1..].trim();
        if let Some(inner) = v.strip_prefix('"') {
            let mut chars = inner.chars();
            chars.next_back();
            v = chars.as_str();
        }
        return Some(percent_decode(v).unwrap_or_else(|| v.to_string()));
    }
    None
}

fn cookie_locale(cookie: Option<&str>, locales: &[String], next_start_compat: bool) -> Option<String> {
    let cookie = cookie?;
    if locales.is_empty() {
        return None;
    }
    if next_start_compat {
        let v = next_start_cookie(cookie, "NEXT_LOCALE")?.to_lowercase();
        return locales.iter().find(|l| !v.is_empty() && l.to_lowercase() == v).cloned();
    }
    let mut value = None;
    for part in cookie.split(';') {
        let t = part.trim();
        let mut it = t.split('=');
        let name = it.next().unwrap_or("");
        let rest: Vec<&str> = it.collect();
        if !name.is_empty() && !rest.is_empty() {
            // Every cookie is decoded; decodeURIComponent throwing on any of them
            // makes the whole lookup give up, as in the reference.
            let decoded = percent_decode(&rest.join("="))?;
            if name == "NEXT_LOCALE" {
                value = Some(decoded);
            }
        }
    }
    let v = value?.to_lowercase();
    if v.is_empty() {
        return None;
    }
    locales.iter().find(|l| l.to_lowercase() == v).cloned()
}

/// The locale redirect `next start` answers for the root path (Next's
/// `getLocaleRedirect`, run by its router server before any route): on a
/// configured domain the domain's default locale wins over the `NEXT_LOCALE`
/// cookie and `Accept-Language`, and only `Accept-Language` sends a request to
/// another domain (`<scheme>://<domain>/<locale>`, without the query); elsewhere
/// the cookie, then `Accept-Language`, picks a locale other than the default,
/// which redirects to `<basePath>/<locale>` (`/` added under `trailingSlash`)
/// with the query kept.
fn next_start_locale_redirect(
    spec: &RoutingSpec,
    i18n: &I18nConfig,
    domain: Option<&I18nDomain>,
    default: &str,
    cookie: Option<&str>,
    accept: Option<&str>,
    url: &JsUrl,
) -> Option<Redirect> {
    let bp = spec.base_path.as_str();
    let preferred = next_start_accept_language(accept.unwrap_or(""), &i18n.locales);
    let detected = domain
        .map(|d| d.default_locale.clone())
        .filter(|l| !l.is_empty())
        .or_else(|| cookie_locale(cookie, &i18n.locales, true))
        .or_else(|| preferred.clone())
        .unwrap_or_else(|| i18n.default_locale.clone());
    if let (Some(d), Some(p)) = (domain, preferred.as_deref()) {
        if let Some(pd) = detect_domain_locale(i18n.domains.as_deref(), None, Some(p)) {
            let same_locale = pd.default_locale == p;
            if pd.domain != d.domain || !same_locale {
                let scheme = if pd.http == Some(true) { "http" } else { "https" };
                let locale = if same_locale { "" } else { p };
                return JsUrl::parse(&format!("{scheme}://{}/{locale}", pd.domain)).map(|url| Redirect { url, status: 307 });
            }
        }
    }
    if detected.to_lowercase() == default.to_lowercase() {
        return None;
    }
    let mut target = url.clone();
    // Under `trailingSlash` the locale root keeps its slash (`/base/fr/`).
    target.set_pathname(&format!("{bp}/{detected}{}", if spec.trailing_slash { "/" } else { "" }));
    Some(Redirect { url: target, status: 307 })
}

/// `decodeURIComponent`: `None` where JS would throw.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let h = bytes.get(i + 1..i + 3)?;
            let v = u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
            out.push(v);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn detect_locale(pathname: &str, hostname: &str, cookie: Option<&str>, accept: Option<&str>, i18n: &I18nConfig) -> String {
    let (_, detected) = normalize_locale_path(pathname, &i18n.locales);
    if let Some(l) = detected {
        return l;
    }
    if i18n.locale_detection == Some(false) {
        let d = detect_domain_locale(i18n.domains.as_deref(), Some(hostname), None);
        return d.map(|d| d.default_locale.clone()).filter(|s| !s.is_empty()).unwrap_or_else(|| i18n.default_locale.clone());
    }
    if let Some(l) = cookie_locale(cookie, &i18n.locales, false) {
        return l;
    }
    if let Some(l) = accept_language_locale(accept.unwrap_or(""), &i18n.locales) {
        return l;
    }
    if let Some(d) = detect_domain_locale(i18n.domains.as_deref(), Some(hostname), None) {
        return d.default_locale.clone();
    }
    i18n.default_locale.clone()
}

// ---- route phases -------------------------------------------------------

struct RouteMatch {
    destination: Option<String>,
    headers: Option<Vec<(String, String)>>,
    regex_match: JsMatch,
    captures: Vec<(String, String)>,
}

/// The request's path as sent and as routing localized it, for `locale: false`
/// routes ([`crate::table::RoutingSpec::locale_false_unprefixed`]).
#[derive(Debug, Clone)]
struct Unprefixed {
    localized: String,
    raw: String,
    /// What went in front of the locale (the basePath, or nothing outside it).
    prefix: String,
    /// The locale routing added.
    locale: String,
}

impl Unprefixed {
    /// `p` with the locale routing added, when `p` names none: where a `locale: false`
    /// rewrite to `/about` finds its page (`/en/about`), as Next's page lookup does.
    fn localize(&self, p: &str, table: &RoutingTable) -> Option<String> {
        let i18n = table.spec.i18n.as_ref()?;
        let rest = p.strip_prefix(self.prefix.as_str()).filter(|r| r.starts_with('/'))?;
        if normalize_locale_path(rest, &i18n.locales).1.is_some() || rest.starts_with("/_next/") {
            return None;
        }
        Some(with_locale(&self.prefix, &self.locale, rest, table.spec.next_start_compat, table.spec.trailing_slash))
    }
}

/// [`match_route`], then, for a `locale: false` route while the path is still the
/// one routing localized, once more on the path without that locale.
fn match_route_or_unprefixed(r: &CompiledRoute, url: &JsUrl, headers: &Headers, unprefixed: Option<&Unprefixed>) -> Option<RouteMatch> {
    match_route(r, url, headers).or_else(|| {
        let u = unprefixed.filter(|u| r.unprefixed && url.pathname() == u.localized)?;
        let mut raw = url.clone();
        raw.set_pathname(&u.raw);
        match_route(r, &raw, headers)
    })
}

fn match_route(r: &CompiledRoute, url: &JsUrl, headers: &Headers) -> Option<RouteMatch> {
    let m = if r.needs_groups {
        r.regex.exec(url.pathname())?
    } else if r.regex.is_match(url.pathname()) {
        JsMatch::default()
    } else {
        return None;
    };
    let caps = check_has(&r.has, url, headers)?;
    if !check_missing(&r.missing, url, headers) {
        return None;
    }
    let drop = r.drop_unmatched_prefix;
    let destination = r.def.destination.as_deref().map(|d| replace_destination_with(d, Some(&m), &caps, drop));
    let headers = r.def.headers.as_ref().map(|_| {
        r.headers
            .iter()
            .map(|(k, v)| {
                let location = drop && k.eq_ignore_ascii_case("location");
                (replace_destination(k, Some(&m), &caps), replace_destination_with(v, Some(&m), &caps, location))
            })
            .collect()
    });
    Some(RouteMatch { destination, headers, regex_match: m, captures: caps })
}

struct Processed {
    url: JsUrl,
    redirect: Option<Redirect>,
    external: Option<JsUrl>,
    stopped: bool,
    status: Option<u16>,
}

fn header_ci<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn redirect_location_with_query(loc: &str, url: &JsUrl) -> String {
    if url.search().is_empty() {
        return loc.to_string();
    }
    let Some(mut n) = JsUrl::parse_with_base(loc, url) else {
        return loc.to_string();
    };
    if !n.search().is_empty() {
        return loc.to_string();
    }
    n.set_search(&url.search());
    if n.origin() != url.origin() {
        return n.href().to_string();
    }
    format!("{}{}{}", n.pathname(), n.search(), n.hash())
}

/// A redirect Location with the request's query merged in, as `next start` does
/// (the destination's own values win; `@next/routing` only adds the request's
/// query when the destination has none).
fn merged_query_location(loc: &str, url: &JsUrl) -> String {
    let Some(mut n) = JsUrl::parse_with_base(loc, url) else {
        return loc.to_string();
    };
    if url.search().is_empty() {
        return loc.to_string();
    }
    // `next start` formats the destination it parsed: an absolute one stays
    // absolute even on the request's own origin.
    let absolute = is_external(loc);
    if n.search().is_empty() {
        n.set_search(&url.search());
        return if absolute || n.origin() != url.origin() {
            n.href().to_string()
        } else {
            format!("{}{}{}", n.pathname(), n.search(), n.hash())
        };
    }
    let own = parse_search_params(n.search().trim_start_matches('?'));
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut done = std::collections::HashSet::new();
    for (k, v) in parse_search_params(url.search().trim_start_matches('?')) {
        if own.iter().any(|(ok, _)| *ok == k) {
            if done.insert(k.clone()) {
                pairs.extend(own.iter().filter(|(ok, _)| *ok == k).cloned());
            }
        } else {
            pairs.push((k, v));
        }
    }
    for (k, v) in &own {
        if !done.contains(k) && !pairs.iter().any(|(pk, _)| pk == k) {
            pairs.push((k.clone(), v.clone()));
        }
    }
    let search = pairs.iter().map(|(k, v)| format!("{}={}", qs_escape(k), qs_escape(v))).collect::<Vec<_>>().join("&");
    n.set_search(&search);
    if absolute || n.origin() != url.origin() {
        return n.href().to_string();
    }
    format!("{}{}{}", n.pathname(), n.search(), n.hash())
}

fn process_routes(
    routes: &[CompiledRoute],
    start: &JsUrl,
    headers: &Headers,
    res: &mut Headers,
    origin: &str,
    unprefixed: Option<&Unprefixed>,
) -> Processed {
    process_routes_with(routes, start, headers, res, origin, OtherPaths { priority: None, unprefixed }, false)
}

/// `next start`'s pathname for its internal (priority) routes with i18n: the
/// default locale, which routing added or the request carried, is left out, so
/// e.g. the trailing-slash redirect of `/about/` goes to `/about`, not `/en/about`.
/// `had_slash` is whether the request's own pathname ended with `/` (routing
/// adds the locale to the root without one: `/base/` is routed as `/base/en`).
fn internal_route_pathname(pathname: &str, had_slash: bool, bp: &str, locales: &[String], default_locale: &str) -> String {
    let mut cur = match pathname.strip_prefix(bp) {
        Some(rest) if !bp.is_empty() && (rest.is_empty() || rest.starts_with('/')) => {
            if rest.is_empty() {
                "/".to_string()
            } else {
                rest.to_string()
            }
        }
        _ => pathname.to_string(),
    };
    let had_bp = cur != pathname;
    let (rest, detected) = normalize_locale_path(&cur, locales);
    let is_default = detected.as_deref() == Some(default_locale);
    let prefix = |p: &str, pre: &str| if pre.is_empty() { p.to_string() } else { format!("{pre}{p}") };
    if is_default {
        cur = if rest == "/" && had_bp { bp.to_string() } else { prefix(&rest, if had_bp { bp } else { "" }) };
    } else if had_bp {
        cur = if cur == "/" { bp.to_string() } else { prefix(&cur, bp) };
    }
    if (is_default || had_bp) && had_slash && !cur.ends_with('/') {
        cur.push('/');
    }
    cur
}

/// Paths some routes are matched against instead of, or besides, the current one.
#[derive(Clone, Copy)]
struct OtherPaths<'a> {
    /// `next start`'s path for its internal (priority) routes.
    priority: Option<&'a JsUrl>,
    /// The path without the default locale, for `locale: false` routes.
    unprefixed: Option<&'a Unprefixed>,
}

/// [`process_routes`], with priority routes matched against `other.priority` when given.
fn process_routes_with(
    routes: &[CompiledRoute],
    start: &JsUrl,
    headers: &Headers,
    res: &mut Headers,
    origin: &str,
    other: OtherPaths,
    merge_query: bool,
) -> Processed {
    let mut url = start.clone();
    let mut status = None;
    for r in routes {
        let priority = if r.def.priority == Some(true) { other.priority } else { None };
        let m = match priority {
            Some(p) => match_route(r, p, headers).map(|m| (m, p.clone())),
            None => match_route_or_unprefixed(r, &url, headers, other.unprefixed).map(|m| (m, url.clone())),
        };
        let Some((m, matched_url)) = m else {
            continue;
        };
        if let Some(h) = &m.headers {
            for (k, v) in h {
                res.set(k, v);
            }
        }
        if r.def.status.is_some() {
            status = r.def.status;
        }
        if is_redirect_status(r.def.status) && m.headers.as_ref().is_some_and(|h| has_redirect_headers(h)) {
            if let Some(d) = &m.destination {
                let target = if is_external(d) { JsUrl::parse(d) } else { apply_destination(&url, d) };
                if let Some(target) = target {
                    return Processed {
                        url,
                        redirect: Some(Redirect { url: target, status: r.def.status.unwrap_or(307) }),
                        external: None,
                        stopped: true,
                        status,
                    };
                }
            }
            if let Some(loc) = m.headers.as_ref().and_then(|h| header_ci(h, "location")) {
                let loc =
                    if merge_query { merged_query_location(loc, &matched_url) } else { redirect_location_with_query(loc, &matched_url) };
                res.set("location", &loc);
            }
            return Processed { url, redirect: None, external: None, stopped: true, status };
        }
        if let Some(d) = &m.destination {
            if is_external(d) {
                let ext = JsUrl::parse(d);
                return Processed { url, redirect: None, external: ext, stopped: true, status };
            }
            if let Some(n) = apply_destination(&url, d) {
                url = n;
            }
            if url.origin() != origin {
                return Processed { external: Some(url.clone()), url, redirect: None, stopped: true, status };
            }
        }
    }
    Processed { url, redirect: None, external: None, stopped: false, status }
}

fn matches_pathname(p: &str, table: &RoutingTable) -> Option<String> {
    if table.spec.next_start_compat && table.spec.i18n.is_some() && is_unlocalized_data_path(p, table) {
        // `next start` has no data route without a locale (the adapter still lists
        // `/_next/data/<id>/docs/[...slug].json` beside the localised ones).
        return None;
    }
    if table.pathnames.contains(p) {
        return Some(p.to_string());
    }
    if !table.spec.next_start_compat {
        return None;
    }
    if let Some(canonical) = data_path_with_canonical_locale(p, table) {
        // `next start` finds `/_next/data/<id>/nl-nl.json` as `nl-NL`'s index data.
        return table.pathnames.contains(&canonical).then_some(canonical);
    }
    // What `next start` serves beyond exact pathnames: `/x/` is `/x` (the trailing
    // slash redirects ran before), and the root is the `index` page.
    let trimmed = if p.len() > 1 { p.strip_suffix('/').unwrap_or(p) } else { p };
    if trimmed != p && table.pathnames.contains(trimmed) {
        return Some(trimmed.to_string());
    }
    let bp = table.spec.base_path.as_str();
    if trimmed == bp || (trimmed == "/" && bp.is_empty()) {
        let index = format!("{bp}/index");
        if table.pathnames.contains(&index) {
            return Some(index);
        }
    }
    None
}

/// `p`, a `_next/data` path whose locale segment is not written as configured
/// (`nl-nl`), with the configured spelling (`nl-NL`); `None` for any other path.
fn data_path_with_canonical_locale(p: &str, table: &RoutingTable) -> Option<String> {
    let spec = &table.spec;
    let i18n = spec.i18n.as_ref()?;
    let prefix_len = spec.base_path.len() + "/_next/data/".len() + spec.build_id.len() + 1;
    let rest =
        p.strip_prefix(spec.base_path.as_str())?.strip_prefix("/_next/data/")?.strip_prefix(spec.build_id.as_str())?.strip_prefix('/')?;
    let seg = rest.split('/').next().unwrap_or("");
    let seg = if seg.len() == rest.len() { seg.strip_suffix(".json").unwrap_or(seg) } else { seg };
    let locale = i18n.locales.iter().find(|l| l.eq_ignore_ascii_case(seg) && l.as_str() != seg)?;
    Some(format!("{}{locale}{}", &p[..prefix_len], &rest[seg.len()..]))
}

/// With [`RoutingSpec::data_default_locale`] and middleware: the `_next/data` URL
/// `data_url` (under `prefix`, `<basePath>/_next/data/<buildId>/`) with the (domain's)
/// default locale in front of its page when that page carries none
/// (`about.json` is `en/about.json`, `index.json` is `en.json`). `next start` does
/// this before any route matches, only when the app has middleware; without it such
/// a request names no page.
fn data_url_with_default_locale(table: &RoutingTable, data_url: &JsUrl, prefix: &str) -> Option<JsUrl> {
    let spec = &table.spec;
    let i18n = spec.i18n.as_ref().filter(|_| spec.next_start_compat && spec.data_default_locale)?;
    if table.middleware_matchers.as_ref().is_some_and(|m| m.is_empty()) {
        return None;
    }
    let rest = data_url.pathname().strip_prefix(prefix)?.strip_suffix(".json")?;
    let page = if rest == "index" { "/".to_string() } else { format!("/{rest}") };
    let (page, detected) = normalize_locale_path(&page, &i18n.locales);
    if detected.is_some() || page.starts_with("/_next/") {
        return None;
    }
    let dom = detect_domain_locale(i18n.domains.as_deref(), Some(&data_url.hostname()), None);
    let default = dom.map(|d| d.default_locale.as_str()).filter(|s| !s.is_empty()).unwrap_or(&i18n.default_locale);
    let mut u = data_url.clone();
    if spec.base_path.is_empty() {
        // Kept as written (dot segments included), as `next start` keeps it.
        u.set_pathname(&if page == "/" { format!("{prefix}{default}.json") } else { format!("{prefix}{default}{page}.json") });
        return Some(u);
    }
    // `next start` joins the page to the basePath, resolving dot segments, so a
    // `..` can climb out of the added locale (`/en/..` is the basePath's root). Its
    // page lookup ignores locales, and the request keeps the default locale: routed
    // here as that locale's page. (Only next.config headers differ: `next start`
    // matches them against the path without the locale.)
    let mut segments: Vec<&str> = vec![default];
    for seg in page.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    u.set_pathname(&match segments.as_slice() {
        [] => format!("{prefix}{default}.json"),
        [l, ..] if *l != default => format!("{prefix}{default}/{}.json", segments.join("/")),
        [_] => format!("{prefix}{default}.json"),
        _ => format!("{prefix}{}.json", segments.join("/")),
    });
    Some(u)
}

/// Whether `p` is `<basePath>/_next/data/<buildId>/<x>` with no locale as `<x>`'s first segment.
fn is_unlocalized_data_path(p: &str, table: &RoutingTable) -> bool {
    let spec = &table.spec;
    let Some(rest) = p
        .strip_prefix(spec.base_path.as_str())
        .and_then(|r| r.strip_prefix("/_next/data/"))
        .and_then(|r| r.strip_prefix(spec.build_id.as_str()))
    else {
        return false;
    };
    let Some(rest) = rest.strip_prefix('/') else {
        return false;
    };
    // `/en.json` is the `en` index page's data.
    let seg = rest.split('/').next().unwrap_or("");
    let seg = if seg.len() == rest.len() { seg.strip_suffix(".json").unwrap_or(seg) } else { seg };
    let locales = spec.i18n.as_ref().map_or(&[][..], |i| i.locales.as_slice());
    !locales.iter().any(|l| l.eq_ignore_ascii_case(seg))
}

/// [`matches_pathname`], and with `next_start_compat` and i18n also a pages API
/// route under a locale prefix (`/en/api/x` is `/api/x`, as `next start`'s file
/// system lookup strips the locale), except on the request's own `/<locale>/api`
/// path (`locale_api_path`). Gives the matched pathname and the path to invoke.
fn matches_page(p: &str, table: &RoutingTable, locale_api_path: Option<&str>) -> Option<(String, String)> {
    if let Some(d) = matches_pathname(p, table) {
        return Some((d, p.to_string()));
    }
    let i18n = table.spec.i18n.as_ref().filter(|_| table.spec.next_start_compat)?;
    if locale_api_path == Some(p) {
        return None;
    }
    let bp = table.spec.base_path.as_str();
    let rest = p.strip_prefix(bp)?;
    let (stripped, detected) = normalize_locale_path(rest, &i18n.locales);
    detected?;
    if stripped != "/api" && !stripped.starts_with("/api/") {
        return None;
    }
    let api = format!("{bp}{stripped}");
    matches_pathname(&api, table).map(|d| (d, api))
}

/// `<basePath>/<locale><pathname>`; with `next_start_compat` the root is
/// `/<locale>` (as `next start` prefixes it), not `/<locale>/`, unless
/// `trailingSlash` is on.
fn with_locale(bp: &str, locale: &str, pathname: &str, compat: bool, trailing_slash: bool) -> String {
    if compat && pathname == "/" {
        // Under `trailingSlash` `next start` gives the locale root its slash too
        // (`/base/en/`), before any route matches.
        format!("{bp}/{locale}{}", if trailing_slash { "/" } else { "" })
    } else {
        format!("{bp}/{locale}{pathname}")
    }
}

fn matches_pathname_with_locale(p: &str, table: &RoutingTable) -> Option<String> {
    if let Some(m) = matches_pathname(p, table) {
        return Some(m);
    }
    let i18n = table.spec.i18n.as_ref()?;
    let bp = &table.spec.base_path;
    let r = if !bp.is_empty() && p.starts_with(bp.as_str()) {
        let s = &p[bp.len()..];
        if s.is_empty() {
            "/"
        } else {
            s
        }
    } else {
        p
    };
    for l in &i18n.locales {
        let pre = format!("/{l}");
        if r != pre && !r.starts_with(&format!("{pre}/")) {
            continue;
        }
        let s = if r == pre {
            "/".to_string()
        } else {
            let x = &r[pre.len()..];
            if x.is_empty() {
                "/".to_string()
            } else {
                x.to_string()
            }
        };
        let o = if bp.is_empty() { s } else { format!("{bp}{s}") };
        if let Some(m) = matches_pathname(&o, table) {
            return Some(m);
        }
    }
    None
}

fn is_dynamic_template(p: &str) -> bool {
    // /\[[^/]+?\]/
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'[' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'/' {
                if b[j] == b']' && j > i + 1 {
                    return true;
                }
                j += 1;
            }
        }
        i += 1;
    }
    false
}

fn to_query(url: &JsUrl) -> BTreeMap<String, QueryValue> {
    let mut q: BTreeMap<String, QueryValue> = BTreeMap::new();
    for (k, v) in url.search_params() {
        match q.remove(&k) {
            None => {
                q.insert(k, QueryValue::One(v));
            }
            Some(QueryValue::One(a)) => {
                q.insert(k, QueryValue::Many(vec![a, v]));
            }
            Some(QueryValue::Many(mut a)) => {
                a.push(v);
                q.insert(k, QueryValue::Many(a));
            }
        }
    }
    q
}

fn with_target(mut r: RouteResult, url: &JsUrl, resolved: String, invocation: String) -> RouteResult {
    r.resolved_pathname = Some(resolved);
    r.resolved_query = Some(to_query(url));
    r.invocation_pathname = Some(invocation);
    r
}

fn route_params(m: &JsMatch) -> BTreeMap<String, String> {
    let mut p = BTreeMap::new();
    for (i, g) in m.groups.iter().enumerate().skip(1) {
        if let Some(v) = g {
            p.insert(i.to_string(), v.clone());
        }
    }
    for (k, v) in &m.named {
        // Object.assign copies undefined values too; they serialise away in JSON.
        if let Some(v) = v {
            p.insert(k.clone(), v.clone());
        } else {
            p.remove(k);
        }
    }
    p
}

fn on_match_headers(table: &RoutingTable, url: &JsUrl, req: &Headers, res: &Headers) -> Headers {
    let mut r = res.clone();
    for route in &table.on_match {
        if let Some(m) = match_route(route, url, req) {
            for (k, v) in m.headers.iter().flatten() {
                r.set(k, v);
            }
        }
    }
    r
}

#[allow(clippy::too_many_arguments)]
fn check_dynamic_routes(
    table: &RoutingTable,
    url: &JsUrl,
    req: &Headers,
    res: &Headers,
    is_next_data: bool,
) -> Option<(RouteResult, JsUrl)> {
    let spec = &table.spec;
    let f = if is_next_data && spec.should_normalize_next_data {
        denormalize_next_data(url, &spec.base_path, &spec.build_id, spec.data_path_slash())
    } else {
        url.clone()
    };
    for r in &table.dynamic_routes {
        let Some(m) = r.regex.exec(f.pathname()) else {
            continue;
        };
        let Some(caps) = check_has(&r.has, &f, req) else {
            continue;
        };
        if !check_missing(&r.missing, &f, req) {
            continue;
        }
        let dest = r.def.destination.as_deref().map(|d| replace_destination_with(d, Some(&m), &caps, r.drop_unmatched_prefix));
        let target = dest.as_deref().map(|d| split_query(d).0.to_string()).unwrap_or_else(|| f.pathname().to_string());
        if let Some(h) = matches_pathname_with_locale(&target, table) {
            let t = dest.as_deref().map(|d| merge_destination_query(&f, d)).unwrap_or_else(|| f.clone());
            let headers = on_match_headers(table, &t, req, res);
            let result = with_target(
                RouteResult { route_matches: Some(route_params(&m)), resolved_headers: Some(headers), ..Default::default() },
                &t,
                h,
                f.pathname().to_string(),
            );
            return Some((result, f));
        }
    }
    None
}

/// Runs routing up to middleware.
pub fn resolve_phase1(table: &RoutingTable, req: &RouteRequest) -> Phase1 {
    let spec = &table.spec;
    let (bp, build_id) = (spec.base_path.as_str(), spec.build_id.as_str());
    let mut url = req.url.clone();
    let headers = &req.headers;
    let mut res = Headers::new();
    let mut status: Option<u16> = None;
    let mut pending_redirect: Option<Redirect> = None;
    let mut stopped: Option<Option<u16>> = None;
    let origin = req.url.origin();
    let mut is_next_data = false;
    // The `_next/data` URL routing goes on with (the request's, or with the default
    // locale added as `next start` adds it).
    let mut data_url = req.url.clone();
    if spec.should_normalize_next_data {
        let prefix = format!("{bp}/_next/data/{build_id}/");
        is_next_data = req.url.pathname().starts_with(&prefix);
        if let Some(u) = data_url_with_default_locale(table, &req.url, &prefix) {
            data_url = u;
            url = data_url.clone();
        }
        if is_next_data {
            let page = normalize_next_data(&url, bp, build_id);
            // A data path whose `..` climbs out of the basePath (`<bp>/_next/data/<id>/...json`
            // is the page `<bp>/..`) names no page in `next start`: it stays a data URL.
            // So does one whose page path ends in a dot segment without a basePath
            // (`/_next/data/<id>/x/...json` is the page `/x/..`, which `next start` looks up
            // as written and does not find; with a basePath it joins the path to the
            // basePath, resolving the dots as a URL parser does).
            let escapes = !bp.is_empty() && page.pathname() != bp && !page.pathname().starts_with(&format!("{bp}/"));
            let raw_dots = bp.is_empty() && ends_in_dot_segment(&data_url.pathname()[prefix.len()..]);
            if spec.next_start_compat && (escapes || raw_dots) {
                is_next_data = false;
            } else {
                url = page;
                // `next start` gives the page path a trailing slash under `trailingSlash`
                // before any route matches (`/_next/data/<id>/about.json` is `/about/`).
                if spec.data_path_slash() && !url.pathname().ends_with('/') {
                    let p = format!("{}/", url.pathname());
                    url.set_pathname(&p);
                }
            }
        }
    }
    let mut canonical_locale: Option<(String, String)> = None;
    let mut locale_api_path = None;
    let mut unprefixed = None;
    // A path outside the basePath (`/about` or `/basement` with basePath `/base`)
    // matches no page and runs no middleware in `next start`; its locale goes in
    // front without the basePath. Its locale redirect of the root still applies
    // (`/` → `/base/fr/`).
    let outside_bp = spec.next_start_compat && !bp.is_empty() && {
        let p = url.pathname();
        p != bp && !p.starts_with(&format!("{bp}/"))
    };
    if let (Some(i18n), false) = (&spec.i18n, is_next_data) {
        let p = url.pathname().to_string();
        let e = match p.strip_prefix(bp) {
            _ if outside_bp => p.clone(),
            Some("") => "/".to_string(),
            Some(s) => s.to_string(),
            None => p.clone(),
        };
        // `next start` gives `/api` paths a locale too (its page lookup finds an API
        // route under any locale prefix); @next/routing leaves them alone.
        if !e.starts_with("/_next/") && (spec.next_start_compat || !e.starts_with("/api/")) {
            let host = url.hostname();
            let cookie = headers.get("cookie").filter(|c| !c.is_empty());
            let accept = headers.get("accept-language").filter(|c| !c.is_empty());
            let (rest, detected) = normalize_locale_path(&e, &i18n.locales);
            let in_path = detected.is_some();
            let dom = detect_domain_locale(i18n.domains.as_deref(), Some(&host), None);
            let default = dom.map(|d| d.default_locale.clone()).filter(|s| !s.is_empty()).unwrap_or_else(|| i18n.default_locale.clone());
            let mut locale = detected.clone().unwrap_or_else(|| default.clone());
            // `next start` takes `/index` (and `/index/`) for the root here, as a page path.
            let root = rest == "/" || (spec.next_start_compat && (rest == "/index" || rest == "/index/"));
            let detect = i18n.locale_detection != Some(false) && !in_path && root;
            if detect && spec.next_start_compat {
                // `next start` answers its locale redirect before any route or middleware
                // runs, with none of their headers; otherwise routing goes on with the
                // (domain's) default locale.
                if let Some(r) = next_start_locale_redirect(spec, i18n, dom, &default, cookie.as_deref(), accept.as_deref(), &url) {
                    let mut res = Headers::default();
                    res.set("location", r.url.href());
                    return Phase1::Done(Box::new(RouteResult { redirect: Some(r), resolved_headers: Some(res), ..Default::default() }));
                }
            } else if detect {
                locale = detect_locale(&e, &host, cookie.as_deref(), accept.as_deref(), i18n);
                if locale != default {
                    let target_dom = detect_domain_locale(i18n.domains.as_deref(), None, Some(&locale));
                    if let Some(td) = target_dom {
                        if td.domain != host {
                            let proto = if td.http == Some(true) { "http" } else { "https" };
                            let lp = if locale == td.default_locale { String::new() } else { format!("/{locale}") };
                            if let Some(u) = JsUrl::parse(&format!("{proto}://{}{bp}{lp}{e}{}", td.domain, url.search())) {
                                pending_redirect = Some(Redirect { url: u, status: 307 });
                            }
                        }
                    }
                    if target_dom.is_none_or(|td| td.domain == host) {
                        let mut t = url.clone();
                        t.set_pathname(&with_locale(bp, &locale, &e, spec.next_start_compat, spec.trailing_slash));
                        pending_redirect = Some(Redirect { url: t, status: 307 });
                    }
                }
            }
            if spec.next_start_compat && !outside_bp && in_path && (rest == "/api" || rest.starts_with("/api/")) {
                locale_api_path = Some(url.pathname().to_string());
            }
            if let (Some(l), true, false) = (&detected, spec.next_start_compat, outside_bp) {
                // `next start` takes `/DE-DE/x` as the `de-DE` locale's `/x` (once its
                // redirects, which keep the case, have run).
                let ends_segment = e.as_bytes().get(1 + l.len()).is_none_or(|b| *b == b'/');
                if ends_segment && e.get(1..=l.len()).is_some_and(|seg| seg != l) {
                    canonical_locale = Some((url.pathname().to_string(), format!("{bp}/{l}{}", &e[1 + l.len()..])));
                }
            }
            if !in_path && pending_redirect.is_none() {
                let l = if locale.is_empty() {
                    dom.map(|d| d.default_locale.clone()).unwrap_or_else(|| i18n.default_locale.clone())
                } else {
                    locale
                };
                // Outside the basePath `next start` still puts the locale in front
                // (`/BASE/x` is `/en/BASE/x`), with no basePath: it then matches no
                // page, and only routes without the basePath.
                let prefix = if outside_bp { "" } else { bp };
                let raw = url.pathname().to_string();
                url.set_pathname(&with_locale(prefix, &l, &e, spec.next_start_compat, spec.trailing_slash));
                if spec.locale_false_unprefixed {
                    unprefixed = Some(Unprefixed { localized: url.pathname().to_string(), raw, prefix: prefix.to_string(), locale: l });
                }
            }
        }
    }
    // The URL `next start` matches its internal (priority) routes against.
    let priority_url = match (&spec.i18n, spec.next_start_compat) {
        // `next start` runs its internal redirects on the `_next/data` URL itself.
        (_, true) if is_next_data => Some(data_url.clone()),
        (Some(i18n), true) => {
            let dom = detect_domain_locale(i18n.domains.as_deref(), Some(&url.hostname()), None);
            let default = dom.map(|d| d.default_locale.as_str()).filter(|s| !s.is_empty()).unwrap_or(&i18n.default_locale);
            let mut u = url.clone();
            let had_slash = req.url.pathname().ends_with('/');
            u.set_pathname(&internal_route_pathname(url.pathname(), had_slash, bp, &i18n.locales, default));
            Some(u)
        }
        _ => None,
    };
    let y = process_routes_with(
        &table.before_middleware,
        &url,
        headers,
        &mut res,
        &origin,
        OtherPaths { priority: priority_url.as_ref(), unprefixed: unprefixed.as_ref() },
        spec.next_start_compat,
    );
    if y.status.is_some() {
        status = y.status;
    }
    if let Some(r) = y.redirect {
        return Phase1::Done(Box::new(RouteResult { redirect: Some(r), resolved_headers: Some(res), status, ..Default::default() }));
    }
    if let Some(x) = y.external {
        return Phase1::Done(Box::new(RouteResult {
            external_rewrite: Some(x),
            resolved_headers: Some(res),
            status,
            ..Default::default()
        }));
    }
    if y.stopped {
        // `next start` answers its redirects (the trailing-slash one included) before
        // middleware runs; @next/routing runs middleware first.
        if spec.next_start_compat && is_redirect_status(status) && res.has("location") {
            return Phase1::Done(Box::new(RouteResult { resolved_headers: Some(res), status, ..Default::default() }));
        }
        stopped = Some(status);
    }
    url = y.url;
    if let Some((before, canonical)) = canonical_locale {
        if url.pathname() == before {
            url.set_pathname(&canonical);
        }
    }
    let nd = is_next_data && spec.should_normalize_next_data;
    // `next start` hands middleware a data request as its page URL (`/about`, or
    // `/about/` under `trailingSlash`) with `x-nextjs-data: 1`; @next/routing as the data URL.
    let call = should_invoke_middleware(table, &url, headers).then(|| MiddlewareCall {
        url: if nd && !spec.next_start_compat { denormalize_next_data(&url, bp, build_id, false) } else { url.clone() },
        headers: headers.clone(),
        next_data: nd && spec.next_start_compat,
    });
    let state = Box::new(Suspended {
        url,
        req_headers: headers.clone(),
        res_headers: res,
        status,
        origin,
        is_next_data,
        pending_redirect,
        stopped,
        locale_api_path,
        unprefixed,
    });
    match call {
        Some(call) => Phase1::Middleware(call, state),
        None => Phase1::Continue(state),
    }
}

fn should_invoke_middleware(table: &RoutingTable, url: &JsUrl, headers: &Headers) -> bool {
    let Some(matchers) = &table.middleware_matchers else {
        return true;
    };
    if matchers.is_empty() {
        return false;
    }
    let test = |p: &str| {
        matchers.iter().any(|m| m.regex.is_match(p) && check_has(&m.has, url, headers).is_some() && check_missing(&m.missing, url, headers))
    };
    if test(url.pathname()) {
        return true;
    }
    match percent_decode(url.pathname()) {
        None => false,
        Some(d) if d == url.pathname() => false,
        Some(d) => test(&d),
    }
}

/// Finishes routing after middleware (`mw` is `None` when it did not run).
pub fn resume(table: &RoutingTable, state: Suspended, mw: Option<MiddlewareResult>) -> RouteResult {
    let spec = &table.spec;
    let (bp, build_id) = (spec.base_path.as_str(), spec.build_id.as_str());
    let Suspended {
        mut url,
        req_headers: mut headers,
        res_headers: mut res,
        mut status,
        origin,
        is_next_data,
        pending_redirect,
        stopped,
        locale_api_path,
        unprefixed,
    } = state;
    let nd = is_next_data && spec.should_normalize_next_data;
    if let Some(e) = mw {
        if e.body_sent {
            return RouteResult { middleware_responded: true, ..Default::default() };
        }
        if let Some(h) = e.request_headers {
            headers = h;
        }
        if let Some(rh) = e.response_headers {
            for (k, v) in rh.entries() {
                if k.eq_ignore_ascii_case("set-cookie") {
                    res.append(&k, &v);
                } else {
                    res.set(&k, &v);
                }
            }
        }
        if let Some(r) = e.redirect {
            if !res.has("location") {
                res.set("Location", r.url.href());
            }
            return RouteResult { resolved_headers: Some(res), status: Some(r.status), ..Default::default() };
        }
        if let Some(rw) = e.rewrite {
            url = rw;
            if url.origin() != origin {
                return RouteResult { external_rewrite: Some(url), resolved_headers: Some(res), status, ..Default::default() };
            }
        }
    }
    if let Some(g) = pending_redirect {
        if !res.has("location") {
            res.set("location", g.url.href());
        }
        return RouteResult { redirect: Some(g), resolved_headers: Some(res), ..Default::default() };
    }
    if let Some(s) = stopped {
        return RouteResult { resolved_headers: Some(res), status: s, ..Default::default() };
    }
    if nd {
        url = normalize_next_data(&url, bp, build_id);
    }
    let h = process_routes(&table.before_files, &url, &headers, &mut res, &origin, unprefixed.as_ref());
    if h.status.is_some() {
        status = h.status;
    }
    if let Some(r) = h.redirect {
        return RouteResult { redirect: Some(r), resolved_headers: Some(res), status, ..Default::default() };
    }
    if let Some(x) = h.external {
        return RouteResult { external_rewrite: Some(x), resolved_headers: Some(res), status, ..Default::default() };
    }
    if h.stopped {
        return RouteResult { resolved_headers: Some(res), status, ..Default::default() };
    }
    url = h.url;
    if nd {
        url = denormalize_next_data(&url, bp, build_id, spec.data_path_slash());
    }
    if let Some((d, inv)) = matches_page(url.pathname(), table, locale_api_path.as_deref()) {
        for r in &table.dynamic_routes {
            let Some(m) = r.regex.exec(url.pathname()) else {
                continue;
            };
            let Some(caps) = check_has(&r.has, &url, &headers) else {
                continue;
            };
            if !check_missing(&r.missing, &url, &headers) {
                continue;
            }
            let dest = r.def.destination.as_deref().map(|x| replace_destination_with(x, Some(&m), &caps, r.drop_unmatched_prefix));
            let c = dest.as_deref().map(|x| split_query(x).0.to_string()).unwrap_or_else(|| url.pathname().to_string());
            match matches_pathname_with_locale(&c, table) {
                None => {
                    if is_dynamic_template(&c) {
                        continue;
                    }
                    let e = dest.as_deref().map(|x| merge_destination_query(&url, x)).unwrap_or_else(|| url.clone());
                    let hdrs = on_match_headers(table, &e, &headers, &res);
                    return with_target(
                        RouteResult { route_matches: Some(route_params(&m)), resolved_headers: Some(hdrs), status, ..Default::default() },
                        &e,
                        d,
                        url.pathname().to_string(),
                    );
                }
                Some(u) => {
                    if !(u == d || is_dynamic_template(&d)) {
                        continue;
                    }
                    let w = dest.as_deref().map(|x| merge_destination_query(&url, x)).unwrap_or_else(|| url.clone());
                    let hdrs = on_match_headers(table, &w, &headers, &res);
                    return with_target(
                        RouteResult { route_matches: Some(route_params(&m)), resolved_headers: Some(hdrs), status, ..Default::default() },
                        &w,
                        u,
                        url.pathname().to_string(),
                    );
                }
            }
        }
        let hdrs = on_match_headers(table, &url, &headers, &res);
        return with_target(RouteResult { resolved_headers: Some(hdrs), status, ..Default::default() }, &url, d, inv);
    }
    if nd {
        url = normalize_next_data(&url, bp, build_id);
    }
    for list in [&table.after_files, &table.fallback] {
        if std::ptr::eq(list, &table.fallback) {
            // Dynamic routes are checked between afterFiles and fallback.
            if let Some(r) = dynamic_after(table, &url, &headers, &res, status) {
                return r;
            }
        }
        for r in list.iter() {
            let Some(t) = match_route_or_unprefixed(r, &url, &headers, unprefixed.as_ref()) else {
                continue;
            };
            if let Some(h) = &t.headers {
                for (k, v) in h {
                    res.set(k, v);
                }
            }
            if r.def.status.is_some() {
                status = r.def.status;
            }
            let Some(dest) = &t.destination else { continue };
            if is_redirect_status(r.def.status) && t.headers.as_ref().is_some_and(|h| has_redirect_headers(h)) {
                let target = if is_external(dest) { JsUrl::parse(dest) } else { apply_destination(&url, dest) };
                if let Some(target) = target {
                    return RouteResult {
                        redirect: Some(Redirect { url: target, status: r.def.status.unwrap_or(307) }),
                        resolved_headers: Some(res),
                        status,
                        ..Default::default()
                    };
                }
            }
            if is_external(dest) {
                return RouteResult { external_rewrite: JsUrl::parse(dest), resolved_headers: Some(res), status, ..Default::default() };
            }
            if let Some(n) = apply_destination(&url, dest) {
                url = n;
            }
            if url.origin() != origin {
                return RouteResult { external_rewrite: Some(url), resolved_headers: Some(res), status, ..Default::default() };
            }
            if let Some((mut result, reset)) = check_dynamic_routes(table, &url, &headers, &res, is_next_data) {
                let _ = reset;
                result.status = status;
                return result;
            }
            let s = if nd { denormalize_next_data(&url, bp, build_id, spec.data_path_slash()) } else { url.clone() };
            let page = matches_page(s.pathname(), table, locale_api_path.as_deref()).or_else(|| {
                let p = unprefixed.as_ref().filter(|_| r.unprefixed)?.localize(s.pathname(), table)?;
                matches_page(&p, table, None).map(|(d, _)| (d, p))
            });
            if let Some((d, inv)) = page {
                let hdrs = on_match_headers(table, &s, &headers, &res);
                return with_target(RouteResult { resolved_headers: Some(hdrs), status, ..Default::default() }, &s, d, inv);
            }
            let _ = &t.regex_match;
            let _ = &t.captures;
        }
    }
    if nd && table.spec.next_start_compat {
        // `next start` answers `/_next/data/<id>/x.json` of a page without a data
        // route (an app page) with the page itself.
        let page =
            if url.pathname().starts_with(&format!("{bp}/_next/data/")) { normalize_next_data(&url, bp, build_id) } else { url.clone() };
        if let Some(d) = matches_pathname(page.pathname(), table) {
            let hdrs = on_match_headers(table, &page, &headers, &res);
            let inv = page.pathname().to_string();
            return with_target(RouteResult { resolved_headers: Some(hdrs), status, ..Default::default() }, &page, d, inv);
        }
    }
    RouteResult { resolved_headers: Some(res), status, ..Default::default() }
}

fn dynamic_after(table: &RoutingTable, url: &JsUrl, headers: &Headers, res: &Headers, status: Option<u16>) -> Option<RouteResult> {
    for r in &table.dynamic_routes {
        let Some(m) = r.regex.exec(url.pathname()) else {
            continue;
        };
        let Some(caps) = check_has(&r.has, url, headers) else {
            continue;
        };
        if !check_missing(&r.missing, url, headers) {
            continue;
        }
        let dest = r.def.destination.as_deref().map(|x| replace_destination_with(x, Some(&m), &caps, r.drop_unmatched_prefix));
        let i = dest.as_deref().map(|x| split_query(x).0.to_string()).unwrap_or_else(|| url.pathname().to_string());
        if let Some(d) = matches_pathname_with_locale(&i, table) {
            let e = dest.as_deref().map(|x| merge_destination_query(url, x)).unwrap_or_else(|| url.clone());
            let hdrs = on_match_headers(table, &e, headers, res);
            return Some(with_target(
                RouteResult { route_matches: Some(route_params(&m)), resolved_headers: Some(hdrs), status, ..Default::default() },
                &e,
                d,
                url.pathname().to_string(),
            ));
        }
    }
    None
}

/// Resolves a request, running `middleware` when the table says so.
pub fn resolve(table: &RoutingTable, req: &RouteRequest, middleware: &mut dyn FnMut(&MiddlewareCall) -> MiddlewareResult) -> RouteResult {
    match resolve_phase1(table, req) {
        Phase1::Done(r) => *r,
        Phase1::Continue(s) => resume(table, *s, None),
        Phase1::Middleware(call, s) => {
            let r = middleware(&call);
            resume(table, *s, Some(r))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsregex::JsRegex;
    use crate::table::RouteDef;

    fn i18n_table(compat: bool) -> RoutingTable {
        let spec = RoutingSpec {
            build_id: "b".into(),
            i18n: Some(I18nConfig {
                default_locale: "en".into(),
                locales: vec!["en".into(), "fr".into(), "de-DE".into()],
                domains: None,
                locale_detection: None,
            }),
            before_middleware: vec![
                RouteDef {
                    source_regex: r"^(?:\/(en|fr|de\-DE))(?:\/((?:[^\/]+?)(?:\/(?:[^\/]+?))*))?(?:\/)?$".into(),
                    headers: Some(serde_json::from_str(r#"{"x-all":"1"}"#).unwrap()),
                    ..Default::default()
                },
                RouteDef {
                    source_regex: r"^(?:\/((?:[^\/]+?)(?:\/(?:[^\/]+?))*))\/$".into(),
                    headers: Some(serde_json::from_str(r#"{"Location":"/$1"}"#).unwrap()),
                    status: Some(308),
                    priority: Some(true),
                    ..Default::default()
                },
            ],
            pathnames: vec!["/en".into(), "/fr".into(), "/de-DE".into(), "/en/about".into(), "/de-DE/about".into()],
            next_start_compat: compat,
            ..Default::default()
        };
        RoutingTable::compile(spec).unwrap()
    }

    /// An i18n table with `locale: false` routes (a redirect, a rewrite) and a
    /// localized rewrite, as Next lists them.
    fn locale_false_table(unprefixed: bool) -> RoutingTable {
        let route = |source: &str, source_regex: &str, destination: &str| RouteDef {
            source: Some(source.into()),
            source_regex: source_regex.into(),
            destination: Some(destination.into()),
            ..Default::default()
        };
        let spec = RoutingSpec {
            build_id: "b".into(),
            i18n: Some(I18nConfig {
                default_locale: "en".into(),
                locales: vec!["en".into(), "fr".into()],
                domains: None,
                locale_detection: None,
            }),
            before_middleware: vec![RouteDef {
                source: Some("/no-locale".into()),
                source_regex: r"^\/no-locale(?:\/)?$".into(),
                headers: Some(serde_json::from_str(r#"{"Location":"/fr/about"}"#).unwrap()),
                status: Some(307),
                ..Default::default()
            }],
            after_files: vec![
                route("/rewrite", r"^\/rewrite(?:\/)?$", "/about"),
                route("/home", r"^\/home(?:\/)?$", "/"),
                route("/:nextInternalLocale(en|fr)/loc", r"^(?:\/(en|fr))\/loc(?:\/)?$", "/$1/about"),
            ],
            pathnames: vec!["/en".into(), "/fr".into(), "/en/about".into(), "/fr/about".into()],
            next_start_compat: true,
            locale_false_unprefixed: unprefixed,
            ..Default::default()
        };
        RoutingTable::compile(spec).unwrap()
    }

    #[test]
    fn locale_false_routes_match_the_path_as_sent_when_asked() {
        let (ours, next) = (locale_false_table(true), locale_false_table(false));
        // As OpenNext: `/rewrite` matches the `locale: false` source `/rewrite`.
        assert_eq!(route(&ours, "http://h/rewrite").resolved_pathname.as_deref(), Some("/en/about"));
        // Its destination names no locale: the page is found under the one routing added.
        assert_eq!(route(&ours, "http://h/home").resolved_pathname.as_deref(), Some("/en"));
        assert_eq!(route(&ours, "http://h/home").invocation_pathname.as_deref(), Some("/en"));
        assert_eq!(location(&route(&ours, "http://h/no-locale")).as_deref(), Some("/fr/about"));
        // As `next start`: routing matched `/en/rewrite`, which the source does not.
        assert_eq!(route(&next, "http://h/rewrite").resolved_pathname, None);
        assert_eq!(location(&route(&next, "http://h/no-locale")), None);
        // A locale in the request's path is never taken off.
        assert_eq!(route(&ours, "http://h/fr/rewrite").resolved_pathname, None);
        // Localized routes match as before, either way.
        for t in [&ours, &next] {
            assert_eq!(route(t, "http://h/loc").resolved_pathname.as_deref(), Some("/en/about"));
            assert_eq!(route(t, "http://h/fr/loc").resolved_pathname.as_deref(), Some("/fr/about"));
        }
    }

    fn route(t: &RoutingTable, url: &str) -> RouteResult {
        let req = RouteRequest { url: JsUrl::parse(url).unwrap(), headers: Headers::new() };
        resolve(t, &req, &mut |_| MiddlewareResult::default())
    }

    fn location(r: &RouteResult) -> Option<String> {
        r.resolved_headers.as_ref().and_then(|h| h.get("location"))
    }

    fn middleware_table(compat: bool) -> RoutingTable {
        let spec = RoutingSpec {
            build_id: "b".into(),
            base_path: "/base".into(),
            should_normalize_next_data: true,
            before_middleware: vec![RouteDef {
                source_regex: r"^\/base(?:\/((?!_next\/)(?:[^\/]+?)(?:\/(?:[^\/]+?))*))$".into(),
                headers: Some(serde_json::from_str(r#"{"Location":"/base/$1/"}"#).unwrap()),
                status: Some(308),
                priority: Some(true),
                ..Default::default()
            }],
            middleware_matchers: Some(vec![RouteDef { source_regex: r"^\/base\/about[\/#\?]?$".into(), ..Default::default() }]),
            // `/` is outside the basePath: only a `..` that escapes it could reach it.
            pathnames: vec!["/".into(), "/base".into(), "/base/about".into()],
            next_start_compat: compat,
            ..Default::default()
        };
        RoutingTable::compile(spec).unwrap()
    }

    /// Routes `url` and counts middleware runs.
    fn route_counting(t: &RoutingTable, url: &str) -> (RouteResult, usize) {
        let req = RouteRequest { url: JsUrl::parse(url).unwrap(), headers: Headers::new() };
        let mut runs = 0;
        let r = resolve(t, &req, &mut |_| {
            runs += 1;
            MiddlewareResult::default()
        });
        (r, runs)
    }

    #[test]
    fn data_requests_are_routed_with_the_trailing_slash_next_start_adds() {
        let table = |trailing_slash: bool| {
            let mut spec = middleware_table(true).spec.clone();
            spec.trailing_slash = trailing_slash;
            spec.before_middleware.push(RouteDef {
                source_regex: r"^\/base\/items(?:\/([^\/]+?))\/$".into(),
                headers: Some(serde_json::from_str(r#"{"x-item":"$1"}"#).unwrap()),
                ..Default::default()
            });
            spec.pathnames.push("/base/_next/data/b/items/5.json".into());
            RoutingTable::compile(spec).unwrap()
        };
        let item = |t: &RoutingTable| {
            let r = route(t, "http://h/base/_next/data/b/items/5.json");
            (r.resolved_headers.and_then(|h| h.get("x-item")), r.resolved_pathname)
        };
        let data = Some("/base/_next/data/b/items/5.json".to_string());
        assert_eq!(item(&table(true)), (Some("5".into()), data.clone()));
        assert_eq!(item(&table(false)), (None, data));
    }

    #[test]
    fn data_paths_ending_in_a_dot_segment_as_next_start() {
        assert!(ends_in_dot_segment("...json"));
        assert!(ends_in_dot_segment("x/..json"));
        assert!(!ends_in_dot_segment("x/...y.json"));
        assert!(!ends_in_dot_segment("index.json"));
        // With a basePath, `next start` joins the page path to it, resolving `..`.
        let r = route(&middleware_table(true), "http://h/base/_next/data/b/about/...json");
        assert_eq!(r.resolved_pathname.as_deref(), Some("/base"));
        let mut spec = middleware_table(true).spec.clone();
        spec.base_path = String::new();
        spec.pathnames.push("/about".into());
        let r = route(&RoutingTable::compile(spec).unwrap(), "http://h/_next/data/b/about/x/...json");
        assert_eq!(r.resolved_pathname, None, "not the page /about (what a URL parser makes of /about/x/..)");
    }

    #[test]
    fn middleware_gets_a_data_request_as_its_page_url_with_compat() {
        let call = |compat: bool, trailing_slash: bool| {
            let mut spec = middleware_table(compat).spec.clone();
            spec.trailing_slash = trailing_slash;
            let table = RoutingTable::compile(spec).unwrap();
            let req = RouteRequest { url: JsUrl::parse("http://h/base/_next/data/b/about.json").unwrap(), headers: Headers::new() };
            match resolve_phase1(&table, &req) {
                Phase1::Middleware(call, _) => (call.url.pathname().to_string(), call.next_data),
                _ => panic!("middleware should run"),
            }
        };
        assert_eq!(call(true, true), ("/base/about/".to_string(), true));
        assert_eq!(call(true, false), ("/base/about".to_string(), true));
        assert_eq!(call(false, true), ("/base/_next/data/b/about.json".to_string(), false), "@next/routing: the data URL");
    }

    #[test]
    fn redirects_answer_before_middleware_with_compat() {
        let (r, runs) = route_counting(&middleware_table(true), "http://h/base/about");
        assert_eq!((r.status, location(&r).as_deref(), runs), (Some(308), Some("/base/about/"), 0));
        let (_, runs) = route_counting(&middleware_table(true), "http://h/base/about/");
        assert_eq!(runs, 1);
    }

    #[test]
    fn middleware_matchers_are_case_sensitive_with_compat() {
        assert_eq!(route_counting(&middleware_table(true), "http://h/base/ABOUT/").1, 0);
        assert_eq!(route_counting(&middleware_table(false), "http://h/base/ABOUT/").1, 1, "@next/routing matches case-insensitively");
    }

    #[test]
    fn data_path_leaving_the_base_path_names_no_page() {
        let (r, _) = route_counting(&middleware_table(true), "http://h/base/_next/data/b/...json");
        assert_eq!(r.resolved_pathname, None);
        let (r, _) = route_counting(&middleware_table(true), "http://h/base/_next/data/b/about.json");
        assert_eq!(r.resolved_pathname.as_deref(), Some("/base/about"));
    }

    /// basePath + i18n + middleware on every path, with `data_default_locale` and
    /// `middleware` as given.
    fn localized_data_table(data_default_locale: bool, middleware: bool) -> RoutingTable {
        let spec = RoutingSpec {
            build_id: "b".into(),
            base_path: "/base".into(),
            i18n: Some(I18nConfig {
                default_locale: "en".into(),
                locales: vec!["en".into(), "fr".into()],
                domains: Some(vec![crate::table::I18nDomain {
                    domain: "fr.test".into(),
                    default_locale: "fr".into(),
                    locales: None,
                    http: None,
                }]),
                locale_detection: None,
            }),
            should_normalize_next_data: true,
            middleware_matchers: Some(if middleware {
                vec![RouteDef { source_regex: "^.*$".into(), ..Default::default() }]
            } else {
                vec![]
            }),
            pathnames: vec!["/base/en".into(), "/base/fr".into(), "/base/en/about".into(), "/base/fr/about".into()],
            next_start_compat: true,
            data_default_locale,
            ..Default::default()
        };
        RoutingTable::compile(spec).unwrap()
    }

    #[test]
    fn a_path_outside_the_base_path_gets_the_locale_without_the_base_path() {
        let mut t = localized_data_table(true, true);
        // next.config's `source: "/(.*)"` header under basePath + i18n, case-insensitive as Next compiles it.
        t.spec.before_middleware.push(RouteDef {
            source_regex: r"^/base(?:/(en|fr))(?:/(.*))(?:/)?$".into(),
            headers: Some(serde_json::from_str(r#"{"x-all":"1"}"#).unwrap()),
            ..Default::default()
        });
        let t = RoutingTable::compile(t.spec).unwrap();
        let all = |url: &str| route(&t, url).resolved_headers.and_then(|h| h.get("x-all"));
        assert_eq!(all("http://h/base/en/x").as_deref(), Some("1"));
        assert_eq!(all("http://h/base/x").as_deref(), Some("1"), "the default locale goes in after the basePath");
        // `next start` matches `/en/BASE/x` and `/BASE/en/x` (no locale first) against it: no match.
        assert_eq!(all("http://h/BASE/x"), None);
        assert_eq!(all("http://h/BASE/en/x"), None);
    }

    #[test]
    fn data_requests_without_a_locale_get_the_default_one_with_middleware() {
        let page = |t: &RoutingTable, url: &str| route(t, url).resolved_pathname;
        let t = localized_data_table(true, true);
        assert_eq!(page(&t, "http://h/base/_next/data/b/about.json").as_deref(), Some("/base/en/about"));
        assert_eq!(page(&t, "http://h/base/_next/data/b/index.json").as_deref(), Some("/base/en"));
        assert_eq!(page(&t, "http://fr.test/base/_next/data/b/about.json").as_deref(), Some("/base/fr/about"), "the domain's default");
        assert_eq!(page(&t, "http://h/base/_next/data/b/fr/about.json").as_deref(), Some("/base/fr/about"));
        // `..` leaves the added locale, not the basePath: the page is the locale's root.
        assert_eq!(page(&t, "http://h/base/_next/data/b/...json").as_deref(), Some("/base/en"));
        // Without middleware, or before Next 15.5.16 / 16.2.5, `next start` finds no page.
        assert_eq!(page(&localized_data_table(true, false), "http://h/base/_next/data/b/about.json"), None);
        assert_eq!(page(&localized_data_table(false, true), "http://h/base/_next/data/b/about.json"), None);
    }

    #[test]
    fn i18n_root_is_the_default_locale_page_with_compat() {
        // @next/routing's own behaviour: `/` becomes `/en/`, which the trailing-slash rule redirects.
        assert_eq!(location(&route(&i18n_table(false), "http://h/")).as_deref(), Some("/en"));
        let r = route(&i18n_table(true), "http://h/");
        assert_eq!(r.resolved_pathname.as_deref(), Some("/en"));
        assert_eq!(location(&r), None);
    }

    #[test]
    fn trailing_slash_redirect_leaves_the_implicit_locale_out_and_runs_before_headers() {
        let r = route(&i18n_table(true), "http://h/about/");
        assert_eq!(r.status, Some(308));
        assert_eq!(location(&r).as_deref(), Some("/about"));
        assert_eq!(r.resolved_headers.as_ref().and_then(|h| h.get("x-all")), None);
        // An explicit non-default locale stays.
        assert_eq!(location(&route(&i18n_table(true), "http://h/fr/about/")).as_deref(), Some("/fr/about"));
    }

    #[test]
    fn locale_cookie_reads_like_next_start() {
        let with_cookie = |t: &RoutingTable, c: &str| {
            let req = RouteRequest { url: JsUrl::parse("http://h/").unwrap(), headers: Headers::from_pairs([("cookie", c)]) };
            location(&resolve(t, &req, &mut |_| MiddlewareResult::default()))
        };
        // Another cookie's bad percent-encoding does not hide NEXT_LOCALE from next start;
        // @next/routing gives the lookup up.
        assert_eq!(with_cookie(&i18n_table(true), "a=%zz; NEXT_LOCALE=fr").as_deref(), Some("http://h/fr"));
        assert_eq!(with_cookie(&i18n_table(false), "a=%zz; NEXT_LOCALE=fr").as_deref(), Some("/en"));
        // The first cookie of the name wins, quoted and encoded values are read.
        assert_eq!(with_cookie(&i18n_table(true), "NEXT_LOCALE=fr; NEXT_LOCALE=de-DE").as_deref(), Some("http://h/fr"));
        assert_eq!(with_cookie(&i18n_table(true), "NEXT_LOCALE=\"de%2DDE\"").as_deref(), Some("http://h/de-DE"));
        assert_eq!(with_cookie(&i18n_table(true), "NEXT_LOCALE=%E0").as_deref(), None);
    }

    #[test]
    fn locale_redirects_follow_next_start_on_domains() {
        let mut spec = i18n_table(true).spec;
        spec.i18n.as_mut().unwrap().domains =
            Some(vec![I18nDomain { default_locale: "fr".into(), domain: "example.fr".into(), http: Some(true), locales: None }]);
        let table = RoutingTable::compile(spec).unwrap();
        let redirect = |url: &str, pairs: &[(&str, &str)]| {
            let req = RouteRequest { url: JsUrl::parse(url).unwrap(), headers: Headers::from_pairs(pairs.iter().copied()) };
            resolve(&table, &req, &mut |_| MiddlewareResult::default()).redirect.map(|r| r.url.href().to_string())
        };
        // On the domain its default locale wins over the cookie and Accept-Language.
        assert_eq!(redirect("http://example.fr/", &[("accept-language", "de-DE")]), None);
        assert_eq!(redirect("http://example.fr/", &[("cookie", "NEXT_LOCALE=de-DE")]), None);
        // Elsewhere Accept-Language picks the locale, with the query, and no domain is involved.
        assert_eq!(redirect("http://localhost/?q=1", &[("accept-language", "fr")]).as_deref(), Some("http://localhost/fr?q=1"));
        assert_eq!(redirect("http://localhost/", &[("cookie", "NEXT_LOCALE=de-DE")]).as_deref(), Some("http://localhost/de-DE"));
        assert_eq!(redirect("http://localhost/", &[]), None);
    }

    #[test]
    fn accept_language_follows_next_start() {
        let locales: Vec<String> = ["en", "fr", "de-DE", "nl-NL"].iter().map(|s| s.to_string()).collect();
        let pick = |h: &str| next_start_accept_language(h, &locales);
        // A configured `de-DE` answers for `de`, but `de-CH` matches nothing.
        assert_eq!(pick("de").as_deref(), Some("de-DE"));
        assert_eq!(pick("de-CH, en;q=0"), None);
        assert_eq!(pick("nl-NL;q=0.8,en;q=0.5").as_deref(), Some("nl-NL"));
        assert_eq!(pick("*;q=0.5, en;q=0.1").as_deref(), Some("fr"));
        assert_eq!(pick("fr;q=5, en;q=0.9").as_deref(), Some("fr"), "an out-of-range q counts as 1");
        assert_eq!(pick("fr;x=1"), None, "a malformed header gives no preference");
    }

    #[test]
    fn parse_float_takes_the_longest_decimal_prefix() {
        assert_eq!(js_parse_float("0.5x"), 0.5);
        assert_eq!(js_parse_float(" .5"), 0.5);
        assert_eq!(js_parse_float("1e3;"), 1000.0);
        assert_eq!(js_parse_float("1e"), 1.0);
        assert_eq!(js_parse_float("-Infinity"), f64::NEG_INFINITY);
        assert!(js_parse_float("x1").is_nan());
        assert!(js_parse_float(".").is_nan());
    }

    #[test]
    fn unmatched_optional_groups_drop_their_slash_with_compat() {
        let m = JsRegex::new("^/go(?:/(.+))?$", "").unwrap().exec("/go").unwrap();
        assert_eq!(replace_destination_with("/docs/$1", Some(&m), &[], true), "/docs");
        assert_eq!(replace_destination_with("http://example.fr/docs/$1?x=1", Some(&m), &[], true), "http://example.fr/docs?x=1");
        assert_eq!(replace_destination_with("/$1", Some(&m), &[], true), "/");
        assert_eq!(replace_destination_with("/docs/$1", Some(&m), &[], false), "/docs/");
        let m = JsRegex::new("^/go(?:/(.+))?$", "").unwrap().exec("/go/a").unwrap();
        assert_eq!(replace_destination_with("/docs/$1", Some(&m), &[], true), "/docs/a");
    }

    #[test]
    fn api_paths_get_locale_prefixed_header_routes_with_compat() {
        let x_all = |t: &RoutingTable| route(t, "http://h/api/hello").resolved_headers.and_then(|h| h.get("x-all"));
        assert_eq!(x_all(&i18n_table(true)).as_deref(), Some("1"));
        assert_eq!(x_all(&i18n_table(false)), None, "@next/routing leaves /api without a locale");
    }

    #[test]
    fn locale_case_is_canonical_for_matching() {
        assert_eq!(route(&i18n_table(true), "http://h/DE-de/about").resolved_pathname.as_deref(), Some("/de-DE/about"));
        assert_eq!(route(&i18n_table(false), "http://h/DE-de/about").resolved_pathname, None);
    }

    #[test]
    fn internal_route_pathname_follows_next_start() {
        let locales = ["en".to_string(), "fr".to_string()];
        assert_eq!(internal_route_pathname("/en/about/", true, "", &locales, "en"), "/about/");
        assert_eq!(internal_route_pathname("/fr/about/", true, "", &locales, "en"), "/fr/about/");
        assert_eq!(internal_route_pathname("/base/en/", true, "/base", &locales, "en"), "/base/");
        assert_eq!(internal_route_pathname("/base/fr/x", false, "/base", &locales, "en"), "/base/fr/x");
        // `/base/` is routed as `/base/en`: the root keeps the request's slash (else the
        // trailing-slash redirect of `/base` would send `/base/` to itself).
        assert_eq!(internal_route_pathname("/base/en", true, "/base", &locales, "en"), "/base/");
        assert_eq!(internal_route_pathname("/base/en", false, "/base", &locales, "en"), "/base");
    }

    #[test]
    fn redirect_query_is_merged_like_next_start() {
        let url = JsUrl::parse("http://h/go?page=2&x=0").unwrap();
        assert_eq!(merged_query_location("https://example.com/t?x=1", &url), "https://example.com/t?page=2&x=1");
        assert_eq!(merged_query_location("/t", &url), "/t?page=2&x=0");
        assert_eq!(merged_query_location("http://h/t", &url), "http://h/t?page=2&x=0", "an absolute destination stays absolute");
        assert_eq!(qs_escape("a b+/é"), "a%20b%2B%2F%C3%A9");
    }
}
