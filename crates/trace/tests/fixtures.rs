//! Runs every fixture directory of `__test__/trace/` (an entry, the files it
//! needs, optional `options.json`) and compares the traced file list with the
//! fixture's `output.json`, which @vercel/nft produced on the same directory
//! (`node __test__/trace/update-outputs.mjs`) and was then checked by hand.

use std::path::{Path, PathBuf};

use open_next_trace::{node_file_trace, ReasonKind, TraceCache, TraceOptions};
use serde_json::Value;

fn fixtures_root() -> PathBuf {
    // Read at run time, not `env!`: a test binary reused from a checkout elsewhere
    // (same target dir, unchanged sources) must still find this checkout's fixtures.
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test")).join("../../__test__/trace")
}

fn fixture_dirs() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(fixtures_root())
        .expect("__test__/trace exists")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.join("output.json").is_file())
        .collect();
    out.sort();
    out
}

fn options(dir: &Path) -> (PathBuf, TraceOptions) {
    let cfg: Value = std::fs::read(dir.join("options.json"))
        .ok()
        .map(|b| serde_json::from_slice(&b).expect("options.json is JSON"))
        .unwrap_or(Value::Null);
    let strs = |key: &str| -> Vec<String> {
        cfg.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    let mut opts = TraceOptions::new(dir);
    opts.ignore = strs("ignore");
    opts.conditions = strs("conditions");
    if let Some(c) = cfg.get("processCwd").and_then(Value::as_str) {
        opts.process_cwd = Some(dir.join(c));
    }
    if let Some(p) = cfg.get("platform").and_then(Value::as_str) {
        opts.platform = p.into();
    }
    if let Some(a) = cfg.get("arch").and_then(Value::as_str) {
        opts.arch = a.into();
    }
    let entry = dir.join(cfg.get("entry").and_then(Value::as_str).unwrap_or("input.js"));
    (entry, opts)
}

#[test]
fn fixtures_match_nft_outputs() {
    let dirs = fixture_dirs();
    assert!(dirs.len() >= 20, "expected the fixture directories, found {}", dirs.len());
    let cache = TraceCache::new();
    let mut failures = vec![];
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let expected: Vec<String> = serde_json::from_slice(&std::fs::read(dir.join("output.json")).unwrap()).expect("output.json");
        let (entry, opts) = options(dir);
        // twice: without a cache, and with a shared, warm one
        for cache in [None, Some(&cache), Some(&cache)] {
            let r = node_file_trace(std::slice::from_ref(&entry), &opts, cache).unwrap();
            let got: Vec<String> = r.files.keys().cloned().collect();
            if got != expected {
                failures.push(format!("{name}:\n  expected {expected:?}\n  got      {got:?}"));
                break;
            }
        }
    }
    assert!(failures.is_empty(), "fixtures differ from output.json:\n{}", failures.join("\n"));
}

#[test]
fn reasons_and_symlinks() {
    let dir = fixtures_root().join("pnpm-symlinks");
    let (entry, opts) = options(&dir);
    let r = node_file_trace(&[entry], &opts, None).unwrap();
    let link = &r.files["node_modules/a"];
    assert_eq!(link.kind, vec![ReasonKind::Resolve]);
    assert!(link.parents.contains("input.js"));
    let input = &r.files["input.js"];
    assert!(input.kind.contains(&ReasonKind::Initial));
    assert!(input.parents.is_empty());
    let real = &r.files["node_modules/.pnpm/a@1.0.0/node_modules/a/index.js"];
    assert_eq!(real.kind, vec![ReasonKind::Dependency]);
    assert!(real.parents.contains("input.js"));
}

#[test]
fn assets_and_sharedlibs_have_their_reasons() {
    let dir = fixtures_root().join("native-node-gyp-build");
    let (entry, opts) = options(&dir);
    let r = node_file_trace(&[entry], &opts, None).unwrap();
    let so = &r.files["node_modules/addon/prebuilds/linux-x64/libaddon.so.1"];
    assert_eq!(so.kind, vec![ReasonKind::Sharedlib]);
    assert!(so.parents.contains("node_modules/addon/prebuilds/linux-x64/addon.glibc.node"));
    // the same package traced for linux-arm64 picks the arm64 prebuild
    let mut arm = opts.clone();
    arm.arch = "arm64".into();
    let r = node_file_trace(&[dir.join("input.js")], &arm, None).unwrap();
    assert!(r.files.contains_key("node_modules/addon/prebuilds/linux-arm64/addon.glibc.node"));
    assert!(!r.files.contains_key("node_modules/addon/prebuilds/linux-x64/addon.glibc.node"));

    let dir = fixtures_root().join("fs-assets");
    let (entry, opts) = options(&dir);
    let r = node_file_trace(&[entry], &opts, None).unwrap();
    assert_eq!(r.files["assets/data.txt"].kind, vec![ReasonKind::Asset]);
}

#[test]
fn warnings_are_data() {
    let dir = fixtures_root().join("warnings");
    let (entry, opts) = options(&dir);
    let r = node_file_trace(&[entry], &opts, None).unwrap();
    let msgs: Vec<&str> = r.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(msgs.iter().any(|m| m.contains("Failed to resolve dependency \"missing-package\"")), "{msgs:?}");
    let parse = r.warnings.iter().find(|w| w.message.contains("Failed to parse")).expect("a parse warning");
    assert_eq!(parse.file.as_deref(), Some("broken.js"));
    assert_eq!(parse.line, Some(1));
}

#[test]
fn errors() {
    let dir = fixtures_root().join("require-basic");
    let opts = TraceOptions::new(&dir);
    let err = node_file_trace(&[dir.join("nope.js")], &opts, None).unwrap_err();
    assert!(matches!(err, open_next_trace::TraceError::EntryNotFound { .. }), "{err}");
    let bad = TraceOptions::new(dir.join("no-such-dir"));
    let err = node_file_trace(&[dir.join("input.js")], &bad, None).unwrap_err();
    assert!(matches!(err, open_next_trace::TraceError::InvalidBase { .. }), "{err}");
}
