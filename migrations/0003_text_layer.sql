-- Text layers of DjVu and PDF files, stored per (file SHA-1, page).
-- crates/textlayer/src/store.rs writes and reads these tables.

CREATE TABLE text_layer_file (
    sha1        char(40)    PRIMARY KEY CHECK (sha1 ~ '^[0-9a-f]{40}$'),
    mime        text        NOT NULL,
    byte_size   bigint      NOT NULL CHECK (byte_size >= 0),
    page_count  integer     NOT NULL CHECK (page_count >= 0),
    extracted_at timestamptz NOT NULL DEFAULT now()
);

-- One row for every page from 1 to page_count; a page without text has ''.
CREATE TABLE text_layer_page (
    sha1  char(40) NOT NULL REFERENCES text_layer_file (sha1) ON DELETE CASCADE,
    page  integer  NOT NULL CHECK (page >= 1),
    text  text     NOT NULL,
    PRIMARY KEY (sha1, page)
);

-- Which version of a file a wiki currently shows. `wiki` is the domain
-- (en.wikisource.org, commons.wikimedia.org); `file_dbkey` has no namespace
-- and uses underscores. A row exists only while the text layer of its sha1 is
-- stored, and a text layer is deleted when the last row pointing at it goes.
CREATE TABLE wiki_file (
    wiki        text        NOT NULL,
    file_dbkey  text        NOT NULL,
    sha1        char(40)    NOT NULL REFERENCES text_layer_file (sha1),
    url         text        NOT NULL,
    repository  text        NOT NULL CHECK (repository IN ('local', 'shared')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (wiki, file_dbkey)
);
CREATE INDEX wiki_file_sha1 ON wiki_file (sha1);
