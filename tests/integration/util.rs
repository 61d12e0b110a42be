//! A work dir per test: a temp folder with its own database, files written
//! into it, and the real `stockpile` binary run against them.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use std::process::Command;
use tempfile::TempDir;

/// The day every test's "current state" is judged on (`STOCKPILE_TODAY`):
/// figures of lots that expire do not change with the day the suite runs.
pub const TODAY: &str = "2026-12-06";

pub struct Work {
    pub dir: TempDir,
    /// The server database when the suite runs on PostgreSQL.
    server: Option<String>,
}

/// Returns from a test that is about the SQLite file itself (its bytes,
/// permissions, journal, the sqlite3 shell) when the suite runs on a server.
#[macro_export]
macro_rules! file_only {
    () => {
        if $crate::pg::on_postgres() {
            return;
        }
    };
}

/// What one run of the binary gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The spreadsheet samples shipped beside the project, when present.
pub fn samples() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples");
    p.is_dir().then_some(p)
}

pub fn bad_inputs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad")
}

impl Work {
    /// A work dir with a database of the backend the suite runs on: a file
    /// in it, or a new database on the test cluster.
    pub fn new() -> Work {
        let server = crate::pg::on_postgres().then(|| {
            crate::pg::cluster()
                .expect("the PostgreSQL run has a cluster")
                .database()
        });
        Work {
            dir: tempfile::tempdir().expect("temp dir"),
            server,
        }
    }

    /// A work dir on a SQLite file whatever the suite runs on.
    pub fn on_file() -> Work {
        Work {
            dir: tempfile::tempdir().expect("temp dir"),
            server: None,
        }
    }

    /// A work dir on this server database.
    pub fn on_server(url: String) -> Work {
        Work {
            dir: tempfile::tempdir().expect("temp dir"),
            server: Some(url),
        }
    }

    /// What `--db` names: the file, or the server database's URL.
    pub fn db_arg(&self) -> std::ffi::OsString {
        match &self.server {
            Some(url) => url.into(),
            None => self.db().into(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn db(&self) -> PathBuf {
        self.path("stockpile.db")
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, contents).expect("write file");
        p
    }

    /// Runs `stockpile --db <this db> ARGS…` in the work dir.
    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.run_with(&[], args)
    }

    /// `run`, with these environment variables set.
    pub fn run_with<I, S>(&self, env: &[(&str, &str)], args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("stockpile"));
        self.in_work(&mut cmd)
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .args(args);
        cmd.output().expect("binary runs").into()
    }

    /// Starts `stockpile --db <this db> ARGS…` without waiting for it (for
    /// races and kills), its output piped.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.in_work(&mut Command::new(assert_cmd::cargo::cargo_bin("stockpile")))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn stockpile")
    }

    pub fn import(&self, file: &Path) -> Run {
        self.run([Path::new("import"), file])
    }

    /// `import FILE` with the process's data (heap and private mappings)
    /// limited to `mb` MiB: an import that needed more fails to allocate and
    /// aborts (exit 134) instead of finishing — the peak is bounded, not
    /// sampled.
    pub fn import_within(&self, file: &Path, mb: u64) -> Run {
        let mut cmd = Command::new("bash");
        cmd.arg("-c")
            .arg(format!("ulimit -d {}; exec \"$0\" \"$@\"", mb * 1024))
            .arg(assert_cmd::cargo::cargo_bin("stockpile"));
        self.in_work(&mut cmd)
            .env("NO_COLOR", "1")
            .arg("import")
            .arg(file);
        cmd.output().expect("bash runs").into()
    }

    /// `cmd` run as the tests run stockpile: in the work dir, on this
    /// database, on the tests' day.
    fn in_work<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        cmd.current_dir(self.dir.path())
            .env_remove("STOCKPILE_DB")
            .env("STOCKPILE_TODAY", TODAY)
            .arg("--db")
            .arg(self.db_arg())
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--format", "json"]);
        self.run(&all).ok().json()
    }

    /// Runs statements on the database behind stockpile's back (to tamper
    /// with it), on whichever backend it is. `PRAGMA foreign_keys = OFF;`
    /// becomes the server's way of allowing the same.
    pub fn sql(&self, sql: &str) {
        match &self.server {
            Some(url) => {
                let sql = sql.replace(
                    "PRAGMA foreign_keys = OFF;",
                    "SET session_replication_role = replica;",
                );
                postgres::Client::connect(url, postgres::NoTls)
                    .expect("connect")
                    .batch_execute(&sql)
                    .expect("run SQL");
            }
            None => rusqlite::Connection::open(self.db())
                .expect("open db")
                .execute_batch(sql)
                .expect("run SQL"),
        }
    }

    /// Everything a report can be built from, to prove a failed command left
    /// the database exactly as it was.
    pub fn state(&self) -> String {
        if let Some(url) = &self.server {
            return server_state(url);
        }
        if !self.db().exists() {
            return "(nothing imported)".into();
        }
        let conn = rusqlite::Connection::open(self.db()).expect("open db");
        // A refused first import leaves the empty database it made (another
        // stockpile may have opened it): nothing imported, as no file.
        let entries: i64 = conn
            .query_row("SELECT count(*) FROM import_ledger", [], |r| r.get(0))
            .unwrap_or(0);
        if entries == 0 {
            return "(nothing imported)".into();
        }
        let mut out = String::new();
        for table in TABLES {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY 1"))
                .unwrap();
            let n = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            while let Some(r) = rows.next().unwrap() {
                out.push_str(table);
                for i in 0..n {
                    out.push_str(&format!("|{:?}", r.get_ref(i).unwrap()));
                }
                out.push('\n');
            }
        }
        out
    }
}

