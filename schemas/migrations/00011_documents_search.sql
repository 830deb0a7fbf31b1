-- +goose Up
-- Accent-insensitive full-text search over documents. Vietnamese words are written as
-- space-separated syllables, so the 'simple' configuration (one token per syllable,
-- no stemming) over unaccented, lower-cased text is the right tokenizer: "quyet dinh"
-- matches "Quyết định", and phrase queries keep syllable order. unaccent() is only
-- STABLE, so an IMMUTABLE wrapper naming its dictionary makes it usable in a
-- generated column.

-- +goose StatementBegin
CREATE FUNCTION docs_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN public.unaccent('public.unaccent'::regdictionary, $1);
-- +goose StatementEnd

ALTER TABLE documents ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', docs_unaccent(code_number || ' ' || code_notation || ' ' || subject)), 'A') ||
    setweight(to_tsvector('simple', docs_unaccent(issuer_name || ' ' || signer_name || ' ' || array_to_string(to_places, ' '))), 'B') ||
    setweight(to_tsvector('simple', docs_unaccent(left(content, 200000))), 'C')
) STORED;
CREATE INDEX documents_search_idx ON documents USING gin (search);

-- +goose Down
ALTER TABLE documents DROP COLUMN search;
DROP FUNCTION docs_unaccent(text);
