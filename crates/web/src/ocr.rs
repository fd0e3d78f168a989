//! OCR endpoints: the old tool's `/ocr.php` and the JSON API `/api/v1/ocr`.
//!
//! Both validate the request, answer from the cache or wait for the `ocr` job up
//! to `ocr.request_wait_secs`, and are rate-limited per client address with a
//! 429 reply and `Retry-After`. The limit applies to `/ocr.php` too, although
//! that endpoint otherwise always replies with HTTP 200: a client over its limit
//! must learn when to come back, and the JSON body still carries error 1.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use phetools_ocr::service::{FailureStage, OcrOutcome, OcrReply, OcrRequest, ServiceError};
use phetools_ocr::{EnginePool, OcrService};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::html::escape;
use crate::legacy::{ErrorCode, LegacyEndpoint, LegacyReply, LegacyRequest};
use crate::{messages, AppError, AppState};

/// The old OCR daemon's name, sent in `ping` replies.
pub const OCR_ENDPOINT: LegacyEndpoint = LegacyEndpoint { name: "ws_ocr_daemon" };

/// State of the OCR routes besides the common state.
#[derive(Clone)]
pub struct OcrState {
    pub service: OcrService,
    /// The engine threads of this process, when it also runs workers.
    pub engines: Option<EnginePool>,
    pub limiter: Option<Arc<ClientLimiter>>,
}

/// A per-client-address rate limit.
pub struct ClientLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    trust_forwarded_for: bool,
}

impl ClientLimiter {
    /// Allows `per_minute` requests per minute after a burst of `burst`; `None` when `per_minute` is 0.
    pub fn new(per_minute: u32, burst: u32, trust_forwarded_for: bool) -> Option<ClientLimiter> {
        let per_minute = NonZeroU32::new(per_minute)?;
        let burst = NonZeroU32::new(burst.max(1)).expect("at least 1");
        Some(ClientLimiter {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
            trust_forwarded_for,
        })
    }

    /// Returns the wait before the client may send again, or `None` when it may now.
    fn check(&self, client: IpAddr) -> Option<Duration> {
        match self.limiter.check_key(&client) {
            Ok(()) => None,
            Err(not_until) => Some(not_until.wait_time_from(DefaultClock::default().now())),
        }
    }

    /// Returns the client address: the socket's peer, or the last `X-Forwarded-For`
    /// entry when the proxy in front is trusted to set it.
    fn client_address(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
        if self.trust_forwarded_for {
            let forwarded = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
                .next_back();
            if forwarded.is_some() {
                return forwarded;
            }
        }
        peer
    }
}

fn peer_address<B>(request: &Request<B>) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip())
}

/// Returns the 429 wait when the client is over its limit.
fn rate_limited(state: &OcrState, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<Duration> {
    let limiter = state.limiter.as_ref()?;
    let client = limiter.client_address(headers, peer)?;
    limiter.check(client)
}

fn too_many_requests(wait: Duration, body: Response) -> Response {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut response = body;
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response.headers_mut().insert(
        RETRY_AFTER,
        HeaderValue::from_str(&seconds.to_string()).expect("digits"),
    );
    response
}

fn ocr_state(state: &AppState) -> Result<&OcrState, AppError> {
    state
        .ocr
        .as_ref()
        .ok_or_else(|| AppError::ServiceUnavailable(messages::ocr_not_configured()))
}

/// `GET /ocr.php`: the old tool's OCR endpoint.
pub async fn ocr_php(State(state): State<AppState>, request: Request<axum::body::Body>) -> Response {
    let peer = peer_address(&request);
    let headers = request.headers().clone();
    let legacy = LegacyRequest::from_query(request.uri().query().unwrap_or(""));
    let ocr = state.ocr.clone();
    let status_state = state.clone();
    OCR_ENDPOINT
        .handle(
            &state.pool,
            legacy,
            || legacy_status_page(status_state),
            |legacy| async move {
                if legacy.command() != "ocr" {
                    return None;
                }
                let Some(ocr) = ocr else {
                    return Some(
                        LegacyReply::with_code(ErrorCode::Unavailable, messages::legacy_not_running(OCR_ENDPOINT.name))
                            .into_response(),
                    );
                };
                if let Some(wait) = rate_limited(&ocr, &headers, peer) {
                    let body = LegacyReply::failed(messages::rate_limited(wait)).into_response();
                    return Some(too_many_requests(wait, body));
                }
                Some(legacy_ocr(&ocr.service, &legacy).await.into_response())
            },
        )
        .await
}

async fn legacy_ocr(service: &OcrService, legacy: &LegacyRequest) -> LegacyReply {
    let url = match legacy.url_or_title("url") {
        Ok(url) => url.unwrap_or_default(),
        Err(message) => return LegacyReply::failed(message),
    };
    let request = OcrRequest {
        url,
        lang: legacy.get("lang").unwrap_or_default().to_owned(),
        psm: None,
        crop: None,
        user: legacy.get("user").unwrap_or_default().to_owned(),
    };
    match service.submit(&request).await {
        Ok(reply) => legacy_reply(reply),
        Err(ServiceError::Invalid(message)) => LegacyReply::failed(message),
        Err(error) => {
            tracing::error!(error = %error, url = %request.url, "OCR request failed");
            LegacyReply::failed(messages::internal_error())
        }
    }
}

fn legacy_reply(reply: OcrReply) -> LegacyReply {
    match reply.outcome {
        OcrOutcome::Done { text, .. } => LegacyReply::ok(text),
        OcrOutcome::Pending { job_id } => LegacyReply::failed(messages::ocr_still_running(job_id)),
        OcrOutcome::Failed { stage, message, .. } => {
            let code = match stage {
                FailureStage::Download => ErrorCode::Unavailable,
                FailureStage::Recognition => ErrorCode::OcrFailed,
                FailureStage::Other => ErrorCode::Failed,
            };
            LegacyReply::with_code(code, message)
        }
    }
}

/// Renders the HTML page of `/ocr.php?cmd=status`: the OCR jobs queued and running.
async fn legacy_status_page(state: AppState) -> Result<String, AppError> {
    let jobs = state
        .queue
        .active_jobs(&[phetools_ocr::JOB_KIND], 100)
        .await
        .map_err(|error| AppError::Internal(anyhow::Error::new(error).context("list OCR jobs")))?;
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>OCR service</title>\n</head>\n<body>\n\
         <h1>OCR service</h1>\n<p>The OCR robot is running. {} job(s) queued or running.</p>\n<p>",
        jobs.len()
    );
    for job in &jobs {
        let field = |name: &str| job.payload.get(name).and_then(Value::as_str).unwrap_or("").to_owned();
        page.push_str(&format!(
            "[{}] {} {} {} ({})<br>\n",
            job.created_at.format("%d/%m/%Y:%H:%M:%S"),
            escape(&field("user")),
            escape(&field("languages")),
            escape(&field("url")),
            job.state,
        ));
    }
    page.push_str("</p>\n</body>\n</html>\n");
    Ok(page)
}

