-- Statistics kept live: per-wiki configuration, page titles and transclusion
-- links, recount runs and the values of the on-wiki templates.

-- One row per counted wiki. The namespaces and quality category names come
-- from meta=siteinfo|proofreadinfo ('api') or from the shipped table when the
-- wiki's API has no proofreadinfo module ('shipped').
CREATE TABLE stats_wiki (
    wiki                 text        PRIMARY KEY CHECK (wiki <> ''),
    domain               text        NOT NULL CHECK (domain <> ''),
    -- The old tool's code: 'fr', 'zh-min-nan', 'old' for wikisource.org.
    code                 text        NOT NULL CHECK (code <> ''),
    page_namespace       integer     NOT NULL,
    index_namespace      integer     NOT NULL,
    -- Quality categories in level order 0-4, as dbkeys without the prefix.
    quality_categories   text[]      NOT NULL CHECK (cardinality(quality_categories) = 5),
    config_source        text        NOT NULL CHECK (config_source IN ('api', 'shipped')),
    config_refreshed_at  timestamptz NOT NULL DEFAULT now(),
    last_cross_check_at  timestamptz,
    last_full_recount_at timestamptz
);

-- The page's dbkey without the namespace prefix ('Foo.djvu/12' for
-- 'Page:Foo.djvu/12'), as the last event or recount named it.
ALTER TABLE stats_page ADD COLUMN title text;
-- The main-namespace page carries __EXPECTWITHOUTSCANS__ (page property
-- expectwithoutscans): Special:PagesWithoutScans leaves it out.
ALTER TABLE stats_page ADD COLUMN expect_without_scans boolean NOT NULL DEFAULT false;
-- Time of the last edit by a user who is not a bot; the not-transcluded lists
-- leave out books edited by people in the last 30 days.
ALTER TABLE stats_page ADD COLUMN last_human_edit_at timestamptz;
CREATE INDEX stats_page_title ON stats_page (wiki, title) WHERE namespace = 'page';

-- Main-namespace texts without scans that are expected to be so: present,
-- non-redirect, not with scans, not a disambiguation page, and marked
-- expectwithoutscans. naked minus this column is the modern naked count.
ALTER TABLE stats_wiki_count ADD COLUMN expected_without_scans bigint NOT NULL DEFAULT 0;
ALTER TABLE stats_snapshot ADD COLUMN expected_without_scans bigint NOT NULL DEFAULT 0;

-- The Page-namespace titles each main-namespace page transcludes
-- (prop=templates&tlnamespace=<Page namespace>), red links included as the
-- old tool counted them. A main page is "with scans" when it has a row here.
CREATE TABLE stats_transclusion (
    wiki          text   NOT NULL,
    main_page_id  bigint NOT NULL,
    -- dbkey without the namespace prefix.
    page_title    text   NOT NULL,
    PRIMARY KEY (wiki, main_page_id, page_title)
);
CREATE INDEX stats_transclusion_target ON stats_transclusion (wiki, page_title);

-- One cross-check or full recount of a wiki through the API.
CREATE TABLE stats_recount (
    id           bigserial   PRIMARY KEY,
    wiki         text        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('cross_check', 'full')),
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    -- API requests sent, and the budget the run was allowed.
    requests     integer     NOT NULL DEFAULT 0,
    budget       integer     NOT NULL,
    drifts       integer     NOT NULL DEFAULT 0,
    outcome      text        CHECK (outcome IN ('succeeded', 'failed', 'over_budget')),
    error        text
);
CREATE INDEX stats_recount_wiki ON stats_recount (wiki, started_at);

-- Where a drift was found, and whether the stored state was set right.
ALTER TABLE stats_drift ADD COLUMN source text NOT NULL DEFAULT 'event'
    CHECK (source IN ('event', 'cross_check', 'recount'));
ALTER TABLE stats_drift ADD COLUMN recount_id bigint REFERENCES stats_recount (id);
ALTER TABLE stats_drift ADD COLUMN repaired boolean NOT NULL DEFAULT false;

-- The value last saved to each on-wiki template, so that the bot edits a
-- template only when its value changes.
CREATE TABLE stats_template_value (
    wiki       text        NOT NULL,
    -- Template name without prefix: ALL_PAGES, PAGES_NOT_PROOFREAD, PR_TEXTS,
    -- ALL_TEXTS, PR_PERCENT.
    template   text        NOT NULL,
    value      text        NOT NULL,
    rev_id     bigint,
    saved_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (wiki, template)
);
