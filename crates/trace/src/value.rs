//! The value model of the static evaluator: the subset of JavaScript values
//! @vercel/nft's `static-eval` can produce, with JavaScript's operators on them.

use std::rc::Rc;

/// The wildcard character nft puts where an unknown expression was.
pub(crate) const WILDCARD: char = '\x1a';

/// Marker values nft gives to well-known functions (its `Symbol()`s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sym {
    FsFn,
    FsDirFn,
    Bindings,
    NodeGypBuild,
    BoundRequire,
    CreateRequire,
    ModuleFn,
    NbindInit,
    ExpressSet,
    ExpressEngine,
    SetRootDir,
    PkgInfo,
    PinoTransport,
    FastifyLogger,
}

/// `path` functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PathFn {
    Join,
    Resolve,
    Dirname,
    Basename,
    Extname,
    Relative,
    Normalize,
    IsAbsolute,
    Parse,
    Format,
    ToNamespacedPath,
}

/// Functions the evaluator can call.
#[derive(Clone, Debug)]
pub(crate) enum F {
    /// A `path` function; `trigger` marks the ones nft treats as asset triggers.
    Path {
        f: PathFn,
        trigger: bool,
    },
    ProcessCwd,
    Require,
    RequireResolve,
    OsPlatform,
    OsArch,
    OsType,
    OsEndianness,
    FileUrlToPath,
    PathToFileUrl,
    UrlCtor,
    InteropDefault,
    InteropWildcard,
    ObjectAssign,
    /// `() => value`
    Const(Box<V>),
    /// `'str'.concat`
    StrConcat(Rc<str>),
    Express,
    /// node-pre-gyp's `find`; `trigger` for the `node-pre-gyp` ids nft marks.
    PregypFind {
        trigger: bool,
    },
    /// A function we do not model; calling it gives an unknown value.
    Opaque,
}

impl F {
    pub fn is_trigger(&self) -> bool {
        matches!(self, F::Path { trigger: true, .. } | F::RequireResolve | F::PregypFind { trigger: true })
    }
}

/// An object: ordered properties, nft's `[UNKNOWN]: true` flag, and an
/// optional call behaviour (nft's `[FUNCTION]` key).
#[derive(Clone, Debug, Default)]
pub(crate) struct Obj {
    pub props: Vec<(Rc<str>, V)>,
    pub unknown: bool,
    pub call: Option<F>,
}

impl Obj {
    pub fn get(&self, key: &str) -> Option<&V> {
        self.props.iter().rev().find(|(k, _)| &**k == key).map(|(_, v)| v)
    }
    pub fn set(&mut self, key: &str, v: V) {
        if let Some(slot) = self.props.iter_mut().find(|(k, _)| &**k == key) {
            slot.1 = v;
        } else {
            self.props.push((key.into(), v));
        }
    }
}

/// A JavaScript value as the static evaluator knows it.
#[derive(Clone, Debug)]
pub(crate) enum V {
    Undef,
    Null,
    Bool(bool),
    Num(f64),
    Str(Rc<str>),
    Arr(Rc<Vec<V>>),
    Obj(Rc<Obj>),
    Fn(F),
    Sym(Sym),
    /// A `URL` object (its href).
    Url(Rc<str>),
    /// `globalThis`
    Globals,
    /// nft's `UNKNOWN` marker value.
    Unknown,
    /// Something real we do not model further (a regex, a bigint, ...).
    Opaque,
}

/// A static evaluation result: a value (with the number of wildcards it
/// holds), or one of two values depending on an unknown test.
#[derive(Clone, Debug)]
pub(crate) enum R {
    V { v: V, wc: u32 },
    C { t: V, e: V },
}

impl R {
    pub fn v(v: V) -> R {
        R::V { v, wc: 0 }
    }
}

pub(crate) fn s(x: &str) -> V {
    V::Str(x.into())
}

pub(crate) fn obj(props: Vec<(&str, V)>, unknown: bool) -> V {
    V::Obj(Rc::new(Obj { props: props.into_iter().map(|(k, v)| (k.into(), v)).collect(), unknown, call: None }))
}

