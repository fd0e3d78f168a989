//! One Action API request of a logged-in session, and the decoding of the
//! response into a value or a typed [`WikiError`].
//!
//! Every request carries `format=json`, `formatversion=2`,
//! `errorformat=plaintext` and `maxlag`; writes also carry `assert`. The
//! decoding accepts both the plaintext error format (`errors: [{code, text}]`)
//! and the legacy one (`error: {code, info}`).

use reqwest::header::{HeaderMap, AUTHORIZATION, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::Value;
use tracing::{debug, warn};

use crate::client::{error_chain, WikiError};
use crate::secret::Secret;

/// HTTP method of an API request: reads are GET, writes are POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
}

/// Sends Action API requests with the cookies of a session (shared with the
/// `mwapi` client that logged in) or an OAuth 2 bearer token.
#[derive(Clone)]
pub(crate) struct Transport {
    pub domain: String,
    pub api_url: String,
    pub http: reqwest::Client,
    pub bearer: Option<Secret>,
    pub maxlag_secs: i32,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Transport")
            .field("domain", &self.domain)
            .field("api_url", &self.api_url)
            .field("bearer", &self.bearer)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// Sends one request and decodes its response. No retry happens here.
    pub async fn send(&self, method: Method, params: &[(&str, &str)]) -> Result<Value, WikiError> {
        let maxlag = self.maxlag_secs.to_string();
        let mut form: Vec<(&str, &str)> = params.to_vec();
        form.extend([
            ("format", "json"),
            ("formatversion", "2"),
            ("errorformat", "plaintext"),
            ("maxlag", maxlag.as_str()),
        ]);
        let request = match method {
            Method::Get => self.http.get(&self.api_url).query(&form),
            Method::Post => self.http.post(&self.api_url).form(&form),
        };
        let request = match &self.bearer {
            Some(token) => request.header(AUTHORIZATION, bearer_header(token)?),
            None => request,
        };
        let action = params.iter().find(|(key, _)| *key == "action").map(|(_, value)| *value);
        debug!(domain = %self.domain, ?method, action, "API request");
        let response = request.send().await.map_err(|error| self.network(&error))?;
        let status = response.status();
        let retry_after = retry_after_secs(response.headers());
        let body = response.bytes().await.map_err(|error| self.network(&error))?;
        decode_response(&self.domain, status, retry_after, &body)
    }

    fn network(&self, error: &reqwest::Error) -> WikiError {
        WikiError::Network {
            domain: self.domain.clone(),
            message: error_chain(error),
        }
    }
}

fn bearer_header(token: &Secret) -> Result<reqwest::header::HeaderValue, WikiError> {
    let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
        WikiError::Credentials {
            reason: crate::messages::oauth_token_not_header_safe(),
        }
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Seconds of a `Retry-After` header given as a number. The HTTP-date form is
/// not used by MediaWiki nor by Wikimedia's edge, and counts as absent.
fn retry_after_secs(headers: &HeaderMap) -> Option<u64> {
    headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}

/// Decodes an Action API response: HTTP status, `Retry-After` and body.
pub(crate) fn decode_response(
    domain: &str,
    status: StatusCode,
    retry_after: Option<u64>,
    body: &[u8],
) -> Result<Value, WikiError> {
    let domain = domain.to_owned();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(WikiError::RateLimited {
            domain,
            retry_after_secs: retry_after.unwrap_or(1),
        });
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        return Err(WikiError::ServiceUnavailable {
            domain,
            retry_after_secs: retry_after,
        });
    }
    if !status.is_success() {
        return Err(WikiError::HttpStatus {
            domain,
            status: status.as_u16(),
        });
    }
    let value: Value = serde_json::from_slice(body).map_err(|error| WikiError::UnexpectedResponse {
        domain: domain.clone(),
        detail: format!("invalid JSON: {error}"),
    })?;
    log_warnings(&domain, &value);
    match first_error(&value) {
        Some(error) => Err(classify_error(domain, error, retry_after)),
        None => Ok(value),
    }
}

/// An error of a response body in either error format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiErrorBody {
    pub code: String,
    pub text: String,
    pub data: Value,
}

fn first_error(value: &Value) -> Option<ApiErrorBody> {
    if let Some(error) = value.get("errors").and_then(|errors| errors.get(0)) {
        return Some(ApiErrorBody {
            code: error["code"].as_str().unwrap_or("unknown").to_owned(),
            text: error["text"].as_str().unwrap_or_default().to_owned(),
            data: error.get("data").cloned().unwrap_or(Value::Null),
        });
    }
    let error = value.get("error")?;
    Some(ApiErrorBody {
        code: error["code"].as_str().unwrap_or("unknown").to_owned(),
        text: error["info"].as_str().unwrap_or_default().to_owned(),
        data: error.clone(),
    })
}

