//! How many feasible nodes a cycle looks for: `percentageOfNodesToScore` and kube's adaptive default.

/// Below this many nodes every node is checked.
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// The adaptive percentage never goes below this.
pub const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: i64 = 5;

/// The number of feasible nodes to find before filtering stops: all nodes below 100;
/// otherwise `percentage` % of them (adaptive `50 − nodes/125`, at least 5 %, when
/// `percentage` is 0), and never fewer than 100.
pub fn num_feasible_nodes_to_find(percentage: i32, num_all_nodes: usize) -> usize {
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let mut pct = percentage as i64;
    if pct == 0 {
        pct = (50 - num_all_nodes as i64 / 125).max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
    }
    let n = (num_all_nodes as i64 * pct / 100) as usize;
    n.max(MIN_FEASIBLE_NODES_TO_FIND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_table() {
        let cases = [
            (0, 10, 10),
            (0, 99, 99),
            (0, 100, 100),
            (0, 1000, 420),
            (0, 5000, 500),
            (0, 6000, 300),
            (0, 100_000, 5000),
            (30, 1000, 300),
            (1, 1000, 100),
            (100, 1000, 1000),
        ];
        for (pct, nodes, want) in cases {
            assert_eq!(num_feasible_nodes_to_find(pct, nodes), want, "pct {pct} nodes {nodes}");
        }
    }
}
