//! The static evaluator (a port of @vercel/nft's `static-eval`), evaluating
//! swc expressions to [`R`] values with the analyzer's known bindings, and the
//! static modules nft knows (`fs`, `path`, `os`, `url`, `process`, ...).

use std::rc::Rc;

use swc_core::ecma::ast::*;

use crate::analyze::{Analyzer, P};
use crate::path as p;
use crate::resolve::{self, Resolved};
use crate::value::*;

fn lit_str(s: &Str) -> String {
    s.value.to_string_lossy().into_owned()
}

pub(crate) fn unparen(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unparen(&p.expr),
        other => other,
    }
}

fn fns<'n>(names: &[&'n str], f: impl Fn(&str) -> V) -> Vec<(&'n str, V)> {
    names.iter().map(|n| (*n, f(n))).collect()
}

fn path_fn(name: &str, trigger: bool) -> Option<V> {
    let f = match name {
        "join" => PathFn::Join,
        "resolve" => PathFn::Resolve,
        "dirname" => PathFn::Dirname,
        "basename" => PathFn::Basename,
        "extname" => PathFn::Extname,
        "relative" => PathFn::Relative,
        "normalize" => PathFn::Normalize,
        "isAbsolute" => PathFn::IsAbsolute,
        "parse" => PathFn::Parse,
        "format" => PathFn::Format,
        "toNamespacedPath" | "_makeLong" => PathFn::ToNamespacedPath,
        _ => return None,
    };
    Some(V::Fn(F::Path { f, trigger }))
}

const PATH_FNS: &[&str] = &[
    "resolve",
    "normalize",
    "isAbsolute",
    "join",
    "relative",
    "toNamespacedPath",
    "dirname",
    "basename",
    "extname",
    "format",
    "parse",
    "_makeLong",
];

fn path_object(trigger: bool) -> V {
    let mut props: Vec<(&str, V)> = vec![];
    for n in PATH_FNS {
        props.push((n, path_fn(n, trigger).unwrap_or(V::Fn(F::Opaque))));
    }
    props.push(("matchesGlob", V::Fn(F::Opaque)));
    props.push(("sep", s("/")));
    props.push(("delimiter", s(":")));
    if trigger {
        props.push(("posix", path_object(false)));
        props.push(("win32", V::Opaque));
    }
    obj(props, false)
}

fn fs_object(extra: bool) -> V {
    let mut props: Vec<(&str, V)> = vec![];
    for n in [
        "access",
        "accessSync",
        "createReadStream",
        "exists",
        "existsSync",
        "fstat",
        "fstatSync",
        "lstat",
        "lstatSync",
        "open",
        "readFile",
        "readFileSync",
        "stat",
        "statSync",
    ] {
        props.push((n, V::Sym(Sym::FsFn)));
    }
    props.push(("readdir", V::Sym(Sym::FsDirFn)));
    props.push(("readdirSync", V::Sym(Sym::FsDirFn)));
    if extra {
        for n in ["pathExists", "pathExistsSync", "readJson", "readJSON", "readJsonSync", "readJSONSync"] {
            props.push((n, V::Sym(Sym::FsFn)));
        }
    }
    obj(props, false)
}

fn os_object() -> V {
    let mut props = vec![
        ("platform", V::Fn(F::OsPlatform)),
        ("arch", V::Fn(F::OsArch)),
        ("type", V::Fn(F::OsType)),
        ("endianness", V::Fn(F::OsEndianness)),
        ("EOL", s("\n")),
        ("devNull", s("/dev/null")),
        ("constants", V::Opaque),
    ];
    props.extend(fns(
        &[
            "homedir",
            "tmpdir",
            "hostname",
            "release",
            "cpus",
            "totalmem",
            "freemem",
            "networkInterfaces",
            "userInfo",
            "loadavg",
            "uptime",
            "version",
            "machine",
            "availableParallelism",
            "getPriority",
            "setPriority",
        ],
        |_| V::Fn(F::Opaque),
    ));
    obj(props, false)
}

