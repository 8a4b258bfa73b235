//! The routing table for builds without the Deployment Adapter (Next 15.5–16.1,
//! or any build where `.next/open-next-adapter.json` is absent): the same
//! [`RoutingSpec`] Next's adapter code (`next/dist/build/adapter/build-complete.js`,
//! Next 16.4) derives from the build, computed here from the files `next build`
//! leaves in `.next/`: `routes-manifest.json`, `prerender-manifest.json`,
//! `server/middleware-manifest.json`, `server/functions-config-manifest.json`,
//! `server/pages-manifest.json`, `server/app-paths-manifest.json`,
//! `required-server-files.json` (the config), `BUILD_ID`, `static/**` and the
//! prerender `.meta` files.
//!
//! Next converts the routes-manifest lists with `@vercel/routing-utils`
//! (`convertHeaders`/`convertRedirects`/`convertRewrites`, which recompile each
//! `source` with path-to-regexp 6 and rewrite the destination through Node's
//! legacy `url.parse`/`url.format`) and builds the dynamic and `_next/data`
//! routes with `getNamedRouteRegex`; those pieces are ported below.

use super::table::{I18nConfig, RouteDef, RouteHas, RoutingSpec};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

/// Cookie condition Next puts on `fallback: false` routes (draft/preview bypass).
const PRERENDER_BYPASS_COOKIE: &str = "__prerender_bypass";
const UNNAMED_SEGMENT: &str = "__UN_NAMED_SEGMENT__";
const INTERCEPTION_MARKERS: [&str; 4] = ["(..)(..)", "(.)", "(..)", "(...)"];

// ---------------------------------------------------------------------------
// Small JS helpers
// ---------------------------------------------------------------------------

/// `escapeStringRegexp` from Next (`[|\\{}()[\]^$+*?.-]` escaped).
fn escape_string_regexp(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "|\\{}()[]^$+*?.-".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Node's `path.posix.normalize`.
fn posix_normalize(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let absolute = path.starts_with('/');
    let trailing = path.ends_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let mut out = parts.join("/");
    if out.is_empty() && !absolute {
        out.push('.');
    }
    if !out.is_empty() && trailing && out != "." {
        out.push('/');
    } else if out == "." && trailing {
        out = "./".into();
    }
    if absolute {
        out.insert(0, '/');
    }
    out
}

/// Node's `path.posix.join`.
fn posix_join(parts: &[&str]) -> String {
    let joined: Vec<&str> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
    if joined.is_empty() {
        return ".".into();
    }
    posix_normalize(&joined.join("/"))
}

/// Next's `normalizePagePath` (`/` → `/index`, `/index/x` → `/index/index/x`).
fn normalize_page_path(page: &str) -> String {
    let starts_index = page == "/index" || page.starts_with("/index/");
    if starts_index && !is_dynamic_route(page) {
        format!("/index{page}")
    } else if page == "/" {
        "/index".into()
    } else if page.starts_with('/') {
        page.to_string()
    } else {
        format!("/{page}")
    }
}

/// Next's `normalizeAppPath`: drops route groups, parallel slots and the final
/// `page`/`route` segment.
fn normalize_app_path(route: &str) -> String {
    let segs: Vec<&str> = route.split('/').collect();
    let mut out = String::new();
    for (i, seg) in segs.iter().enumerate() {
        if seg.is_empty() || (seg.starts_with('(') && seg.ends_with(')')) || seg.starts_with('@') {
            continue;
        }
        if (*seg == "page" || *seg == "route") && i == segs.len() - 1 {
            continue;
        }
        out.push('/');
        out.push_str(seg);
    }
    if out.is_empty() {
        "/".into()
    } else {
        out
    }
}

/// Next's `isDynamicRoute` (for pages-router paths: a `[param]` segment).
fn is_dynamic_route(route: &str) -> bool {
    route.split('/').skip(1).any(|seg| match (seg.find('['), seg.rfind(']')) {
        (Some(open), Some(close)) => close > open + 1,
        _ => false,
    })
}

/// Next's `isStaticMetadataFile` (`isMetadataRouteFile(path, [], true)`).
fn is_static_metadata_file(path: &str) -> bool {
    if path.len() < 2 {
        return false;
    }
    let p = path.replace('\\', "/");
    if p == "/favicon.ico" || p == "/robots.txt" || p == "/manifest.json" || p == "/manifest.webmanifest" || p.ends_with("/sitemap.xml") {
        return true;
    }
    let last = p.rsplit('/').next().unwrap_or("");
    let images: [(&str, &[&str]); 4] = [
        ("icon", &["ico", "jpg", "jpeg", "png", "svg"]),
        ("apple-icon", &["jpg", "jpeg", "png"]),
        ("opengraph-image", &["jpg", "jpeg", "png", "gif"]),
        ("twitter-image", &["jpg", "jpeg", "png", "gif"]),
    ];
    for (name, exts) in images {
        if let Some(rest) = last.strip_prefix(name) {
            let rest = rest.strip_prefix(|c: char| c.is_ascii_digit()).unwrap_or(rest);
            if let Some(ext) = rest.strip_prefix('.') {
                if exts.contains(&ext) {
                    return true;
                }
            }
        }
    }
    false
}

/// JS object key order: array-index keys ascending first, then insertion order.
fn js_key_order<T>(entries: &mut Vec<(String, T)>) {
    let is_index = |k: &str| !k.is_empty() && k.len() < 10 && k.bytes().all(|b| b.is_ascii_digit()) && (k == "0" || !k.starts_with('0'));
    let mut idx: Vec<(String, T)> = Vec::new();
    let mut rest: Vec<(String, T)> = Vec::new();
    for e in entries.drain(..) {
        if is_index(&e.0) {
            idx.push(e)
        } else {
            rest.push(e)
        }
    }
    idx.sort_by_key(|e| e.0.parse::<u64>().unwrap_or(0));
    entries.extend(idx);
    entries.extend(rest);
}

/// `str.replace(new RegExp(pattern, "g"), f)` with a JS regex.
fn js_replace_all(text: &str, pattern: &str, f: impl Fn(&regress::Match, &str) -> String) -> Result<String, String> {
    js_replace_all_flags(text, pattern, "", f)
}

/// `str.replace(new RegExp(pattern, "g" + flags), f)`.
fn js_replace_all_flags(text: &str, pattern: &str, flags: &str, f: impl Fn(&regress::Match, &str) -> String) -> Result<String, String> {
    let re = regress::Regex::with_flags(pattern, regress::Flags::from(flags)).map_err(|e| e.to_string())?;
    let mut out = String::new();
    let mut last = 0;
    for m in re.find_iter(text) {
        out.push_str(&text[last..m.range.start]);
        out.push_str(&f(&m, text));
        last = m.range.end;
    }
    out.push_str(&text[last..]);
    Ok(out)
}

// ---------------------------------------------------------------------------
// path-to-regexp 6 (next/dist/compiled/path-to-regexp)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum LexKind {
    Modifier,
    Escaped,
    Open,
    Close,
    Name,
    Pattern,
    Char,
    End,
}

fn lexer(s: &str) -> Result<Vec<(LexKind, String)>, String> {
    let c: Vec<char> = s.chars().collect();
    let mut t = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        match ch {
            '*' | '+' | '?' => {
                t.push((LexKind::Modifier, ch.to_string()));
                i += 1;
            }
            '\\' => {
                t.push((LexKind::Escaped, c.get(i + 1).map(|c| c.to_string()).unwrap_or_default()));
                i += 2;
            }
            '{' => {
                t.push((LexKind::Open, "{".into()));
                i += 1;
            }
            '}' => {
                t.push((LexKind::Close, "}".into()));
                i += 1;
            }
            ':' => {
                let mut name = String::new();
                let mut j = i + 1;
                while j < c.len() && (c[j].is_ascii_alphanumeric() || c[j] == '_') {
                    name.push(c[j]);
                    j += 1;
                }
                if name.is_empty() {
                    return Err(format!("Missing parameter name at {i}"));
                }
                t.push((LexKind::Name, name));
                i = j;
            }
            '(' => {
                let mut count = 1;
                let mut pattern = String::new();
                let mut j = i + 1;
                if c.get(j) == Some(&'?') {
                    return Err(format!("Pattern cannot start with \"?\" at {j}"));
                }
                while j < c.len() {
                    if c[j] == '\\' {
                        pattern.push(c[j]);
                        if let Some(n) = c.get(j + 1) {
                            pattern.push(*n);
                        }
                        j += 2;
                        continue;
                    }
                    if c[j] == ')' {
                        count -= 1;
                        if count == 0 {
                            j += 1;
                            break;
                        }
                    } else if c[j] == '(' {
                        count += 1;
                        if c.get(j + 1) != Some(&'?') {
                            return Err(format!("Capturing groups are not allowed at {j}"));
                        }
                    }
                    pattern.push(c[j]);
                    j += 1;
                }
                if count != 0 {
                    return Err(format!("Unbalanced pattern at {i}"));
                }
                if pattern.is_empty() {
                    return Err(format!("Missing pattern at {i}"));
                }
                t.push((LexKind::Pattern, pattern));
                i = j;
            }
            _ => {
                t.push((LexKind::Char, ch.to_string()));
                i += 1;
            }
        }
    }
    t.push((LexKind::End, String::new()));
    Ok(t)
}

/// A parameter name: a string, or the index of an unnamed group.
#[derive(Debug, Clone, PartialEq)]
enum KeyName {
    Named(String),
    Index(usize),
}

impl KeyName {
    fn as_lookup(&self) -> String {
        match self {
            KeyName::Named(s) => s.clone(),
            KeyName::Index(i) => i.to_string(),
        }
    }
}

#[derive(Debug, Clone)]
struct Key {
    name: KeyName,
    prefix: String,
    suffix: String,
    pattern: String,
    modifier: String,
}

#[derive(Debug, Clone)]
enum Token {
    Text(String),
    Key(Key),
}

