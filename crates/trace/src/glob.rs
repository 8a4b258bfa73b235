//! Glob matching and directory globbing with the minimatch / picomatch
//! semantics @vercel/nft relies on: `*`, `?`, `**`, `[...]`, `{a,b}` and the
//! extglobs `?(..)`, `*(..)`, `+(..)`, `@(..)`, `!(..)`; dot files only match
//! an explicit leading `.` unless `dot` is set.

use std::collections::BTreeSet;

#[derive(Clone, Debug)]
enum Tok {
    Lit(char),
    Star,
    One,
    Class { neg: bool, items: Vec<(char, char)> },
    Ext { kind: char, alts: Vec<Vec<Tok>> },
}

#[derive(Clone, Debug)]
enum Seg {
    Globstar,
    Pat(Vec<Tok>),
}

/// A compiled glob pattern (one brace alternative per entry).
#[derive(Clone, Debug)]
pub struct Glob {
    alts: Vec<Vec<Seg>>,
    dot: bool,
}

fn expand_braces(p: &str) -> Vec<String> {
    // find the first top-level {..,..} group
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '{' => {
                let mut depth = 0;
                let mut j = i;
                let mut commas = vec![];
                while j < chars.len() {
                    match chars[j] {
                        '\\' => j += 1,
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        ',' if depth == 1 => commas.push(j),
                        _ => {}
                    }
                    j += 1;
                }
                if j >= chars.len() || commas.is_empty() {
                    i += 1;
                    continue;
                }
                let pre: String = chars[..i].iter().collect();
                let post: String = chars[j + 1..].iter().collect();
                let mut out = vec![];
                let mut start = i + 1;
                for end in commas.iter().copied().chain(std::iter::once(j)) {
                    let mid: String = chars[start..end].iter().collect();
                    for e in expand_braces(&format!("{pre}{mid}{post}")) {
                        out.push(e);
                    }
                    start = end + 1;
                }
                return out;
            }
            _ => i += 1,
        }
    }
    vec![p.to_string()]
}

fn parse_toks(chars: &[char], i: &mut usize, stop_at_alt: bool) -> Vec<Tok> {
    let mut out = vec![];
    while *i < chars.len() {
        let c = chars[*i];
        if stop_at_alt && (c == '|' || c == ')') {
            return out;
        }
        let next = chars.get(*i + 1).copied();
        if matches!(c, '?' | '*' | '+' | '@' | '!') && next == Some('(') {
            // extglob: find alternatives
            *i += 2;
            let mut alts = vec![];
            loop {
                let alt = parse_toks(chars, i, true);
                alts.push(alt);
                if *i >= chars.len() {
                    break;
                }
                if chars[*i] == '|' {
                    *i += 1;
                    continue;
                }
                // ')'
                *i += 1;
                break;
            }
            out.push(Tok::Ext { kind: c, alts });
            continue;
        }
        match c {
            '\\' => {
                if let Some(n) = next {
                    out.push(Tok::Lit(n));
                    *i += 2;
                } else {
                    *i += 1;
                }
            }
            '*' => {
                while *i < chars.len() && chars[*i] == '*' {
                    *i += 1;
                }
                out.push(Tok::Star);
            }
            '?' => {
                out.push(Tok::One);
                *i += 1;
            }
            '[' => {
                let mut j = *i + 1;
                let neg = matches!(chars.get(j), Some('!') | Some('^'));
                if neg {
                    j += 1;
                }
                let start = j;
                let mut items = vec![];
                let mut closed = false;
                while j < chars.len() {
                    if chars[j] == ']' && j > start {
                        closed = true;
                        break;
                    }
                    let lo = chars[j];
                    if chars.get(j + 1) == Some(&'-') && chars.get(j + 2).is_some_and(|c| *c != ']') {
                        items.push((lo, chars[j + 2]));
                        j += 3;
                    } else {
                        items.push((lo, lo));
                        j += 1;
                    }
                }
                if closed {
                    out.push(Tok::Class { neg, items });
                    *i = j + 1;
                } else {
                    out.push(Tok::Lit('['));
                    *i += 1;
                }
            }
            _ => {
                out.push(Tok::Lit(c));
                *i += 1;
            }
        }
    }
    out
}

