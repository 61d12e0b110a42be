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
    pub fn parse(url: &str) -> Result<Server, String> {
        let (url, sslmode, root) = tls_options(url)?;
        let mut config = Config::from_str(&url).map_err(|e| {
            format!(
                "--db: not a PostgreSQL URL ({e}); expected postgresql://USER@HOST[:PORT]/DATABASE"
            )
        })?;
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
}
