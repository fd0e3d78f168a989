//! A port of `difflib.SequenceMatcher` for token sequences, with no junk function
//! and the default auto-junk rule. Its results are checked against CPython 3.11.7
//! and 2.7.18, which agree with each other.
//!
//! Auto-junk: when `b` has at least 200 tokens, every token that occurs more than
//! `1 + len(b) / 100` times in `b` is "popular" and never starts a match. Matches
//! may still grow over popular tokens while extending a found block, as in
//! difflib. The longest-match search returns difflib's block, with its
//! tie-breaking (lowest `a` index, then lowest `b` index), but reads it from the
//! diagonal runs of equal tokens, computed once, in place of difflib's per-call
//! table. The block recursion and the merging of adjacent blocks follow difflib
//! step by step.

use std::hash::Hash;

use rustc_hash::FxHashMap;

/// Minimum length of `b` at which popular tokens are ignored.
const AUTOJUNK_MIN_LEN: usize = 200;

/// Local id of an `a` token that does not occur in `b`.
pub(crate) const ABSENT: u32 = u32::MAX;

/// A matching block: `a[a..a + size] == b[b..b + size]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Match {
    pub a: usize,
    pub b: usize,
    pub size: usize,
}

/// A pair `a[i] == b[j]` where `b[j]` is not popular: an entry of difflib's
/// `b2j` for `a[i]`. `run` is the number of such pairs on the diagonal that end
/// here: `(i, j)`, `(i - 1, j - 1)`, and so on.
#[derive(Debug, Clone, Copy)]
struct Cell {
    i: u32,
    j: u32,
    run: u32,
}

/// Compares two token sequences like `difflib.SequenceMatcher(None, a, b)`.
#[derive(Debug, Clone)]
pub struct SequenceMatcher {
    /// `a` as local ids: the id of the equal `b` token, or [`ABSENT`].
    a: Vec<u32>,
    /// `b` as local ids, dense from 0.
    b: Vec<u32>,
    /// Every pair of equal tokens that difflib's longest-match search visits,
    /// ordered by `i`, then `j`, as the search visits them.
    cells: Vec<Cell>,
}

impl SequenceMatcher {
    /// Indexes `b` and maps `a` onto it.
    pub fn new<T: Hash + Eq>(a: &[T], b: &[T]) -> Self {
        let mut ids: FxHashMap<&T, u32> = FxHashMap::default();
        ids.reserve(b.len());
        let b_ids: Vec<u32> = b
            .iter()
            .map(|token| {
                let next = ids.len() as u32;
                *ids.entry(token).or_insert(next)
            })
            .collect();
        let a_ids = a
            .iter()
            .map(|token| ids.get(token).copied().unwrap_or(ABSENT))
            .collect();
        Self::from_local_ids(a_ids, b_ids, ids.len())
    }

    /// Builds a matcher for sequences of token ids below `remap.len()`, without
    /// hashing. `remap` must contain only [`ABSENT`], and does again on return.
    pub(crate) fn from_token_ids(a: &[u32], b: &[u32], remap: &mut [u32]) -> Self {
        let mut distinct = 0;
        let b_ids: Vec<u32> = b
            .iter()
            .map(|&token| {
                let local = &mut remap[token as usize];
                if *local == ABSENT {
                    *local = distinct;
                    distinct += 1;
                }
                *local
            })
            .collect();
        let a_ids = a.iter().map(|&token| remap[token as usize]).collect();
        for &token in b {
            remap[token as usize] = ABSENT;
        }
        Self::from_local_ids(a_ids, b_ids, distinct as usize)
    }

    fn from_local_ids(a: Vec<u32>, b: Vec<u32>, distinct: usize) -> Self {
        let (b2j_starts, b2j_positions) = index_positions(&b, distinct);
        let cells = diagonal_cells(&a, &b2j_starts, &b2j_positions);
        SequenceMatcher { a, b, cells }
    }

    /// Finds the longest matching block in `a[alo..ahi]` and `b[blo..bhi]`, as
    /// difflib's `find_longest_match`. Returns a block of size 0 at `(alo, blo)`
    /// when nothing matches.
    ///
    /// The ranges must lie within `a` and `b`.
    pub fn find_longest_match(&self, alo: usize, ahi: usize, blo: usize, bhi: usize) -> Match {
        let (mut best_a, mut best_b, mut best_size) = (alo, blo, 0);
        // difflib extends a run of pairs row by row from `alo` and `blo`, so the
        // run ending at a pair, seen from inside the range, is the pair's whole
        // diagonal run cut at row `alo` and column `blo`. Visiting the pairs in
        // difflib's order and keeping the first longest gives its block.
        let first = self.cells.partition_point(|cell| (cell.i as usize) < alo);
        let end = first + self.cells[first..].partition_point(|cell| (cell.i as usize) < ahi);
        for cell in &self.cells[first..end] {
            let (i, j) = (cell.i as usize, cell.j as usize);
            if j < blo || j >= bhi {
                continue;
            }
            let size = (cell.run as usize).min(i + 1 - alo).min(j + 1 - blo);
            if size > best_size {
                best_size = size;
                best_a = i + 1 - size;
                best_b = j + 1 - size;
            }
        }

        // Grow the block over equal tokens on both sides, popular ones included.
        // Without a junk function difflib's second pair of loops (over junk
        // tokens) never runs.
        while best_a > alo && best_b > blo && self.a[best_a - 1] == self.b[best_b - 1] {
            best_a -= 1;
            best_b -= 1;
            best_size += 1;
        }
        while best_a + best_size < ahi
            && best_b + best_size < bhi
            && self.a[best_a + best_size] == self.b[best_b + best_size]
        {
            best_size += 1;
        }
        Match {
            a: best_a,
            b: best_b,
            size: best_size,
        }
    }

