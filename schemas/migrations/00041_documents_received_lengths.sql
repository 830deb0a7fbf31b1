-- +goose Up
-- Received documents keep what other agencies' systems send beyond the length limits
-- of QCVN 102 (real producers write longer numbers, symbols, places and subjects), up
-- to the edXML reader's hard bounds of ten times the standard's (at least 200
-- characters); what edms issues itself keeps to the standard. docs.validateMetadata
-- holds the same numbers.
ALTER TABLE documents
    DROP CONSTRAINT documents_code_number_check,
    DROP CONSTRAINT documents_code_notation_check,
    DROP CONSTRAINT documents_place_check,
    DROP CONSTRAINT documents_subject_check,
    ADD CONSTRAINT documents_code_number_check CHECK (length(code_number) <= CASE direction WHEN 'incoming' THEN 200 ELSE 11 END),
    ADD CONSTRAINT documents_code_notation_check CHECK (length(code_notation) <= CASE direction WHEN 'incoming' THEN 300 ELSE 30 END),
    ADD CONSTRAINT documents_place_check CHECK (length(place) <= CASE direction WHEN 'incoming' THEN 500 ELSE 50 END),
    ADD CONSTRAINT documents_subject_check CHECK (btrim(subject) <> '' AND length(subject) <= CASE direction WHEN 'incoming' THEN 5000 ELSE 500 END);

-- +goose Down
ALTER TABLE documents
    DROP CONSTRAINT documents_code_number_check,
    DROP CONSTRAINT documents_code_notation_check,
    DROP CONSTRAINT documents_place_check,
    DROP CONSTRAINT documents_subject_check,
    ADD CONSTRAINT documents_code_number_check CHECK (length(code_number) <= 11),
    ADD CONSTRAINT documents_code_notation_check CHECK (length(code_notation) <= 30),
    ADD CONSTRAINT documents_place_check CHECK (length(place) <= 50),
    ADD CONSTRAINT documents_subject_check CHECK (btrim(subject) <> '' AND length(subject) <= 500);
