//! The readiness figures of SPEC §4, for any grouping of holdings.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use rustc_hash::FxHashMap;

use crate::model::{State, Status};
use crate::policy::Rules;

/// Holdings summed by a report's group keys (in the order of its `--by`),
/// kind (equipment or ammunition), state and, for `deployable` and
/// packages, notice hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// Shared by a group's facts (one per state and notice): a report by
    /// depot and type makes 60,000 groups of them, and facts that follow
    /// one another with the same keys are summed without looking them up.
    pub keys: Rc<[Option<String>]>,
    /// A row with a lot: ammunition, counted in rounds, never summed with
    /// equipment items (SPEC §4).
    pub ammo: bool,
    pub state: State,
    pub notice_hours: Option<u32>,
    pub quantity: i64,
}

/// On-hand quantity of each depot × type pair, which requirements are
/// compared with: equipment items and ammunition rounds apart.
pub type PairOnHand = HashMap<(String, String), OnHand>;

/// What a depot × type pair holds: equipment items and rounds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnHand {
    pub items: i64,
    pub rounds: i64,
}

/// The authorised level of one depot × type pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub depot: String,
    pub type_code: String,
    pub category: Option<String>,
    pub required: i64,
}

impl Requirement {
    /// Whether the pair is one of ammunition: its type is of category AMMO,
    /// or (category unknown) the pair holds rounds and no items.
    pub fn is_ammo(&self, held: OnHand) -> bool {
        match self.category.as_deref() {
            Some(c) => c == "AMMO",
            None => held.rounds > 0 && held.items == 0,
        }
    }
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

/// The figures of SPEC §4 for one group. Equipment (rows without a lot)
/// counts items; ammunition (rows with a lot) counts rounds: the two are
/// never summed, so 8,000 rounds cannot hide three tanks gone down.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub fmc: i64,
    pub pmc: i64,
    pub nmcm: i64,
    pub nmcs: i64,
    /// Rounds in lots reported FMC or PMC, not expired.
    pub ammo_serviceable: i64,
    /// Rounds in lots reported NMCM or NMCS, not expired.
    pub ammo_unserviceable: i64,
    /// Rounds in lots expired on the date the figures are about.
    pub ammo_expired: i64,
    /// Rounds in lots suspended on that date: by a suspended condition
    /// code, or by a force-wide suspension (SPEC §12).
    pub ammo_suspended: i64,
    /// Σ required over the group's depot × type pairs of equipment types.
    pub required: Option<i64>,
    /// Σ min(on_hand, required) over the same pairs.
    pub filled: i64,
    /// The same over the pairs of ammunition types, in rounds.
    pub ammo_required: Option<i64>,
    pub ammo_filled: i64,
    /// The policy the figures are judged by (SPEC §13): which statuses are
    /// mission capable, and the levels' thresholds.
    pub rules: Rules,
}

impl Figures {
    pub fn add(&mut self, ammo: bool, state: State, quantity: i64) {
        let figure = match (ammo, state) {
            (false, State::Reported(Status::Fmc)) => &mut self.fmc,
            (false, State::Reported(Status::Pmc)) => &mut self.pmc,
            (false, State::Reported(Status::Nmcm)) => &mut self.nmcm,
            // Equipment never expires (only lots do); equipment under a
            // suspended condition code is not mission capable, for want
            // of a release: not supply, not maintenance, but never MC.
            (false, State::Reported(Status::Nmcs) | State::Expired | State::Suspended) => {
                &mut self.nmcs
            }
            (true, State::Reported(Status::Fmc | Status::Pmc)) => &mut self.ammo_serviceable,
            (true, State::Reported(Status::Nmcm | Status::Nmcs)) => &mut self.ammo_unserviceable,
            (true, State::Expired) => &mut self.ammo_expired,
            (true, State::Suspended) => &mut self.ammo_suspended,
        };
        *figure += quantity;
    }