fn match_toks(toks: &[Tok], s: &[char]) -> bool {
    match toks.first() {
        None => s.is_empty(),
        Some(Tok::Lit(c)) => s.first() == Some(c) && match_toks(&toks[1..], &s[1..]),
        Some(Tok::One) => !s.is_empty() && match_toks(&toks[1..], &s[1..]),
        Some(Tok::Class { neg, items }) => {
            if let Some(c) = s.first() {
                let hit = items.iter().any(|(lo, hi)| c >= lo && c <= hi);
                hit != *neg && match_toks(&toks[1..], &s[1..])
            } else {
                false
            }
        }
        Some(Tok::Star) => (0..=s.len()).any(|k| match_toks(&toks[1..], &s[k..])),
        Some(Tok::Ext { kind, alts }) => {
            let rest = &toks[1..];
            match kind {
                '@' => alts.iter().any(|a| (0..=s.len()).any(|k| match_toks(a, &s[..k]) && match_toks(rest, &s[k..]))),
                '?' => {
                    match_toks(rest, s) || alts.iter().any(|a| (0..=s.len()).any(|k| match_toks(a, &s[..k]) && match_toks(rest, &s[k..])))
                }
                '*' | '+' => {
                    if *kind == '*' && match_toks(rest, s) {
                        return true;
                    }
                    // one or more repetitions
                    (1..=s.len()).any(|k| {
                        alts.iter().any(|a| match_toks(a, &s[..k]))
                            && (match_toks(rest, &s[k..])
                                || match_toks(
                                    &std::iter::once(Tok::Ext { kind: '+', alts: alts.clone() })
                                        .chain(rest.iter().cloned())
                                        .collect::<Vec<_>>(),
                                    &s[k..],
                                ))
                    })
                }
                _ => {
                    // '!': anything that is not one of the alternatives
                    (0..=s.len()).any(|k| !alts.iter().any(|a| match_toks(a, &s[..k])) && match_toks(rest, &s[k..]))
                }
            }
        }
    }
}

impl Glob {
    /// Compiles `pattern`; `dot` lets wildcards match names starting with `.`.
    pub fn new(pattern: &str, dot: bool) -> Glob {
        let alts = expand_braces(pattern)
            .into_iter()
            .map(|p| {
                let mut segs: Vec<Seg> = vec![];
                for part in p.split('/') {
                    if part == "**" {
                        if !matches!(segs.last(), Some(Seg::Globstar)) {
                            segs.push(Seg::Globstar);
                        }
                        continue;
                    }
                    let chars: Vec<char> = part.chars().collect();
                    let mut i = 0;
                    segs.push(Seg::Pat(parse_toks(&chars, &mut i, false)));
                }
                segs
            })
            .collect();
        Glob { alts, dot }
    }

    fn seg_match(&self, toks: &[Tok], name: &str) -> bool {
        if name == "." || name == ".." {
            return toks.iter().all(|t| matches!(t, Tok::Lit(_)))
                && toks.iter().map(|t| if let Tok::Lit(c) = t { *c } else { ' ' }).collect::<String>() == name;
        }
        if name.starts_with('.') && !self.dot && !matches!(toks.first(), Some(Tok::Lit('.'))) {
            return false;
        }
        let chars: Vec<char> = name.chars().collect();
        match_toks(toks, &chars)
    }

    fn match_segs(&self, segs: &[Seg], parts: &[&str]) -> bool {
        match segs.first() {
            None => parts.is_empty(),
            Some(Seg::Globstar) => {
                if self.match_segs(&segs[1..], parts) {
                    return true;
                }
                for k in 0..parts.len() {
                    let p = parts[k];
                    if p == "." || p == ".." || (p.starts_with('.') && !self.dot) {
                        return false;
                    }
                    if self.match_segs(&segs[1..], &parts[k + 1..]) {
                        return true;
                    }
                }
                false
            }
            Some(Seg::Pat(t)) => !parts.is_empty() && self.seg_match(t, parts[0]) && self.match_segs(&segs[1..], &parts[1..]),
        }
    }