const TABLES: [&str; 8] = [
    "depot",
    "equipment_type",
    "snapshot",
    "holding_version",
    "readiness_current",
    "readiness_notice",
    "requirement",
    "import_ledger",
];

/// `Work::state` on a server: every table as text, row by row.
fn server_state(url: &str) -> String {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    let made = client
        .query_one("SELECT to_regclass('stockpile_schema') IS NOT NULL", &[])
        .expect("ask")
        .get::<_, bool>(0);
    let entries: i64 = if made {
        client
            .query_one("SELECT count(*) FROM import_ledger", &[])
            .expect("count")
            .get(0)
    } else {
        0
    };
    if entries == 0 {
        return "(nothing imported)".into();
    }
    let mut out = String::new();
    for table in TABLES {
        for r in client
            .query(&format!("SELECT t::text FROM {table} t ORDER BY 1"), &[])
            .expect("read table")
        {
            out.push_str(table);
            out.push('|');
            out.push_str(&r.get::<_, String>(0));
            out.push('\n');
        }
    }
    // Tables a refused first import made, with nothing in them: what the
    // file's absence is on a server.
    if out.is_empty() {
        return "(nothing imported)".into();
    }
    out
}

/// A small deterministic generator (no dependency needed for a test).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }

    pub fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.next(from.len() as u64) as usize]
    }
}

/// A canonical export: header plus rows given as CSV text lines.
pub fn export(rows: &[&str]) -> String {
    export_with(
        "depot,as_of,type,category,nsn,serial,quantity,status,owner,notice_hours,lot,expires,remarks",
        rows,
    )
}

/// An export with this header.
pub fn export_with(header: &str, rows: &[&str]) -> String {
    let mut s = format!("{header}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// Row of the `rows` array of a JSON report whose key field equals `value`.
pub fn row<'a>(report: &'a Value, key: &str, value: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r[key] == value)
        .unwrap_or_else(|| panic!("no row with {key} = {value} in {report:#}"))
}

/// A work dir holding the shipped fixtures and their requirements.
pub fn with_fixtures() -> Work {
    let w = Work::new();
    w.run(["import", fixtures().join("exports").to_str().unwrap()])
        .ok();
    w.run([
        "requirements",
        "import",
        fixtures().join("requirements.csv").to_str().unwrap(),
    ])
    .ok();
    w
}

