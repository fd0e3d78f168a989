-- EventStreams consumer: position, replay protection and gaps.

-- One row per consumer name. The position is written in the same transaction
-- as the jobs its events produced, so a restart resumes exactly after them.
CREATE TABLE stream_position (
    consumer           text PRIMARY KEY,
    -- The SSE id of the last applied event exactly as received (EventStreams
    -- sends a JSON array of Kafka topic/partition positions); sent back as
    -- Last-Event-ID. NULL until an event with an id was applied.
    last_event_id      text,
    -- meta.dt of that event; the since= fallback rewinds from it.
    last_event_dt      timestamptz,
    events_seen        bigint      NOT NULL DEFAULT 0,
    canaries_dropped   bigint      NOT NULL DEFAULT 0,
    events_malformed   bigint      NOT NULL DEFAULT 0,
    duplicates_skipped bigint      NOT NULL DEFAULT 0,
    jobs_enqueued      bigint      NOT NULL DEFAULT 0,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- meta.id of applied events that produced jobs; a replayed event is skipped.
-- Events that match no rule are not stored. Pruned by age.
CREATE TABLE stream_seen_event (
    consumer text        NOT NULL,
    event_id uuid        NOT NULL,
    seen_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX stream_seen_event_seen_at ON stream_seen_event (seen_at);

-- Reconnects that may have skipped events: the server rejected the resume id
-- and streaming restarted from ?since= (or from the newest event).
CREATE TABLE stream_gap (
    id                 bigserial PRIMARY KEY,
    consumer           text        NOT NULL,
    noticed_at         timestamptz NOT NULL DEFAULT now(),
    rejected_event_id  text,
    -- NULL when streaming restarted from the newest event.
    resumed_since      timestamptz,
    reason             text        NOT NULL
);
CREATE INDEX stream_gap_consumer ON stream_gap (consumer, noticed_at);
