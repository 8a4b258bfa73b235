//! Translation of a JavaScript regex into the `regex` crate's syntax, for the
//! subset of patterns where the two engines give the same matches and the same
//! capture groups. Route regexes are almost all in it (`^/posts/(?<id>[^/]+?)(?:/)?$`);
//! the rest (lookarounds, back-references, `\s`, `\b`, case-insensitive
//! non-ASCII, quantified groups that capture or can match empty) stay on the
//! ECMAScript backtracking engine.
//!
//! Why the subset is exact:
//! - the `regex` crate's leftmost-first search with greedy/lazy preferences
//!   reports the same match and groups as a backtracking engine, except for
//!   captures inside a repeated group (JS clears them on each iteration) and
//!   empty iterations (JS stops them): both are excluded;
//! - JS's non-unicode `i` flag folds ASCII letters only to ASCII (`ſ` and the
//!   Kelvin sign stay themselves), so a letter becomes an explicit `[aA]` class
//!   and no `(?i)` with Unicode folding is ever used; classes holding letters or
//!   non-ASCII text under `i` are left to the backtracking engine;
//! - `.`, `\d`, `\w` are spelled as the explicit sets JS gives them.

/// A pattern in `regex` crate syntax with the same meaning as the JS `pattern`
/// under `flags`, or `None` when the pattern is outside the exact subset.
pub fn translate(pattern: &str, flags: &str) -> Option<String> {
    let ignore_case = match flags {
        "" => false,
        "i" => true,
        _ => return None,
    };
    let mut p = Parser { chars: pattern.chars().collect(), pos: 0, ignore_case, out: String::with_capacity(pattern.len() * 2) };
    p.disjunction()?;
    (p.pos == p.chars.len()).then_some(p.out)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    ignore_case: bool,
    out: String,
}

/// What a parsed piece can match.
#[derive(Clone, Copy)]
struct Shape {
    /// Fewest characters it matches.
    min_len: usize,
    /// Holds a capture group.
    captures: bool,
}

