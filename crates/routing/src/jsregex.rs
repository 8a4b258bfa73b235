//! JavaScript regular expressions (Next's route regexes are JS regexes: named
//! groups, lookaheads, the `i` flag) matched with ECMAScript semantics by `regress`.

use regress::{Flags, Regex};

/// A compiled JS regex and the names of its groups.
#[derive(Debug, Clone)]
pub struct JsRegex {
    re: Regex,
    source: String,
    /// A literal every match must start with (see [`literal_prefix`]): texts
    /// without it are rejected before the backtracking engine runs.
    prefix: Option<Prefix>,
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
        Ok(Self { re, source: pattern.to_string(), prefix })
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
        self.re.find(text).is_some()
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
