-- Version 11: a duplicate is the same sender, the same control id (MSH-10) and the same bytes.
-- Senders reuse control ids (counters that restart after a gateway reboot, ids made from a
-- timestamp at one-second resolution, two interfaces sharing an application name), so a message
-- that reuses one with other content is stored and flagged instead of being taken for a retry.
-- SQLite cannot drop a table constraint, so the table is rebuilt without UNIQUE (sender,
-- control_id). Foreign keys are deferred to the commit: dropping the table orphans the rows that
-- refer to it, and inserting the same ids again adopts them, so the commit checks the result.
CREATE TABLE interrogation_v10 AS SELECT * FROM interrogation;
PRAGMA defer_foreign_keys = ON;
DROP TABLE interrogation;
CREATE TABLE interrogation (
  id INTEGER PRIMARY KEY,
  patient_id INTEGER NOT NULL REFERENCES patient (id),
  device_id INTEGER NOT NULL REFERENCES device (id),
  sender TEXT NOT NULL,
  control_id TEXT NOT NULL,
  session_lookup BLOB NOT NULL,
  session_type TEXT NOT NULL,
  session_us INTEGER,
  result_status TEXT NOT NULL,
  superseded_by INTEGER REFERENCES interrogation (id),
  raw_blob_id INTEGER NOT NULL REFERENCES blob (id),
  received_us INTEGER NOT NULL,
  observation_count INTEGER NOT NULL,
  warning_count INTEGER NOT NULL,
  -- 1 when an earlier message of the same sender carried this control id with other bytes.
  control_id_reused INTEGER NOT NULL DEFAULT 0 CHECK (control_id_reused IN (0, 1))
) STRICT;
INSERT INTO interrogation (id, patient_id, device_id, sender, control_id, session_lookup,
  session_type, session_us, result_status, superseded_by, raw_blob_id, received_us,
  observation_count, warning_count)
SELECT id, patient_id, device_id, sender, control_id, session_lookup, session_type, session_us,
  result_status, superseded_by, raw_blob_id, received_us, observation_count, warning_count
FROM interrogation_v10;
DROP TABLE interrogation_v10;
CREATE INDEX interrogation_patient ON interrogation (patient_id, session_us);
CREATE INDEX interrogation_session ON interrogation (session_lookup);
-- The same bytes are one blob (content-addressed), so this is "the same message once".
CREATE UNIQUE INDEX interrogation_message ON interrogation (sender, control_id, raw_blob_id);
CREATE INDEX interrogation_reused ON interrogation (sender) WHERE control_id_reused = 1;
