//! Patches of Next.js server code in the function, found with swc's parser and
//! applied as byte-range edits (the rest of each file stays byte-for-byte the same,
//! so minified runtimes are not re-printed).

use crate::error::{CoreError, Result};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use swc_core::common::sync::Lrc;
use swc_core::common::{FileName, Globals, SourceMap, Span, GLOBALS};
use swc_core::ecma::ast::*;
use swc_core::ecma::parser::{parse_file_as_program, EsSyntax, Syntax};
use swc_core::ecma::visit::{Visit, VisitWith};

/// One replacement: bytes `start..end` of the file become `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// Start byte offset.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
    /// Replacement text.
    pub text: String,
}

/// A code patch: which files it looks at and how it finds its edits.
pub struct Patch {
    /// Stable name, reported in the build stats.
    pub name: &'static str,
    /// Whether a (`/`-separated, function-relative) path is a candidate.
    pub path_filter: fn(&str) -> bool,
    /// Cheap substring test on the source before parsing.
    pub content_filter: fn(&str) -> bool,
    /// Finds the edits in a parsed program.
    pub find: fn(&Program, &Offsets) -> Vec<Edit>,
}

/// Converts swc spans to byte offsets in the file.
pub struct Offsets {
    start: u32,
}

impl Offsets {
    /// Byte range of a span.
    pub fn range(&self, span: Span) -> (usize, usize) {
        ((span.lo.0 - self.start) as usize, (span.hi.0 - self.start) as usize)
    }
}

/// Result of applying patches to one function.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PatchReport {
    /// `(patch name, function-relative file)` for every patched file.
    pub patched: Vec<(String, String)>,
}

fn in_next_dist(rel: &str, tail: &str) -> bool {
    rel.ends_with(tail) && rel.contains("node_modules/next/dist/")
}

fn is_member_prop(e: &Expr, prop: &str) -> bool {
    matches!(e, Expr::Member(m) if matches!(&m.prop, MemberProp::Ident(i) if &*i.sym == prop))
}

fn unwrap_parens(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unwrap_parens(&p.expr),
        other => other,
    }
}

/// Finds `!x.isStale || y.isPrefetch` (not part of a bigger binary expression)
/// guarded by an `if` whose condition checks `!…isOnDemandRevalidate`.
struct StaleCheckFinder<'a> {
    offsets: &'a Offsets,
    guarded: usize,
    parent_is_bin: bool,
    edits: Vec<Edit>,
}

fn mentions_not_on_demand(e: &Expr) -> bool {
    struct F(bool);
    impl Visit for F {
        fn visit_unary_expr(&mut self, u: &UnaryExpr) {
            if u.op == UnaryOp::Bang {
                match unwrap_parens(&u.arg) {
                    Expr::Ident(i) if &*i.sym == "isOnDemandRevalidate" => self.0 = true,
                    other if is_member_prop(other, "isOnDemandRevalidate") => self.0 = true,
                    _ => {}
                }
            }
            u.visit_children_with(self);
        }
    }
    let mut f = F(false);
    e.visit_with(&mut f);
    f.0
}

impl Visit for StaleCheckFinder<'_> {
    fn visit_if_stmt(&mut self, s: &IfStmt) {
        let guard = mentions_not_on_demand(&s.test);
        if guard {
            self.guarded += 1;
        }
        s.visit_children_with(self);
        if guard {
            self.guarded -= 1;
        }
    }

    fn visit_expr(&mut self, e: &Expr) {
        let parent_bin = self.parent_is_bin;
        if let Expr::Bin(b) = e {
            if self.guarded > 0 && !parent_bin && b.op == BinaryOp::LogicalOr && is_stale_check(b) {
                let (start, end) = self.offsets.range(b.span);
                self.edits.push(Edit { start, end: start, text: format!("(!{REGENERATION_CHECK}||(") });
                self.edits.push(Edit { start: end, end, text: "))".into() });
            }
            self.parent_is_bin = true;
            b.visit_children_with(self);
        } else {
            self.parent_is_bin = false;
            e.visit_children_with(self);
        }
        self.parent_is_bin = parent_bin;
    }
}

fn is_stale_check(b: &BinExpr) -> bool {
    let left_ok =
        matches!(unwrap_parens(&b.left), Expr::Unary(u) if u.op == UnaryOp::Bang && is_member_prop(unwrap_parens(&u.arg), "isStale"));
    left_ok && is_member_prop(unwrap_parens(&b.right), "isPrefetch")
}

