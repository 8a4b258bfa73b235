//! URL handling and destination substitution on arbitrary text: no panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use open_next_routing::jsregex::JsRegex;
use open_next_routing::resolve::{percent_decode, replace_destination};
use open_next_routing::JsUrl;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mid = (0..=text.len() / 2).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
    let (a, b) = text.split_at(mid);
    let _ = percent_decode(&text);
    if let Some(mut u) = JsUrl::parse("http://localhost:3000/base?x=1") {
        u.set_pathname(a);
        u.search_params_set(b, a);
        let _ = (u.href(), u.search(), u.origin(), u.search_params());
        if let Some(j) = JsUrl::parse_with_base(b, &u) {
            let _ = j.href();
        }
    }
    if let Ok(re) = JsRegex::new("^/(?<slug>[^/]+?)(?:/(.*))?$", "i") {
        let m = re.exec(a);
        let _ = replace_destination(b, m.as_ref(), &[("key".into(), a.to_string())]);
    }
});
