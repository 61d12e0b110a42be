//! A server named by a `postgresql://` URL, and how it is shown: never
//! with its password. With `sslmode=require` (or `verify-ca`,
//! `verify-full`) the connection is TLS, and the server's certificate is
//! verified against `sslrootcert=FILE` (PEM), or the public roots when
//! none is given, host name included.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use postgres::Config;
use postgres::config::{Host, SslMode};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

/// A server named by a `postgresql://` URL. Shown without its password.
#[derive(Clone)]
pub struct Server {
    pub(super) config: Config,
    pub(super) shown: String,
    /// TLS, and the certificate authorities to trust (None: the public ones).
    pub(super) tls: Option<Option<PathBuf>>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Server {
    /// A `postgresql://` URL or a libpq `key=value …` connection string;
    /// what it leaves out is taken from libpq's environment (`PGHOST`,
    /// `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD`, `PGSSLMODE`) and the
    /// password file (`PGPASSFILE`, else `~/.pgpass`), as psql does.
    pub fn parse(url: &str) -> Result<Server, String> {
        let (url, sslmode, root) = if is_conninfo(url) {
            conninfo_tls_options(url)
        } else {
            tls_options(url)?
        };
        let sslmode = sslmode.or_else(|| env("PGSSLMODE"));
        let mut config = Config::from_str(&url).map_err(|e| {
            format!(
                "--db: not a PostgreSQL connection string ({e}); expected postgresql://USER@HOST[:PORT]/DATABASE or host=HOST dbname=DATABASE …"
            )
        })?;
        if config.get_hosts().is_empty()
            && let Some(hosts) = env("PGHOST")
        {
            for h in hosts.split(',').filter(|h| !h.is_empty()) {
                config.host(h);
            }
        }
        if config.get_ports().is_empty()
            && let Some(port) = env("PGPORT")
        {
            let port = port
                .parse::<u16>()
                .map_err(|_| format!("PGPORT: {port:?} is not a port number"))?;
            config.port(port);
        }
        if config.get_dbname().is_none()
            && let Some(db) = env("PGDATABASE")
        {
            config.dbname(&db);
        }
        if config.get_user().is_none() {
            // As psql does: the login name when the URL names no user.
            let user = std::env::var("PGUSER")
                .or_else(|_| std::env::var("USER"))
                .unwrap_or_else(|_| "postgres".into());
            config.user(&user);
        }
        if config.get_password().is_none()
            && let Ok(password) = std::env::var("PGPASSWORD")
        {
            config.password(password);
        }
        if config.get_hosts().is_empty() {
            config.host("localhost");
        }
        if config.get_password().is_none()
            && let Some(password) = pgpass(&config)
        {
            config.password(password);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("stockpile");
        if root.is_some()
            && !matches!(
                sslmode.as_deref(),
                Some("require" | "verify-ca" | "verify-full")
            )
        {
            return Err("--db: sslrootcert is given without sslmode=require".into());
        }
        let tls = match sslmode.as_deref() {
            None | Some("disable") => None,
            Some("require" | "verify-ca" | "verify-full") => Some(root),
            Some(other) => {
                return Err(format!(
                    "--db: sslmode={other} is not supported; use sslmode=require (TLS, the server's certificate verified) or leave it out"
                ));
            }
        };
        config.ssl_mode(if tls.is_some() {
            SslMode::Require
        } else {
            SslMode::Disable
        });
        let shown = shown(&config);
        Ok(Server { config, shown, tls })
    }

    /// Connects, plain or over TLS; the error is the server's own words
    /// (or the client's, when it never got that far).
    pub(super) fn connect(&self) -> Result<postgres::Client, String> {
        let connected = match &self.tls {
            None => self.config.connect(postgres::NoTls),
            Some(root) => self.config.connect(tls(root.as_deref())?),
        };
        connected.map_err(|e| match e.as_db_error() {
            Some(db) => db.message().to_string(),
            None => {
                // The innermost cause names it (a refused connection, an
                // unknown certificate authority).
                let mut cause: &dyn std::error::Error = &e;
                while let Some(next) = cause.source() {
                    cause = next;
                }
                cause.to_string()
            }
        })
    }

    /// The host (and port) alone, for a message about reaching it.
    pub fn host(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        match self.config.get_ports().first() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A libpq `key=value …` connection string (`host=db dbname=sp`), as
/// opposed to a URL or a path.
pub fn is_conninfo(text: &str) -> bool {
    let t = text.trim_start();
    match t.find('=') {
        Some(at) => {
            let key = t[..at].trim_end();
            !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        }
        None => false,
    }
}

/// The `key=value` pairs of a connection string, single quotes and
/// backslash escapes read as libpq reads them.
fn conninfo_pairs(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && !c.is_whitespace())).collect();
        if key.is_empty() {
            break;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next_if_eq(&'=').is_none() {
            pairs.push((key, String::new()));
            continue;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '\'' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
    pairs
}

/// A connection string without `sslmode` and `sslrootcert` (read here, not
/// by the `postgres` crate), and their values.
fn conninfo_tls_options(text: &str) -> (String, Option<String>, Option<PathBuf>) {
    let (mut sslmode, mut root) = (None, None);
    let mut kept = Vec::new();
    for (k, v) in conninfo_pairs(text) {
        match k.as_str() {
            "sslmode" => sslmode = Some(v),
            "sslrootcert" => root = Some(PathBuf::from(v)),
            _ => kept.push(format!(
                "{k}='{}'",
                v.replace('\\', "\\\\").replace('\'', "\\'")
            )),
        }
    }
    (kept.join(" "), sslmode, root)
}

/// The password for this server from the password file, as libpq finds it:
/// `PGPASSFILE`, else `~/.pgpass`; lines `host:port:database:user:password`
/// with `*` for any and `\:` for a colon; the first that matches. Like
/// libpq, a file others may read is ignored (with a warning).
fn pgpass(config: &Config) -> Option<String> {
    let path = env("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".pgpass")))?;
    let meta = std::fs::metadata(&path).ok()?;
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            eprintln!(
                "warning: password file {} has group or world access; permissions should be u=rw (0600) or less: not read",
                path.display()
            );
            return None;
        }
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(_)) | None => "localhost".into(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default().to_string();
    let db = config.get_dbname().map_or(user.clone(), String::from);
    pgpass_lookup(&text, [&host, &port, &db, &user])
}

fn pgpass_lookup(text: &str, wanted: [&str; 4]) -> Option<String> {
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        // Split on unescaped colons, unescaping \: and \\.
        let mut fields: Vec<String> = vec![String::new()];
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => fields.last_mut()?.extend(chars.next()),
                ':' if fields.len() < 5 => fields.push(String::new()),
                c => fields.last_mut()?.push(c),
            }
        }
        if fields.len() != 5 {
            continue;
        }
        if fields[..4]
            .iter()
            .zip(wanted)
            .all(|(f, w)| f == "*" || f == w)
        {
            return Some(fields[4].clone());
        }
    }
    None
}

/// The URL without the TLS options the `postgres` crate does not read
/// (`sslrootcert`) or reads differently (`sslmode`), and their values.
fn tls_options(url: &str) -> Result<(String, Option<String>, Option<PathBuf>), String> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), None, None));
    };
    let (mut sslmode, mut root) = (None, None);
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", v)) => sslmode = Some(v.to_string()),
            Some(("sslrootcert", v)) => root = Some(PathBuf::from(unescape(v)?)),
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, sslmode, root))
}

