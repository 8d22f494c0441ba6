-- The commitments tracker (issue 7): governments' and partners' pledges, each tied to an
-- indicator of the report catalogue. `body` is the pledge's JSON (store::reporting::PledgeDoc):
-- public commitments, nothing about a child, so nothing is sealed. History entries go to
-- record_history as record_type 'pledge'; progress is computed when read, never stored.
CREATE TABLE pledges (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    version     INTEGER NOT NULL,
    agency_id   TEXT NOT NULL REFERENCES agencies (id),
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    body        TEXT NOT NULL
);