    /// Whether the whole `/`-separated `path` matches.
    pub fn is_match(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').collect();
        self.alts.iter().any(|a| self.match_segs(a, &parts))
    }

    /// Files under the absolute directory `dir` whose `dir`-relative path
    /// matches this (relative) pattern, like node-glob with `nodir` and an
    /// ignore of `dir/**/node_modules/**/*`. Symlinked directories are not
    /// crawled by `**`.
    pub fn walk(&self, dir: &str, out: &mut BTreeSet<String>) {
        for alt in &self.alts {
            self.walk_segs(alt, dir, out);
        }
    }

    fn walk_segs(&self, segs: &[Seg], dir: &str, out: &mut BTreeSet<String>) {
        let Some(first) = segs.first() else { return };
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        let mut entries: Vec<(String, std::fs::FileType)> =
            rd.filter_map(|e| e.ok()).filter_map(|e| Some((e.file_name().to_string_lossy().into_owned(), e.file_type().ok()?))).collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        match first {
            Seg::Globstar => {
                // zero segments
                self.walk_segs(&segs[1..], dir, out);
                for (name, ft) in &entries {
                    if name == "node_modules" || (name.starts_with('.') && !self.dot) {
                        continue;
                    }
                    if ft.is_dir() {
                        self.walk_segs(segs, &format!("{dir}/{name}"), out);
                    }
                }
            }
            Seg::Pat(toks) => {
                let last = segs.len() == 1;
                // a literal segment does not need a listing
                for (name, ft) in &entries {
                    if !self.seg_match(toks, name) {
                        continue;
                    }
                    let full = format!("{dir}/{name}");
                    let is_dir = if ft.is_symlink() { std::fs::metadata(&full).map(|m| m.is_dir()).unwrap_or(false) } else { ft.is_dir() };
                    if last {
                        if !is_dir {
                            out.insert(full);
                        }
                    } else if is_dir && name != "node_modules" {
                        self.walk_segs(&segs[1..], &full, out);
                    }
                }
            }
        }
    }
}

/// Matches paths against a list of globs (picomatch `isMatch` semantics, `dot: false`).
#[derive(Clone, Debug, Default)]
pub struct GlobSet {
    globs: Vec<Glob>,
}

impl GlobSet {
    /// Compiles each pattern.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> GlobSet {
        GlobSet { globs: patterns.iter().map(|p| Glob::new(p.as_ref(), false)).collect() }
    }

    /// Whether any pattern matches `path`.
    pub fn is_match(&self, path: &str) -> bool {
        self.globs.iter().any(|g| g.is_match(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching() {
        let g = Glob::new("**/*.so?(.*)", true);
        assert!(g.is_match("a/b/libx.so"));
        assert!(g.is_match("libx.so.1.2"));
        assert!(!g.is_match("libx.sox"));
        let g = Glob::new("lib/*?(.ts|.tsx|.js|.json|.node)", false);
        assert!(g.is_match("lib/a.js"));
        assert!(g.is_match("lib/a"));
        assert!(!g.is_match("lib/.a.js"));
        let g = Glob::new("node_modules/**", false);
        assert!(g.is_match("node_modules/a/b.js"));
        assert!(!g.is_match("node_modules/.pnpm/b.js"));
        let g = Glob::new("{a,b}/*.md", false);
        assert!(g.is_match("b/x.md"));
        assert!(!g.is_match("c/x.md"));
        let g = Glob::new("**/next/dist/compiled/@(webpack|babel)/**", false);
        assert!(g.is_match("node_modules/next/dist/compiled/webpack/a.js"));
        assert!(!g.is_match("node_modules/next/dist/compiled/react/a.js"));
        assert!(Glob::new("[a-c]x", false).is_match("bx"));
        assert!(!Glob::new("[!a-c]x", false).is_match("bx"));
        assert!(Glob::new("!(*.d).ts", false).is_match("a.ts"));
    }
}
