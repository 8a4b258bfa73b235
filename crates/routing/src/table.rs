//! The routing table: Next's route lists (from the Deployment Adapter's
//! `routing`, or converted from routes-manifest) with every regex compiled once.
//! A regex we cannot run is an error here, at build time, never at request time.

use super::jsregex::JsRegex;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A `has`/`missing` condition.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RouteHas {
    /// `header`, `cookie`, `query` or `host`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Header/cookie/query name (absent for `host`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Pattern the value must match (a regex source, or a literal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// One route as Next describes it.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RouteDef {
    /// JS regex source matched against the pathname.
    pub source_regex: String,
    /// Rewrite/redirect destination with `$1`/`$name` placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// Headers to set (names and values may contain placeholders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<serde_json::Map<String, serde_json::Value>>,
    /// Conditions that must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has: Option<Vec<RouteHas>>,
    /// Conditions that must not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<RouteHas>>,
    /// Status (redirects, or a status override).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Next's internal routes that run before all others (the trailing-slash
    /// redirect); used with `next_start_compat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<bool>,
    /// The route's `source` as Next lists it (`/:nextInternalLocale(en|nl)/a` when
    /// next.config's route takes locales): under i18n, a user route without the
    /// locale parameter is a `locale: false` one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// i18n configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct I18nConfig {
    /// Default locale.
    pub default_locale: String,
    /// All locales.
    pub locales: Vec<String>,
    /// Domain-specific locales.
    #[serde(default)]
    pub domains: Option<Vec<I18nDomain>>,
    /// `false` disables Accept-Language/cookie detection.
    #[serde(default)]
    pub locale_detection: Option<bool>,
}

/// A locale domain.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct I18nDomain {
    /// Default locale of the domain.
    pub default_locale: String,
    /// Domain (may include a port).
    pub domain: String,
    /// Serve over http.
    #[serde(default)]
    pub http: Option<bool>,
    /// Locales of the domain.
    #[serde(default)]
    pub locales: Option<Vec<String>>,
}

/// The serialisable routing table shipped with each function.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RoutingSpec {
    /// Build id (for `_next/data`).
    pub build_id: String,
    /// basePath ("" when unset).
    #[serde(default)]
    pub base_path: String,
    /// i18n config.
    #[serde(default)]
    pub i18n: Option<I18nConfig>,
    /// Case-sensitive matching (Next's default is case-insensitive).
    #[serde(default)]
    pub case_sensitive: bool,
    /// Routes before middleware (headers, redirects).
    #[serde(default)]
    pub before_middleware: Vec<RouteDef>,
    /// Middleware matchers; `None` means "always run middleware".
    #[serde(default)]
    pub middleware_matchers: Option<Vec<RouteDef>>,
    /// beforeFiles rewrites.
    #[serde(default)]
    pub before_files: Vec<RouteDef>,
    /// afterFiles rewrites.
    #[serde(default)]
    pub after_files: Vec<RouteDef>,
    /// Dynamic routes.
    #[serde(default)]
    pub dynamic_routes: Vec<RouteDef>,
    /// Routes applied once a route matched (headers).
    #[serde(default)]
    pub on_match: Vec<RouteDef>,
    /// fallback rewrites.
    #[serde(default)]
    pub fallback: Vec<RouteDef>,
    /// Normalize `/_next/data/<buildId>/x.json` to `/x`.
    #[serde(default)]
    pub should_normalize_next_data: bool,
    /// Every pathname the app serves (pages, routes, static files).
    #[serde(default)]
    pub pathnames: Vec<String>,
    /// Route as `next start` does where `@next/routing` leaves normalisation to the
    /// platform (set in the tables `open-next build` ships; off when a table is
    /// compared with `@next/routing` itself): the root page of a locale is
    /// `/<locale>`, not `/<locale>/`; a pathname with a trailing slash matches the
    /// page without it; the root matches an `index` page.
    #[serde(default)]
    pub next_start_compat: bool,
    /// With `next_start_compat`: next.config's `trailingSlash` (unless
    /// `skipProxyUrlNormalize`), for which `next start` routes a `_next/data`
    /// request as its page path with a trailing slash (`/about/`).
    #[serde(default)]
    pub trailing_slash: bool,
    /// With `next_start_compat`, i18n and middleware: a `_next/data` request whose
    /// page carries no locale is the default locale's (`/_next/data/<id>/about.json`
    /// is `/en/about`), as `next start` routes it since Next 15.5.16 and 16.2.5.
    /// Earlier versions find no page for it.
    #[serde(default)]
    pub data_default_locale: bool,
    /// With i18n: a `locale: false` route also matches the request's path as sent,
    /// without the default locale routing puts in front (`/rewrite`, not only
    /// `/en/rewrite`), as OpenNext matches it. `next start` and `@next/routing` only
    /// match the localized path; OpenNext's users rely on the other (its e2e suite
    /// checks it), so the tables `open-next build` ships set this.
    #[serde(default)]
    pub locale_false_unprefixed: bool,
}

