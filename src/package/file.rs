//! Reading a package file. Every error names the line of the file it is
//! on (`FILE:LINE: message`), from the spans the `toml` crate keeps.
//!
//! ```toml
//! name = "Spearhead company team"
//! within = "48h"
//! [[line]]
//! name = "Main battle tanks"
//! types = ["LEOPARD-2A6", "LEOPARD-2A4"]   # preferred first
//! quantity = 10
//! [[line]]
//! name = "120 mm rounds"
//! category = "AMMO"
//! types = ["120MM-DM11"]
//! per = "Main battle tanks"
//! each = 42
//! ```

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::error::Error;
use crate::model::{Category, MAX_NOTICE_HOURS, TypeCode, parse_hours};

#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    pub name: String,
    /// The file as named on the command line, for messages.
    pub file: String,
    /// The default window; None when the file gives none.
    pub within: Option<u32>,
    pub lines: Vec<Line>,
    /// The destination it must close on (SPEC §11), and the movement file
    /// that times the way there (relative to the package file).
    pub to: Option<String>,
    pub movement: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub name: String,
    /// Where the line's table starts in the file.
    pub line: usize,
    /// Interchangeable types, preferred first, each with its line number.
    pub types: Vec<(TypeCode, usize)>,
    pub category: Option<Category>,
    /// The quantity needed: `quantity`, or `each` × the needed quantity of
    /// the line named by `per`.
    pub needed: i64,
}

