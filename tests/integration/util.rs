//! A work dir per test: a temp folder with its own database, files written
//! into it, and the real `stockpile` binary run against them.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

pub struct Work {
    pub dir: TempDir,
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
    pub fn new() -> Work {
        Work {
            dir: tempfile::tempdir().expect("temp dir"),
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
        let mut cmd = Command::cargo_bin("stockpile").expect("binary built");
        cmd.current_dir(self.dir.path())
            .env_remove("STOCKPILE_DB")
            .env("NO_COLOR", "1")
            .arg("--db")
            .arg(self.db())
            .args(args);
        cmd.output().expect("binary runs").into()
    }

    pub fn import(&self, file: &Path) -> Run {
        self.run([Path::new("import"), file])
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--format", "json"]);
        self.run(&all).ok().json()
    }

    /// Everything a report can be built from, to prove a failed command left
    /// the database exactly as it was.
    pub fn state(&self) -> String {
        if !self.db().exists() {
            return "(no database)".into();
        }
        let conn = rusqlite::Connection::open(self.db()).expect("open db");
        let mut out = String::new();
        for table in [
            "depot",
            "equipment_type",
            "snapshot",
            "holding_version",
            "readiness_current",
            "readiness_notice",
            "requirement",
            "import_ledger",
        ] {
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

/// A canonical export: header plus rows given as CSV text lines.
pub fn export(rows: &[&str]) -> String {
    let mut s = String::from(
        "depot,as_of,type,category,nsn,serial,quantity,status,owner,notice_hours,lot,expires,remarks\n",
    );
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
