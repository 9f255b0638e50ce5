//! Times the engine on the benchmark shape: 50 numerical columns, 200,000 reference and
//! 200,000 current rows, default methods (Wasserstein here). Run with
//! `cargo bench -p gatehouse-drift --bench drift`; it is never part of `cargo test`.
//!
//! The data come from a small deterministic generator (xorshift64* and Box–Muller), so runs are
//! comparable; generation is not timed.

use std::time::Instant;

use gatehouse_drift::{compare, Column, Options};

const COLUMNS: usize = 50;
const ROWS: usize = 200_000;

struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next_f64(), self.next_f64());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn main() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let data: Vec<(Vec<f64>, Vec<f64>)> = (0..COLUMNS)
        .map(|c| {
            let shift = if c % 3 == 0 { 0.2 } else { 0.0 };
            let reference = (0..ROWS).map(|_| rng.normal()).collect();
            let current = (0..ROWS).map(|_| rng.normal() + shift).collect();
            (reference, current)
        })
        .collect();
    let bytes = COLUMNS * ROWS * 2 * std::mem::size_of::<f64>();

    let start = Instant::now();
    let mut drifted = 0;
    for (reference, current) in &data {
        match compare(
            &Column::Numerical(reference),
            &Column::Numerical(current),
            &Options::default(),
        ) {
            Ok(d) => drifted += usize::from(d.drifted),
            Err(e) => eprintln!("error: {e}"),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let rows = (COLUMNS * ROWS * 2) as f64;
    println!(
        "{COLUMNS} columns x ({ROWS} + {ROWS}) rows, {:.0} MB of f64: {secs:.3} s, {:.1} M rows/s, {drifted} drifted",
        bytes as f64 / 1e6,
        rows / secs / 1e6
    );
}