/// Finds the response cache's batch key function (`cacheKeyFn: ({ key,
/// isOnDemandRevalidate }) => …`) and adds the regeneration to the key; gives
/// its revalidation batcher (`this.revalidateBatcher = Batcher.create({ … })`,
/// keyed by the cache key alone) the same key function.
struct BatchKeyFinder<'a> {
    offsets: &'a Offsets,
    edits: Vec<Edit>,
}

impl Visit for BatchKeyFinder<'_> {
    fn visit_assign_expr(&mut self, a: &AssignExpr) {
        let named = matches!(&a.left, AssignTarget::Simple(SimpleAssignTarget::Member(m))
            if matches!(&m.prop, MemberProp::Ident(i) if &*i.sym == "revalidateBatcher"));
        if let (true, Expr::Call(call)) = (named, unwrap_parens(&a.right)) {
            let create = matches!(&call.callee, Callee::Expr(c) if is_member_prop(unwrap_parens(c), "create"));
            if let (true, Some(Expr::Object(o))) = (create, call.args.first().map(|a| unwrap_parens(&a.expr))) {
                let keyed = o.props.iter().any(|p| {
                    matches!(p, PropOrSpread::Prop(p) if matches!(&**p, Prop::KeyValue(kv) if matches!(&kv.key, PropName::Ident(i) if &*i.sym == "cacheKeyFn")))
                });
                if !keyed {
                    let (start, _) = self.offsets.range(o.span);
                    self.edits.push(Edit {
                        start: start + 1,
                        end: start + 1,
                        text: format!("cacheKeyFn:(k)=>k+({REGENERATION_KEY}??\"\"),"),
                    });
                }
            }
        }
        a.visit_children_with(self);
    }

    fn visit_key_value_prop(&mut self, kv: &KeyValueProp) {
        let named = matches!(&kv.key, PropName::Ident(i) if &*i.sym == "cacheKeyFn");
        if let (true, Expr::Arrow(a)) = (named, unwrap_parens(&kv.value)) {
            let destructures_on_demand = a.params.iter().any(|p| {
                matches!(p, Pat::Object(o) if o.props.iter().any(|op| match op {
                    ObjectPatProp::KeyValue(k) => matches!(&k.key, PropName::Ident(i) if &*i.sym == "isOnDemandRevalidate"),
                    ObjectPatProp::Assign(k) => &*k.key.sym == "isOnDemandRevalidate",
                    ObjectPatProp::Rest(_) => false,
                }))
            });
            if let (true, ArrowFunctionBody::Expr(body)) = (destructures_on_demand, &*a.body) {
                let (start, end) = self.offsets.range(body.span());
                self.edits.push(Edit { start, end: start, text: "(".into() });
                self.edits.push(Edit { start: end, end, text: format!(")+({REGENERATION_KEY}??\"\")") });
                return;
            }
        }
        kv.visit_children_with(self);
    }
}

/// Whether the current request is a regeneration the queue asked for (the
/// runtime defines it on `globalThis`; undefined outside our runtime).
const REGENERATION_CHECK: &str = "globalThis.__openNextIsRegeneration?.()";

/// The batch key suffix of the current request: `-regeneration-<request id>`
/// for a regeneration the queue asked for, else `""` (undefined outside our runtime).
const REGENERATION_KEY: &str = "globalThis.__openNextRegenerationKey?.()";

/// Next serves a stale ISR entry and then regenerates it in the same process.
/// This makes the check "entry is fresh or this is a prefetch" true for every
/// request but the queue's regeneration requests, so a stale entry is served
/// and its regeneration left to the queue; the queue's request then
/// regenerates it as `next start` would (data caches read as usual, unlike an
/// on-demand revalidation).
///
/// The response cache batches concurrent reads of one key, and concurrent
/// regenerations of one key. A regeneration that joined another request's read
/// (a visitor's, or another regeneration's of the same page) would get that
/// request's stale answer and regenerate nothing; one that joined another's
/// regeneration would answer before that one's write. So each regeneration gets
/// batch keys of its own, and writes the page itself.
pub const BACKGROUND_REVALIDATION: Patch = Patch {
    name: "disable-background-revalidation",
    path_filter: |rel| {
        in_next_dist(rel, "server/response-cache/index.js")
            || (rel.contains("node_modules/next/dist/compiled/next-server/") && rel.ends_with(".runtime.prod.js"))
    },
    content_filter: |src| src.contains("isStale") && src.contains("isPrefetch"),
    find: |program, offsets| {
        let mut f = StaleCheckFinder { offsets, guarded: 0, parent_is_bin: false, edits: vec![] };
        program.visit_with(&mut f);
        let mut k = BatchKeyFinder { offsets, edits: vec![] };
        program.visit_with(&mut k);
        f.edits.extend(k.edits);
        f.edits
    },
};

