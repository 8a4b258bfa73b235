//! POSIX path functions with exactly Node's `path.posix` semantics.
//!
//! The tracer works on `String` paths (as @vercel/nft does), so these are
//! ports of Node's `lib/path.js` rather than `std::path` wrappers: the static
//! evaluator must return what `path.join(__dirname, 'x')` returns in Node.

/// Node's `normalizeString` for POSIX.
fn normalize_string(path: &str, allow_above_root: bool) -> String {
    let mut res = String::new();
    let mut last_segment_length: isize = 0;
    let mut last_slash: isize = -1;
    let mut dots: isize = 0;
    let bytes = path.as_bytes();
    let len = bytes.len() as isize;
    let mut i: isize = 0;
    while i <= len {
        let code = if i < len { bytes[i as usize] } else { b'/' };
        if code == b'/' {
            if last_slash == i - 1 || dots == 1 {
                // NOOP
            } else if dots == 2 {
                if res.len() < 2 || last_segment_length != 2 || !res.ends_with("..") {
                    if res.len() > 2 {
                        match res.rfind('/') {
                            None => {
                                res.clear();
                                last_segment_length = 0;
                            }
                            Some(idx) => {
                                res.truncate(idx);
                                last_segment_length = res.len() as isize - 1 - res.rfind('/').map_or(-1, |x| x as isize);
                            }
                        }
                        last_slash = i;
                        dots = 0;
                        i += 1;
                        continue;
                    } else if !res.is_empty() {
                        res.clear();
                        last_segment_length = 0;
                        last_slash = i;
                        dots = 0;
                        i += 1;
                        continue;
                    }
                }
                if allow_above_root {
                    if !res.is_empty() {
                        res.push_str("/..");
                    } else {
                        res.push_str("..");
                    }
                    last_segment_length = 2;
                }
            } else {
                let seg = &path[(last_slash + 1) as usize..i as usize];
                if !res.is_empty() {
                    res.push('/');
                }
                res.push_str(seg);
                last_segment_length = i - last_slash - 1;
            }
            last_slash = i;
            dots = 0;
        } else if code == b'.' && dots != -1 {
            dots += 1;
        } else {
            dots = -1;
        }
        i += 1;
    }
    res
}

/// `path.resolve(cwd, ...parts)`: `cwd` plays the role of `process.cwd()`.
pub fn resolve_from(cwd: &str, parts: &[&str]) -> String {
    let mut resolved = String::new();
    let mut absolute = false;
    let mut i = parts.len() as isize - 1;
    while i >= -1 && !absolute {
        let p = if i >= 0 { parts[i as usize] } else { cwd };
        i -= 1;
        if p.is_empty() {
            continue;
        }
        resolved = if resolved.is_empty() { p.to_string() } else { format!("{p}/{resolved}") };
        absolute = p.starts_with('/');
    }
    let normalized = normalize_string(&resolved, !absolute);
    if absolute {
        format!("/{normalized}")
    } else if normalized.is_empty() {
        ".".to_string()
    } else {
        normalized
    }
}

/// `path.resolve(a, b)` for an absolute `a`.
pub fn resolve2(a: &str, b: &str) -> String {
    resolve_from("/", &[a, b])
}

/// `path.normalize(p)`.
pub fn normalize(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let is_abs = p.starts_with('/');
    let trailing = p.ends_with('/');
    let mut out = normalize_string(p, !is_abs);
    if out.is_empty() {
        if is_abs {
            return "/".into();
        }
        return if trailing { "./".into() } else { ".".into() };
    }
    if trailing {
        out.push('/');
    }
    if is_abs {
        format!("/{out}")
    } else {
        out
    }
}

/// `path.join(...parts)`.
pub fn join(parts: &[&str]) -> String {
    let mut joined = String::new();
    for p in parts {
        if p.is_empty() {
            continue;
        }
        if joined.is_empty() {
            joined.push_str(p);
        } else {
            joined.push('/');
            joined.push_str(p);
        }
    }
    if joined.is_empty() {
        return ".".into();
    }
    normalize(&joined)
}

/// `path.join(a, b)`.
pub fn join2(a: &str, b: &str) -> String {
    join(&[a, b])
}

/// `path.isAbsolute(p)`.
pub fn is_absolute(p: &str) -> bool {
    p.starts_with('/')
}

/// `path.dirname(p)`.
pub fn dirname(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let b = p.as_bytes();
    let has_root = b[0] == b'/';
    let mut end: isize = -1;
    let mut matched_slash = true;
    let mut i = b.len() as isize - 1;
    while i >= 1 {
        if b[i as usize] == b'/' {
            if !matched_slash {
                end = i;
                break;
            }
        } else {
            matched_slash = false;
        }
        i -= 1;
    }
    if end == -1 {
        return if has_root { "/".into() } else { ".".into() };
    }
    if has_root && end == 1 {
        return "//".into();
    }
    p[..end as usize].to_string()
}