/// Parameters of `/api/v1/ocr`, named as Wikimedia OCR names them.
#[derive(Debug, Default, Deserialize)]
pub struct ApiOcrParameters {
    /// Image URL; `url` is accepted too.
    image: Option<String>,
    url: Option<String>,
    /// One wiki language code, or several joined with `+`.
    lang: Option<String>,
    /// Several codes, as `langs[]`.
    #[serde(default)]
    langs: Vec<String>,
    psm: Option<u8>,
    /// `[x, y, width, height]`.
    crop: Option<[u32; 4]>,
    #[serde(default)]
    user: String,
}

impl ApiOcrParameters {
    /// Reads the query string; `langs[]=` and `crop[x]=` forms are accepted.
    fn from_query(query: &str) -> Result<ApiOcrParameters, AppError> {
        let mut parameters = ApiOcrParameters::default();
        let mut crop: HashMap<String, u32> = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let value = value.into_owned();
            match name.as_ref() {
                "image" => parameters.image = Some(value),
                "url" => parameters.url = Some(value),
                "lang" => parameters.lang = Some(value),
                "langs[]" | "langs" => parameters.langs.push(value),
                "psm" => parameters.psm = Some(parse_number(&name, &value)?),
                "user" => parameters.user = value,
                "crop[x]" | "crop[y]" | "crop[width]" | "crop[height]" => {
                    crop.insert(name[5..name.len() - 1].to_owned(), parse_number(&name, &value)?);
                }
                _ => {}
            }
        }
        if !crop.is_empty() {
            let side = |name: &str| {
                crop.get(name)
                    .copied()
                    .ok_or_else(|| AppError::BadRequest(messages::incomplete_crop()))
            };
            parameters.crop = Some([side("x")?, side("y")?, side("width")?, side("height")?]);
        }
        Ok(parameters)
    }

    fn into_request(self) -> OcrRequest {
        let lang = if self.langs.is_empty() {
            self.lang.unwrap_or_default()
        } else {
            self.langs.join("+")
        };
        OcrRequest {
            url: self.image.or(self.url).unwrap_or_default(),
            lang,
            psm: self.psm,
            crop: self.crop,
            user: self.user,
        }
    }
}

fn parse_number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, AppError> {
    value
        .parse()
        .map_err(|_| AppError::BadRequest(messages::invalid_number(name, value)))
}

/// `GET /api/v1/ocr`.
pub async fn api_ocr_get(State(state): State<AppState>, request: Request<axum::body::Body>) -> Response {
    let peer = peer_address(&request);
    let headers = request.headers().clone();
    let RawQuery(query) = RawQuery(request.uri().query().map(str::to_owned));
    let parameters = match ApiOcrParameters::from_query(query.as_deref().unwrap_or("")) {
        Ok(parameters) => parameters,
        Err(error) => return error.into_response(),
    };
    api_ocr(state, headers, peer, parameters).await
}

