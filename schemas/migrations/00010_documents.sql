-- +goose Up
-- Documents (internal/docs): files stored once by SHA-256, documents with their
-- Nghị định 30 metadata, the outgoing and incoming lifecycles as states with CHECK
-- constraints and a transition log, per-recipient tracking, registers' counters,
-- assignments, records (hồ sơ), explicit grants for secret documents, and the outbox
-- of lifecycle events.

-- A register number as printed: numbers below 10 get a leading zero (05), others are
-- written in full (123). Mirrors docs.FormatNumber.
-- +goose StatementBegin
CREATE FUNCTION docs_number(n int) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN CASE WHEN n BETWEEN 0 AND 9 THEN '0' || n ELSE n::text END;
-- +goose StatementEnd

-- A file's bytes, stored once. A row is created before its content is streamed in
-- (sha256 NULL), and completed in the same transaction; chunks keep memory bounded.
CREATE TABLE blobs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sha256      bytea CONSTRAINT blobs_sha256_key UNIQUE CHECK (length(sha256) = 32),
    size        bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
    media_type  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE blob_chunks (
    blob_id  bigint NOT NULL REFERENCES blobs(id) ON DELETE CASCADE,
    seq      int NOT NULL CHECK (seq >= 0),
    data     bytea NOT NULL,
    PRIMARY KEY (blob_id, seq)
);

-- Per-agency numbering choice: one shared outgoing series, or one per document type.
CREATE TABLE numbering_settings (
    agency_id  bigint PRIMARY KEY REFERENCES agencies(id),
    per_type   boolean NOT NULL DEFAULT false
);

-- The last number issued in a series. Issuing locks and increments the row inside the
-- issuing transaction, so a failed issuance rolls the number back: no gap, no double.
CREATE TABLE number_counters (
    agency_id    bigint NOT NULL REFERENCES agencies(id),
    year         int NOT NULL CHECK (year BETWEEN 1900 AND 9999),
    series       text NOT NULL CHECK (series ~ '^(out|out-secret|in)(:[a-z_]+)?$'),
    last_number  int NOT NULL DEFAULT 0 CHECK (last_number >= 0),
    PRIMARY KEY (agency_id, year, series)
);

CREATE TABLE documents (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id       bigint NOT NULL REFERENCES agencies(id),
    direction       text NOT NULL CHECK (direction IN ('outgoing', 'incoming')),
    type            text NOT NULL CHECK (type IN (
        'nghi_quyet', 'quyet_dinh', 'chi_thi', 'quy_che', 'quy_dinh', 'thong_cao',
        'thong_bao', 'huong_dan', 'chuong_trinh', 'ke_hoach', 'phuong_an', 'de_an',
        'du_an', 'bao_cao', 'bien_ban', 'to_trinh', 'hop_dong', 'cong_van', 'cong_dien',
        'ban_ghi_nho', 'ban_thoa_thuan', 'giay_uy_quyen', 'giay_moi', 'giay_gioi_thieu',
        'giay_nghi_phep', 'phieu_gui', 'phieu_chuyen', 'phieu_bao', 'thu_cong')),
    code_number     text NOT NULL DEFAULT '' CHECK (length(code_number) <= 11),
    code_notation   text NOT NULL DEFAULT '' CHECK (length(code_notation) <= 30),
    number_series   text,             -- the counter series an outgoing number came from
    place           text NOT NULL DEFAULT '' CHECK (length(place) <= 50),
    issued_date     date,
    subject         text NOT NULL CHECK (btrim(subject) <> '' AND length(subject) <= 500),
    content         text NOT NULL DEFAULT '',
    issuer_organ_id text NOT NULL DEFAULT '',
    issuer_name     text NOT NULL DEFAULT '',
    signer_competence text NOT NULL DEFAULT '',
    signer_position text NOT NULL DEFAULT '',
    signer_name     text NOT NULL DEFAULT '',
    signer_user_id  bigint REFERENCES users(id),
    to_places       text[] NOT NULL DEFAULT '{}',
    urgency         text NOT NULL DEFAULT 'thuong'
                    CHECK (urgency IN ('thuong', 'khan', 'thuong_khan', 'hoa_toc')),
    secrecy         text NOT NULL DEFAULT 'thuong'
                    CHECK (secrecy IN ('thuong', 'mat', 'toi_mat', 'tuyet_mat')),
    page_count      int NOT NULL DEFAULT 0 CHECK (page_count >= 0),
    issued_amount   int NOT NULL DEFAULT 0 CHECK (issued_amount >= 0),
    due_date        date,
    language        text NOT NULL DEFAULT 'vi' CHECK (language ~ '^[a-z]{2}$'),
    external_id     text NOT NULL DEFAULT '',
    unit_id         bigint REFERENCES units(id),
    created_by      bigint REFERENCES users(id), -- NULL when it arrived from another agency
    request_key     text NOT NULL DEFAULT '',    -- the form's one-time key: a double submit is refused
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- Whether the PDF really carries a digital signature: set only by a signing hook.
    leader_signed   boolean NOT NULL DEFAULT false,
    agency_signed   boolean NOT NULL DEFAULT false,
    outgoing_state  text CHECK (outgoing_state IN ('draft', 'in_review', 'returned',
        'approved', 'pending_signature', 'signed', 'numbered', 'sealed', 'sent',
        'recalled', 'replaced')),
    replaces_id     bigint REFERENCES documents(id),
    incoming_state  text CHECK (incoming_state IN ('received', 'rejected', 'registered',
        'submitted', 'assigned', 'in_progress', 'completed', 'filed', 'recalled')),
    arrival_number  int CHECK (arrival_number > 0),
    arrival_date    timestamptz,
    arrival_year    int,
    paper           boolean NOT NULL DEFAULT false,
    source_document_id bigint REFERENCES documents(id), -- direct hand-off between local agencies
    reject_reason   text NOT NULL DEFAULT '',
    completed_at    timestamptz,
    digital         boolean NOT NULL DEFAULT true, -- received electronically, not on paper
    CHECK ((direction = 'outgoing') = (outgoing_state IS NOT NULL)),
    CHECK ((direction = 'incoming') = (incoming_state IS NOT NULL)),
    CHECK (direction = 'incoming' OR arrival_number IS NULL),
    CHECK ((arrival_number IS NULL) = (arrival_year IS NULL)),
    CHECK (outgoing_state IS NULL OR outgoing_state IN ('draft', 'in_review', 'returned',
        'approved', 'pending_signature', 'signed') OR (code_number <> '' AND issued_date IS NOT NULL))
);

