//! A flow network: maximum flow (Dinic) and minimum-cost maximum flow
//! (successive shortest paths) over integer capacities, with costs
//! compared lexicographically.
//!
//! Written here rather than taken from a crate: `pathfinding` has max flow
//! but no min-cost flow, and the min-cost crates take one integer cost,
//! where a lexicographic order of objectives needs either a tuple cost or
//! weights large enough to overflow on ammunition quantities.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Cost of one unit on an edge, compared lexicographically. Sums and
/// differences are taken per component, which keeps the order (an ordered
/// group), so shortest paths and potentials work as with one integer.
pub type Cost = [i64; 5];

pub const FREE: Cost = [0; 5];

fn add(a: Cost, b: Cost) -> Cost {
    std::array::from_fn(|i| a[i] + b[i])
}

fn sub(a: Cost, b: Cost) -> Cost {
    std::array::from_fn(|i| a[i] - b[i])
}

#[derive(Debug, Clone)]
struct Edge {
    to: usize,
    cap: i64,
    cost: Cost,
}

/// Edge `e` and `e ^ 1` are each other's reverse.
#[derive(Debug, Clone, Default)]
pub struct Network {
    edges: Vec<Edge>,
    adjacent: Vec<Vec<usize>>,
}

impl Network {
    pub fn new(nodes: usize) -> Network {
        Network {
            edges: Vec::new(),
            adjacent: vec![Vec::new(); nodes],
        }
    }

    /// Adds a node; returns its index.
    pub fn node(&mut self) -> usize {
        self.adjacent.push(Vec::new());
        self.adjacent.len() - 1
    }

    /// Adds an edge and its reverse; returns the edge's index.
    pub fn edge(&mut self, from: usize, to: usize, cap: i64, cost: Cost) -> usize {
        let e = self.edges.len();
        self.edges.push(Edge {
            to,
            cap: cap.max(0),
            cost,
        });
        self.edges.push(Edge {
            to: from,
            cap: 0,
            cost: cost.map(|x| -x),
        });
        self.adjacent[from].push(e);
        self.adjacent[to].push(e + 1);
        e
    }

    /// Sets an edge's remaining capacity (before any flow runs through it).
    pub fn set_cap(&mut self, e: usize, cap: i64) {
        self.edges[e].cap = cap.max(0);
    }

    /// Every edge's remaining capacity, for [`Network::restore`].
    pub fn capacities(&self) -> Vec<i64> {
        self.edges.iter().map(|e| e.cap).collect()
    }

    /// Puts back the capacities [`Network::capacities`] gave: the network
    /// as it was then, any flow since undone.
    pub fn restore(&mut self, caps: &[i64]) {
        for (e, &cap) in self.edges.iter_mut().zip(caps) {
            e.cap = cap;
        }
    }

    /// The flow an edge carries (what its reverse could send back).
    pub fn flow(&self, e: usize) -> i64 {
        self.edges[e ^ 1].cap
    }

    /// Dinic's algorithm: BFS levels, then blocking flows by DFS. Adds to
    /// whatever flow already runs.
    pub fn max_flow(&mut self, source: usize, sink: usize) -> i64 {
        self.dinic(source, sink, None)
    }

    /// Whether residual edge `e` out of `u` may carry flow: any with
    /// capacity, or with `potential` only those on a shortest path (zero
    /// reduced cost).
    fn open(&self, u: usize, e: usize, potential: Option<&[Cost]>) -> bool {
        let Edge { to, cap, cost } = self.edges[e];
        cap > 0 && potential.is_none_or(|p| sub(add(cost, p[u]), p[to]) == FREE)
    }

    fn dinic(&mut self, source: usize, sink: usize, potential: Option<&[Cost]>) -> i64 {
        let n = self.adjacent.len();
        let mut total = 0;
        loop {
            let mut level = vec![usize::MAX; n];
            level[source] = 0;
            let mut queue = VecDeque::from([source]);
            while let Some(u) = queue.pop_front() {
                for &e in &self.adjacent[u] {
                    let to = self.edges[e].to;
                    if level[to] == usize::MAX && self.open(u, e, potential) {
                        level[to] = level[u] + 1;
                        queue.push_back(to);
                    }
                }
            }
            if level[sink] == usize::MAX {
                return total;
            }
            let mut next = vec![0; n];
            loop {
                let pushed = self.push(source, sink, i64::MAX, &level, &mut next, potential);
                if pushed == 0 {
                    break;
                }
                total += pushed;
            }
        }
    }

