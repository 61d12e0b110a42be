//! The readiness figures of SPEC §4, for any grouping of holdings.

use std::collections::{BTreeMap, HashMap};

use crate::model::{State, Status};

/// Holdings summed by a report's group keys (in the order of its `--by`),
/// state and, for `deployable`, notice hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub keys: Vec<Option<String>>,
    pub state: State,
    pub notice_hours: Option<u32>,
    pub quantity: i64,
}

/// On-hand quantity of each depot × type pair, which requirements are
/// compared with.
pub type PairOnHand = HashMap<(String, String), i64>;

/// The authorised level of one depot × type pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub depot: String,
    pub type_code: String,
    pub category: Option<String>,
    pub required: i64,
}

/// What a report can group by, in the order of grouping SPEC §5 gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Depot,
    Type,
    Category,
    Owner,
}

impl Key {
    pub fn name(self) -> &'static str {
        match self {
            Key::Depot => "depot",
            Key::Type => "type",
            Key::Category => "category",
            Key::Owner => "owner",
        }
    }

    pub fn parse_list(text: &str) -> Result<Vec<Key>, String> {
        let mut keys = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let key = match part.to_ascii_lowercase().as_str() {
                "depot" => Key::Depot,
                "type" => Key::Type,
                "category" => Key::Category,
                "owner" => Key::Owner,
                _ => {
                    return Err(format!(
                        "\"{part}\" is not a grouping (expected depot, type, category or owner, comma-separated)"
                    ));
                }
            };
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        // Grouping runs in the contract's order whatever order was typed.
        keys.sort();
        Ok(keys)
    }

    fn of_requirement(self, r: &Requirement) -> Option<String> {
        match self {
            Key::Depot => Some(r.depot.clone()),
            Key::Type => Some(r.type_code.clone()),
            Key::Category => r.category.clone(),
            Key::Owner => None,
        }
    }
}

/// Readiness rating: 1 best … 4 worst.
pub type Level = u8;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub on_hand: i64,
    pub fmc: i64,
    pub pmc: i64,
    pub nmcm: i64,
    pub nmcs: i64,
    pub expired: i64,
    /// Σ required over the group's depot × type pairs that have one.
    pub required: Option<i64>,
    /// Σ min(on_hand, required) over the same pairs.
    pub filled: i64,
}

impl Figures {
    fn add(&mut self, state: State, quantity: i64) {
        self.on_hand += quantity;
        match state {
            State::Reported(Status::Fmc) => self.fmc += quantity,
            State::Reported(Status::Pmc) => self.pmc += quantity,
            State::Reported(Status::Nmcm) => self.nmcm += quantity,
            State::Reported(Status::Nmcs) => self.nmcs += quantity,
            State::Expired => self.expired += quantity,
        }
    }

    fn add_requirement(&mut self, required: i64, on_hand: i64) {
        self.required = Some(self.required.unwrap_or(0) + required);
        self.filled += on_hand.min(required);
    }

    pub fn mc(&self) -> i64 {
        self.fmc + self.pmc
    }

    pub fn mc_rate(&self) -> Option<f64> {
        (self.on_hand > 0).then(|| self.mc() as f64 / self.on_hand as f64)
    }

    /// R1 ≥ 90 %, R2 ≥ 70 %, R3 ≥ 60 %, R4 below; compared in integers so
    /// that exactly 90 % is R1.
    pub fn r_level(&self) -> Option<Level> {
        level(self.mc(), self.on_hand, [90, 70, 60])
    }

    pub fn fill_rate(&self) -> Option<f64> {
        match self.required {
            Some(r) if r > 0 => Some(self.filled as f64 / r as f64),
            _ => None,
        }
    }

    /// S1 ≥ 90 %, S2 ≥ 80 %, S3 ≥ 65 %, S4 below.
    pub fn s_level(&self) -> Option<Level> {
        level(self.filled, self.required.unwrap_or(0), [90, 80, 65])
    }

    /// The worse of the R and S levels (R alone when nothing is required).
    pub fn level(&self) -> Option<Level> {
        match (self.r_level(), self.s_level()) {
            (Some(r), Some(s)) => Some(r.max(s)),
            (r, s) => r.or(s),
        }
    }
}

fn level(part: i64, whole: i64, thresholds: [i64; 3]) -> Option<Level> {
    if whole <= 0 {
        return None;
    }
    let pct100 = i128::from(part) * 100;
    let whole = i128::from(whole);
    Some(
        thresholds
            .iter()
            .position(|&t| pct100 >= i128::from(t) * whole)
            .map_or(4, |i| i as u8 + 1),
    )
}

#[derive(Debug, Clone)]
pub struct Group {
    pub keys: Vec<Option<String>>,
    pub figures: Figures,
}