    fn add_requirement(&mut self, required: i64, held: OnHand, ammo: bool) {
        if ammo {
            self.ammo_required = Some(self.ammo_required.unwrap_or(0) + required);
            self.ammo_filled += held.rounds.min(required);
        } else {
            self.required = Some(self.required.unwrap_or(0) + required);
            self.filled += held.items.min(required);
        }
    }

    /// Equipment items on hand.
    pub fn on_hand(&self) -> i64 {
        self.fmc + self.pmc + self.nmcm + self.nmcs
    }

    /// Mission capable: FMC, and PMC unless the policy says otherwise.
    pub fn mc(&self) -> i64 {
        if self.rules.pmc_is_mission_capable {
            self.fmc + self.pmc
        } else {
            self.fmc
        }
    }

    pub fn mc_rate(&self) -> Option<f64> {
        ratio(self.mc(), self.on_hand())
    }

    /// R1 ≥ 90 %, R2 ≥ 70 %, R3 ≥ 60 %, R4 below (or the policy's
    /// thresholds), over equipment; compared in integers so that exactly
    /// 90 % is R1.
    pub fn r_level(&self) -> Option<Level> {
        level(self.mc(), self.on_hand(), self.rules.r_levels)
    }

    pub fn fill_rate(&self) -> Option<f64> {
        self.required.and_then(|r| ratio(self.filled, r))
    }

    /// S1 ≥ 90 %, S2 ≥ 80 %, S3 ≥ 65 %, S4 below (or the policy's), over
    /// equipment pairs.
    pub fn s_level(&self) -> Option<Level> {
        level(self.filled, self.required.unwrap_or(0), self.rules.s_levels)
    }

    /// The worse of the R and S levels (R alone when nothing is required);
    /// ammunition stands beside it, not in it.
    pub fn level(&self) -> Option<Level> {
        match (self.r_level(), self.s_level()) {
            (Some(r), Some(s)) => Some(r.max(s)),
            (r, s) => r.or(s),
        }
    }

    /// Rounds in ammunition lots, whatever their state.
    pub fn ammo_on_hand(&self) -> i64 {
        self.ammo_serviceable + self.ammo_unserviceable + self.ammo_expired + self.ammo_suspended
    }

    pub fn ammo_rate(&self) -> Option<f64> {
        ratio(self.ammo_serviceable, self.ammo_on_hand())
    }

    pub fn ammo_fill_rate(&self) -> Option<f64> {
        self.ammo_required.and_then(|r| ratio(self.ammo_filled, r))
    }

    /// Whether the group holds anything at all.
    pub fn is_empty(&self) -> bool {
        self.on_hand() == 0 && self.ammo_on_hand() == 0
    }
}

/// `part / whole`, absent without a whole.
pub fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The level `part / whole` reaches under `thresholds` (% of levels 1–3).
pub fn level(part: i64, whole: i64, thresholds: [u8; 3]) -> Option<Level> {
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
    rules: Rules,
) -> (Vec<Group>, Figures) {
    // Keyed by the facts' own keys, hashed: a report by depot and type
    // has 60,000 groups, and ordered keys compared on every fact cost more
    // than sorting the groups once.
    let new = || Figures {
        rules,
        ..Figures::default()
    };
    let mut at: FxHashMap<&[Option<String>], usize> = FxHashMap::default();
    let mut found: Vec<(&[Option<String>], Figures)> = Vec::new();
    let mut last: Option<(&Rc<[Option<String>]>, usize)> = None;
    let mut total = new();
    for f in facts {
        let i = match last {
            Some((keys, i)) if Rc::ptr_eq(keys, &f.keys) => i,
            _ => {
                let i = *at.entry(&f.keys).or_insert_with(|| {
                    found.push((&f.keys, new()));
                    found.len() - 1
                });
                last = Some((&f.keys, i));
                i
            }
        };
        found[i].1.add(f.ammo, f.state, f.quantity);
        total.add(f.ammo, f.state, f.quantity);
    }
    let mut required: BTreeMap<Vec<Option<String>>, Figures> = BTreeMap::new();
    if let Some((reqs, pair_on_hand)) = requirements {
        for r in reqs {
            let held = pair_on_hand
                .get(&(r.depot.clone(), r.type_code.clone()))
                .copied()
                .unwrap_or_default();
            let ammo = r.is_ammo(held);
            let keys: Vec<Option<String>> = by.iter().map(|k| k.of_requirement(r)).collect();
            match at.get(keys.as_slice()) {
                Some(&i) => found[i].1.add_requirement(r.required, held, ammo),
                None => required
                    .entry(keys)
                    .or_insert_with(new)
                    .add_requirement(r.required, held, ammo),
            }
            total.add_requirement(r.required, held, ammo);
        }
    }
    let mut groups: Vec<Group> = found
        .into_iter()
        .map(|(keys, figures)| Group {
            keys: keys.to_vec(),
            figures,
        })
        .chain(
            required
                .into_iter()
                .map(|(keys, figures)| Group { keys, figures }),
        )
        .collect();
    groups.sort_unstable_by(|a, b| a.keys.cmp(&b.keys));
    (groups, total)
}

