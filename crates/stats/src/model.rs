//! Values shared by the modules: quality levels, namespaces and per-wiki counts.

use std::fmt;
use std::ops::{AddAssign, Sub};

use serde::Serialize;

use crate::error::StatsError;
use crate::messages;

/// A ProofreadPage quality level: 0 without text, 1 not proofread,
/// 2 problematic, 3 proofread, 4 validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Level(u8);

impl Level {
    pub const WITHOUT_TEXT: Level = Level(0);
    pub const NOT_PROOFREAD: Level = Level(1);
    pub const PROBLEMATIC: Level = Level(2);
    pub const PROOFREAD: Level = Level(3);
    pub const VALIDATED: Level = Level(4);

    /// Checks that `value` is a level from 0 to 4.
    pub fn new(value: i64) -> Result<Level, StatsError> {
        match u8::try_from(value) {
            Ok(level @ 0..=4) => Ok(Level(level)),
            _ => Err(StatsError::InvalidLevel(messages::invalid_level(value))),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The namespaces the statistics count: the wiki's Page namespace, the main
/// namespace, and every other namespace as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Namespace {
    Page,
    Main,
    Other,
}

impl Namespace {
    /// Returns the value stored in `stats_page.namespace`.
    pub fn as_str(self) -> &'static str {
        match self {
            Namespace::Page => "page",
            Namespace::Main => "main",
            Namespace::Other => "other",
        }
    }

    pub(crate) fn from_column(value: &str) -> Result<Namespace, StatsError> {
        match value {
            "page" => Ok(Namespace::Page),
            "main" => Ok(Namespace::Main),
            "other" => Ok(Namespace::Other),
            _ => Err(StatsError::Corrupt(messages::unknown_namespace_column(value))),
        }
    }
}

/// Counts of one wiki, or differences between two such counts.
///
/// Page-namespace figures count non-redirect pages; `q1` counts pages at level 1
/// only, and `no_level` the pages without a level. Main-namespace figures count
/// non-redirect pages of namespace 0; `expected_without_scans` counts those of
/// them that neither transclude scans nor are disambiguation pages but carry
/// `__EXPECTWITHOUTSCANS__`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub pages: i64,
    /// Pages per quality level, index = level.
    pub levels: [i64; 5],
    pub no_level: i64,
    pub texts: i64,
    pub with_scans: i64,
    pub disambiguation: i64,
    pub expected_without_scans: i64,
}

impl Counts {
    /// Texts neither transcluding scans nor marked as disambiguation pages.
    pub fn naked(&self) -> i64 {
        self.texts - self.with_scans - self.disambiguation
    }

    /// Returns the old tool's q1: every Page: page not counted at level 0, 2, 3 or 4.
    pub fn legacy_q1(&self) -> i64 {
        self.pages - self.levels[0] - self.levels[2] - self.levels[3] - self.levels[4]
    }

    pub fn is_zero(&self) -> bool {
        *self == Counts::default()
    }
}

/// The count columns of `stats_wiki_count`: pages, q0 to q4, no_level,
/// texts, with_scans, disambiguation, expected_without_scans.
pub(crate) type CountColumns = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);

impl From<CountColumns> for Counts {
    fn from(columns: CountColumns) -> Counts {
        let (pages, q0, q1, q2, q3, q4, no_level, texts, with_scans, disambiguation, expected_without_scans) = columns;
        Counts {
            pages,
            levels: [q0, q1, q2, q3, q4],
            no_level,
            texts,
            with_scans,
            disambiguation,
            expected_without_scans,
        }
    }
}

impl AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.pages += other.pages;
        for (level, count) in self.levels.iter_mut().enumerate() {
            *count += other.levels[level];
        }
        self.no_level += other.no_level;
        self.texts += other.texts;
        self.with_scans += other.with_scans;
        self.disambiguation += other.disambiguation;
        self.expected_without_scans += other.expected_without_scans;
    }
}

impl Sub for Counts {
    type Output = Counts;

    fn sub(self, other: Counts) -> Counts {
        let mut levels = self.levels;
        for (level, count) in levels.iter_mut().enumerate() {
            *count -= other.levels[level];
        }
        Counts {
            pages: self.pages - other.pages,
            levels,
            no_level: self.no_level - other.no_level,
            texts: self.texts - other.texts,
            with_scans: self.with_scans - other.with_scans,
            disambiguation: self.disambiguation - other.disambiguation,
            expected_without_scans: self.expected_without_scans - other.expected_without_scans,
        }
    }
}
