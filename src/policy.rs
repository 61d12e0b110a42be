//! Readiness policy (SPEC §13): the thresholds a force sets for its R- and
//! S-levels, whether PMC equipment counts as mission capable, and when a
//! depot's data is stale.
//!
//! A policy is a ledger entry (file name `stockpile policy`, its content
//! the policy as JSON with the TOML it came from), chained like every
//! import, so that a report names the entry it was judged by and can be
//! run again under it (`--policy ID`) after the policy has changed.
//! Without one, SPEC §4's values apply.
//!
//! ```toml
//! name = "Force readiness standard 2027"   # optional: printed with the policy
//! r_levels = [90, 70, 60]       # % mc_rate for R1, R2, R3; below the last: R4
//! s_levels = [90, 80, 65]       # % fill_rate for S1, S2, S3; below: S4
//! pmc_is_mission_capable = true # false: PMC counts outside mc (and packages)
//! stale_days = 14               # watch --stale default
//! ```

use std::path::Path;

use serde::Deserialize;
use serde_json::json;
use toml::Spanned;

use crate::db::{self, Db};
use crate::error::{Error, ImportError, Result};
use crate::model::{State, Status};

/// The ledger's file name for policy entries.
pub const LEDGER_NAME: &str = "stockpile policy";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Lowest % mc_rate of R1, R2 and R3.
    pub r_levels: [u8; 3],
    /// Lowest % fill_rate of S1, S2 and S3.
    pub s_levels: [u8; 3],
    /// False: PMC equipment is not mission capable (it stays in on hand
    /// and in the pmc column, but not in mc, deployable or packages).
    pub pmc_is_mission_capable: bool,
    /// Days after which a depot's latest snapshot is stale (`watch`).
    pub stale_days: u32,
    /// What the force calls it, when the file says.
    pub name: Option<String>,
}

impl Default for Policy {
    /// SPEC §4's thresholds.
    fn default() -> Self {
        Policy {
            r_levels: [90, 70, 60],
            s_levels: [90, 80, 65],
            pmc_is_mission_capable: true,
            stale_days: 14,
            name: None,
        }
    }
}

/// The part of a policy the figures are computed with: small enough to
/// travel with every group's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub r_levels: [u8; 3],
    pub s_levels: [u8; 3],
    pub pmc_is_mission_capable: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Policy::default().rules()
    }
}

impl Rules {
    /// Whether equipment in this state is mission capable under the
    /// policy. (Rounds are judged by their condition code, not by it.)
    pub fn is_mc(&self, state: State) -> bool {
        match state {
            State::Reported(Status::Fmc) => true,
            State::Reported(Status::Pmc) => self.pmc_is_mission_capable,
            _ => false,
        }
    }

    /// Mission capable (equipment) or serviceable (a lot's rounds) in this
    /// state: rounds by their status and condition, never by the policy.
    pub fn counts(&self, state: State, ammo: bool) -> bool {
        if ammo {
            state.is_mc()
        } else {
            self.is_mc(state)
        }
    }
}

impl Policy {
    pub fn rules(&self) -> Rules {
        Rules {
            r_levels: self.r_levels,
            s_levels: self.s_levels,
            pmc_is_mission_capable: self.pmc_is_mission_capable,
        }
    }

    /// The thresholds in one line, as a report states them.
    pub fn terms(&self) -> String {
        let [r1, r2, r3] = self.r_levels;
        let [s1, s2, s3] = self.s_levels;
        format!(
            "R1/R2/R3 at {r1}/{r2}/{r3} % MC, S1/S2/S3 at {s1}/{s2}/{s3} % fill, PMC {}",
            if self.pmc_is_mission_capable {
                "mission capable"
            } else {
                "not mission capable"
            }
        )
    }

