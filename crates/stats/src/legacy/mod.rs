//! The old tool's public outputs, rebuilt from the stored counts: the
//! `statistics.php` table and the on-wiki template values.

mod load;
mod query;
mod table;
mod templates;

pub use load::load_table;
pub use query::{InvalidQuery, LegacyQuery, DIFF_DAYS, MAX_DAYS_AGO};
pub use table::{render_page, render_table, LegacyFigures, LegacyTable};
pub use templates::{group_thousands, percent_with_scans, template_values, thousands_separator, TEMPLATE_WIKIS};

use chrono::NaiveDate;
use sqlx::PgPool;

use crate::error::StatsError;

/// Renders the `statistics.php` page for a checked query.
pub async fn statistics_page(pool: &PgPool, query: LegacyQuery, today: NaiveDate) -> Result<String, StatsError> {
    let table = load_table(pool, query, today).await?;
    Ok(render_page(&table))
}