fn url_object() -> V {
    let mut props = vec![
        ("fileURLToPath", V::Fn(F::FileUrlToPath)),
        ("pathToFileURL", V::Fn(F::PathToFileUrl)),
        ("URL", V::Fn(F::UrlCtor)),
        ("URLSearchParams", V::Fn(F::Opaque)),
    ];
    props.extend(fns(
        &["format", "parse", "resolve", "resolveObject", "domainToASCII", "domainToUnicode", "urlToHttpOptions", "Url"],
        |_| V::Fn(F::Opaque),
    ));
    obj(props, false)
}

pub(crate) fn process_object() -> V {
    let env = obj(vec![("NODE_ENV", V::Unknown)], true);
    obj(vec![("cwd", V::Fn(F::ProcessCwd)), ("env", env)], true)
}

fn with_default(default: V) -> V {
    // { default: x, ...x } (spread copies nft's [UNKNOWN] symbol key too)
    let mut props = vec![("default".into(), default.clone())];
    let mut unknown = false;
    if let V::Obj(o) = &default {
        props.extend(o.props.iter().cloned());
        unknown = o.unknown;
    }
    V::Obj(Rc::new(Obj { props, unknown, call: None }))
}

/// nft's `staticModules[name]` (the module namespace), for names without `node:`.
pub(crate) fn static_module(name: &str) -> Option<V> {
    Some(match name {
        "bindings" => obj(vec![("default", V::Sym(Sym::Bindings))], false),
        "express" => obj(vec![("default", V::Fn(F::Express))], false),
        "fs" | "graceful-fs" => with_default(fs_object(false)),
        "fs-extra" => with_default(fs_object(true)),
        "module" => with_default(obj(vec![("register", V::Sym(Sym::ModuleFn)), ("createRequire", V::Sym(Sym::CreateRequire))], false)),
        "process" => with_default(process_object()),
        "path" => with_default(path_object(true)),
        "os" => with_default(os_object()),
        "url" => with_default(url_object()),
        "@mapbox/node-pre-gyp" => with_default(obj(vec![("find", V::Fn(F::PregypFind { trigger: false }))], false)),
        "node-pre-gyp" | "node-pre-gyp/lib/pre-binding" | "node-pre-gyp/lib/pre-binding.js" => {
            let find = V::Fn(F::PregypFind { trigger: true });
            obj(vec![("default", obj(vec![("find", find.clone())], false)), ("find", find)], false)
        }
        "node-gyp-build" | "@aminya/node-gyp-build" => obj(vec![("default", V::Sym(Sym::NodeGypBuild))], false),
        "nbind" => obj(vec![("init", V::Sym(Sym::NbindInit)), ("default", obj(vec![("init", V::Sym(Sym::NbindInit))], false))], false),
        "resolve-from" => obj(vec![("default", V::Fn(F::Opaque))], false),
        "strong-globalize" => obj(
            vec![("default", obj(vec![("SetRootDir", V::Sym(Sym::SetRootDir))], false)), ("SetRootDir", V::Sym(Sym::SetRootDir))],
            false,
        ),
        "pkginfo" => obj(vec![("default", V::Sym(Sym::PkgInfo))], false),
        "pino" => obj(
            vec![("default", obj(vec![("transport", V::Sym(Sym::PinoTransport))], true)), ("transport", V::Sym(Sym::PinoTransport))],
            false,
        ),
        "fastify" => obj(vec![("default", V::Sym(Sym::FastifyLogger))], false),
        _ => return None,
    })
}

/// nft's `globalBindings`.
fn global(name: &str) -> Option<V> {
    Some(match name {
        "_interopRequireDefault" | "__importDefault" => V::Fn(F::InteropDefault),
        "_interopRequireWildcard" | "__importStar" => V::Fn(F::InteropWildcard),
        "MONGOOSE_DRIVER_PATH" => V::Undef,
        "URL" => V::Fn(F::UrlCtor),
        "Object" => obj(vec![("assign", V::Fn(F::ObjectAssign))], false),
        "global" | "GLOBAL" | "globalThis" => V::Globals,
        _ => return None,
    })
}

