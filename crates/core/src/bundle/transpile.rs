//! Single-file transforms with swc: parse JS/TS, strip types, optionally turn ESM
//! into CommonJS for the module-function bundle format.

use crate::error::{CoreError, Result};
use std::path::Path;
use swc_core::common::comments::SingleThreadedComments;
use swc_core::common::sync::Lrc;
use swc_core::common::{FileName, Globals, Mark, SourceMap, Spanned, GLOBALS};
use swc_core::ecma::ast::{EsVersion, Module, Program};
use swc_core::ecma::codegen::{text_writer::JsWriter, Config as CodegenConfig, Emitter};
use swc_core::ecma::parser::{parse_file_as_module, EsSyntax, Syntax, TsSyntax};
use swc_core::ecma::transforms::base::helpers::{inject_helpers, Helpers, HELPERS};
use swc_core::ecma::transforms::base::{fixer::fixer, hygiene::hygiene, resolver};
use swc_core::ecma::transforms::module::common_js::{common_js, FeatureFlag};
use swc_core::ecma::transforms::module::path::Resolver;
use swc_core::ecma::transforms::module::util::{Config as ModuleConfig, ImportInterop};
use swc_core::ecma::transforms::typescript::strip;

/// Source language, chosen from the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// `.ts`, `.mts`, `.cts`
    Ts,
    /// `.tsx`
    Tsx,
    /// `.js`, `.mjs`, `.cjs`
    Js,
    /// `.jsx`
    Jsx,
}

impl Lang {
    /// Picks the language for a path.
    pub fn from_path(path: &Path) -> Lang {
        match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
            "ts" | "mts" | "cts" => Lang::Ts,
            "tsx" => Lang::Tsx,
            "jsx" => Lang::Jsx,
            _ => Lang::Js,
        }
    }

    fn syntax(self) -> Syntax {
        match self {
            Lang::Ts => Syntax::Typescript(TsSyntax { decorators: true, ..Default::default() }),
            Lang::Tsx => Syntax::Typescript(TsSyntax { tsx: true, decorators: true, ..Default::default() }),
            Lang::Js => Syntax::Es(EsSyntax { import_attributes: true, ..Default::default() }),
            Lang::Jsx => Syntax::Es(EsSyntax { jsx: true, import_attributes: true, ..Default::default() }),
        }
    }
}

/// A parsed module with the swc context needed to transform and print it.
pub struct Parsed {
    /// The AST, types already stripped.
    pub module: Module,
    /// Source map holding the file.
    pub cm: Lrc<SourceMap>,
    /// Comments (kept for license/pure annotations).
    pub comments: SingleThreadedComments,
    /// Mark for unresolved (global) references.
    pub unresolved_mark: Mark,
}

/// How JSX (in `.jsx`/`.tsx` files) becomes JavaScript.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Jsx {
    /// `React.createElement(...)` and `React.Fragment` (esbuild's and Babel's
    /// default): `React` must be in scope.
    #[default]
    Classic,
    /// `jsx()`/`jsxs()` imported from `react/jsx-runtime` (React 17+).
    Automatic,
}

impl Jsx {
    /// Parses the `jsx` option: `"classic"` or `"automatic"`.
    pub fn parse(value: &str) -> Result<Jsx> {
        match value {
            "classic" => Ok(Jsx::Classic),
            "automatic" => Ok(Jsx::Automatic),
            other => Err(CoreError::Config {
                file: "bundle option `jsx`".into(),
                message: format!("unknown JSX mode {other:?}: use \"classic\" (React.createElement) or \"automatic\" (react/jsx-runtime)"),
            }),
        }
    }
}

/// Parses `src` (named `path` in messages), strips TypeScript and returns the module.
/// Must be called inside `GLOBALS.set`.
pub fn parse_and_strip(path: &Path, src: String) -> Result<Parsed> {
    parse_and_strip_in(&Default::default(), &Default::default(), path, src, Jsx::default(), &mut |_, _| {})
}