/// JavaScript `Number.prototype.toString()`.
pub(crate) fn num_to_string(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    if n == 0.0 {
        return "0".into();
    }
    if n.fract() == 0.0 && n.abs() < 1e21 {
        return format!("{}", n as i128);
    }
    let s = format!("{n}");
    if n.abs() >= 1e21 || n.abs() < 1e-6 {
        // Rust prints these without an exponent; JS uses one
        let e = format!("{n:e}");
        if let Some((m, ex)) = e.split_once('e') {
            let sign = if ex.starts_with('-') { "" } else { "+" };
            return format!("{m}e{sign}{ex}");
        }
    }
    s
}

impl V {
    pub fn truthy(&self) -> bool {
        match self {
            V::Undef | V::Null => false,
            V::Bool(b) => *b,
            V::Num(n) => !(*n == 0.0 || n.is_nan()),
            V::Str(s) => !s.is_empty(),
            _ => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            V::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `typeof v === 'object' && v !== null` (objects, arrays, URLs, ...).
    pub fn is_object(&self) -> bool {
        matches!(self, V::Obj(_) | V::Arr(_) | V::Url(_) | V::Globals | V::Opaque)
    }

    /// JavaScript `String(v)`, when it does not depend on things we do not model.
    pub fn to_js_string(&self) -> Option<String> {
        Some(match self {
            V::Undef => "undefined".into(),
            V::Null => "null".into(),
            V::Bool(b) => b.to_string(),
            V::Num(n) => num_to_string(*n),
            V::Str(s) => s.to_string(),
            V::Url(h) => h.to_string(),
            V::Arr(a) => {
                let mut parts = vec![];
                for x in a.iter() {
                    parts.push(match x {
                        V::Undef | V::Null => String::new(),
                        other => other.to_js_string()?,
                    });
                }
                parts.join(",")
            }
            V::Obj(o) if o.call.is_none() => "[object Object]".into(),
            _ => return None,
        })
    }

    /// JavaScript `Number(v)`.
    pub fn to_num(&self) -> Option<f64> {
        Some(match self {
            V::Undef => f64::NAN,
            V::Null => 0.0,
            V::Bool(b) => *b as u8 as f64,
            V::Num(n) => *n,
            V::Str(s) => {
                let t = s.trim();
                if t.is_empty() {
                    0.0
                } else if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                    i64::from_str_radix(h, 16).map(|x| x as f64).unwrap_or(f64::NAN)
                } else if t == "Infinity" || t == "+Infinity" {
                    f64::INFINITY
                } else if t == "-Infinity" {
                    f64::NEG_INFINITY
                } else {
                    t.parse::<f64>().unwrap_or(f64::NAN)
                }
            }
            V::Arr(_) | V::Obj(_) | V::Url(_) => {
                let s = self.to_js_string()?;
                return V::Str(s.into()).to_num();
            }
            _ => return None,
        })
    }

    fn is_primitive(&self) -> bool {
        matches!(self, V::Undef | V::Null | V::Bool(_) | V::Num(_) | V::Str(_))
    }
}

fn to_int32(n: f64) -> i32 {
    if !n.is_finite() {
        return 0;
    }
    let m = n.trunc().rem_euclid(4294967296.0);
    (m as u64 as u32) as i32
}

/// `a === b`.
pub(crate) fn strict_eq(a: &V, b: &V) -> Option<bool> {
    Some(match (a, b) {
        (V::Undef, V::Undef) | (V::Null, V::Null) => true,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Num(x), V::Num(y)) => x == y,
        (V::Str(x), V::Str(y)) => x == y,
        (V::Sym(x), V::Sym(y)) => x == y,
        (V::Obj(x), V::Obj(y)) => Rc::ptr_eq(x, y),
        (V::Arr(x), V::Arr(y)) => Rc::ptr_eq(x, y),
        (x, y) if x.is_primitive() && y.is_primitive() => false,
        (V::Sym(_), y) | (y, V::Sym(_)) if y.is_primitive() || y.is_object() => false,
        _ => return None,
    })
}

/// `a == b`.
pub(crate) fn loose_eq(a: &V, b: &V) -> Option<bool> {
    Some(match (a, b) {
        (V::Undef | V::Null, V::Undef | V::Null) => true,
        (V::Undef | V::Null, _) | (_, V::Undef | V::Null) => false,
        (x, y) if std::mem::discriminant(x) == std::mem::discriminant(y) => return strict_eq(x, y),
        (x, y) if x.is_primitive() && y.is_primitive() => x.to_num()? == y.to_num()?,
        _ => return None,
    })
}