/// path-to-regexp's `escapeString`.
fn ptr_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if ".+*?=^!:${}()[]|/\\".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn ptr_parse(s: &str, delimiter: &str) -> Result<Vec<Token>, String> {
    let prefixes = "./";
    let toks = lexer(s)?;
    let mut out: Vec<Token> = Vec::new();
    let mut key = 0usize;
    let mut i = 0usize;
    let mut path = String::new();
    let try_consume = |i: &mut usize, kind: LexKind| -> Option<String> {
        if *i < toks.len() && toks[*i].0 == kind {
            *i += 1;
            Some(toks[*i - 1].1.clone())
        } else {
            None
        }
    };
    let is_safe = |v: &str| delimiter.chars().any(|d| v.contains(d));
    let safe_pattern = |out: &Vec<Token>, prefix: &str| -> Result<String, String> {
        let prev = out.last();
        let value = if !prefix.is_empty() {
            prefix.to_string()
        } else if let Some(Token::Text(t)) = prev {
            t.clone()
        } else {
            String::new()
        };
        if let Some(p) = prev {
            if value.is_empty() {
                let name = match p {
                    Token::Key(k) => k.name.as_lookup(),
                    Token::Text(_) => String::new(),
                };
                return Err(format!("Must have text between two parameters, missing text after \"{name}\""));
            }
        }
        if value.is_empty() || is_safe(&value) {
            Ok(format!("[^{}]+?", ptr_escape(delimiter)))
        } else {
            Ok(format!("(?:(?!{})[^{}])+?", ptr_escape(&value), ptr_escape(delimiter)))
        }
    };
    while i < toks.len() {
        let ch = try_consume(&mut i, LexKind::Char);
        let name = try_consume(&mut i, LexKind::Name);
        let pattern = try_consume(&mut i, LexKind::Pattern);
        if name.is_some() || pattern.is_some() {
            let mut prefix = ch.unwrap_or_default();
            if !prefixes.contains(prefix.as_str()) {
                path.push_str(&prefix);
                prefix.clear();
            }
            if !path.is_empty() {
                out.push(Token::Text(std::mem::take(&mut path)));
            }
            let kname = match name {
                Some(n) => KeyName::Named(n),
                None => {
                    key += 1;
                    KeyName::Index(key - 1)
                }
            };
            let pattern = match pattern {
                Some(p) => p,
                None => safe_pattern(&out, &prefix)?,
            };
            let modifier = try_consume(&mut i, LexKind::Modifier).unwrap_or_default();
            out.push(Token::Key(Key { name: kname, prefix, suffix: String::new(), pattern, modifier }));
            continue;
        }
        let value = ch.or_else(|| try_consume(&mut i, LexKind::Escaped));
        if let Some(v) = value {
            path.push_str(&v);
            continue;
        }
        if !path.is_empty() {
            out.push(Token::Text(std::mem::take(&mut path)));
        }
        if try_consume(&mut i, LexKind::Open).is_some() {
            let consume_text = |i: &mut usize| {
                let mut r = String::new();
                while let Some(v) = try_consume(i, LexKind::Char).or_else(|| try_consume(i, LexKind::Escaped)) {
                    r.push_str(&v);
                }
                r
            };
            let prefix = consume_text(&mut i);
            let name = try_consume(&mut i, LexKind::Name).unwrap_or_default();
            let pattern = try_consume(&mut i, LexKind::Pattern).unwrap_or_default();
            let suffix = consume_text(&mut i);
            if try_consume(&mut i, LexKind::Close).is_none() {
                let (k, _) = &toks[i.min(toks.len() - 1)];
                return Err(format!("Unexpected {k:?} at {i}, expected CLOSE"));
            }
            let kname = if !name.is_empty() {
                KeyName::Named(name.clone())
            } else if !pattern.is_empty() {
                key += 1;
                KeyName::Index(key - 1)
            } else {
                KeyName::Named(String::new())
            };
            let pattern = if !name.is_empty() && pattern.is_empty() { safe_pattern(&out, &prefix)? } else { pattern };
            let modifier = try_consume(&mut i, LexKind::Modifier).unwrap_or_default();
            out.push(Token::Key(Key { name: kname, prefix, suffix, pattern, modifier }));
            continue;
        }
        if try_consume(&mut i, LexKind::End).is_none() {
            let (k, _) = &toks[i];
            return Err(format!("Unexpected {k:?} at {i}, expected END"));
        }
    }
    Ok(out)
}

/// `tokensToRegexp` with `strict: true`, `end: true`, `start: true`; returns the
/// source and the keys.
fn ptr_tokens_to_regexp(tokens: &[Token], strict: bool, delimiter: &str) -> Result<(String, Vec<Key>), String> {
    let mut keys = Vec::new();
    let mut route = String::from("^");
    let delim = format!("[{}]", ptr_escape(delimiter));
    for t in tokens {
        match t {
            Token::Text(s) => route.push_str(&ptr_escape(s)),
            Token::Key(k) => {
                let prefix = ptr_escape(&k.prefix);
                let suffix = ptr_escape(&k.suffix);
                if !k.pattern.is_empty() {
                    keys.push(k.clone());
                    if !prefix.is_empty() || !suffix.is_empty() {
                        if k.modifier == "+" || k.modifier == "*" {
                            let m = if k.modifier == "*" { "?" } else { "" };
                            route.push_str(&format!("(?:{prefix}((?:{p})(?:{suffix}{prefix}(?:{p}))*){suffix}){m}", p = k.pattern));
                        } else {
                            route.push_str(&format!("(?:{prefix}({}){suffix}){}", k.pattern, k.modifier));
                        }
                    } else {
                        if k.modifier == "+" || k.modifier == "*" {
                            return Err(format!("Can not repeat \"{}\" without a prefix and suffix", k.name.as_lookup()));
                        }
                        route.push_str(&format!("({}){}", k.pattern, k.modifier));
                    }
                } else {
                    route.push_str(&format!("(?:{prefix}{suffix}){}", k.modifier));
                }
            }
        }
    }
    if !strict {
        route.push_str(&delim);
        route.push('?');
    }
    route.push('$');
    Ok((route, keys))
}

/// `pathToRegexp(path, keys, options)`; errors as path-to-regexp throws them.
fn ptr_path_to_regexp(path: &str, strict: bool, delimiter: &str) -> Result<(String, Vec<Key>), String> {
    let tokens = ptr_parse(path, delimiter)?;
    ptr_tokens_to_regexp(&tokens, strict, delimiter)
}

/// `compile(path, { validate: false })(params)`.
fn ptr_compile(path: &str, params: &[(String, String)]) -> Result<String, String> {
    let tokens = ptr_parse(path, "/#?")?;
    let mut out = String::new();
    for t in &tokens {
        match t {
            Token::Text(s) => out.push_str(s),
            Token::Key(k) => {
                let name = k.name.as_lookup();
                match params.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => {
                        out.push_str(&k.prefix);
                        out.push_str(v);
                        out.push_str(&k.suffix);
                    }
                    None => {
                        if k.modifier == "?" || k.modifier == "*" {
                            continue;
                        }
                        let kind = if k.modifier == "+" { "an array" } else { "a string" };
                        return Err(format!("Expected \"{name}\" to be {kind}"));
                    }
                }
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Node's legacy url.parse(s, true) / url.format and querystring
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum QVal {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Clone)]
struct LegacyUrl {
    protocol: Option<String>,
    slashes: bool,
    auth: Option<String>,
    hostname: Option<String>,
    port: Option<String>,
    pathname: Option<String>,
    query: Vec<(String, QVal)>,
    hash: Option<String>,
}

fn qs_unescape(s: &str) -> String {
    let s = s.replace('+', " ");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn qs_parse(s: &str) -> Vec<(String, QVal)> {
    let mut out: Vec<(String, QVal)> = Vec::new();
    if s.is_empty() {
        return out;
    }
    for part in s.split('&') {
        if part.is_empty() {
            continue;
        }
        let (k, v) = match part.find('=') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, ""),
        };
        let (k, v) = (qs_unescape(k), qs_unescape(v));
        match out.iter().position(|(n, _)| *n == k) {
            Some(idx) => {
                let prev = std::mem::replace(&mut out[idx].1, QVal::Many(vec![]));
                out[idx].1 = match prev {
                    QVal::One(p) => QVal::Many(vec![p, v]),
                    QVal::Many(mut list) => {
                        list.push(v);
                        QVal::Many(list)
                    }
                };
            }
            None => out.push((k, QVal::One(v))),
        }
    }
    js_key_order(&mut out);
    out
}

/// `querystring.escape` (the `encodeURIComponent` set).
pub(crate) fn qs_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn qs_stringify(q: &[(String, QVal)]) -> String {
    let mut parts = Vec::new();
    for (k, v) in q {
        let ks = format!("{}=", qs_escape(k));
        match v {
            QVal::One(s) => parts.push(format!("{ks}{}", qs_escape(s))),
            QVal::Many(list) => {
                let inner: Vec<String> = list.iter().map(|s| format!("{ks}{}", qs_escape(s))).collect();
                parts.push(inner.join("&"));
            }
        }
    }
    parts.join("&")
}

const SLASHED_PROTOCOLS: [&str; 10] = ["http", "http:", "https", "https:", "ftp", "ftp:", "gopher", "gopher:", "file", "file:"];
const HOSTLESS_PROTOCOLS: [&str; 4] = ["javascript", "javascript:", "data", "data:"];

/// Node's legacy `url.parse(s, true)` for the destinations Next writes.
fn legacy_url_parse(input: &str) -> LegacyUrl {
    let mut u = LegacyUrl::default();
    let mut rest = input.trim().to_string();
    // Backslashes before the query/hash become forward slashes.
    if let Some(split) = rest.find(['?', '#']) {
        let (a, b) = rest.split_at(split);
        rest = format!("{}{}", a.replace('\\', "/"), b);
    } else {
        rest = rest.replace('\\', "/");
    }
    // Fast path: a simple path.
    let simple = rest.starts_with('/') && !rest.starts_with("///") && !rest.contains('#') && !rest.chars().any(char::is_whitespace);
    if simple {
        let (p, s) = match rest.find('?') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest.as_str(), None),
        };
        u.pathname = Some(p.to_string());
        u.query = s.map(qs_parse).unwrap_or_default();
        return u;
    }
    let proto_len = rest.find(':').filter(|&i| i > 0 && rest[..i].chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)));
    let mut lower_proto = String::new();
    if let Some(i) = proto_len {
        lower_proto = rest[..=i].to_ascii_lowercase();
        u.protocol = Some(lower_proto.clone());
        rest = rest[i + 1..].to_string();
    }
    let auth_like = rest.starts_with("//") && {
        let r = &rest[2..];
        let at = r.find('@');
        let slash = r.find('/');
        at.is_some_and(|a| a > 0 && slash.is_none_or(|s| s > a))
    };
    if u.protocol.is_some() || auth_like {
        let slashes = rest.starts_with("//");
        if slashes && lower_proto != "javascript:" {
            rest = rest[2..].to_string();
            u.slashes = true;
        }
    }
    if !HOSTLESS_PROTOCOLS.contains(&lower_proto.as_str())
        && (u.slashes || (u.protocol.is_some() && !SLASHED_PROTOCOLS.contains(&lower_proto.as_str())))
    {
        let host_end_chars = ['\t', '\n', '\r', ' ', '"', '#', '%', '\'', ';', '<', '>', '?', '\\', '^', '`', '{', '|', '}', '/'];
        let host_end = rest.find(host_end_chars).unwrap_or(rest.len());
        let at = rest[..host_end].rfind('@');
        let start = if let Some(a) = at {
            u.auth = Some(qs_unescape(&rest[..a].replace('+', "%2B")));
            a + 1
        } else {
            0
        };
        let host_end = rest[start..].find(host_end_chars).map(|i| i + start).unwrap_or(rest.len());
        let mut host = rest[start..host_end].to_string();
        rest = rest[host_end..].to_string();
        if let Some(colon) = host.rfind(':') {
            if host[colon + 1..].chars().all(|c| c.is_ascii_digit()) {
                if colon + 1 < host.len() {
                    u.port = Some(host[colon + 1..].to_string());
                }
                host.truncate(colon);
            }
        }
        let h = host.to_ascii_lowercase();
        let h = h.strip_prefix('[').and_then(|x| x.strip_suffix(']')).map(str::to_string).unwrap_or(h);
        u.hostname = Some(h);
    }
    // Auto-escape characters the legacy parser encodes.
    let mut escaped = String::new();
    for c in rest.chars() {
        match c {
            '\'' => escaped.push_str("%27"),
            '{' | '}' | '|' | '\\' | '^' | '`' | '<' | '>' | '"' | ' ' | '\r' | '\n' | '\t' => escaped.push_str(&qs_escape(&c.to_string())),
            c => escaped.push(c),
        }
    }
    rest = escaped;
    if let Some(h) = rest.find('#') {
        u.hash = Some(rest[h..].to_string());
        rest.truncate(h);
    }
    if let Some(q) = rest.find('?') {
        u.query = qs_parse(&rest[q + 1..]);
        rest.truncate(q);
    }
    if !rest.is_empty() {
        u.pathname = Some(rest);
    }
    if SLASHED_PROTOCOLS.contains(&lower_proto.as_str()) && u.hostname.as_deref().is_some_and(|h| !h.is_empty()) && u.pathname.is_none() {
        u.pathname = Some("/".into());
    }
    u
}

