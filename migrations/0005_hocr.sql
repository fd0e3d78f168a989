-- hOCR of DjVu and PDF files, stored per (file SHA-1, language, page).
-- crates/hocr/src/store.rs writes and reads these tables.

-- One row per built book. The hOCR of a file version goes with its text layer:
-- when no wiki shows that version any more, the text layer is deleted and the
-- hOCR with it.
CREATE TABLE hocr_file (
    sha1         char(40)    NOT NULL REFERENCES text_layer_file (sha1) ON DELETE CASCADE,
    -- Wikisource language code the book was built for (OCR language).
    lang         text        NOT NULL CHECK (lang ~ '^[a-z][a-z0-9-]{0,19}$'),
    page_count   integer     NOT NULL CHECK (page_count >= 0),
    pages_text_layer integer NOT NULL CHECK (pages_text_layer >= 0),
    pages_ocr    integer     NOT NULL CHECK (pages_ocr >= 0),
    pages_empty  integer     NOT NULL CHECK (pages_empty >= 0),
    built_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sha1, lang),
    CHECK (pages_text_layer + pages_ocr + pages_empty = page_count)
);

-- One row for every page from 1 to page_count: a gzip-compressed XHTML
-- hOCR document.
CREATE TABLE hocr_page (
    sha1       char(40) NOT NULL,
    lang       text     NOT NULL,
    page       integer  NOT NULL CHECK (page >= 1),
    source     text     NOT NULL CHECK (source IN ('text_layer', 'ocr', 'empty')),
    hocr_gzip  bytea    NOT NULL,
    PRIMARY KEY (sha1, lang, page),
    FOREIGN KEY (sha1, lang) REFERENCES hocr_file (sha1, lang) ON DELETE CASCADE
);

-- The last build of a (wiki, file, language) that failed for good. While it
-- is recent, /hocr_cgi.py reports it instead of queueing the build again. A
-- successful build deletes the row.
CREATE TABLE hocr_build_failure (
    wiki        text        NOT NULL,
    file_dbkey  text        NOT NULL,
    lang        text        NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT now(),
    reason      text        NOT NULL,
    PRIMARY KEY (wiki, file_dbkey, lang)
);
