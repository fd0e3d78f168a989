-- Wikisource statistics: per-page state, per-wiki counts, daily snapshots,
-- per-day quality transitions, drift records and the imported history.
-- crates/stats writes and reads these tables. `wiki` is always the database
-- name (frwikisource; sourceswiki for the multilingual wikisource.org).

-- One row per page of a Page namespace or of the main namespace that an event
-- has named. The counts in stats_wiki_count are the sum of these rows'
-- contributions, and crates/stats/src/apply changes a row and the counts in
-- the same transaction.
CREATE TABLE stats_page (
    wiki            text        NOT NULL CHECK (wiki <> ''),
    page_id         bigint      NOT NULL CHECK (page_id > 0),
    -- 'page' (the wiki's Page namespace), 'main' (namespace 0) or 'other'
    -- (moved out of both, kept so that late events stay recognisable as stale).
    namespace       text        NOT NULL CHECK (namespace IN ('page', 'main', 'other')),
    -- false once the page is deleted.
    present         boolean     NOT NULL,
    redirect        boolean     NOT NULL DEFAULT false,
    -- ProofreadPage quality level 0-4; NULL when the page has none.
    level           smallint    CHECK (level BETWEEN 0 AND 4),
    disambiguation  boolean     NOT NULL DEFAULT false,
    -- The page transcludes at least one page of the Page namespace.
    with_scans      boolean     NOT NULL DEFAULT false,
    -- Revision and event time of the last lifecycle change applied (create,
    -- delete, undelete, move, main-namespace flags). An event is applied only
    -- when (rev_id, event time) is greater than this pair.
    state_rev_id    bigint      NOT NULL,
    state_at        timestamptz NOT NULL,
    -- Revision the stored level comes from; 0 when no level event was applied.
    -- A level event is applied only when its revision is greater.
    level_rev_id    bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (wiki, page_id)
);

-- Current counts per wiki. Page-namespace figures count non-redirect pages
-- only, main-namespace figures count non-redirect pages of namespace 0.
CREATE TABLE stats_wiki_count (
    wiki            text        PRIMARY KEY CHECK (wiki <> ''),
    pages           bigint      NOT NULL DEFAULT 0,
    q0              bigint      NOT NULL DEFAULT 0,
    q1              bigint      NOT NULL DEFAULT 0,
    q2              bigint      NOT NULL DEFAULT 0,
    q3              bigint      NOT NULL DEFAULT 0,
    q4              bigint      NOT NULL DEFAULT 0,
    -- Page: pages without a quality level; the legacy q1 (pages - q0 - q2 - q3 - q4)
    -- includes them.
    no_level        bigint      NOT NULL DEFAULT 0,
    texts           bigint      NOT NULL DEFAULT 0,
    with_scans      bigint      NOT NULL DEFAULT 0,
    disambiguation  bigint      NOT NULL DEFAULT 0,
    -- Texts neither backed by scans nor disambiguation pages, as the old tool
    -- defined them.
    naked           bigint      GENERATED ALWAYS AS (texts - with_scans - disambiguation) STORED,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Pages whose quality level changed, per wiki and UTC day of the event.
-- from_level -1 means that the page had no level or did not exist before.
CREATE TABLE stats_transition (
    wiki        text     NOT NULL,
    day         date     NOT NULL,
    from_level  smallint NOT NULL CHECK (from_level BETWEEN -1 AND 4),
    to_level    smallint NOT NULL CHECK (to_level BETWEEN 0 AND 4),
    pages       bigint   NOT NULL CHECK (pages > 0),
    PRIMARY KEY (wiki, day, from_level, to_level),
    CHECK (from_level <> to_level)
);

-- The counts of stats_wiki_count copied once per wiki and UTC day.
CREATE TABLE stats_snapshot (
    wiki            text        NOT NULL,
    day             date        NOT NULL,
    taken_at        timestamptz NOT NULL DEFAULT now(),
    pages           bigint      NOT NULL,
    q0              bigint      NOT NULL,
    q1              bigint      NOT NULL,
    q2              bigint      NOT NULL,
    q3              bigint      NOT NULL,
    q4              bigint      NOT NULL,
    no_level        bigint      NOT NULL,
    texts           bigint      NOT NULL,
    with_scans      bigint      NOT NULL,
    disambiguation  bigint      NOT NULL,
    PRIMARY KEY (wiki, day)
);

-- Disagreements between the stored state and what an event or a recount
-- reported, kept for the drift report.
CREATE TABLE stats_drift (
    id           bigserial   PRIMARY KEY,
    wiki         text        NOT NULL,
    page_id      bigint,
    -- What disagreed, such as 'level' (an event's old level is not the stored one).
    field        text        NOT NULL,
    stored       bigint,
    reported     bigint,
    rev_id       bigint,
    detected_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stats_drift_wiki ON stats_drift (wiki, detected_at);

-- Rows of history files written by other tools, one per wiki and line.
-- NULL means unknown: the old tool wrote None or [] when a count failed, and
-- lines before 2010-09-29 have no disambiguation figure.
CREATE TABLE stats_history (
    -- Which tool wrote the file, such as 'phetools'.
    source          text        NOT NULL,
    taken_at        timestamptz NOT NULL,
    -- The wiki's code in the file ('fr', 'old', 'zh-min-nan').
    code            text        NOT NULL,
    wiki            text        NOT NULL,
    pages           bigint,
    q0              bigint,
    q2              bigint,
    q3              bigint,
    q4              bigint,
    with_scans      bigint,
    texts           bigint,
    disambiguation  bigint,
    -- 7 or 8: the tuple length in the file.
    fields          smallint    NOT NULL CHECK (fields IN (7, 8)),
    -- The old graphs skipped this row as bad data.
    bad_data        boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (source, taken_at, code)
);
CREATE INDEX stats_history_wiki ON stats_history (wiki, taken_at);

-- One row per wiki and UTC day: the own snapshot when there is one, otherwise
-- the last history row of that day. q1 is NULL for history rows (derive it).
CREATE VIEW stats_daily AS
SELECT DISTINCT ON (wiki, day)
       wiki, day, source, taken_at, pages, q0, q1, q2, q3, q4, texts, with_scans, disambiguation, bad_data
FROM (
    SELECT wiki, day, 'snapshot' AS source, taken_at, pages, q0, q1, q2, q3, q4, texts, with_scans,
           disambiguation, false AS bad_data, 0 AS rank
    FROM stats_snapshot
    UNION ALL
    SELECT wiki, (taken_at AT TIME ZONE 'UTC')::date, source, taken_at, pages, q0, NULL, q2, q3, q4, texts,
           with_scans, disambiguation, bad_data, 1
    FROM stats_history
) AS daily_rows
ORDER BY wiki, day, rank, taken_at DESC;
