//! Allocating holdings to a package's lines (SPEC §7).
//!
//! Lines and pools (mission-capable quantity of one type at one notice)
//! form a bipartite transport network: source → line (capacity `needed`),
//! line → pool when the pool's type is one of the line's types, pool → sink
//! (its quantity). Four questions are asked of it:
//!
//! 1. the maximal fill, by a max flow over every pool (Dinic);
//! 2. the best fill of the weakest line among the fullest allocations, by
//!    bisection over a guarantee per line (the package is as ready as its
//!    weakest line, so an allocation that starves one line to fill another
//!    would understate it);
//! 3. the ready time: the smallest notice H at which pools of notice ≤ H
//!    alone reach both — they only grow with H, so a binary search over
//!    the distinct notice values, one max flow each;
//! 4. the allocation itself: a min-cost max flow over the pools of notice
//!    ≤ H, whose cost is a lexicographic triple (a unit beyond the line's
//!    guarantee, notice hours, the type's rank in the line's order of
//!    preference), so that among the fullest allocations it takes the
//!    shortest notice first, then the preferred types. Each pool's share
//!    is then drawn from its depots, larger depots first.
//!
//! Written here rather than taken from a crate: `pathfinding` has max flow
//! but no min-cost flow, and the min-cost crates take one integer cost,
//! where a lexicographic order of objectives needs either a tuple cost or
//! weights large enough to overflow on ammunition quantities.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One line's demand: how many, of which types (preferred first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demand {
    pub needed: i64,
    pub types: Vec<String>,
}

/// Mission-capable quantity of one type at one depot with one notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supply {
    pub depot: String,
    pub type_code: String,
    pub notice_hours: u32,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// Per demand: (index into the supplies, quantity taken).
    pub taken: Vec<Vec<(usize, i64)>>,
    /// Σ over lines of the quantity allocated (never more than needed).
    pub filled: i64,
    /// The smallest notice at which `filled` is already reached; None when
    /// nothing can be issued.
    pub ready_within_hours: Option<u32>,
}

pub fn allocate(demands: &[Demand], depot_supplies: &[Supply]) -> Allocation {
    // The flow runs over pools of one type at one notice: lines cannot tell
    // two depots' pools apart by cost, so depots only matter when a pool's
    // share is split among them afterwards. This keeps the network at
    // types × notices nodes, whatever the number of depots.
    let (supplies, members) = pools(depot_supplies);
    let supplies = &supplies[..];
    let all: Vec<usize> = (0..supplies.len()).collect();
    let needed: Vec<i64> = demands.iter().map(|d| d.needed.max(0)).collect();
    let best = Network::new(demands, supplies, &all, &needed).max_flow();
    if best == 0 {
        return Allocation {
            taken: vec![Vec::new(); demands.len()],
            filled: 0,
            ready_within_hours: None,
        };
    }
    let guarantee = weakest_line_guarantee(demands, supplies, &all, best);
    let mut notices: Vec<u32> = supplies.iter().map(|s| s.notice_hours).collect();
    notices.sort_unstable();
    notices.dedup();
    let within = |h: u32| -> Vec<usize> {
        all.iter()
            .copied()
            .filter(|&i| supplies[i].notice_hours <= h)
            .collect()
    };
    // The largest notice always reaches the best; find the first that does.
    let (mut lo, mut hi) = (0, notices.len() - 1);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if reaches(demands, supplies, &within(notices[mid]), &guarantee, best) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let ready = notices[lo];
    let used = within(ready);
    let mut net = Network::new(demands, supplies, &used, &guarantee);
    let filled = net.min_cost_flow();
    debug_assert_eq!(filled, best);
    Allocation {
        taken: split_among_depots(net.taken(demands.len()), &members, depot_supplies, demands),
        filled,
        ready_within_hours: Some(ready),
    }
}

