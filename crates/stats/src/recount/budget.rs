//! The request budget of a full recount, stated before the run and enforced by [`super::api::Pager`].
//!
//! With `S` = `siteinfo.statistics.pages` (every page of the wiki, all
//! namespaces, redirects included, so at least the pages of either namespace
//! a recount enumerates) and `L` = the list limit of the account (5,000 with
//! `apihighlimits`, 500 otherwise):
//!
//! ```text
//! budget = 6 · ceil(S / L) + 4
//! ```
//!
//! * 1 request reads `S`, the rights and the quality categories' counts;
//! * the Page-namespace pass sends `ceil(P / L)` generator batches, plus at
//!   most one `clcontinue` per batch for pages in more than one quality
//!   category: at most `2 · ceil(S / L)`;
//! * the main-namespace pass sends `ceil(M / L)` batches and, for the template
//!   links into the Page namespace, `ceil(T_b / L)` requests per batch `b`,
//!   so at most `ceil(M / L) + ceil(T / L) + ceil(M / L)` requests, where `T`
//!   is every link from the main namespace into the Page namespace;
//! * `T ≤ 2 · S` is assumed (a Page: page is rarely transcluded by more than two
//!   texts), which bounds the main pass by `4 · ceil(S / L)`;
//! * 3 more requests cover the first batch of each pass on an empty namespace.
//!
//! NOTE: `T ≤ 2 · S` is an assumption, not a MediaWiki limit. A wiki that
//! transcludes its Page: pages more often ends its recount with
//! `over_budget`, and the budget formula then needs a larger factor.

/// Requests per `ceil(S / L)` that the budget allows.
pub const REQUESTS_PER_LIMIT: u32 = 6;
/// Requests the budget allows beyond the per-limit part.
pub const FIXED_REQUESTS: u32 = 4;
/// List limit of an account with the `apihighlimits` right.
pub const HIGH_LIST_LIMIT: u32 = 5_000;
/// List limit of other accounts.
pub const LIST_LIMIT: u32 = 500;

/// Returns the request budget of a full recount of a wiki of `site_pages`
/// pages read with list limit `list_limit`.
pub fn recount_budget(site_pages: u64, list_limit: u32) -> u32 {
    let batches = site_pages.div_ceil(u64::from(list_limit.max(1)));
    let budget = batches
        .saturating_mul(u64::from(REQUESTS_PER_LIMIT))
        .saturating_add(u64::from(FIXED_REQUESTS));
    u32::try_from(budget).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_follows_the_formula() {
        assert_eq!(recount_budget(0, HIGH_LIST_LIMIT), 4);
        assert_eq!(recount_budget(1, HIGH_LIST_LIMIT), 10);
        assert_eq!(recount_budget(5_000, HIGH_LIST_LIMIT), 10);
        assert_eq!(recount_budget(5_001, HIGH_LIST_LIMIT), 16);
        assert_eq!(recount_budget(50_000, HIGH_LIST_LIMIT), 64);
        assert_eq!(recount_budget(50_000, LIST_LIMIT), 604);
    }
}
