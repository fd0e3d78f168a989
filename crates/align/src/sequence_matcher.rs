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
//! table. Only the pairs that continue a run are stored: a range whose longest
//! run is a single pair gets its first pair from `b2j` directly. The block recursion and the merging of adjacent blocks follow difflib
//! step by step. A matcher can be rebuilt for another pair of sequences, which
//! keeps its buffers.

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
/// here: `(i, j)`, `(i - 1, j - 1)`, and so on. Stored cells have a run of 2
/// or more.
#[derive(Debug, Clone, Copy)]
struct Cell {
    i: u32,
    j: u32,
    run: u32,
}

/// Compares two token sequences like `difflib.SequenceMatcher(None, a, b)`.
#[derive(Debug, Clone, Default)]
pub struct SequenceMatcher {
    /// `a` as local ids: the id of the equal `b` token, or [`ABSENT`].
    a: Vec<u32>,
    /// `b` as local ids, dense from 0.
    b: Vec<u32>,
    /// The pairs of equal tokens that difflib's longest-match search visits
    /// and that continue a run (run of 2 or more), ordered by `i`, then `j`, as
    /// the search visits them. Most pairs of a text are a run of 1 alone.
    chained_cells: Vec<Cell>,
    /// difflib's `b2j` without popular ids: the positions of local id `t` in `b`
    /// are `b2j_positions[b2j_starts[t]..b2j_starts[t + 1]]`.
    b2j_starts: Vec<u32>,
    b2j_positions: Vec<u32>,
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

    /// Rebuilds the matcher for sequences of token ids below `remap.len()`,
    /// without hashing and reusing its buffers. `remap` must contain only
    /// [`ABSENT`], and does again on return.
    pub(crate) fn rebuild_from_token_ids(&mut self, a: &[u32], b: &[u32], remap: &mut [u32]) {
        let mut distinct = 0;
        self.b.clear();
        self.b.extend(b.iter().map(|&token| {
            let local = &mut remap[token as usize];
            if *local == ABSENT {
                *local = distinct;
                distinct += 1;
            }
            *local
        }));
        self.a.clear();
        self.a.extend(a.iter().map(|&token| remap[token as usize]));
        for &token in b {
            remap[token as usize] = ABSENT;
        }
        self.index(distinct as usize);
    }

    fn from_local_ids(a: Vec<u32>, b: Vec<u32>, distinct: usize) -> Self {
        let mut matcher = SequenceMatcher {
            a,
            b,
            ..SequenceMatcher::default()
        };
        matcher.index(distinct);
        matcher
    }

    /// Builds `b2j` and the chained cells from the local ids `a` and `b`, of
    /// which `b` has `distinct` different ones.
    fn index(&mut self, distinct: usize) {
        index_positions(&self.b, distinct, &mut self.b2j_starts, &mut self.b2j_positions);
        chained_cells(
            &self.a,
            &self.b,
            &self.b2j_starts,
            &self.b2j_positions,
            &mut self.chained_cells,
        );
    }

    /// Returns the positions in `b` of local id `id`: none when it is popular.
    fn positions(&self, id: u32) -> &[u32] {
        let id = id as usize;
        &self.b2j_positions[self.b2j_starts[id] as usize..self.b2j_starts[id + 1] as usize]
    }

    /// Returns the first pair of difflib's visiting order in the range, as a
    /// block of size 1, or a block of size 0 at `(alo, blo)` when there is none.
    fn first_pair(&self, alo: usize, ahi: usize, blo: usize, bhi: usize) -> Match {
        for (i, &id) in self.a.iter().enumerate().take(ahi).skip(alo) {
            if id == ABSENT {
                continue;
            }
            let positions = self.positions(id);
            let first_in_range = positions.partition_point(|&j| (j as usize) < blo);
            if let Some(&j) = positions.get(first_in_range) {
                if (j as usize) < bhi {
                    return Match {
                        a: i,
                        b: j as usize,
                        size: 1,
                    };
                }
            }
        }
        Match {
            a: alo,
            b: blo,
            size: 0,
        }
    }