/// Supplies summed by (type, notice), with the indices of the depot
/// supplies each pool holds.
fn pools(supplies: &[Supply]) -> (Vec<Supply>, Vec<Vec<usize>>) {
    let mut pools: Vec<Supply> = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut index: std::collections::HashMap<(&str, u32), usize> = Default::default();
    for (i, s) in supplies.iter().enumerate() {
        let p = *index
            .entry((s.type_code.as_str(), s.notice_hours))
            .or_insert_with(|| {
                pools.push(Supply {
                    depot: String::new(),
                    type_code: s.type_code.clone(),
                    notice_hours: s.notice_hours,
                    quantity: 0,
                });
                members.push(Vec::new());
                pools.len() - 1
            });
        pools[p].quantity += s.quantity;
        members[p].push(i);
    }
    (pools, members)
}

/// Each line's share of a pool drawn from its depots, the larger depots
/// (by what they hold of the package's types) first, one line after the
/// other: a line takes whole depots where it can, so the package draws on
/// few of them (an exact fewest-depots rule is a set-cover problem).
fn split_among_depots(
    taken: Vec<Vec<(usize, i64)>>,
    members: &[Vec<usize>],
    supplies: &[Supply],
    demands: &[Demand],
) -> Vec<Vec<(usize, i64)>> {
    let rank = depot_ranks(demands, supplies);
    let mut left: Vec<i64> = supplies.iter().map(|s| s.quantity).collect();
    let mut order: Vec<Vec<usize>> = members.to_vec();
    for m in &mut order {
        m.sort_by_key(|&i| (rank[i], i));
    }
    taken
        .into_iter()
        .map(|pool_shares| {
            let mut out = Vec::new();
            for (pool, mut want) in pool_shares {
                for &i in &order[pool] {
                    if want == 0 {
                        break;
                    }
                    let q = want.min(left[i]);
                    if q > 0 {
                        left[i] -= q;
                        want -= q;
                        out.push((i, q));
                    }
                }
            }
            out
        })
        .collect()
}

/// Whether the supplies `used` can give every line its guaranteed quantity
/// and, on top of it, the best total fill. Augmenting paths never take flow
/// back from the source's edges, so pushing the guarantees first and then
/// the rest loses neither.
fn reaches(
    demands: &[Demand],
    supplies: &[Supply],
    used: &[usize],
    guarantee: &[i64],
    best: i64,
) -> bool {
    let mut net = Network::new(demands, supplies, used, guarantee);
    net.set_extra(false);
    let guaranteed = net.max_flow();
    if guaranteed < guarantee.iter().sum::<i64>() {
        return false;
    }
    net.set_extra(true);
    guaranteed + net.max_flow() == best
}