    /// Reads and checks a policy file (SPEC §13). Errors name the file
    /// and line (exit 65).
    pub fn parse(text: &str, file: &str) -> Result<Policy, ImportError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let err = |offset: usize, message: String| ImportError::Profile {
            file: file.to_string(),
            line: line_of(offset),
            message,
        };
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            err(offset, e.message().trim().to_string())
        })?;
        let mut policy = Policy::default();
        if let Some(name) = raw.name {
            let trimmed = name.get_ref().trim();
            if trimmed.is_empty() || trimmed.chars().count() > 80 {
                return Err(err(
                    name.span().start,
                    "name: give the policy a name of 1 to 80 characters, or leave it out".into(),
                ));
            }
            policy.name = Some(trimmed.to_string());
        }
        let levels = |list: &Spanned<Vec<Spanned<i64>>>, key: &str, what: &str| {
            let values = list.get_ref();
            if values.len() != 3 {
                return Err(err(
                    list.span().start,
                    format!(
                        "{key}: give three thresholds, the lowest % {what} of levels 1, 2 and 3 (below the last is level 4), e.g. {key} = [90, 70, 60]; found {}",
                        values.len()
                    ),
                ));
            }
            let mut out = [0u8; 3];
            for (i, v) in values.iter().enumerate() {
                let n = *v.get_ref();
                if !(0..=100).contains(&n) {
                    return Err(err(
                        v.span().start,
                        format!("{key}: {n} is not a percentage (0 to 100)"),
                    ));
                }
                if i > 0 && n >= i64::from(out[i - 1]) {
                    return Err(err(
                        v.span().start,
                        format!(
                            "{key}: each threshold must be below the one before ({} then {n}): level {} would be out of reach",
                            out[i - 1],
                            i + 1
                        ),
                    ));
                }
                out[i] = n as u8;
            }
            Ok(out)
        };
        if let Some(r) = &raw.r_levels {
            policy.r_levels = levels(r, "r_levels", "mc_rate")?;
        }
        if let Some(s) = &raw.s_levels {
            policy.s_levels = levels(s, "s_levels", "fill_rate")?;
        }
        if let Some(p) = raw.pmc_is_mission_capable {
            policy.pmc_is_mission_capable = p;
        }
        if let Some(days) = raw.stale_days {
            let n = *days.get_ref();
            if !(1..=3650).contains(&n) {
                return Err(err(
                    days.span().start,
                    format!("stale_days: {n} is not a number of days from 1 to 3650"),
                ));
            }
            policy.stale_days = n as u32;
        }
        Ok(policy)
    }

    pub fn load(path: &Path) -> Result<Policy> {
        let text = crate::textfile::read(path)?;
        Ok(Policy::parse(&text, &path.display().to_string())?)
    }

    fn to_json(&self) -> serde_json::Value {
        json!({
            "name": self.name,
            "r_levels": self.r_levels,
            "s_levels": self.s_levels,
            "pmc_is_mission_capable": self.pmc_is_mission_capable,
            "stale_days": self.stale_days,
        })
    }

    fn from_json(v: &serde_json::Value) -> Option<Policy> {
        let three = |v: &serde_json::Value| -> Option<[u8; 3]> {
            let a = v.as_array()?;
            let n = |i: usize| a.get(i)?.as_u64().and_then(|n| u8::try_from(n).ok());
            Some([n(0)?, n(1)?, n(2)?])
        };
        Some(Policy {
            r_levels: three(&v["r_levels"])?,
            s_levels: three(&v["s_levels"])?,
            pmc_is_mission_capable: v["pmc_is_mission_capable"].as_bool()?,
            stale_days: u32::try_from(v["stale_days"].as_u64()?).ok()?,
            name: v["name"].as_str().map(String::from),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: Option<Spanned<String>>,
    r_levels: Option<Spanned<Vec<Spanned<i64>>>>,
    s_levels: Option<Spanned<Vec<Spanned<i64>>>>,
    pmc_is_mission_capable: Option<bool>,
    stale_days: Option<Spanned<i64>>,
}

/// A policy with where it came from: a ledger entry, or SPEC §4.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InForce {
    pub policy: Policy,
    pub entry: Option<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub recorded_at: String,
    pub recorded_by: String,
    /// The file it was imported from, as given.
    pub file: String,
    /// The TOML as imported.
    pub source: String,
}

impl InForce {
    /// How a report names it: "policy: ledger entry 14 …" or the defaults.
    pub fn line(&self) -> String {
        match &self.entry {
            Some(e) => format!(
                "Policy: ledger entry {}{} of {} · {}",
                e.id,
                self.policy
                    .name
                    .as_deref()
                    .map_or(String::new(), |n| format!(" \"{n}\"")),
                e.recorded_at.get(..10).unwrap_or(&e.recorded_at),
                self.policy.terms()
            ),
            None => format!("Policy: SPEC §4 defaults · {}", self.policy.terms()),
        }
    }

    /// The `policy` field of a report's JSON.
    pub fn json(&self) -> serde_json::Value {
        let mut v = self.policy.to_json();
        v["ledger_entry"] = json!(self.entry.as_ref().map(|e| e.id));
        v["recorded_at"] = json!(self.entry.as_ref().map(|e| e.recorded_at.clone()));
        v
    }
}

/// Which policy a command judges by: the latest recorded (or SPEC §4's
/// when none is), a given ledger entry, or SPEC §4's whatever is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Choice {
    #[default]
    Latest,
    Entry(i64),
    Defaults,
}

