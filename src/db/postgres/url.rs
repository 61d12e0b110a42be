//! A server named by a `postgresql://` URL, and how it is shown: never
//! with its password.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use postgres::Config;
use postgres::config::Host;

/// A server named by a `postgresql://` URL. Shown without its password.
#[derive(Clone)]
pub struct Server {
    pub(super) config: Config,
    pub(super) shown: String,
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
        let mut config = Config::from_str(url).map_err(|e| {
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
        let shown = shown(&config);
        Ok(Server { config, shown })
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