/// Among the allocations that fill the most, the one whose weakest line is
/// filled best, as a quantity per line to guarantee: the package's fill is
/// its weakest line's, so an allocation that fills 3 of 3 and 1 of 2 when
/// 2 of 3 and 2 of 2 was possible would understate it. The weakest fill λ
/// is searched by bisection; each line then gets ⌈λ × needed⌉.
fn weakest_line_guarantee(
    demands: &[Demand],
    supplies: &[Supply],
    used: &[usize],
    best: i64,
) -> Vec<i64> {
    let needed: Vec<i64> = demands.iter().map(|d| d.needed.max(0)).collect();
    if best == needed.iter().sum::<i64>() || demands.len() < 2 {
        return if best == needed.iter().sum::<i64>() {
            needed
        } else {
            vec![0; demands.len()]
        };
    }
    let at = |lambda: f64| -> Vec<i64> {
        needed
            .iter()
            .map(|&n| ((lambda * n as f64).ceil() as i64).min(n))
            .collect()
    };
    // Bisection from below: `lo` always feasible. 50 halvings resolve any
    // two fills of lines up to 10^9 apart.
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..50 {
        let mid = (lo + hi) / 2.0;
        if reaches(demands, supplies, used, &at(mid), best) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    at(lo)
}

/// Depots ranked by how much of the package's types they could supply,
/// largest first.
fn depot_ranks(demands: &[Demand], supplies: &[Supply]) -> Vec<i64> {
    let mut totals: Vec<(&str, i64)> = Vec::new();
    for s in supplies {
        if !demands.iter().any(|d| d.types.contains(&s.type_code)) {
            continue;
        }
        match totals.iter_mut().find(|(d, _)| *d == s.depot) {
            Some((_, q)) => *q += s.quantity,
            None => totals.push((&s.depot, s.quantity)),
        }
    }
    totals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    supplies
        .iter()
        .map(|s| {
            totals
                .iter()
                .position(|(d, _)| *d == s.depot)
                .map_or(0, |p| p as i64)
        })
        .collect()
}

/// Cost of one unit on an edge, compared lexicographically: a unit beyond
/// a line's guarantee, notice hours, preference rank. Sums and
/// differences are taken per component, which keeps the order (an ordered
/// group), so shortest paths and potentials work as with one integer.
type Cost = [i64; 3];

fn add(a: Cost, b: Cost) -> Cost {
    std::array::from_fn(|i| a[i] + b[i])
}

fn sub(a: Cost, b: Cost) -> Cost {
    std::array::from_fn(|i| a[i] - b[i])
}

fn neg(a: Cost) -> Cost {
    a.map(|x| -x)
}

#[derive(Debug, Clone)]
struct Edge {
    to: usize,
    cap: i64,
    cost: Cost,
}

/// Nodes: 0 source, 1 sink, 2.. lines, then the supplies in use. Edge `e`
/// and `e ^ 1` are each other's reverse. Each line has two edges from the
/// source: its guarantee, and the rest of what it needs at a higher cost.
struct Network {
    edges: Vec<Edge>,
    adjacent: Vec<Vec<usize>>,
    /// (edge index, demand, supply) of every line → supply edge.
    assignments: Vec<(usize, usize, usize)>,
    /// (edge index, capacity) of every line's edge beyond its guarantee.
    extra: Vec<(usize, i64)>,
}

const SOURCE: usize = 0;
const SINK: usize = 1;

impl Network {
    fn new(demands: &[Demand], supplies: &[Supply], used: &[usize], guarantee: &[i64]) -> Self {
        let n = 2 + demands.len() + used.len();
        let mut net = Network {
            edges: Vec::new(),
            adjacent: vec![Vec::new(); n],
            assignments: Vec::new(),
            extra: Vec::new(),
        };
        for (d, demand) in demands.iter().enumerate() {
            let needed = demand.needed.max(0);
            let sure = guarantee.get(d).copied().unwrap_or(0).min(needed);
            net.edge(SOURCE, 2 + d, sure, [0; 3]);
            let e = net.edge(SOURCE, 2 + d, needed - sure, [1, 0, 0]);
            net.extra.push((e, needed - sure));
        }
        for (k, &s) in used.iter().enumerate() {
            let supply = &supplies[s];
            let node = 2 + demands.len() + k;
            for (d, demand) in demands.iter().enumerate() {
                if let Some(rank) = demand.types.iter().position(|t| *t == supply.type_code) {
                    let cost = [0, i64::from(supply.notice_hours), rank as i64];
                    let e = net.edge(2 + d, node, supply.quantity, cost);
                    net.assignments.push((e, d, s));
                }
            }
            net.edge(node, SINK, supply.quantity.max(0), [0; 3]);
        }
        net
    }

    /// Opens or closes the lines' edges beyond their guarantees (before any
    /// flow runs through them).
    fn set_extra(&mut self, open: bool) {
        for &(e, cap) in &self.extra {
            self.edges[e].cap = if open { cap } else { 0 };
        }
    }

    fn edge(&mut self, from: usize, to: usize, cap: i64, cost: Cost) -> usize {
        let e = self.edges.len();
        self.edges.push(Edge { to, cap, cost });
        self.edges.push(Edge {
            to: from,
            cap: 0,
            cost: neg(cost),
        });
        self.adjacent[from].push(e);
        self.adjacent[to].push(e + 1);
        e
    }

    /// Dinic's algorithm: BFS levels, then blocking flows by DFS.
    fn max_flow(&mut self) -> i64 {
        let n = self.adjacent.len();
        let mut total = 0;
        loop {
            let mut level = vec![usize::MAX; n];
            level[SOURCE] = 0;
            let mut queue = std::collections::VecDeque::from([SOURCE]);
            while let Some(u) = queue.pop_front() {
                for &e in &self.adjacent[u] {
                    let Edge { to, cap, .. } = self.edges[e];
                    if cap > 0 && level[to] == usize::MAX {
                        level[to] = level[u] + 1;
                        queue.push_back(to);
                    }
                }
            }
            if level[SINK] == usize::MAX {
                return total;
            }
            let mut next = vec![0; n];
            loop {
                let pushed = self.push(SOURCE, i64::MAX, &level, &mut next);
                if pushed == 0 {
                    break;
                }
                total += pushed;
            }
        }
    }

    fn push(&mut self, u: usize, limit: i64, level: &[usize], next: &mut [usize]) -> i64 {
        if u == SINK {
            return limit;
        }
        while next[u] < self.adjacent[u].len() {
            let e = self.adjacent[u][next[u]];
            let Edge { to, cap, .. } = self.edges[e];
            if cap > 0 && level[to] == level[u] + 1 {
                let pushed = self.push(to, limit.min(cap), level, next);
                if pushed > 0 {
                    self.edges[e].cap -= pushed;
                    self.edges[e ^ 1].cap += pushed;
                    return pushed;
                }
            }
            next[u] += 1;
        }
        0
    }

    /// Successive shortest paths with Dijkstra over reduced costs. All
    /// costs start non-negative, so zero potentials are valid to begin
    /// with; each round keeps them valid.
    fn min_cost_flow(&mut self) -> i64 {
        let n = self.adjacent.len();
        let mut potential = vec![[0i64; 3]; n];
        let mut total = 0;
        loop {
            let mut dist: Vec<Option<Cost>> = vec![None; n];
            let mut via = vec![usize::MAX; n];
            dist[SOURCE] = Some([0; 3]);
            let mut heap = BinaryHeap::from([Reverse(([0i64; 3], SOURCE))]);
            while let Some(Reverse((d, u))) = heap.pop() {
                if dist[u] != Some(d) {
                    continue;
                }
                for &e in &self.adjacent[u] {
                    let Edge { to, cap, cost } = self.edges[e];
                    if cap <= 0 {
                        continue;
                    }
                    let reduced = sub(add(cost, potential[u]), potential[to]);
                    let candidate = add(d, reduced);
                    if dist[to].is_none_or(|old| candidate < old) {
                        dist[to] = Some(candidate);
                        via[to] = e;
                        heap.push(Reverse((candidate, to)));
                    }
                }
            }
            if dist[SINK].is_none() {
                return total;
            }
            for (p, d) in potential.iter_mut().zip(&dist) {
                if let Some(d) = d {
                    *p = add(*p, *d);
                }
            }
            let mut bottleneck = i64::MAX;
            let mut v = SINK;
            while v != SOURCE {
                let e = via[v];
                bottleneck = bottleneck.min(self.edges[e].cap);
                v = self.edges[e ^ 1].to;
            }
            let mut v = SINK;
            while v != SOURCE {
                let e = via[v];
                self.edges[e].cap -= bottleneck;
                self.edges[e ^ 1].cap += bottleneck;
                v = self.edges[e ^ 1].to;
            }
            total += bottleneck;
        }
    }

    /// The flow on each line → supply edge (what its reverse edge holds).
    fn taken(&self, demands: usize) -> Vec<Vec<(usize, i64)>> {
        let mut taken = vec![Vec::new(); demands];
        for &(e, d, s) in &self.assignments {
            let flow = self.edges[e ^ 1].cap;
            if flow > 0 {
                taken[d].push((s, flow));
            }
        }
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demand(needed: i64, types: &[&str]) -> Demand {
        Demand {
            needed,
            types: types.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn supply(depot: &str, type_code: &str, notice_hours: u32, quantity: i64) -> Supply {
        Supply {
            depot: depot.into(),
            type_code: type_code.into(),
            notice_hours,
            quantity,
        }
    }

    #[test]
    fn beats_a_greedy_pass_in_file_order() {
        // A greedy pass gives line 1 its preferred A (both units), leaving
        // line 2, which can only use A, empty. Optimal: line 1 takes B.
        let demands = [demand(2, &["A", "B"]), demand(2, &["A"])];
        let supplies = [supply("D1", "A", 24, 2), supply("D2", "B", 48, 2)];
        let a = allocate(&demands, &supplies);
        assert_eq!(a.filled, 4);
        assert_eq!(a.taken[0], vec![(1, 2)]);
        assert_eq!(a.taken[1], vec![(0, 2)]);
        assert_eq!(a.ready_within_hours, Some(48));
    }

    #[test]
    fn prefers_shorter_notice_then_preference_then_larger_depots() {
        let demands = [demand(3, &["A", "B"])];
        let supplies = [
            supply("SMALL", "A", 12, 1),
            supply("BIG", "A", 12, 5),
            supply("D3", "B", 6, 1),
            supply("D4", "A", 96, 10),
        ];
        let a = allocate(&demands, &supplies);
        assert_eq!(a.filled, 3);
        assert_eq!(a.ready_within_hours, Some(12));
        // B at 6 h first (shortest notice), then A from the bigger depot.
        let mut taken = a.taken[0].clone();
        taken.sort();
        assert_eq!(taken, vec![(1, 2), (2, 1)]);
    }

    #[test]
    fn nothing_to_issue_has_no_ready_time() {
        let a = allocate(&[demand(5, &["A"])], &[supply("D", "B", 1, 9)]);
        assert_eq!(a.filled, 0);
        assert_eq!(a.ready_within_hours, None);
    }

    #[test]
    fn ready_time_is_when_the_best_fill_is_first_reached() {
        // 2 of 3 are available at 24 h; the third only at 72 h.
        let demands = [demand(3, &["A"])];
        let supplies = [supply("D", "A", 24, 2), supply("E", "A", 72, 1)];
        assert_eq!(allocate(&demands, &supplies).ready_within_hours, Some(72));
        let supplies = [supply("D", "A", 24, 3), supply("E", "A", 72, 1)];
        assert_eq!(allocate(&demands, &supplies).ready_within_hours, Some(24));
    }
}

/// The allocation against an exhaustive search over every way of sharing
/// each supply's units among the lines it can serve.
#[cfg(test)]
mod exhaustive {
    use super::*;
    use proptest::prelude::*;

    const TYPES: [&str; 3] = ["A", "B", "C"];

    /// The weakest line's fill as a fraction (numerator, denominator).
    fn weakest(demands: &[Demand], alloc: &[i64]) -> (i64, i64) {
        demands
            .iter()
            .zip(alloc)
            .filter(|(d, _)| d.needed > 0)
            .map(|(d, &a)| (a, d.needed))
            .min_by(|x, y| (x.0 * y.1).cmp(&(y.0 * x.1)))
            .unwrap_or((1, 1))
    }

    /// Best (fill, weakest line, notice cost) reachable with supplies of
    /// notice ≤ `limit`: fill maximal, then the weakest line's fill maximal,
    /// then the notice cost minimal.
    fn brute(demands: &[Demand], supplies: &[Supply], limit: u32) -> (i64, (i64, i64), i64) {
        let mut search = Search {
            demands,
            supplies,
            limit,
            alloc: vec![0; demands.len()],
            best: (-1, (0, 1), 0),
        };
        search.supply(0, 0);
        search.best
    }

    struct Search<'a> {
        demands: &'a [Demand],
        supplies: &'a [Supply],
        limit: u32,
        alloc: Vec<i64>,
        best: (i64, (i64, i64), i64),
    }

    impl Search<'_> {
        /// Every way of using supply `s` onwards.
        fn supply(&mut self, s: usize, cost: i64) {
            if s == self.supplies.len() {
                let fill: i64 = self.alloc.iter().sum();
                let w = weakest(self.demands, &self.alloc);
                let order = fill
                    .cmp(&self.best.0)
                    .then((w.0 * self.best.1.1).cmp(&(self.best.1.0 * w.1)))
                    .then(self.best.2.cmp(&cost));
                if order == std::cmp::Ordering::Greater {
                    self.best = (fill, w, cost);
                }
                return;
            }
            let sup = &self.supplies[s];
            let lines: Vec<usize> = (0..self.demands.len())
                .filter(|&d| self.demands[d].types.contains(&sup.type_code))
                .collect();
            if sup.notice_hours > self.limit || lines.is_empty() {
                self.supply(s + 1, cost);
                return;
            }
            self.split(s, &lines, sup.quantity, cost);
        }

        /// Every split of at most `left` units of supply `s` over `lines`.
        fn split(&mut self, s: usize, lines: &[usize], left: i64, cost: i64) {
            let Some((&d, rest)) = lines.split_first() else {
                self.supply(s + 1, cost);
                return;
            };
            let room = self.demands[d].needed - self.alloc[d];
            for q in 0..=left.min(room) {
                self.alloc[d] += q;
                let c = cost + q * i64::from(self.supplies[s].notice_hours);
                self.split(s, rest, left - q, c);
                self.alloc[d] -= q;
            }
        }
    }

    fn instance() -> impl Strategy<Value = (Vec<Demand>, Vec<Supply>)> {
        let demand = (
            0i64..5,
            proptest::sample::subsequence(TYPES.to_vec(), 1..=3),
            any::<bool>(),
        )
            .prop_map(|(needed, mut types, reverse)| {
                if reverse {
                    types.reverse();
                }
                Demand {
                    needed,
                    types: types.into_iter().map(String::from).collect(),
                }
            });
        let supply = (
            0usize..3,
            0usize..3,
            prop_oneof![Just(6u32), Just(24), Just(48), Just(72)],
            1i64..4,
        )
            .prop_map(|(depot, t, notice_hours, quantity)| Supply {
                depot: format!("D{depot}"),
                type_code: TYPES[t].to_string(),
                notice_hours,
                quantity,
            });
        (
            proptest::collection::vec(demand, 1..=3),
            proptest::collection::vec(supply, 0..=4),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(600))]

        #[test]
        fn same_fill_weakest_line_and_ready_time_as_exhaustive_search((demands, supplies) in instance()) {
            let a = allocate(&demands, &supplies);
            let (best, weakest_best, _) = brute(&demands, &supplies, u32::MAX);
            prop_assert_eq!(a.filled, best);

            // Never more than a line needs, nor than a supply holds, and
            // only of the line's own types.
            let mut used = vec![0i64; supplies.len()];
            let mut per_line = vec![0i64; demands.len()];
            for (d, taken) in a.taken.iter().enumerate() {
                let sum: i64 = taken.iter().map(|&(_, q)| q).sum();
                prop_assert!(sum <= demands[d].needed);
                per_line[d] = sum;
                for &(s, q) in taken {
                    prop_assert!(q > 0);
                    prop_assert!(demands[d].types.contains(&supplies[s].type_code));
                    used[s] += q;
                }
            }
            prop_assert_eq!(per_line.iter().sum::<i64>(), a.filled);
            for (s, u) in used.iter().enumerate() {
                prop_assert!(*u <= supplies[s].quantity);
            }
            // The weakest line is filled as well as any fullest allocation can.
            let w = weakest(&demands, &per_line);
            prop_assert_eq!(w.0 * weakest_best.1, weakest_best.0 * w.1);

            // The ready time is the first notice that reaches the best.
            let reached = |h: u32| {
                let (f, w, _) = brute(&demands, &supplies, h);
                f == best && w.0 * weakest_best.1 == weakest_best.0 * w.1
            };
            match a.ready_within_hours {
                None => prop_assert_eq!(best, 0),
                Some(h) => {
                    prop_assert!(reached(h));
                    let earlier = supplies.iter().map(|s| s.notice_hours).filter(|&n| n < h).max();
                    if let Some(e) = earlier {
                        prop_assert!(!reached(e));
                    }
                    // Every source within it, and the notice cost minimal.
                    let mut cost = 0;
                    for taken in &a.taken {
                        for &(s, q) in taken {
                            prop_assert!(supplies[s].notice_hours <= h);
                            cost += q * i64::from(supplies[s].notice_hours);
                        }
                    }
                    prop_assert_eq!(cost, brute(&demands, &supplies, h).2);
                }
            }
        }
    }
}
