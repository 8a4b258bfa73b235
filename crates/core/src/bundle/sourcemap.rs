//! Source maps of bundles: each module's map (printed output → original file,
//! TypeScript included) is placed at the module's line in the bundle, and the
//! minifier's map is composed on top of that.

use std::collections::HashMap;
use std::path::Path;
use swc_core::common::source_map::SourceMapGenConfig;
use swc_core::common::FileName;
use swc_sourcemap::{SourceMap, SourceMapBuilder};

/// How swc names sources: the file's absolute path, with its text inlined.
pub struct MapConfig;

impl SourceMapGenConfig for MapConfig {
    fn file_name_to_source(&self, f: &FileName) -> String {
        match f {
            FileName::Real(p) => p.display().to_string(),
            other => other.to_string(),
        }
    }

    fn inline_sources_content(&self, _f: &FileName) -> bool {
        true
    }
}

/// Builds the map of a whole bundle from per-module maps and the (0-based)
/// bundle line each module's printed code starts at.
#[derive(Default)]
pub struct BundleMap {
    builder: Option<SourceMapBuilder>,
    sources: HashMap<String, u32>,
}

impl BundleMap {
    /// Adds `map` (a module's), its output starting at bundle line `line`.
    pub fn add(&mut self, map: &SourceMap, line: u32) {
        let builder = self.builder.get_or_insert_with(|| SourceMapBuilder::new(None));
        for token in map.tokens() {
            let Some(src) = token.get_source() else { continue };
            let key = src.to_string();
            let id = match self.sources.get(&key) {
                Some(id) => *id,
                None => {
                    let id = builder.add_source(src.clone());
                    let contents = map.get_source_contents(token.get_src_id()).cloned();
                    builder.set_source_contents(id, contents);
                    self.sources.insert(key, id);
                    id
                }
            };
            let name = token.get_name().map(|n| builder.add_name(n.clone()));
            builder.add_raw(
                token.get_dst_line() + line,
                token.get_dst_col(),
                token.get_src_line(),
                token.get_src_col(),
                Some(id),
                name,
                false,
            );
        }
    }

    /// The finished map (empty when no module had one).
    pub fn finish(self) -> SourceMap {
        self.builder.unwrap_or_else(|| SourceMapBuilder::new(None)).into_sourcemap()
    }
}

/// `map` with every generated line moved down by `lines` (for a banner put on top).
pub fn shift_lines(map: &SourceMap, lines: u32) -> SourceMap {
    let mut b = BundleMap::default();
    b.add(map, lines);
    b.finish()
}

/// The map as JSON, naming the generated file `file`.
pub fn to_json(map: &SourceMap, file: &Path) -> String {
    let mut map = map.clone();
    map.set_file(file.file_name().map(|f| f.to_string_lossy().into_owned()));
    let mut out = Vec::new();
    map.to_writer(&mut out).expect("writing a source map to a Vec cannot fail");
    String::from_utf8(out).expect("source maps are UTF-8")
}
