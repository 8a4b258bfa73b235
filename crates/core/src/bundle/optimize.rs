//! Build-time optimisations of the bundler: `define` (constants replaced, then
//! the branches they make dead removed before imports are followed, so code for
//! unused overrides is never bundled) and minification of the whole output
//! (swc's minifier: mangling and whitespace).

use super::transpile::{parse_and_strip_in, Jsx, Parsed};
use crate::error::{CoreError, Result};
use std::path::Path;
use swc_core::common::comments::SingleThreadedComments;
use swc_core::common::sync::Lrc;
use swc_core::common::{FileName, Mark, SourceMap, Spanned, DUMMY_SP};
use swc_core::ecma::ast::*;
use swc_core::ecma::codegen::{text_writer::JsWriter, Config as CodegenConfig, Emitter};
use swc_core::ecma::minifier::option::{ExtraOptions, MangleOptions, MinifyOptions};
use swc_core::ecma::parser::{parse_file_as_module, EsSyntax, Syntax};
use swc_core::ecma::transforms::base::{fixer::fixer, resolver};
use swc_core::ecma::transforms::optimization::simplifier;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

/// One `define` entry: a global name or dotted member chain
/// (`process.env.NODE_ENV`) and the constant that replaces it.
#[derive(Debug, Clone)]
pub struct Define {
    path: Vec<String>,
    value: serde_json::Value,
}

impl Define {
    /// Parses `key` (an identifier or dotted chain of identifiers) and `value`
    /// (JSON text: a string, number, boolean or null).
    pub fn parse(key: &str, value: &str) -> Result<Define> {
        let path: Vec<String> = key.split('.').map(str::to_string).collect();
        if path.iter().any(|p| !super::is_valid_ident(p)) {
            return Err(CoreError::Config {
                file: "bundle option `define`".into(),
                message: format!("define key {key:?} is not an identifier or a dotted chain of identifiers (like process.env.NODE_ENV)"),
            });
        }
        let value: serde_json::Value = serde_json::from_str(value).map_err(|e| CoreError::Config {
            file: "bundle option `define`".into(),
            message: format!("define value for {key} is not JSON ({e}): write strings with quotes, e.g. \"\\\"production\\\"\""),
        })?;
        if value.is_array() || value.is_object() {
            return Err(CoreError::Config {
                file: "bundle option `define`".into(),
                message: format!("define value for {key} must be a string, number, boolean or null"),
            });
        }
        Ok(Define { path, value })
    }

    fn expr(&self) -> Expr {
        match &self.value {
            serde_json::Value::String(s) => Expr::Lit(Lit::Str(Str::from(s.as_str()))),
            serde_json::Value::Bool(b) => Expr::Lit(Lit::Bool(Bool { span: DUMMY_SP, value: *b })),
            serde_json::Value::Number(n) => {
                let v = n.as_f64().unwrap_or(0.0);
                if v < 0.0 {
                    Expr::Unary(UnaryExpr {
                        span: DUMMY_SP,
                        op: UnaryOp::Minus,
                        arg: Box::new(Expr::Lit(Lit::Num(Number { span: DUMMY_SP, value: -v, raw: None }))),
                    })
                } else {
                    Expr::Lit(Lit::Num(Number { span: DUMMY_SP, value: v, raw: None }))
                }
            }
            _ => Expr::Lit(Lit::Null(Null { span: DUMMY_SP })),
        }
    }
}

/// The dotted path of `e` when it is a chain of identifiers rooted at a global.
fn global_path(e: &Expr, unresolved: Mark, out: &mut Vec<String>) -> bool {
    match e {
        Expr::Ident(i) => {
            if i.ctxt.outer() != unresolved {
                return false;
            }
            out.push(i.sym.to_string());
            true
        }
        Expr::Member(m) => {
            let MemberProp::Ident(p) = &m.prop else { return false };
            if !global_path(&m.obj, unresolved, out) {
                return false;
            }
            out.push(p.sym.to_string());
            true
        }
        _ => false,
    }
}

struct Replacer<'a> {
    defines: &'a [Define],
    unresolved: Mark,
    replaced: usize,
}

impl VisitMut for Replacer<'_> {
    fn visit_mut_expr(&mut self, e: &mut Expr) {
        if matches!(e, Expr::Ident(_) | Expr::Member(_)) {
            let mut path = Vec::new();
            if global_path(e, self.unresolved, &mut path) {
                if let Some(d) = self.defines.iter().find(|d| d.path == path) {
                    *e = d.expr();
                    self.replaced += 1;
                    return;
                }
            }
        }
        e.visit_mut_children_with(self);
    }

    // Never replace what is assigned to.
    fn visit_mut_assign_target(&mut self, _: &mut AssignTarget) {}
    fn visit_mut_update_expr(&mut self, _: &mut UpdateExpr) {}
}

/// Parses and strips a module (see [`parse_and_strip_in`]) with the defined
/// globals replaced (right after scope resolution, where the marks are exact)
/// and, when anything was replaced, constants folded and dead branches removed.
/// The module goes into the shared `cm` and `comments`.
pub fn parse_with_defines(
    cm: &Lrc<SourceMap>,
    comments: &SingleThreadedComments,
    path: &Path,
    src: String,
    defines: &[Define],
    jsx: Jsx,
) -> Result<Parsed> {
    let mut replaced = 0;
    let mut parsed = parse_and_strip_in(cm, comments, path, src, jsx, &mut |program, unresolved| {
        if !defines.is_empty() {
            let mut r = Replacer { defines, unresolved, replaced: 0 };
            program.visit_mut_with(&mut r);
            replaced = r.replaced;
        }
    })?;
    if replaced > 0 {
        let module = std::mem::take(&mut parsed.module);
        let mut program = Program::Module(module);
        program.mutate(simplifier(parsed.unresolved_mark, Default::default()));
        parsed.module = program.expect_module();
    }
    Ok(parsed)
}

