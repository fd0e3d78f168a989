//! The jobs `match`, `split`, `extract_text_layer` and `verify_match`.
//!
//! Every job reads and writes through the bot account ([`WikiBots`]) and saves each
//! page against the revision it read, so an edit made in between is never
//! overwritten. Match and split run only for the user who made the latest revision
//! of the main page, because the bot edits in that user's name.

mod extract;
mod match_text;
mod shared;
mod split;
mod verify;

use std::sync::Arc;

use phetools_queue::Registry;
use phetools_textlayer::{TextLayerHandler, TextLayerStore};
use phetools_wiki::{WikiBots, WikiClient};

pub use crate::request::{PageRequest, EXTRACT_KIND, JOB_PRIORITY, MATCH_KIND, SPLIT_KIND, VERIFY_KIND};
pub use shared::EditHook;

use crate::verify::VerifyConfig;

/// The handlers of the four jobs, with the bots, text layers and verify rules they share.
pub struct MatchSplitJobs {
    shared: Arc<shared::Shared>,
}

impl MatchSplitJobs {
    pub fn new(
        bots: Arc<WikiBots>,
        client: Arc<WikiClient>,
        text_layers: TextLayerHandler,
        store: TextLayerStore,
        verify_rules: VerifyConfig,
    ) -> Self {
        MatchSplitJobs {
            shared: Arc::new(shared::Shared {
                bots,
                client,
                text_layers,
                store,
                verify_rules,
                edit_hook: None,
            }),
        }
    }

    /// Calls `hook` before every save, for tests that edit a page between a job's
    /// read and its save.
    pub fn with_edit_hook(self, hook: Arc<dyn EditHook>) -> Self {
        let shared = Arc::into_inner(self.shared).expect("the hook is set before the handlers are made");
        MatchSplitJobs {
            shared: Arc::new(shared::Shared {
                edit_hook: Some(hook),
                ..shared
            }),
        }
    }

    /// Registers the four handlers.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(MATCH_KIND, match_text::MatchHandler(self.shared.clone()));
        registry.register(SPLIT_KIND, split::SplitHandler(self.shared.clone()));
        registry.register(EXTRACT_KIND, extract::ExtractHandler(self.shared.clone()));
        registry.register(VERIFY_KIND, verify::VerifyHandler(self.shared.clone()));
    }
}
