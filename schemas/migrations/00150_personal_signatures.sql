-- +goose Up
-- Personal signatures in two phases (issue 14): the server prepares the PDF and the
-- data to sign, the person's device (a remote-signing provider or the local agent)
-- signs the digest, and any instance completes the signature from what is stored
-- here. The person's key never reaches the server; their certificates are recorded.

-- A signature prepared and waiting for its value. The prepared PDF is a blob of its
-- own, deleted with the row (completion, abandonment, or expiry: every preparation
-- removes the expired rows first). Nothing about the document changes meanwhile.
CREATE TABLE pending_signatures (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    document_id       bigint NOT NULL REFERENCES documents(id),
    user_id           bigint NOT NULL REFERENCES users(id),
    agency_id         bigint NOT NULL REFERENCES agencies(id), -- the agency the signer acts in
    source_file_id    bigint NOT NULL REFERENCES document_files(id), -- the PDF it was prepared from
    prepared_blob_id  bigint NOT NULL REFERENCES blobs(id),
    device            text NOT NULL CHECK (device IN ('remote', 'agent')),
    provider          text NOT NULL DEFAULT '',
    credential_id     text NOT NULL DEFAULT '',
    certificate       bytea NOT NULL,
    chain             bytea[] NOT NULL DEFAULT '{}',
    state             bytea NOT NULL, -- the signing hook's own state (JSON)
    digest            bytea NOT NULL,
    hash              text NOT NULL CHECK (hash IN ('SHA-256', 'SHA-384', 'SHA-512')),
    label             text NOT NULL,
    competence        text NOT NULL DEFAULT '',
    position          text NOT NULL DEFAULT '',
    note              text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL
);
CREATE INDEX pending_signatures_expires_idx ON pending_signatures (expires_at);
CREATE INDEX pending_signatures_document_idx ON pending_signatures (document_id, user_id);

-- The certificates a person signed with (first use) or the administrator imported.
CREATE TABLE person_certificates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id),
    sha256      bytea NOT NULL CHECK (length(sha256) = 32),
    der         bytea NOT NULL,
    subject     text NOT NULL,
    serial      text NOT NULL,
    not_before  timestamptz NOT NULL,
    not_after   timestamptz NOT NULL,
    source      text NOT NULL CHECK (source IN ('first_use', 'admin')),
    added_at    timestamptz NOT NULL DEFAULT now(),
    added_by    bigint REFERENCES users(id),
    CONSTRAINT person_certificates_user_sha256_key UNIQUE (user_id, sha256)
);

-- An agency may require every person to sign with their own key (no server-held key).
ALTER TABLE agencies ADD COLUMN require_personal_keys boolean NOT NULL DEFAULT false;

-- The person's remote-signing provider and account there ('' = their username), and
-- their identifier (mã định danh / CCCD), which a certificate may carry.
ALTER TABLE users
    ADD COLUMN signing_provider text NOT NULL DEFAULT '',
    ADD COLUMN signing_account text NOT NULL DEFAULT '',
    ADD COLUMN identifier text NOT NULL DEFAULT '';

-- Which key made the competent person's signature a version added: server (the
-- server's keyring: the demo), remote, agent; NULL for a version that added none (the
-- agency's seal is always the agency's key, on the server or its HSM).
ALTER TABLE document_files ADD COLUMN signature_device text
    CHECK (signature_device IN ('server', 'remote', 'agent'));

-- +goose Down
ALTER TABLE document_files DROP COLUMN signature_device;
ALTER TABLE users DROP COLUMN signing_provider, DROP COLUMN signing_account, DROP COLUMN identifier;
ALTER TABLE agencies DROP COLUMN require_personal_keys;
DROP TABLE person_certificates;
DROP TABLE pending_signatures;