    fn push(
        &mut self,
        u: usize,
        sink: usize,
        limit: i64,
        level: &[usize],
        next: &mut [usize],
        potential: Option<&[Cost]>,
    ) -> i64 {
        if u == sink {
            return limit;
        }
        while next[u] < self.adjacent[u].len() {
            let e = self.adjacent[u][next[u]];
            let Edge { to, cap, .. } = self.edges[e];
            if level[to] == level[u] + 1 && self.open(u, e, potential) {
                let pushed = self.push(to, sink, limit.min(cap), level, next, potential);
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

    /// Successive shortest paths with Dijkstra over reduced costs, from no
    /// flow (primal-dual: each round's shortest paths augmented together). All costs must start non-negative, so that zero potentials
    /// are valid to begin with; each round keeps them valid.
    pub fn min_cost_flow(&mut self, source: usize, sink: usize) -> i64 {
        let n = self.adjacent.len();
        let mut potential = vec![FREE; n];
        let mut total = 0;
        loop {
            let mut dist: Vec<Option<Cost>> = vec![None; n];
            let mut via = vec![usize::MAX; n];
            dist[source] = Some(FREE);
            let mut heap = BinaryHeap::from([Reverse((FREE, source))]);
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
            if dist[sink].is_none() {
                return total;
            }
            for (p, d) in potential.iter_mut().zip(&dist) {
                if let Some(d) = d {
                    *p = add(*p, *d);
                }
            }
            // Every shortest path at once: a maximum flow over the edges
            // of zero reduced cost. Each path it augments is a shortest
            // one, so the flow stays the cheapest for its value; a round
            // per distinct path cost rather than per path.
            total += self.dinic(source, sink, Some(&potential));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_flow_and_cheapest_paths() {
        // 0 → 2 → 1 and 0 → 3 → 1, the second dearer.
        let mut net = Network::new(4);
        let a = net.edge(0, 2, 5, [0, 0, 0, 0, 1]);
        net.edge(2, 1, 3, FREE);
        let b = net.edge(0, 3, 5, [0, 0, 0, 0, 2]);
        net.edge(3, 1, 4, FREE);
        assert_eq!(net.clone().max_flow(0, 1), 7);
        assert_eq!(net.min_cost_flow(0, 1), 7);
        assert_eq!((net.flow(a), net.flow(b)), (3, 4));
    }

    /// The flow's value and cost, one augmenting path at a time along a
    /// cheapest path found by Bellman-Ford: the textbook method, slow and
    /// plainly right, to hold the primal-dual rounds to.
    fn reference(edges: &[(usize, usize, i64, Cost)], n: usize) -> (i64, Cost) {
        let mut net = Network::new(n);
        for &(a, b, cap, cost) in edges {
            net.edge(a, b, cap, cost);
        }
        let mut total = 0;
        loop {
            let mut dist: Vec<Option<Cost>> = vec![None; n];
            let mut via = vec![usize::MAX; n];
            dist[0] = Some(FREE);
            for _ in 0..n {
                for (e, edge) in net.edges.iter().enumerate() {
                    let from = net.edges[e ^ 1].to;
                    if let (true, Some(d)) = (edge.cap > 0, dist[from]) {
                        let c = add(d, edge.cost);
                        if dist[edge.to].is_none_or(|old| c < old) {
                            dist[edge.to] = Some(c);
                            via[edge.to] = e;
                        }
                    }
                }
            }
            if dist[1].is_none() {
                break;
            }
            let (mut v, mut bottleneck) = (1, i64::MAX);
            while v != 0 {
                bottleneck = bottleneck.min(net.edges[via[v]].cap);
                v = net.edges[via[v] ^ 1].to;
            }
            let mut v = 1;
            while v != 0 {
                let e = via[v];
                net.edges[e].cap -= bottleneck;
                net.edges[e ^ 1].cap += bottleneck;
                v = net.edges[e ^ 1].to;
            }
            total += bottleneck;
        }
        (total, cost_of(&net, edges.len()))
    }

    /// Σ flow × cost over the first `count` edges added.
    fn cost_of(net: &Network, count: usize) -> Cost {
        let mut cost = FREE;
        for i in 0..count {
            let e = 2 * i;
            let flow = net.flow(e);
            cost = add(cost, net.edges[e].cost.map(|c| c * flow));
        }
        cost
    }

    proptest::proptest! {
        /// Layered networks shaped as an allocation's (source → lines →
        /// supplies → sink), with lexicographic costs of few values, so
        /// that many paths tie: the rounds give the reference's value and
        /// cost.
        #[test]
        fn primal_dual_rounds_give_the_cheapest_maximum_flow(
            lines in proptest::collection::vec(1i64..20, 1..5),
            supplies in proptest::collection::vec((1i64..15, 0i64..2, 0i64..3), 1..7),
            links in proptest::collection::vec((0usize..5, 0usize..7, 0i64..2), 0..25),
        ) {
            let n = 2 + lines.len() + supplies.len();
            let mut edges = Vec::new();
            for (l, &need) in lines.iter().enumerate() {
                edges.push((0, 2 + l, need, FREE));
            }
            for (l, s, pmc) in links {
                let (l, s) = (l % lines.len(), s % supplies.len());
                let (_, rank, notice) = supplies[s];
                edges.push((2 + l, 2 + lines.len() + s, i64::MAX / 4, [0, pmc, 0, rank, notice]));
            }
            for (s, &(quantity, _, _)) in supplies.iter().enumerate() {
                edges.push((2 + lines.len() + s, 1, quantity, FREE));
            }
            let mut net = Network::new(n);
            for &(a, b, cap, cost) in &edges {
                net.edge(a, b, cap, cost);
            }
            let value = net.min_cost_flow(0, 1);
            let (want_value, want_cost) = reference(&edges, n);
            proptest::prop_assert_eq!(value, want_value);
            proptest::prop_assert_eq!(cost_of(&net, edges.len()), want_cost);
        }
    }
}
