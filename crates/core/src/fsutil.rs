//! Filesystem helpers: JSON reading, parallel tree copies that keep symlinks, and
//! an output directory that only appears once it is complete.

use crate::error::{CoreError, Result};
use rayon::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

/// Reads and parses a JSON file.
pub fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text = fs::read_to_string(path).map_err(CoreError::io("read", path))?;
    serde_json::from_str(&text).map_err(|e| CoreError::Json { path: path.to_path_buf(), message: e.to_string() })
}

/// Reads a file to a string.
pub fn read_string(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(CoreError::io("read", path))
}

/// Writes a file, creating parent directories. An existing file is replaced, not
/// written in place, so a file hard-linked by [`link_or_copy`] never changes its
/// source.
pub fn write(path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(CoreError::io("create directory", parent))?;
    }
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(CoreError::io("replace", path)(e)),
    }
    fs::write(path, contents).map_err(CoreError::io("write", path))
}

/// Whether output files may be hard links to the build's files (default yes;
/// `OPEN_NEXT_COPY_FILES=1` forces real copies).
fn hard_links_allowed() -> bool {
    static ALLOWED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ALLOWED.get_or_init(|| std::env::var_os("OPEN_NEXT_COPY_FILES").is_none_or(|v| v.is_empty() || v == "0"))
}

/// Puts `from` at `to` as a hard link when both are on one file system (no data
/// is copied: the output directory is a deployment artifact that is zipped or
/// uploaded, and everything this crate writes into it replaces files instead of
/// writing through them), else as a copy. Returns the file's size.
pub fn link_or_copy(from: &Path, to: &Path) -> std::io::Result<u64> {
    if hard_links_allowed() && fs::hard_link(from, to).is_ok() {
        return fs::metadata(to).map(|m| m.len());
    }
    fs::copy(from, to)
}

/// Creates a directory and its parents.
pub fn mkdirp(path: &Path) -> Result<()> {
    fs::create_dir_all(path).map_err(CoreError::io("create directory", path))
}

/// One entry found while walking a source tree.
#[derive(Debug, Clone)]
pub struct TreeEntry {
    /// Path relative to the copy root, with `/` separators.
    pub rel: String,
    /// Kind of entry.
    pub kind: EntryKind,
}

/// Kind of a [`TreeEntry`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link, with its target as stored on disk.
    Symlink(PathBuf),
}

/// Statistics of a tree copy.
#[derive(Debug, Default, Clone, Copy)]
pub struct CopyStats {
    /// Regular files copied.
    pub files: usize,
    /// Symlinks recreated.
    pub symlinks: usize,
    /// Bytes of regular files copied.
    pub bytes: u64,
}

/// Lists `src` recursively without following symlinks. `keep(rel, is_dir)` prunes
/// entries (and whole directories) for which it returns `false`.
pub fn list_tree(src: &Path, keep: &(dyn Fn(&str, bool) -> bool + Sync)) -> Result<Vec<TreeEntry>> {
    let mut out = Vec::new();
    let mut it = walkdir::WalkDir::new(src).follow_links(false).min_depth(1).into_iter();
    while let Some(entry) = it.next() {
        let entry = entry.map_err(|e| CoreError::Io {
            op: "walk",
            path: e.path().map(Path::to_path_buf).unwrap_or_else(|| src.to_path_buf()),
            source: e.into_io_error().unwrap_or_else(|| std::io::Error::other("walk error")),
        })?;
        let rel = rel_slash(entry.path().strip_prefix(src).unwrap_or(entry.path()));
        let ft = entry.file_type();
        if !keep(&rel, ft.is_dir()) {
            if ft.is_dir() {
                it.skip_current_dir();
            }
            continue;
        }
        let kind = if ft.is_symlink() {
            let target = fs::read_link(entry.path()).map_err(CoreError::io("read link", entry.path()))?;
            EntryKind::Symlink(target)
        } else if ft.is_dir() {
            EntryKind::Dir
        } else {
            EntryKind::File
        };
        out.push(TreeEntry { rel, kind });
    }
    Ok(out)
}