const OBJECT_PROTO: &[&str] = &[
    "constructor",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toString",
    "valueOf",
    "toLocaleString",
    "__proto__",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
];

/// `key in v ? v[key] : <absent>` for object-like values.
pub(crate) fn get_prop(v: &V, key: &str) -> Option<V> {
    match v {
        V::Obj(o) => o.get(key).cloned().or_else(|| OBJECT_PROTO.contains(&key).then_some(V::Fn(F::Opaque))),
        V::Arr(a) => {
            if key == "length" {
                Some(V::Num(a.len() as f64))
            } else if let Ok(i) = key.parse::<usize>() {
                a.get(i).cloned()
            } else if OBJECT_PROTO.contains(&key)
                || [
                    "join", "map", "filter", "concat", "slice", "indexOf", "includes", "forEach", "reduce", "find", "some", "every",
                    "push", "pop",
                ]
                .contains(&key)
            {
                Some(V::Fn(F::Opaque))
            } else {
                None
            }
        }
        V::Url(h) => Some(match key {
            "href" => V::Str(h.clone()),
            "protocol" => s(url_protocol(h)),
            "pathname" => {
                let rest = h.split_once("://").map_or(&h[..], |x| x.1);
                let path = rest.find('/').map_or("", |i| &rest[i..]);
                s(path.split(['?', '#']).next().unwrap_or(""))
            }
            "search" | "hash" | "host" | "hostname" | "port" | "username" | "password" => s(""),
            "origin" => s("null"),
            "toString" | "toJSON" => V::Fn(F::Opaque),
            _ => return OBJECT_PROTO.contains(&key).then_some(V::Fn(F::Opaque)),
        }),
        V::Globals => global(key),
        _ => None,
    }
}

fn has_unknown(v: &V) -> bool {
    matches!(v, V::Obj(o) if o.unknown)
}

fn prop_key(name: &PropName) -> Option<String> {
    Some(match name {
        PropName::Ident(i) => i.sym.to_string(),
        PropName::Str(s) => lit_str(s),
        PropName::Num(n) => num_to_string(n.value),
        PropName::BigInt(b) => b.value.to_string(),
        // nft forgets to await the computed key: it becomes "undefined"
        PropName::Computed(_) => "undefined".into(),
    })
}

fn is_sym(v: &V) -> bool {
    matches!(v, V::Sym(_) | V::Unknown)
}

impl<'a, 'j> Analyzer<'a, 'j> {
    /// Evaluates the ESTree parent of a node (only expressions and expression
    /// statements evaluate).
    pub(crate) fn eval_parent(&mut self, parent: P<'a>) -> Option<R> {
        match parent {
            P::Expr(e) | P::ExprStmt(e) => self.eval(e, true),
            _ => None,
        }
    }

    /// Whether a backtracked value may continue upward (not a symbol).
    pub(crate) fn continues(r: &R) -> bool {
        match r {
            R::V { v, .. } => !is_sym(v),
            R::C { t, e } => !is_sym(t) && !is_sym(e),
        }
    }

    fn lookup(&self, name: &swc_core::atoms::Atom) -> Option<R> {
        if let Some(b) = self.bindings.get(name) {
            return if b.shadow == 0 { Some(b.value.clone()) } else { None };
        }
        global(name).map(R::v)
    }

