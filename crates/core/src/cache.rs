//! Cache assets: every prerendered route's `.html`/`.json`/`.rsc`/`.body`/`.meta`
//! (and `.segments/*.segment.rsc`) merged into one `<route>.cache` JSON file, the
//! fetch cache copied under `__fetch/<buildId>/`, and the tag seed items for the
//! tag cache. Files are read and written in parallel.

use crate::error::{CoreError, Result};
use crate::fsutil::{rel_slash, write};
use crate::next_app::{parse_version, NextBuild};
use base64::Engine;
use rayon::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Summary of [`create_cache_assets`].
#[derive(Debug, Default, Clone)]
pub struct CacheAssets {
    /// Number of `.cache` files written.
    pub entries: usize,
    /// Number of fetch-cache files copied.
    pub fetch_entries: usize,
    /// Tag seed items (`dynamodb-cache.json`), empty when no route has tags.
    pub tag_items: Vec<Value>,
}

/// Content types whose `.body` is stored base64-encoded (OpenNext's list).
const BINARY_CONTENT_TYPES: &[&str] = &[
    "application/octet-stream",
    "application/epub+zip",
    "application/msword",
    "application/pdf",
    "application/rtf",
    "application/vnd.amazon.ebook",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "font/otf",
    "font/woff",
    "font/woff2",
    "image/bmp",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/tiff",
    "image/vnd.microsoft.icon",
    "image/webp",
    "audio/3gpp",
    "audio/aac",
    "audio/basic",
    "audio/flac",
    "audio/mpeg",
    "audio/ogg",
    "audio/wavaudio/webm",
    "audio/x-aiff",
    "audio/x-midi",
    "audio/x-wav",
    "video/3gpp",
    "video/mp2t",
    "video/mpeg",
    "video/ogg",
    "video/quicktime",
    "video/webm",
    "video/x-msvideo",
    "application/java-archive",
    "application/vnd.apple.installer+xml",
    "application/x-7z-compressed",
    "application/x-apple-diskimage",
    "application/x-bzip",
    "application/x-bzip2",
    "application/x-gzip",
    "application/x-java-archive",
    "application/x-rar-compressed",
    "application/x-tar",
    "application/x-zip",
    "application/zip",
    "application/x-protobuf",
];

/// Whether a content type is binary (its `.body` is base64 in the cache file).
pub fn is_binary_content_type(ct: Option<&str>) -> bool {
    ct.map(|c| c.split(';').next().unwrap_or("").trim()).is_some_and(|c| BINARY_CONTENT_TYPES.contains(&c))
}

/// Whether Next uses scoped route cache keys (`/route-cache/<kind>/<sha>/$/<path>`),
/// taken from the `.meta` file's `routeCache.key`.
pub fn uses_route_cache_keys(next_version: &str) -> bool {
    match parse_version(next_version) {
        Some(v) => ((15, 5, 27)..(16, 0, 0)).contains(&v) || v >= (16, 3, 8),
        None => false,
    }
}

#[derive(Default, Debug)]
struct Artifact {
    legacy_key: String,
    files: BTreeMap<&'static str, PathBuf>,
}

fn ext_kind(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "meta" => "meta",
        "html" => "html",
        "json" => "json",
        "body" => "body",
        "rsc" => "rsc",
        _ => return None,
    })
}

/// Whether a file under `server/{pages,app,route-cache}` (path relative to that
/// directory) is a prerender output that goes into a `.cache` file: a `.html`,
/// `.json`, `.rsc`, `.body` or `.meta` file, or a `.segments/*.segment.rsc`
/// file, but not code, manifests, traces, or the `.html` of a fully static
/// pages-router page (`html_pages`, served from disk by Next).
pub fn is_prerender_output(rel: &str, is_pages: bool, html_pages: &std::collections::BTreeSet<String>) -> bool {
    if rel.ends_with(".js.nft.json") || rel.ends_with("-manifest.json") || (is_pages && rel.ends_with(".html") && html_pages.contains(rel))
    {
        return false;
    }
    if rel.ends_with(".segment.rsc") {
        return true;
    }
    rel.rsplit_once('.').is_some_and(|(_, ext)| ext_kind(ext).is_some())
}

