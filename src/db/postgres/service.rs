//! libpq's connection service file: `service=NAME` (or `PGSERVICE`) names
//! a `[NAME]` section of `key=value` lines, looked for where libpq looks —
//! `PGSERVICEFILE` (else `~/.pg_service.conf`) first, then
//! `pg_service.conf` in `PGSYSCONFDIR` (else Debian's
//! `/etc/postgresql-common`).

use std::path::{Path, PathBuf};

/// A service's settings, each with the file and line it came from.
pub struct Service {
    pub pairs: Vec<(String, String, String)>,
}

/// The section `name` from the first file that has one.
pub fn lookup(name: &str) -> Result<Service, String> {
    let user = env("PGSERVICEFILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".pg_service.conf")));
    let system = Path::new(&env("PGSYSCONFDIR").unwrap_or_else(|| "/etc/postgresql-common".into()))
        .join("pg_service.conf");
    let mut looked = Vec::new();
    for path in user.into_iter().chain([system]) {
        let text = match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8(bytes)
                .map_err(|_| format!("service file {}: not UTF-8", path.display()))?,
            Err(_) => {
                looked.push(path.display().to_string());
                continue;
            }
        };
        if let Some(service) = section(&text, name, &path)? {
            return Ok(service);
        }
        looked.push(path.display().to_string());
    }
    Err(format!(
        "--db: definition of service {name:?} not found (looked in {})",
        looked.join(", ")
    ))
}

/// The `[name]` section of one file, if it has one.
fn section(text: &str, name: &str, path: &Path) -> Result<Option<Service>, String> {
    let mut inside = false;
    let mut found = false;
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(section) = rest.strip_suffix(']') else {
                return Err(format!(
                    "service file {}:{}: a section name must end with ]",
                    path.display(),
                    n + 1
                ));
            };
            if found && inside {
                break;
            }
            inside = section == name;
            found |= inside;
            continue;
        }
        if !inside {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!(
                "service file {}:{}: expected key=value",
                path.display(),
                n + 1
            ));
        };
        pairs.push((
            key.trim().to_string(),
            value.trim().to_string(),
            format!("{}:{}", path.display(), n + 1),
        ));
    }
    Ok(found.then_some(Service { pairs }))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_read_as_libpq_reads_it() {
        let text = "# comment\n[other]\nhost=x\n\n[stock]\n host = db.example \nport=5433\n# note\ndbname=sp\n[after]\nhost=y\n";
        let s = section(text, "stock", Path::new("f")).unwrap().unwrap();
        let pairs: Vec<_> = s
            .pairs
            .iter()
            .map(|(k, v, _)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [("host", "db.example"), ("port", "5433"), ("dbname", "sp")]
        );
        assert_eq!(s.pairs[1].2, "f:7");
        assert!(section(text, "missing", Path::new("f")).unwrap().is_none());
        assert!(section("[stock]\nhost\n", "stock", Path::new("f")).is_err());
    }
}