    /// nft's `evaluate(expr, vars, computeBranches)`.
    pub(crate) fn eval(&mut self, e: &Expr, cb: bool) -> Option<R> {
        match e {
            Expr::Paren(p) => self.eval(&p.expr, cb),
            Expr::Array(a) => {
                let mut out = vec![];
                for el in &a.elems {
                    match el {
                        None => out.push(V::Null),
                        Some(ExprOrSpread { spread: Some(_), .. }) => return None,
                        Some(x) => match self.eval(&x.expr, cb)? {
                            R::V { v, .. } => out.push(v),
                            R::C { .. } => return None,
                        },
                    }
                }
                Some(R::v(V::Arr(Rc::new(out))))
            }
            Expr::Arrow(a) => {
                if !a.params.is_empty() || a.is_async || a.is_generator {
                    return None;
                }
                let ArrowFunctionBody::Expr(body) = &*a.body else { return None };
                match self.eval(body, cb)? {
                    R::V { v, .. } => Some(R::v(V::Obj(Rc::new(Obj { props: vec![], unknown: false, call: Some(F::Const(Box::new(v))) })))),
                    R::C { .. } => None,
                }
            }
            Expr::Bin(b) => self.eval_bin(b, cb),
            Expr::Call(c) => {
                let Callee::Expr(callee) = &c.callee else { return None };
                self.eval_call(callee, &c.args, cb)
            }
            Expr::Cond(c) => {
                let test = self.eval(&c.test, cb);
                if let Some(R::V { v, .. }) = &test {
                    return if v.truthy() { self.eval(&c.cons, cb) } else { self.eval(&c.alt, cb) };
                }
                if !cb {
                    return None;
                }
                let t = match self.eval(&c.cons, cb)? {
                    R::V { v, wc: 0 } => v,
                    _ => return None,
                };
                let e = match self.eval(&c.alt, cb)? {
                    R::V { v, wc: 0 } => v,
                    _ => return None,
                };
                Some(R::C { t, e })
            }
            Expr::Ident(i) => self.lookup(&i.sym),
            Expr::Lit(l) => Some(R::v(match l {
                Lit::Str(x) => V::Str(lit_str(x).into()),
                Lit::Num(n) => V::Num(n.value),
                Lit::Bool(b) => V::Bool(b.value),
                Lit::Null(_) => V::Null,
                _ => V::Opaque,
            })),
            Expr::Member(m) => self.eval_member(&m.obj, &m.prop, cb),
            Expr::MetaProp(m) if m.kind == MetaPropKind::ImportMeta => Some(R::v(self.import_meta.clone())),
            Expr::New(n) => {
                let cls = self.eval(&n.callee, cb)?;
                let args = n.args.as_deref().unwrap_or(&[]);
                if !matches!(cls, R::V { v: V::Fn(F::UrlCtor), .. }) || args.is_empty() {
                    return None;
                }
                let arg = self.eval(&args[0].expr, cb)?;
                let base = match args.get(1) {
                    Some(b) => match self.eval(&b.expr, cb)? {
                        R::V { v, .. } => Some(v.to_js_string()?),
                        R::C { .. } => return None,
                    },
                    None => None,
                };
                let mk = |v: &V| -> Option<V> {
                    let input = v.to_js_string()?;
                    url_parse(&input, base.as_deref()).map(|h| V::Url(h.into()))
                };
                match arg {
                    R::V { v, .. } => Some(R::v(mk(&v)?)),
                    R::C { t, e } => Some(R::C { t: mk(&t)?, e: mk(&e)? }),
                }
            }
            Expr::Object(o) => {
                let mut out = Obj::default();
                for prop in &o.props {
                    let PropOrSpread::Prop(prop) = prop else { return None };
                    let (key, value) = match &**prop {
                        Prop::KeyValue(kv) => (prop_key(&kv.key)?, self.eval(&kv.value, cb)?),
                        Prop::Shorthand(i) => (i.sym.to_string(), self.lookup(&i.sym)?),
                        _ => return None,
                    };
                    match value {
                        R::V { v: V::Unknown, .. } | R::C { .. } => return None,
                        R::V { v, .. } => out.set(&key, v),
                    }
                }
                Some(R::v(V::Obj(Rc::new(out))))
            }
            Expr::Seq(sq) => {
                if sq.exprs.len() == 2
                    && matches!(&*sq.exprs[0], Expr::Lit(Lit::Num(n)) if n.value == 0.0)
                    && matches!(&*sq.exprs[1], Expr::Member(_))
                {
                    return self.eval(&sq.exprs[1], cb);
                }
                None
            }
            Expr::Tpl(t) => self.eval_tpl(t, cb),
            Expr::Unary(u) => {
                let val = self.eval(&u.arg, cb)?;
                let f = |v: &V| -> Option<V> {
                    Some(match u.op {
                        UnaryOp::Plus => V::Num(v.to_num()?),
                        UnaryOp::Minus => V::Num(-v.to_num()?),
                        UnaryOp::Tilde => {
                            let n = v.to_num()?;
                            let i = if n.is_finite() { (n.trunc().rem_euclid(4294967296.0) as u64 as u32) as i32 } else { 0 };
                            V::Num(!i as f64)
                        }
                        UnaryOp::Bang => V::Bool(!v.truthy()),
                        _ => return None,
                    })
                };
                match val {
                    R::V { v, wc: 0 } => Some(R::v(f(&v)?)),
                    R::C { t, e } => Some(R::C { t: f(&t)?, e: f(&e)? }),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn eval_tpl(&mut self, t: &Tpl, cb: bool) -> Option<R> {
        enum Acc {
            V(String, u32),
            C(String, String),
        }
        let cooked = |q: &TplElement| -> String { q.cooked.as_ref().map(|c| c.to_string_lossy().into_owned()).unwrap_or_default() };
        let mut acc = Acc::V(String::new(), 0);
        for (i, expr) in t.exprs.iter().enumerate() {
            let q = cooked(&t.quasis[i]);
            match &mut acc {
                Acc::V(s, _) => s.push_str(&q),
                Acc::C(a, b) => {
                    a.push_str(&q);
                    b.push_str(&q);
                }
            }
            let ev = match self.eval(expr, cb) {
                Some(r) => r,
                None => {
                    if !cb {
                        return None;
                    }
                    R::V { v: V::Str(WILDCARD.to_string().into()), wc: 1 }
                }
            };
            match ev {
                R::V { v, wc } => {
                    let sv = v.to_js_string()?;
                    match &mut acc {
                        Acc::V(s, w) => {
                            s.push_str(&sv);
                            *w += wc;
                        }
                        Acc::C(a, b) => {
                            if wc > 0 {
                                return None;
                            }
                            a.push_str(&sv);
                            b.push_str(&sv);
                        }
                    }
                }
                R::C { t: tv, e: ev } => match &acc {
                    Acc::V(s, w) => {
                        if *w > 0 {
                            return None;
                        }
                        acc = Acc::C(format!("{s}{}", tv.to_js_string()?), format!("{s}{}", ev.to_js_string()?));
                    }
                    Acc::C(..) => return None,
                },
            }
        }
        let last = t.quasis.get(t.exprs.len()).map(cooked).unwrap_or_default();
        Some(match acc {
            Acc::V(mut s, w) => {
                s.push_str(&last);
                R::V { v: V::Str(s.into()), wc: w }
            }
            Acc::C(mut a, mut b) => {
                a.push_str(&last);
                b.push_str(&last);
                R::C { t: V::Str(a.into()), e: V::Str(b.into()) }
            }
        })
    }

    fn eval_bin(&mut self, b: &BinExpr, cb: bool) -> Option<R> {
        let op = b.op.as_str();
        let l = self.eval(&b.left, cb);
        if l.is_none() && op != "+" {
            return None;
        }
        let r = self.eval(&b.right, cb);
        let (l, r) = match (l, r) {
            (None, None) => return None,
            (None, Some(r)) => {
                if cb {
                    if let R::V { v: V::Str(sv), wc } = r {
                        return Some(R::V { v: V::Str(format!("{WILDCARD}{sv}").into()), wc: wc + 1 });
                    }
                }
                return None;
            }
            (Some(l), None) => {
                if cb && op == "+" {
                    if let R::V { v: V::Str(sv), wc } = &l {
                        return Some(R::V { v: V::Str(format!("{sv}{WILDCARD}").into()), wc: wc + 1 });
                    }
                }
                if let R::V { v, .. } = &l {
                    if op == "||" && v.truthy() {
                        return Some(l);
                    }
                }
                return None;
            }
            (Some(l), Some(r)) => (l, r),
        };
        match (l, r) {
            (R::C { t, e }, R::V { v, .. }) => Some(R::C { t: binop(op, &t, &v)?, e: binop(op, &e, &v)? }),
            (R::V { v, .. }, R::C { t, e }) => {
                let t2 = binop(op, &v, &t)?;
                // nft combines the wrapper object here, not the value
                let e2 = match op {
                    "&&" => e,
                    "||" => V::Opaque,
                    _ => binop(op, &v, &e)?,
                };
                Some(R::C { t: t2, e: e2 })
            }
            (R::V { v: lv, wc: lw }, R::V { v: rv, wc: rw }) => {
                let v = binop(op, &lv, &rv)?;
                let wc = if op == "+" { lw + rw } else { 0 };
                Some(R::V { v, wc })
            }
            (R::C { .. }, R::C { .. }) => None,
        }
    }

    pub(crate) fn eval_member(&mut self, object: &Expr, prop: &MemberProp, cb: bool) -> Option<R> {
        let ov = match self.eval(object, cb)? {
            R::V { v, .. } => v,
            R::C { .. } => return None,
        };
        if matches!(ov, V::Fn(_)) {
            return None;
        }
        let ident = match prop {
            MemberProp::Ident(i) => Some(i.sym.as_str()),
            MemberProp::Computed(c) => match unparen(&c.expr) {
                Expr::Ident(i) => Some(i.sym.as_str()),
                _ => None,
            },
            MemberProp::PrivateName(_) => None,
        };
        let computed = matches!(prop, MemberProp::Computed(_));
        if let Some(name) = ident {
            if let V::Str(sv) = &ov {
                if name == "concat" {
                    return Some(R::v(V::Fn(F::StrConcat(sv.clone()))));
                }
            }
            if ov.is_object() {
                if computed {
                    let MemberProp::Computed(c) = prop else { unreachable!() };
                    if let Some(R::V { v: k, .. }) = self.eval(&c.expr, cb) {
                        if k.truthy() {
                            let key = k.to_js_string()?;
                            return match get_prop(&ov, &key) {
                                Some(V::Unknown) => None,
                                Some(v) => Some(R::v(v)),
                                None => Some(R::v(V::Undef)),
                            };
                        }
                    }
                } else if let Some(v) = get_prop(&ov, name) {
                    return match v {
                        V::Unknown => None,
                        v => Some(R::v(v)),
                    };
                } else if has_unknown(&ov) {
                    return None;
                }
            } else {
                return Some(R::v(V::Undef));
            }
        }
        let pv = match prop {
            MemberProp::Ident(i) => self.lookup(&i.sym)?,
            MemberProp::Computed(c) => self.eval(&c.expr, cb)?,
            MemberProp::PrivateName(_) => return None,
        };
        let R::V { v: pv, .. } = pv else { return None };
        if ov.is_object() {
            let key = pv.to_js_string()?;
            if let Some(v) = get_prop(&ov, &key) {
                return match v {
                    V::Unknown => None,
                    v => Some(R::v(v)),
                };
            }
            None
        } else {
            Some(R::v(V::Undef))
        }
    }

    fn eval_call(&mut self, callee: &Expr, args: &[ExprOrSpread], cb: bool) -> Option<R> {
        let f = match self.eval(callee, cb)? {
            R::V { v: V::Fn(f), .. } => f,
            R::V { v: V::Obj(o), .. } => o.call.clone()?,
            _ => return None,
        };
        let is_concat = matches!(unparen(callee), Expr::Member(m) if matches!(&m.prop, MemberProp::Ident(i) if i.sym == "concat"));
        let mut all_wildcards = !args.is_empty() && !is_concat;
        let mut wildcards = 0u32;
        let mut predicate = false;
        let mut vals: Vec<V> = vec![];
        let mut vals_else: Option<Vec<V>> = None;
        for arg in args {
            let x = if arg.spread.is_some() { None } else { self.eval(&arg.expr, cb) };
            let x = match x {
                Some(x) => {
                    all_wildcards = false;
                    if let R::V { v: V::Str(_), wc } = &x {
                        wildcards += wc;
                    }
                    x
                }
                None => {
                    if !cb {
                        return None;
                    }
                    wildcards += 1;
                    R::V { v: V::Str(WILDCARD.to_string().into()), wc: 0 }
                }
            };
            match x {
                R::C { t, e } => {
                    if wildcards > 0 || predicate {
                        return None;
                    }
                    predicate = true;
                    let mut el = vals.clone();
                    vals.push(t);
                    el.push(e);
                    vals_else = Some(el);
                }
                R::V { v, .. } => {
                    if let Some(el) = &mut vals_else {
                        el.push(v.clone());
                    }
                    vals.push(v);
                }
            }
        }
        if all_wildcards {
            return None;
        }
        let result = self.call_fn(&f, &vals)?;
        if !predicate {
            if wildcards > 0 {
                let V::Str(sv) = &result else { return None };
                if count_wildcards(sv) != wildcards {
                    return None;
                }
                return Some(R::V { v: result, wc: wildcards });
            }
            return Some(R::v(result));
        }
        let result_else = self.call_fn(&f, vals_else.as_deref().unwrap_or(&[]))?;
        Some(R::C { t: result, e: result_else })
    }

    fn all_strs(args: &[V]) -> Option<Vec<&str>> {
        args.iter().map(|a| a.as_str()).collect()
    }

    /// Calls a known function; `None` when it would throw or return UNKNOWN.
    pub(crate) fn call_fn(&mut self, f: &F, args: &[V]) -> Option<V> {
        match f {
            F::Path { f, .. } => self.call_path(*f, args),
            F::ProcessCwd => Some(V::Str(self.job.cwd.as_str().into())),
            F::Require => {
                let spec = args.first()?.as_str()?.to_string();
                self.deps.insert(spec.clone());
                let name = spec.strip_prefix("node:").unwrap_or(&spec);
                let m = static_module(name)?;
                get_prop(&m, "default")
            }
            F::RequireResolve => {
                let spec = args.first()?.as_str()?.to_string();
                match resolve::resolve_dependency(self.job, &spec, self.id, true).ok()? {
                    Resolved::Builtin => Some(V::Str(format!("node:{spec}").into())),
                    Resolved::Paths(mut v) => {
                        if v.len() == 1 {
                            Some(V::Str(v.pop()?.into()))
                        } else {
                            Some(V::Arr(Rc::new(v.into_iter().map(|x| V::Str(x.into())).collect())))
                        }
                    }
                }
            }
            F::OsPlatform => Some(V::Str(self.job.platform.as_str().into())),
            F::OsArch => Some(V::Str(self.job.arch.as_str().into())),
            F::OsType => Some(s(match self.job.platform.as_str() {
                "linux" => "Linux",
                "darwin" => "Darwin",
                "win32" => "Windows_NT",
                _ => return None,
            })),
            F::OsEndianness => Some(s("LE")),
            F::FileUrlToPath => {
                let href = match args.first()? {
                    V::Str(x) => url_parse(x, None)?,
                    V::Url(h) => h.to_string(),
                    _ => return None,
                };
                if !href.starts_with("file:") {
                    return None;
                }
                file_url_to_path(&href).map(|x| V::Str(x.into()))
            }
            F::PathToFileUrl => {
                let path = args.first()?.as_str()?;
                let abs = p::resolve_from(&self.job.cwd, &[path]);
                let abs = if path.ends_with('/') && !abs.ends_with('/') { format!("{abs}/") } else { abs };
                Some(V::Url(path_to_file_url(&abs).into()))
            }
            F::UrlCtor | F::Opaque => None,
            F::InteropDefault => {
                let o = args.first().cloned().unwrap_or(V::Undef);
                if let V::Obj(x) = &o {
                    if x.get("__esModule").is_some_and(|v| v.truthy()) {
                        return Some(o);
                    }
                }
                Some(obj(vec![("default", o)], false))
            }
            F::InteropWildcard => {
                let o = args.first().cloned().unwrap_or(V::Undef);
                if let V::Obj(x) = &o {
                    if x.get("__esModule").is_some_and(|v| v.truthy()) {
                        return Some(o);
                    }
                }
                let mut out = Obj::default();
                if let V::Obj(x) = &o {
                    for (k, v) in &x.props {
                        out.set(k, v.clone());
                    }
                }
                out.set("default", o);
                Some(V::Obj(Rc::new(out)))
            }
            F::ObjectAssign => {
                let target = args.first()?;
                let V::Obj(t) = target else { return None };
                let mut t = (**t).clone();
                for src in &args[1..] {
                    if let V::Obj(sobj) = src {
                        for (k, v) in &sobj.props {
                            t.set(k, v.clone());
                        }
                    }
                }
                Some(V::Obj(Rc::new(t)))
            }
            F::Const(v) => Some((**v).clone()),
            F::StrConcat(base) => {
                let mut out = base.to_string();
                let parts: Option<Vec<String>> = args.iter().map(|a| a.to_js_string()).collect();
                out.push_str(&parts?.join(","));
                Some(V::Str(out.into()))
            }
            F::Express => Some(V::Obj(Rc::new(Obj {
                props: vec![("set".into(), V::Sym(Sym::ExpressSet)), ("engine".into(), V::Sym(Sym::ExpressEngine))],
                unknown: true,
                call: None,
            }))),
            F::PregypFind { .. } => {
                let pj = args.first()?.as_str()?;
                crate::native::pregyp_find(self.job, pj).map(|x| V::Str(x.into()))
            }
        }
    }

    fn call_path(&mut self, f: PathFn, args: &[V]) -> Option<V> {
        let cwd = self.job.cwd.clone();
        Some(match f {
            PathFn::Join => V::Str(p::join(&Self::all_strs(args)?).into()),
            PathFn::Resolve => V::Str(p::resolve_from(&cwd, &Self::all_strs(args)?).into()),
            PathFn::Dirname => V::Str(p::dirname(args.first()?.as_str()?).into()),
            PathFn::Basename => {
                let ext = match args.get(1) {
                    None | Some(V::Undef) => None,
                    Some(V::Str(e)) => Some(&**e),
                    _ => return None,
                };
                V::Str(p::basename(args.first()?.as_str()?, ext).into())
            }
            PathFn::Extname => V::Str(p::extname(args.first()?.as_str()?).into()),
            PathFn::Relative => {
                let a = args.first()?.as_str()?;
                let b = args.get(1)?.as_str()?;
                V::Str(p::relative_from(&cwd, a, b).into())
            }
            PathFn::Normalize => V::Str(p::normalize(args.first()?.as_str()?).into()),
            PathFn::IsAbsolute => V::Bool(p::is_absolute(args.first()?.as_str()?)),
            PathFn::ToNamespacedPath => args.first().cloned().unwrap_or(V::Undef),
            PathFn::Parse => {
                let x = args.first()?.as_str()?;
                let root = if x.starts_with('/') { "/" } else { "" };
                let base = p::basename(x, None);
                let ext = p::extname(&base).to_string();
                let name = base[..base.len() - ext.len()].to_string();
                let dir = {
                    let d = p::dirname(x);
                    if d == "." && !x.starts_with('.') {
                        String::new()
                    } else {
                        d
                    }
                };
                obj(
                    vec![
                        ("root", s(root)),
                        ("dir", V::Str(dir.into())),
                        ("base", V::Str(base.into())),
                        ("ext", V::Str(ext.into())),
                        ("name", V::Str(name.into())),
                    ],
                    false,
                )
            }
            PathFn::Format => return None,
        })
    }
}