/// Finds `this.handleNextImageRequest = <fn>` in a class constructor.
struct ImageHandlerFinder<'a> {
    offsets: &'a Offsets,
    in_ctor: bool,
    edits: Vec<Edit>,
}

impl Visit for ImageHandlerFinder<'_> {
    fn visit_constructor(&mut self, c: &Constructor) {
        let prev = self.in_ctor;
        self.in_ctor = true;
        c.visit_children_with(self);
        self.in_ctor = prev;
    }

    fn visit_assign_expr(&mut self, a: &AssignExpr) {
        if self.in_ctor {
            if let AssignTarget::Simple(SimpleAssignTarget::Member(m)) = &a.left {
                if matches!(*m.obj, Expr::This(_)) && matches!(&m.prop, MemberProp::Ident(i) if &*i.sym == "handleNextImageRequest") {
                    let (start, end) = self.offsets.range(a.right.span());
                    self.edits.push(Edit { start, end, text: "async (req, res, parsedUrl) => false".into() });
                    return;
                }
            }
        }
        a.visit_children_with(self);
    }
}

use swc_core::common::Spanned;

/// The server function never optimizes images (that is the image function's
/// job, in Rust), so Next's `/_next/image` handler, which loads sharp, is a no-op.
pub const NO_IMAGE_OPTIMIZER: Patch = Patch {
    name: "no-image-optimizer",
    path_filter: |rel| in_next_dist(rel, "server/next-server.js"),
    content_filter: |src| src.contains("handleNextImageRequest"),
    find: |program, offsets| {
        let mut f = ImageHandlerFinder { offsets, in_ctor: false, edits: vec![] };
        program.visit_with(&mut f);
        f.edits
    },
};

/// Finds `require('sharp')` calls.
struct SharpRequireFinder<'a> {
    offsets: &'a Offsets,
    edits: Vec<Edit>,
}

impl Visit for SharpRequireFinder<'_> {
    fn visit_call_expr(&mut self, c: &CallExpr) {
        let is_require = matches!(&c.callee, Callee::Expr(e) if matches!(&**e, Expr::Ident(i) if &*i.sym == "require"));
        let sharp = c.args.len() == 1 && matches!(&*c.args[0].expr, Expr::Lit(Lit::Str(s)) if s.value.as_str() == Some("sharp"));
        if is_require && sharp {
            let (start, end) = self.offsets.range(c.span);
            self.edits.push(Edit { start, end, text: format!("({SHARP_SHIM}||require('sharp'))") });
            return;
        }
        c.visit_children_with(self);
    }

    fn visit_cond_expr(&mut self, c: &CondExpr) {
        // Next 16.5's `opts.safeImageOptimization ? nsioOptimizeImage(…) : optimizeImage(…)`
        // (`experimental.imgOptSafeMode.nextImage`): where the stand-in is, its sharp path.
        if is_member_prop(&c.test, "safeImageOptimization") {
            let (start, end) = self.offsets.range(c.test.span());
            self.edits.push(Edit { start, end: start, text: format!("(!{SHARP_SHIM}&&") });
            self.edits.push(Edit { start: end, end, text: ")".into() });
        }
        c.visit_children_with(self);
    }
}

/// The runtime's sharp stand-in over the Rust image stage (`runtime/image/sharp.ts`),
/// defined on `globalThis` where images are optimized; undefined elsewhere.
const SHARP_SHIM: &str = "globalThis.__openNextSharp";

/// Next's image optimizer does its pixel work through `sharp(...)`, required in
/// one place (`image-optimizer.js` in 15.5, `image-optimizer/transform.js` in
/// 16.0–16.4, `image-optimizer/sharp.js` in 16.5). That require returns the runtime's stand-in, which runs the Rust image
/// stage, so every other part of Next's optimizer (validation, upstream
/// fetches, headers, ETags, fallbacks) is Next's own, for its version.
pub const SHARP_TO_RUST: Patch = Patch {
    name: "sharp-to-rust",
    path_filter: |rel| {
        ["server/image-optimizer.js", "server/image-optimizer/transform.js", "server/image-optimizer/sharp.js"]
            .iter()
            .any(|p| in_next_dist(rel, p))
    },
    content_filter: |src| src.contains("require('sharp')") || src.contains("require(\"sharp\")") || src.contains("safeImageOptimization"),
    find: |program, offsets| {
        let mut f = SharpRequireFinder { offsets, edits: vec![] };
        program.visit_with(&mut f);
        f.edits
    },
};

