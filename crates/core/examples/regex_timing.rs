//! Times each route regex of a table on a few paths (where routing time goes).
use open_next_core::routing::RoutingTable;
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("path to .next/open-next-adapter.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let table = RoutingTable::compile(RoutingTable::spec_from_adapter(&v).unwrap()).unwrap();
    let paths = ["/", "/app-dyn/one", "/nope/deep/path", "/_next/static/chunks/abc.js"];
    let lists =
        [&table.before_middleware, &table.before_files, &table.after_files, &table.dynamic_routes, &table.on_match, &table.fallback];
    for list in lists {
        for r in list.iter() {
            let t = Instant::now();
            for i in 0..20_000 {
                std::hint::black_box(r.regex.exec(paths[i % paths.len()]));
            }
            println!("{:8.3} µs  {}", t.elapsed().as_secs_f64() * 1e6 / 20_000.0, &r.def.source_regex.chars().take(90).collect::<String>());
        }
    }
}