/// Collects the cache artifacts under one `server/{pages,app}` directory.
fn collect(source: &Path, build: &NextBuild, is_pages: bool, key_prefix: &str) -> Vec<Artifact> {
    let mut map: BTreeMap<String, Artifact> = BTreeMap::new();
    for entry in walkdir::WalkDir::new(source).into_iter().filter_map(|e| e.ok()) {
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = rel_slash(entry.path().strip_prefix(source).unwrap_or(entry.path()));
        if rel.ends_with(".segment.rsc") || !is_prerender_output(&rel, is_pages, &build.html_pages) {
            continue;
        }
        let Some((stem, ext)) = rel.rsplit_once('.') else {
            continue;
        };
        let Some(kind) = ext_kind(ext) else { continue };
        let legacy_key = format!("{key_prefix}{}", stem.strip_suffix(".prefetch").unwrap_or(stem));
        let a = map.entry(legacy_key.clone()).or_insert_with(|| Artifact { legacy_key, files: BTreeMap::new() });
        a.files.entry(kind).or_insert_with(|| entry.path().to_path_buf());
    }
    map.into_values().collect()
}

fn read_text(p: &Path) -> Result<String> {
    std::fs::read_to_string(p).map_err(CoreError::io("read", p))
}

fn parse_json(p: &Path) -> Result<Value> {
    serde_json::from_str(&read_text(p)?).map_err(|e| CoreError::Json { path: p.to_path_buf(), message: e.to_string() })
}

/// Builds one cache file; returns (cache key, tag items).
fn write_artifact(a: &Artifact, out_root: &Path, build: &NextBuild, route_keys: bool, with_tags: bool) -> Result<Option<Vec<Value>>> {
    let meta = a.files.get("meta").map(|p| parse_json(p)).transpose()?;
    let key = meta
        .as_ref()
        .filter(|_| route_keys)
        .and_then(|m| m.pointer("/routeCache/key"))
        .and_then(Value::as_str)
        .map(|k| k.trim_start_matches(['/', '\\']).to_string())
        .unwrap_or_else(|| a.legacy_key.clone());
    // Refuse keys escaping the output directory.
    if key.split('/').any(|seg| seg == "..") || key.is_empty() {
        return Ok(None);
    }
    let mut obj = Map::new();
    let kind = if a.files.contains_key("body") {
        "route"
    } else if a.files.contains_key("json") {
        "page"
    } else {
        "app"
    };
    obj.insert("type".into(), json!(kind));
    if let Some(m) = &meta {
        obj.insert("meta".into(), m.clone());
    }
    if let Some(p) = a.files.get("html") {
        obj.insert("html".into(), json!(read_text(p)?));
    }
    if let Some(p) = a.files.get("json") {
        obj.insert("json".into(), parse_json(p)?);
    }
    if let Some(p) = a.files.get("rsc") {
        obj.insert("rsc".into(), json!(read_text(p)?));
    }
    if let Some(p) = a.files.get("body") {
        let bytes = std::fs::read(p).map_err(CoreError::io("read", p))?;
        let ct = meta.as_ref().and_then(|m| m.pointer("/headers/content-type")).and_then(Value::as_str);
        let body = if is_binary_content_type(ct) {
            base64::engine::general_purpose::STANDARD.encode(&bytes)
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        obj.insert("body".into(), json!(body));
    }
    if let (Some(m), Some(meta_path)) = (&meta, a.files.get("meta")) {
        if let Some(paths) = m.get("segmentPaths").and_then(Value::as_array) {
            let seg_dir = meta_path.with_extension("segments");
            let mut segs = Map::new();
            for sp in paths.iter().filter_map(Value::as_str) {
                let f = PathBuf::from(format!("{}{}.segment.rsc", seg_dir.display(), sp));
                segs.insert(sp.to_string(), json!(read_text(&f)?));
            }
            // A partially prerendered page under Next 16's segment cache has no `.rsc`:
            // its `/_full` segment is the route's whole static flight data, which the
            // cache entry then carries as `rsc` (what a prefetch without a segment
            // header is answered with, as OpenNext answers it; `next start` gives 404).
            if kind == "app" && !obj.contains_key("rsc") {
                if let Some(full) = segs.get("/_full") {
                    obj.insert("rsc".into(), full.clone());
                }
            }
            if !segs.is_empty() {
                obj.insert("segmentData".into(), Value::Object(segs));
            }
        }
    }
    let out = out_root.join(format!("{key}.cache"));
    write(&out, serde_json::to_vec(&Value::Object(obj)).expect("serializable"))?;
    let mut tags = Vec::new();
    if with_tags {
        if let Some(t) = meta.as_ref().and_then(|m| m.pointer("/headers/x-next-cache-tags")).and_then(Value::as_str) {
            for tag in t.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                tags.push(json!({
                    "tag": {"S": format!("{}/{}", build.cache_build_id, tag)},
                    "path": {"S": format!("{}/{}", build.cache_build_id, key)},
                    "revalidatedAt": {"N": "1"}
                }));
            }
        }
    }
    Ok(Some(tags))
}