fn classify_error(domain: String, error: ApiErrorBody, retry_after: Option<u64>) -> WikiError {
    match error.code.as_str() {
        "maxlag" => WikiError::Lagged {
            domain,
            info: error.text,
            retry_after_secs: retry_after.unwrap_or(5),
        },
        "readonly" => {
            let reason = error.data["readonlyreason"].as_str().map(str::trim);
            WikiError::ReadOnly {
                domain,
                info: reason
                    .filter(|reason| !reason.is_empty())
                    .unwrap_or(&error.text)
                    .to_owned(),
                retry_after_secs: retry_after.unwrap_or(1),
            }
        }
        "ratelimited" => WikiError::ActionThrottled {
            domain,
            text: error.text,
        },
        "badtoken" => WikiError::BadToken { domain },
        "assertuserfailed" | "assertbotfailed" | "assertnameduserfailed" => WikiError::AssertFailed {
            domain,
            code: error.code,
            text: error.text,
        },
        _ => WikiError::Api {
            domain,
            code: error.code,
            text: error.text,
        },
    }
}

fn log_warnings(domain: &str, value: &Value) {
    let Some(warnings) = value.get("warnings").and_then(Value::as_array) else {
        return;
    };
    for warning in warnings {
        warn!(
            domain,
            code = warning["code"].as_str().unwrap_or_default(),
            module = warning["module"].as_str().unwrap_or_default(),
            text = warning["text"].as_str().unwrap_or_default(),
            "API warning"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN: &str = "en.wikisource.org";

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/api-responses/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    fn decode(name: &str, retry_after: Option<u64>) -> Result<Value, WikiError> {
        decode_response(DOMAIN, StatusCode::OK, retry_after, &fixture(name))
    }

    #[test]
    fn maxlag_decoded_with_retry_after() {
        let error = decode("edit-maxlag.json", Some(5)).unwrap_err();
        let WikiError::Lagged {
            info, retry_after_secs, ..
        } = &error
        else {
            panic!("expected Lagged, got {error:?}");
        };
        assert!(info.starts_with("Waiting for a database server"), "{info}");
        assert_eq!(*retry_after_secs, 5);
        assert!(error.is_retryable());
    }

    #[test]
    fn legacy_maxlag_decoded() {
        let error = decode("edit-maxlag.legacy-format.json", Some(5)).unwrap_err();
        assert!(matches!(error, WikiError::Lagged { .. }), "{error:?}");
    }

    #[test]
    fn readonly_carries_reason() {
        let error = decode("edit-readonly.json", None).unwrap_err();
        let WikiError::ReadOnly { info, .. } = &error else {
            panic!("expected ReadOnly, got {error:?}");
        };
        assert_eq!(info, "Test wiki is read-only for a test");
        assert!(error.is_retryable());
    }

    #[test]
    fn ratelimited_is_action_throttled() {
        let error = decode("edit-ratelimited.json", None).unwrap_err();
        assert!(matches!(error, WikiError::ActionThrottled { .. }), "{error:?}");
        assert!(error.is_retryable());
    }

    #[test]
    fn badtoken_decoded() {
        let error = decode("edit-badtoken.json", None).unwrap_err();
        assert!(matches!(error, WikiError::BadToken { .. }), "{error:?}");
        assert!(!error.is_retryable());
    }

    #[test]
    fn assert_failures_decoded() {
        for name in ["edit-assertbotfailed.json", "edit-assertuserfailed.json"] {
            let error = decode(name, None).unwrap_err();
            assert!(matches!(error, WikiError::AssertFailed { .. }), "{name}: {error:?}");
        }
    }

    #[test]
    fn other_codes_keep_code_and_text() {
        for (name, code) in [
            ("edit-editconflict.json", "editconflict"),
            ("edit-articleexists.json", "articleexists"),
            ("edit-missingtitle.json", "missingtitle"),
        ] {
            let error = decode(name, None).unwrap_err();
            let WikiError::Api { code: actual, text, .. } = &error else {
                panic!("{name}: expected Api, got {error:?}");
            };
            assert_eq!(actual, code);
            assert!(!text.is_empty(), "{name}");
        }
    }

    #[test]
    fn success_and_nochange_pass_through() {
        for name in ["edit-update-success.json", "edit-nochange.json"] {
            let value = decode(name, None).unwrap();
            assert_eq!(value["edit"]["result"], "Success", "{name}");
        }
    }

    #[test]
    fn http_429_and_503_carry_retry_after() {
        let error = decode_response(DOMAIN, StatusCode::TOO_MANY_REQUESTS, Some(60), b"Too many").unwrap_err();
        assert_eq!(error.retry_after_secs(), Some(60));
        assert!(matches!(error, WikiError::RateLimited { .. }));

        let error = decode_response(DOMAIN, StatusCode::SERVICE_UNAVAILABLE, Some(2), b"").unwrap_err();
        assert_eq!(error.retry_after_secs(), Some(2));
        assert!(error.is_retryable());

        let error = decode_response(DOMAIN, StatusCode::SERVICE_UNAVAILABLE, None, b"").unwrap_err();
        assert_eq!(error.retry_after_secs(), None);
    }

    #[test]
    fn html_body_is_unexpected() {
        let error = decode_response(DOMAIN, StatusCode::OK, None, b"<html>").unwrap_err();
        assert!(matches!(error, WikiError::UnexpectedResponse { .. }), "{error:?}");
    }

    #[test]
    fn retry_after_header_parsed() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after_secs(&headers), None);
        headers.insert(RETRY_AFTER, "5".parse().unwrap());
        assert_eq!(retry_after_secs(&headers), Some(5));
        headers.insert(RETRY_AFTER, "Wed, 21 Oct 2026 07:28:00 GMT".parse().unwrap());
        assert_eq!(retry_after_secs(&headers), None);
    }
}