impl RoutingSpec {
    /// Whether a `_next/data` request is routed as its page path with a trailing
    /// slash (`next_start_compat` with `trailing_slash`).
    pub fn data_path_slash(&self) -> bool {
        self.next_start_compat && self.trailing_slash
    }
}

/// Parses a [`RoutingSpec`] from JSON (the `routing.json` shipped with functions).
pub fn spec_from_json(s: &str) -> Result<RoutingSpec, String> {
    serde_json::from_str(s).map_err(|e| e.to_string())
}

/// A condition with its regexes compiled.
#[derive(Debug, Clone)]
pub struct CompiledCond {
    /// The condition.
    pub def: RouteHas,
    /// `^(?:value)$` and `value`, both compiled; `None` if either fails to compile
    /// (then the value is compared literally, as JS does when `new RegExp` throws).
    pub regexes: Option<(JsRegex, JsRegex)>,
}

/// A route with its regexes compiled.
#[derive(Debug, Clone)]
pub struct CompiledRoute {
    /// The route.
    pub def: RouteDef,
    /// Compiled `sourceRegex`.
    pub regex: JsRegex,
    /// Compiled `has`.
    pub has: Vec<CompiledCond>,
    /// Compiled `missing`.
    pub missing: Vec<CompiledCond>,
    /// Header entries (name, value) in order.
    pub headers: Vec<(String, String)>,
    /// Whether the destination or a header refers to a regex group (`$1`,
    /// `$name`): when not, matching needs no captures (a faster test).
    pub needs_groups: bool,
    /// Substitute destinations as `next start` compiles them (path-to-regexp): a
    /// `/` before a group that did not take part in the match is left out.
    pub drop_unmatched_prefix: bool,
    /// Also matched against the path without the implicit locale
    /// ([`RoutingSpec::locale_false_unprefixed`] and a `locale: false` route).
    pub unprefixed: bool,
}

/// The table ready for matching.
#[derive(Debug, Clone)]
pub struct RoutingTable {
    /// The source spec.
    pub spec: RoutingSpec,
    /// Compiled lists.
    pub before_middleware: Vec<CompiledRoute>,
    /// Compiled middleware matchers.
    pub middleware_matchers: Option<Vec<CompiledRoute>>,
    /// Compiled beforeFiles.
    pub before_files: Vec<CompiledRoute>,
    /// Compiled afterFiles.
    pub after_files: Vec<CompiledRoute>,
    /// Compiled dynamic routes.
    pub dynamic_routes: Vec<CompiledRoute>,
    /// Compiled onMatch.
    pub on_match: Vec<CompiledRoute>,
    /// Compiled fallback.
    pub fallback: Vec<CompiledRoute>,
    /// Pathname set.
    pub pathnames: HashSet<String>,
}

/// A route regex that cannot be compiled.
#[derive(Debug, Clone, thiserror::Error)]
#[error("routes.{list}[{index}].sourceRegex `{source_regex}` is not a regular expression we can run: {message}")]
pub struct TableError {
    /// Which list.
    pub list: &'static str,
    /// Index in the list.
    pub index: usize,
    /// The regex.
    pub source_regex: String,
    /// Compiler message.
    pub message: String,
}

fn compile_cond(c: &RouteHas) -> CompiledCond {
    let regexes = c.value.as_ref().and_then(|v| {
        let anchored = JsRegex::new(&format!("^(?:{v})$"), "").ok()?;
        let raw = JsRegex::new(v, "").ok()?;
        Some((anchored, raw))
    });
    CompiledCond { def: c.clone(), regexes }
}

/// `routes` without their `source`, which only next.config's routes need (to tell
/// `locale: false` ones apart): the adapter gives one on every route.
fn without_source(mut routes: Vec<RouteDef>) -> Vec<RouteDef> {
    for r in &mut routes {
        r.source = None;
    }
    routes
}

/// Whether a user route of an i18n app was written with `locale: false`: Next gives
/// every other one a `:nextInternalLocale` parameter. Next's internal routes (the
/// trailing-slash redirects) are not user routes.
fn is_locale_false(r: &RouteDef) -> bool {
    r.priority != Some(true) && r.source.as_deref().is_some_and(|s| !s.contains(":nextInternalLocale"))
}