impl Choice {
    pub fn parse(text: &str) -> std::result::Result<Choice, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("default") || t.eq_ignore_ascii_case("defaults") {
            return Ok(Choice::Defaults);
        }
        if t.eq_ignore_ascii_case("latest") {
            return Ok(Choice::Latest);
        }
        t.parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Choice::Entry)
            .ok_or_else(|| {
                format!(
                    "\"{text}\" is not a policy (expected the ledger entry a report named, e.g. 14; latest; or default)"
                )
            })
    }
}

/// Every policy recorded, oldest first.
pub fn all(conn: &Db) -> db::Result<Vec<InForce>> {
    let entries: Vec<(i64, String, String, String)> = conn.rows(
        "SELECT id, content, imported_at, os_user FROM import_ledger WHERE file_name = ?1 ORDER BY id",
        &[&LEDGER_NAME],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    Ok(entries
        .into_iter()
        .filter_map(|(id, content, at, user)| {
            let v: serde_json::Value = serde_json::from_str(&content).ok()?;
            let p = v.get("policy")?;
            Some(InForce {
                policy: Policy::from_json(p)?,
                entry: Some(Entry {
                    id,
                    recorded_at: at,
                    recorded_by: user,
                    file: p["file"].as_str().unwrap_or("").to_string(),
                    source: p["toml"].as_str().unwrap_or("").to_string(),
                }),
            })
        })
        .collect())
}

/// The policy a command judges by.
pub fn choose(conn: &Db, choice: Choice) -> Result<InForce> {
    if choice == Choice::Defaults {
        return Ok(InForce::default());
    }
    // A database from before policies has no ledger rows of them; reading
    // it is cheap either way (the ledger has one row per file).
    let list = all(conn)?;
    match choice {
        Choice::Entry(id) => list
            .into_iter()
            .find(|p| p.entry.as_ref().is_some_and(|e| e.id == id))
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--policy {id}: ledger entry {id} is not a policy (stockpile policy show --all lists them)"
                ))
            }),
        _ => Ok(list.into_iter().next_back().unwrap_or_default()),
    }
}

/// Records a policy: one ledger entry, chained. Returns its id.
pub fn record(conn: &Db, policy: &Policy, file: &str, source: &str) -> Result<i64> {
    let mut p = policy.to_json();
    p["file"] = json!(file);
    p["toml"] = json!(source);
    let content = json!({ "policy": p }).to_string();
    crate::suspension::write_entry(conn, LEDGER_NAME, &content)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Policy, String> {
        Policy::parse(text, "p.toml").map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_spec_4() {
        assert_eq!(parse("").unwrap(), Policy::default());
        let p = parse("r_levels = [95, 80, 70]\npmc_is_mission_capable = false\n").unwrap();
        assert_eq!(p.r_levels, [95, 80, 70]);
        assert_eq!(p.s_levels, [90, 80, 65]);
        assert!(!p.rules().is_mc(State::Reported(Status::Pmc)));
        assert!(p.rules().is_mc(State::Reported(Status::Fmc)));
        assert!(p.rules().counts(State::Reported(Status::Pmc), true));
    }

    #[test]
    fn refusals_name_the_line() {
        let e = parse("name = \"x\"\nr_levels = [90, 90, 60]\n").unwrap_err();
        assert!(e.starts_with("p.toml:2: r_levels: each threshold"), "{e}");
        let e = parse("s_levels = [90, 80, 165]\n").unwrap_err();
        assert!(
            e.starts_with("p.toml:1: s_levels: 165 is not a percentage"),
            "{e}"
        );
        let e = parse("\n\nr_level = [90, 70, 60]\n").unwrap_err();
        assert!(e.starts_with("p.toml:3: unknown field `r_level`"), "{e}");
        let e = parse("r_levels = [90, 70]\n").unwrap_err();
        assert!(e.contains("give three thresholds"), "{e}");
        let e = parse("stale_days = 0\n").unwrap_err();
        assert!(e.starts_with("p.toml:1: stale_days"), "{e}");
        let e = parse("pmc_is_mission_capable = \"no\"\n").unwrap_err();
        assert!(e.starts_with("p.toml:1:"), "{e}");
    }

    #[test]
    fn json_round_trip() {
        let p = parse("name = \"ARRC\"\nr_levels = [95, 85, 75]\nstale_days = 7\n").unwrap();
        assert_eq!(Policy::from_json(&p.to_json()), Some(p));
    }
}
