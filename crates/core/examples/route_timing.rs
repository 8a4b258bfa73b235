//! Times routing decisions without Node: `cargo run --example route_timing -- <adapter.json>`.
use open_next_core::routing::{resolve, Headers, JsUrl, MiddlewareResult, RouteRequest, RoutingTable};
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("path to .next/open-next-adapter.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let table = RoutingTable::compile(RoutingTable::spec_from_adapter(&v).unwrap()).unwrap();
    let paths = ["/", "/app-dyn/one", "/app-dyn/zzz", "/posts/1", "/old-home", "/rewrite-after/2", "/nope/deep/path", "/hello.txt"];
    let reqs: Vec<RouteRequest> = paths
        .iter()
        .map(|p| RouteRequest {
            url: JsUrl::parse(&format!("http://localhost:3000{p}")).unwrap(),
            headers: Headers::from_pairs([("accept", "text/html")]),
        })
        .collect();
    let n: usize = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let t = Instant::now();
    for i in 0..n {
        let r = resolve(&table, &reqs[i % reqs.len()], &mut |_| MiddlewareResult::default());
        std::hint::black_box(r);
    }
    let el = t.elapsed();
    println!("{} decisions in {:?}: {:.2} µs/decision", n, el, el.as_secs_f64() * 1e6 / n as f64);
}
