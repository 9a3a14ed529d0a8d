use aiosim_sim::r#gen::{GenConfig, generate};
#[test]
fn dump() {
    let n: u64 = std::env::var("N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    for seed in 0..n {
        let t = generate(seed, &GenConfig::default());
        std::fs::write(format!("/tmp/gscratch/g{seed}.json"), &t).unwrap();
        if let Err(e) = aiosim_sim::graph::parse_graph(t.as_bytes()) {
            println!("seed {seed}: {e}");
        }
    }
}
