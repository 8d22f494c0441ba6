-- Case management (issue 5). A case's workflow (domain::casework::workflow::Workflow) is kept
-- beside its document, sealed as a whole; NULL is a case just registered. It is written only by
-- the workflow door, never by a merge patch of the document.
ALTER TABLE cases ADD COLUMN workflow TEXT;

-- Open alerts are looked up by the record they are about (a case's detention alert).
CREATE INDEX alerts_record_open ON alerts (record_type, record_id) WHERE resolved_at IS NULL;

-- The records of a case's work that have lives of their own: referrals (with the receiving
-- agency, which sees them too), flags and notes. `body` is the item's JSON, sealed whole (a note
-- with the associated data `case_notes:{id}:text`); `status` is the state the rules depend on.
-- Their history entries are in record_history as record_type 'case_item' (codes only).
CREATE TABLE case_items (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    agency_id     TEXT NOT NULL REFERENCES agencies (id),
    to_agency_id  TEXT REFERENCES agencies (id),
    status        TEXT NOT NULL,
    version       INTEGER NOT NULL,
    created_by    TEXT NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    body          TEXT NOT NULL
);
CREATE INDEX case_items_case ON case_items (case_id, seq);
CREATE INDEX case_items_to_agency ON case_items (to_agency_id, seq);

-- An incident concerns one or more children: its row names the first case, and every case it
-- concerns (the first included) has a link here, so each child's timeline shows it.
CREATE TABLE case_item_links (
    item_id  TEXT NOT NULL REFERENCES case_items (id),
    case_id  TEXT NOT NULL REFERENCES cases (id),
    PRIMARY KEY (item_id, case_id)
);
CREATE INDEX case_item_links_case ON case_item_links (case_id);
