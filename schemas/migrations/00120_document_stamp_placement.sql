-- +goose Up
-- Where the issue stamp writes the number and the date on page 1 of an uploaded PDF,
-- as the clerk placed them on the preview (docs.Placement as JSON: the areas in PDF
-- points and their text size). NULL: found in the PDF's text at stamping time, or
-- the form's fixed areas.
ALTER TABLE documents ADD COLUMN stamp_placement jsonb;

-- +goose Down
ALTER TABLE documents DROP COLUMN stamp_placement;
