-- Version 11: a duplicate is the same sender, the same control id (MSH-10) and the same bytes.
-- Senders reuse control ids (counters that restart after a gateway reboot, ids made from a
-- timestamp at one-second resolution, two interfaces sharing an application name), so a message
-- that reuses one with other content is stored and flagged instead of being taken for a retry.
-- The SQLite migration rebuilds the table; here the constraint is dropped and the column added in
-- place (existing rows get 0), which keeps the rows, the indexes and the foreign keys to it.
ALTER TABLE interrogation DROP CONSTRAINT interrogation_sender_control_id_key;
-- 1 when an earlier message of the same sender carried this control id with other bytes.
ALTER TABLE interrogation ADD COLUMN control_id_reused BIGINT NOT NULL DEFAULT 0
  CHECK (control_id_reused IN (0, 1));
-- The same bytes are one blob (content-addressed), so this is "the same message once".
CREATE UNIQUE INDEX interrogation_message ON interrogation (sender, control_id, raw_blob_id);
CREATE INDEX interrogation_reused ON interrogation (sender) WHERE control_id_reused = 1;
