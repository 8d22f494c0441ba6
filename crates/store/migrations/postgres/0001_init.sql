-- Haven's schema on PostgreSQL.
--
-- Deployment note: the application should connect as a role that does not own these tables, and
-- the audit log must not be changeable by it even if the trigger below is dropped by its owner:
--
--     GRANT SELECT, INSERT ON audit_log TO haven_app;
--     GRANT SELECT, UPDATE ON audit_head TO haven_app;
--     REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM haven_app;
--
-- (haven_app being the application's login role; migrations run as the owner.)

CREATE TABLE agencies (
    id          UUID PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id             UUID PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    agency_id      UUID NOT NULL REFERENCES agencies (id),
    role           TEXT NOT NULL,
    password_hash  TEXT,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_agency ON users (agency_id);

CREATE TABLE sessions (
    token_digest  TEXT PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id            UUID PRIMARY KEY,
    token_digest  TEXT NOT NULL UNIQUE,
    user_id       UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE cases (
    seq                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                 UUID NOT NULL UNIQUE,
    version            BIGINT NOT NULL,
    agency_id          UUID NOT NULL REFERENCES agencies (id),
    caseworker_id      UUID NOT NULL REFERENCES users (id),
    created_by         UUID NOT NULL REFERENCES users (id),
    status             TEXT NOT NULL,
    risk_level         TEXT,
    separation_status  TEXT,
    location_pcode     TEXT,
    registration_date  DATE NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    -- serde_json of the CaseDoc
    body               TEXT NOT NULL
);
CREATE INDEX cases_agency_seq ON cases (agency_id, seq);

CREATE TABLE tracing_requests (
    seq               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                UUID NOT NULL UNIQUE,
    version           BIGINT NOT NULL,
    agency_id         UUID NOT NULL REFERENCES agencies (id),
    created_by        UUID NOT NULL REFERENCES users (id),
    status            TEXT NOT NULL,
    -- the P-code of the place of separation
    separation_pcode  TEXT,
    date_of_inquiry   DATE NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    -- serde_json of the TracingRequestDoc
    body              TEXT NOT NULL
);
CREATE INDEX tracing_requests_agency_seq ON tracing_requests (agency_id, seq);

-- The history of every record kind: record_type is 'case' or 'tracing_request' (store::door), and
-- record_id the id in that kind's table, written in the same transaction as the record.
CREATE TABLE record_history (
    record_type  TEXT NOT NULL,
    record_id    UUID NOT NULL,
    version      BIGINT NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    actor_id     UUID NOT NULL REFERENCES users (id),
    action       TEXT NOT NULL,
    -- JSON array of FieldChange
    changes      TEXT NOT NULL,
    PRIMARY KEY (record_type, record_id, version)
);

-- The hash-chained audit log (see src/audit.rs). Append-only: the trigger refuses UPDATE, DELETE
-- and TRUNCATE; the chain and audit_head catch whoever disables it first.
CREATE TABLE audit_log (
    seq          BIGINT PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL,
    actor        TEXT,
    action       TEXT NOT NULL,
    target_type  TEXT,
    target_id    TEXT,
    details      TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- The last entry, locked (SELECT ... FOR UPDATE) and updated by each append in the same
-- transaction: this serialises appenders across app servers, and deleting the newest entries
-- leaves it pointing past the end of the log.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
