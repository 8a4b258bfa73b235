//! A thread-safe, memoising view of the file system (stat, readlink,
//! package.json reads), shared by every trace that uses the same [`TraceCache`].
//!
//! [`TraceCache`]: crate::TraceCache

use std::sync::Arc;

use dashmap::DashMap;
use serde_json::Value;

/// What `stat` (following symlinks) says about a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
    Other,
}

/// Memoised file-system queries. All keys are absolute, `/`-separated paths.
#[derive(Default)]
pub(crate) struct CachedFs {
    stat: DashMap<String, Option<Kind>>,
    link: DashMap<String, Option<String>>,
    pkg: DashMap<String, Option<Arc<Value>>>,
}

impl CachedFs {
    /// `fs.stat` (follows symlinks); `None` when the path does not exist.
    pub fn stat(&self, path: &str) -> Option<Kind> {
        if let Some(v) = self.stat.get(path) {
            return *v;
        }
        let v = std::fs::metadata(path).ok().map(|m| {
            if m.is_file() {
                Kind::File
            } else if m.is_dir() {
                Kind::Dir
            } else {
                Kind::Other
            }
        });
        self.stat.insert(path.to_string(), v);
        v
    }

    /// Whether `path` is a file (after following symlinks).
    pub fn is_file(&self, path: &str) -> bool {
        self.stat(path) == Some(Kind::File)
    }

    /// Whether `path` is a directory (after following symlinks).
    pub fn is_dir(&self, path: &str) -> bool {
        self.stat(path) == Some(Kind::Dir)
    }

    /// `fs.readlink`: the link's target text, or `None` when `path` is not a symlink.
    pub fn readlink(&self, path: &str) -> Option<String> {
        if let Some(v) = self.link.get(path) {
            return v.clone();
        }
        let v = std::fs::read_link(path).ok().map(|p| p.to_string_lossy().into_owned());
        self.link.insert(path.to_string(), v.clone());
        v
    }

    /// The parsed `<dir>/package.json`, or `None` when missing or not valid JSON.
    pub fn package_json(&self, dir: &str) -> Option<Arc<Value>> {
        if let Some(v) = self.pkg.get(dir) {
            return v.clone();
        }
        let file = format!("{dir}/package.json");
        let v = std::fs::read(&file).ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok()).map(Arc::new);
        self.pkg.insert(dir.to_string(), v.clone());
        v
    }

    /// Reads a whole source file as UTF-8 (lossy), `None` when missing or a
    /// directory. A file with a NUL byte in its first 8 KiB is binary and comes
    /// back empty with `true`, without being read further.
    pub fn read_source(&self, path: &str) -> Option<(String, bool)> {
        use std::io::Read;
        let mut f = std::fs::File::open(path).ok()?;
        let mut head = vec![0u8; 8192];
        let mut n = 0;
        while n < head.len() {
            match f.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(_) => return None,
            }
        }
        head.truncate(n);
        if head.contains(&0) {
            return Some((String::new(), true));
        }
        let mut bytes = head;
        f.read_to_end(&mut bytes).ok()?;
        Some((
            match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            },
            false,
        ))
    }

    /// Sorted directory entries (names), as libuv's `scandir` returns them.
    pub fn readdir(&self, dir: &str) -> Option<Vec<String>> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).ok()?.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        Some(names)
    }
}