/// [`parse_and_strip`] into a source map and comment store shared with other
/// modules, so that modules parsed this way can be joined into one AST and
/// printed (with one source map) together, with JSX compiled as `jsx` says and
/// a hook that sees the module right after scope resolution, before types are
/// stripped (the marks are exact there): `hook(program, unresolved_mark)`.
pub fn parse_and_strip_in(
    cm: &Lrc<SourceMap>,
    comments: &SingleThreadedComments,
    path: &Path,
    src: String,
    jsx: Jsx,
    hook: &mut dyn FnMut(&mut Program, Mark),
) -> Result<Parsed> {
    let cm = cm.clone();
    let comments = comments.clone();
    let fm = cm.new_source_file(Lrc::new(FileName::Real(path.to_path_buf())), src);
    let lang = Lang::from_path(path);
    let mut recovered = Vec::new();
    let parsed = parse_file_as_module(&fm, lang.syntax(), EsVersion::EsNext, Some(&comments), &mut recovered);
    let module = match parsed {
        Ok(m) if recovered.is_empty() => m,
        Ok(_) => return Err(syntax_error(&cm, path, &recovered[0])),
        Err(e) => return Err(syntax_error(&cm, path, &e)),
    };
    let unresolved_mark = Mark::new();
    let top_level_mark = Mark::new();
    let is_ts = matches!(lang, Lang::Ts | Lang::Tsx);
    let mut program = Program::Module(module);
    program.mutate(resolver(unresolved_mark, top_level_mark, is_ts));
    hook(&mut program, unresolved_mark);
    if matches!(lang, Lang::Tsx | Lang::Jsx) {
        // Before type stripping, so imports only JSX uses (`React`) are not elided.
        let options = swc_core::ecma::transforms::react::Options {
            runtime: Some(match jsx {
                Jsx::Classic => swc_core::ecma::transforms::react::Runtime::Classic,
                Jsx::Automatic => swc_core::ecma::transforms::react::Runtime::Automatic,
            }),
            ..Default::default()
        };
        program.mutate(swc_core::ecma::transforms::react::react(
            cm.clone(),
            Some(comments.clone()),
            options,
            top_level_mark,
            unresolved_mark,
        ));
    }
    if is_ts {
        program.mutate(strip(unresolved_mark, top_level_mark));
    }
    let module = program.expect_module();
    Ok(Parsed { module, cm, comments, unresolved_mark })
}

/// Renames identifiers apart (swc `hygiene`: after it, names alone tell bindings
/// apart and syntax contexts are gone) and adds the parentheses transforms rely
/// on. Run it once a module's transforms are done, before printing it alone.
pub fn finish(parsed: &mut Parsed) {
    let module = std::mem::take(&mut parsed.module);
    let mut program = Program::Module(module);
    program.mutate(hygiene());
    program.mutate(fixer(Some(&parsed.comments)));
    parsed.module = program.expect_module();
}

fn syntax_error(cm: &Lrc<SourceMap>, path: &Path, e: &swc_core::ecma::parser::error::Error) -> CoreError {
    let loc = cm.lookup_char_pos(e.span().lo);
    let message = e.kind().msg().to_string();
    CoreError::Syntax { file: path.to_path_buf(), line: loc.line, col: loc.col_display + 1, message }
}

/// Converts an ESM module into CommonJS (`require`/`exports`), keeping dynamic
/// `import()` and `import.meta` untouched. Helpers are inlined.
pub fn esm_to_cjs(parsed: &mut Parsed) {
    let unresolved = parsed.unresolved_mark;
    let module = std::mem::take(&mut parsed.module);
    let mut program = Program::Module(module);
    HELPERS.set(&Helpers::new(false), || {
        let config = ModuleConfig {
            ignore_dynamic: true,
            preserve_import_meta: true,
            import_interop: Some(ImportInterop::Swc),
            ..Default::default()
        };
        program.mutate(common_js(Resolver::Default, unresolved, config, FeatureFlag { support_block_scoping: true, support_arrow: true }));
        program.mutate(inject_helpers(unresolved));
    });
    // Rename clashing identifiers and add the parentheses the transforms rely on
    // (e.g. `(0, _m.f)(x)` inside a conditional).
    program.mutate(hygiene());
    program.mutate(fixer(Some(&parsed.comments)));
    parsed.module = program.expect_module();
}

