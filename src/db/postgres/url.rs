//! A server named by a `postgresql://` URL or a libpq `key=value`
//! connection string, completed as libpq completes it (a service file,
//! then the environment, then the password file), and how it is shown:
//! never with its password. TLS follows `sslmode` (see `tls`).

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use postgres::Config;
use postgres::config::{Host, SslMode};

use super::service;
use super::tls::{Mode, Tls};

/// A server named by a `postgresql://` URL. Shown without its password.
#[derive(Clone)]
pub struct Server {
    pub(super) config: Config,
    pub(super) shown: String,
    pub(super) tls: Tls,
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

/// The options read here rather than by the `postgres` crate, which lacks
/// them (`service`, the certificate files) or reads them differently
/// (`sslmode`).
const OURS: [&str; 5] = ["service", "sslmode", "sslrootcert", "sslcert", "sslkey"];

impl Server {
    /// A `postgresql://` URL or a libpq `key=value …` connection string;
    /// what it leaves out is taken, as psql takes it, from the service it
    /// names (`service=`, else `PGSERVICE`), then libpq's environment
    /// (`PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD`,
    /// `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`), then the
    /// password file (`PGPASSFILE`, else `~/.pgpass`).
    pub fn parse(url: &str) -> Result<Server, String> {
        let (url, mut ours) = if is_conninfo(url) {
            conninfo_options(url)
        } else {
            url_options(url)?
        };
        let mut config = Config::from_str(&url).map_err(|e| {
            format!(
                "--db: not a PostgreSQL connection string ({e}); expected postgresql://USER@HOST[:PORT]/DATABASE or host=HOST dbname=DATABASE …"
            )
        })?;
        if let Some(name) = ours.remove("service").or_else(|| env("PGSERVICE")) {
            apply_service(&mut config, &mut ours, &service::lookup(&name)?)?;
        }
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
        for (key, var) in [
            ("sslmode", "PGSSLMODE"),
            ("sslrootcert", "PGSSLROOTCERT"),
            ("sslcert", "PGSSLCERT"),
            ("sslkey", "PGSSLKEY"),
        ] {
            if !ours.contains_key(key)
                && let Some(v) = env(var)
            {
                ours.insert(key, v);
            }
        }
        let tls = tls_settings(&ours)?;
        // A certificate or key that cannot be read is a mistake in --db,
        // said now rather than as a failure to reach the server.
        tls.connector(tls.mode.verifies())?;
        let shown = shown(&config);
        Ok(Server { config, shown, tls })
    }

