//! JavaScript regular expressions (Next's route regexes are JS regexes: named
//! groups, lookaheads, the `i` flag) matched with ECMAScript semantics. `regress`
//! (an ECMAScript backtracking engine) compiles every pattern, which is the check
//! that we can run it; patterns in the exact subset of [`crate::jsregex_subset`]
//! are matched by the `regex` crate instead (no allocation per match, one pass),
//! compiled on first use so loading a large routing table stays cheap.

use regress::{Flags, Regex};
use std::sync::OnceLock;

/// A compiled JS regex and the names of its groups.
#[derive(Debug, Clone)]
pub struct JsRegex {
    re: Regex,
    source: String,
    /// A literal every match must start with (see [`literal_prefix`]): texts
    /// without it are rejected before the backtracking engine runs.
    prefix: Option<Prefix>,
    /// The pattern in `regex` crate syntax, when it is in the exact subset.
    subset: Option<String>,
    /// The `regex` crate engine for `subset`, built on first use (`None`: it would not build).
    fast: OnceLock<Option<regex::Regex>>,
}

/// The anchored literal start of a pattern.
#[derive(Debug, Clone)]
struct Prefix {
    /// ASCII text (lower-cased when the regex is case-insensitive).
    text: String,
    /// The pattern starts `^[/]?` (Next's dynamic routes): the literal may also
    /// start one `/` later.
    optional_slash: bool,
    case_insensitive: bool,
}

impl Prefix {
    fn admits(&self, text: &str) -> bool {
        let at = |offset: usize| {
            text.get(offset..offset + self.text.len()).is_some_and(|t| {
                if self.case_insensitive {
                    t.eq_ignore_ascii_case(&self.text)
                } else {
                    t == self.text
                }
            })
        };
        at(0) || (self.optional_slash && text.starts_with('/') && at(1))
    }
}