-- Number + symbol is unique per agency, year and series family (secret or not).
CREATE UNIQUE INDEX documents_outgoing_number_key ON documents
    (agency_id, (extract(year FROM issued_date)), (secrecy <> 'thuong'), code_number, code_notation)
    WHERE direction = 'outgoing' AND code_number <> '';
CREATE UNIQUE INDEX documents_arrival_number_key ON documents
    (agency_id, arrival_year, arrival_number)
    WHERE arrival_number IS NOT NULL;
CREATE INDEX documents_agency_created_idx ON documents (agency_id, direction, created_at DESC, id DESC);
-- Newest first across both directions: search walks it, testing the text, when a term
-- is frequent; the GIN index serves rare terms.
CREATE INDEX documents_agency_recent_idx ON documents (agency_id, created_at DESC, id DESC);
CREATE INDEX documents_external_idx ON documents (agency_id, external_id) WHERE external_id <> '';
CREATE INDEX documents_created_by_idx ON documents (created_by);
CREATE UNIQUE INDEX documents_request_key ON documents (created_by, request_key) WHERE request_key <> '';
CREATE INDEX documents_due_idx ON documents (agency_id, due_date) WHERE due_date IS NOT NULL;

-- Every state change, with who made it, when, and why.
CREATE TABLE document_transitions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id  bigint NOT NULL REFERENCES documents(id),
    from_state   text NOT NULL,
    to_state     text NOT NULL,
    action       text NOT NULL,
    actor_id     bigint REFERENCES users(id), -- NULL for the system (the exchange)
    at           timestamptz NOT NULL DEFAULT now(),
    note         text NOT NULL DEFAULT ''
);
CREATE INDEX document_transitions_document_idx ON document_transitions (document_id, id);

-- Files of a document: every version of the main file (drafts keep them all) and the
-- attachments. The bytes live in blobs.
CREATE TABLE document_files (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id  bigint NOT NULL REFERENCES documents(id),
    kind         text NOT NULL CHECK (kind IN ('main', 'attachment', 'rendition')),
    version      int NOT NULL DEFAULT 1 CHECK (version > 0),
    blob_id      bigint NOT NULL REFERENCES blobs(id),
    file_name    text NOT NULL CHECK (btrim(file_name) <> '' AND length(file_name) <= 255),
    media_type   text NOT NULL,
    note         text NOT NULL DEFAULT '',
    created_by   bigint REFERENCES users(id), -- NULL for the system (exchange, conversion)
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX document_files_main_version_key ON document_files (document_id, version)
    WHERE kind = 'main';
CREATE INDEX document_files_document_idx ON document_files (document_id);

-- Recipients of an outgoing document and the delivery state at each.
CREATE TABLE document_recipients (
    document_id  bigint NOT NULL REFERENCES documents(id),
    ord          int NOT NULL,
    agency_id    bigint REFERENCES agencies(id),
    organ_id     text NOT NULL DEFAULT '',
    name         text NOT NULL CHECK (btrim(name) <> ''),
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent',
        'arrived', 'rejected', 'registered', 'assigned', 'in_progress', 'completed',
        'recalled', 'recall_refused')),
    status_at    timestamptz NOT NULL DEFAULT now(),
    status_note  text NOT NULL DEFAULT '',
    PRIMARY KEY (document_id, ord)
);
CREATE UNIQUE INDEX document_recipients_organ_key ON document_recipients (document_id, organ_id)
    WHERE organ_id <> '';

