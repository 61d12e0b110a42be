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

/// Roles the TLS tests log in as, and the rules `pg_hba.conf` has for
/// them before initdb's (trust for everyone else).
const TLS_RULES: &str =
    "hostssl all certuser 127.0.0.1/32 cert\nhostnossl all tlsonly 127.0.0.1/32 reject\n";

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
    ]) && openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]) && openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]) && openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "client.key",
        "-out",
        "client.csr",
        "-subj",
        "/CN=certuser",
    ]) && openssl(&[
        "x509",
        "-req",
        "-in",
        "client.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "client.crt",
        "-days",
        "2",
        "-extfile",
        "client.ext",
    ]);
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
                return Some(dir);
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

fn start() -> Result<Cluster, String> {
    let bin = bin_dir().ok_or("no PostgreSQL server programs (initdb, pg_ctl) found")?;
    let root = is_root();
    let dir = tempfile::Builder::new()
        .prefix("stockpile-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    if root {
        let status = Command::new("chown")
            .args(["-R", "postgres"])
            .arg(&dir)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err("cannot hand the cluster's folder to the postgres user".into());
        }
    }
    let data = dir.join("data");
    let out = pg_command(&bin, "initdb", root)
        .arg("-D")
        .arg(&data)
        .args(["-U", "stockpile", "--auth=trust", "-E", "UTF8", "--no-sync"])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let ca = certificates(&dir, &data);
    if root {
        Command::new("chown")
            .args(["-R", "postgres"])
            .arg(&data)
            .status()
            .map_err(|e| e.to_string())?;
    }
    let port = free_port();
    let ssl = if ca.is_some() {
        "-c ssl=on -c ssl_ca_file=root.crt"
    } else {
        ""
    };
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 {ssl}",
        dir.display()
    );
    let out = pg_command(&bin, "pg_ctl", root)
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("log"))
        .args(["-o", &options, "-w", "start"])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
        return Err(format!(
            "pg_ctl start failed: {}{log}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    // The watchdog: when this process is gone, stop the server and remove
    // its files.
    let pg_ctl = bin.join("pg_ctl");
    let stop = if root {
        format!(
            "runuser -u postgres -- {} -D {} -m immediate stop",
            pg_ctl.display(),
            data.display()
        )
    } else {
        format!(
            "{} -D {} -m immediate stop",
            pg_ctl.display(),
            data.display()
        )
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        dir = dir.display()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut admin = postgres::Client::connect(
        &format!("host=127.0.0.1 port={port} user=stockpile dbname=postgres"),
        postgres::NoTls,
    )
    .map_err(|e| e.to_string())?;
    admin
        .batch_execute("CREATE ROLE certuser LOGIN SUPERUSER; CREATE ROLE tlsonly LOGIN SUPERUSER")
        .map_err(|e| e.to_string())?;
    let client = ca
        .as_ref()
        .map(|_| (dir.join("client.crt"), dir.join("client.key")));
    Ok(Cluster {
        port,
        admin: Mutex::new(admin),
        ca,
        client,
    })
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
