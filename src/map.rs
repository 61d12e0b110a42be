//! The brief's map (SPEC §11): depots at their positions over country
//! outlines, sized by holdings and coloured by level, with the
//! destinations and the legs the packages' plans travel — inline SVG, so
//! the page stays one file that opens with no network.
//!
//! The outlines are Natural Earth's 1:50m countries (public domain),
//! simplified and shipped inside the program (`src/map/europe.txt`, made
//! by `fixtures/europe_outlines.py`): one ring a line, `lon,lat` pairs.

use std::fmt::Write as _;

use crate::package::movement::LegKind;

const OUTLINES: &str = include_str!("map/europe.txt");

/// The drawing's width in SVG units; its height follows the area shown.
const WIDTH: f64 = 960.0;

/// A depot or destination on the map, at (latitude, longitude).
#[derive(Debug, Clone)]
pub struct Pin {
    pub code: String,
    pub at: (f64, f64),
    /// Equipment items held (depots).
    pub on_hand: i64,
    /// Rounds held (depots): said in the tooltip, never summed with items.
    pub rounds: i64,
    pub level: Option<u8>,
    /// A destination's name.
    pub name: Option<String>,
}

/// A leg a package's plan travels, depot to destination.
#[derive(Debug, Clone)]
pub struct Leg {
    pub from: String,
    pub to: String,
    pub hours: f64,
    pub kind: LegKind,
    pub by: Option<String>,
    /// A package's plan draws on it within its window.
    pub used: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Map {
    pub depots: Vec<Pin>,
    pub destinations: Vec<Pin>,
    pub legs: Vec<Leg>,
    /// Depots with holdings but no position in the movement file.
    pub unplaced: Vec<String>,
    /// The movement file the positions come from.
    pub source: String,
}

/// Equirectangular, scaled by the cosine of the middle latitude so that
/// distances read true enough across Europe's span, fitted to the pins.
struct Projection {
    west: f64,
    north: f64,
    k: f64,
    cos: f64,
    height: f64,
}

impl Projection {
    fn fit(points: &[(f64, f64)]) -> Projection {
        let (mut south, mut north, mut west, mut east) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
        for &(lat, lon) in points {
            south = south.min(lat);
            north = north.max(lat);
            west = west.min(lon);
            east = east.max(lon);
        }
        // Room for the circles and labels, and never a map so close that
        // no coast is left to place it by.
        let (mut south, mut north) = (south - 1.5, north + 1.5);
        let (mut west, mut east) = (west - 2.5, east + 2.5);
        let grow = |lo: &mut f64, hi: &mut f64, least: f64| {
            let span = *hi - *lo;
            if span < least {
                *lo -= (least - span) / 2.0;
                *hi += (least - span) / 2.0;
            }
        };
        grow(&mut south, &mut north, 8.0);
        grow(&mut west, &mut east, 12.0);
        let cos = ((south + north) / 2.0).to_radians().cos().max(0.2);
        let span_x = (east - west) * cos;
        let span_y = north - south;
        // Not taller than wide: a tall map would push the page's tables
        // off the screen; widen the area shown instead.
        let span_x = span_x.max(span_y * 1.2);
        let centre = (west + east) / 2.0;
        let west = centre - span_x / cos / 2.0;
        let k = WIDTH / span_x;
        Projection {
            west,
            north,
            k,
            cos,
            height: (span_y * k).round(),
        }
    }

    fn xy(&self, (lat, lon): (f64, f64)) -> (f64, f64) {
        (
            (lon - self.west) * self.cos * self.k,
            (self.north - lat) * self.k,
        )
    }