-- Assignments of an incoming document: one chủ trì, any phối hợp / để biết, each with
-- a deadline and the leader's direction note (bút phê); a unit head names the handler.
CREATE TABLE assignments (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id     bigint NOT NULL REFERENCES documents(id),
    role            text NOT NULL CHECK (role IN ('chu_tri', 'phoi_hop', 'de_biet')),
    unit_id         bigint REFERENCES units(id),
    user_id         bigint REFERENCES users(id),
    deadline        date,
    direction_note  text NOT NULL DEFAULT '',
    assigned_by     bigint NOT NULL REFERENCES users(id),
    assigned_at     timestamptz NOT NULL DEFAULT now(),
    handler_id      bigint REFERENCES users(id),
    handler_assigned_by bigint REFERENCES users(id),
    progress        int NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    progress_note   text NOT NULL DEFAULT '',
    completed_at    timestamptz,
    reply_document_id bigint REFERENCES documents(id),
    CHECK (unit_id IS NOT NULL OR user_id IS NOT NULL),
    CHECK (role = 'de_biet' OR deadline IS NOT NULL)
);
CREATE UNIQUE INDEX assignments_one_lead_key ON assignments (document_id) WHERE role = 'chu_tri';
CREATE INDEX assignments_document_idx ON assignments (document_id);
-- Covering indexes: the visibility rule reads a person's (or unit's) documents from
-- them with index-only scans.
CREATE INDEX assignments_user_doc_idx ON assignments (user_id, document_id) WHERE user_id IS NOT NULL;
CREATE INDEX assignments_handler_doc_idx ON assignments (handler_id, document_id) WHERE handler_id IS NOT NULL;
CREATE INDEX assignments_unit_doc_idx ON assignments (unit_id, document_id) WHERE unit_id IS NOT NULL;

-- Explicit access to a secret document.
CREATE TABLE document_grants (
    document_id  bigint NOT NULL REFERENCES documents(id),
    user_id      bigint NOT NULL REFERENCES users(id),
    granted_by   bigint NOT NULL REFERENCES users(id),
    granted_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, user_id)
);
CREATE INDEX document_grants_user_idx ON document_grants (user_id);

-- Records (hồ sơ) that documents are filed into.
CREATE TABLE records (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id   bigint NOT NULL REFERENCES agencies(id),
    code        text NOT NULL CHECK (btrim(code) <> ''),
    title       text NOT NULL CHECK (btrim(title) <> ''),
    year        int NOT NULL,
    created_by  bigint NOT NULL REFERENCES users(id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT records_code_key UNIQUE (agency_id, year, code)
);
CREATE TABLE record_documents (
    record_id    bigint NOT NULL REFERENCES records(id),
    document_id  bigint NOT NULL REFERENCES documents(id),
    filed_by     bigint NOT NULL REFERENCES users(id),
    filed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (record_id, document_id)
);

-- The transactional outbox: lifecycle events (edXML status codes 01–06 for the
-- exchange) and deadline reminders, written in the transaction of the change they
-- describe, claimed by consumers with FOR UPDATE SKIP LOCKED.
CREATE TABLE document_outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('status', 'send', 'recall', 'reminder', 'convert')),
    document_id  bigint NOT NULL REFERENCES documents(id),
    code         text NOT NULL DEFAULT '' CHECK (kind <> 'status' OR code IN ('01', '02', '03', '04', '05', '06')),
    payload      jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    attempts     int NOT NULL DEFAULT 0,
    done_at      timestamptz,
    last_error   text NOT NULL DEFAULT ''
);
CREATE INDEX document_outbox_pending_idx ON document_outbox (kind, id) WHERE done_at IS NULL;
CREATE UNIQUE INDEX document_outbox_reminder_key ON document_outbox (document_id, (payload->>'key'))
    WHERE kind = 'reminder';

-- +goose Down
DROP TABLE document_outbox, record_documents, records, document_grants, assignments,
    document_recipients, document_files, document_transitions, documents,
    number_counters, numbering_settings, blob_chunks, blobs;
DROP FUNCTION docs_number(int);