/// Largest JSON body of `POST /api/v1/ocr`.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// `POST /api/v1/ocr` with a JSON body of the same parameters.
pub async fn api_ocr_post(State(state): State<AppState>, request: Request<axum::body::Body>) -> Response {
    let peer = peer_address(&request);
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) => return AppError::BadRequest(messages::invalid_json_body(&error.to_string())).into_response(),
    };
    match serde_json::from_slice::<ApiOcrParameters>(&bytes) {
        Ok(parameters) => api_ocr(state, parts.headers, peer, parameters).await,
        Err(error) => AppError::BadRequest(messages::invalid_json_body(&error.to_string())).into_response(),
    }
}

async fn api_ocr(state: AppState, headers: HeaderMap, peer: Option<IpAddr>, parameters: ApiOcrParameters) -> Response {
    let ocr = match ocr_state(&state) {
        Ok(ocr) => ocr,
        Err(error) => return error.into_response(),
    };
    if let Some(wait) = rate_limited(ocr, &headers, peer) {
        let body = AppError::TooManyRequests(messages::rate_limited(wait)).into_response();
        return too_many_requests(wait, body);
    }
    let request = parameters.into_request();
    match ocr.service.submit(&request).await {
        Ok(reply) => api_reply(&request, reply),
        Err(ServiceError::Invalid(message)) => AppError::BadRequest(message).into_response(),
        Err(error) => AppError::Internal(anyhow::Error::new(error).context("OCR request")).into_response(),
    }
}

fn api_reply(request: &OcrRequest, reply: OcrReply) -> Response {
    let base = json!({
        "image": request.url,
        "engine": "tesseract",
        "langs": reply.languages.split('+').collect::<Vec<_>>(),
        "psm": reply.psm,
        "crop": request.crop.map(|[x, y, width, height]| json!({"x": x, "y": y, "width": width, "height": height})),
        "warnings": reply.warnings,
    });
    let mut body = base.as_object().cloned().expect("an object");
    let status = match reply.outcome {
        OcrOutcome::Done { text, cached, job_id } => {
            body.insert("text".to_owned(), json!(text));
            body.insert("cached".to_owned(), json!(cached));
            body.insert("job_id".to_owned(), json!(job_id));
            StatusCode::OK
        }
        OcrOutcome::Pending { job_id } => {
            body.insert("job_id".to_owned(), json!(job_id));
            body.insert("status_url".to_owned(), json!(format!("/api/v1/jobs/{job_id}")));
            StatusCode::ACCEPTED
        }
        OcrOutcome::Failed { job_id, stage, message } => {
            body.insert("job_id".to_owned(), json!(job_id));
            body.insert(
                "error".to_owned(),
                json!({"code": stage_code(stage), "message": message}),
            );
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    (status, Json(Value::Object(body))).into_response()
}

fn stage_code(stage: FailureStage) -> &'static str {
    match stage {
        FailureStage::Download => "download-failed",
        FailureStage::Recognition => "ocr-failed",
        FailureStage::Other => "failed",
    }
}

/// `GET /api/v1/ocr/languages`: installed models and the wiki codes that reach them.
pub async fn api_languages(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let ocr = ocr_state(&state)?;
    let languages = ocr.service.languages();
    let wiki_codes: serde_json::Map<String, Value> = languages
        .wiki_codes()
        .into_iter()
        .map(|(code, model)| (code.to_owned(), json!(model)))
        .collect();
    Ok(Json(json!({
        "engine": "tesseract",
        "installed": languages.installed().collect::<Vec<_>>(),
        "wiki_codes": wiki_codes,
    })))
}

/// `GET /api/v1/ocr/status`: the engine threads of this process and its memory.
pub async fn api_status(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let ocr = ocr_state(&state)?;
    let engines = ocr.engines.as_ref().map(|engines| json!(engines.status()));
    Ok(Json(json!({
        "engine_version": phetools_ocr::engine::tesseract_version(),
        "workers": engines,
    })))
}

/// `GET /api/v1/ocr/jobs/{id}`: the outcome of an OCR job, for clients that poll.
pub async fn api_job(State(state): State<AppState>, Path(raw_id): Path<String>) -> Result<Response, AppError> {
    let ocr = ocr_state(&state)?;
    let id: i64 = raw_id
        .parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::BadRequest(messages::invalid_job_id(&raw_id)))?;
    let outcome = ocr
        .service
        .job_outcome(id)
        .await
        .map_err(|error| AppError::Internal(anyhow::Error::new(error).context("read an OCR job")))?
        .ok_or_else(|| AppError::NotFound(messages::job_not_found(id)))?;
    let request = OcrRequest::default();
    let reply = OcrReply {
        outcome,
        languages: String::new(),
        psm: 0,
        warnings: Vec::new(),
    };
    Ok(api_reply(&request, reply))
}