/// Copies the listed entries from `src` to `dst` in parallel, recreating symlinks
/// as symlinks (pnpm layouts keep working).
pub fn copy_entries(src: &Path, dst: &Path, entries: &[TreeEntry]) -> Result<CopyStats> {
    mkdirp(dst)?;
    // Directories first (sequentially, they are cheap), then files and links in parallel.
    for e in entries.iter().filter(|e| e.kind == EntryKind::Dir) {
        mkdirp(&dst.join(&e.rel))?;
    }
    let stats = entries
        .par_iter()
        .filter(|e| e.kind != EntryKind::Dir)
        .map(|e| -> Result<CopyStats> {
            let to = dst.join(&e.rel);
            if let Some(parent) = to.parent() {
                if !parent.exists() {
                    mkdirp(parent)?;
                }
            }
            match &e.kind {
                EntryKind::File => {
                    let from = src.join(&e.rel);
                    let bytes = link_or_copy(&from, &to).map_err(CoreError::io("copy", &from))?;
                    Ok(CopyStats { files: 1, symlinks: 0, bytes })
                }
                EntryKind::Symlink(target) => {
                    let _ = fs::remove_file(&to);
                    std::os::unix::fs::symlink(target, &to).map_err(CoreError::io("symlink", &to))?;
                    Ok(CopyStats { files: 0, symlinks: 1, bytes: 0 })
                }
                EntryKind::Dir => unreachable!(),
            }
        })
        .try_reduce(CopyStats::default, |a, b| {
            Ok(CopyStats { files: a.files + b.files, symlinks: a.symlinks + b.symlinks, bytes: a.bytes + b.bytes })
        })?;
    Ok(stats)
}

/// Copies a whole tree (see [`list_tree`] and [`copy_entries`]).
pub fn copy_tree(src: &Path, dst: &Path, keep: &(dyn Fn(&str, bool) -> bool + Sync)) -> Result<CopyStats> {
    let entries = list_tree(src, keep)?;
    copy_entries(src, dst, &entries)
}