    fn shows(&self, (x, y): (f64, f64)) -> bool {
        (-50.0..=WIDTH + 50.0).contains(&x) && (-50.0..=self.height + 50.0).contains(&y)
    }
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn group(n: i64) -> String {
    crate::output::group_thousands(n)
}

/// The country outlines inside the area shown, as one path.
fn outlines(p: &Projection) -> String {
    let mut d = String::new();
    for ring in OUTLINES.lines() {
        let points: Vec<(f64, f64)> = ring
            .split_whitespace()
            .filter_map(|pair| {
                let (lon, lat) = pair.split_once(',')?;
                Some(p.xy((lat.parse().ok()?, lon.parse().ok()?)))
            })
            .collect();
        if points.len() < 3 || !points.iter().any(|&q| p.shows(q)) {
            continue;
        }
        for (i, (x, y)) in points.iter().enumerate() {
            let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
        }
        d.push('Z');
    }
    d
}

/// A circle's radius for a depot's items: its area grows with them.
fn radius(on_hand: i64, most: i64) -> f64 {
    if most <= 0 {
        return 5.0;
    }
    5.0 + 17.0 * (on_hand.max(0) as f64 / most as f64).sqrt()
}

pub fn svg(map: &Map) -> String {
    let points: Vec<(f64, f64)> = map
        .depots
        .iter()
        .chain(&map.destinations)
        .map(|p| p.at)
        .collect();
    if points.is_empty() {
        return String::new();
    }
    let p = Projection::fit(&points);
    let mut out = format!(
        "<svg role=\"img\" aria-label=\"Depots and destinations\" viewBox=\"0 0 {WIDTH} {h}\" width=\"100%\" class=\"map\">\
         <rect width=\"{WIDTH}\" height=\"{h}\" class=\"sea\"/><path class=\"land\" d=\"{d}\"/>",
        h = p.height,
        d = outlines(&p)
    );
    let at = |code: &str| {
        map.depots
            .iter()
            .chain(&map.destinations)
            .find(|pin| pin.code == code)
            .map(|pin| p.xy(pin.at))
    };
    for leg in &map.legs {
        let (Some((x1, y1)), Some((x2, y2))) = (at(&leg.from), at(&leg.to)) else {
            continue;
        };
        let by = leg
            .by
            .as_deref()
            .map_or(String::new(), |b| format!(" by {b}"));
        let used = if leg.used { " used" } else { "" };
        let _ = write!(
            out,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" class=\"leg {kind}{used}\"><title>{from} → {to}: {hours} h{by} ({kind})</title></line>\
             <text x=\"{mx:.1}\" y=\"{my:.1}\" class=\"hours\">{hours} h</text>",
            kind = leg.kind.as_str(),
            from = esc(&leg.from),
            to = esc(&leg.to),
            hours = leg.hours.ceil(),
            by = esc(&by),
            mx = (x1 + x2) / 2.0 + 4.0,
            my = (y1 + y2) / 2.0,
        );
    }
    let most = map.depots.iter().map(|d| d.on_hand).max().unwrap_or(0);
    // The largest first, so a small depot beside a large one stays visible.
    let mut depots: Vec<&Pin> = map.depots.iter().collect();
    depots.sort_by_key(|d| std::cmp::Reverse(d.on_hand));
    for d in depots {
        let (x, y) = p.xy(d.at);
        let r = radius(d.on_hand, most);
        let level = d.level.map_or("no level".into(), |l| format!("level {l}"));
        let _ = write!(
            out,
            "<g class=\"depot\"><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" class=\"pin l{l}\"><title>{code}: {items} items, {rounds} rounds, {level}</title></circle>\
             <text x=\"{tx:.1}\" y=\"{ty:.1}\" class=\"name\">{code}</text></g>",
            l = d.level.map_or("0".into(), |l| l.to_string()),
            code = esc(&d.code),
            items = group(d.on_hand),
            rounds = group(d.rounds),
            tx = x + r + 3.0,
            ty = y + 4.0,
        );
    }
    for dest in &map.destinations {
        let (x, y) = p.xy(dest.at);
        let name = dest.name.as_deref().unwrap_or(&dest.code);
        let _ = write!(
            out,
            "<g class=\"destination\"><path d=\"M{x:.1},{top:.1}L{right:.1},{y:.1}L{x:.1},{bottom:.1}L{left:.1},{y:.1}Z\" class=\"dest\"><title>{name}</title></path>\
             <text x=\"{tx:.1}\" y=\"{ty:.1}\" class=\"name dest-name\">{code}</text></g>",
            top = y - 9.0,
            bottom = y + 9.0,
            left = x - 9.0,
            right = x + 9.0,
            name = esc(name),
            code = esc(&dest.code),
            tx = x + 12.0,
            ty = y + 4.0,
        );
    }
    out.push_str("</svg>");
    out
}

/// The key beneath the map: what size, colour and line style mean.
pub fn legend(map: &Map) -> String {
    let most = map.depots.iter().map(|d| d.on_hand).max().unwrap_or(0);
    let mut out = String::from("<p class=\"legend\">");
    for l in 1..=4 {
        let _ = write!(
            out,
            "<svg width=\"14\" height=\"14\"><circle cx=\"7\" cy=\"7\" r=\"6\" class=\"pin l{l}\"/></svg> level {l} "
        );
    }
    let _ = write!(
        out,
        "· the largest circle: {} equipment items · \
         <svg width=\"30\" height=\"8\"><line x1=\"0\" y1=\"4\" x2=\"30\" y2=\"4\" class=\"leg route\"/></svg> known route \
         <svg width=\"30\" height=\"8\"><line x1=\"0\" y1=\"4\" x2=\"30\" y2=\"4\" class=\"leg estimate\"/></svg> estimated by road (the figure on a leg: its hours of travel) \
         <svg width=\"30\" height=\"8\"><line x1=\"0\" y1=\"4\" x2=\"30\" y2=\"4\" class=\"leg route used\"/></svg> drawn on by a package within its window \
         · <svg width=\"14\" height=\"14\"><path d=\"M7,0L14,7L7,14L0,7Z\" class=\"dest\"/></svg> destination · positions from {}",
        group(most),
        esc(&map.source)
    );
    if !map.unplaced.is_empty() {
        let _ = write!(
            out,
            "<br>Not on the map (no position in the movement file): {}",
            esc(&map.unplaced.join(", "))
        );
    }
    out.push_str("</p>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(code: &str, at: (f64, f64), on_hand: i64) -> Pin {
        Pin {
            code: code.into(),
            at,
            on_hand,
            rounds: 0,
            level: Some(1),
            name: None,
        }
    }

    #[test]
    fn every_pin_lies_inside_the_drawing() {
        let map = Map {
            depots: vec![
                pin("NO-TRD-01", (63.43, 10.40), 10),
                pin("RO-MKG-01", (44.36, 28.47), 1000),
                pin("FR-MOU-01", (49.13, 4.37), 0),
            ],
            ..Map::default()
        };
        let points: Vec<_> = map.depots.iter().map(|d| d.at).collect();
        let p = Projection::fit(&points);
        for d in &map.depots {
            let (x, y) = p.xy(d.at);
            assert!((20.0..WIDTH - 20.0).contains(&x), "{}: x {x}", d.code);
            assert!((20.0..p.height - 20.0).contains(&y), "{}: y {y}", d.code);
        }
        // North is up, east is right.
        let (trd, mkg) = (p.xy((63.43, 10.40)), p.xy((44.36, 28.47)));
        assert!(trd.1 < mkg.1 && trd.0 < mkg.0);
    }

    #[test]
    fn the_outlines_draw_the_coast_near_the_pins() {
        let map = Map {
            depots: vec![pin("DE-AUG-01", (51.91, 8.73), 5)],
            ..Map::default()
        };
        let svg = svg(&map);
        // Germany and its neighbours: many rings, each a closed path.
        let rings = svg.matches('Z').count();
        assert!(rings > 20, "{rings} rings");
        assert!(svg.contains("DE-AUG-01: 5 items"));
    }

    #[test]
    fn the_circle_area_grows_with_the_items() {
        assert_eq!(radius(0, 100), 5.0);
        assert_eq!(radius(100, 100), 22.0);
        let quarter = radius(25, 100) - 5.0;
        assert!((quarter - 8.5).abs() < 1e-9);
    }
}