fn push_literal(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || c == '_' {
        out.push(c);
    } else {
        out.push_str(&format!("\\x{{{:X}}}", c as u32));
    }
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn disjunction(&mut self) -> Option<Shape> {
        let mut shape = self.alternative()?;
        while self.eat('|') {
            self.out.push('|');
            let next = self.alternative()?;
            shape = Shape { min_len: shape.min_len.min(next.min_len), captures: shape.captures || next.captures };
        }
        Some(shape)
    }

    fn alternative(&mut self) -> Option<Shape> {
        let mut shape = Shape { min_len: 0, captures: false };
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let term = self.term()?;
            shape = Shape { min_len: shape.min_len.saturating_add(term.min_len), captures: shape.captures || term.captures };
        }
        Some(shape)
    }

    fn term(&mut self) -> Option<Shape> {
        match self.peek()? {
            '^' | '$' => {
                let c = self.peek()?;
                self.pos += 1;
                self.out.push(c);
                // A quantified assertion is legal JS but pointless: leave it to the JS engine.
                if matches!(self.peek(), Some('*' | '+' | '?' | '{')) {
                    return None;
                }
                return Some(Shape { min_len: 0, captures: false });
            }
            _ => {}
        }
        let (atom, is_group) = self.atom()?;
        let Some((min, max)) = self.quantifier()? else {
            return Some(atom);
        };
        // JS ends a group's iteration that matched nothing (so `(?:|a)?` on "a"
        // matches "a") and clears a repeated group's captures on each iteration;
        // the `regex` crate does neither. Quantified groups must match something,
        // and may capture only when they run at most once.
        if is_group && (atom.min_len == 0 || (atom.captures && max != Some(1))) {
            return None;
        }
        Some(Shape { min_len: atom.min_len.saturating_mul(min), captures: atom.captures })
    }

    /// Parses a quantifier (copied to the output) as `(min, max)`; `Some(None)` when there is none.
    fn quantifier(&mut self) -> Option<Option<(usize, Option<usize>)>> {
        let q = match self.peek() {
            Some('*') => {
                self.pos += 1;
                self.out.push('*');
                (0, None)
            }
            Some('+') => {
                self.pos += 1;
                self.out.push('+');
                (1, None)
            }
            Some('?') => {
                self.pos += 1;
                self.out.push('?');
                (0, Some(1))
            }
            Some('{') => {
                self.pos += 1;
                let min = self.number()?;
                let max = if self.eat(',') {
                    if self.peek() == Some('}') {
                        None
                    } else {
                        Some(self.number()?)
                    }
                } else {
                    Some(min)
                };
                if !self.eat('}') || max.is_some_and(|m| m < min) || min > 1000 || max.is_some_and(|m| m > 1000) {
                    return None;
                }
                match max {
                    Some(m) if m == min => self.out.push_str(&format!("{{{min}}}")),
                    Some(m) => self.out.push_str(&format!("{{{min},{m}}}")),
                    None => self.out.push_str(&format!("{{{min},}}")),
                }
                (min, max)
            }
            _ => return Some(None),
        };
        if self.eat('?') {
            self.out.push('?');
        }
        Some(Some(q))
    }

    fn number(&mut self) -> Option<usize> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == start || self.pos - start > 4 {
            return None;
        }
        self.chars[start..self.pos].iter().collect::<String>().parse().ok()
    }

    /// One atom; the flag says whether it is a group.
    fn atom(&mut self) -> Option<(Shape, bool)> {
        let one = Shape { min_len: 1, captures: false };
        let c = self.peek()?;
        self.pos += 1;
        match c {
            '.' => self.out.push_str(r"[^\n\r\x{2028}\x{2029}]"),
            '(' => {
                let captures = if self.eat('?') {
                    if self.eat(':') {
                        self.out.push_str("(?:");
                        false
                    } else if self.eat('<') {
                        let name = self.group_name()?;
                        self.out.push_str(&format!("(?P<{name}>"));
                        true
                    } else {
                        // Lookarounds.
                        return None;
                    }
                } else {
                    self.out.push('(');
                    true
                };
                let inner = self.disjunction()?;
                if !self.eat(')') {
                    return None;
                }
                self.out.push(')');
                return Some((Shape { min_len: inner.min_len, captures: captures || inner.captures }, true));
            }
            '[' => self.class()?,
            '\\' => self.escape()?,
            // Quantifiers without an atom, a lone `{` (Annex B literal) and a stray `)`.
            '*' | '+' | '?' | '{' | ')' | '|' => return None,
            c => self.literal(c)?,
        }
        Some((one, false))
    }

    fn group_name(&mut self) -> Option<String> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) || !self.eat('>') {
            return None;
        }
        Some(name)
    }

    fn literal(&mut self, c: char) -> Option<()> {
        // Outside the BMP a JS (non-unicode) pattern sees two code units, so a
        // quantifier after it applies to the second one only.
        if c > '\u{FFFF}' {
            return None;
        }
        if self.ignore_case && c.is_ascii_alphabetic() {
            self.out.push('[');
            self.out.push(c.to_ascii_lowercase());
            self.out.push(c.to_ascii_uppercase());
            self.out.push(']');
        } else if self.ignore_case && !c.is_ascii() {
            return None;
        } else {
            push_literal(&mut self.out, c);
        }
        Some(())
    }

    /// An escape outside a class (after the `\`).
    fn escape(&mut self) -> Option<()> {
        let c = self.peek()?;
        self.pos += 1;
        match c {
            'd' => self.out.push_str("[0-9]"),
            'D' => self.out.push_str("[^0-9]"),
            'w' => self.out.push_str("[0-9A-Za-z_]"),
            'W' => self.out.push_str("[^0-9A-Za-z_]"),
            _ => {
                let lit = self.char_escape(c)?;
                self.literal(lit)?;
            }
        }
        Some(())
    }

    /// The character a non-class escape `\c` stands for (after the `\`), shared by
    /// escapes inside and outside classes.
    fn char_escape(&mut self, c: char) -> Option<char> {
        Some(match c {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'f' => '\u{c}',
            'v' => '\u{b}',
            '0' if !self.peek().is_some_and(|d| d.is_ascii_digit()) => '\0',
            'x' => self.hex(2)?,
            'u' => self.hex(4)?,
            // Identity escapes of syntax characters and other punctuation.
            c if c.is_ascii_punctuation() => c,
            // Back-references, `\b`, `\s`, `\c`, `\k` and letters JS reads in odd ways.
            _ => return None,
        })
    }

    fn hex(&mut self, n: usize) -> Option<char> {
        let digits: String = self.chars.get(self.pos..self.pos + n)?.iter().collect();
        if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += n;
        // Surrogates (`\uD83D`) have no meaning in a UTF-8 text.
        char::from_u32(u32::from_str_radix(&digits, 16).ok()?)
    }

    /// A character class (after the `[`).
    fn class(&mut self) -> Option<()> {
        let negated = self.eat('^');
        let mut out = String::from(if negated { "[^" } else { "[" });
        let mut members = 0;
        loop {
            let c = self.peek()?;
            self.pos += 1;
            if c == ']' {
                break;
            }
            let lo = if c == '\\' {
                let e = self.peek()?;
                self.pos += 1;
                let set = match e {
                    'd' => Some("0-9"),
                    'w' => Some("0-9A-Za-z_"),
                    _ => None,
                };
                if let Some(set) = set {
                    out.push_str(set);
                    members += 1;
                    // A range cannot start at a set (`[\d-z]`).
                    if self.peek() == Some('-') && self.chars.get(self.pos + 1) != Some(&']') {
                        return None;
                    }
                    continue;
                }
                self.class_escape(e)?
            } else {
                c
            };
            self.class_range(&mut out, lo)?;
            members += 1;
        }
        // `[]` matches nothing and `[^]` anything in JS; neither is worth translating.
        if members == 0 {
            return None;
        }
        out.push(']');
        self.out.push_str(&out);
        Some(())
    }

    /// The character an escape inside a class stands for (after the `\`):
    /// `\b` is a backspace there; sets (`\d`, `\s`, ...) are not characters.
    fn class_escape(&mut self, e: char) -> Option<char> {
        match e {
            'b' => Some('\u{8}'),
            '-' => Some('-'),
            e => self.char_escape(e),
        }
    }

    /// A class member starting at `lo`: the character, or a range `lo-hi`, written to `out`.
    fn class_range(&mut self, out: &mut String, lo: char) -> Option<()> {
        let mut hi = lo;
        if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|&n| n != ']') {
            self.pos += 1;
            let h = self.peek()?;
            self.pos += 1;
            hi = match h {
                '\\' => {
                    let e = self.peek()?;
                    self.pos += 1;
                    self.class_escape(e)?
                }
                h => h,
            };
            if hi < lo {
                return None;
            }
        }
        if hi > '\u{FFFF}' || (self.ignore_case && (!lo.is_ascii() || !hi.is_ascii() || (lo..=hi).any(|x| x.is_ascii_alphabetic()))) {
            return None;
        }
        push_literal(out, lo);
        if hi != lo {
            out.push('-');
            push_literal(out, hi);
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn route_patterns_translate() {
        assert_eq!(translate(r"^\/old-home(?:\/)?$", "").as_deref(), Some(r"^\x{2F}old\x{2D}home(?:\x{2F})?$"));
        assert_eq!(
            translate(r"^[/]?/posts/(?<nxtPid>[^/]+?)(?:/)?$", "i").as_deref(),
            Some(r"^[\x{2F}]?\x{2F}[pP][oO][sS][tT][sS]\x{2F}(?P<nxtPid>[^\x{2F}]+?)(?:\x{2F})?$")
        );
        assert!(translate(r"^(?:\/((?:[^\/]+?)(?:\/(?:[^\/]+?))*))?(?:\/)?$", "i").is_some());
        assert!(translate(r"^(?:\/(_next\/data\/[^/]{1,}))?\/mw(\.json|\.rsc|\.segments\/.+\.segment\.rsc)?[\/#\?]?$", "").is_some());
    }

    #[test]
    fn outside_the_subset() {
        for (p, f) in [
            (r"^(?!_next)/x$", ""),
            (r"^(a)\1$", ""),
            (r"^\s$", ""),
            (r"\bword", ""),
            (r"^(?:(a)|b)+$", ""),
            (r"^(?:a?)*$", ""),
            (r"^(?:|a)?$", ""),
            (r"^(?:(a)|)?$", ""),
            (r"^\/mw(\.json|\.rsc|)?$", ""),
            (r"^[a-z]$", "i"),
            (r"^é$", "i"),
            (r"^a{$", ""),
            (r"^[]$", ""),
            ("^\u{1F600}+$", ""),
            ("^[\u{1F600}]$", ""),
            (r"^x$", "g"),
        ] {
            assert_eq!(translate(p, f), None, "{p} /{f}");
        }
    }
}