    /// Returns the matching blocks in increasing order, adjacent blocks merged, and
    /// the terminal block `(len(a), len(b), 0)`, as difflib's `get_matching_blocks`.
    pub fn matching_blocks(&self) -> Vec<Match> {
        let mut found = Vec::new();
        let mut pending = vec![(0, self.a.len(), 0, self.b.len())];
        while let Some((alo, ahi, blo, bhi)) = pending.pop() {
            let block = self.find_longest_match(alo, ahi, blo, bhi);
            if block.size == 0 {
                continue;
            }
            found.push(block);
            if alo < block.a && blo < block.b {
                pending.push((alo, block.a, blo, block.b));
            }
            if block.a + block.size < ahi && block.b + block.size < bhi {
                pending.push((block.a + block.size, ahi, block.b + block.size, bhi));
            }
        }
        found.sort_unstable();
        merge_adjacent(found, self.a.len(), self.b.len())
    }

    /// Returns `2 * matched / (len(a) + len(b))`, or 1.0 when both are empty, as
    /// difflib's `ratio`.
    pub fn ratio(&self) -> f64 {
        ratio_of(&self.matching_blocks(), self.a.len(), self.b.len())
    }
}

/// Returns `2 * matched / (len_a + len_b)` for `blocks` of sequences of these
/// lengths, or 1.0 when both are empty.
pub fn ratio_of(blocks: &[Match], len_a: usize, len_b: usize) -> f64 {
    let matched: usize = blocks.iter().map(|block| block.size).sum();
    let total = len_a + len_b;
    if total == 0 {
        return 1.0;
    }
    2.0 * matched as f64 / total as f64
}

/// Builds difflib's `b2j` with popular ids removed: returns the start of each id's
/// positions (one extra entry at the end) and the positions themselves.
fn index_positions(b: &[u32], distinct: usize) -> (Vec<u32>, Vec<u32>) {
    let mut counts = vec![0u32; distinct];
    for &id in b {
        counts[id as usize] += 1;
    }
    if b.len() >= AUTOJUNK_MIN_LEN {
        let popular_above = (b.len() / 100 + 1) as u32;
        for count in counts.iter_mut() {
            if *count > popular_above {
                *count = 0;
            }
        }
    }
    let mut starts = Vec::with_capacity(distinct + 1);
    let mut total = 0u32;
    for &count in &counts {
        starts.push(total);
        total += count;
    }
    starts.push(total);

    let mut fill = starts[..distinct].to_vec();
    let mut positions = vec![0u32; total as usize];
    for (j, &id) in b.iter().enumerate() {
        let id = id as usize;
        if counts[id] > 0 {
            positions[fill[id] as usize] = j as u32;
            fill[id] += 1;
        }
    }
    (starts, positions)
}

/// Lists the pairs `a[i] == b[j]` with `j` in the positions of `a[i]`, in order,
/// with the length of the diagonal run that each one ends.
fn diagonal_cells(a: &[u32], b2j_starts: &[u32], b2j_positions: &[u32]) -> Vec<Cell> {
    let mut cells: Vec<Cell> = Vec::with_capacity(b2j_positions.len());
    // The cells of the last row that had any, and that row.
    let mut previous_row = 0..0;
    let mut previous_i = None;
    for (i, &id) in a.iter().enumerate() {
        if id == ABSENT {
            continue;
        }
        let positions = &b2j_positions[b2j_starts[id as usize] as usize..b2j_starts[id as usize + 1] as usize];
        if positions.is_empty() {
            continue;
        }
        let row_start = cells.len();
        let mut above = if previous_i == i.checked_sub(1) {
            previous_row.clone()
        } else {
            0..0
        };
        for &j in positions {
            // Both rows are sorted by `j`, so the cell at `j - 1` above is found
            // by moving forward.
            while above.start < above.end && cells[above.start].j + 1 < j {
                above.start += 1;
            }
            let run = match cells.get(above.start) {
                Some(cell) if above.start < above.end && cell.j + 1 == j => cell.run + 1,
                _ => 1,
            };
            cells.push(Cell { i: i as u32, j, run });
        }
        previous_row = row_start..cells.len();
        previous_i = Some(i);
    }
    cells
}

fn merge_adjacent(sorted: Vec<Match>, len_a: usize, len_b: usize) -> Vec<Match> {
    let mut merged = Vec::with_capacity(sorted.len() + 1);
    let mut run = Match { a: 0, b: 0, size: 0 };
    for block in sorted {
        if run.a + run.size == block.a && run.b + run.size == block.b {
            run.size += block.size;
        } else {
            if run.size > 0 {
                merged.push(run);
            }
            run = block;
        }
    }
    if run.size > 0 {
        merged.push(run);
    }
    merged.push(Match {
        a: len_a,
        b: len_b,
        size: 0,
    });
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(a: &str, b: &str) -> Vec<(usize, usize, usize)> {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        SequenceMatcher::new(&a, &b)
            .matching_blocks()
            .iter()
            .map(|m| (m.a, m.b, m.size))
            .collect()
    }

    #[test]
    fn blocks_match_difflib_examples() {
        // Values from CPython 3.11's difflib on the same inputs.
        assert_eq!(blocks("abxcd", "abcd"), vec![(0, 0, 2), (3, 2, 2), (5, 4, 0)]);
        assert_eq!(blocks(" abcd", "abcd abcd"), vec![(0, 4, 5), (5, 9, 0)]);
        assert_eq!(blocks("", ""), vec![(0, 0, 0)]);
    }

    #[test]
    fn ratio_of_empty_is_one() {
        let empty: [u8; 0] = [];
        assert_eq!(SequenceMatcher::new(&empty, &empty).ratio(), 1.0);
    }
}