/// Groups facts (and requirements, when they apply) by `by`, with the totals.
/// Requirements are set per depot × type, so they apply only when the
/// grouping and filters do not split a pair by owner.
pub fn summarize(
    facts: &[Fact],
    requirements: Option<(&[Requirement], &PairOnHand)>,
    by: &[Key],
) -> (Vec<Group>, Figures) {
    let mut groups: BTreeMap<Vec<Option<String>>, Figures> = BTreeMap::new();
    let mut total = Figures::default();
    for f in facts {
        match groups.get_mut(&f.keys) {
            Some(g) => g.add(f.state, f.quantity),
            None => groups
                .entry(f.keys.clone())
                .or_default()
                .add(f.state, f.quantity),
        }
        total.add(f.state, f.quantity);
    }
    if let Some((reqs, pair_on_hand)) = requirements {
        for r in reqs {
            let on_hand = pair_on_hand
                .get(&(r.depot.clone(), r.type_code.clone()))
                .copied()
                .unwrap_or(0);
            let keys: Vec<Option<String>> = by.iter().map(|k| k.of_requirement(r)).collect();
            groups
                .entry(keys)
                .or_default()
                .add_requirement(r.required, on_hand);
            total.add_requirement(r.required, on_hand);
        }
    }
    let groups = groups
        .into_iter()
        .map(|(keys, figures)| Group { keys, figures })
        .collect();
    (groups, total)
}

/// Mission-capable quantity, and the part of it that can move within
/// `within` hours (items with no notice never count as deployable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deployable {
    pub mc: i64,
    pub deployable: i64,
}

/// Group keys with their figures.
pub type DeployableGroup = (Vec<Option<String>>, Deployable);

pub fn deployable(facts: &[Fact], within: u32) -> (Vec<DeployableGroup>, Deployable) {
    let mut groups: BTreeMap<Vec<Option<String>>, Deployable> = BTreeMap::new();
    let mut total = Deployable::default();
    for f in facts {
        let g = groups.entry(f.keys.clone()).or_default();
        if matches!(f.state, State::Reported(Status::Fmc | Status::Pmc)) {
            let ready = f.notice_hours.is_some_and(|n| n <= within);
            for d in [&mut *g, &mut total] {
                d.mc += f.quantity;
                if ready {
                    d.deployable += f.quantity;
                }
            }
        }
    }
    (groups.into_iter().collect(), total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(depot: &str, ty: &str, state: State, q: i64) -> Fact {
        Fact {
            keys: vec![Some(depot.into()), Some(ty.into())],
            state,
            notice_hours: Some(24),
            quantity: q,
        }
    }

    #[test]
    fn levels_at_their_boundaries() {
        assert_eq!(level(9, 10, [90, 70, 60]), Some(1));
        assert_eq!(level(89, 100, [90, 70, 60]), Some(2));
        assert_eq!(level(7, 10, [90, 70, 60]), Some(2));
        assert_eq!(level(6, 10, [90, 70, 60]), Some(3));
        assert_eq!(level(59, 100, [90, 70, 60]), Some(4));
        assert_eq!(level(0, 0, [90, 70, 60]), None);
        assert_eq!(level(65, 100, [90, 80, 65]), Some(3));
        assert_eq!(level(64, 100, [90, 80, 65]), Some(4));
    }

    #[test]
    fn surplus_does_not_hide_a_shortfall() {
        let facts = vec![
            fact("A", "T1", State::Reported(Status::Fmc), 20),
            fact("A", "T2", State::Reported(Status::Fmc), 5),
        ];
        let reqs = vec![
            Requirement {
                depot: "A".into(),
                type_code: "T1".into(),
                category: None,
                required: 10,
            },
            Requirement {
                depot: "A".into(),
                type_code: "T2".into(),
                category: None,
                required: 10,
            },
        ];
        let on_hand: PairOnHand = [
            (("A".into(), "T1".into()), 20),
            (("A".into(), "T2".into()), 5),
        ]
        .into();
        let (groups, total) = summarize(&facts, Some((&reqs, &on_hand)), &[Key::Depot, Key::Type]);
        assert_eq!(groups.len(), 2);
        assert_eq!(total.required, Some(20));
        assert_eq!(total.filled, 15);
        assert_eq!(total.fill_rate(), Some(0.75));
        assert_eq!(total.s_level(), Some(3));
        assert_eq!(total.r_level(), Some(1));
        assert_eq!(total.level(), Some(3));
    }

    #[test]
    fn expired_counts_as_on_hand_not_mc() {
        let facts = vec![
            fact("A", "AMMO", State::Reported(Status::Fmc), 90),
            fact("A", "AMMO", State::Expired, 10),
        ];
        let (_, total) = summarize(&facts, None, &[]);
        assert_eq!(total.on_hand, 100);
        assert_eq!(total.mc(), 90);
        assert_eq!(total.expired, 10);
        assert_eq!(total.r_level(), Some(1));
        assert_eq!(total.level(), Some(1));
    }

    #[test]
    fn deployable_needs_mc_and_notice() {
        let mut slow = fact("A", "T", State::Reported(Status::Pmc), 3);
        slow.notice_hours = Some(72);
        let mut none = fact("A", "T", State::Reported(Status::Fmc), 2);
        none.notice_hours = None;
        let facts = vec![
            fact("A", "T", State::Reported(Status::Fmc), 4),
            slow,
            none,
            fact("A", "T", State::Expired, 9),
        ];
        let (_, total) = deployable(&facts, 48);
        assert_eq!(
            total,
            Deployable {
                mc: 9,
                deployable: 4
            }
        );
    }

    #[test]
    fn grouping_order_is_the_contracts() {
        assert_eq!(
            Key::parse_list("owner,depot").unwrap(),
            vec![Key::Depot, Key::Owner]
        );
        assert!(Key::parse_list("colour").is_err());
    }
}