/// Applies a binary operator with JavaScript semantics.
pub(crate) fn binop(op: &str, a: &V, b: &V) -> Option<V> {
    Some(match op {
        "==" => V::Bool(loose_eq(a, b)?),
        "===" => V::Bool(strict_eq(a, b)?),
        "!=" => V::Bool(!loose_eq(a, b)?),
        "!==" => V::Bool(!strict_eq(a, b)?),
        "+" => {
            if matches!(a, V::Str(_)) || matches!(b, V::Str(_)) || !a.is_primitive() || !b.is_primitive() {
                let l = a.to_js_string()?;
                let r = b.to_js_string()?;
                V::Str(format!("{l}{r}").into())
            } else {
                V::Num(a.to_num()? + b.to_num()?)
            }
        }
        "-" => V::Num(a.to_num()? - b.to_num()?),
        "*" => V::Num(a.to_num()? * b.to_num()?),
        "/" => V::Num(a.to_num()? / b.to_num()?),
        "%" => V::Num(a.to_num()? % b.to_num()?),
        "<" | "<=" | ">" | ">=" => {
            let r = if let (V::Str(x), V::Str(y)) = (a, b) {
                let o = x.encode_utf16().cmp(y.encode_utf16());
                match op {
                    "<" => o.is_lt(),
                    "<=" => o.is_le(),
                    ">" => o.is_gt(),
                    _ => o.is_ge(),
                }
            } else {
                let (x, y) = (a.to_num()?, b.to_num()?);
                match op {
                    "<" => x < y,
                    "<=" => x <= y,
                    ">" => x > y,
                    _ => x >= y,
                }
            };
            V::Bool(r)
        }
        "|" => V::Num((to_int32(a.to_num()?) | to_int32(b.to_num()?)) as f64),
        "&" => V::Num((to_int32(a.to_num()?) & to_int32(b.to_num()?)) as f64),
        "^" => V::Num((to_int32(a.to_num()?) ^ to_int32(b.to_num()?)) as f64),
        "&&" => {
            if a.truthy() {
                b.clone()
            } else {
                a.clone()
            }
        }
        "||" => {
            if a.truthy() {
                a.clone()
            } else {
                b.clone()
            }
        }
        _ => return None,
    })
}

/// Counts wildcard characters in a string.
pub(crate) fn count_wildcards(s: &str) -> u32 {
    s.chars().filter(|c| *c == WILDCARD).count() as u32
}

// ---- file: URLs ---------------------------------------------------------

fn pct_encode_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        let c = b as char;
        if !(0x20..0x7f).contains(&b) || matches!(c, ' ' | '"' | '#' | '<' | '>' | '?' | '`' | '{' | '}') {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(c);
        }
    }
    out
}

fn pct_decode(p: &str) -> String {
    let b = p.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(x) = u8::from_str_radix(&p[i + 1..i + 3], 16) {
                out.push(x);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Removes `.` and `..` segments from a URL path (WHATWG URL path parsing).
fn url_normalize_path(path: &str) -> String {
    let mut out: Vec<&str> = vec![];
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    let n = segs.len();
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == n;
        let lower = seg.to_ascii_lowercase();
        if *seg == ".." || lower == "%2e%2e" || lower == ".%2e" || lower == "%2e." {
            out.pop();
            if last {
                out.push("");
            }
        } else if *seg == "." || lower == "%2e" {
            if last {
                out.push("");
            }
        } else {
            out.push(seg);
        }
    }
    format!("/{}", out.join("/"))
}

fn has_scheme(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphabetic() {
        return None;
    }
    for (i, c) in b.iter().enumerate() {
        if *c == b':' {
            return Some(i);
        }
        if !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')) {
            return None;
        }
    }
    None
}