/// `%2F` and the like in a URL's value.
fn unescape(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("--db: a bad %-escape in {text:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("--db: {text:?} is not UTF-8"))
}

/// A TLS connector that trusts the certificates in `root` (PEM), or the
/// public roots (Mozilla's, compiled in) when none is given.
fn tls(root: Option<&std::path::Path>) -> Result<MakeRustlsConnect, String> {
    let mut roots = rustls::RootCertStore::empty();
    match root {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            for cert in certs {
                let cert = cert.map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            }
            if roots.is_empty() {
                return Err(format!(
                    "sslrootcert {}: no certificate in it",
                    path.display()
                ));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

fn shown(config: &Config) -> String {
    let user = config.get_user().unwrap_or_default();
    let db = config.get_dbname().unwrap_or(user);
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string().replace('/', "%2F"),
        None => "localhost".into(),
    };
    let port = config
        .get_ports()
        .first()
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    format!("postgresql://{user}@{host}{port}/{db}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_options_are_taken_out_and_the_password_never_shown() {
        let (url, mode, root) = tls_options(
            "postgresql://u@h/db?sslmode=require&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=5",
        )
        .unwrap();
        assert_eq!(url, "postgresql://u@h/db?connect_timeout=5");
        assert_eq!(mode.as_deref(), Some("require"));
        assert_eq!(root, Some(PathBuf::from("/etc/ca.pem")));
        let server = Server::parse("postgresql://ops:s3cret@db.example:5433/stock").unwrap();
        assert_eq!(server.to_string(), "postgresql://ops@db.example:5433/stock");
        assert_eq!(
            format!("{server:?}"),
            "postgresql://ops@db.example:5433/stock"
        );
        assert!(Server::parse("postgresql://u@h/db?sslmode=prefer").is_err());
    }

    #[test]
    fn connection_strings_as_libpq_reads_them() {
        assert!(is_conninfo(
            "host=127.0.0.1 port=55433 dbname=sp user=postgres"
        ));
        assert!(!is_conninfo("stockpile.db"));
        assert!(!is_conninfo("/data/a=b.db"));
        assert!(!is_conninfo("postgresql://u@h/db"));
        let server = Server::parse(
            "host=db.example port=5433 dbname=stock user=ops password='a b\\'c' sslmode=disable",
        )
        .unwrap();
        assert_eq!(server.to_string(), "postgresql://ops@db.example:5433/stock");
        assert_eq!(server.config.get_password(), Some(&b"a b'c"[..]));
    }

    #[test]
    fn the_password_file_matches_as_libpq_does() {
        let file = "# comment\nother:*:*:*:no\ndb.example:5433:stock:ops:first\n*:*:*:ops:any\nh\\:x:*:*:*:colon\n";
        assert_eq!(
            pgpass_lookup(file, ["db.example", "5433", "stock", "ops"]).as_deref(),
            Some("first")
        );
        assert_eq!(
            pgpass_lookup(file, ["elsewhere", "5432", "stock", "ops"]).as_deref(),
            Some("any")
        );
        assert_eq!(
            pgpass_lookup(file, ["h:x", "1", "d", "u"]).as_deref(),
            Some("colon")
        );
        assert_eq!(
            pgpass_lookup(file, ["elsewhere", "5432", "stock", "root"]),
            None
        );
    }
}
