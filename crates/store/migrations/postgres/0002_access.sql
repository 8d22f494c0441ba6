-- Roles as data, groups, second factors, throttling, scoped tokens, break-the-glass grants and
-- alerts. The seeded roles themselves are written by the store at open, from
-- haven_domain::access::seeded_roles, so the domain stays their one source.

CREATE TABLE roles (
    name         TEXT PRIMARY KEY,
    description  TEXT NOT NULL,
    -- JSON arrays of permission and field-class names
    permissions  TEXT NOT NULL,
    scope        TEXT NOT NULL,
    sees         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

-- The foundation's two roles become seeded ones.
UPDATE users SET role = 'system_admin' WHERE role = 'admin';

ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TIMESTAMPTZ;
-- The TOTP secret, sealed (crypto::field) like any sensitive value.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
-- The last time step accepted, so a code cannot be replayed.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
CREATE INDEX users_role ON users (role);

CREATE TABLE recovery_codes (
    user_id  UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    digest   TEXT NOT NULL,
    used_at  TIMESTAMPTZ,
    PRIMARY KEY (user_id, digest)
);

CREATE TABLE groups (
    id          UUID PRIMARY KEY,
    agency_id   UUID NOT NULL REFERENCES agencies (id),
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (agency_id, name)
);

CREATE TABLE group_members (
    group_id  UUID NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- 'complete', or 'pending' until the second factor is given, or 'enrol' until one is set up.
ALTER TABLE sessions ADD COLUMN mfa TEXT NOT NULL DEFAULT 'complete';
ALTER TABLE sessions ADD COLUMN csrf_token TEXT NOT NULL DEFAULT '';

-- JSON array of permission names the token is limited to; NULL: its user's whole role.
ALTER TABLE api_tokens ADD COLUMN permissions TEXT;

CREATE TABLE access_grants (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users (id),
    record_type  TEXT NOT NULL,
    record_id    UUID NOT NULL,
    -- sealed: a reason may name the child
    reason       TEXT NOT NULL,
    granted_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX access_grants_user ON access_grants (user_id, record_type, expires_at);

CREATE TABLE alerts (
    id            UUID PRIMARY KEY,
    kind          TEXT NOT NULL,
    agency_id     UUID NOT NULL REFERENCES agencies (id),
    record_type   TEXT,
    record_id     UUID,
    subject_user  UUID REFERENCES users (id),
    details       TEXT NOT NULL,
    raised_at     TIMESTAMPTZ NOT NULL,
    resolved_at   TIMESTAMPTZ
);
CREATE INDEX alerts_open ON alerts (agency_id, resolved_at);

-- Consent and legal basis, per case. The indexed columns drive the rules (domain::consent::check);
-- body is the whole consent as given, sealed: it names the caregiver or representative.
CREATE TABLE consents (
    id            UUID PRIMARY KEY,
    case_id       UUID NOT NULL REFERENCES cases (id),
    basis         TEXT NOT NULL,
    -- JSON arrays of codes
    purposes      TEXT NOT NULL,
    recipients    TEXT NOT NULL,
    given_on      DATE NOT NULL,
    withdrawn_on  DATE,
    body          TEXT NOT NULL,
    recorded_by   UUID NOT NULL REFERENCES users (id),
    recorded_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX consents_case ON consents (case_id);