/// `path.basename(p, ext)`.
pub fn basename(p: &str, ext: Option<&str>) -> String {
    let b = p.as_bytes();
    let mut start = 0usize;
    let mut end: isize = -1;
    let mut matched_slash = true;
    if let Some(ext) = ext {
        if !ext.is_empty() && ext.len() <= p.len() {
            if ext == p {
                return String::new();
            }
            let eb = ext.as_bytes();
            let mut ext_idx: isize = eb.len() as isize - 1;
            let mut first_non_slash_end: isize = -1;
            let mut i = b.len() as isize - 1;
            while i >= 0 {
                let code = b[i as usize];
                if code == b'/' {
                    if !matched_slash {
                        start = (i + 1) as usize;
                        break;
                    }
                } else {
                    if first_non_slash_end == -1 {
                        matched_slash = false;
                        first_non_slash_end = i + 1;
                    }
                    if ext_idx >= 0 {
                        if code == eb[ext_idx as usize] {
                            ext_idx -= 1;
                            if ext_idx == -1 {
                                end = i;
                            }
                        } else {
                            ext_idx = -1;
                            end = first_non_slash_end;
                        }
                    }
                }
                i -= 1;
            }
            if start as isize == end {
                end = first_non_slash_end;
            } else if end == -1 {
                end = b.len() as isize;
            }
            return p[start..end as usize].to_string();
        }
    }
    let mut i = b.len() as isize - 1;
    while i >= 0 {
        if b[i as usize] == b'/' {
            if !matched_slash {
                start = (i + 1) as usize;
                break;
            }
        } else if end == -1 {
            matched_slash = false;
            end = i + 1;
        }
        i -= 1;
    }
    if end == -1 {
        return String::new();
    }
    p[start..end as usize].to_string()
}

/// `path.extname(p)`.
pub fn extname(p: &str) -> &str {
    let b = p.as_bytes();
    let mut start_dot: isize = -1;
    let mut start_part: isize = 0;
    let mut end: isize = -1;
    let mut matched_slash = true;
    let mut pre_dot_state = 0;
    let mut i = b.len() as isize - 1;
    while i >= 0 {
        let code = b[i as usize];
        if code == b'/' {
            if !matched_slash {
                start_part = i + 1;
                break;
            }
            i -= 1;
            continue;
        }
        if end == -1 {
            matched_slash = false;
            end = i + 1;
        }
        if code == b'.' {
            if start_dot == -1 {
                start_dot = i;
            } else if pre_dot_state != 1 {
                pre_dot_state = 1;
            }
        } else if start_dot != -1 {
            pre_dot_state = -1;
        }
        i -= 1;
    }
    if start_dot == -1 || end == -1 || pre_dot_state == 0 || (pre_dot_state == 1 && start_dot == end - 1 && start_dot == start_part + 1) {
        return "";
    }
    &p[start_dot as usize..end as usize]
}

/// `path.relative(from, to)` for paths resolved against `cwd`.
pub fn relative_from(cwd: &str, from: &str, to: &str) -> String {
    if from == to {
        return String::new();
    }
    let from = resolve_from(cwd, &[from]);
    let to = resolve_from(cwd, &[to]);
    if from == to {
        return String::new();
    }
    let from_start = 1;
    let from_end = from.len();
    let from_len = from_end - from_start;
    let to_start = 1;
    let to_len = to.len() - to_start;
    let length = from_len.min(to_len);
    let fb = from.as_bytes();
    let tb = to.as_bytes();
    let mut last_common_sep: isize = -1;
    let mut i = 0usize;
    while i < length {
        let fc = fb[from_start + i];
        if fc != tb[to_start + i] {
            break;
        } else if fc == b'/' {
            last_common_sep = i as isize;
        }
        i += 1;
    }
    if i == length {
        if to_len > length {
            if tb[to_start + i] == b'/' {
                return to[to_start + i + 1..].to_string();
            }
            if i == 0 {
                return to[to_start + i..].to_string();
            }
        } else if from_len > length {
            if fb[from_start + i] == b'/' {
                last_common_sep = i as isize;
            } else if i == 0 {
                last_common_sep = 0;
            }
        }
    }
    let mut out = String::new();
    let mut j = from_start as isize + last_common_sep + 1;
    while j <= from_end as isize {
        if j == from_end as isize || fb[j as usize] == b'/' {
            if out.is_empty() {
                out.push_str("..");
            } else {
                out.push_str("/..");
            }
        }
        j += 1;
    }
    let rest_start = (to_start as isize + last_common_sep) as usize;
    format!("{out}{}", &to[rest_start..])
}

/// `path.relative(from, to)` for absolute paths.
pub fn relative(from: &str, to: &str) -> String {
    relative_from("/", from, to)
}

/// Whether `path` lies strictly inside directory `parent` (nft's `inPath`).
pub fn in_path(path: &str, parent: &str) -> bool {
    let with_sep = join2(parent, "/");
    path.starts_with(&with_sep) && path != with_sep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_path_semantics() {
        assert_eq!(join(&["/a/b", "../c", "./d/"]), "/a/c/d/");
        assert_eq!(join(&["a", "", "b"]), "a/b");
        assert_eq!(join(&[]), ".");
        assert_eq!(resolve_from("/cwd", &["x", "../y"]), "/cwd/y");
        assert_eq!(resolve_from("/cwd", &["/abs", "z/"]), "/abs/z");
        assert_eq!(normalize("/a//b/../c/."), "/a/c");
        assert_eq!(normalize("../x/.."), "..");
        assert_eq!(dirname("/a/b/c.js"), "/a/b");
        assert_eq!(dirname("/a"), "/");
        assert_eq!(dirname("a"), ".");
        assert_eq!(basename("/a/b/c.js", None), "c.js");
        assert_eq!(basename("/a/b/c.js", Some(".js")), "c");
        assert_eq!(basename("/a/b/", None), "b");
        assert_eq!(extname("/a/b.c.js"), ".js");
        assert_eq!(extname("/a/.bashrc"), "");
        assert_eq!(extname("/a/b."), ".");
        assert_eq!(relative("/a/b/c", "/a/d"), "../../d");
        assert_eq!(relative("/a", "/a/b/c"), "b/c");
        assert_eq!(relative("/a/b", "/x"), "../../x");
        assert_eq!(relative("/", "/x/y"), "x/y");
        assert!(in_path("/a/b", "/a"));
        assert!(!in_path("/ab", "/a"));
    }
}