/// Patches applied to every server function.
pub const SERVER_PATCHES: &[&Patch] = &[&BACKGROUND_REVALIDATION, &NO_IMAGE_OPTIMIZER, &SHARP_TO_RUST];

/// Parses `src` and returns the edits of `patch` (empty when nothing matches or
/// the file does not parse).
pub fn find_edits(patch: &Patch, path: &Path, src: &str) -> Vec<Edit> {
    if !(patch.content_filter)(src) {
        return vec![];
    }
    GLOBALS.set(&Globals::new(), || {
        let cm: Lrc<SourceMap> = Default::default();
        let fm = cm.new_source_file(Lrc::new(FileName::Real(path.to_path_buf())), src.to_string());
        let mut errors = vec![];
        let Ok(program) = parse_file_as_program(&fm, Syntax::Es(EsSyntax::default()), EsVersion::EsNext, None, &mut errors) else {
            return vec![];
        };
        let offsets = Offsets { start: fm.start_pos.0 };
        (patch.find)(&program, &offsets)
    })
}

/// Applies non-overlapping edits to `src`.
pub fn apply_edits(src: &str, edits: &mut [Edit]) -> String {
    edits.sort_by_key(|e| e.start);
    let mut out = String::with_capacity(src.len());
    let mut pos = 0;
    for e in edits.iter() {
        if e.start < pos {
            continue;
        }
        out.push_str(&src[pos..e.start]);
        out.push_str(&e.text);
        pos = e.end;
    }
    out.push_str(&src[pos..]);
    out
}

