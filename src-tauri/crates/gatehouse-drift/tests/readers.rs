//! The file readers on real files (Parquet written by pyarrow, CSV written by pandas, from
//! `tests/fixtures/drift/make_parquet.py`) and on broken ones: every malformed input is an error
//! naming the file, never a panic. The last tests mutate valid files at random (a fixed seed, so
//! a failure reproduces) and truncate them at every length.

// A test binary: a broken fixture should fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use gatehouse_drift::{compare_tables, Cells, Request, Table, DEFAULT_DRIFT_SHARE};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../tests/fixtures/drift/parquet")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parquet(name: &str) -> Result<Table, gatehouse_drift::DriftError> {
    Table::from_parquet(name, fixture(name))
}

fn request() -> Request {
    Request {
        drift_share: DEFAULT_DRIFT_SHARE,
        ..Request::default()
    }
}

fn column<'t>(t: &'t Table, name: &str) -> &'t Cells {
    &t.cells[t.columns.iter().position(|c| c == name).unwrap()]
}

#[test]
fn parquet_and_csv_of_one_table_give_the_same_cells() {
    let p = parquet("mixed.parquet").unwrap();
    let c = Table::from_csv("mixed.csv", &fixture("mixed.csv")).unwrap();
    assert_eq!(p.rows, 300);
    assert_eq!(c.rows, 300);
    for name in ["score", "ratio", "count", "small"] {
        let (Cells::Numbers(a), Cells::Numbers(b)) = (column(&p, name), column(&c, name)) else {
            panic!("{name} is not numbers on both sides");
        };
        // float32 values print with 7 digits in CSV.
        let tol = if name == "ratio" { 1e-6 } else { 0.0 };
        for (row, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x.is_nan() && y.is_nan()) || x == y || (x - y).abs() <= tol,
                "{name} row {row}: {x} vs {y}"
            );
        }
        assert!(a.iter().any(|x| x.is_nan()) || name == "ratio" || name == "small");
    }
    for name in ["plan", "active"] {
        assert_eq!(column(&p, name), column(&c, name), "{name}");
    }
    let Cells::Numbers(price) = column(&p, "price") else {
        panic!("decimals are numbers");
    };
    assert!(
        price.iter().all(|x| (0.0..100.0).contains(x)) && price.iter().any(|x| x.fract() != 0.0)
    );
    assert_eq!(
        column(&p, "seen"),
        &Cells::Unsupported("date and time".into())
    );

    // The same drift from either file.
    let only = Request {
        columns: Some(
            ["score", "ratio", "count", "small", "plan", "active"]
                .map(String::from)
                .to_vec(),
        ),
        ..request()
    };
    let from_parquet = compare_tables(&p, &p, &only).unwrap();
    let from_csv = compare_tables(&c, &c, &only).unwrap();
    for (a, b) in from_parquet.columns.iter().zip(&from_csv.columns) {
        assert_eq!(
            (a.drift.kind, a.drift.method),
            (b.drift.kind, b.drift.method),
            "{}",
            a.name
        );
    }
}

#[test]
fn compressed_and_dictionary_encoded_files_are_read() {
    for name in ["zstd.parquet", "lz4.parquet", "dictionary.parquet"] {
        let t = parquet(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let Cells::Numbers(x) = column(&t, "x") else {
            panic!("{name}: x is not numbers")
        };
        assert_eq!(x.len(), 4);
        assert!(x[1].is_nan() && x[3] == 4.25, "{name}: {x:?}");
        assert_eq!(
            column(&t, "tag"),
            &Cells::Text(vec![
                Some("a".into()),
                Some("b".into()),
                None,
                Some("a".into())
            ])
        );
    }
}

#[test]
fn unreadable_parquet_gets_an_error_naming_the_file_and_column() {
    let err = parquet("gzip.parquet").unwrap_err().to_string();
    assert!(
        err.starts_with("gzip.parquet: column `x`: row group 0: "),
        "{err}"
    );
    assert!(err.to_lowercase().contains("gzip"), "{err}");

    let err = parquet("binary.parquet").unwrap_err().to_string();
    assert_eq!(
        err,
        "binary.parquet: column `blob`: row 1: text is not UTF-8"
    );

    let nested = parquet("nested.parquet").unwrap();
    let err = compare_tables(&nested, &nested, &request())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "nested.parquet: column `xs.list.element`: nested (list) columns are not compared; leave the column out"
    );

    let empty = parquet("empty.parquet").unwrap();
    let err = compare_tables(&empty, &empty, &request())
        .unwrap_err()
        .to_string();
    assert_eq!(err, "empty.parquet: no data rows");

    let err = Table::from_parquet("notes.txt", b"a,b\n1,2\n".to_vec())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("notes.txt: not a readable Parquet file: "),
        "{err}"
    );
    let err = Table::from_parquet("zero.parquet", Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("zero.parquet: not a readable Parquet file: "),
        "{err}"
    );
}

