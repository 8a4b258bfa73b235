//! JavaScript regular expressions (Next's route regexes are JS regexes: named
//! groups, lookaheads, the `i` flag) matched with ECMAScript semantics by `regress`.

use regress::{Flags, Regex};

/// A compiled JS regex and the names of its groups.
#[derive(Debug, Clone)]
pub struct JsRegex {
    re: Regex,
    source: String,
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
        Ok(Self { re, source: pattern.to_string() })
    }

    /// The pattern source.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// `text.match(re)` for a non-global regex.
    pub fn exec(&self, text: &str) -> Option<JsMatch> {
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
