//! The replay server's HTTP behaviour, seen from a plain HTTP client.

use phetools_stream::replay::recorded_frames;
use phetools_stream::{Faults, ReplayServer};

async fn get(server: &ReplayServer, path: &str, last_event_id: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(format!("http://{}{path}", server.addr()));
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn closing() -> Faults {
    Faults {
        close_at_end: true,
        ..Faults::default()
    }
}

#[tokio::test]
async fn serves_frames_of_requested_stream() {
    let server = ReplayServer::start(recorded_frames(), closing()).await.unwrap();
    let (status, body) = get(&server, "/v2/stream/recentchange", None).await;
    assert_eq!(status, 200);
    assert!(body.starts_with(":ok\n\n"));
    assert_eq!(body.matches("\nid: ").count(), 20);
    assert!(!body.contains("mediawiki.page-create"));
}

#[tokio::test]
async fn resumes_after_last_event_id() {
    let frames = recorded_frames();
    let third_id = frames[2].id().unwrap().to_owned();
    let fourth_id = frames[3].id().unwrap().to_owned();
    let server = ReplayServer::start(frames, closing()).await.unwrap();

    let (status, body) = get(&server, "/v2/stream/recentchange", Some(&third_id)).await;
    assert_eq!(status, 200);
    assert!(!body.contains(&third_id));
    let first_frame = body.lines().nth(3).unwrap();
    assert_eq!(first_frame, format!("id: {fourth_id}"));
}

#[tokio::test]
async fn unknown_last_event_id_is_rejected() {
    let server = ReplayServer::start(recorded_frames(), closing()).await.unwrap();
    let (status, body) = get(&server, "/v2/stream/recentchange", Some("[{\"topic\":\"x\"}]")).await;
    assert_eq!(status, 400);
    assert!(body.starts_with("Unknown Last-Event-ID"), "{body}");
}

#[tokio::test]
async fn since_starts_at_time() {
    let server = ReplayServer::start(recorded_frames(), closing()).await.unwrap();
    let (status, body) = get(&server, "/v2/stream/recentchange?since=2025-08-29T06:46:08Z", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        body.matches("\nid: ").count(),
        4,
        "frames 8 to 11 of the constructed ones"
    );
    let (status, _) = get(&server, "/v2/stream/recentchange?since=yesterday", None).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn unknown_stream_is_rejected() {
    let server = ReplayServer::start(recorded_frames(), closing()).await.unwrap();
    let (status, body) = get(&server, "/v2/stream/recentchanges", None).await;
    assert_eq!(status, 400);
    assert!(body.starts_with("Stream Not Found"), "{body}");
}

#[tokio::test]
async fn too_many_requests_sends_retry_after() {
    let faults = Faults {
        too_many_requests: 1,
        retry_after_seconds: 7,
        close_at_end: true,
        ..Faults::default()
    };
    let server = ReplayServer::start(recorded_frames(), faults).await.unwrap();
    let response = reqwest::get(format!("{}/recentchange", server.base_url()))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    let (status, _) = get(&server, "/v2/stream/recentchange", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn cut_ends_response_after_n_frames() {
    let faults = Faults {
        cut_every: Some(2),
        ..Faults::default()
    };
    let server = ReplayServer::start(recorded_frames(), faults).await.unwrap();
    let (status, body) = get(&server, "/v2/stream/recentchange", None).await;
    assert_eq!(status, 200);
    assert_eq!(body.matches("\nid: ").count(), 2);
}

#[tokio::test]
async fn chunk_sizes_reach_client_as_separate_reads() {
    use futures_util::StreamExt;

    let faults = Faults {
        chunk_sizes: vec![1],
        close_at_end: true,
        ..Faults::default()
    };
    let server = ReplayServer::start(recorded_frames()[..2].to_vec(), faults)
        .await
        .unwrap();
    let response = reqwest::get(format!("{}/recentchange", server.base_url()))
        .await
        .unwrap();
    let mut reads = 0;
    let mut bytes = 0;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        reads += 1;
        bytes += chunk.unwrap().len();
    }
    assert!(bytes > 1000);
    assert_eq!(reads, bytes, "every byte is a read of its own");
}
