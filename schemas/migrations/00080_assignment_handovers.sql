-- +goose Up
-- The sender's requested deadline (edXML's DueDate, or the date on a paper document),
-- kept apart from the agency's own deadline so that it is proposed to the leader who
-- assigns the document.
ALTER TABLE documents ADD COLUMN requested_deadline date;

-- Every hand-over of an incoming document: the leader's assignment lines, a unit head
-- naming the handler, a holder forwarding it (chuyển xử lý), a leader re-assigning a
-- line or taking the assignment back. A person a document was handed to keeps seeing it
-- (the visibility rule reads to_user_id).
CREATE TABLE document_handovers (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id    bigint NOT NULL REFERENCES documents(id),
    assignment_id  bigint REFERENCES assignments(id) ON DELETE SET NULL,
    kind           text NOT NULL CHECK (kind IN ('assign', 'handler', 'forward', 'reassign', 'take_back')),
    role           text CHECK (role IN ('chu_tri', 'phoi_hop', 'de_biet')),
    from_user_id   bigint REFERENCES users(id),
    to_user_id     bigint REFERENCES users(id),
    to_unit_id     bigint REFERENCES units(id),
    deadline       date,
    note           text NOT NULL DEFAULT '',
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX document_handovers_document_idx ON document_handovers (document_id, id);
-- Covering index: the visibility rule reads a person's documents from it.
CREATE INDEX document_handovers_user_doc_idx ON document_handovers (to_user_id, document_id) WHERE to_user_id IS NOT NULL;

-- The assignments made before this table existed are their first hand-overs.
INSERT INTO document_handovers (document_id, assignment_id, kind, role, from_user_id, to_user_id, to_unit_id, deadline, note, at)
SELECT document_id, id, 'assign', role, assigned_by, user_id, unit_id, deadline, direction_note, assigned_at
FROM assignments ORDER BY id;
INSERT INTO document_handovers (document_id, assignment_id, kind, role, from_user_id, to_user_id, at)
SELECT document_id, id, 'handler', role, handler_assigned_by, handler_id, assigned_at
FROM assignments WHERE handler_id IS NOT NULL ORDER BY id;

-- +goose Down
DROP TABLE document_handovers;
ALTER TABLE documents DROP COLUMN requested_deadline;
