-- Case management (issue 5). A case's workflow (domain::casework::workflow::Workflow) is kept
-- beside its document, sealed as a whole; NULL is a case just registered. It is written only by
-- the workflow door, never by a merge patch of the document.
ALTER TABLE cases ADD COLUMN workflow TEXT;

-- Open alerts are looked up by the record they are about (a case's detention alert).
CREATE INDEX alerts_record_open ON alerts (record_type, record_id) WHERE resolved_at IS NULL;
