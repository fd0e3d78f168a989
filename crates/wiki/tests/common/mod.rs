//! Helpers shared by the integration tests that use the test wiki.

/// Returns the Action API URL of the test wiki, or `None` (after a message)
/// when PHETOOLS_TEST_WIKI_API is unset. Under CI an unset URL fails the test:
/// CI runs ops/test.sh, which always starts the wiki, so a skip there would
/// hide a broken set-up.
pub fn test_wiki_api() -> Option<String> {
    let Some(api) = std::env::var("PHETOOLS_TEST_WIKI_API")
        .ok()
        .filter(|api| !api.is_empty())
    else {
        eprintln!(
            "SKIPPED: PHETOOLS_TEST_WIKI_API is unset. Start the test wiki with \
             ops/mediawiki-test-wiki.sh (install, setup, start) and export the output of its `env` command."
        );
        assert!(
            std::env::var_os("CI").is_none(),
            "the test wiki is missing under CI; run the tests with ops/test.sh"
        );
        return None;
    };
    Some(api)
}