/// Runs this test binary's suite again in a child process with `env` set,
/// leaving out the modules in `skip`; fails with the child's summary and
/// the tail of its output unless every test passed and more than
/// `at_least` ran.
pub fn run_suite_again(what: &str, env: (&str, &str), skip: &[&str], at_least: usize) {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    for module in skip {
        cmd.args(["--skip", module]);
    }
    let out = cmd
        .args(["--test-threads", "2"])
        .env(env.0, env.1)
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout
        .lines()
        .filter(|l| l.starts_with("test result") || l.contains("FAILED") || l.contains("panicked"))
        .collect::<Vec<_>>()
        .join("\n");
    let tail: String = {
        let chars: Vec<char> = stdout.chars().collect();
        chars[chars.len().saturating_sub(6000)..].iter().collect()
    };
    assert!(
        out.status.success(),
        "the suite failed {what}:\n{summary}\n\n{tail}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // It ran the suite, not nothing.
    let passed: usize = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test result: ok. "))
        .filter_map(|l| l.split(' ').next()?.parse::<usize>().ok())
        .sum();
    assert!(
        passed > at_least,
        "only {passed} tests ran {what}:\n{summary}"
    );
}

/// The figures `../shared/samples/README.md` documents for every sample
/// export: equipment items and rounds counted apart (SPEC §4).
#[track_caller]
pub fn assert_sample_figures(w: &Work, file: &str) {
    let r = w.json(&["report", "--by", "type"]);
    // type: on_hand fmc pmc nmcm nmcs mc r_level ammo_on_hand serviceable expired
    let expected = [
        ("CAESAR-8X8", [12, 9, 1, 1, 1, 10], Some("R2"), [0, 0, 0]),
        ("VBCI", [6, 5, 0, 1, 0, 5], Some("R2"), [0, 0, 0]),
        ("155MM-LU211", [0, 0, 0, 0, 0, 0], None, [2580, 2400, 180]),
    ];
    let figures = |g: &Value| -> ([i64; 6], Option<String>, [i64; 3]) {
        let n = |k: &str| g[k].as_i64().unwrap_or(-1);
        (
            ["on_hand", "fmc", "pmc", "nmcm", "nmcs", "mc"].map(n),
            g["r_level"].as_str().map(String::from),
            ["ammo_on_hand", "ammo_serviceable", "ammo_expired"].map(n),
        )
    };
    for (ty, items, level, rounds) in expected {
        assert_eq!(
            figures(row(&r, "type", ty)),
            (items, level.map(String::from), rounds),
            "{file}: {ty}"
        );
    }
    assert_eq!(
        figures(&r["total"]),
        ([18, 14, 1, 2, 1, 15], Some("R2".into()), [2580, 2400, 180]),
        "{file}: total"
    );
    let d = w.json(&["deployable", "--within", "24h"]);
    assert_eq!(row(&d, "type", "CAESAR-8X8")["deployable"], 10, "{file}");
    assert_eq!(row(&d, "type", "VBCI")["deployable"], 5, "{file}");
    assert_eq!(
        d["total"]["ammo_deployable"], 0,
        "{file}: no rounds within 24 h"
    );
    let d = w.json(&["deployable", "--within", "48h"]);
    assert_eq!(
        (&d["total"]["deployable"], &d["total"]["ammo_deployable"]),
        (&Value::from(15), &Value::from(2400)),
        "{file}: the expired lot never counts"
    );
}

/// A force's data at the width of its names: 60 depots, type codes of up
/// to 24 characters, serials and lots of 14, two weekly snapshots with
/// status changes, lots expired and expiring.
pub fn force_scale() -> Work {
    let w = Work::new();
    let types = [
        ("PATRIOT-M903-LAUNCHER-EX", "AD", "1425-01-436-4871"),
        ("M1A2-SEPV3-MOD1", "MBT", "2350-01-668-0001"),
        ("ZUZANA-2-MOD1", "SPH", "2350-99-853-2926"),
        ("CV90-30", "IFV", "2350-01-100-0030"),
    ];
    let mut weeks = [String::new(), String::new()];
    for (week, text) in weeks.iter_mut().enumerate() {
        let as_of = if week == 0 {
            "2026-11-22"
        } else {
            "2026-11-29"
        };
        let mut rows = Vec::new();
        for d in 0..60 {
            let depot = format!("XX-D{d:02}-01");
            for (t, (code, category, nsn)) in types.iter().enumerate() {
                for n in 0..5 {
                    // A tank in four goes down in the second week.
                    let status = if week == 1 && n == (d + t) % 5 {
                        "NMCM"
                    } else {
                        "FMC"
                    };
                    rows.push(format!(
                        "{depot},{as_of},{code},{category},{nsn},XX-{t}{d:02}-00{n:05},1,{status},DEU,48,,,"
                    ));
                }
            }
            let expires = if d % 3 == 0 {
                "2026-11-25"
            } else {
                "2026-12-20"
            };
            rows.push(format!(
                "{depot},{as_of},155MM-HE-M795-EXT,AMMO,1320-01-529-7950,,480,FMC,DEU,72,155MM-26-{d:03}A-X,{expires},"
            ));
        }
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        *text = export(&rows);
    }
    for (i, text) in weeks.iter().enumerate() {
        let file = w.write(&format!("week{i}.csv"), text);
        w.import(&file).ok();
    }
    w
}