/// Bundles up to this size (before minification) are also compressed.
const COMPRESS_MAX_BYTES: usize = 64 * 1024;

/// Minifies a whole ES module (top-level names mangled, whitespace removed). With `input_map` (the map of `code`), also returns the map of the
/// minified code to the original sources. Must be called inside `GLOBALS.set`.
pub fn minify_module(
    path: &Path,
    code: String,
    input_map: Option<swc_sourcemap::SourceMap>,
) -> Result<(String, Option<swc_sourcemap::SourceMap>)> {
    let code_len = code.len();
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(Lrc::new(FileName::Real(path.to_path_buf())), code);
    let comments = SingleThreadedComments::default();
    let mut recovered = Vec::new();
    let module = parse_file_as_module(
        &fm,
        Syntax::Es(EsSyntax { import_attributes: true, ..Default::default() }),
        EsVersion::EsNext,
        Some(&comments),
        &mut recovered,
    )
    .map_err(|e| {
        let loc = cm.lookup_char_pos(e.span().lo);
        CoreError::Syntax {
            file: path.to_path_buf(),
            line: loc.line,
            col: loc.col_display + 1,
            message: format!("bundle output does not parse for minification: {}", e.kind().msg()),
        }
    })?;
    let unresolved_mark = Mark::new();
    let top_level_mark = Mark::new();
    let mut program = Program::Module(module);
    program.mutate(resolver(unresolved_mark, top_level_mark, false));
    let mangle: MangleOptions = serde_json::from_value(serde_json::json!({ "topLevel": true })).expect("valid mangle options");
    // Mangling and whitespace only, no swc `compress`: on the server runtime,
    // compress takes about 10 ms (as long as all the bundling before it) to make
    // the output 7% smaller, which tree shaking and `define` have mostly done
    // already. Without it the output is within 1.1x of esbuild's minified size
    // at about esbuild's speed.
    // Small bundles (the utility functions, the configs) are compressed too, which
    // drops unused top-level code and costs them well under a millisecond.
    let compress = (code_len <= COMPRESS_MAX_BYTES).then(|| {
        let terser: swc_core::ecma::minifier::option::terser::TerserCompressorOptions =
            serde_json::from_value(serde_json::json!({ "toplevel": true, "passes": 2 })).expect("valid compress options");
        terser.into_config(cm.clone())
    });
    let options = MinifyOptions { compress, mangle: Some(mangle), ..Default::default() };
    let extra = ExtraOptions { unresolved_mark, top_level_mark, mangle_name_cache: None };
    let mut program = swc_core::ecma::minifier::optimize(program, cm.clone(), Some(&comments), None, &options, &extra);
    program.mutate(fixer(Some(&comments)));
    let mut buf = Vec::new();
    let mut mappings = Vec::new();
    {
        let mut emitter = Emitter {
            cfg: CodegenConfig::default().with_minify(true).with_target(EsVersion::EsNext),
            cm: cm.clone(),
            comments: None,
            wr: JsWriter::new(cm.clone(), "\n", &mut buf, input_map.is_some().then_some(&mut mappings)),
        };
        emitter.emit_program(&program).expect("writing to a Vec cannot fail");
    }
    let map = input_map.map(|orig| cm.build_source_map(&mappings, Some(orig), super::sourcemap::MapConfig));
    Ok((String::from_utf8(buf).expect("swc emits UTF-8"), map))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::transpile::print;
    use swc_core::common::{Globals, GLOBALS};

    /// The output for a `.js` and a `.ts` module (types are stripped after defines apply).
    fn run(src: &str) -> [String; 2] {
        [run_as("e.js", src), run_as("e.ts", src)]
    }

    fn run_as(name: &str, src: &str) -> String {
        GLOBALS.set(&Globals::new(), || {
            let defines = vec![Define::parse("process.env.T", "\"node\"").unwrap(), Define::parse("__D__", "false").unwrap()];
            let p =
                parse_with_defines(&Default::default(), &Default::default(), Path::new(name), src.into(), &defines, Jsx::Classic).unwrap();
            print(&p, false)
        })
    }

    #[test]
    fn replaces_globals_and_drops_dead_branches() {
        for out in run("if (process.env.T === 'aws') require('./aws'); else require('./node');\nexport const d = __D__ ? 1 : 2;") {
            assert!(!out.contains("./aws"), "{out}");
            assert!(out.contains("./node"), "{out}");
            assert!(!out.contains("__D__"), "{out}");
        }
    }

    #[test]
    fn leaves_locals_and_assignments() {
        for out in run("function f(process) { return process.env.T; }\nprocess.env.T = 'x';\nexport { f };") {
            assert!(out.contains("return process.env.T") || out.contains("return process1.env.T"), "{out}");
            assert!(out.contains("process.env.T = 'x'"), "{out}");
            assert!(!out.contains("node"), "{out}");
        }
    }
}
