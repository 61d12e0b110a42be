//! The movement file (SPEC §11): where the depots are and how fast each
//! hands over equipment, the destinations, and the legs between them —
//! known routes, or estimates from the great-circle distance.
//!
//! ```toml
//! [defaults]
//! road_kmh = 40          # estimated legs: great-circle km × winding ÷ road_kmh
//! winding = 1.3
//!
//! [depot.PL-POW-01]
//! at = [52.40, 16.93]    # latitude, longitude (WGS 84 degrees)
//! issue_per_day = 240    # serialized items handed over per 24 h (0: no limit)
//!
//! [destination.AA-EAST]
//! name = "Assembly area east"
//! at = [50.04, 22.00]
//!
//! [[route]]              # a known leg: overrides the estimate for that pair
//! from = "NO-TRD-01"
//! to = "AA-EAST"
//! hours = 70
//! by = "sea + rail"
//! ```
//!
//! Every error names the line of the file it is on (`FILE:LINE: message`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::error::Error;
use crate::model::DepotCode;

/// Mean Earth radius, km (SPEC §11).
const EARTH_KM: f64 = 6371.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Movement {
    /// The file as named, for messages.
    pub file: String,
    pub road_kmh: f64,
    pub winding: f64,
    pub depots: BTreeMap<String, Place>,
    pub destinations: BTreeMap<String, Destination>,
    pub routes: Vec<Route>,
}

/// A depot's position and issue rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub at: Option<(f64, f64)>,
    /// Serialized items handed over per 24 h; None: no limit.
    pub issue_per_day: Option<u32>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    pub name: String,
    pub at: (f64, f64),
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub from: String,
    pub to: String,
    pub hours: f64,
    pub by: Option<String>,
    pub line: usize,
}

/// How a leg's hours are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegKind {
    Route,
    Estimate,
}

impl LegKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LegKind::Route => "route",
            LegKind::Estimate => "estimate",
        }
    }
}

/// A depot's way to a destination.
#[derive(Debug, Clone, PartialEq)]
pub struct Leg {
    pub hours: f64,
    pub kind: LegKind,
    pub by: Option<String>,
    pub km: Option<f64>,
}

/// Great-circle distance between two (latitude, longitude) points, km.
pub fn great_circle_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * EARTH_KM * h.sqrt().min(1.0).asin()
}

impl Movement {
    /// The depot's way to `destination`: the route when one names the
    /// pair, else an estimate from both positions. None when the depot is
    /// not in the file (it cannot send anything there); an error naming
    /// the depot when it is, but neither a route nor its position is.
    pub fn leg(&self, depot: &str, destination: &str) -> Result<Option<Leg>, Error> {
        let Some(place) = self.depots.get(depot) else {
            return Ok(None);
        };
        if let Some(r) = self
            .routes
            .iter()
            .find(|r| r.from == depot && r.to == destination)
        {
            return Ok(Some(Leg {
                hours: r.hours,
                kind: LegKind::Route,
                by: r.by.clone(),
                km: None,
            }));
        }
        let dest = self
            .destinations
            .get(destination)
            .ok_or_else(|| Error::Package {
                file: self.file.clone(),
                line: 1,
                message: format!("no destination {destination}"),
            })?;
        match place.at {
            Some(at) => {
                let km = great_circle_km(at, dest.at);
                Ok(Some(Leg {
                    hours: km * self.winding / self.road_kmh,
                    kind: LegKind::Estimate,
                    by: None,
                    km: Some(km),
                }))
            }
            None => Err(Error::Package {
                file: self.file.clone(),
                line: place.line,
                message: format!(
                    "depot {depot} has no position (at = [lat, lon]) and no [[route]] to {destination}: the leg cannot be timed"
                ),
            }),
        }
    }

    /// Items a day the depot hands over (None: no limit).
    pub fn rate(&self, depot: &str) -> Option<u32> {
        self.depots
            .get(depot)
            .and_then(|p| p.issue_per_day)
            .filter(|&r| r > 0)
    }

