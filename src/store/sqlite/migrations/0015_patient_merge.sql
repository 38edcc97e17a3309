-- Version 15: ADT in (issue 19 §3, docs/ehr.md). The hospital's ADT messages create and update
-- patients and merge them (A40/A39/A18).
-- adt_message: one row per applied ADT message, so that the sender's retry (same sender, MSH-10
-- and bytes) is acknowledged again without being applied twice. patient_id is the patient the
-- message created, updated or merged into; no foreign key, since a later merge may remove it.
CREATE TABLE adt_message (
  id INTEGER PRIMARY KEY,
  sender TEXT NOT NULL,
  control_id TEXT NOT NULL,
  event TEXT NOT NULL CHECK (length(event) BETWEEN 1 AND 8),
  raw_blob_id INTEGER NOT NULL REFERENCES blob (id),
  patient_id INTEGER NOT NULL,
  received_us INTEGER NOT NULL
) STRICT;
CREATE INDEX adt_message_control ON adt_message (sender, control_id);

-- patient_merge: the history of merges. merged_from no longer exists after the merge (its rows
-- moved to merged_into), hence no foreign keys. sender and control_id name the ADT message that
-- asked for it (empty for a merge made by a person in heartbase).
CREATE TABLE patient_merge (
  id INTEGER PRIMARY KEY,
  merged_from INTEGER NOT NULL,
  merged_into INTEGER NOT NULL,
  clinic_id INTEGER NOT NULL,
  sender TEXT NOT NULL,
  control_id TEXT NOT NULL,
  merged_us INTEGER NOT NULL,
  CHECK (merged_from <> merged_into)
) STRICT;
CREATE INDEX patient_merge_from ON patient_merge (merged_from);
CREATE INDEX patient_merge_into ON patient_merge (merged_into);
