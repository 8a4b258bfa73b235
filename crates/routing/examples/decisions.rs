//! Times routing decisions in Rust alone (no napi), for comparing with the
//! napi-level numbers of `bench/routing-decisions.mjs`:
//! `cargo run --release --example decisions -- <routing spec json>`.
use open_next_routing::{resolve, Headers, JsUrl, MiddlewareResult, RouteRequest, RoutingTable};
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: decisions <spec.json>");
    let spec = open_next_routing::table::spec_from_json(&std::fs::read_to_string(path).expect("read spec")).expect("spec");
    let table = RoutingTable::compile(spec).expect("compile");
    let paths = [
        "/",
        "/app-ssg",
        "/app-dyn/one",
        "/app-catch/a/b/c",
        "/api/echo",
        "/posts/1",
        "/old-home",
        "/rewrite-after/2",
        "/hello.txt",
        "/nope/deep/path",
        "/api/hello?x=1",
    ];
    let reqs: Vec<RouteRequest> = (0..2000)
        .map(|i| RouteRequest {
            url: JsUrl::parse(&format!("http://localhost:3000{}", paths[i % paths.len()])).expect("url"),
            headers: Headers::from_pairs([(if i % 3 == 0 { "rsc" } else { "accept" }.to_string(), "1".to_string())]),
        })
        .collect();
    for _ in 0..5 {
        let t = Instant::now();
        for r in &reqs {
            std::hint::black_box(resolve(&table, r, &mut |_| MiddlewareResult::default()));
        }
        let e = t.elapsed();
        println!(
            "{:.1} k decisions/s ({:.2} µs each)",
            reqs.len() as f64 / e.as_secs_f64() / 1000.0,
            e.as_secs_f64() * 1e6 / reqs.len() as f64
        );
    }
}
