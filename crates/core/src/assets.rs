//! Static assets: `BUILD_ID`, `.next/static/**` as `_next/static/**`, `public/**`
//! and the app-router `favicon.ico`, copied in parallel into `assets/`.

use crate::error::{CoreError, Result};
use crate::fsutil::{copy_tree, mkdirp, CopyStats};
use crate::next_app::{NextApp, NextBuild};
use std::path::Path;

/// Copies the static assets of `build` into `out_dir/assets`.
pub fn create_static_assets(app: &NextApp, build: &NextBuild, out_dir: &Path) -> Result<CopyStats> {
    let assets = out_dir.join("assets");
    mkdirp(&assets)?;
    std::fs::copy(build.dist_dir.join("BUILD_ID"), assets.join("BUILD_ID"))
        .map_err(CoreError::io("copy", build.dist_dir.join("BUILD_ID")))?;
    let (a, b) = rayon::join(
        || copy_tree(&build.dist_dir.join("static"), &assets.join("_next/static"), &|_, _| true),
        || {
            let public = app.app_dir.join("public");
            if public.is_dir() {
                // Public files are served as plain objects: resolve symlinks.
                copy_public(&public, &assets)
            } else {
                Ok(CopyStats::default())
            }
        },
    );
    let (a, b) = (a?, b?);
    for src in ["src/app/favicon.ico", "app/favicon.ico"] {
        let p = app.app_dir.join(src);
        if p.is_file() {
            std::fs::copy(&p, assets.join("favicon.ico")).map_err(CoreError::io("copy", &p))?;
            break;
        }
    }
    Ok(CopyStats { files: a.files + b.files + 1, symlinks: 0, bytes: a.bytes + b.bytes })
}

fn copy_public(public: &Path, assets: &Path) -> Result<CopyStats> {
    use rayon::prelude::*;
    let files: Vec<_> = walkdir::WalkDir::new(public)
        .follow_links(true)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files
        .par_iter()
        .map(|f| {
            let rel = f.strip_prefix(public).expect("walk stays under root");
            let to = assets.join(rel);
            if let Some(parent) = to.parent() {
                mkdirp(parent)?;
            }
            let bytes = crate::fsutil::link_or_copy(f, &to).map_err(CoreError::io("copy", f))?;
            Ok(CopyStats { files: 1, symlinks: 0, bytes })
        })
        .try_reduce(CopyStats::default, |a, b| Ok(CopyStats { files: a.files + b.files, symlinks: 0, bytes: a.bytes + b.bytes }))
}
