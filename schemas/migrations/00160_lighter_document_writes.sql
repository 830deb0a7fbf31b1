-- +goose Up
-- Lighter writes when a document and its files are stored together (a received
-- package, a new draft with attachments), found by the exchange's benchmark.
--
-- The file names a document's search reads (00130) were refreshed by a row trigger
-- after every file: a received letter with an annex rewrote its document row twice
-- more, and each rewrite recomputes the search vector and touches every index of
-- documents. The trigger is now deferred to the commit, and writes only when the
-- names changed, so the files of one transaction cost one rewrite.
DROP TRIGGER document_files_names ON document_files;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION docs_refresh_file_names() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    names text;
    doc bigint := coalesce(NEW.document_id, OLD.document_id);
BEGIN
    SELECT coalesce(string_agg(f.file_name, ' ' ORDER BY f.id), '') INTO names
        FROM document_files f WHERE f.document_id = doc AND f.kind <> 'rendition';
    UPDATE documents SET file_names = names WHERE id = doc AND file_names IS DISTINCT FROM names;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE CONSTRAINT TRIGGER document_files_names AFTER INSERT OR DELETE OR UPDATE OF file_name, kind ON document_files
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION docs_refresh_file_names();

-- Stored files are mostly PDFs and images, already compressed: lz4 gives up on them
-- far sooner than pglz, and compresses the rest faster. Only where the server has it.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE blob_chunks ALTER COLUMN data SET COMPRESSION lz4;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE blob_chunks ALTER COLUMN data SET COMPRESSION default;
DROP TRIGGER document_files_names ON document_files;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION docs_refresh_file_names() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE documents d SET file_names = coalesce((SELECT string_agg(f.file_name, ' ' ORDER BY f.id)
            FROM document_files f WHERE f.document_id = d.id AND f.kind <> 'rendition'), '')
        WHERE d.id = coalesce(NEW.document_id, OLD.document_id);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER document_files_names AFTER INSERT OR DELETE OR UPDATE OF file_name, kind ON document_files
    FOR EACH ROW EXECUTE FUNCTION docs_refresh_file_names();
