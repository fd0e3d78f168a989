//! Retries of edits that the wiki rejects for lag, read-only mode or rate
//! limits. The real test wiki cannot lag, so a fault-injecting proxy on
//! loopback answers the first edits with the error shapes MediaWiki 1.39 and
//! Wikimedia's edge send, then forwards to the test wiki.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use phetools_wiki::{Credentials, EditOutcome, Secret, WikiBots, WikiConfig};

const DOMAIN: &str = "en.wikisource.org";

/// A rejection the proxy sends instead of forwarding an edit.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// HTTP 200, `errors[0].code = maxlag`, `Retry-After`.
    Maxlag { retry_after_secs: u64 },
    /// HTTP 200, `errors[0].code = readonly`, no `Retry-After`.
    ReadOnly,
    /// HTTP 429 from the edge, `Retry-After`, a body that is not JSON.
    TooManyRequests { retry_after_secs: u64 },
    /// HTTP 503 from the edge, `Retry-After`.
    Unavailable { retry_after_secs: u64 },
}

impl Fault {
    fn response(self) -> Response<Body> {
        let fixture = |name: &str| {
            std::fs::read(format!(
                "{}/tests/fixtures/api-responses/{name}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap()
        };
        let builder = Response::builder();
        let (builder, body) = match self {
            Fault::Maxlag { retry_after_secs } => (
                builder
                    .header("Content-Type", "application/json; charset=utf-8")
                    .header("Retry-After", retry_after_secs.to_string())
                    .header("MediaWiki-API-Error", "maxlag"),
                fixture("edit-maxlag.json"),
            ),
            Fault::ReadOnly => (
                builder
                    .header("Content-Type", "application/json; charset=utf-8")
                    .header("MediaWiki-API-Error", "readonly"),
                fixture("edit-readonly.json"),
            ),
            Fault::TooManyRequests { retry_after_secs } => (
                builder
                    .status(StatusCode::TOO_MANY_REQUESTS)
                    .header("Retry-After", retry_after_secs.to_string()),
                b"Too many requests. Please retry later.".to_vec(),
            ),
            Fault::Unavailable { retry_after_secs } => (
                builder
                    .status(StatusCode::SERVICE_UNAVAILABLE)
                    .header("Retry-After", retry_after_secs.to_string()),
                b"Service Temporarily Unavailable".to_vec(),
            ),
        };
        builder.body(Body::from(body)).unwrap()
    }
}

struct Proxy {
    upstream: String,
    http: reqwest::Client,
    fault: Fault,
    faults_left: AtomicU32,
    /// Time of every edit request, and whether the proxy answered it with the fault.
    edit_attempts: Mutex<Vec<(Instant, bool)>>,
}

async fn proxy_request(
    State(proxy): State<Arc<Proxy>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let is_edit = method == Method::POST
        && url::form_urlencoded::parse(&body).any(|(key, value)| key == "action" && value == "edit");
    if is_edit {
        let took_fault = proxy
            .faults_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1))
            .is_ok();
        proxy.edit_attempts.lock().unwrap().push((Instant::now(), took_fault));
        if took_fault {
            return proxy.fault.response();
        }
    }
    forward(&proxy, method, uri, headers, body).await
}

async fn forward(proxy: &Proxy, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response<Body> {
    let query = uri.query().map(|query| format!("?{query}")).unwrap_or_default();
    let mut request = proxy
        .http
        .request(method, format!("{}{query}", proxy.upstream))
        .body(body);
    for name in ["cookie", "content-type", "user-agent"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value);
        }
    }
    let upstream = request.send().await.expect("the test wiki responds");
    let mut response = Response::builder().status(upstream.status());
    for (name, value) in upstream.headers() {
        if ["set-cookie", "content-type", "retry-after", "mediawiki-api-error"].contains(&name.as_str()) {
            response = response.header(name, value);
        }
    }
    response.body(Body::from(upstream.bytes().await.unwrap())).unwrap()
}