/// Node's `url.format` of `{protocol, slashes, auth, port, hostname, pathname, query, hash}`.
fn legacy_url_format(u: &LegacyUrl) -> String {
    let mut auth = u.auth.clone().unwrap_or_default();
    if !auth.is_empty() {
        auth = qs_escape(&auth).replace("%3A", ":") + "@";
    }
    let mut protocol = u.protocol.clone().unwrap_or_default();
    let mut pathname = u.pathname.clone().unwrap_or_default();
    let mut hash = u.hash.clone().unwrap_or_default();
    let mut host = String::new();
    if let Some(h) = u.hostname.as_deref().filter(|h| !h.is_empty()) {
        host = auth.clone() + &(if h.contains(':') && !h.starts_with('[') { format!("[{h}]") } else { h.to_string() });
        if let Some(p) = u.port.as_deref().filter(|p| !p.is_empty()) {
            host.push(':');
            host.push_str(p);
        }
    }
    let query = qs_stringify(&u.query);
    let mut search = if query.is_empty() { String::new() } else { format!("?{query}") };
    if !protocol.is_empty() && !protocol.ends_with(':') {
        protocol.push(':');
    }
    pathname = pathname.replace('#', "%23").replace('?', "%3F");
    if u.slashes || SLASHED_PROTOCOLS.contains(&protocol.as_str()) {
        if u.slashes || !host.is_empty() {
            if !pathname.is_empty() && !pathname.starts_with('/') {
                pathname.insert(0, '/');
            }
            host = format!("//{host}");
        } else if protocol.len() >= 4 && protocol.starts_with("file") {
            host = "//".into();
        }
    }
    search = search.replace('#', "%23");
    if !hash.is_empty() && !hash.starts_with('#') {
        hash.insert(0, '#');
    }
    format!("{protocol}{host}{pathname}{search}{hash}")
}

// ---------------------------------------------------------------------------
// @vercel/routing-utils (superstatic.js) conversions
// ---------------------------------------------------------------------------

/// `new RegExp(pattern).source`: `/` outside character classes and line
/// terminators come back escaped.
fn regexp_source(pattern: &str) -> String {
    if pattern.is_empty() {
        return "(?:)".into();
    }
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(n) = chars.next() {
                    match n {
                        '\n' => out.push('n'),
                        '\r' => out.push('r'),
                        n => out.push(n),
                    }
                }
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            '/' if !in_class => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// `sourceToRegex`: the regex source and the segment names.
fn source_to_regex(source: &str) -> Result<(String, Vec<String>), String> {
    let (src, keys) = ptr_path_to_regexp(source, true, "/")?;
    let src = regexp_source(&src);
    let segments = keys
        .iter()
        .map(|k| match &k.name {
            KeyName::Named(s) => s.clone(),
            KeyName::Index(_) => UNNAMED_SEGMENT.to_string(),
        })
        .collect();
    Ok((src, segments))
}

/// `collectHasSegments`.
fn collect_has_segments(has: &[RouteHas]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: String| {
        if !out.contains(&s) {
            out.push(s)
        }
    };
    for h in has {
        if h.value.as_deref().is_none_or(str::is_empty) {
            if let Some(k) = &h.key {
                add(k.clone());
            }
        }
        if let Some(v) = h.value.as_deref().filter(|v| !v.is_empty()) {
            let mut rest = v;
            while let Some(i) = rest.find("(?<") {
                let after = &rest[i + 3..];
                let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if !name.is_empty() && name.starts_with(|c: char| c.is_ascii_alphabetic()) && after[name.len()..].starts_with('>') {
                    add(name.clone());
                }
                rest = &rest[i + 3..];
            }
            if h.kind == "host" {
                add("host".into());
            }
        }
    }
    out
}

fn normalize_has_keys(has: &mut [RouteHas]) {
    for h in has {
        if h.kind == "header" {
            if let Some(k) = &mut h.key {
                *k = k.to_lowercase();
            }
        }
    }
}

fn escape_segment(s: &str, name: &str) -> Result<String, String> {
    js_replace_all(s, &format!(":{name}"), |_, _| format!("__ESC_COLON_{name}"))
}

fn unescape_segments(s: &str) -> String {
    js_replace_all_flags(s, "__ESC_COLON_", "i", |_, _| ":".into()).unwrap_or_else(|_| s.to_string())
}

/// `safelyCompile(value, params, strict)`.
fn safely_compile(value: &str, params: &[(String, String)], strict: bool) -> Result<String, String> {
    if value.is_empty() {
        return Ok(value.to_string());
    }
    if strict {
        if let Ok(v) = ptr_compile(value, params) {
            return Ok(v);
        }
    }
    let mut e = value.to_string();
    for (r, _) in params {
        if e.contains(&format!(":{r}")) {
            e = js_replace_all(&e, &format!(":{r}\\*"), |_, _| format!(":{r}--ESCAPED_PARAM_ASTERISK"))?;
            e = js_replace_all(&e, &format!(":{r}\\?"), |_, _| format!(":{r}--ESCAPED_PARAM_QUESTION"))?;
            e = js_replace_all(&e, &format!(":{r}\\+"), |_, _| format!(":{r}--ESCAPED_PARAM_PLUS"))?;
            e = js_replace_all(&e, &format!(":{r}(?!\\w)"), |_, _| format!("--ESCAPED_PARAM_COLON{r}"))?;
        }
    }
    let mut escaped = String::new();
    for c in e.chars() {
        if ":*?+(){}".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    let e = escaped
        .replace("--ESCAPED_PARAM_PLUS", "+")
        .replace("--ESCAPED_PARAM_COLON", ":")
        .replace("--ESCAPED_PARAM_QUESTION", "?")
        .replace("--ESCAPED_PARAM_ASTERISK", "*");
    let out = ptr_compile(&format!("/{e}"), params)?;
    Ok(out[1..].to_string())
}

fn to_segment_dest(index: usize) -> String {
    format!("${}", index + 1)
}

/// The `segment name → "$n"` / `has name → "$name"` map, in JS object key order.
fn segment_params(segments: &[String], has_segments: &[String]) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = Vec::new();
    let mut set = |k: &str, v: String| match f.iter_mut().find(|(n, _)| n == k) {
        Some(e) => e.1 = v,
        None => f.push((k.to_string(), v)),
    };
    for (i, s) in segments.iter().enumerate() {
        set(s, to_segment_dest(i));
    }
    for h in has_segments {
        set(h, format!("${h}"));
    }
    js_key_order(&mut f);
    f
}

/// `replaceSegments(segments, hasItemSegments, destination, isRedirect, internalParamNames)`.
fn replace_segments(
    segments: &[String],
    has_segments: &[String],
    destination: &str,
    is_redirect: bool,
    internal: &[&str],
) -> Result<String, String> {
    let named: Vec<&String> = segments.iter().filter(|s| *s != UNNAMED_SEGMENT).collect();
    let can_need = (destination.contains(':') && !named.is_empty()) || !has_segments.is_empty() || !is_redirect;
    if !can_need {
        return Ok(destination.to_string());
    }
    let mut dest = destination.to_string();
    for s in segments {
        dest = escape_segment(&dest, s)?;
    }
    for h in has_segments {
        dest = escape_segment(&dest, h)?;
    }
    let f = segment_params(segments, has_segments);
    let mut parsed = legacy_url_parse(&dest);
    let pathname = unescape_segments(parsed.pathname.as_deref().unwrap_or(""));
    let hash = unescape_segments(parsed.hash.as_deref().unwrap_or(""));
    let hostname = unescape_segments(parsed.hostname.as_deref().unwrap_or(""));
    let mut used: HashSet<String> = HashSet::new();
    // pathToRegexp on each part; the first failure stops collecting.
    for part in [&pathname, &hash, &hostname] {
        match ptr_path_to_regexp(part, false, "/#?") {
            Ok((_, keys)) => {
                for k in keys {
                    if let KeyName::Named(n) = k.name {
                        used.insert(n);
                    }
                }
            }
            Err(_) => break,
        }
    }
    parsed.pathname = Some(safely_compile(&pathname, &f, true)?);
    parsed.hash = if hash.is_empty() { None } else { Some(safely_compile(&hash, &f, true)?) };
    parsed.hostname = if hostname.is_empty() { None } else { Some(safely_compile(&hostname, &f, true)?) };
    for (_, v) in parsed.query.iter_mut() {
        match v {
            QVal::One(s) => *s = safely_compile(&unescape_segments(s), &f, true)?,
            QVal::Many(list) => {
                for s in list.iter_mut() {
                    *s = safely_compile(&unescape_segments(s), &f, true)?;
                }
            }
        }
    }
    let add_all = !is_redirect && !f.iter().any(|(k, _)| !internal.contains(&k.as_str()) && used.contains(k));
    if add_all {
        for (k, v) in &f {
            if k != UNNAMED_SEGMENT && !parsed.query.iter().any(|(n, _)| n == k) {
                parsed.query.push((k.clone(), QVal::One(v.clone())));
            }
        }
        js_key_order(&mut parsed.query);
    }
    Ok(legacy_url_format(&parsed).replace("%24", "$"))
}

/// Next's `modifyRouteRegex` without restricted paths.
fn modify_route_regex(regex: &str) -> String {
    match regex.strip_suffix('$') {
        Some(r) => format!("{r}(?:\\/)?$"),
        None => regex.to_string(),
    }
}

fn get_has(v: &Value, key: &str) -> Result<Option<Vec<RouteHas>>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => serde_json::from_value(x.clone()).map(Some).map_err(|e| format!("{key}: {e}")),
    }
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

