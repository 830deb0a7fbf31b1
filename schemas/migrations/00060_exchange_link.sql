-- +goose Up
-- The node's exchange link (package liaison/exchange): the peers it accepts packages
-- from, its exactly-once inbox, its sending log, and the directory of the network as
-- its hub last listed it.

-- A peer is a hub or node allowed to call this node's exchange listener, recognised
-- by the SHA-256 of its certificate's public key. A node peer may only deliver
-- packages from the agencies it serves; a hub has checked its senders at its edge.
CREATE TABLE exchange_peers (
    name        text PRIMARY KEY CHECK (name ~ '^[[:alnum:]._-]{1,100}$'),
    role        text NOT NULL CHECK (role IN ('hub', 'node')),
    spki        text NOT NULL CONSTRAINT exchange_peers_spki_key UNIQUE CHECK (spki ~ '^[0-9a-f]{64}$'),
    agencies    text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per package registered, under the protocol's duplicate key: a resend of
-- the same package finds its row and gets the same receipt.
CREATE TABLE exchange_inbox (
    from_organ_id  text NOT NULL,
    document_id    text NOT NULL,
    business       int NOT NULL CHECK (business BETWEEN 0 AND 3),
    recipient      text NOT NULL,
    package_id     text NOT NULL CHECK (length(package_id) BETWEEN 1 AND 200),
    kind           text NOT NULL CHECK (kind IN ('document', 'status')),
    receipt_id     uuid NOT NULL, -- shared by the recipients one request registers
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    peer           text NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    local_document_id bigint REFERENCES documents(id),
    PRIMARY KEY (from_organ_id, document_id, business, recipient, package_id)
);
CREATE INDEX exchange_inbox_receipt_idx ON exchange_inbox (receipt_id);

-- The node's sending log: one row per package and recipient, updated at each
-- attempt, for tracking and metrics.
CREATE TABLE exchange_outbound (
    package_id     text NOT NULL,
    recipient      text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('package', 'status')),
    document_id    bigint,
    state          text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    receipt_id     text NOT NULL DEFAULT '',
    hub_received_at timestamptz,
    attempts       int NOT NULL DEFAULT 0,
    last_error     text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (package_id, recipient)
);
CREATE INDEX exchange_outbound_document_idx ON exchange_outbound (document_id);

-- The network's directory as the hub serves it: which node serves each agency, and
-- when its service ended. An agency the directory places on another node is
-- external to this one (served_here false): packages to it go through the hub.
CREATE TABLE exchange_directory (
    organ_id    text PRIMARY KEY,
    hub         text NOT NULL DEFAULT '',
    node        text NOT NULL DEFAULT '',
    served_here boolean NOT NULL DEFAULT false,
    start_at    timestamptz,
    end_at      timestamptz,
    synced_at   timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE exchange_directory;
DROP TABLE exchange_outbound;
DROP TABLE exchange_inbox;
DROP TABLE exchange_peers;
