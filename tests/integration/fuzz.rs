//! A mutation fuzzer for the CSV and workbook readers: real exports (the
//! fixtures, the workbooks, the corpus of bad files) with random bytes
//! flipped, inserted, deleted, repeated or cut, imported through the
//! library. No input may panic or end in anything but a refusal: exit 65
//! (bad data) or 66 (unreadable). It runs `STOCKPILE_FUZZ_CASES` cases
//! (default 300, a few seconds) so that CI stays bounded; raise it for a
//! longer hunt, e.g. `STOCKPILE_FUZZ_CASES=20000 cargo test --release fuzz`.

use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;

use crate::util::{bad_inputs, fixtures};

/// (file name, bytes) of every seed.
fn seeds() -> &'static [(String, Vec<u8>)] {
    static SEEDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let dirs: Vec<PathBuf> = vec![
            fixtures().join("exports"),
            fixtures().join("national"),
            fixtures().join("workbooks"),
            bad_inputs(),
        ];
        let mut seeds: Vec<(String, Vec<u8>)> = dirs
            .iter()
            .flat_map(|d| std::fs::read_dir(d).unwrap())
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.extension()
                    .is_some_and(|x| ["csv", "xlsx", "xls", "ods"].contains(&x.to_str().unwrap()))
            })
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&p).unwrap())
            })
            .collect();
        seeds.sort();
        seeds
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Repeat(usize, usize, u8),
    Cut(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = proptest::sample::select(vec![
        0u8, b'\n', b'\r', b'"', b',', b';', b'\t', b'|', 0x80, 0xC3, 0xEF, 0xFF, b'<', b'>', b'9',
        b'-', b'E',
    ]);
    prop_oneof![
        (
            any::<usize>(),
            prop_oneof![any::<u8>(), interesting.clone()]
        )
            .prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), proptest::collection::vec(interesting, 1..8))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), 1usize..200, 1u8..50).prop_map(|(i, n, k)| Mutation::Repeat(i, n, k)),
        any::<usize>().prop_map(Mutation::Cut),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len().max(1);
    match m {
        Mutation::Flip(i, b) => {
            if !bytes.is_empty() {
                bytes[i % len] = *b;
            }
        }
        Mutation::Insert(i, b) => {
            let at = i % (bytes.len() + 1);
            bytes.splice(at..at, b.iter().copied());
        }
        Mutation::Delete(i, n) => {
            let at = i % len;
            let end = (at + n).min(bytes.len());
            bytes.drain(at.min(end)..end);
        }
        Mutation::Repeat(i, n, k) => {
            let at = i % len;
            let end = (at + n).min(bytes.len());
            let chunk: Vec<u8> = bytes[at.min(end)..end].to_vec();
            for _ in 0..*k {
                bytes.splice(end..end, chunk.iter().copied());
            }
        }
        Mutation::Cut(i) => bytes.truncate(i % len),
    }
}

fn cases() -> u32 {
    std::env::var("STOCKPILE_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 2000, .. ProptestConfig::default() })]

    #[test]
    fn mutated_exports_are_imported_or_refused_never_a_panic(
        seed in any::<proptest::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let (name, bytes) = seed.get(seeds());
        let mut bytes = bytes.clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let conn = stockpile::db::open_scratch().unwrap();
        match stockpile::import::import_file(&conn, &path, &Default::default(), None) {
            Ok(_) => {}
            Err(e) => {
                let code = e.exit_code();
                prop_assert!(code == 65 || code == 66, "{name}: exit {code}: {e}");
                // A message quotes at most a short piece of what it refuses,
                // and lists a bounded number of rows.
                let message = e.to_string();
                prop_assert!(message.lines().all(|l| l.len() < 1000), "{name}: a line too long in {message}");
                prop_assert!(message.len() < 20_000, "{name}: a message of {} bytes", message.len());
            }
        }
    }
}

#[test]
fn the_seed_corpus_holds_every_kind_of_file() {
    let names: Vec<&str> = seeds().iter().map(|(n, _)| n.as_str()).collect();
    for ext in ["csv", "xlsx", "xls", "ods"] {
        assert!(
            names.iter().any(|n| n.ends_with(ext)),
            "no .{ext} seed in {names:?}"
        );
    }
    assert!(names.len() >= 50, "{} seeds", names.len());
}

/// The fuzzer's first find in a reader: an `.xls` cut short made calamine
/// slice past its buffer (a panic, exit 101). It is a damaged file.
#[test]
fn a_damaged_xls_that_crashed_the_reader_is_refused() {
    let seed = std::fs::read(fixtures().join("workbooks/no-set-01.xls")).unwrap();
    let mut bytes = seed.clone();
    apply(&mut bytes, &Mutation::Delete(4074456808581632, 23));
    apply(&mut bytes, &Mutation::Cut(2394661665578026412));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.xls");
    std::fs::write(&path, &bytes).unwrap();
    let conn = stockpile::db::open_scratch().unwrap();
    let e = stockpile::import::import_file(&conn, &path, &Default::default(), None).unwrap_err();
    assert_eq!(e.exit_code(), 65, "{e}");
    assert!(e.to_string().contains("damaged.xls"), "{e}");
}
