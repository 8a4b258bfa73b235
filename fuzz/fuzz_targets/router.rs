//! Routes arbitrary requests through real routing tables (i18n with domains,
//! basePath + trailingSlash): no input may panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use open_next_routing::{resolve, Headers, JsUrl, MiddlewareResult, RouteRequest, RoutingSpec, RoutingTable};
use std::sync::OnceLock;

fn tables() -> &'static [RoutingTable] {
    static T: OnceLock<Vec<RoutingTable>> = OnceLock::new();
    T.get_or_init(|| {
        [include_str!("../tables/routing-i18n.json"), include_str!("../tables/routing-basepath.json")]
            .iter()
            .map(|s| RoutingTable::compile(serde_json_spec(s)).expect("fixture tables compile"))
            .collect()
    })
}

fn serde_json_spec(s: &str) -> RoutingSpec {
    open_next_routing::table::spec_from_json(s).expect("valid spec")
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Layout: path \n host \n name: value \n name: value ...
    let mut lines = text.split('\n');
    let path = lines.next().unwrap_or("/");
    let host = lines.next().unwrap_or("localhost");
    let Some(url) = JsUrl::parse(&format!("http://{host}/{}", path.trim_start_matches('/'))) else { return };
    let headers = Headers::from_pairs(lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.to_string())));
    let req = RouteRequest { url, headers };
    for table in tables() {
        let _ = resolve(table, &req, &mut |call| {
            // Exercise the middleware resume path too: rewrite to the called URL.
            MiddlewareResult { rewrite: Some(call.url.clone()), ..Default::default() }
        });
    }
});