/// Starts the proxy in front of `upstream`; returns it with its API URL.
async fn start_proxy(upstream: &str, fault: Fault, faults: u32) -> (Arc<Proxy>, String) {
    let proxy = Arc::new(Proxy {
        upstream: upstream.to_owned(),
        http: reqwest::Client::new(),
        fault,
        faults_left: AtomicU32::new(faults),
        edit_attempts: Mutex::new(Vec::new()),
    });
    let app = axum::Router::new().fallback(proxy_request).with_state(proxy.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (proxy, format!("http://{address}/api.php"))
}

fn bot_credentials() -> Credentials {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is unset"));
    Credentials::BotPassword {
        user: var("PHETOOLS_TEST_WIKI_BOT_USER"),
        password: Secret::new(var("PHETOOLS_TEST_WIKI_BOT_PASSWORD")),
    }
}

/// Creates a page through a proxy that answers the first `faults` edits with
/// `fault`; returns the proxy and the time the edit took.
async fn edit_through_faults(upstream: &str, fault: Fault, faults: u32) -> (Arc<Proxy>, Duration) {
    let (proxy, api) = start_proxy(upstream, fault, faults).await;
    let config = WikiConfig {
        api_url_pattern: api,
        edits_per_minute: 6000,
        max_retries: 3,
        ..WikiConfig::default()
    };
    let bots = WikiBots::new(config, Some(bot_credentials())).unwrap();
    let bot = bots.bot(DOMAIN).unwrap();
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    let fault_name: String = format!("{fault:?}")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let title = bot
        .parse_title(&format!("Fault test {fault_name} {nanos}"))
        .await
        .unwrap();
    bot.identity().await.unwrap();

    let started = Instant::now();
    let outcome = bot
        .create_page(&title, "saved once after the faults", "phetools test")
        .await
        .unwrap_or_else(|error| panic!("{fault:?}: {error}"));
    let elapsed = started.elapsed();
    assert!(matches!(outcome, EditOutcome::Saved { .. }), "{outcome:?}");

    let current = bot.read_page(&title).await.unwrap();
    assert_eq!(current.revision.unwrap().text, "saved once after the faults");
    (proxy, elapsed)
}

impl Proxy {
    fn faulted_edits(&self) -> usize {
        self.edit_attempts
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, faulted)| *faulted)
            .count()
    }

    fn forwarded_edits(&self) -> usize {
        self.edit_attempts
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, faulted)| !*faulted)
            .count()
    }

    /// Asserts that every edit attempt after a fault came at least `min_gap` later.
    fn assert_retry_gaps_at_least(&self, min_gap: Duration) {
        let attempts = self.edit_attempts.lock().unwrap().clone();
        for pair in attempts.windows(2) {
            let gap = pair[1].0.duration_since(pair[0].0);
            assert!(
                gap >= min_gap,
                "a retry came {gap:?} after a fault; expected at least {min_gap:?}"
            );
        }
    }
}

#[tokio::test]
async fn maxlag_retried_after_retry_after() {
    let Some(upstream) = common::test_wiki_api() else {
        return;
    };
    let (proxy, elapsed) = edit_through_faults(&upstream, Fault::Maxlag { retry_after_secs: 2 }, 2).await;
    assert_eq!(proxy.faulted_edits(), 2);
    assert_eq!(proxy.forwarded_edits(), 1, "the edit landed once");
    proxy.assert_retry_gaps_at_least(Duration::from_secs(2));
    assert!(elapsed >= Duration::from_secs(4), "two waits of 2 s took {elapsed:?}");
}

#[tokio::test]
async fn readonly_retried_until_writable() {
    let Some(upstream) = common::test_wiki_api() else {
        return;
    };
    let (proxy, _) = edit_through_faults(&upstream, Fault::ReadOnly, 2).await;
    assert_eq!(proxy.faulted_edits(), 2);
    assert_eq!(proxy.forwarded_edits(), 1, "the edit landed once");
}

#[tokio::test]
async fn http_429_honours_retry_after() {
    let Some(upstream) = common::test_wiki_api() else {
        return;
    };
    let (proxy, elapsed) = edit_through_faults(&upstream, Fault::TooManyRequests { retry_after_secs: 2 }, 1).await;
    assert_eq!(proxy.faulted_edits(), 1);
    assert_eq!(proxy.forwarded_edits(), 1, "the edit landed once");
    proxy.assert_retry_gaps_at_least(Duration::from_secs(2));
    assert!(elapsed >= Duration::from_secs(2), "a wait of 2 s took {elapsed:?}");
}

#[tokio::test]
async fn http_503_honours_retry_after() {
    let Some(upstream) = common::test_wiki_api() else {
        return;
    };
    let (proxy, elapsed) = edit_through_faults(&upstream, Fault::Unavailable { retry_after_secs: 2 }, 1).await;
    assert_eq!(proxy.faulted_edits(), 1);
    assert_eq!(proxy.forwarded_edits(), 1, "the edit landed once");
    proxy.assert_retry_gaps_at_least(Duration::from_secs(2));
    assert!(elapsed >= Duration::from_secs(2), "a wait of 2 s took {elapsed:?}");
}

#[tokio::test]
async fn persistent_lag_fails_after_bounded_retries() {
    let Some(upstream) = common::test_wiki_api() else {
        return;
    };
    let (proxy, api) = start_proxy(&upstream, Fault::Maxlag { retry_after_secs: 1 }, u32::MAX).await;
    let config = WikiConfig {
        api_url_pattern: api,
        edits_per_minute: 6000,
        max_retries: 2,
        ..WikiConfig::default()
    };
    let bots = WikiBots::new(config, Some(bot_credentials())).unwrap();
    let bot = bots.bot(DOMAIN).unwrap();
    let title = bot.parse_title("Fault test persistent lag").await.unwrap();

    let error = bot
        .create_page(&title, "never saved", "phetools test")
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert!(error.to_string().contains("lagged"), "{error}");
    assert_eq!(proxy.faulted_edits(), 3, "one attempt and two retries");
    assert_eq!(proxy.forwarded_edits(), 0);
}