struct Converted {
    /// The route's `source` as Next lists it.
    source: String,
    source_regex: String,
    has: Option<Vec<RouteHas>>,
    missing: Option<Vec<RouteHas>>,
    segments: Vec<String>,
    has_segments: Vec<String>,
}

fn convert_common(route: &Value) -> Result<Converted, String> {
    let source = str_field(route, "source");
    let (src, segments) = source_to_regex(source).map_err(|e| format!("`{source}`: {e}"))?;
    let mut has = get_has(route, "has")?;
    let mut missing = get_has(route, "missing")?;
    let has_segments = collect_has_segments(has.as_deref().unwrap_or(&[]));
    if let Some(h) = &mut has {
        normalize_has_keys(h);
    }
    if let Some(m) = &mut missing {
        normalize_has_keys(m);
    }
    let internal = route.get("internal").and_then(Value::as_bool).unwrap_or(false);
    let source_regex = if internal { src } else { modify_route_regex(&src) };
    Ok(Converted { source: source.to_string(), source_regex, has, missing, segments, has_segments })
}

impl Converted {
    /// The route with what every kind shares: its source, regex and conditions.
    fn route(self) -> RouteDef {
        RouteDef { source: Some(self.source), source_regex: self.source_regex, has: self.has, missing: self.missing, ..Default::default() }
    }
}

/// A routes-manifest header route as the adapter's `buildRouteFromHeader` gives it.
fn header_route(route: &Value) -> Result<RouteDef, String> {
    let c = convert_common(route)?;
    let named: Vec<&String> = c.segments.iter().filter(|s| *s != UNNAMED_SEGMENT).collect();
    let params = segment_params(&c.segments, &c.has_segments);
    let mut headers = Map::new();
    for h in route.get("headers").and_then(Value::as_array).into_iter().flatten() {
        let mut key = str_field(h, "key").to_string();
        let mut value = str_field(h, "value").to_string();
        if !named.is_empty() || !c.has_segments.is_empty() {
            if key.contains(':') {
                key = safely_compile(&key, &params, false)?;
            }
            if value.contains(':') {
                value = safely_compile(&value, &params, false)?;
            }
        }
        headers.insert(key, Value::String(value));
    }
    Ok(RouteDef { headers: Some(headers), ..c.route() })
}

fn redirect_route(route: &Value) -> Result<RouteDef, String> {
    let c = convert_common(route)?;
    let location = replace_segments(&c.segments, &c.has_segments, str_field(route, "destination"), true, &[])
        .map_err(|e| format!("Failed to parse redirect {route}: {e}"))?;
    let status = match route.get("permanent").and_then(Value::as_bool) {
        Some(true) => 308,
        Some(false) => 307,
        None => route.get("statusCode").and_then(Value::as_u64).filter(|s| *s != 0).unwrap_or(307) as u16,
    };
    let mut headers = Map::new();
    headers.insert("Location".into(), Value::String(location));
    // Next 16 marks its trailing-slash redirect `priority`; 15.5 only `internal`.
    let priority = match route.get("priority") {
        Some(p) => p.as_bool().filter(|p| *p),
        None => route.get("internal").and_then(Value::as_bool).filter(|i| *i),
    };
    Ok(RouteDef { headers: Some(headers), status: Some(status), priority, ..c.route() })
}

fn rewrite_route(route: &Value) -> Result<RouteDef, String> {
    let c = convert_common(route)?;
    let dest = replace_segments(&c.segments, &c.has_segments, str_field(route, "destination"), false, &["nextInternalLocale"])
        .map_err(|e| format!("Failed to parse rewrite {route}: {e}"))?;
    Ok(RouteDef { destination: Some(dest), ..c.route() })
}

// ---------------------------------------------------------------------------
// getNamedRouteRegex and route sorting
// ---------------------------------------------------------------------------

/// `PARAMETER_PATTERN` = `/^([^[]*)\[((?:\[[^\]]*\])|[^\]]+)\](.*)$/`.
fn parameter_match(segment: &str) -> Option<(String, String, String)> {
    let open = segment.find('[')?;
    let prefix = &segment[..open];
    let rest = &segment[open + 1..];
    let (inner, after) = if rest.starts_with('[') {
        let close = rest.find(']')?;
        let inner = &rest[..=close];
        if inner[1..inner.len() - 1].contains('[') {
            return None;
        }
        let after = &rest[close + 1..];
        (inner, after.strip_prefix(']')?)
    } else {
        let close = rest.find(']')?;
        if close == 0 {
            return None;
        }
        (&rest[..close], &rest[close + 1..])
    };
    Some((prefix.to_string(), inner.to_string(), after.to_string()))
}

fn parse_matched_parameter(param: &str) -> (String, bool, bool) {
    let mut p = param;
    let optional = p.starts_with('[') && p.ends_with(']');
    if optional {
        p = &p[1..p.len() - 1];
    }
    let repeat = p.starts_with("...");
    if repeat {
        p = &p[3..];
    }
    (p.to_string(), repeat, optional)
}

struct NamedRouteRegex {
    named_regex: String,
    route_keys: Vec<(String, String)>,
}

/// `getNamedRouteRegex(route, { prefixRouteKeys: true, includeSuffix })`.
fn get_named_route_regex(route: &str, include_suffix: bool) -> NamedRouteRegex {
    let mut safe_i = 0u32;
    let mut safe_key = || {
        safe_i += 1;
        let mut j = safe_i;
        let mut k = String::new();
        while j > 0 {
            k.push((b'a' + ((j - 1) % 26) as u8) as char);
            j = (j - 1) / 26;
        }
        k
    };
    let mut route_keys: Vec<(String, String)> = Vec::new();
    let mut segments = String::new();
    let mut intercepted: HashMap<String, String> = HashMap::new();
    let trimmed = if route.len() > 1 { route.strip_suffix('/').unwrap_or(route) } else { route };
    let body = trimmed.get(1..).unwrap_or("");
    for segment in body.split('/') {
        let has_marker = INTERCEPTION_MARKERS.iter().any(|m| segment.starts_with(m));
        let pm = parameter_match(segment);
        let marker = if has_marker { pm.as_ref().map(|p| p.0.clone()) } else { None };
        let key_prefix = match (&marker, &pm) {
            (Some(m), Some(p)) if !p.1.is_empty() => {
                intercepted.insert(p.1.clone(), m.clone());
                "nxtI"
            }
            (_, Some(p)) if intercepted.contains_key(&p.1) => "nxtI",
            _ => "nxtP",
        };
        match &pm {
            Some((_, inner, _)) => {
                let (key, repeat, optional) = parse_matched_parameter(inner);
                let mut cleaned: String = key.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                cleaned = format!("{key_prefix}{cleaned}");
                let invalid = cleaned.is_empty() || cleaned.len() > 30 || cleaned.starts_with(|c: char| c.is_ascii_digit());
                if invalid {
                    cleaned = safe_key();
                }
                let value = format!("{key_prefix}{key}");
                match route_keys.iter_mut().find(|(k, _)| *k == cleaned) {
                    Some(e) => e.1 = value,
                    None => route_keys.push((cleaned.clone(), value)),
                }
                let ip = marker.as_deref().map(escape_string_regexp).unwrap_or_default();
                let pattern = if repeat { format!("(?<{cleaned}>.+?)") } else { format!("(?<{cleaned}>[^/]+?)") };
                if optional {
                    segments.push_str(&format!("(?:/{ip}{pattern})?"));
                } else {
                    segments.push_str(&format!("/{ip}{pattern}"));
                }
            }
            None => {
                segments.push('/');
                segments.push_str(&escape_string_regexp(segment));
            }
        }
        if include_suffix {
            if let Some((_, _, suffix)) = &pm {
                segments.push_str(&escape_string_regexp(suffix));
            }
        }
    }
    NamedRouteRegex { named_regex: format!("^{segments}(?:/)?$"), route_keys }
}

/// ICU-like ordering for `localeCompare` on route segments: punctuation before
/// digits before letters, letters case-insensitively first (lower before upper).
fn locale_compare(a: &str, b: &str) -> std::cmp::Ordering {
    const PUNCT: &str = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$";
    let key = |c: char| -> (u8, u32) {
        if let Some(i) = PUNCT.find(c) {
            (0, i as u32)
        } else if c.is_ascii_digit() {
            (1, c as u32)
        } else if c.is_alphabetic() {
            (2, c.to_lowercase().next().unwrap_or(c) as u32)
        } else {
            (0, 100 + c as u32)
        }
    };
    let ka: Vec<_> = a.chars().map(key).collect();
    let kb: Vec<_> = b.chars().map(key).collect();
    ka.cmp(&kb).then_with(|| {
        for (x, y) in a.chars().zip(b.chars()) {
            if x != y {
                return x.is_uppercase().cmp(&y.is_uppercase());
            }
        }
        a.len().cmp(&b.len())
    })
}