/// The literal ASCII text a match of `pattern` must begin with, when the
/// pattern is anchored (`^`) with no top-level alternation: `^\/old-home(?:\/)?$`
/// gives `/old-home`. Stops before anything that is not a plain or escaped
/// literal, and drops a literal that a quantifier makes optional. Returns the
/// prefix and whether it followed `[/]?`.
fn literal_prefix(pattern: &str) -> Option<(String, bool)> {
    let rest = pattern.strip_prefix('^')?;
    if has_top_level_alternation(pattern) {
        return None;
    }
    let (mut rest, optional_slash) = match rest.strip_prefix("[/]?") {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let mut out = String::new();
    loop {
        let (ch, len) = match rest.as_bytes() {
            [b'\\', c, ..]
                if matches!(
                    c,
                    b'/' | b'-'
                        | b'.'
                        | b'_'
                        | b'~'
                        | b'@'
                        | b'!'
                        | b','
                        | b'='
                        | b'&'
                        | b'%'
                        | b'+'
                        | b'$'
                        | b'('
                        | b')'
                        | b'['
                        | b']'
                        | b'*'
                        | b'?'
                        | b'{'
                        | b'}'
                        | b'|'
                        | b'^'
                ) =>
            {
                (*c as char, 2)
            }
            [c, ..]
                if c.is_ascii_alphanumeric()
                    || matches!(c, b'/' | b'-' | b'_' | b'~' | b'@' | b'!' | b',' | b'=' | b'&' | b'%' | b'\'' | b';' | b':') =>
            {
                (*c as char, 1)
            }
            _ => break,
        };
        // A quantifier after this literal makes it optional or repeatable: stop before it.
        if matches!(rest.as_bytes().get(len), Some(b'?' | b'*' | b'{' | b'+')) {
            break;
        }
        out.push(ch);
        rest = &rest[len..];
    }
    (!out.is_empty()).then_some((out, optional_slash))
}

/// Whether `pattern` has a `|` outside every group and character class.
fn has_top_level_alternation(pattern: &str) -> bool {
    let (mut depth, mut in_class, mut escaped) = (0i32, false, false);
    for c in pattern.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => depth -= 1,
            '|' if !in_class && depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// Result of `String.prototype.match` with a non-global regex.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsMatch {
    /// Index 0 is the whole match, then the numbered groups (`None` = undefined).
    pub groups: Vec<Option<String>>,
    /// Named groups in declaration order (`None` = undefined).
    pub named: Vec<(String, Option<String>)>,
}

impl JsMatch {
    /// Value of a named group, if the group exists.
    pub fn named_group(&self, name: &str) -> Option<&Option<String>> {
        self.named.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Whether the regex declared named groups (`match.groups` is defined).
    pub fn has_named(&self) -> bool {
        !self.named.is_empty()
    }
}

impl JsRegex {
    /// Compiles `pattern` with JS `flags` (`"i"` or `""`).
    pub fn new(pattern: &str, flags: &str) -> Result<Self, String> {
        let re = Regex::with_flags(pattern, Flags::from(flags)).map_err(|e| e.to_string())?;
        let case_insensitive = flags.contains('i');
        let prefix = literal_prefix(pattern).map(|(text, optional_slash)| Prefix {
            text: if case_insensitive { text.to_ascii_lowercase() } else { text },
            optional_slash,
            case_insensitive,
        });
        let subset = crate::jsregex_subset::translate(pattern, flags);
        Ok(Self { re, source: pattern.to_string(), prefix, subset, fast: OnceLock::new() })
    }

    /// The `regex` crate engine, when the pattern is in the exact subset.
    fn fast(&self) -> Option<&regex::Regex> {
        self.fast.get_or_init(|| self.subset.as_deref().and_then(|p| regex::RegexBuilder::new(p).size_limit(1 << 22).build().ok())).as_ref()
    }

    /// Whether matching runs on the `regex` crate engine (else on `regress`).
    pub fn uses_subset_engine(&self) -> bool {
        self.fast().is_some()
    }

    /// The pattern source.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// `text.match(re)` for a non-global regex.
    pub fn exec(&self, text: &str) -> Option<JsMatch> {
        if self.prefix.as_ref().is_some_and(|p| !p.admits(text)) {
            return None;
        }
        if let Some(fast) = self.fast() {
            let caps = fast.captures(text)?;
            let groups = (0..caps.len()).map(|i| caps.get(i).map(|m| m.as_str().to_string())).collect();
            let named = fast
                .capture_names()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (n.to_string(), caps.get(i).map(|m| m.as_str().to_string()))))
                .collect();
            return Some(JsMatch { groups, named });
        }
        self.exec_backtracking(text)
    }

    /// `exec` on the ECMAScript engine.
    fn exec_backtracking(&self, text: &str) -> Option<JsMatch> {
        let m = self.re.find(text)?;
        let mut groups = Vec::with_capacity(m.captures.len() + 1);
        groups.push(Some(text[m.range.clone()].to_string()));
        for c in &m.captures {
            groups.push(c.as_ref().map(|r| text[r.clone()].to_string()));
        }
        let named = m.named_groups().map(|(name, r)| (name.to_string(), r.map(|r| text[r].to_string()))).collect();
        Some(JsMatch { groups, named })
    }

    /// `re.test(text)`.
    pub fn is_match(&self, text: &str) -> bool {
        if self.prefix.as_ref().is_some_and(|p| !p.admits(text)) {
            return false;
        }
        match self.fast() {
            Some(fast) => fast.is_match(text),
            None => self.re.find(text).is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_groups_and_case_insensitivity() {
        let re = JsRegex::new("^/blog(?:/(?<nxtPslug>[^/]+?))(?:/)?$", "i").unwrap();
        let m = re.exec("/BLOG/hello/").unwrap();
        assert_eq!(m.groups[0].as_deref(), Some("/BLOG/hello/"));
        assert_eq!(m.named_group("nxtPslug"), Some(&Some("hello".to_string())));
        assert!(JsRegex::new("^/blog$", "").unwrap().exec("/BLOG").is_none());
    }

    #[test]
    fn lookahead_and_undefined_groups() {
        let re = JsRegex::new("^/(?!_next)(a)?(b)$", "").unwrap();
        assert!(re.exec("/_nextb").is_none());
        let m = re.exec("/b").unwrap();
        assert_eq!(m.groups, vec![Some("/b".into()), None, Some("b".into())]);
    }

    #[test]
    fn invalid_pattern_is_an_error() {
        assert!(JsRegex::new("(", "").is_err());
    }
}

#[cfg(test)]
mod subset_engine_tests {
    use super::*;

    /// Route regexes as Next writes them (adapter tables, routes-manifest,
    /// path-to-regexp output), and corner cases of the translated subset.
    const PATTERNS: &[&str] = &[
        r"^[/]?/posts/(?<nxtPid>[^/]+?)(\.rsc|\.segments/.+\.segment\.rsc|)(?:/)?$",
        r"^[/]?/app\-opt(?:/(?<nxtPparts>.+?))?(?:/)?$",
        r"^[/]?/app\-catch/(?<nxtPparts>.+?)(\.rsc|\.segments/.+\.segment\.rsc)(?:/)?$",
        r"^(?:\/((?:[^\/]+?)(?:\/(?:[^\/]+?))*))?(?:\/)?$",
        r"^(?:\/((?:[^\/]+?)(?:\/(?:[^\/]+?))*))\/$",
        r"^(?:\/(_next\/data\/[^/]{1,}))?\/mw(?:\/((?:[^\/#\?]+?)(?:\/(?:[^\/#\?]+?))*))?(\.json|\.rsc|\.segments\/.+\.segment\.rsc)?[\/#\?]?$",
        r"^\/base(?:\/(_next\/data\/[^/]{1,}))?\/about(\.json|\.rsc)?[\/#\?]?$",
        r"^/_next/data/b1[/]?/posts/(?<nxtPid>[^/]+?)\.json(?:/)?$",
        r"/_next/static/(?:[^/]+/pages|pages|chunks|css|b1)/.+",
        r"^(?:\/((?:[^/]+\/)*[^/\.]+))$",
        r"^(?:\/((?:[^/]+\/)*[^/]+\.\w+))\/$",
        r"^\/bf(?:\/(\d+))(?:\/)?$",
        r"^(?<who>yes|please)$",
        r"^(?:a|ab)(c|bcd)(d*)$",
        r"^x{2,3}?(y{1}|y{0,})$",
        r"^[^a-c\-]\x41\u00e9.$",
        r"(a|b)?c",
        r"^\/caf\u00e9\/(?<x>[^/]+?)$",
    ];

    #[test]
    fn subset_engine_agrees_with_ecmascript_engine() {
        let alphabet = [
            "/",
            "a",
            "A",
            "b",
            "c",
            "d",
            "x",
            "y",
            "-",
            ".",
            "1",
            "2",
            "_",
            "%",
            "#",
            "?",
            "\u{e9}",
            "\u{c9}",
            "\u{212a}",
            "\u{17f}",
            "k",
            "s",
            "\n",
            "\u{2028}",
            "\u{1f600}",
            "posts",
            "app-opt",
            "app-catch",
            ".rsc",
            ".json",
            "_next/data/b1",
            "mw",
            "about",
            "base",
            "bf",
            "yes",
            "please",
            "café",
            "/_next/static/",
            "chunks",
            "CAF",
            "/app-opt/",
            "/posts/",
            "\r",
            "/app-catch/",
        ];
        let mut seed = 0x9e3779b97f4a7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let texts: Vec<String> = (0..20000)
            .map(|_| {
                let n = (next() % 8) as usize;
                let mut t: String = (0..n).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect();
                if next() % 2 == 0 {
                    t.insert(0, '/');
                }
                t
            })
            .collect();
        let mut hits = 0;
        for flags in ["", "i"] {
            for p in PATTERNS {
                let re = JsRegex::new(p, flags).unwrap();
                // Under `i`, classes with letters and non-ASCII literals stay on the JS engine.
                let ascii_fold = !p.contains("a-c") && !p.contains("\\u00e9");
                assert_eq!(re.uses_subset_engine(), flags.is_empty() || ascii_fold, "{p} /{flags}");
                for t in &texts {
                    let fast = re.exec(t);
                    hits += usize::from(fast.is_some());
                    assert_eq!(fast, re.exec_backtracking(t), "{p} /{flags} on {t:?}");
                    assert_eq!(re.is_match(t), re.re.find(t).is_some(), "{p} /{flags} on {t:?}");
                }
            }
        }
        // The texts reach into the patterns: matches are compared, not only misses.
        assert!(hits > 10000, "only {hits} matches");
    }

    #[test]
    fn patterns_outside_the_subset_still_run() {
        let re = JsRegex::new(r"^(?:\/((?!\.well-known(?:\/.*)?)(?:[^/]+\/)*[^/\.]+))$", "").unwrap();
        assert!(!re.uses_subset_engine());
        assert!(re.exec("/a/b").is_some());
        assert!(re.exec("/.well-known/x").is_none());
    }
}

#[cfg(test)]
mod prefix_tests {
    use super::*;

    #[test]
    fn literal_prefixes() {
        assert_eq!(literal_prefix(r"^\/old-home(?:\/)?$"), Some(("/old-home".into(), false)));
        assert_eq!(literal_prefix(r"^[/]?/app\-dyn/(?<nxtPslug>[^/]+?)(?:/)?$"), Some(("/app-dyn/".into(), true)));
        // A quantified literal is optional; lookaheads, groups and alternation stop it.
        assert_eq!(literal_prefix(r"^\/ab?c"), Some(("/a".into(), false)));
        assert_eq!(literal_prefix(r"^(?!/_next)/x"), None);
        assert_eq!(literal_prefix(r"^\/a|\/b"), None);
        assert_eq!(literal_prefix(r"^\/(a|b)"), Some(("/".into(), false)));
        assert_eq!(literal_prefix(r"\/a"), None);
        assert_eq!(literal_prefix(r"^\d"), None);
    }

    #[test]
    fn prefilter_keeps_js_results() {
        for (pattern, flags, text, hit) in [
            (r"^\/old-home(?:\/)?$", "i", "/OLD-HOME/", true),
            (r"^\/old-home(?:\/)?$", "", "/OLD-HOME", false),
            (r"^[/]?/app\-dyn/(?<s>[^/]+?)$", "i", "//APP-dyn/x", true),
            (r"^[/]?/app\-dyn/(?<s>[^/]+?)$", "i", "/app-dy", false),
            (r"^\/caf", "i", "/CAF\u{e9}", true),
            (r"^\/k", "i", "/\u{212a}", false),
        ] {
            let re = JsRegex::new(pattern, flags).unwrap();
            assert_eq!(re.exec(text).is_some(), hit, "{pattern} /{flags} on {text:?}");
            // Same answer as the engine without the prefilter.
            assert_eq!(re.re.find(text).is_some(), hit, "engine: {pattern} /{flags} on {text:?}");
        }
    }
}