    /// Finds the longest matching block in `a[alo..ahi]` and `b[blo..bhi]`, as
    /// difflib's `find_longest_match`. Returns a block of size 0 at `(alo, blo)`
    /// when nothing matches.
    ///
    /// The ranges must lie within `a` and `b`.
    pub fn find_longest_match(&self, alo: usize, ahi: usize, blo: usize, bhi: usize) -> Match {
        // A pair's run inside the range is at most its whole run. When a
        // chained cell reaches size 2, no pair of a run of 1 can reach or tie
        // the best size, and `chained_cells` keeps difflib's visiting order, so
        // its first cell of the best size is difflib's. Otherwise no pair
        // reaches size 2, and difflib keeps the first pair it visits.
        let mut best = first_longest(&self.chained_cells, alo, ahi, blo, bhi);
        if best.size < 2 {
            best = self.first_pair(alo, ahi, blo, bhi);
        }
        let Match {
            a: mut best_a,
            b: mut best_b,
            size: mut best_size,
        } = best;

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

/// Returns the block of the first cell of `cells` in `a[alo..ahi]` and
/// `b[blo..bhi]` whose run inside the range is the longest, or a block of size
/// 0 at `(alo, blo)` when no cell lies in the range.
///
/// difflib extends a run of pairs row by row from `alo` and `blo`, so the run
/// ending at a pair, seen from inside the range, is the pair's whole diagonal
/// run cut at row `alo` and column `blo`. Visiting the pairs in difflib's order
/// and keeping the first longest gives its block.
fn first_longest(cells: &[Cell], alo: usize, ahi: usize, blo: usize, bhi: usize) -> Match {
    let mut best = Match {
        a: alo,
        b: blo,
        size: 0,
    };
    let first = cells.partition_point(|cell| (cell.i as usize) < alo);
    let end = first + cells[first..].partition_point(|cell| (cell.i as usize) < ahi);
    // `j - blo < bhi - blo` in unsigned arithmetic is `blo <= j < bhi`.
    let width = bhi.wrapping_sub(blo);
    for cell in &cells[first..end] {
        let (i, j) = (cell.i as usize, cell.j as usize);
        if j.wrapping_sub(blo) >= width {
            continue;
        }
        let size = (cell.run as usize).min(i + 1 - alo).min(j + 1 - blo);
        if size > best.size {
            best = Match {
                a: i + 1 - size,
                b: j + 1 - size,
                size,
            };
        }
    }
    best
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

/// Builds difflib's `b2j` with popular ids removed into `starts`, the start of
/// each id's positions (one extra entry at the end), and `positions`, the
/// positions themselves.
fn index_positions(b: &[u32], distinct: usize, starts: &mut Vec<u32>, positions: &mut Vec<u32>) {
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
    starts.clear();
    let mut total = 0u32;
    for &count in &counts {
        starts.push(total);
        total += count;
    }
    starts.push(total);

    // `counts` becomes the next free slot of each id that is kept.
    for (count, &start) in counts.iter_mut().zip(starts.iter()) {
        *count = if *count > 0 { start } else { ABSENT };
    }
    positions.clear();
    positions.resize(total as usize, 0);
    for (j, &id) in b.iter().enumerate() {
        let slot = &mut counts[id as usize];
        if *slot != ABSENT {
            positions[*slot as usize] = j as u32;
            *slot += 1;
        }
    }
}

/// Lists into `cells` the pairs `a[i] == b[j]`, with `j` in the positions of
/// `a[i]`, that continue a run: `(i - 1, j - 1)` is such a pair too. They come
/// in order, with the length of the diagonal run that each one ends.
fn chained_cells(a: &[u32], b: &[u32], b2j_starts: &[u32], b2j_positions: &[u32], cells: &mut Vec<Cell>) {
    let positions_of = |id: u32| &b2j_positions[b2j_starts[id as usize] as usize..b2j_starts[id as usize + 1] as usize];
    cells.clear();
    // The chained cells of row `i - 1`.
    let mut row_above = 0..0;
    for i in 1..a.len() {
        let (id, id_above) = (a[i], a[i - 1]);
        let row_start = cells.len();
        // The pair above-left exists when `b[j - 1]` is the token of row
        // `i - 1` and that token is not popular.
        if id != ABSENT && id_above != ABSENT && !positions_of(id_above).is_empty() {
            let mut above = row_above.clone();
            for &j in positions_of(id) {
                if j == 0 || b[j as usize - 1] != id_above {
                    continue;
                }
                // Both rows are sorted by `j`, so the chained cell at `j - 1`
                // above, if any, is found by moving forward. Without one, the
                // pair above-left is a run of 1.
                while above.start < above.end && cells[above.start].j + 1 < j {
                    above.start += 1;
                }
                let run = match cells.get(above.start) {
                    Some(cell) if above.start < above.end && cell.j + 1 == j => cell.run + 1,
                    _ => 2,
                };
                cells.push(Cell { i: i as u32, j, run });
            }
        }
        row_above = row_start..cells.len();
    }
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
    use proptest::prelude::*;

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

    /// difflib's `find_longest_match` as CPython writes it: the `j2len` table
    /// rebuilt row by row, without the precomputed runs.
    fn reference_longest_match(a: &[u8], b: &[u8], alo: usize, ahi: usize, blo: usize, bhi: usize) -> Match {
        let mut b2j: std::collections::HashMap<u8, Vec<usize>> = std::collections::HashMap::new();
        for (j, &token) in b.iter().enumerate() {
            b2j.entry(token).or_default().push(j);
        }
        if b.len() >= AUTOJUNK_MIN_LEN {
            b2j.retain(|_, positions| positions.len() <= b.len() / 100 + 1);
        }
        let (mut best_a, mut best_b, mut best_size) = (alo, blo, 0);
        let mut j2len: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
        for (i, token) in a.iter().enumerate().take(ahi).skip(alo) {
            let mut next_j2len = std::collections::HashMap::new();
            for &j in b2j.get(token).map_or(&[][..], Vec::as_slice) {
                if j < blo {
                    continue;
                }
                if j >= bhi {
                    break;
                }
                let k = j.checked_sub(1).and_then(|left| j2len.get(&left)).copied().unwrap_or(0) + 1;
                next_j2len.insert(j, k);
                if k > best_size {
                    (best_a, best_b, best_size) = (i + 1 - k, j + 1 - k, k);
                }
            }
            j2len = next_j2len;
        }
        while best_a > alo && best_b > blo && a[best_a - 1] == b[best_b - 1] {
            (best_a, best_b, best_size) = (best_a - 1, best_b - 1, best_size + 1);
        }
        while best_a + best_size < ahi && best_b + best_size < bhi && a[best_a + best_size] == b[best_b + best_size] {
            best_size += 1;
        }
        Match {
            a: best_a,
            b: best_b,
            size: best_size,
        }
    }

    /// Sequences over a small alphabet, so that tokens repeat, and long
    /// enough for `b` to reach the auto-junk length.
    fn sequence(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
        (1u8..8).prop_flat_map(move |alphabet| proptest::collection::vec(0..alphabet, 0..max_len))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn longest_match_equals_reference(
            a in sequence(120),
            b in sequence(320),
            bounds in proptest::array::uniform4(0.0f64..=1.0),
        ) {
            let matcher = SequenceMatcher::new(&a, &b);
            let cut = |fraction: f64, len: usize| (fraction * len as f64) as usize;
            let (alo, ahi) = (cut(bounds[0].min(bounds[1]), a.len()), cut(bounds[0].max(bounds[1]), a.len()));
            let (blo, bhi) = (cut(bounds[2].min(bounds[3]), b.len()), cut(bounds[2].max(bounds[3]), b.len()));
            prop_assert_eq!(
                matcher.find_longest_match(alo, ahi, blo, bhi),
                reference_longest_match(&a, &b, alo, ahi, blo, bhi)
            );
            prop_assert_eq!(
                matcher.find_longest_match(0, a.len(), 0, b.len()),
                reference_longest_match(&a, &b, 0, a.len(), 0, b.len())
            );
        }
    }

    #[test]
    fn ratio_of_empty_is_one() {
        let empty: [u8; 0] = [];
        assert_eq!(SequenceMatcher::new(&empty, &empty).ratio(), 1.0);
    }
}