fn segment_specificity(seg: &str) -> u8 {
    if !seg.contains('[') {
        0
    } else if seg.starts_with("[[...") && seg.ends_with("]]") {
        3
    } else if seg.starts_with("[...") && seg.ends_with(']') {
        2
    } else if seg.starts_with('[') && seg.ends_with(']') {
        1
    } else {
        0
    }
}

/// Next's `compareRouteSegments`.
fn compare_route_segments(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let sa: Vec<&str> = a.split('/').filter(|s| !s.is_empty()).collect();
    let sb: Vec<&str> = b.split('/').filter(|s| !s.is_empty()).collect();
    for i in 0..sa.len().max(sb.len()) {
        match (sa.get(i), sb.get(i)) {
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (None, None) => return Ordering::Equal,
            (Some(x), Some(y)) => {
                let (px, py) = (segment_specificity(x), segment_specificity(y));
                if px != py {
                    return px.cmp(&py);
                }
                if x != y {
                    return locale_compare(x, y);
                }
            }
        }
    }
    Ordering::Equal
}

// ---------------------------------------------------------------------------
// Fallback shell runs (experimental.collapseAdapterRoutes)
// ---------------------------------------------------------------------------

fn split_shell_page(page: &str, source_page: &str) -> Option<(String, String)> {
    let ps: Vec<&str> = page.split('/').collect();
    let ss: Vec<&str> = source_page.split('/').collect();
    if ps.len() != ss.len() {
        return None;
    }
    let resolved: Vec<usize> = (0..ps.len()).filter(|&i| ps[i] != ss[i]).collect();
    if resolved.is_empty() {
        return None;
    }
    if resolved.iter().enumerate().any(|(pos, &idx)| idx != pos + 1) {
        return None;
    }
    if resolved.iter().any(|&i| !ss[i].starts_with('[') || ps[i].starts_with('[')) {
        return None;
    }
    let tail_start = resolved.len() + 1;
    Some((ps[1..tail_start].join("/"), ps[tail_start..].join("/")))
}

struct ShellRun {
    prefixes: Vec<String>,
    tail: String,
}

fn collect_fallback_shell_runs(
    dynamic_routes: &[Value],
    fallback_false: &dyn Fn(&str) -> bool,
) -> (HashMap<String, ShellRun>, HashSet<String>) {
    struct Run {
        source: String,
        tail: String,
        ff: bool,
        shells: Vec<(String, String)>,
    }
    let mut runs: Vec<Run> = Vec::new();
    let mut current: Option<usize> = None;
    for route in dynamic_routes {
        let page = str_field(route, "page");
        let source = route.get("sourcePage").and_then(Value::as_str).filter(|s| !s.is_empty());
        let split = source.filter(|s| *s != page).and_then(|s| split_shell_page(page, s));
        let (Some(source), Some((prefix, tail))) = (source, split) else {
            current = None;
            continue;
        };
        let ff = fallback_false(page);
        if let Some(c) = current {
            let r = &runs[c];
            if r.source != source || r.tail != tail || r.ff != ff {
                current = None;
            }
        }
        if current.is_none() {
            runs.push(Run { source: source.to_string(), tail, ff, shells: vec![] });
            current = Some(runs.len() - 1);
        }
        if let Some(c) = current {
            runs[c].shells.push((page.to_string(), prefix));
        }
    }
    let mut by_rep = HashMap::new();
    let mut replaced = HashSet::new();
    for run in runs {
        if run.shells.len() < 2 {
            continue;
        }
        let (rep_page, rep_prefix) = &run.shells[0];
        let named = get_named_route_regex(rep_page, false).named_regex;
        if !named.starts_with(&format!("^/{}/", escape_string_regexp(rep_prefix))) {
            continue;
        }
        for (p, _) in &run.shells[1..] {
            replaced.insert(p.clone());
        }
        by_rep.insert(rep_page.clone(), ShellRun { prefixes: run.shells.iter().map(|s| s.1.clone()).collect(), tail: run.tail });
    }
    (by_rep, replaced)
}

// ---------------------------------------------------------------------------
// Reading the build
// ---------------------------------------------------------------------------

fn read_json(path: &Path) -> Result<Value, String> {
    let s = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&s).map_err(|e| format!("{} is not valid JSON: {e}", path.display()))
}

fn read_json_opt(path: &Path) -> Result<Value, String> {
    if path.is_file() {
        read_json(path)
    } else {
        Ok(Value::Object(Map::new()))
    }
}

fn list_files(dir: &Path, rel: &str, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let r = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        let path = e.path();
        if path.is_dir() {
            list_files(&path, &r, out);
        } else {
            out.push(r);
        }
    }
}

/// Prerender output files (`.meta`, `.body`, ...) by `<normalizePagePath(route)><ext>`,
/// from both layouts: `server/app/**` and `server/route-cache/<kind>/<hash>/$/**`.
struct PrerenderFiles {
    files: HashMap<String, std::path::PathBuf>,
}

impl PrerenderFiles {
    fn read(server: &Path) -> Self {
        let mut files = HashMap::new();
        let mut list = Vec::new();
        list_files(&server.join("app"), "", &mut list);
        for f in list {
            files.insert(format!("/{f}"), server.join("app").join(&f));
        }
        let mut list = Vec::new();
        list_files(&server.join("route-cache"), "", &mut list);
        for f in list {
            if let Some(i) = f.find("/$/") {
                let (kind, rest) = (&f[..f.find('/').unwrap_or(0)], &f[i + 2..]);
                if kind == "APP_PAGE" || kind == "APP_ROUTE" {
                    files.insert(rest.to_string(), server.join("route-cache").join(&f));
                }
            }
        }
        Self { files }
    }

    fn get(&self, route: &str, ext: &str) -> Option<&std::path::PathBuf> {
        self.files.get(&format!("{}{ext}", normalize_page_path(route)))
    }

    fn meta(&self, route: &str) -> Value {
        self.get(route, ".meta").and_then(|p| read_json(p).ok()).unwrap_or(Value::Object(Map::new()))
    }
}

