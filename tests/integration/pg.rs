//! A throwaway PostgreSQL cluster for the tests: `initdb` and `pg_ctl` from
//! the system's PostgreSQL into a temp dir, on 127.0.0.1 and a free port
//! (as the `postgres` user when the tests run as root), one per test
//! process, each test in a database of its own. A watchdog stops the
//! server and removes its files when the test process ends, however it
//! ends.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// The environment variable that runs the suite against a server.
pub const BACKEND: &str = "STOCKPILE_TEST_BACKEND";

pub fn on_postgres() -> bool {
    std::env::var(BACKEND).is_ok_and(|b| b == "postgres")
}

pub struct Cluster {
    port: u16,
    admin: Mutex<postgres::Client>,
    /// The certificate authority of the server's TLS certificate, when
    /// openssl was there to make one.
    pub ca: Option<PathBuf>,
    /// A client certificate and key (0600) the authority signed for the
    /// role `certuser`, which may log in with it alone; the role
    /// `tlsonly` is refused in the clear.
    pub client: Option<(PathBuf, PathBuf)>,
}

/// Roles the TLS and password tests log in as, and the rules `pg_hba.conf`
/// has for them before initdb's (trust for everyone else): `pwuser` must
/// give its password, `PWUSER_PASSWORD`.
const TLS_RULES: &str =
    "hostssl all certuser 127.0.0.1/32 cert\nhostnossl all tlsonly 127.0.0.1/32 reject\n";
const PASSWORD_RULE: &str = "host all pwuser 127.0.0.1/32 scram-sha-256\n";

/// A test certificate authority and a server certificate it signed for
/// 127.0.0.1, in `data` (the server's key private to its owner), with the
/// authority as the server's `root.crt` for client certificates and a
/// client certificate for `certuser`. None without openssl.
fn certificates(dir: &Path, data: &Path) -> Option<PathBuf> {
    let openssl = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .ok()?;
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").ok()?;
    let made = openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=stockpile test CA",
    ]);
    // A key and a certificate the authority signed, with its extensions.
    let signed = |name: &str, subject: &str, extensions: &str| {
        let (key, csr, crt) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
        );
        openssl(&[
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &csr, "-subj", subject,
        ]) && openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &crt,
            "-days",
            "2",
            "-extfile",
            extensions,
        ])
    };
    let made = made
        && signed("server", "/CN=127.0.0.1", "san.ext")
        && signed("client", "/CN=certuser", "client.ext");
    if !made {
        return None;
    }
    for f in ["server.crt", "server.key"] {
        std::fs::copy(dir.join(f), data.join(f)).ok()?;
    }
    std::fs::copy(dir.join("ca.pem"), data.join("root.crt")).ok()?;
    use std::os::unix::fs::PermissionsExt;
    for key in [data.join("server.key"), dir.join("client.key")] {
        std::fs::set_permissions(key, std::fs::Permissions::from_mode(0o600)).ok()?;
    }
    let hba = data.join("pg_hba.conf");
    let rules = std::fs::read_to_string(&hba).ok()?;
    std::fs::write(&hba, format!("{TLS_RULES}{rules}")).ok()?;
    Some(dir.join("ca.pem"))
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// The system's PostgreSQL programs: on the PATH, or where Debian keeps
/// them (/usr/lib/postgresql/N/bin).
fn bin_dir() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                // A link to the real folder, which has the other programs
                // (pg_basebackup) too.
                let real = dir.join("initdb").canonicalize().ok();
                return real
                    .and_then(|r| r.parent().map(Path::to_path_buf))
                    .or(Some(dir));
            }
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").is_file())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a PostgreSQL program, as `postgres` when we are root (the server
/// refuses to run as root).
fn pg_command(bin: &Path, program: &str, root: bool) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(program));
        c
    } else {
        Command::new(bin.join(program))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The server's programs, whether they must run as `postgres`, and a new
/// folder that user owns (kept: the watchdog removes it).
struct Site {
    bin: PathBuf,
    root: bool,
    dir: PathBuf,
}

impl Site {
    fn new() -> Result<Site, String> {
        let bin = bin_dir().ok_or("no PostgreSQL server programs (initdb, pg_ctl) found")?;
        let root = is_root();
        let dir = tempfile::Builder::new()
            .prefix("stockpile-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?
            .keep();
        let site = Site { bin, root, dir };
        site.hand_over(&site.dir)?;
        Ok(site)
    }

    /// Gives a folder to the `postgres` user when we are root.
    fn hand_over(&self, path: &Path) -> Result<(), String> {
        if self.root {
            let status = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(path)
                .status()
                .map_err(|e| e.to_string())?;
            if !status.success() {
                return Err("cannot hand the cluster's folder to the postgres user".into());
            }
        }
        Ok(())
    }

    /// Runs one of the server's programs; its error output on failure.
    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> Result<(), String> {
        let out = pg_command(&self.bin, program, self.root)
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// A new cluster in `name`, its superuser `stockpile`, trusted.
    fn init(&self, name: &str) -> Result<PathBuf, String> {
        let data = self.dir.join(name);
        self.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "stockpile".as_ref(),
                "--auth=trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--no-sync".as_ref(),
            ],
        )?;
        Ok(data)
    }

    /// Starts the cluster in `data` on a free port, with a watchdog that
    /// stops it and removes the site when this test process is gone.
    fn launch(&self, data: &Path, extra: &str) -> Result<u16, String> {
        self.hand_over(data)?;
        let port = free_port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 {extra}",
            self.dir.display()
        );
        let log = data.with_extension("log");
        let started = self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
                "-w".as_ref(),
                "start".as_ref(),
            ],
        );
        if let Err(e) = started {
            return Err(format!(
                "{e}{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ));
        }
        let pg_ctl = self.bin.join("pg_ctl");
        let stop = format!(
            "{}{} -D {} -m immediate stop",
            if self.root {
                "runuser -u postgres -- "
            } else {
                ""
            },
            pg_ctl.display(),
            data.display()
        );
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            dir = self.dir.display()
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        Ok(port)
    }
}

