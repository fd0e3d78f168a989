//! A port of CPython's `difflib.SequenceMatcher` (identical in 2.7 and 3.11) for
//! token sequences, with no junk function and the default auto-junk rule.
//!
//! Auto-junk: when `b` has at least 200 tokens, every token that occurs more than
//! `1 + len(b) / 100` times in `b` is "popular" and never starts a match. Matches
//! may still grow over popular tokens while extending a found block, as in
//! difflib. The longest-match search, its tie-breaking (lowest `a` index, then
//! lowest `b` index), the block recursion and the merging of adjacent blocks
//! follow difflib step by step, so the blocks are the same as Python's.

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

#[derive(Debug, Clone, Copy)]
struct MatchableRow {
    i: u32,
    positions_start: u32,
    positions_end: u32,
}

/// Compares two token sequences like `difflib.SequenceMatcher(None, a, b)`.
#[derive(Debug, Clone)]
pub struct SequenceMatcher {
    /// `a` as local ids: the id of the equal `b` token, or [`ABSENT`].
    a: Vec<u32>,
    /// `b` as local ids, dense from 0.
    b: Vec<u32>,
    /// Positions in `b` of each local id, popular ids excepted (`b2j` in difflib),
    /// stored as one array that `matchable_rows` slices.
    b2j_positions: Vec<u32>,
    /// The indexes of `a` whose token has positions in `b2j`, in order, each with
    /// the range of those positions in `b2j_positions`. Other rows of the
    /// longest-match search find nothing, so the search skips them.
    matchable_rows: Vec<MatchableRow>,
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
    /// hashing. `remap` must hold [`ABSENT`] everywhere, and does again on return.
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
        let matchable_rows = a
            .iter()
            .enumerate()
            .filter(|&(_, &id)| id != ABSENT)
            .map(|(i, &id)| MatchableRow {
                i: i as u32,
                positions_start: b2j_starts[id as usize],
                positions_end: b2j_starts[id as usize + 1],
            })
            .filter(|row| row.positions_start < row.positions_end)
            .collect();
        SequenceMatcher {
            a,
            b,
            b2j_positions,
            matchable_rows,
        }
    }

    /// Finds the longest matching block in `a[alo..ahi]` and `b[blo..bhi]`, as
    /// difflib's `find_longest_match`. Returns a block of size 0 at `(alo, blo)`
    /// when nothing matches.
    pub fn find_longest_match(&self, alo: usize, ahi: usize, blo: usize, bhi: usize) -> Match {
        let mut scratch = LongestMatchScratch::new(self.b.len());
        self.find_longest_match_with(&mut scratch, alo, ahi, blo, bhi)
    }

    /// Returns the matching blocks in increasing order, adjacent blocks merged, and
    /// the terminal block `(len(a), len(b), 0)`, as difflib's `get_matching_blocks`.
    pub fn matching_blocks(&self) -> Vec<Match> {
        let mut scratch = LongestMatchScratch::new(self.b.len());
        let mut found = Vec::new();
        let mut pending = vec![(0, self.a.len(), 0, self.b.len())];
        while let Some((alo, ahi, blo, bhi)) = pending.pop() {
            let block = self.find_longest_match_with(&mut scratch, alo, ahi, blo, bhi);
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

    fn find_longest_match_with(
        &self,
        scratch: &mut LongestMatchScratch,
        alo: usize,
        ahi: usize,
        blo: usize,
        bhi: usize,
    ) -> Match {
        let (mut best_a, mut best_b, mut best_size) = (alo, blo, 0);
        let base = scratch.start_search(self.a.len());
        let first_row = self.matchable_rows.partition_point(|row| (row.i as usize) < alo);
        let end_row = first_row + self.matchable_rows[first_row..].partition_point(|row| (row.i as usize) < ahi);
        for matchable in &self.matchable_rows[first_row..end_row] {
            let i = matchable.i as usize;
            let row = base + i as u32;
            let (previous_row, current_row) = scratch.rows_for(i);
            // Cell `j` of the previous row and cell `j + 1` of this one, for
            // `j < bhi`; the slices let the compiler drop the bounds checks.
            let previous_row = &previous_row[..bhi];
            let current_row = &mut current_row[1..=bhi];
            let positions = &self.b2j_positions[matchable.positions_start as usize..matchable.positions_end as usize];
            let first = match positions.first() {
                Some(&j) if (j as usize) < blo => positions.partition_point(|&j| (j as usize) < blo),
                _ => 0,
            };
            for &j in &positions[first..] {
                let j = j as usize;
                if j >= bhi {
                    break;
                }
                let length = LongestMatchScratch::length_in_row(previous_row[j], row - 1) + 1;
                current_row[j] = LongestMatchScratch::cell(row, length);
                if length as usize > best_size {
                    best_size = length as usize;
                    best_a = i + 1 - best_size;
                    best_b = j + 1 - best_size;
                }
            }
        }

        // Grow the block over equal tokens on both sides. Without a junk function
        // difflib's second pair of loops (over junk tokens) never runs.
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

/// difflib's `j2len` maps of the current and the previous `a` index: in the
/// array of the row's parity, cell `j + 1` contains the length of the match
/// ending at `b[j]`, tagged with the row that wrote it. A cell of any other row
/// reads as 0, so the arrays are never cleared and rows without positions are
/// skipped.
struct LongestMatchScratch {
    /// `(row << 32) | length`, for even and odd `a` indexes.
    cells: [Vec<u64>; 2],
    /// Row tags of the next search start above this.
    next_base: u32,
}

impl LongestMatchScratch {
    fn new(len_b: usize) -> Self {
        LongestMatchScratch {
            cells: [vec![0; len_b + 1], vec![0; len_b + 1]],
            next_base: 1,
        }
    }

    /// Returns the tag of row 0 of a new search over an `a` of `len_a` tokens.
    /// Row `i` is tagged `base + i`. Tags never repeat, and the tag before a
    /// search's first row is never written, so no search reads another's cells.
    fn start_search(&mut self, len_a: usize) -> u32 {
        let needed = len_a as u64 + 2;
        if u64::from(self.next_base) + needed > u64::from(u32::MAX) {
            for cells in &mut self.cells {
                cells.fill(0);
            }
            self.next_base = 1;
        }
        let base = self.next_base;
        self.next_base += needed as u32;
        base
    }

    /// Returns the cells of row `i - 1` to read and those of row `i` to write.
    #[inline]
    fn rows_for(&mut self, i: usize) -> (&[u64], &mut [u64]) {
        let [even, odd] = &mut self.cells;
        if i.is_multiple_of(2) {
            (odd, even)
        } else {
            (even, odd)
        }
    }

    /// Returns the length stored in `cell` if `row` wrote it, or 0.
    #[inline]
    fn length_in_row(cell: u64, row: u32) -> u32 {
        if (cell >> 32) as u32 == row {
            cell as u32
        } else {
            0
        }
    }

    #[inline]
    fn cell(row: u32, length: u32) -> u64 {
        ((row as u64) << 32) | length as u64
    }
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