fn compile_list(list: &'static str, routes: &[RouteDef], case_sensitive: bool, next_start: bool) -> Result<Vec<CompiledRoute>, TableError> {
    let flags = if case_sensitive { "" } else { "i" };
    routes
        .iter()
        .enumerate()
        .map(|(index, r)| {
            let regex = JsRegex::new(&r.source_regex, flags).map_err(|message| TableError {
                list,
                index,
                source_regex: r.source_regex.clone(),
                message,
            })?;
            let headers: Vec<(String, String)> = r
                .headers
                .as_ref()
                .map(|h| h.iter().map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))).collect())
                .unwrap_or_default();
            let needs_groups = r.destination.as_deref().is_some_and(|d| d.contains('$'))
                || headers.iter().any(|(k, v)| k.contains('$') || v.contains('$'));
            Ok(CompiledRoute {
                needs_groups,
                drop_unmatched_prefix: next_start,
                unprefixed: false,
                def: r.clone(),
                regex,
                has: r.has.iter().flatten().map(compile_cond).collect(),
                missing: r.missing.iter().flatten().map(compile_cond).collect(),
                headers,
            })
        })
        .collect()
}

impl RoutingTable {
    /// Compiles a spec.
    pub fn compile(spec: RoutingSpec) -> Result<Self, TableError> {
        let cs = spec.case_sensitive;
        let mut table = Self {
            before_middleware: {
                let mut list = compile_list("beforeMiddleware", &spec.before_middleware, cs, spec.next_start_compat)?;
                // `next start` runs priority routes, then redirects, then the header routes.
                if spec.next_start_compat {
                    list.sort_by_key(|r| {
                        let redirect = r.def.status.is_some_and(|s| (300..400).contains(&s))
                            && r.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("location"));
                        if r.def.priority == Some(true) {
                            0
                        } else if redirect {
                            1
                        } else {
                            2
                        }
                    });
                }
                list
            },
            // `next start` matches middleware with the matcher regex as written (case-sensitive).
            middleware_matchers: spec
                .middleware_matchers
                .as_ref()
                .map(|m| compile_list("middlewareMatchers", m, cs || spec.next_start_compat, spec.next_start_compat))
                .transpose()?,
            before_files: compile_list("beforeFiles", &spec.before_files, cs, spec.next_start_compat)?,
            after_files: compile_list("afterFiles", &spec.after_files, cs, spec.next_start_compat)?,
            // `next start` matches its dynamic routes with Next's route regexes as built
            // (case-sensitive); only next.config routes ignore case.
            dynamic_routes: compile_list("dynamicRoutes", &spec.dynamic_routes, cs || spec.next_start_compat, spec.next_start_compat)?,
            on_match: compile_list("onMatch", &spec.on_match, cs, spec.next_start_compat)?,
            fallback: compile_list("fallback", &spec.fallback, cs, spec.next_start_compat)?,
            pathnames: spec.pathnames.iter().cloned().collect(),
            spec,
        };
        if table.spec.locale_false_unprefixed && table.spec.i18n.is_some() {
            for list in [&mut table.before_middleware, &mut table.before_files, &mut table.after_files, &mut table.fallback] {
                for r in list.iter_mut() {
                    r.unprefixed = is_locale_false(&r.def);
                }
            }
        }
        Ok(table)
    }

    /// The request headers routing reads (lower-case, sorted): the header keys of
    /// every `has`/`missing` condition, `cookie` for cookie conditions and i18n's
    /// `NEXT_LOCALE`, `accept-language` for i18n. A decision depends on no other
    /// request header, so a caller may pass only these (middleware, which sees
    /// every header, gets them from the caller, not from the router).
    pub fn request_header_names(&self) -> Vec<String> {
        let mut names = std::collections::BTreeSet::new();
        if self.spec.i18n.is_some() {
            names.insert("cookie".to_string());
            names.insert("accept-language".to_string());
        }
        let lists = [&self.before_middleware, &self.before_files, &self.after_files, &self.dynamic_routes, &self.on_match, &self.fallback];
        let routes = lists.into_iter().flatten().chain(self.middleware_matchers.iter().flatten());
        for c in routes.flat_map(|r| r.has.iter().chain(&r.missing)) {
            match c.def.kind.as_str() {
                "header" => {
                    names.insert(c.def.key.as_deref().unwrap_or("").to_ascii_lowercase());
                }
                "cookie" => {
                    names.insert("cookie".to_string());
                }
                _ => {}
            }
        }
        names.into_iter().collect()
    }

    /// Builds the spec from the Deployment Adapter's `onBuildComplete` context
    /// (as written by our adapter module).
    pub fn spec_from_adapter(adapter: &serde_json::Value) -> Result<RoutingSpec, String> {
        let routing = adapter.get("routing").ok_or("adapter output has no `routing`")?;
        let list = |k: &str| -> Result<Vec<RouteDef>, String> {
            match routing.get(k) {
                None | Some(serde_json::Value::Null) => Ok(vec![]),
                Some(v) => serde_json::from_value(v.clone()).map_err(|e| format!("routing.{k}: {e}")),
            }
        };
        let mut pathnames: Vec<String> = Vec::new();
        if let Some(outputs) = adapter.get("outputs").and_then(|o| o.as_object()) {
            for v in outputs.values() {
                let items: Vec<&serde_json::Value> = match v {
                    serde_json::Value::Array(a) => a.iter().collect(),
                    serde_json::Value::Object(_) => vec![v],
                    _ => vec![],
                };
                for item in items {
                    if item.get("type").and_then(|t| t.as_str()) == Some("MIDDLEWARE") {
                        continue;
                    }
                    if let Some(p) = item.get("pathname").and_then(|p| p.as_str()) {
                        pathnames.push(p.to_string());
                    }
                }
            }
        }
        pathnames.sort();
        pathnames.dedup();
        let config = adapter.get("config");
        // `routing.middlewareMatchers` is where Next 16.4 puts them; 16.2 and 16.3 only
        // give them with the middleware output (`outputs.middleware.config.matchers`).
        let matchers = match routing.get("middlewareMatchers") {
            Some(v) if !v.is_null() => without_source(list("middlewareMatchers")?),
            _ => match adapter.pointer("/outputs/middleware/config/matchers") {
                Some(v) if !v.is_null() => {
                    without_source(serde_json::from_value(v.clone()).map_err(|e| format!("outputs.middleware.config.matchers: {e}"))?)
                }
                _ => vec![],
            },
        };
        Ok(RoutingSpec {
            build_id: adapter.get("buildId").and_then(|b| b.as_str()).unwrap_or_default().to_string(),
            base_path: config.and_then(|c| c.get("basePath")).and_then(|b| b.as_str()).unwrap_or("").to_string(),
            i18n: config
                .and_then(|c| c.get("i18n"))
                .filter(|v| !v.is_null())
                .map(|v| serde_json::from_value(v.clone()))
                .transpose()
                .map_err(|e| format!("config.i18n: {e}"))?,
            case_sensitive: false,
            before_middleware: list("beforeMiddleware")?,
            middleware_matchers: Some(matchers),
            before_files: list("beforeFiles")?,
            after_files: list("afterFiles")?,
            dynamic_routes: without_source(list("dynamicRoutes")?),
            on_match: without_source(list("onMatch")?),
            fallback: list("fallback")?,
            should_normalize_next_data: routing.get("shouldNormalizeNextData").and_then(|v| v.as_bool()).unwrap_or(false),
            pathnames,
            next_start_compat: false,
            trailing_slash: false,
            data_default_locale: false,
            locale_false_unprefixed: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::RoutingTable;
    use serde_json::json;

    #[test]
    fn middleware_matchers_come_from_the_middleware_output_before_next_16_4() {
        let matcher = json!({ "source": "/((?!_next).*)", "sourceRegex": "^(?:\\/((?!_next).*))[\\/#\\?]?$" });
        let outputs = json!({ "middleware": { "pathname": "/_middleware", "type": "MIDDLEWARE", "config": { "matchers": [matcher] } } });
        // Next 16.2 / 16.3: no `routing.middlewareMatchers`.
        let old = json!({ "buildId": "b", "routing": { "beforeMiddleware": [] }, "outputs": outputs });
        let spec = RoutingTable::spec_from_adapter(&old).unwrap();
        let m = spec.middleware_matchers.expect("matchers");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].source_regex, "^(?:\\/((?!_next).*))[\\/#\\?]?$");
        // Next 16.4: the routing list wins; an app without middleware has none.
        let new = json!({ "buildId": "b", "routing": { "middlewareMatchers": [] }, "outputs": outputs });
        assert_eq!(RoutingTable::spec_from_adapter(&new).unwrap().middleware_matchers.unwrap().len(), 0);
        let none = json!({ "buildId": "b", "routing": {}, "outputs": {} });
        assert_eq!(RoutingTable::spec_from_adapter(&none).unwrap().middleware_matchers.unwrap().len(), 0);
    }
}
