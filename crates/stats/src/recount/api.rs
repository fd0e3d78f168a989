//! Action API access of a recount: the request source, pacing, the request
//! budget and query continuation.

use std::num::NonZeroU32;

use async_trait::async_trait;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use phetools_wiki::{Bot, WikiError};
use serde_json::{Map, Value};
use tracing::debug;

/// A source of Action API read responses (`formatversion=2`) for one wiki.
#[async_trait]
pub trait RecountApi: Send + Sync {
    /// Sends one read request and returns the JSON body.
    async fn query(&self, params: &[(&str, &str)]) -> Result<Value, WikiError>;
}

#[async_trait]
impl RecountApi for Bot {
    async fn query(&self, params: &[(&str, &str)]) -> Result<Value, WikiError> {
        Bot::query(self, params).await
    }
}

/// Turns a `continue` object into request parameters; numbers become their decimal text.
fn continuation_params(next: &Map<String, Value>) -> Vec<(String, String)> {
    next.iter()
        .map(|(key, value)| {
            let text = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (key.clone(), text)
        })
        .collect()
}

/// Reason a paged read stopped before its end.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The next request would exceed the budget.
    OverBudget,
    Api(WikiError),
    /// The response lacks a field the recount needs.
    Unexpected(String),
}

/// Sends the requests of one run: paced by a rate limiter, counted, and
/// stopped before the request that would exceed the budget.
pub(crate) struct Pager<'a> {
    api: &'a dyn RecountApi,
    limiter: DefaultDirectRateLimiter,
    pub requests: u32,
    pub budget: u32,
}

impl<'a> Pager<'a> {
    pub fn new(api: &'a dyn RecountApi, requests_per_second: NonZeroU32, budget: u32) -> Self {
        Pager {
            api,
            limiter: RateLimiter::direct(Quota::per_second(requests_per_second).allow_burst(NonZeroU32::MIN)),
            requests: 0,
            budget,
        }
    }

    /// Sends one request, after the limiter lets it go, unless the budget is spent.
    pub async fn request(&mut self, params: &[(&str, &str)]) -> Result<Value, Stop> {
        if self.requests >= self.budget {
            return Err(Stop::OverBudget);
        }
        self.limiter.until_ready().await;
        self.requests += 1;
        debug!(requests = self.requests, budget = self.budget, "recount request");
        self.api.query(params).await.map_err(Stop::Api)
    }

    /// Sends `params` and its continuations (the `continue` object of each
    /// response) until the result is complete, and hands every response to
    /// `each` in order.
    pub async fn each_response(
        &mut self,
        params: &[(&str, &str)],
        mut each: impl FnMut(&Value) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        // The first request sends an empty `continue`, which selects the
        // continuation format that MediaWiki 1.26 and later return.
        let mut continuation: Vec<(String, String)> = vec![("continue".to_owned(), String::new())];
        loop {
            let mut request: Vec<(&str, &str)> = params.to_vec();
            request.extend(continuation.iter().map(|(key, value)| (key.as_str(), value.as_str())));
            let response = self.request(&request).await?;
            each(&response)?;
            match response.get("continue").and_then(Value::as_object) {
                Some(next) => continuation = continuation_params(next),
                None => return Ok(()),
            }
        }
    }
}