/// Writes `cache/<buildId>/**.cache`, `cache/__fetch/<buildId>/**` and returns the
/// tag seed items. Keys use `deploymentId ?? BUILD_ID` everywhere.
pub fn create_cache_assets(build: &NextBuild, next_version: &str, out_dir: &Path, with_tags: bool) -> Result<CacheAssets> {
    let server = build.standalone_dist().join("server");
    let out_root = out_dir.join("cache").join(&build.cache_build_id);
    let route_keys = uses_route_cache_keys(next_version);
    let mut artifacts = Vec::new();
    // Next 16.4 with a deployment adapter writes prerenders under `server/route-cache/`
    // (their path is the route cache key); otherwise they sit in `server/{pages,app}`.
    for (dir, is_pages, prefix) in [("pages", true, ""), ("app", false, ""), ("route-cache", false, "route-cache/")] {
        let p = server.join(dir);
        if p.is_dir() {
            artifacts.extend(collect(&p, build, is_pages, prefix));
        }
    }
    let results: Vec<Option<Vec<Value>>> =
        artifacts.par_iter().map(|a| write_artifact(a, &out_root, build, route_keys, with_tags)).collect::<Result<_>>()?;
    let entries = results.iter().filter(|r| r.is_some()).count();
    let mut tag_items: Vec<Value> = results.into_iter().flatten().flatten().collect();

    // Fetch cache.
    let fetch_src = build.dist_dir.join("cache/fetch-cache");
    let mut fetch_entries = 0;
    if fetch_src.is_dir() {
        let fetch_out = out_dir.join("cache/__fetch").join(&build.cache_build_id);
        let files: Vec<PathBuf> = walkdir::WalkDir::new(&fetch_src)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect();
        let fetch_tags: Vec<Vec<Value>> = files
            .par_iter()
            .map(|f| -> Result<Vec<Value>> {
                let rel = rel_slash(f.strip_prefix(&fetch_src).expect("under root"));
                let bytes = std::fs::read(f).map_err(CoreError::io("read", f))?;
                write(&fetch_out.join(&rel), &bytes)?;
                let mut items = Vec::new();
                if with_tags {
                    if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                        for tag in v.get("tags").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                            items.push(json!({
                                "tag": {"S": format!("{}/{}", build.cache_build_id, tag)},
                                "path": {"S": format!("{}/{}", build.cache_build_id, rel)},
                                "revalidatedAt": {"N": "1"}
                            }));
                        }
                    }
                }
                Ok(items)
            })
            .collect::<Result<_>>()?;
        fetch_entries = files.len();
        tag_items.extend(fetch_tags.into_iter().flatten());
    }
    Ok(CacheAssets { entries, fetch_entries, tag_items })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_types() {
        assert!(is_binary_content_type(Some("image/png")));
        assert!(is_binary_content_type(Some("application/pdf; charset=binary")));
        assert!(!is_binary_content_type(Some("application/json")));
        assert!(!is_binary_content_type(None));
    }

    #[test]
    fn route_cache_key_versions() {
        assert!(uses_route_cache_keys("16.4.6"));
        assert!(uses_route_cache_keys("15.5.29"));
        assert!(!uses_route_cache_keys("15.5.26"));
        assert!(!uses_route_cache_keys("16.3.7"));
    }

    fn fake_build(root: &Path) -> NextBuild {
        NextBuild {
            dist_dir: root.join(".next"),
            standalone_dir: root.join(".next/standalone"),
            package_path: String::new(),
            build_id: "B1".into(),
            cache_build_id: "B1".into(),
            config: Value::Null,
            base_path: String::new(),
            html_pages: ["static.html".to_string()].into_iter().collect(),
            app_routes: vec![],
            pages_routes: vec![],
            adapter: None,
        }
    }

    #[test]
    fn merges_route_files() {
        let root = std::env::temp_dir().join(format!("onc-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let app = root.join(".next/standalone/.next/server/app");
        let pages = root.join(".next/standalone/.next/server/pages");
        write(&app.join("isr.html"), "<h1>isr</h1>").unwrap();
        write(&app.join("isr.rsc"), "0:rsc").unwrap();
        write(&app.join("isr.meta"), r#"{"headers":{"x-next-cache-tags":"a,b"},"segmentPaths":["/_tree"]}"#).unwrap();
        write(&app.join("isr.segments/_tree.segment.rsc"), "tree").unwrap();
        write(&app.join("api/img.body"), [0u8, 159, 146, 150]).unwrap();
        write(&app.join("api/img.meta"), r#"{"headers":{"content-type":"image/png"}}"#).unwrap();
        write(&app.join("ppr.html"), "<p>shell</p>").unwrap();
        write(&app.join("ppr.meta"), r#"{"postponed":"x","segmentPaths":["/_tree","/_full"]}"#).unwrap();
        write(&app.join("ppr.segments/_tree.segment.rsc"), "tree").unwrap();
        write(&app.join("ppr.segments/_full.segment.rsc"), "full").unwrap();
        write(&app.join("page.js"), "code").unwrap();
        write(&pages.join("ssg.html"), "<p>ssg</p>").unwrap();
        write(&pages.join("ssg.json"), r#"{"pageProps":{}}"#).unwrap();
        write(&pages.join("static.html"), "static").unwrap();
        write(&root.join(".next/cache/fetch-cache/abc"), r#"{"tags":["t1"]}"#).unwrap();
        let rc = root.join(".next/standalone/.next/server/route-cache/APP_PAGE/abc/$");
        write(&rc.join("blog.html"), "<p>blog</p>").unwrap();
        write(&rc.join("blog.meta"), r#"{"routeCache":{"key":"/route-cache/APP_PAGE/abc/$/blog"}}"#).unwrap();
        let out = root.join("out");
        let build = fake_build(&root);
        let res = create_cache_assets(&build, "16.0.0", &out, true).unwrap();
        assert_eq!(res.entries, 5);
        // Route-cache layout: the key is the path under server/, also without routeCache.key support.
        assert!(out.join("cache/B1/route-cache/APP_PAGE/abc/$/blog.cache").exists());
        assert_eq!(res.fetch_entries, 1);
        let isr: Value = serde_json::from_str(&std::fs::read_to_string(out.join("cache/B1/isr.cache")).unwrap()).unwrap();
        assert_eq!(isr["type"], "app");
        assert_eq!(isr["html"], "<h1>isr</h1>");
        assert_eq!(isr["segmentData"]["/_tree"], "tree");
        assert_eq!(isr["rsc"], "0:rsc", "the page's own .rsc");
        let ppr: Value = serde_json::from_str(&std::fs::read_to_string(out.join("cache/B1/ppr.cache")).unwrap()).unwrap();
        assert_eq!(ppr["rsc"], "full", "no .rsc (Next 16 PPR): the /_full segment");
        let img: Value = serde_json::from_str(&std::fs::read_to_string(out.join("cache/B1/api/img.cache")).unwrap()).unwrap();
        assert_eq!(img["type"], "route");
        assert_eq!(img["body"], "AJ+Slg==");
        let ssg: Value = serde_json::from_str(&std::fs::read_to_string(out.join("cache/B1/ssg.cache")).unwrap()).unwrap();
        assert_eq!(ssg["type"], "page");
        assert!(!out.join("cache/B1/static.cache").exists());
        assert!(out.join("cache/__fetch/B1/abc").exists());
        let tags: Vec<String> = res.tag_items.iter().map(|t| t["tag"]["S"].as_str().unwrap().to_string()).collect();
        assert_eq!(tags, vec!["B1/a", "B1/b", "B1/t1"]);
    }
}
