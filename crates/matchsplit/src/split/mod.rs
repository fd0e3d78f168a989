//! Split: the main page's text after each `==[[Page:<File>/<n>]]==` marker goes to
//! that Page, and the main page then transcludes the Pages with `<pages>` tags.

mod markers;
mod plan;
mod transclusion;

pub use markers::{parse_markers, FilePage, MarkedPage, MarkedText};
pub use plan::{plan_split, CurrentPage, PlannedEdit, ReferringPage, SplitInput, SplitPlan};
pub use transclusion::{add_section, transclusion_list, FIRST_SECTION, SECOND_SECTION};