/// The cluster's superuser on its maintenance database, in the clear.
pub fn admin(port: u16) -> Result<postgres::Client, String> {
    postgres::Client::connect(
        &format!("host=127.0.0.1 port={port} user=stockpile dbname=postgres"),
        postgres::NoTls,
    )
    .map_err(|e| e.to_string())
}

fn start() -> Result<Cluster, String> {
    let site = Site::new()?;
    let data = site.init("data")?;
    let hba = data.join("pg_hba.conf");
    let rules = std::fs::read_to_string(&hba).map_err(|e| e.to_string())?;
    std::fs::write(&hba, format!("{PASSWORD_RULE}{rules}")).map_err(|e| e.to_string())?;
    let ca = certificates(&site.dir, &data);
    let ssl = if ca.is_some() {
        "-c ssl=on -c ssl_ca_file=root.crt"
    } else {
        ""
    };
    let port = site.launch(&data, ssl)?;
    let mut admin = admin(port)?;
    admin
        .batch_execute(&format!(
            "CREATE ROLE certuser LOGIN SUPERUSER; CREATE ROLE tlsonly LOGIN SUPERUSER;
             CREATE ROLE pwuser LOGIN SUPERUSER PASSWORD '{PWUSER_PASSWORD}'"
        ))
        .map_err(|e| e.to_string())?;
    let client = ca
        .as_ref()
        .map(|_| (site.dir.join("client.crt"), site.dir.join("client.key")));
    Ok(Cluster {
        port,
        admin: Mutex::new(admin),
        ca,
        client,
    })
}

/// The password of the role `pwuser` (see `TLS_RULES`).
pub const PWUSER_PASSWORD: &str = "s3cret:pw";

/// A primary and a hot standby streaming from it (`pg_basebackup -R`),
/// for the one test that needs them: their ports.
pub struct Replicated {
    pub primary: u16,
    pub standby: u16,
}

impl Replicated {
    pub fn start() -> Option<Replicated> {
        match Self::try_start() {
            Ok(r) => Some(r),
            Err(e) if std::env::var_os("CI").is_some() => {
                panic!("a PostgreSQL standby is required in CI: {e}")
            }
            Err(e) => {
                eprintln!("skipped: no throwaway PostgreSQL standby ({e})");
                None
            }
        }
    }

    fn try_start() -> Result<Replicated, String> {
        let site = Site::new()?;
        let data = site.init("primary")?;
        let primary = site.launch(&data, "")?;
        admin(primary)?
            .batch_execute("CREATE DATABASE sp")
            .map_err(|e| e.to_string())?;
        let copy = site.dir.join("standby");
        let port = primary.to_string();
        site.run(
            "pg_basebackup",
            &[
                "-h".as_ref(),
                "127.0.0.1".as_ref(),
                "-p".as_ref(),
                port.as_ref(),
                "-U".as_ref(),
                "stockpile".as_ref(),
                "-D".as_ref(),
                copy.as_os_str(),
                "-R".as_ref(),
                // Not a spread checkpoint: that takes minutes.
                "--checkpoint=fast".as_ref(),
                "--no-sync".as_ref(),
            ],
        )?;
        let standby = site.launch(&copy, "")?;
        Ok(Replicated { primary, standby })
    }

    pub fn url(port: u16) -> String {
        format!("postgresql://stockpile@127.0.0.1:{port}/sp")
    }

    /// Waits until the standby has replayed all the primary has written
    /// (inserted: the test cluster commits without waiting for its WAL to
    /// be flushed, so the write position may lag the last commit).
    pub fn catch_up(&self) {
        let mut primary = admin(self.primary).expect("primary");
        let mut standby = admin(self.standby).expect("standby");
        let lsn: String = primary
            .query_one("SELECT pg_current_wal_insert_lsn()::text", &[])
            .unwrap()
            .get(0);
        for _ in 0..200 {
            let done: bool = standby
                .query_one(
                    "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn",
                    &[&lsn],
                )
                .unwrap()
                .get(0);
            if done {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the standby did not catch up in 10 s");
    }
}

/// The test process's cluster, started on first use. Without PostgreSQL
/// installed this panics in CI (`CI` set), where a missing server is a
/// failure; elsewhere it returns None and the caller skips.
pub fn cluster() -> Option<&'static Cluster> {
    match CLUSTER.get_or_init(start) {
        Ok(c) => Some(c),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("PostgreSQL is required in CI: {e}")
        }
        Err(e) => {
            eprintln!("skipped: no throwaway PostgreSQL ({e})");
            None
        }
    }
}

impl Cluster {
    /// A new empty database, and its URL.
    pub fn database(&self) -> String {
        let name = format!("t{}", NEXT_DB.fetch_add(1, Ordering::SeqCst));
        self.admin
            .lock()
            .expect("admin connection")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        self.url(&name)
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgresql://stockpile@127.0.0.1:{}/{database}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}