impl Package {
    pub fn type_codes(&self) -> Vec<String> {
        let mut codes: Vec<String> = self
            .lines
            .iter()
            .flat_map(|l| l.types.iter().map(|(t, _)| t.as_str().to_string()))
            .collect();
        codes.sort();
        codes.dedup();
        codes
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackage {
    name: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    within: Option<Spanned<toml::Value>>,
    to: Option<Spanned<String>>,
    movement: Option<Spanned<String>>,
    #[serde(default, rename = "line")]
    lines: Vec<Spanned<RawLine>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    name: Spanned<String>,
    types: Spanned<Vec<Spanned<String>>>,
    quantity: Option<Spanned<i64>>,
    per: Option<Spanned<String>>,
    each: Option<Spanned<i64>>,
    category: Option<Spanned<String>>,
}

/// The largest quantity a line may ask for, as for one holding line.
const MAX_QUANTITY: i64 = 1_000_000_000;
/// The most lines a package file may hold: bounds the allocation's work for
/// any file (a brigade's set is a few dozen lines).
pub const MAX_LINES: usize = 500;

pub fn load(path: &Path) -> Result<Package, Error> {
    let text = crate::textfile::read(path)?;
    let mut package = parse(&text, &path.display().to_string())?;
    // A movement file named in the package stands beside it.
    if let (Some(m), Some(dir)) = (&package.movement, path.parent())
        && m.is_relative()
    {
        package.movement = Some(dir.join(m));
    }
    Ok(package)
}

pub fn parse(text: &str, file: &str) -> Result<Package, Error> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let err = |offset: usize, message: String| Error::Package {
        file: file.to_string(),
        line: line_of(offset),
        message,
    };
    let raw: RawPackage = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        err(offset, e.message().trim_end().to_string())
    })?;
    let within = raw
        .within
        .map(|w| {
            let text = match w.get_ref() {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                other => other.to_string(),
            };
            parse_hours(&text, MAX_NOTICE_HOURS)
                .map_err(|m| err(w.span().start, format!("within: {m}")))
        })
        .transpose()?;
    if raw.lines.is_empty() {
        return Err(err(
            text.len(),
            "the package has no lines (expected [[line]] tables with name, types and quantity)"
                .into(),
        ));
    }

    if let Some(extra) = raw.lines.get(MAX_LINES) {
        return Err(err(
            extra.span().start,
            format!(
                "the package has {} lines; at most {MAX_LINES} are read (a brigade's set is a few dozen): split it into packages checked together (package check a.toml b.toml)",
                raw.lines.len()
            ),
        ));
    }

    let mut lines: Vec<Line> = Vec::new();
    let mut named: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    // (index, per-line name, its span, each) of lines still to resolve.
    let mut per_lines = Vec::new();
    for raw_line in &raw.lines {
        let start = raw_line.span().start;
        let l = raw_line.get_ref();
        let name = l.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(err(l.name.span().start, "line name is empty".into()));
        }
        if let Some(&first) = named.get(&name) {
            return Err(err(
                l.name.span().start,
                format!(
                    "a line named \"{name}\" already stands on line {}",
                    lines[first].line
                ),
            ));
        }
        named.insert(name.clone(), lines.len());
        if l.types.get_ref().is_empty() {
            return Err(err(
                l.types.span().start,
                format!("line \"{name}\": types is empty (expected at least one type code)"),
            ));
        }
        let mut types = Vec::new();
        for t in l.types.get_ref() {
            let code = TypeCode::parse(t.get_ref())
                .map_err(|m| err(t.span().start, format!("line \"{name}\": {m}")))?;
            if types.iter().any(|(c, _)| *c == code) {
                return Err(err(
                    t.span().start,
                    format!("line \"{name}\": type {code} is listed twice"),
                ));
            }
            types.push((code, line_of(t.span().start)));
        }
        let category = l
            .category
            .as_ref()
            .map(|c| {
                Category::parse(c.get_ref())
                    .map_err(|m| err(c.span().start, format!("line \"{name}\": {m}")))
            })
            .transpose()?;
        let positive = |v: &Spanned<i64>, what: &str| -> Result<i64, Error> {
            match *v.get_ref() {
                q @ 1..=MAX_QUANTITY => Ok(q),
                q => Err(err(
                    v.span().start,
                    format!("line \"{name}\": {what} {q} is not a whole number 1–{MAX_QUANTITY}"),
                )),
            }
        };
        let needed = match (&l.quantity, &l.per, &l.each) {
            (Some(q), None, None) => positive(q, "quantity")?,
            (None, Some(per), Some(each)) => {
                per_lines.push((lines.len(), per.clone(), positive(each, "each")?));
                0
            }
            (Some(q), Some(_), _) | (Some(q), _, Some(_)) => {
                return Err(err(
                    q.span().start,
                    format!("line \"{name}\": give either quantity, or per and each, not both"),
                ));
            }
            (None, Some(per), None) => {
                return Err(err(
                    per.span().start,
                    format!(
                        "line \"{name}\": per needs each (how many per unit of \"{}\")",
                        per.get_ref()
                    ),
                ));
            }
            (None, None, Some(each)) => {
                return Err(err(
                    each.span().start,
                    format!("line \"{name}\": each needs per (the line it counts per unit of)"),
                ));
            }
            (None, None, None) => {
                return Err(err(
                    start,
                    format!(
                        "line \"{name}\": no quantity (expected quantity = N, or per = \"LINE\" and each = N)"
                    ),
                ));
            }
        };
        lines.push(Line {
            name,
            line: line_of(start),
            types,
            category,
            needed,
        });
    }

    // `per` chains resolve in any order; a cycle or an unknown name is an
    // error at the line that names it. Each line is resolved once, walking
    // its chain without recursion: linear in the package's size, whatever
    // the chains' length.
    let mut per: Vec<Option<(usize, &Spanned<String>, i64)>> = vec![None; lines.len()];
    for (i, target, each) in &per_lines {
        let name = target.get_ref().trim();
        let Some(&t) = named.get(name) else {
            let names: Vec<&str> = lines.iter().map(|x| x.name.as_str()).collect();
            return Err(err(
                target.span().start,
                format!(
                    "line \"{}\": per = \"{name}\" names no line of this package (lines: {})",
                    lines[*i].name,
                    names.join(", ")
                ),
            ));
        };
        per[*i] = Some((t, target, *each));
    }
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Open,
        Walking,
        Done,
    }
    let mut state: Vec<State> = per
        .iter()
        .map(|p| {
            if p.is_some() {
                State::Open
            } else {
                State::Done
            }
        })
        .collect();
    for (start, _, _) in &per_lines {
        let mut path = Vec::new();
        let mut at = *start;
        while state[at] != State::Done {
            if state[at] == State::Walking {
                let (_, target, _) = per[at].expect("a walked line counts per another");
                return Err(err(
                    target.span().start,
                    format!(
                        "line \"{}\": per forms a cycle (\"{}\" is counted per a line that is counted per it)",
                        lines[at].name,
                        target.get_ref()
                    ),
                ));
            }
            state[at] = State::Walking;
            path.push(at);
            at = per[at].expect("an open line counts per another").0;
        }
        for &i in path.iter().rev() {
            let (t, target, each) = per[i].expect("a walked line counts per another");
            lines[i].needed = lines[t].needed.saturating_mul(each);
            if lines[i].needed > MAX_QUANTITY {
                return Err(err(
                    target.span().start,
                    format!(
                        "line \"{}\": {each} × {} is more than {MAX_QUANTITY}",
                        lines[i].name, lines[t].needed
                    ),
                ));
            }
            state[i] = State::Done;
        }
    }

    let to = raw
        .to
        .map(|t| {
            let code = t.get_ref().trim().to_ascii_uppercase();
            if code.is_empty() {
                Err(err(t.span().start, "to: the destination is empty".into()))
            } else {
                Ok(code)
            }
        })
        .transpose()?;
    let movement = raw
        .movement
        .map(|m| std::path::PathBuf::from(m.get_ref().trim()));
    Ok(Package {
        name: raw.name.unwrap_or_else(|| file.to_string()),
        file: file.to_string(),
        within,
        lines,
        to,
        movement,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        parse(text, "p.toml").unwrap_err().to_string()
    }

    #[test]
    fn a_long_per_chain_resolves_in_any_order_and_too_many_lines_are_refused() {
        // The longest chain a file may hold, written last line first: each
        // line is resolved once (this took rounds over every pending line).
        let n = MAX_LINES;
        let mut text = String::from("name = \"chain\"\n");
        for i in (1..n).rev() {
            text.push_str(&format!(
                "[[line]]\nname = \"l{i}\"\ntypes = [\"T\"]\nper = \"l{}\"\neach = 1\n",
                i - 1
            ));
        }
        text.push_str("[[line]]\nname = \"l0\"\ntypes = [\"T\"]\nquantity = 3\n");
        let p = parse(&text, "chain.toml").unwrap();
        assert_eq!(p.lines.len(), n);
        assert!(p.lines.iter().all(|l| l.needed == 3));
        text.push_str("[[line]]\nname = \"one too many\"\ntypes = [\"T\"]\nquantity = 1\n");
        let e = parse(&text, "chain.toml").unwrap_err().to_string();
        assert!(
            e.contains(&format!("the package has {} lines", n + 1)),
            "{e}"
        );
        assert!(
            e.starts_with(&format!("chain.toml:{}:", 5 * (n - 1) + 4 + 2)),
            "{e}"
        );
    }

    #[test]
    fn per_lines_multiply_in_any_order() {
        let p = parse(
            "name = \"x\"\nwithin = \"3d\"\n[[line]]\nname = \"ammo\"\ntypes = [\"A\"]\nper = \"tanks\"\neach = 42\n[[line]]\nname = \"tanks\"\ntypes = [\"T\", \"u\"]\nquantity = 28\n",
            "p.toml",
        )
        .unwrap();
        assert_eq!(p.within, Some(72));
        assert_eq!(p.lines[0].needed, 1176);
        assert_eq!(p.lines[0].line, 3);
        assert_eq!(p.lines[1].types[1].0.as_str(), "U");
    }

    #[test]
    fn errors_name_their_line() {
        assert!(
            error("name = \"x\"\n[[line]]\nname = \"a\"\ntypes = [\"A\"]\nquantity = 0\n")
                .starts_with("p.toml:5: ")
        );
        assert!(
            error("[[line]]\nname = \"a\"\ntypes = [\"A B\"]\nquantity = 1\n")
                .starts_with("p.toml:3: ")
        );
        assert!(
            error("[[line]]\nname = \"a\"\ntypes = [\"A\"]\nper = \"b\"\neach = 2\n")
                .starts_with("p.toml:4: ")
        );
        assert!(
            error("[[line]]\nname = \"a\"\ntypes = [\"A\"]\nquantity = 1\ncolour = 2\n")
                .starts_with("p.toml:5: ")
        );
        assert!(error("name = \"x\"\nwithin = \"soon\"\n[[line]]\nname = \"a\"\ntypes = [\"A\"]\nquantity = 1\n").starts_with("p.toml:2: "));
        assert!(error("name = \"x\n").starts_with("p.toml:1: "));
        let cycle = error(
            "[[line]]\nname = \"a\"\ntypes = [\"A\"]\nper = \"b\"\neach = 2\n[[line]]\nname = \"b\"\ntypes = [\"B\"]\nper = \"a\"\neach = 2\n",
        );
        assert!(cycle.contains("cycle"), "{cycle}");
    }
}
