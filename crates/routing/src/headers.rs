//! A `Headers` object with the Fetch standard's semantics: names are
//! case-insensitive, `get` joins repeated values with ", ", iteration is sorted by
//! name and keeps `set-cookie` values separate.

/// Ordered header list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    list: Vec<(String, String)>,
}

fn normalize_value(v: &str) -> String {
    v.trim_matches(|c| c == ' ' || c == '\t' || c == '\n' || c == '\r').to_string()
}

impl Headers {
    /// Empty headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds headers from pairs, appending in order.
    pub fn from_pairs<I: IntoIterator<Item = (S, T)>, S: AsRef<str>, T: AsRef<str>>(pairs: I) -> Self {
        let mut h = Self::new();
        for (k, v) in pairs {
            h.append(k.as_ref(), v.as_ref());
        }
        h
    }

    /// `headers.append(name, value)`.
    pub fn append(&mut self, name: &str, value: &str) {
        self.list.push((name.to_ascii_lowercase(), normalize_value(value)));
    }

    /// `headers.set(name, value)`.
    pub fn set(&mut self, name: &str, value: &str) {
        let name = name.to_ascii_lowercase();
        let value = normalize_value(value);
        if let Some(i) = self.list.iter().position(|(n, _)| *n == name) {
            self.list[i].1 = value;
            let mut idx = 0;
            self.list.retain(|(n, _)| {
                let keep = idx <= i || *n != name;
                idx += 1;
                keep
            });
        } else {
            self.list.push((name, value));
        }
    }

    /// `headers.delete(name)`.
    pub fn delete(&mut self, name: &str) {
        self.list.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// `headers.has(name)`.
    pub fn has(&self, name: &str) -> bool {
        // Stored names are lower-case: compare without allocating.
        self.list.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// `headers.get(name)`: values joined with ", ", `None` when absent.
    pub fn get(&self, name: &str) -> Option<String> {
        let mut vals = self.list.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        let mut out = vals.next()?.to_string();
        for v in vals {
            out.push_str(", ");
            out.push_str(v);
        }
        Some(out)
    }

    /// `[...headers]`: sorted by name, values combined, `set-cookie` kept apart.
    pub fn entries(&self) -> Vec<(String, String)> {
        let mut names: Vec<&String> = self.list.iter().map(|(n, _)| n).collect();
        names.sort();
        names.dedup();
        let mut out = Vec::new();
        for n in names {
            if n == "set-cookie" {
                out.extend(self.list.iter().filter(|(k, _)| k == n).map(|(k, v)| (k.clone(), v.clone())));
            } else {
                out.push((n.clone(), self.get(n).expect("present")));
            }
        }
        out
    }

    /// The raw list in insertion order.
    pub fn raw(&self) -> &[(String, String)] {
        &self.list
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_semantics() {
        let mut h = Headers::new();
        h.append("X-A", " 1 ");
        h.append("x-a", "2");
        h.append("Set-Cookie", "a=1");
        h.append("set-cookie", "b=2");
        h.append("b", "x");
        assert_eq!(h.get("x-a").as_deref(), Some("1, 2"));
        h.set("X-A", "3");
        assert_eq!(h.get("x-a").as_deref(), Some("3"));
        assert_eq!(
            h.entries(),
            vec![
                ("b".into(), "x".into()),
                ("set-cookie".into(), "a=1".into()),
                ("set-cookie".into(), "b=2".into()),
                ("x-a".into(), "3".into())
            ]
        );
        h.delete("B");
        assert!(!h.has("b"));
    }
}