/// Applies `patches` to the candidate files among `files` (function-relative
/// paths) under `fn_dir`, in parallel. Symlinked files are skipped (their target is patched).
pub fn patch_function(fn_dir: &Path, files: &[String], patches: &[&Patch]) -> Result<PatchReport> {
    let jobs: Vec<(&Patch, &String)> =
        patches.iter().flat_map(|p| files.iter().filter(|f| (p.path_filter)(f)).map(move |f| (*p, f))).collect();
    let mut by_file: std::collections::BTreeMap<&String, Vec<&Patch>> = Default::default();
    for (p, f) in jobs {
        by_file.entry(f).or_default().push(p);
    }
    let results: Vec<Vec<(String, String)>> = by_file
        .into_par_iter()
        .map(|(rel, ps)| -> Result<Vec<(String, String)>> {
            let path: PathBuf = fn_dir.join(rel);
            if path.symlink_metadata().map(|m| m.file_type().is_symlink()).unwrap_or(true) {
                return Ok(vec![]);
            }
            let src = std::fs::read_to_string(&path).map_err(CoreError::io("read", &path))?;
            let mut edits = vec![];
            let mut applied = vec![];
            for p in ps {
                let found = find_edits(p, &path, &src);
                if !found.is_empty() {
                    applied.push((p.name.to_string(), rel.clone()));
                    edits.extend(found);
                }
            }
            if !edits.is_empty() {
                let out = apply_edits(&src, &mut edits);
                // Replaces the file (it may be a hard link to the build's copy).
                crate::fsutil::write(&path, out)?;
            }
            Ok(applied)
        })
        .collect::<Result<_>>()?;
    Ok(PatchReport { patched: results.into_iter().flatten().collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(p: &Patch, src: &str) -> String {
        let mut edits = find_edits(p, Path::new("x.js"), src);
        apply_edits(src, &mut edits)
    }

    #[test]
    fn background_revalidation_unminified() {
        let src = "async function g(){ if (prev && !context.isOnDemandRevalidate && prev.isStale !== -1) { resolve(prev); if (!prev.isStale || context.isPrefetch) { return prev; } } }";
        let out = run(&BACKGROUND_REVALIDATION, src);
        assert!(
            out.contains("if ((!globalThis.__openNextIsRegeneration?.()||(!prev.isStale || context.isPrefetch))) { return prev; }"),
            "{out}"
        );
    }

    #[test]
    fn background_revalidation_minified() {
        let src = "async function g(){if((a=await e.get(e))&&!r.isOnDemandRevalidate&&-1!==a.isStale&&(n(a),i=!0,!a.isStale||r.isPrefetch))return a;let s=1}";
        let out = run(&BACKGROUND_REVALIDATION, src);
        assert!(out.contains("(n(a),i=!0,(!globalThis.__openNextIsRegeneration?.()||(!a.isStale||r.isPrefetch))))return a;"), "{out}");
    }

    #[test]
    fn regenerations_have_their_own_batch_key() {
        let src = "const c={isStale:1,isPrefetch:1};this.b=B.create({cacheKeyFn:({key:e,isOnDemandRevalidate:t})=>`${e}-${t?\"1\":\"0\"}`,schedulerFn:f});";
        let out = run(&BACKGROUND_REVALIDATION, src);
        assert!(
            out.contains("cacheKeyFn:({key:e,isOnDemandRevalidate:t})=>(`${e}-${t?\"1\":\"0\"}`)+(globalThis.__openNextRegenerationKey?.()??\"\"),schedulerFn"),
            "{out}"
        );
        let revalidate = "const c={isStale:1,isPrefetch:1};this.revalidateBatcher=rx.create({schedulerFn:m}),this.x=1;";
        assert!(
            run(&BACKGROUND_REVALIDATION, revalidate).contains(
                "this.revalidateBatcher=rx.create({cacheKeyFn:(k)=>k+(globalThis.__openNextRegenerationKey?.()??\"\"),schedulerFn:m})"
            ),
            "{}",
            run(&BACKGROUND_REVALIDATION, revalidate)
        );
        let keyed = "const c={isStale,isPrefetch};this.revalidateBatcher = B.create({ cacheKeyFn: (k)=>k })";
        assert_eq!(run(&BACKGROUND_REVALIDATION, keyed), keyed);
        let unminified = "const c={isStale,isPrefetch};B.create({ cacheKeyFn: ({ key, isOnDemandRevalidate })=>`${key}`, x: 1 })";
        assert!(run(&BACKGROUND_REVALIDATION, unminified).contains("=>(`${key}`)+(globalThis"));
        // Another key function: untouched.
        let other = "const c={isStale,isPrefetch};B.create({ cacheKeyFn: (k)=>k })";
        assert_eq!(run(&BACKGROUND_REVALIDATION, other), other);
    }

    #[test]
    fn background_revalidation_needs_guard_and_whole_expression() {
        // No on-demand guard: untouched.
        let src = "function g(){ if (x) { if (!a.isStale || r.isPrefetch) return a; } }";
        assert_eq!(run(&BACKGROUND_REVALIDATION, src), src);
        // Part of a bigger binary expression: untouched.
        let src = "function g(){ if (!r.isOnDemandRevalidate) { if (!a.isStale || r.isPrefetch || q) return a; } }";
        assert_eq!(run(&BACKGROUND_REVALIDATION, src), src);
    }

    #[test]
    fn sharp_require_goes_to_the_shim() {
        let src =
            "function getSharp(c){ if (_sharp) return _sharp; try { _sharp = require('sharp'); _sharp.block({}); } catch (e) { throw e } }";
        let out = run(&SHARP_TO_RUST, src);
        assert!(out.contains("_sharp = (globalThis.__openNextSharp||require('sharp'));"), "{out}");
        let other = "const x = require('sharpen'); const y = require(\"sharp\", 1);";
        assert_eq!(run(&SHARP_TO_RUST, other), other);
        assert!((SHARP_TO_RUST.path_filter)("node_modules/next/dist/server/image-optimizer/transform.js"));
        assert!((SHARP_TO_RUST.path_filter)("node_modules/next/dist/server/image-optimizer.js"));
        assert!((SHARP_TO_RUST.path_filter)("node_modules/next/dist/server/image-optimizer/sharp.js"), "Next 16.5");
        assert!(!(SHARP_TO_RUST.path_filter)("node_modules/next/dist/esm/server/image-optimizer.js.map"));
        // Next 16.5's safe mode (experimental.imgOptSafeMode) takes the stand-in's path where it is.
        let src = "async function t(opts){ const b = opts.safeImageOptimization ? await (0, _nsio.nsioOptimizeImage)(o) : await (0, _sharp.optimizeImage)(o); }";
        let out = run(&SHARP_TO_RUST, src);
        assert!(out.contains("const b = (!globalThis.__openNextSharp&&opts.safeImageOptimization) ? await"), "{out}");
    }

    #[test]
    fn image_handler_becomes_noop() {
        let src = "class S extends B { constructor(o){ super(o), this.x = 1, this.handleNextImageRequest = async (req, res, parsedUrl)=>{ require('sharp'); return true; }; } }";
        let out = run(&NO_IMAGE_OPTIMIZER, src);
        assert!(out.contains("this.handleNextImageRequest = async (req, res, parsedUrl) => false;"), "{out}");
        assert!(!out.contains("sharp"));
    }
}