    /// Connects as `sslmode` says; the error is the server's own words
    /// (or the client's, when it never got that far).
    pub(super) fn connect(&self) -> Result<postgres::Client, String> {
        let mut config = self.config.clone();
        let tls = &self.tls;
        if tls.chosen && matches!(tls.mode, Mode::Prefer | Mode::Allow) {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                eprintln!(
                    "warning: sslmode={}: the server's certificate is not verified, so nothing proves this is your server; use sslmode=verify-full with sslrootcert=FILE",
                    if tls.mode == Mode::Prefer { "prefer" } else { "allow" }
                )
            });
        }
        let connected = match tls.mode {
            Mode::Disable => config.ssl_mode(SslMode::Disable).connect(postgres::NoTls),
            Mode::Allow => match config.ssl_mode(SslMode::Disable).connect(postgres::NoTls) {
                Ok(client) => Ok(client),
                // As libpq: refused in the clear, try once more over TLS.
                Err(_) => config
                    .ssl_mode(SslMode::Require)
                    .connect(tls.connector(false)?),
            },
            Mode::Prefer => config
                .ssl_mode(SslMode::Prefer)
                .connect(tls.connector(false)?),
            Mode::Require | Mode::VerifyCa | Mode::VerifyFull => config
                .ssl_mode(SslMode::Require)
                .connect(tls.connector(true)?),
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

/// A connection string without the options read here (`OURS`), and
/// their values.
fn conninfo_options(text: &str) -> (String, HashMap<&'static str, String>) {
    let mut ours = HashMap::new();
    let mut kept = Vec::new();
    for (k, v) in conninfo_pairs(text) {
        match OURS.iter().find(|o| **o == k) {
            Some(key) => {
                ours.insert(*key, v);
            }
            None => kept.push(format!(
                "{k}='{}'",
                v.replace('\\', "\\\\").replace('\'', "\\'")
            )),
        }
    }
    (kept.join(" "), ours)
}

/// What a service section sets that the connection string left out, as
/// libpq lets the string win.
fn apply_service(
    config: &mut Config,
    ours: &mut HashMap<&'static str, String>,
    service: &service::Service,
) -> Result<(), String> {
    for (key, value, at) in &service.pairs {
        match key.as_str() {
            "host" if config.get_hosts().is_empty() => {
                for h in value.split(',').filter(|h| !h.is_empty()) {
                    config.host(h);
                }
            }
            "hostaddr" if config.get_hostaddrs().is_empty() => {
                for h in value.split(',').filter(|h| !h.is_empty()) {
                    let addr = h.parse().map_err(|_| {
                        format!("service file {at}: hostaddr {h:?} is not an IP address")
                    })?;
                    config.hostaddr(addr);
                }
            }
            "port" if config.get_ports().is_empty() => {
                let port = value.parse::<u16>().map_err(|_| {
                    format!("service file {at}: port {value:?} is not a port number")
                })?;
                config.port(port);
            }
            "dbname" if config.get_dbname().is_none() => {
                config.dbname(value);
            }
            "user" if config.get_user().is_none() => {
                config.user(value);
            }
            "password" if config.get_password().is_none() => {
                config.password(value);
            }
            "connect_timeout" if config.get_connect_timeout().is_none() => {
                let secs = value.parse::<u64>().map_err(|_| {
                    format!(
                        "service file {at}: connect_timeout {value:?} is not a number of seconds"
                    )
                })?;
                config.connect_timeout(Duration::from_secs(secs));
            }
            "options" if config.get_options().is_none() => {
                config.options(value);
            }
            "sslmode" | "sslrootcert" | "sslcert" | "sslkey" => {
                let key = OURS.iter().find(|o| **o == key).expect("one of ours");
                ours.entry(key).or_insert_with(|| value.clone());
            }
            "host" | "hostaddr" | "port" | "dbname" | "user" | "password" | "connect_timeout"
            | "options" | "application_name" => {}
            other => {
                return Err(format!(
                    "service file {at}: {other:?} is not a connection setting stockpile reads (host, hostaddr, port, dbname, user, password, connect_timeout, options, sslmode, sslrootcert, sslcert, sslkey)"
                ));
            }
        }
    }
    Ok(())
}

/// The TLS settings from the options: libpq's default mode is `prefer`;
/// a root certificate given with no mode asks for verification; the
/// client certificate and root default to libpq's files in
/// `~/.postgresql` when they exist.
fn tls_settings(ours: &HashMap<&'static str, String>) -> Result<Tls, String> {
    let home = env("HOME").map(|h| PathBuf::from(h).join(".postgresql"));
    let given_root = ours.get("sslrootcert").filter(|r| r.as_str() != "system");
    let chosen = ours.contains_key("sslmode");
    let mode = match ours.get("sslmode") {
        Some(m) => Mode::parse(m)?,
        None if given_root.is_some() => Mode::Require,
        None => Mode::Prefer,
    };
    if given_root.is_some() && !mode.verifies() {
        return Err(format!(
            "--db: sslrootcert is given with sslmode={}, which does not verify the server; use sslmode=verify-full",
            ours["sslmode"]
        ));
    }
    let root = match given_root {
        Some(r) => Some(PathBuf::from(r)),
        None if ours.contains_key("sslrootcert") => None,
        None => home
            .as_ref()
            .map(|h| h.join("root.crt"))
            .filter(|p| mode.verifies() && p.is_file()),
    };
    let client = match (ours.get("sslcert"), ours.get("sslkey")) {
        (Some(cert), Some(key)) => Some((PathBuf::from(cert), PathBuf::from(key))),
        (Some(cert), None) => {
            let key = home.as_ref().map(|h| h.join("postgresql.key"));
            match key.filter(|k| k.is_file()) {
                Some(key) => Some((PathBuf::from(cert), key)),
                None => return Err(format!("--db: sslcert={cert} is given without sslkey")),
            }
        }
        (None, Some(key)) => return Err(format!("--db: sslkey={key} is given without sslcert")),
        (None, None) => home.and_then(|h| {
            let (cert, key) = (h.join("postgresql.crt"), h.join("postgresql.key"));
            (cert.is_file() && key.is_file()).then_some((cert, key))
        }),
    };
    Ok(Tls {
        mode,
        chosen,
        root,
        client,
    })
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

/// The URL without the options read here (`OURS`), and their values.
fn url_options(url: &str) -> Result<(String, HashMap<&'static str, String>), String> {
    let mut ours = HashMap::new();
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), ours));
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match OURS.iter().find(|o| **o == k) {
            Some(key) => {
                ours.insert(*key, unescape(v)?);
            }
            None => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, ours))
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
        let (url, ours) = url_options(
            "postgresql://u@h/db?sslmode=require&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=5",
        )
        .unwrap();
        assert_eq!(url, "postgresql://u@h/db?connect_timeout=5");
        assert_eq!(ours["sslmode"], "require");
        assert_eq!(ours["sslrootcert"], "/etc/ca.pem");
        let server = Server::parse("postgresql://ops:s3cret@db.example:5433/stock").unwrap();
        assert_eq!(server.to_string(), "postgresql://ops@db.example:5433/stock");
        assert_eq!(
            format!("{server:?}"),
            "postgresql://ops@db.example:5433/stock"
        );
        assert!(Server::parse("postgresql://u@h/db?sslmode=maybe").is_err());
        // libpq's modes: prefer by default, a root certificate alone asks
        // for verification, and one with a mode that never verifies is a
        // contradiction.
        assert_eq!(
            Server::parse("postgresql://u@h/db").unwrap().tls.mode,
            Mode::Prefer
        );
        let allow = Server::parse("host=h sslmode=allow").unwrap().tls;
        assert!(allow.chosen && allow.mode == Mode::Allow);
        assert!(Server::parse("host=h sslmode=prefer sslrootcert=/etc/hostname").is_err());
        assert!(Server::parse("host=h sslkey=/k").is_err());
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