/// Mission-capable equipment, the part of it that can move within
/// `within` hours (items with no notice never count as deployable), and
/// the serviceable rounds that can (SPEC §4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deployable {
    pub mc: i64,
    pub deployable: i64,
    pub ammo_serviceable: i64,
    pub ammo_deployable: i64,
}

/// Group keys with their figures.
pub type DeployableGroup = (Vec<Option<String>>, Deployable);

pub fn deployable(facts: &[Fact], within: u32, rules: Rules) -> (Vec<DeployableGroup>, Deployable) {
    let mut groups: FxHashMap<&[Option<String>], Deployable> = FxHashMap::default();
    let mut total = Deployable::default();
    for f in facts {
        let g = groups.entry(&f.keys).or_default();
        // Rounds are serviceable by their state; equipment is mission
        // capable by the policy's (SPEC §13).
        if rules.counts(f.state, f.ammo) {
            let ready = f.notice_hours.is_some_and(|n| n <= within);
            for d in [&mut *g, &mut total] {
                let (all, moving) = if f.ammo {
                    (&mut d.ammo_serviceable, &mut d.ammo_deployable)
                } else {
                    (&mut d.mc, &mut d.deployable)
                };
                *all += f.quantity;
                if ready {
                    *moving += f.quantity;
                }
            }
        }
    }
    let mut groups: Vec<DeployableGroup> = groups
        .into_iter()
        .map(|(keys, d)| (keys.to_vec(), d))
        .collect();
    groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    (groups, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(depot: &str, ty: &str, state: State, q: i64) -> Fact {
        Fact {
            keys: vec![Some(depot.into()), Some(ty.into())].into(),
            ammo: false,
            state,
            notice_hours: Some(24),
            quantity: q,
        }
    }

    fn rounds(depot: &str, ty: &str, state: State, q: i64) -> Fact {
        Fact {
            ammo: true,
            ..fact(depot, ty, state, q)
        }
    }

    fn requirement(depot: &str, ty: &str, category: Option<&str>, required: i64) -> Requirement {
        Requirement {
            depot: depot.into(),
            type_code: ty.into(),
            category: category.map(String::from),
            required,
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
            requirement("A", "T1", None, 10),
            requirement("A", "T2", None, 10),
        ];
        let on_hand: PairOnHand = [
            (
                ("A".into(), "T1".into()),
                OnHand {
                    items: 20,
                    rounds: 0,
                },
            ),
            (
                ("A".into(), "T2".into()),
                OnHand {
                    items: 5,
                    rounds: 0,
                },
            ),
        ]
        .into();
        let (groups, total) = summarize(
            &facts,
            Some((&reqs, &on_hand)),
            &[Key::Depot, Key::Type],
            Rules::default(),
        );
        assert_eq!(groups.len(), 2);
        assert_eq!(total.required, Some(20));
        assert_eq!(total.filled, 15);
        assert_eq!(total.fill_rate(), Some(0.75));
        assert_eq!(total.s_level(), Some(3));
        assert_eq!(total.r_level(), Some(1));
        assert_eq!(total.level(), Some(3));
    }

    #[test]
    fn rounds_never_carry_the_rate_of_vehicles() {
        // The DE-AUG-01 in small: 7 of 9 tanks mission capable
        // (77.8 %, R2) beside 8,000 serviceable rounds.
        let facts = vec![
            fact("A", "TANK", State::Reported(Status::Fmc), 7),
            fact("A", "TANK", State::Reported(Status::Nmcm), 2),
            rounds("A", "120MM", State::Reported(Status::Fmc), 8000),
            rounds("A", "120MM", State::Reported(Status::Nmcs), 100),
            rounds("A", "120MM", State::Expired, 600),
        ];
        let (_, total) = summarize(&facts, None, &[], Rules::default());
        assert_eq!(total.on_hand(), 9);
        assert_eq!(total.mc(), 7);
        assert_eq!(total.r_level(), Some(2));
        assert_eq!(total.ammo_on_hand(), 8700);
        assert_eq!(total.ammo_serviceable, 8000);
        assert_eq!(total.ammo_unserviceable, 100);
        assert_eq!(total.ammo_expired, 600);
        assert_eq!(total.ammo_rate(), Some(8000.0 / 8700.0));
        // Three more tanks down move the level, whatever the rounds.
        let mut worse = facts.clone();
        worse[0].quantity = 4;
        worse[1].quantity = 5;
        let (_, total) = summarize(&worse, None, &[], Rules::default());
        assert_eq!(total.r_level(), Some(4));
    }

    #[test]
    fn a_group_of_rounds_alone_has_no_equipment_level() {
        let facts = vec![rounds("A", "155MM", State::Reported(Status::Fmc), 2400)];
        let (_, total) = summarize(&facts, None, &[], Rules::default());
        assert_eq!(total.on_hand(), 0);
        assert_eq!(total.mc_rate(), None);
        assert_eq!(total.level(), None);
        assert_eq!(total.ammo_rate(), Some(1.0));
    }

    #[test]
    fn requirements_of_ammunition_fill_their_own_rate() {
        let facts = vec![
            fact("A", "TANK", State::Reported(Status::Fmc), 8),
            rounds("A", "120MM", State::Reported(Status::Fmc), 500),
        ];
        let reqs = vec![
            requirement("A", "TANK", Some("MBT"), 10),
            requirement("A", "120MM", Some("AMMO"), 1000),
            // Category unknown: judged by what the pair holds.
            requirement("A", "155MM", None, 100),
        ];
        let on_hand: PairOnHand = [
            (
                ("A".into(), "TANK".into()),
                OnHand {
                    items: 8,
                    rounds: 0,
                },
            ),
            (
                ("A".into(), "120MM".into()),
                OnHand {
                    items: 0,
                    rounds: 500,
                },
            ),
            (
                ("A".into(), "155MM".into()),
                OnHand {
                    items: 0,
                    rounds: 100,
                },
            ),
        ]
        .into();
        let (_, total) = summarize(&facts, Some((&reqs, &on_hand)), &[], Rules::default());
        assert_eq!(total.required, Some(10));
        assert_eq!(total.fill_rate(), Some(0.8));
        assert_eq!(total.ammo_required, Some(1100));
        assert_eq!(total.ammo_filled, 600);
        assert_eq!(total.s_level(), Some(2));
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
            rounds("A", "R", State::Expired, 9),
            rounds("A", "R", State::Reported(Status::Fmc), 50),
        ];
        let (_, total) = deployable(&facts, 48, Rules::default());
        assert_eq!(
            total,
            Deployable {
                mc: 9,
                deployable: 4,
                ammo_serviceable: 50,
                ammo_deployable: 50,
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