fn obj_keys(v: &Value) -> Vec<String> {
    v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

fn middleware_matchers(matchers: &Value, preview_id: &str) -> Result<Vec<RouteDef>, String> {
    let mut out = Vec::new();
    for m in matchers.as_array().into_iter().flatten() {
        let mut missing = get_has(m, "missing")?.unwrap_or_default();
        missing.push(RouteHas { kind: "header".into(), key: Some("x-prerender-revalidate".into()), value: Some(preview_id.to_string()) });
        out.push(RouteDef {
            source_regex: str_field(m, "regexp").to_string(),
            has: get_has(m, "has")?,
            missing: Some(missing),
            ..Default::default()
        });
    }
    Ok(out)
}

/// Builds the routing table spec from the manifests in `dist_dir` (`.next`).
pub fn spec_from_manifests(dist_dir: &Path) -> Result<RoutingSpec, String> {
    let server = dist_dir.join("server");
    let routes = read_json(&dist_dir.join("routes-manifest.json"))?;
    let prerender = read_json(&dist_dir.join("prerender-manifest.json"))?;
    let middleware_manifest = read_json_opt(&server.join("middleware-manifest.json"))?;
    let functions_config = read_json_opt(&server.join("functions-config-manifest.json"))?;
    let pages_manifest = read_json_opt(&server.join("pages-manifest.json"))?;
    let app_paths_manifest = read_json_opt(&server.join("app-paths-manifest.json"))?;
    let required = read_json(&dist_dir.join("required-server-files.json"))?;
    let build_id = std::fs::read_to_string(dist_dir.join("BUILD_ID"))
        .map_err(|e| format!("cannot read {}: {e}", dist_dir.join("BUILD_ID").display()))?
        .trim()
        .to_string();
    let config = required.get("config").cloned().unwrap_or(Value::Null);
    let base_path = config.get("basePath").and_then(Value::as_str).unwrap_or("").to_string();
    let i18n: Option<I18nConfig> = config
        .get("i18n")
        .filter(|v| !v.is_null())
        .map(|v| serde_json::from_value(v.clone()))
        .transpose()
        .map_err(|e| format!("config.i18n: {e}"))?;
    let locales: Vec<String> = i18n.as_ref().map(|i| i.locales.clone()).unwrap_or_default();
    let default_locale = i18n.as_ref().map(|i| i.default_locale.clone()).unwrap_or_default();
    let collapse = config.pointer("/experimental/collapseAdapterRoutes").and_then(Value::as_bool).unwrap_or(false);
    let preview_id = prerender.pointer("/preview/previewModeId").and_then(Value::as_str).unwrap_or("").to_string();
    let rsc = routes.get("rsc").cloned().unwrap_or(Value::Null);
    let seg_dir_suffix = rsc.get("prefetchSegmentDirSuffix").and_then(Value::as_str).unwrap_or(".segments").to_string();
    let seg_suffix = rsc.get("prefetchSegmentSuffix").and_then(Value::as_str).unwrap_or(".segment.rsc").to_string();
    let pr_routes = prerender.get("routes").and_then(Value::as_object).cloned().unwrap_or_default();
    let pr_dynamic = prerender.get("dynamicRoutes").and_then(Value::as_object).cloned().unwrap_or_default();
    let fallback_false = |page: &str| pr_dynamic.get(page).and_then(|d| d.get("fallback")) == Some(&Value::Bool(false));
    let delocalize = |p: &str| -> Option<String> {
        for l in &locales {
            if p == format!("/{l}") {
                return Some("/".into());
            }
            if let Some(rest) = p.strip_prefix(&format!("/{l}/")) {
                return Some(format!("/{rest}"));
            }
        }
        None
    };

    // Page keys as the build saw them (pages-manifest lists i18n static pages per
    // locale, and the default 404/500 documents even without a pages/404 file).
    let mut page_keys: Vec<String> = Vec::new();
    let mut static_pages: HashSet<String> = HashSet::new();
    let pages_obj = pages_manifest.as_object().cloned().unwrap_or_default();
    // pages-manifest lists 404/500 whether or not the app has pages/404 or
    // pages/500; the build's page list only has the app's own files.
    let project_dir = required
        .get("appDir")
        .and_then(Value::as_str)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dist_dir.parent().unwrap_or(dist_dir).to_path_buf());
    let pages_dir = [project_dir.join("pages"), project_dir.join("src/pages")].into_iter().find(|d| d.is_dir());
    let page_extensions: Vec<String> = config
        .get("pageExtensions")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_else(|| ["tsx", "ts", "jsx", "js"].map(String::from).to_vec());
    let user_page =
        |name: &str| pages_dir.as_ref().is_some_and(|d| page_extensions.iter().any(|e| d.join(format!("{name}.{e}")).is_file()));
    for (k, v) in &pages_obj {
        let file = v.as_str().unwrap_or("");
        let is_html = file.ends_with(".html");
        let page = match (is_html, delocalize(k)) {
            (true, Some(p)) => p,
            _ => k.clone(),
        };
        if (page == "/404" || page == "/500") && !user_page(&page[1..]) {
            continue;
        }
        if is_html {
            static_pages.insert(page.clone());
        }
        if !page_keys.contains(&page) {
            page_keys.push(page);
        }
    }
    let app_keys_all = obj_keys(&app_paths_manifest);
    let app_dir_only =
        !app_keys_all.is_empty() && (pages_dir.is_none() || page_keys.iter().all(|p| p == "/_app" || p == "/_document" || p == "/_error"));
    if app_dir_only {
        page_keys.clear();
        static_pages.clear();
    }
    // `_global-error` is only a discovered entry of app-only builds.
    let app_page_keys: Vec<String> = app_keys_all.into_iter().filter(|k| k != "/_global-error/page" || app_dir_only).collect();
    let has_app = !app_page_keys.is_empty();
    let mut ssg_pages: HashSet<String> = pr_dynamic.keys().cloned().collect();
    for (route, r) in &pr_routes {
        let src = r.get("srcRoute").and_then(Value::as_str).map(str::to_string);
        ssg_pages.insert(src.unwrap_or_else(|| delocalize(route).unwrap_or_else(|| route.clone())));
    }
    let data_routes: Vec<Value> = routes.get("dataRoutes").and_then(Value::as_array).cloned().unwrap_or_default();
    let server_props: HashSet<String> =
        data_routes.iter().map(|d| str_field(d, "page").to_string()).filter(|p| !ssg_pages.contains(p)).collect();
    let edge_functions = middleware_manifest.get("functions").and_then(Value::as_object).cloned().unwrap_or_default();
    let pr_files = PrerenderFiles::read(&server);

    let mut pathnames: Vec<String> = Vec::new();
    let mut pages_outputs = 0usize;
    let mut emitted_static: HashSet<String> = HashSet::new();
    let mut static_files = Vec::new();
    list_files(&dist_dir.join("static"), "", &mut static_files);
    for f in static_files {
        pathnames.push(posix_join(&["/_next/static", &f]));
    }

    // Middleware.
    let mut matchers: Option<Vec<RouteDef>> = None;
    for m in middleware_manifest.get("middleware").and_then(Value::as_object).into_iter().flat_map(|o| o.values()) {
        let name = str_field(m, "name");
        if ["middleware", "src/middleware", "proxy", "src/proxy"].contains(&name) {
            matchers = Some(middleware_matchers(m.get("matchers").unwrap_or(&Value::Null), &preview_id)?);
        }
    }
    if let Some(f) = functions_config.pointer("/functions/~1_middleware") {
        matchers = Some(middleware_matchers(f.get("matchers").unwrap_or(&Value::Null), &preview_id)?);
    }

    // Edge functions (pages, app pages and routes on the edge runtime).
    for f in edge_functions.values() {
        let name = str_field(f, "name");
        let page = str_field(f, "page");
        let is_app = name.starts_with("app/");
        let is_app_page = is_app && name.ends_with("/page");
        let is_app_route = is_app && name.ends_with("/route");
        let route = page.strip_prefix("app/").or_else(|| page.strip_prefix("pages/")).unwrap_or(page);
        let pathname = if is_app {
            normalize_app_path(route)
        } else if route == "/index" {
            "/".into()
        } else {
            route.strip_suffix("/index").unwrap_or(route).to_string()
        };
        if !is_app_page && !is_app_route && !page.starts_with("/api") {
            pages_outputs += 1;
        }
        pathnames.push(pathname.clone());
        if is_app_page {
            pathnames.push(format!("{}.rsc", normalize_page_path(&pathname)));
        } else if server_props.contains(&pathname) {
            pathnames.push(posix_join(&["/_next/data/", &build_id, &format!("{}.json", normalize_page_path(&pathname))]));
            pages_outputs += 1;
        }
    }

    // Pages router.
    for page in &page_keys {
        if page == "/_app" || page == "/_document" || edge_functions.contains_key(page) {
            continue;
        }
        let route = normalize_page_path(page);
        let locale_page = |l: &str| if page == "/" { format!("/{l}") } else { format!("/{l}{page}") };
        if static_pages.contains(page) {
            if i18n.is_some() {
                for l in &locales {
                    let lp = locale_page(l);
                    emitted_static.insert(lp.clone());
                    if has_app {
                        pathnames.push(format!("{lp}.rsc"));
                    }
                    pathnames.push(lp);
                }
            } else {
                pathnames.push(route.clone());
                emitted_static.insert(route.clone());
                if has_app {
                    pathnames.push(format!("{route}.rsc"));
                }
            }
            if page != "/404" {
                continue;
            }
        }
        pathnames.push(route.clone());
        if page.starts_with("/api") {
            continue;
        }
        pages_outputs += 1;
        if server_props.contains(page) {
            pathnames.push(posix_join(&["/_next/data", &build_id, &format!("{}.json", normalize_page_path(page))]));
            if has_app {
                pathnames.push(format!("{}.rsc", if page == "/" { "/index" } else { page }));
            }
        }
        for l in &locales {
            let lp = locale_page(l);
            if server_props.contains(page) {
                pathnames.push(posix_join(&["/_next/data", &build_id, &format!("{lp}.json")]));
                if has_app {
                    pathnames.push(format!("{lp}.rsc"));
                }
            }
            pathnames.push(lp);
        }
    }

    // App router.
    let mut app_outputs: HashSet<String> = HashSet::new();
    for page in &app_page_keys {
        if edge_functions.contains_key(page) {
            continue;
        }
        let normalized = normalize_app_path(page);
        if is_static_metadata_file(&normalized) {
            let prerendered = pr_routes.contains_key(&normalized)
                || locales.iter().any(|l| pr_routes.contains_key(&posix_join(&["/", l, &normalized[1..]])));
            if prerendered {
                continue;
            }
        }
        if !app_outputs.insert(normalized.clone()) {
            continue;
        }
        pathnames.push(format!("{}.rsc", normalize_page_path(&normalized)));
        pathnames.push(normalized);
    }
    let has_static_404 = server.join("pages/404.html").is_file()
        || (!default_locale.is_empty() && server.join(format!("pages/{default_locale}/404.html")).is_file());
    let push_segments = |pathnames: &mut Vec<String>, route: &str, meta: &Value| {
        for sp in meta.get("segmentPaths").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            let base = format!("{}{seg_dir_suffix}", normalize_page_path(route));
            pathnames.push(format!("{}{seg_suffix}", posix_join(&[&base, sp])));
        }
    };

    // Prerendered routes.
    for (route, r) in &pr_routes {
        let src = r.get("srcRoute").and_then(Value::as_str).filter(|s| !s.is_empty()).unwrap_or(route);
        let is_app_page = app_outputs.contains(src) || src == "/_not-found";
        if is_static_metadata_file(route) && pr_files.get(route, ".body").is_some() {
            pathnames.push(route.clone());
            continue;
        }
        let meta = if is_app_page { pr_files.meta(route) } else { Value::Object(Map::new()) };
        if src == "/_not-found" && has_static_404 && meta.get("postponed").is_none_or(Value::is_null) {
            continue;
        }
        pathnames.push(route.clone());
        if !is_app_page && has_app {
            pathnames.push(format!("{}.rsc", if route == "/" { "/index" } else { route }));
        }
        if let Some(d) = r.get("dataRoute").and_then(Value::as_str).filter(|d| !d.is_empty()) {
            pathnames.push(d.to_string());
        }
        if is_app_page {
            push_segments(&mut pathnames, route, &meta);
        }
    }
    for (route, r) in &pr_dynamic {
        if is_static_metadata_file(route) {
            continue;
        }
        let src = r.get("fallbackSourceRoute").and_then(Value::as_str).filter(|s| !s.is_empty()).unwrap_or(route);
        let is_app_page = app_outputs.contains(src);
        let not_false = r.get("fallback") != Some(&Value::Bool(false));
        let data_route = r.get("dataRoute").and_then(Value::as_str).filter(|d| !d.is_empty());
        if i18n.is_none() || is_app_page {
            pathnames.push(route.clone());
            if !is_app_page && not_false && has_app {
                pathnames.push(format!("{}.rsc", if src == "/" { "/index" } else { src }));
            }
            if is_app_page {
                push_segments(&mut pathnames, route, &pr_files.meta(route));
            }
            if r.get("renderingMode").and_then(Value::as_str) == Some("PARTIALLY_STATIC") {
                pathnames.push(format!("{route}.rsc"));
            } else if let Some(d) = data_route {
                pathnames.push(d.to_string());
            }
        } else {
            for l in &locales {
                let lp = posix_join(&[&format!("/{l}"), route]);
                if !is_app_page && not_false && has_app {
                    pathnames.push(format!("{lp}.rsc"));
                }
                pathnames.push(lp);
                if data_route.is_some() {
                    pathnames.push(posix_join(&["/_next/data", &build_id, l, &format!("{route}.json")]));
                }
            }
        }
    }
    // Static error documents.
    let has_static_500 = server.join("pages/500.html").is_file()
        || (!default_locale.is_empty() && server.join(format!("pages/{default_locale}/500.html")).is_file());
    for (doc, present) in [("404", has_static_404), ("500", has_static_500)] {
        if !present {
            continue;
        }
        let doc_path = posix_join(&["/", &default_locale, doc]);
        if pr_routes.contains_key(&doc_path) {
            continue;
        }
        let mut candidates = vec![doc_path];
        candidates.extend(locales.iter().filter(|l| **l != default_locale).map(|l| posix_join(&["/", l, doc])));
        for c in candidates {
            if !emitted_static.contains(&c) && server.join(format!("pages{c}.html")).is_file() {
                pathnames.push(c);
            }
        }
    }
    if !base_path.is_empty() {
        for p in pathnames.iter_mut() {
            let prefixed = if p.starts_with('/') { format!("{base_path}{p}") } else { p.clone() };
            let trimmed = prefixed.strip_suffix('/').unwrap_or(&prefixed);
            *p = if trimmed.is_empty() { "/".into() } else { trimmed.to_string() };
        }
    }
    let pathnames: Vec<String> = pathnames.into_iter().collect::<BTreeSet<_>>().into_iter().collect();

    // Dynamic routes.
    let manifest_dynamic: Vec<Value> = routes.get("dynamicRoutes").and_then(Value::as_array).cloned().unwrap_or_default();
    let bypass = vec![RouteHas { kind: "cookie".into(), key: Some(PRERENDER_BYPASS_COOKIE.into()), value: Some(preview_id.clone()) }];
    let (runs, replaced) =
        if collapse { collect_fallback_shell_runs(&manifest_dynamic, &fallback_false) } else { (HashMap::new(), HashSet::new()) };
    let escaped_base =
        if !base_path.is_empty() && base_path != "/" { escape_string_regexp(&posix_join(&["/", &base_path])) } else { String::new() };
    let localize = i18n.is_some();
    let locale_group = if localize { "(?<nextLocale>[^/]{1,})" } else { "" };
    let dest_query = |keys: &[(String, String)]| -> String {
        if keys.is_empty() {
            return String::new();
        }
        format!("?{}", keys.iter().map(|(k, v)| format!("{v}=${k}")).collect::<Vec<_>>().join("&"))
    };
    let route_keys_of = |v: &Value| -> Vec<(String, String)> {
        let mut keys: Vec<(String, String)> = v
            .get("routeKeys")
            .and_then(Value::as_object)
            .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect())
            .unwrap_or_default();
        js_key_order(&mut keys);
        keys
    };
    let insert_suffix = |dest: &str, idx: usize| -> String {
        match dest.find('?') {
            Some(i) => format!("{}${idx}{}", &dest[..i], &dest[i..]),
            None => format!("{dest}${idx}"),
        }
    };
    let replace_first = |s: &str, from: &str, to: &str| -> String {
        match s.find(from) {
            Some(i) => format!("{}{to}{}", &s[..i], &s[i + from.len()..]),
            None => s.to_string(),
        }
    };
    let mut dynamic_routes = Vec::new();
    let mut segment_routes = Vec::new();
    for route in &manifest_dynamic {
        let page = str_field(route, "page");
        if replaced.contains(page) {
            continue;
        }
        let run = runs.get(page);
        let rr = get_named_route_regex(page, false);
        let is_ff = fallback_false(page);
        let page_pattern = match run {
            Some(run) => replace_first(
                &rr.named_regex,
                &format!("^/{}/", escape_string_regexp(&run.prefixes[0])),
                &format!("^/({})/", run.prefixes.iter().map(|p| escape_string_regexp(p)).collect::<Vec<_>>().join("|")),
            ),
            None => rr.named_regex.clone(),
        };
        let page_path = match run {
            Some(run) => posix_join(&["/", if localize { "$2" } else { "$1" }, &run.tail]),
            None => page.to_string(),
        };
        let source_regex = replace_first(&page_pattern, "^", &format!("^{escaped_base}[/]?{locale_group}"));
        let destination =
            posix_join(&["/", &base_path, if localize { "/$nextLocale" } else { "" }, &page_path]) + &dest_query(&route_keys_of(route));
        let suffix_idx = rr.route_keys.len() + usize::from(localize) + usize::from(run.is_some()) + 1;
        let suffixed_has = if is_ff && !page_keys.iter().any(|p| p == page) { Some(bypass.clone()) } else { None };
        let plain_has = if is_ff { Some(bypass.clone()) } else { None };
        let same_has = suffixed_has.is_none() == plain_has.is_none();
        if collapse && has_app && same_has {
            dynamic_routes.push(RouteDef {
                source_regex: replace_first(&source_regex, "(?:/)?$", "(\\.rsc|\\.segments/.+\\.segment\\.rsc|)(?:/)?$"),
                destination: Some(insert_suffix(&destination, suffix_idx)),
                has: plain_has,
                ..Default::default()
            });
        } else {
            if has_app {
                dynamic_routes.push(RouteDef {
                    source_regex: replace_first(&source_regex, "(?:/)?$", "(\\.rsc|\\.segments/.+\\.segment\\.rsc)(?:/)?$"),
                    destination: Some(insert_suffix(&destination, suffix_idx)),
                    has: suffixed_has,
                    ..Default::default()
                });
            }
            dynamic_routes.push(RouteDef {
                source_regex: source_regex.clone(),
                destination: Some(destination),
                has: plain_has,
                ..Default::default()
            });
        }
        if !collapse {
            for seg in route.get("prefetchSegmentDataRoutes").and_then(Value::as_array).into_iter().flatten() {
                segment_routes.push(RouteDef {
                    source_regex: replace_first(str_field(seg, "source"), "^", &format!("^{escaped_base}[/]?")),
                    destination: Some(posix_join(&[
                        "/",
                        &base_path,
                        &(str_field(seg, "destination").to_string() + &dest_query(&route_keys_of(seg))),
                    ])),
                    ..Default::default()
                });
            }
        }
    }

    // `_next/data` routes.
    let needs_mw_resolve = matchers.is_some() && pages_outputs > 0;
    let data_pages: HashSet<String> = data_routes.iter().map(|d| str_field(d, "page").to_string()).collect();
    let mut sorted: Vec<String> = Vec::new();
    if needs_mw_resolve {
        // Set iteration order of the build's staticPages is insertion order; the sort
        // below is total except for equal pages, so the order in is irrelevant.
        let mut s: Vec<String> = static_pages.iter().cloned().collect();
        s.sort();
        sorted.extend(s);
    }
    sorted.extend(data_routes.iter().map(|d| str_field(d, "page").to_string()));
    sorted.sort_by(|a, b| compare_route_segments(a, b));
    let mut data_dynamic = Vec::new();
    let data_prefix = posix_join(&["/", &base_path, "_next/data", &escape_string_regexp(&build_id)]);
    for page in &sorted {
        if !(needs_mw_resolve || is_dynamic_route(page)) {
            continue;
        }
        let rr = get_named_route_regex(&format!("{page}.json"), true);
        let is_data = data_pages.contains(page);
        let mut parts: Vec<String> = vec!["/".into(), base_path.clone()];
        if is_data {
            parts.push("_next/data".into());
            parts.push(build_id.clone());
        }
        if page == "/" {
            parts.push(if localize { "$nextLocale.json".into() } else { "index.json".into() });
        } else {
            parts.push(if localize { "$nextLocale".into() } else { String::new() });
            parts.push(format!("{page}{}{}", if is_data { ".json" } else { "" }, dest_query(&rr.route_keys)));
        }
        let destination = posix_join(&parts.iter().map(String::as_str).collect::<Vec<_>>());
        let source_regex = if localize && page == "/" {
            format!("^{}", posix_join(&["/", &base_path, "_next/data", &escape_string_regexp(&build_id), "(?<nextLocale>[^/]{1,}).json"]))
        } else {
            replace_first(&rr.named_regex, "^", &format!("^{data_prefix}[/]?{locale_group}"))
        };
        data_dynamic.push(RouteDef {
            source_regex,
            destination: Some(destination),
            has: if fallback_false(page) { Some(bypass.clone()) } else { None },
            ..Default::default()
        });
    }

    // routes-manifest lists.
    let list = |v: Option<&Value>| -> Vec<Value> { v.and_then(Value::as_array).cloned().unwrap_or_default() };
    let rewrites = routes.get("rewrites");
    let (before_files, after_files, fallback) = match rewrites {
        Some(Value::Array(a)) => (vec![], a.clone(), vec![]),
        Some(r) => (list(r.get("beforeFiles")), list(r.get("afterFiles")), list(r.get("fallback"))),
        None => (vec![], vec![], vec![]),
    };
    let conv =
        |routes: &[Value], f: fn(&Value) -> Result<RouteDef, String>| -> Result<Vec<RouteDef>, String> { routes.iter().map(f).collect() };
    let mut before_middleware = conv(&list(routes.get("headers")), header_route)?;
    before_middleware.extend(conv(&list(routes.get("redirects")), redirect_route)?);
    let mut on_match = vec![RouteDef {
        source_regex: posix_join(&[
            if base_path.is_empty() { "/" } else { &base_path },
            "_next/static",
            &format!("/(?:[^/]+/pages|pages|chunks|immutable|runtime|css|image|media|{})/.+", escape_string_regexp(&build_id)),
        ]),
        headers: Some({
            let mut m = Map::new();
            m.insert("cache-control".into(), Value::String("public,max-age=31536000,immutable".into()));
            m
        }),
        ..Default::default()
    }];
    on_match.extend(conv(&list(routes.get("onMatchHeaders")), header_route)?);
    let mut all_dynamic = data_dynamic;
    all_dynamic.extend(segment_routes);
    all_dynamic.extend(dynamic_routes);
    Ok(RoutingSpec {
        build_id,
        base_path,
        i18n,
        case_sensitive: false,
        before_middleware,
        middleware_matchers: Some(matchers.clone().unwrap_or_default()),
        before_files: conv(&before_files, rewrite_route)?,
        after_files: conv(&after_files, rewrite_route)?,
        dynamic_routes: all_dynamic,
        on_match,
        fallback: conv(&fallback, rewrite_route)?,
        should_normalize_next_data: needs_mw_resolve,
        pathnames,
        next_start_compat: false,
        trailing_slash: false,
        data_default_locale: false,
        locale_false_unprefixed: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("open-next-manifests-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join(".next/server/app")).unwrap();
        d
    }

    fn write(p: &Path, v: &Value) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, serde_json::to_string(v).unwrap()).unwrap();
    }

    /// A build with one app page `/blog/[slug]` (prerendered `/blog/a`), one
    /// header with an `onMatchHeaders` twin, and Node middleware.
    fn build(dir: &Path, next16: bool) -> RoutingSpec {
        let dist = dir.join(".next");
        std::fs::write(dist.join("BUILD_ID"), "B1\n").unwrap();
        let mut config = json!({ "basePath": "" });
        if next16 {
            config["experimental"] = json!({ "collapseAdapterRoutes": true });
        }
        write(&dist.join("required-server-files.json"), &json!({ "config": config, "appDir": dir }));
        let mut routes = json!({
            "version": 3,
            "basePath": "",
            "headers": [{ "source": "/blog/:slug", "headers": [{ "key": "x-slug", "value": ":slug" }], "regex": "" }],
            "redirects": [{ "source": "/:path+/", "destination": "/:path+", "internal": true, "statusCode": 308, "regex": "" }],
            "rewrites": { "beforeFiles": [], "afterFiles": [{ "source": "/r/:id", "destination": "/blog/:id?x=1" }], "fallback": [] },
            "dynamicRoutes": [{
                "page": "/blog/[slug]",
                "regex": "^/blog/([^/]+?)(?:/)?$",
                "routeKeys": { "nxtPslug": "nxtPslug" },
                "namedRegex": "^/blog/(?<nxtPslug>[^/]+?)(?:/)?$",
                "prefetchSegmentDataRoutes": [{ "source": "^/blog/(?<nxtPslug>[^/]+?)\\.segments/(?<segment>.+)\\.segment\\.rsc$", "destination": "/blog/[slug].segments/$segment.segment.rsc", "routeKeys": { "nxtPslug": "nxtPslug" } }]
            }],
            "dataRoutes": [],
            "rsc": { "prefetchSegmentDirSuffix": ".segments", "prefetchSegmentSuffix": ".segment.rsc" }
        });
        if next16 {
            routes["onMatchHeaders"] = json!([{ "source": "/blog/:slug", "headers": [{ "key": "x-matched", "value": "1" }], "regex": "" }]);
        }
        write(&dist.join("routes-manifest.json"), &routes);
        write(
            &dist.join("prerender-manifest.json"),
            &json!({
                "routes": { "/blog/a": { "srcRoute": "/blog/[slug]", "dataRoute": "/blog/a.rsc" } },
                "dynamicRoutes": { "/blog/[slug]": { "fallback": null, "dataRoute": "/blog/[slug].rsc" } },
                "notFoundRoutes": [],
                "preview": { "previewModeId": "P" }
            }),
        );
        write(&dist.join("server/app-paths-manifest.json"), &json!({ "/blog/[slug]/page": "app/blog/[slug]/page.js" }));
        write(&dist.join("server/pages-manifest.json"), &json!({}));
        write(
            &dist.join("server/functions-config-manifest.json"),
            &json!({ "functions": { "/_middleware": { "runtime": "nodejs", "matchers": [{ "regexp": "^/mw$", "originalSource": "/mw" }] } } }),
        );
        // 15.5 keeps prerender files under server/app, 16.3+ under server/route-cache.
        let meta = json!({ "segmentPaths": ["/_tree"] });
        if next16 {
            write(&dist.join("server/route-cache/APP_PAGE/abc/$/blog/a.meta"), &meta);
        } else {
            write(&dist.join("server/app/blog/a.meta"), &meta);
        }
        std::fs::create_dir_all(dist.join("static/chunks")).unwrap();
        std::fs::write(dist.join("static/chunks/x.js"), "").unwrap();
        spec_from_manifests(&dist).unwrap()
    }

    #[test]
    fn next15_shape_without_on_match_headers_or_collapse() {
        let d = tmp("15");
        let s = build(&d, false);
        // No onMatchHeaders in 15.5's routes-manifest: only the static-asset route.
        assert_eq!(s.on_match.len(), 1);
        assert!(s.on_match[0].source_regex.starts_with("/_next/static/(?:[^/]+/pages|"));
        // No collapseAdapterRoutes: a separate `.rsc` entry, and the manifest's
        // prefetch segment routes listed before the page routes.
        let dests: Vec<&str> = s.dynamic_routes.iter().map(|r| r.destination.as_deref().unwrap()).collect();
        assert_eq!(
            dests,
            [
                "/blog/[slug].segments/$segment.segment.rsc?nxtPslug=$nxtPslug",
                "/blog/[slug]$2?nxtPslug=$nxtPslug",
                "/blog/[slug]?nxtPslug=$nxtPslug"
            ]
        );
        assert_eq!(s.dynamic_routes[1].source_regex, "^[/]?/blog/(?<nxtPslug>[^/]+?)(\\.rsc|\\.segments/.+\\.segment\\.rsc)(?:/)?$");
        // Segment prerenders found through server/app/*.meta.
        assert!(s.pathnames.contains(&"/blog/a.segments/_tree.segment.rsc".to_string()), "{:?}", s.pathnames);
        assert!(s.pathnames.contains(&"/_next/static/chunks/x.js".to_string()));
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn next16_shape_with_on_match_headers_collapse_and_route_cache() {
        let d = tmp("16");
        let s = build(&d, true);
        assert_eq!(s.on_match.len(), 2);
        assert_eq!(s.on_match[1].source_regex, "^\\/blog(?:\\/([^\\/]+?))(?:\\/)?$");
        assert_eq!(s.dynamic_routes.len(), 1, "one collapsed entry serves the page, .rsc and segments");
        assert_eq!(s.dynamic_routes[0].source_regex, "^[/]?/blog/(?<nxtPslug>[^/]+?)(\\.rsc|\\.segments/.+\\.segment\\.rsc|)(?:/)?$");
        assert_eq!(s.dynamic_routes[0].destination.as_deref(), Some("/blog/[slug]$2?nxtPslug=$nxtPslug"));
        assert!(s.pathnames.contains(&"/blog/a.segments/_tree.segment.rsc".to_string()), "{:?}", s.pathnames);
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn node_middleware_matchers_skip_on_demand_revalidation() {
        let d = tmp("mw");
        let s = build(&d, true);
        let m = s.middleware_matchers.unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].source_regex, "^/mw$");
        let missing = m[0].missing.as_ref().unwrap();
        assert_eq!(missing[0].key.as_deref(), Some("x-prerender-revalidate"));
        assert_eq!(missing[0].value.as_deref(), Some("P"));
        // Middleware + no pages-router pages: no `_next/data` normalisation.
        assert!(!s.should_normalize_next_data);
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn routing_utils_conversions_match_next() {
        // Values from the adapter output of the fixture builds.
        let h = header_route(&json!({ "source": "/:path*", "headers": [{ "key": "x-a", "value": "1" }] })).unwrap();
        assert_eq!(h.source_regex, "^(?:\\/((?:[^\\/]+?)(?:\\/(?:[^\\/]+?))*))?(?:\\/)?$");
        let h = header_route(&json!({
            "source": "/:nextInternalLocale(en|fr)/about",
            "has": [{ "type": "cookie", "key": "theme", "value": "(?<theme>dark|light)" }],
            "headers": [{ "key": "x-theme", "value": ":theme" }]
        }))
        .unwrap();
        assert_eq!(h.headers.unwrap()["x-theme"], "$theme");
        let r = redirect_route(&json!({
            "source": "/:nextInternalLocale(en|fr)/with-header",
            "has": [{ "type": "header", "key": "X-Redirect-Me", "value": "(?<who>yes|please)" }],
            "destination": "/:nextInternalLocale/about?who=:who",
            "statusCode": 307
        }))
        .unwrap();
        assert_eq!(r.headers.unwrap()["Location"], "/$1/about?who=$who");
        assert_eq!(r.has.unwrap()[0].key.as_deref(), Some("x-redirect-me"), "header keys are lowercased");
        let r = redirect_route(&json!({ "source": "/fr/go/:path*", "destination": "http://example.fr/docs/:path*", "statusCode": 301 }))
            .unwrap();
        assert_eq!(r.headers.unwrap()["Location"], "http://example.fr/docs/$1");
        assert_eq!(r.status, Some(301));
        let w = rewrite_route(&json!({ "source": "/base/no-base/:p*", "destination": "http://127.0.0.1:9/items/:p*" })).unwrap();
        assert_eq!(w.destination.as_deref(), Some("http://127.0.0.1:9/items/$1"));
        // A destination that uses no param gets them as query (rewrites only).
        let w = rewrite_route(&json!({ "source": "/a/:id", "destination": "/b" })).unwrap();
        assert_eq!(w.destination.as_deref(), Some("/b?id=$1"));
        let w = rewrite_route(&json!({ "source": "/search", "destination": "/api/hello?from=search" })).unwrap();
        assert_eq!(w.destination.as_deref(), Some("/api/hello?from=search"));
        // RegExp#source escapes `/` outside classes.
        let b = redirect_route(&json!({
            "source": "/:file((?!\\.well-known(?:/.*)?)(?:[^/]+/)*[^/\\.]+)",
            "destination": "/:file/",
            "internal": true,
            "statusCode": 308
        }))
        .unwrap();
        assert_eq!(b.source_regex, "^(?:\\/((?!\\.well-known(?:\\/.*)?)(?:[^/]+\\/)*[^/\\.]+))$");
        assert!(source_to_regex("/a/:x(\\d+").is_err());
    }

    #[test]
    fn named_route_regex_matches_the_routes_manifest() {
        for (page, named) in [
            ("/app-catch/[...parts]", "^/app\\-catch/(?<nxtPparts>.+?)(?:/)?$"),
            ("/app-opt/[[...parts]]", "^/app\\-opt(?:/(?<nxtPparts>.+?))?(?:/)?$"),
            ("/posts/[id]", "^/posts/(?<nxtPid>[^/]+?)(?:/)?$"),
            ("/", "^/(?:/)?$"),
        ] {
            assert_eq!(get_named_route_regex(page, false).named_regex, named, "{page}");
        }
        let d = get_named_route_regex("/blog/[slug].json", true);
        assert_eq!(d.named_regex, "^/blog/(?<nxtPslug>[^/]+?)\\.json(?:/)?$");
        assert_eq!(d.route_keys, vec![("nxtPslug".to_string(), "nxtPslug".to_string())]);
    }

    #[test]
    fn pages_are_sorted_as_next_sorts_them() {
        let mut v = vec!["/shop/[[...path]]", "/docs/[...slug]", "/blog/[slug]", "/", "/about", "/blog/hello"];
        v.sort_by(|a, b| compare_route_segments(a, b));
        assert_eq!(v, ["/", "/about", "/blog/hello", "/blog/[slug]", "/docs/[...slug]", "/shop/[[...path]]"]);
    }
}