/// `new URL(input, base)` → href; `None` when it would throw.
pub(crate) fn url_parse(input: &str, base: Option<&str>) -> Option<String> {
    let input = input.trim_matches(|c: char| c <= ' ');
    let input: String = input.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    if let Some(i) = has_scheme(&input) {
        let scheme = input[..i].to_ascii_lowercase();
        let rest = &input[i + 1..];
        if scheme == "file" {
            let rest = rest.replace('\\', "/");
            let (body, suffix) = split_suffix(&rest);
            let path = if let Some(r) = body.strip_prefix("//") {
                let (host, path) = match r.find('/') {
                    Some(j) => (&r[..j], &r[j..]),
                    None => (r, "/"),
                };
                if !host.is_empty() && host != "localhost" {
                    return Some(format!("file://{host}{}{suffix}", url_normalize_path(&pct_encode_path(path))));
                }
                path.to_string()
            } else if body.starts_with('/') {
                body.to_string()
            } else if let Some(b) = base.filter(|b| b.starts_with("file:")) {
                // scheme-relative to a file: base
                let bp = file_url_path(b)?;
                let dir = &bp[..bp.rfind('/').map_or(0, |x| x + 1)];
                format!("{dir}{body}")
            } else {
                format!("/{body}")
            };
            return Some(format!("file://{}{suffix}", url_normalize_path(&pct_encode_path(&path))));
        }
        return Some(format!("{scheme}:{rest}"));
    }
    let base = base?;
    if !base.starts_with("file:") {
        // resolving against non-file bases is not needed for tracing
        has_scheme(base)?;
        return Some(format!("{base}#{input}"));
    }
    let bp = file_url_path(base)?;
    let (body, suffix) = split_suffix(&input);
    let body = body.replace('\\', "/");
    let path = if body.is_empty() {
        bp.clone()
    } else if let Some(r) = body.strip_prefix("//") {
        return url_parse(&format!("file://{r}{suffix}"), None);
    } else if body.starts_with('/') {
        body
    } else {
        let dir = &bp[..bp.rfind('/').map_or(0, |x| x + 1)];
        format!("{dir}{body}")
    };
    Some(format!("file://{}{suffix}", url_normalize_path(&pct_encode_path(&path))))
}

fn split_suffix(s: &str) -> (&str, &str) {
    match s.find(['?', '#']) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

/// The (still percent-encoded) path of a `file:` href.
fn file_url_path(href: &str) -> Option<String> {
    let rest = href.strip_prefix("file://")?;
    let (body, _) = split_suffix(rest);
    let j = body.find('/')?;
    if j != 0 && &body[..j] != "localhost" {
        return None;
    }
    Some(body[j..].to_string())
}

/// `url.fileURLToPath(href)`; `None` when it would throw.
pub(crate) fn file_url_to_path(href: &str) -> Option<String> {
    let p = file_url_path(href)?;
    if p.to_ascii_lowercase().contains("%2f") {
        return None;
    }
    Some(pct_decode(&p))
}

/// `url.pathToFileURL(path).href` for an absolute path.
pub(crate) fn path_to_file_url(path: &str) -> String {
    let mut enc = String::new();
    for c in path.chars() {
        match c {
            '%' => enc.push_str("%25"),
            '\\' => enc.push_str("%5C"),
            '\n' => enc.push_str("%0A"),
            '\r' => enc.push_str("%0D"),
            '\t' => enc.push_str("%09"),
            '#' => enc.push_str("%23"),
            '?' => enc.push_str("%3F"),
            c => enc.push(c),
        }
    }
    let trailing = path.ends_with('/') && enc.len() > 1;
    let mut out = format!("file://{}", url_normalize_path(&pct_encode_path(&enc)));
    if trailing && !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The `protocol` of an href.
pub(crate) fn url_protocol(href: &str) -> &str {
    match href.find(':') {
        Some(i) => &href[..=i],
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(path_to_file_url("/a b/c#d.js"), "file:///a%20b/c%23d.js");
        assert_eq!(url_parse("./x.wasm", Some("file:///a/b/c.js")).unwrap(), "file:///a/b/x.wasm");
        assert_eq!(url_parse("../x", Some("file:///a/b/c.js")).unwrap(), "file:///a/x");
        assert_eq!(file_url_to_path("file:///a%20b/x").unwrap(), "/a b/x");
        assert_eq!(url_parse("node:fs", None).unwrap(), "node:fs");
        assert!(url_parse("./x", None).is_none());
    }

    #[test]
    fn js_ops() {
        assert_eq!(num_to_string(1.0), "1");
        assert_eq!(num_to_string(0.5), "0.5");
        assert_eq!(binop("+", &s("a"), &V::Num(1.0)).unwrap().as_str(), Some("a1"));
        assert!(matches!(binop("==", &V::Num(1.0), &s("1")), Some(V::Bool(true))));
        assert!(matches!(binop("===", &V::Num(1.0), &s("1")), Some(V::Bool(false))));
    }
}