    /// Refuses a destination the file does not name, with the nearest name.
    pub fn check_destination(&self, code: &str) -> Result<(), Error> {
        if self.destinations.contains_key(code) {
            return Ok(());
        }
        let known: Vec<&str> = self.destinations.keys().map(String::as_str).collect();
        let hint = match crate::known::nearest(code, known.iter().copied()) {
            Some(n) => format!("; did you mean {n}?"),
            None => String::new(),
        };
        Err(Error::Data(format!(
            "--to: {code} is not a destination of {}{hint} (destinations: {})",
            self.file,
            known.join(", ")
        )))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMovement {
    defaults: Option<Spanned<RawDefaults>>,
    #[serde(default)]
    depot: BTreeMap<String, Spanned<RawPlace>>,
    #[serde(default)]
    destination: BTreeMap<String, Spanned<RawDestination>>,
    #[serde(default)]
    route: Vec<Spanned<RawRoute>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    road_kmh: Option<Spanned<f64>>,
    winding: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlace {
    at: Option<Spanned<Vec<f64>>>,
    issue_per_day: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDestination {
    name: Option<String>,
    at: Spanned<Vec<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    from: Spanned<String>,
    to: Spanned<String>,
    hours: Spanned<f64>,
    by: Option<String>,
}

pub fn load(path: &Path) -> Result<Movement, Error> {
    let text = crate::textfile::read(path)?;
    parse(&text, &path.display().to_string())
}

pub fn parse(text: &str, file: &str) -> Result<Movement, Error> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let err = |offset: usize, message: String| Error::Package {
        file: file.to_string(),
        line: line_of(offset),
        message,
    };
    let raw: RawMovement = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        err(offset, e.message().trim_end().to_string())
    })?;
    let position = |v: &Spanned<Vec<f64>>| -> Result<(f64, f64), Error> {
        match v.get_ref()[..] {
            [lat, lon] if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => {
                Ok((lat, lon))
            }
            _ => Err(err(
                v.span().start,
                "at: expected [latitude, longitude] in degrees (latitude −90 to 90, longitude −180 to 180)"
                    .into(),
            )),
        }
    };
    let (mut road_kmh, mut winding) = (40.0, 1.3);
    if let Some(d) = &raw.defaults {
        if let Some(v) = &d.get_ref().road_kmh {
            if !(*v.get_ref() > 0.0 && *v.get_ref() <= 200.0) {
                return Err(err(
                    v.span().start,
                    format!(
                        "road_kmh: {} is not a speed (expected more than 0, at most 200)",
                        v.get_ref()
                    ),
                ));
            }
            road_kmh = *v.get_ref();
        }
        if let Some(v) = &d.get_ref().winding {
            if !(1.0..=5.0).contains(v.get_ref()) {
                return Err(err(
                    v.span().start,
                    format!(
                        "winding: {} is not a winding factor (expected 1 to 5: road km per great-circle km)",
                        v.get_ref()
                    ),
                ));
            }
            winding = *v.get_ref();
        }
    }
    let mut depots = BTreeMap::new();
    for (code, place) in &raw.depot {
        let at_line = place.span().start;
        let depot =
            DepotCode::parse(code).map_err(|m| err(at_line, format!("depot {code}: {m}")))?;
        let p = place.get_ref();
        let at = p.at.as_ref().map(&position).transpose()?;
        let issue_per_day = match &p.issue_per_day {
            None => None,
            Some(v) => match *v.get_ref() {
                r @ 0..=1_000_000 => Some(r as u32),
                r => {
                    return Err(err(
                        v.span().start,
                        format!(
                            "issue_per_day: {r} is not a rate (expected 0 to 1,000,000 items a day; 0 for no limit)"
                        ),
                    ));
                }
            },
        };
        depots.insert(
            depot.as_str().to_string(),
            Place {
                at,
                issue_per_day,
                line: line_of(at_line),
            },
        );
    }
    let mut destinations = BTreeMap::new();
    for (code, d) in &raw.destination {
        let r = d.get_ref();
        destinations.insert(
            code.to_ascii_uppercase(),
            Destination {
                name: r.name.clone().unwrap_or_else(|| code.clone()),
                at: position(&r.at)?,
                line: line_of(d.span().start),
            },
        );
    }
    let mut routes: Vec<Route> = Vec::new();
    for r in &raw.route {
        let x = r.get_ref();
        let from = DepotCode::parse(x.from.get_ref())
            .map_err(|m| err(x.from.span().start, format!("route from: {m}")))?;
        let to = x.to.get_ref().trim().to_ascii_uppercase();
        if !destinations.contains_key(&to) {
            let names: Vec<&str> = destinations.keys().map(String::as_str).collect();
            let hint = crate::known::nearest(&to, names.iter().copied())
                .map_or(String::new(), |n| format!("; did you mean {n}?"));
            return Err(err(
                x.to.span().start,
                format!("route to: {to} is not a destination of this file{hint}"),
            ));
        }
        if !(0.0..=8760.0).contains(x.hours.get_ref()) {
            return Err(err(
                x.hours.span().start,
                format!(
                    "route hours: {} is not a duration (expected 0 to 8,760 hours)",
                    x.hours.get_ref()
                ),
            ));
        }
        if let Some(twice) = routes
            .iter()
            .find(|o| o.from == from.as_str() && o.to == to)
        {
            return Err(err(
                r.span().start,
                format!(
                    "a route from {} to {to} already stands on line {}",
                    from.as_str(),
                    twice.line
                ),
            ));
        }
        routes.push(Route {
            from: from.as_str().to_string(),
            to,
            hours: *x.hours.get_ref(),
            by: x.by.clone(),
            line: line_of(r.span().start),
        });
    }
    if destinations.is_empty() {
        return Err(err(
            text.len(),
            "no destination (expected [destination.CODE] tables with at = [lat, lon])".into(),
        ));
    }
    Ok(Movement {
        file: file.to_string(),
        road_kmh,
        winding,
        depots,
        destinations,
        routes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "[defaults]\nroad_kmh = 50\n\n[depot.PL-POW-01]\nat = [52.40, 16.93]\nissue_per_day = 240\n\n[depot.NO-TRD-01]\nissue_per_day = 120\n\n[destination.AA-EAST]\nname = \"Assembly area east\"\nat = [50.04, 22.00]\n\n[[route]]\nfrom = \"NO-TRD-01\"\nto = \"AA-EAST\"\nhours = 70\nby = \"sea + rail\"\n";

    fn error(text: &str) -> String {
        parse(text, "m.toml").unwrap_err().to_string()
    }

    #[test]
    fn legs_are_routes_or_estimates() {
        let m = parse(FILE, "m.toml").unwrap();
        let route = m.leg("NO-TRD-01", "AA-EAST").unwrap().unwrap();
        assert_eq!((route.hours, route.kind), (70.0, LegKind::Route));
        let est = m.leg("PL-POW-01", "AA-EAST").unwrap().unwrap();
        // Poznań to the assembly area: 439.8 km of great circle (haversine,
        // computed apart in Python).
        let km = est.km.unwrap();
        assert!((km - 439.77).abs() < 0.01, "{km}");
        assert!((est.hours - km * 1.3 / 50.0).abs() < 1e-9);
        assert_eq!(m.leg("DE-AUG-01", "AA-EAST").unwrap(), None);
        assert_eq!(m.rate("PL-POW-01"), Some(240));
        assert_eq!(m.rate("DE-AUG-01"), None);
    }

    #[test]
    fn a_leg_without_route_or_position_is_an_error_naming_the_depot() {
        let m = parse(
            "[depot.X-1]\nissue_per_day = 5\n[destination.D]\nat = [1, 2]\n",
            "m.toml",
        )
        .unwrap();
        let e = m.leg("X-1", "D").unwrap_err().to_string();
        assert!(e.starts_with("m.toml:1: depot X-1 has no position"), "{e}");
    }

    #[test]
    fn every_error_names_its_line() {
        assert!(
            error("[depot.A-1]\nat = [95, 2]\n[destination.D]\nat = [1, 2]\n")
                .starts_with("m.toml:2: at:")
        );
        assert!(
            error("[depot.A-1]\nissue_per_day = -3\n[destination.D]\nat = [1, 2]\n")
                .starts_with("m.toml:2: issue_per_day")
        );
        assert!(
            error(
                "[destination.D]\nat = [1, 2]\n[[route]]\nfrom = \"A-1\"\nto = \"DD\"\nhours = 3\n"
            )
            .contains("m.toml:5: route to: DD is not a destination of this file; did you mean D?")
        );
        assert!(error("[destination.D]\nat = [1, 2]\ncolour = 3\n").starts_with("m.toml:3:"));
        assert!(
            error("[defaults]\nwinding = 0.5\n[destination.D]\nat = [1, 2]\n")
                .starts_with("m.toml:2: winding")
        );
        assert!(error("[depot.A-1]\nat = [1, 2]\n").contains("no destination"));
    }
}
