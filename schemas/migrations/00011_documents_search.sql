-- +goose Up
-- Accent-insensitive full-text search over documents. Vietnamese words are written as
-- space-separated syllables, so the 'simple' configuration (one token per syllable,
-- no stemming) over unaccented, lower-cased text is the right tokenizer: "quyet dinh"
-- matches "Quyết định", and phrase queries keep syllable order. unaccent() and
-- array_to_string() are only STABLE, so IMMUTABLE wrappers (naming the dictionary;
-- joining text only) make them usable in a generated column.

-- +goose StatementBegin
CREATE FUNCTION docs_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN public.unaccent('public.unaccent'::regdictionary, $1);
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION docs_search_vector(number text, notation text, subject text, issuer text, signer text,
        places text[], content text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('simple', docs_unaccent(number || ' ' || notation || ' ' || subject)), 'A') ||
        setweight(to_tsvector('simple', docs_unaccent(issuer || ' ' || signer || ' ' || array_to_string(places, ' '))), 'B') ||
        setweight(to_tsvector('simple', docs_unaccent(left(content, 200000))), 'C');
-- +goose StatementEnd

ALTER TABLE documents ADD COLUMN search tsvector GENERATED ALWAYS AS (
    docs_search_vector(code_number, code_notation, subject, issuer_name, signer_name, to_places, content)
) STORED;
CREATE INDEX documents_search_idx ON documents USING gin (search);

-- +goose Down
ALTER TABLE documents DROP COLUMN search;
DROP FUNCTION docs_search_vector(text, text, text, text, text, text[], text);
DROP FUNCTION docs_unaccent(text);
