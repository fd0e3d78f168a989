//! User-facing messages of the wiki client, in one place for translation.
//! Error types format their `Display` with these functions.

use std::path::Path;

pub(crate) fn secret_file_unreadable(path: &Path, error: &std::io::Error) -> String {
    format!("cannot read the secret file {}: {error}", path.display())
}

pub(crate) fn secret_file_shared(path: &Path, mode: u32) -> String {
    format!(
        "the secret file {path} has mode {mode:o}, which lets other users read it; run: chmod 600 {path}",
        path = path.display()
    )
}

pub(crate) fn secret_file_empty(path: &Path) -> String {
    format!("the secret file {} is empty; write the secret into it", path.display())
}

pub(crate) fn credentials_conflict(first: &str, second: &str) -> String {
    format!("both {first} and {second} are set; set only one of them")
}

pub(crate) fn credentials_incomplete(present: &str, missing: &str) -> String {
    format!("{present} is set but {missing} is not; set both, or neither")
}

pub(crate) fn bot_user_without_app(user: &str) -> String {
    format!(
        "PHETOOLS_BOT_USER={user:?} is not a bot password login name; \
         use the name Special:BotPasswords shows, Account@appid"
    )
}

pub(crate) fn oauth_token_not_header_safe() -> String {
    "the OAuth 2 access token contains characters that cannot go into an HTTP header; \
     copy the token again from Special:OAuthConsumerRegistration"
        .to_owned()
}

pub(crate) fn no_credentials() -> String {
    "no bot credentials: set PHETOOLS_BOT_USER with PHETOOLS_BOT_PASSWORD (or _FILE), \
     or PHETOOLS_OAUTH_TOKEN (or _FILE)"
        .to_owned()
}

pub(crate) fn session_anonymous() -> String {
    "the wiki treats the session as logged out after the login; \
     check that the bot password or OAuth token is valid for this wiki"
        .to_owned()
}

pub(crate) fn credentials_unusable(reason: &str) -> String {
    format!("cannot log in: {reason}")
}

pub(crate) fn invalid_setting(setting: &str, reason: &str) -> String {
    format!("invalid setting {setting}: {reason}")
}

pub(crate) fn edits_per_minute_zero() -> String {
    "0 would stop every edit; set at least 1".to_owned()
}

pub(crate) fn service_unavailable(domain: &str, retry_after_secs: Option<u64>) -> String {
    match retry_after_secs {
        Some(secs) => format!("the API of {domain} answered HTTP 503 Service Unavailable; retry after {secs} s"),
        None => format!("the API of {domain} answered HTTP 503 Service Unavailable; retry later"),
    }
}

pub(crate) fn action_throttled(domain: &str, text: &str) -> String {
    format!("{domain} rate-limited the account (ratelimited): {text}")
}

pub(crate) fn bad_token(domain: &str) -> String {
    format!("{domain} rejected the CSRF token (badtoken) again after a fresh token was fetched")
}

pub(crate) fn assert_failed(domain: &str, code: &str, text: &str) -> String {
    match code {
        "assertbotfailed" => format!(
            "{domain} rejected the edit because the session lacks the bot right ({code}): {text}; \
             check that the account is in group bot and that the bot password grants high-volume editing"
        ),
        _ => format!("{domain} rejected the edit because the session is not logged in ({code}): {text}"),
    }
}

pub(crate) fn login_failed(domain: &str, user: &str, code: &str, text: &str) -> String {
    if user.is_empty() {
        format!("login on {domain} failed ({code}): {text}")
    } else {
        format!(
            "login of {user} on {domain} failed ({code}): {text}; \
             check PHETOOLS_BOT_USER and the bot password on Special:BotPasswords"
        )
    }
}

pub(crate) fn invalid_title(domain: &str, title: &str, reason: &str) -> String {
    format!("invalid title {title:?} on {domain}: {reason}")
}

pub(crate) fn site_data_loaded() -> &'static str {
    "site data loaded"
}

pub(crate) fn edit_conflict(domain: &str, title: &str, base_revid: Option<u64>) -> String {
    match base_revid {
        Some(revid) => format!(
            "edit conflict on {domain}: [[{title}]] changed after revision {revid} was read; \
             nothing was saved. Read the page again and redo the change"
        ),
        None => format!(
            "edit conflict on {domain}: [[{title}]] changed after it was read; \
             nothing was saved. Read the page again and redo the change"
        ),
    }
}

pub(crate) fn page_created_meanwhile(domain: &str, title: &str) -> String {
    format!("[[{title}]] on {domain} exists, but the edit was meant to create it; nothing was saved")
}

pub(crate) fn page_missing(domain: &str, title: &str) -> String {
    format!("[[{title}]] on {domain} does not exist (any more); nothing was saved")
}

pub(crate) fn bots_excluded(domain: &str, title: &str, user: &str) -> String {
    format!("[[{title}]] on {domain} excludes the bot {user} with {{{{bots}}}} or {{{{nobots}}}}; nothing was saved")
}

pub(crate) fn edit_rejected(domain: &str, title: &str, code: &str, text: &str) -> String {
    format!("{domain} rejected the edit of [[{title}]] ({code}): {text}")
}