/// Path relative to something, with `/` separators.
pub fn rel_slash(p: &Path) -> String {
    p.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// A staging directory that replaces `target` on [`StagingDir::commit`] and is
/// deleted if dropped before that, so a failed build never leaves a half-written output.
pub struct StagingDir {
    path: PathBuf,
    target: PathBuf,
    committed: bool,
    /// Deletion of the previous output, running while the new one is written.
    retiring: Option<std::thread::JoinHandle<()>>,
}

impl StagingDir {
    /// Creates a fresh staging directory next to `target`.
    pub fn new(target: &Path) -> Result<Self> {
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
        let parent = target.parent().unwrap_or(Path::new("."));
        let path = parent.join(format!("{name}.tmp-{}", std::process::id()));
        if path.exists() {
            fs::remove_dir_all(&path).map_err(CoreError::io("remove", &path))?;
        }
        mkdirp(&path)?;
        Ok(Self { path, target: target.to_path_buf(), committed: false, retiring: None })
    }

    /// The staging directory to write into.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the previous output (if any) aside and deletes it on a background
    /// thread while the new output is written (deleting tens of thousands of
    /// files costs seconds). Call once the inputs are known to be good: from here
    /// on a failed build leaves no output at all (never a half-written one), as
    /// OpenNext, which deletes its output when it starts.
    pub fn retire_previous(&mut self) -> Result<()> {
        if self.retiring.is_some() || fs::symlink_metadata(&self.target).is_err() {
            return Ok(());
        }
        let old = self.target.with_file_name(format!(
            "{}.old-{}",
            self.target.file_name().unwrap_or_default().to_string_lossy(),
            std::process::id()
        ));
        if old.exists() {
            let _ = fs::remove_dir_all(&old);
        }
        fs::rename(&self.target, &old).map_err(CoreError::io("rename", &self.target))?;
        self.retiring = Some(std::thread::spawn(move || {
            let _ = fs::remove_dir_all(&old);
        }));
        Ok(())
    }

    fn wait_for_retired(&mut self) {
        if let Some(h) = self.retiring.take() {
            let _ = h.join();
        }
    }

    /// Atomically moves the staging directory into place, replacing the old output
    /// (moved aside first, if [`StagingDir::retire_previous`] has not done it yet).
    pub fn commit(mut self) -> Result<()> {
        self.retire_previous()?;
        fs::rename(&self.path, &self.target).map_err(CoreError::io("rename", &self.path))?;
        self.committed = true;
        self.wait_for_retired();
        Ok(())
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.path);
        }
        self.wait_for_retired();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("onc-fsutil-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn copy_tree_keeps_symlinks_and_prunes() {
        let src = tmp("src");
        write(&src.join("a/b.txt"), "b").unwrap();
        write(&src.join("skip/c.txt"), "c").unwrap();
        std::os::unix::fs::symlink("a/b.txt", src.join("link")).unwrap();
        let dst = tmp("dst");
        let stats = copy_tree(&src, &dst, &|rel, _| rel != "skip").unwrap();
        assert_eq!(stats.files, 1);
        assert_eq!(stats.symlinks, 1);
        assert_eq!(fs::read_link(dst.join("link")).unwrap(), PathBuf::from("a/b.txt"));
        assert_eq!(fs::read_to_string(dst.join("link")).unwrap(), "b");
        assert!(!dst.join("skip").exists());
    }

    #[test]
    fn linked_copies_never_write_through_to_the_source() {
        use std::os::unix::fs::MetadataExt;
        let src = tmp("lsrc");
        write(&src.join("m/index.js"), "original").unwrap();
        let dst = tmp("ldst");
        copy_tree(&src, &dst, &|_, _| true).unwrap();
        let (a, b) = (fs::metadata(src.join("m/index.js")).unwrap(), fs::metadata(dst.join("m/index.js")).unwrap());
        // Same file system here: a hard link, no data copied.
        assert_eq!((a.dev(), a.ino()), (b.dev(), b.ino()));
        // Writing the output (a patch, a generated file) replaces it.
        write(&dst.join("m/index.js"), "patched").unwrap();
        assert_eq!(fs::read_to_string(src.join("m/index.js")).unwrap(), "original");
        assert_eq!(fs::read_to_string(dst.join("m/index.js")).unwrap(), "patched");
    }

    #[test]
    fn previous_output_is_deleted_while_the_new_one_is_written() {
        let root = tmp("retire");
        let target = root.join("out");
        write(&target.join("old/file"), "old").unwrap();
        let mut s = StagingDir::new(&target).unwrap();
        s.retire_previous().unwrap();
        assert!(!target.exists(), "the previous output is moved aside at once");
        write(&s.path().join("new"), "new").unwrap();
        s.commit().unwrap();
        assert_eq!(fs::read_to_string(target.join("new")).unwrap(), "new");
        let mut left: Vec<_> = fs::read_dir(&root).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(left, vec!["out".to_string()], "no staging or retired directory is left");
    }

    #[test]
    fn staging_dir_is_removed_unless_committed() {
        let root = tmp("stage");
        let target = root.join("out");
        {
            let s = StagingDir::new(&target).unwrap();
            write(&s.path().join("x"), "1").unwrap();
        }
        assert!(!target.exists());
        assert_eq!(fs::read_dir(&root).unwrap().count(), 0);
        write(&target.join("old"), "old").unwrap();
        let s = StagingDir::new(&target).unwrap();
        write(&s.path().join("new"), "new").unwrap();
        s.commit().unwrap();
        assert!(target.join("new").exists());
        assert!(!target.join("old").exists());
    }
}
