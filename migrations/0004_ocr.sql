-- Completion notifications for waiting HTTP requests, and the OCR result cache.

-- Sends the id of a job that reaches a final state on the channel
-- `phetools_job_finished`, for `phetools_queue::JobWaiter`. Only jobs with a
-- positive priority notify: those are the requests people wait for, while
-- background jobs (priority 0 or less) keep their commits free of the NOTIFY
-- lock that PostgreSQL takes at commit. Waiters on other jobs fall back to polling.
CREATE FUNCTION job_notify_finished() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('phetools_job_finished', NEW.id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER job_finished_notify
    AFTER UPDATE OF state ON job
    FOR EACH ROW
    WHEN (NEW.priority > 0
          AND NEW.state IN ('succeeded', 'failed', 'cancelled')
          AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION job_notify_finished();

-- OCR results. crates/ocr/src/cache.rs writes and reads this table.
CREATE TABLE ocr_result (
    -- What was read: 'page:<file dbkey>/<page>/<width>px' for a page thumbnail of
    -- a DjVu or PDF file, otherwise 'url:<image URL>'.
    source      text        NOT NULL CHECK (source <> ''),
    -- tesseract language codes joined with '+', such as 'fra' or 'deu+lat'.
    languages   text        NOT NULL CHECK (languages <> ''),
    -- tesseract page segmentation mode.
    psm         smallint    NOT NULL CHECK (psm BETWEEN 0 AND 13),
    -- Crop rectangle 'x,y,width,height' in image pixels, or '' for the whole image.
    crop        text        NOT NULL DEFAULT '',
    -- tesseract version that produced the text, such as '5.3.0'.
    engine      text        NOT NULL,
    -- File name (dbkey, no namespace) for page thumbnails; NULL for other images.
    file_dbkey  text,
    -- SHA-1 of the file version read, when wiki_file knew it at OCR time.
    file_sha1   char(40),
    -- '' for an empty page, which is a valid result.
    text        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, languages, psm, crop, engine)
);
CREATE INDEX ocr_result_file ON ocr_result (file_dbkey) WHERE file_dbkey IS NOT NULL;
CREATE INDEX ocr_result_created_at ON ocr_result (created_at);

-- A new version of a file (another sha1 in wiki_file, written when an upload
-- event or an imageinfo lookup is processed) makes the OCR of its old pages stale.
CREATE FUNCTION ocr_result_invalidate() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM ocr_result
    WHERE file_dbkey = NEW.file_dbkey AND file_sha1 IS DISTINCT FROM NEW.sha1;
    RETURN NULL;
END
$$;

CREATE TRIGGER wiki_file_invalidates_ocr
    AFTER INSERT OR UPDATE OF sha1 ON wiki_file
    FOR EACH ROW
    EXECUTE FUNCTION ocr_result_invalidate();
