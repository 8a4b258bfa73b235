//! WHATWG `URL` operations the router needs, with JavaScript's semantics
//! (`url` crate for parsing and setters, `URLSearchParams` rewriting the query).

use url::Url;

/// A WHATWG URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsUrl(pub Url);

impl JsUrl {
    /// `new URL(input)`.
    pub fn parse(input: &str) -> Option<Self> {
        Url::parse(input).ok().map(JsUrl)
    }

    /// `new URL(input, base)`.
    pub fn parse_with_base(input: &str, base: &JsUrl) -> Option<Self> {
        base.0.join(input).ok().map(JsUrl)
    }

    /// `url.href`.
    pub fn href(&self) -> &str {
        self.0.as_str()
    }

    /// `url.pathname`.
    pub fn pathname(&self) -> &str {
        self.0.path()
    }

    /// `url.pathname = value`.
    pub fn set_pathname(&mut self, value: &str) {
        self.0.set_path(value);
    }

    /// `url.search` (`""` when the query is absent or empty).
    pub fn search(&self) -> String {
        match self.0.query() {
            Some(q) if !q.is_empty() => format!("?{q}"),
            _ => String::new(),
        }
    }

    /// `url.search = value`.
    pub fn set_search(&mut self, value: &str) {
        let v = value.strip_prefix('?').unwrap_or(value);
        if v.is_empty() {
            self.0.set_query(None);
        } else {
            self.0.set_query(Some(v));
        }
    }

    /// `url.hash`.
    pub fn hash(&self) -> String {
        match self.0.fragment() {
            Some(f) if !f.is_empty() => format!("#{f}"),
            _ => String::new(),
        }
    }

    /// `url.origin`.
    pub fn origin(&self) -> String {
        // For http(s) URLs without credentials the origin is how the URL begins
        // (scheme, host as already serialised, non-default port): no re-serialising.
        let u = &self.0;
        if matches!(u.scheme(), "http" | "https") && u.username().is_empty() && u.password().is_none() {
            return u[..url::Position::AfterPort].to_string();
        }
        u.origin().ascii_serialization()
    }

    /// `url.hostname`.
    pub fn hostname(&self) -> String {
        self.0.host_str().unwrap_or("").to_string()
    }

    /// `[...url.searchParams]`.
    pub fn search_params(&self) -> Vec<(String, String)> {
        self.0.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
    }

    /// `url.searchParams.get(key)`.
    pub fn search_param(&self, key: &str) -> Option<String> {
        self.0.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
    }

    /// `url.searchParams.set(key, value)`: replaces the first pair, drops the
    /// others, or appends; the query is re-serialized (form-urlencoded).
    pub fn search_params_set(&mut self, key: &str, value: &str) {
        let mut pairs = self.search_params();
        if let Some(i) = pairs.iter().position(|(k, _)| k == key) {
            pairs[i].1 = value.to_string();
            let mut idx = 0;
            pairs.retain(|(k, _)| {
                let keep = idx <= i || k != key;
                idx += 1;
                keep
            });
        } else {
            pairs.push((key.to_string(), value.to_string()));
        }
        let serialized = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs.iter()).finish();
        if serialized.is_empty() {
            self.0.set_query(None);
        } else {
            self.0.set_query(Some(&serialized));
        }
    }
}

/// Parses `application/x-www-form-urlencoded` text (`new URLSearchParams(text)`).
pub fn parse_search_params(text: &str) -> Vec<(String, String)> {
    let t = text.strip_prefix('?').unwrap_or(text);
    url::form_urlencoded::parse(t.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setters_follow_whatwg() {
        let mut u = JsUrl::parse("http://localhost:3000/a%20b?x=1%202&y=2").unwrap();
        assert_eq!(u.pathname(), "/a%20b");
        u.set_pathname("/new path?q");
        assert_eq!(u.pathname(), "/new%20path%3Fq");
        u.search_params_set("x", "3");
        assert_eq!(u.search(), "?x=3&y=2");
        u.search_params_set("z", "a b");
        assert_eq!(u.href(), "http://localhost:3000/new%20path%3Fq?x=3&y=2&z=a+b");
        assert_eq!(u.origin(), "http://localhost:3000");
        assert_eq!(u.search_param("z").as_deref(), Some("a b"));
    }

    #[test]
    fn origin_is_the_serialised_origin() {
        for u in [
            "http://localhost:3000/a?b#c",
            "https://EXAMPLE.com:443/x",
            "http://[::1]:80/",
            "http://bücher.de/",
            "https://u:p@h.example:8443/p",
            "http://127.0.0.1",
            "file:///etc/hosts",
            "blob:https://a.example/x",
        ] {
            let url = JsUrl::parse(u).unwrap();
            assert_eq!(url.origin(), url.0.origin().ascii_serialization(), "{u}");
        }
    }
}
