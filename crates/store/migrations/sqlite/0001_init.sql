-- Haven's schema on SQLite. Ids are hyphenated UUID text; times are RFC 3339 text in UTC with
-- exactly six fractional digits (audit::format_at), so text order is time order.

CREATE TABLE agencies (
    id          TEXT PRIMARY KEY NOT NULL,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY NOT NULL,
    email          TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    agency_id      TEXT NOT NULL REFERENCES agencies (id),
    role           TEXT NOT NULL,
    password_hash  TEXT,
    active         INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL
);
CREATE INDEX users_agency ON users (agency_id);

CREATE TABLE sessions (
    token_digest  TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY NOT NULL,
    token_digest  TEXT NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT,
    revoked_at    TEXT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE cases (
    seq                INTEGER PRIMARY KEY,
    id                 TEXT NOT NULL UNIQUE,
    version            INTEGER NOT NULL,
    agency_id          TEXT NOT NULL REFERENCES agencies (id),
    caseworker_id      TEXT NOT NULL REFERENCES users (id),
    created_by         TEXT NOT NULL REFERENCES users (id),
    status             TEXT NOT NULL,
    risk_level         TEXT,
    separation_status  TEXT,
    location_pcode     TEXT,
    registration_date  TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    -- serde_json of the CaseDoc
    body               TEXT NOT NULL
);
CREATE INDEX cases_agency_seq ON cases (agency_id, seq);

CREATE TABLE tracing_requests (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    version           INTEGER NOT NULL,
    agency_id         TEXT NOT NULL REFERENCES agencies (id),
    created_by        TEXT NOT NULL REFERENCES users (id),
    status            TEXT NOT NULL,
    -- the P-code of the place of separation
    separation_pcode  TEXT,
    date_of_inquiry   TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    -- serde_json of the TracingRequestDoc
    body              TEXT NOT NULL
);
CREATE INDEX tracing_requests_agency_seq ON tracing_requests (agency_id, seq);

-- The history of every record kind: record_type is 'case' or 'tracing_request' (store::door), and
-- record_id the id in that kind's table, written in the same transaction as the record.
CREATE TABLE record_history (
    record_type  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    version      INTEGER NOT NULL,
    at           TEXT NOT NULL,
    actor_id     TEXT NOT NULL REFERENCES users (id),
    action       TEXT NOT NULL,
    -- JSON array of FieldChange
    changes      TEXT NOT NULL,
    PRIMARY KEY (record_type, record_id, version)
);

-- The hash-chained audit log (see src/audit.rs). Append-only: the triggers below refuse UPDATE and
-- DELETE; the chain and audit_head catch whoever removes the triggers first.
CREATE TABLE audit_log (
    seq          INTEGER PRIMARY KEY NOT NULL,
    at           TEXT NOT NULL,
    actor        TEXT,
    action       TEXT NOT NULL,
    target_type  TEXT,
    target_id    TEXT,
    details      TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- The last entry, updated in the same transaction as each append: deleting the newest entries
-- leaves it pointing past the end of the log.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
