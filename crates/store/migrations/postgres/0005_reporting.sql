-- The commitments tracker (issue 7): governments' and partners' pledges, each tied to an
-- indicator of the report catalogue. `body` is the pledge's JSON (store::reporting::PledgeDoc):
-- public commitments, nothing about a child, so nothing is sealed. History entries go to
-- record_history as record_type 'pledge'; progress is computed when read, never stored.
CREATE TABLE pledges (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          UUID NOT NULL UNIQUE,
    version     BIGINT NOT NULL,
    agency_id   UUID NOT NULL REFERENCES agencies (id),
    created_by  UUID NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    body        TEXT NOT NULL
);
