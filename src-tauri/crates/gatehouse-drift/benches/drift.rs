//! Times the engine on the benchmark shape: 50 numerical columns, 200,000 reference and
//! 200,000 current rows. `cargo bench -p gatehouse-drift --bench drift` generates the data itself
//! (xorshift64* and Box–Muller, so runs are comparable) and uses the default methods
//! (Wasserstein here). `scripts/bench-drift` runs it on Parquet files instead, side by side with
//! Evidently and scipy on the same files: `drift REF.parquet CUR.parquet [--method M]` prints one
//! JSON line. Columns are compared on every core ([`compare_many`]); `GATEHOUSE_BENCH_THREADS=1`
//! compares them one after another on one thread. Reading the files is never timed; it is never
//! part of `cargo test`.

use std::time::Instant;

use gatehouse_drift::{compare, compare_many, Cells, Column, Method, Options, Table};

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

/// Reference and current values of each column.
type Pairs = Vec<(Vec<f64>, Vec<f64>)>;

fn generated() -> Pairs {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..COLUMNS)
        .map(|c| {
            let shift = if c % 3 == 0 { 0.2 } else { 0.0 };
            let reference = (0..ROWS).map(|_| rng.normal()).collect();
            let current = (0..ROWS).map(|_| rng.normal() + shift).collect();
            (reference, current)
        })
        .collect()
}

/// The numerical columns of two Parquet files, paired by name.
fn from_files(reference: &str, current: &str) -> Result<Pairs, String> {
    let read = |path: &str| {
        let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        Table::from_parquet(path, bytes).map_err(|e| e.to_string())
    };
    let (mut r, mut c) = (read(reference)?, read(current)?);
    let mut pairs = Vec::new();
    for (i, name) in r.columns.iter().enumerate() {
        let j = c
            .columns
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| format!("{current} has no column {name}"))?;
        match (
            std::mem::replace(&mut r.cells[i], Cells::Text(Vec::new())),
            std::mem::replace(&mut c.cells[j], Cells::Text(Vec::new())),
        ) {
            (Cells::Numbers(a), Cells::Numbers(b)) => pairs.push((a, b)),
            _ => return Err(format!("column {name} is not numerical on both sides")),
        }
    }
    Ok(pairs)
}

/// CPU time this process has used (user + system), from `/proc/self/stat` in clock ticks of
/// 10 ms; 0 where there is no `/proc`. On a shared machine wall time also counts the time other
/// processes hold the cores, CPU time does not.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let method = args
        .iter()
        .position(|a| a == "--method")
        .and_then(|i| args.get(i + 1))
        .map(|m| m.parse::<Method>().unwrap_or_else(|e| panic!("{e}")));
    let files: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--method"))
        .map(|(_, a)| a)
        .collect();
    let data = match files.as_slice() {
        [] => generated(),
        [r, c] => from_files(r, c).unwrap_or_else(|e| panic!("{e}")),
        _ => panic!("usage: drift [REF.parquet CUR.parquet] [--method M]"),
    };
    let options = Options {
        method,
        threshold: None,
    };
    let rows: usize = data.iter().map(|(r, c)| r.len() + c.len()).sum();
    let bytes = rows * std::mem::size_of::<f64>();

    let jobs: Vec<(Column<'_>, Column<'_>, Options)> = data
        .iter()
        .map(|(r, c)| (Column::Numerical(r), Column::Numerical(c), options))
        .collect();
    let threads = std::env::var("GATEHOUSE_BENCH_THREADS").ok();
    let (start, cpu_start) = (Instant::now(), cpu_seconds());
    let results = if threads.as_deref() == Some("1") {
        jobs.iter().map(|(r, c, o)| compare(r, c, o)).collect()
    } else {
        compare_many(&jobs)
    };
    let mut drifted = 0;
    for result in results {
        match result {
            Ok(d) => drifted += usize::from(d.drifted),
            Err(e) => eprintln!("error: {e}"),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_start;
    if files.is_empty() {
        println!(
            "{COLUMNS} columns x ({ROWS} + {ROWS}) rows, {:.0} MB of f64: {secs:.3} s, {:.1} M rows/s, {drifted} drifted",
            bytes as f64 / 1e6,
            rows as f64 / secs / 1e6
        );
    } else {
        println!(
            "{{\"seconds\": {secs}, \"cpu_seconds\": {cpu}, \"columns\": {}, \"drifted\": {drifted}, \"data_bytes\": {bytes}}}",
            data.len()
        );
    }
}
