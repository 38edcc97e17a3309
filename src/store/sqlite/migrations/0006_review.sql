-- Version 6: the clinic's work on each interrogation. Every current interrogation has one review
-- row: its place in the triage queue (severity from the alert rules, due time), who it is assigned
-- to, and its state: new → reviewed (clinician) → signed (physician; locked). Notes are sealed.
CREATE TABLE interrogation_review (
  interrogation_id INTEGER PRIMARY KEY REFERENCES interrogation (id),
  state TEXT NOT NULL CHECK (state IN ('new', 'reviewed', 'signed')),
  severity INTEGER NOT NULL DEFAULT 0 CHECK (severity BETWEEN 0 AND 3),
  due_us INTEGER,
  received_us INTEGER NOT NULL,
  assigned_to INTEGER REFERENCES app_user (id),
  reviewed_by INTEGER REFERENCES app_user (id),
  reviewed_us INTEGER,
  signed_by INTEGER REFERENCES app_user (id),
  signed_us INTEGER
) STRICT;

-- The queue: open work, most severe first, then oldest.
CREATE INDEX interrogation_review_open ON interrogation_review (severity DESC, received_us)
  WHERE state <> 'signed';

CREATE TABLE interrogation_note (
  id INTEGER PRIMARY KEY,
  interrogation_id INTEGER NOT NULL REFERENCES interrogation (id),
  author_id INTEGER NOT NULL REFERENCES app_user (id),
  kind TEXT NOT NULL CHECK (kind IN ('note', 'review', 'signoff')),
  created_us INTEGER NOT NULL,
  note BLOB NOT NULL
) STRICT;
CREATE INDEX interrogation_note_of ON interrogation_note (interrogation_id, id);

-- Interrogations stored before this version have not been reviewed in heartbase.
INSERT INTO interrogation_review (interrogation_id, state, received_us)
  SELECT id, 'new', received_us FROM interrogation WHERE superseded_by IS NULL;