#[test]
fn a_truncated_parquet_file_is_an_error_at_every_length() {
    let bytes = fixture("mixed.parquet");
    // Every length through the data pages in steps of 3, then every length of the footer.
    let footer = bytes.len().saturating_sub(2048);
    for len in (0..footer).step_by(3).chain(footer..bytes.len()) {
        let err = Table::from_parquet("cut.parquet", bytes[..len].to_vec());
        assert!(err.is_err(), "a file cut at {len} bytes was read");
    }
}

/// xorshift64*: a fixed, dependency-free source of mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Flips, overwrites, duplicates or deletes a few bytes.
fn mutate(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for _ in 0..1 + rng.below(4) {
        if out.is_empty() {
            break;
        }
        let at = rng.below(out.len());
        match rng.below(5) {
            0 => out[at] ^= 1 << rng.below(8),
            1 => out[at] = rng.next() as u8,
            2 => out[at] = [0x00, 0xff, 0x7f, 0x80][rng.below(4)],
            3 => {
                let b = out[at];
                out.insert(at, b);
            }
            _ => {
                out.remove(at);
            }
        }
    }
    out
}

/// Reading a mutated file, and comparing it with itself when it reads, returns: a value or an
/// error, never a panic (a panic fails the test with the seed's iteration in the message).
/// `FUZZ_ROUNDS=100000 cargo test --release -p gatehouse-drift --test readers` searches longer.
fn survives(
    read: impl Fn(Vec<u8>) -> Result<Table, gatehouse_drift::DriftError>,
    bytes: &[u8],
    rounds: usize,
    seed: u64,
) -> (usize, usize) {
    let mut rng = Rng(seed);
    let (mut read_ok, mut refused) = (0, 0);
    for round in 0..rounds {
        let input = mutate(&mut rng, bytes);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match read(input) {
            Ok(t) => {
                let _ = compare_tables(&t, &t, &request());
                true
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                false
            }
        }));
        match result {
            Ok(true) => read_ok += 1,
            Ok(false) => refused += 1,
            Err(_) => panic!("round {round} (seed {seed:#x}) panicked"),
        }
    }
    (read_ok, refused)
}

#[test]
fn mutated_parquet_files_never_panic() {
    for (name, seed) in [
        ("mixed.parquet", 0x5EED_0001),
        ("dictionary.parquet", 0x5EED_0002),
        ("zstd.parquet", 0x5EED_0003),
        ("lz4.parquet", 0x5EED_0004),
    ] {
        let bytes = fixture(name);
        let (ok, refused) = survives(
            |b| Table::from_parquet(name, b),
            &bytes,
            std::env::var("FUZZ_ROUNDS").map_or(1000, |r| r.parse().unwrap()),
            seed,
        );
        // Both outcomes occur: the mutations reach past the parser's first checks.
        assert!(refused > 0, "{name}: {ok} read, {refused} refused");
    }
}

#[test]
fn mutated_csv_files_never_panic() {
    let bytes = fixture("mixed.csv");
    let (ok, refused) = survives(
        |b| Table::from_csv("mixed.csv", &b),
        &bytes,
        1500,
        0x5EED_0005,
    );
    assert!(ok > 0 && refused > 0, "{ok} read, {refused} refused");
}
