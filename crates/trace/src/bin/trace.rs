//! `trace`: runs [`open_next_trace::node_file_trace`] and prints the result as
//! JSON (for the differential tests and benchmarks against @vercel/nft).
//!
//! ```text
//! trace [--base DIR] [--cwd DIR] [--ignore GLOB]... [--condition NAME]...
//!       [--platform P] [--arch A] [--no-ts] [--module-sync] [--repeat N] [--quiet] ENTRY...
//! ```
//!
//! Prints `{"fileList": [...], "reasons": {...}, "esmFileList": [...],
//! "warnings": [...], "ms": <last run>}`; with `--quiet` only
//! `{"files": <count>, "ms": ...}`. `--repeat N` traces N times with one
//! shared cache (to measure warm runs).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use open_next_trace::{node_file_trace, TraceCache, TraceOptions};
use serde_json::json;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut base: Option<PathBuf> = None;
    let mut cwd: Option<PathBuf> = None;
    let mut ignore = vec![];
    let mut conditions = vec![];
    let mut entries = vec![];
    let mut platform = None;
    let mut arch = None;
    let mut ts = true;
    let mut module_sync = false;
    let mut repeat = 1usize;
    let mut quiet = false;
    while let Some(a) = args.next() {
        let mut val = |name: &str| {
            args.next().unwrap_or_else(|| {
                eprintln!("trace: {name} needs a value");
                std::process::exit(2)
            })
        };
        match a.as_str() {
            "--base" => base = Some(val("--base").into()),
            "--cwd" => cwd = Some(val("--cwd").into()),
            "--ignore" => ignore.push(val("--ignore")),
            "--condition" => conditions.push(val("--condition")),
            "--platform" => platform = Some(val("--platform")),
            "--arch" => arch = Some(val("--arch")),
            "--repeat" => repeat = val("--repeat").parse().unwrap_or(1).max(1),
            "--no-ts" => ts = false,
            "--module-sync" => module_sync = true,
            "--quiet" => quiet = true,
            "-h" | "--help" => {
                println!("usage: trace [--base DIR] [--cwd DIR] [--ignore GLOB]... [--condition NAME]... [--platform P] [--arch A] [--no-ts] [--module-sync] [--repeat N] [--quiet] ENTRY...");
                return ExitCode::SUCCESS;
            }
            _ => entries.push(PathBuf::from(a)),
        }
    }
    if entries.is_empty() {
        eprintln!("trace: no entry files given (see --help)");
        return ExitCode::from(2);
    }
    let base = base.unwrap_or_else(|| std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")));
    let mut opts = TraceOptions::new(base);
    opts.process_cwd = cwd;
    opts.ignore = ignore;
    opts.conditions = conditions;
    opts.ts = ts;
    opts.module_sync = module_sync;
    if let Some(p) = platform {
        opts.platform = p;
    }
    if let Some(a) = arch {
        opts.arch = a;
    }
    let cache = TraceCache::new();
    let mut last = None;
    let mut ms = 0.0;
    for _ in 0..repeat {
        let t0 = Instant::now();
        match node_file_trace(&entries, &opts, Some(&cache)) {
            Ok(r) => last = Some(r),
            Err(e) => {
                eprintln!("trace: {e}");
                return ExitCode::FAILURE;
            }
        }
        ms = t0.elapsed().as_secs_f64() * 1000.0;
    }
    let Some(r) = last else { return ExitCode::FAILURE };
    let out = if quiet {
        json!({ "files": r.files.len(), "ms": ms })
    } else {
        json!({
            "fileList": r.files.keys().collect::<Vec<_>>(),
            "reasons": r.files,
            "esmFileList": r.esm_files,
            "warnings": r.warnings,
            "ms": ms,
        })
    };
    println!("{out}");
    ExitCode::SUCCESS
}