/// Prints a module back to JavaScript.
pub fn print(parsed: &Parsed, minify: bool) -> String {
    let mut buf = Vec::new();
    {
        let mut emitter = Emitter {
            cfg: CodegenConfig::default().with_minify(minify).with_target(EsVersion::EsNext),
            cm: parsed.cm.clone(),
            comments: if minify { None } else { Some(&parsed.comments) },
            wr: JsWriter::new(parsed.cm.clone(), "\n", &mut buf, None),
        };
        emitter.emit_module(&parsed.module).expect("writing to a Vec cannot fail");
    }
    String::from_utf8(buf).expect("swc emits UTF-8")
}

/// Whether a comment survives bundling, as in esbuild: legal comments
/// (`/*! ... */`, `@license`, `@preserve`) and annotations tools read
/// (`@__PURE__`, `@__NO_SIDE_EFFECTS__`, `webpackIgnore`/`@vite-ignore`).
fn is_kept_comment(text: &str) -> bool {
    text.starts_with('!')
        || ["@license", "@preserve", "__PURE__", "__NO_SIDE_EFFECTS__", "webpackIgnore", "@vite-ignore"].iter().any(|k| text.contains(k))
}

/// The comments of `comments` that [`is_kept_comment`] keeps.
fn kept_comments(comments: &SingleThreadedComments) -> SingleThreadedComments {
    let (leading, trailing) = comments.borrow_all();
    let filter = |map: &swc_core::common::comments::SingleThreadedCommentsMapInner| {
        let mut out = swc_core::common::comments::SingleThreadedCommentsMapInner::default();
        for (pos, list) in map.iter() {
            let kept: Vec<_> = list.iter().filter(|c| is_kept_comment(&c.text)).cloned().collect();
            if !kept.is_empty() {
                out.insert(*pos, kept);
            }
        }
        std::rc::Rc::new(std::cell::RefCell::new(out))
    };
    SingleThreadedComments::from_leading_and_trailing(filter(&leading), filter(&trailing))
}

/// Prints a module for a bundle: two-space indents, only the comments
/// [`is_kept_comment`] keeps, and with `with_map` its source map.
pub fn print_bundled(parsed: &Parsed, with_map: bool) -> (String, Option<swc_sourcemap::SourceMap>) {
    let comments = kept_comments(&parsed.comments);
    let mut buf = Vec::new();
    let mut mappings = Vec::new();
    {
        let mut wr = JsWriter::new(parsed.cm.clone(), "\n", &mut buf, with_map.then_some(&mut mappings));
        wr.set_indent_str("  ");
        let mut emitter =
            Emitter { cfg: CodegenConfig::default().with_target(EsVersion::EsNext), cm: parsed.cm.clone(), comments: Some(&comments), wr };
        emitter.emit_module(&parsed.module).expect("writing to a Vec cannot fail");
    }
    let map = with_map.then(|| parsed.cm.build_source_map(&mappings, None, super::sourcemap::MapConfig));
    (String::from_utf8(buf).expect("swc emits UTF-8"), map)
}

/// Strips TypeScript types from one file and prints ESM JavaScript.
pub fn strip_types(path: &Path, src: String) -> Result<String> {
    GLOBALS.set(&Globals::new(), || {
        let mut parsed = parse_and_strip(path, src)?;
        finish(&mut parsed);
        Ok(print(&parsed, false))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_types() {
        let out = strip_types(Path::new("a.ts"), "const x: number = 1; export type T = string; export { x };".into()).unwrap();
        assert!(out.contains("const x = 1"));
        assert!(!out.contains("number"));
        assert!(!out.contains("type T"));
    }

    #[test]
    fn syntax_error_has_location() {
        let err = strip_types(Path::new("/cfg/open-next.config.ts"), "const a = 1;\nconst b: = 2;\n".into()).unwrap_err();
        match err {
            CoreError::Syntax { line, col, file, .. } => {
                assert_eq!(line, 2);
                assert!(col >= 9, "col {col}");
                assert_eq!(file, Path::new("/cfg/open-next.config.ts"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
