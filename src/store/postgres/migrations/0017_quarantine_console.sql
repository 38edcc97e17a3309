-- Version 17: the quarantine console (issue 20, docs/quarantine.md). What an administrator needs to
-- find and fix a refused input: the sender it claims (MSH-3|MSH-4, not patient data), where the
-- parser or mapper stopped (segment, field, byte), and how the entry was resolved: re-processed
-- into an interrogation or an applied ADT message (the link is kept), or discarded with a reason
-- (sealed in the audit record, never here).
ALTER TABLE quarantine ADD COLUMN sender TEXT NOT NULL DEFAULT '';
ALTER TABLE quarantine ADD COLUMN segment TEXT NOT NULL DEFAULT '';
ALTER TABLE quarantine ADD COLUMN field BIGINT;
ALTER TABLE quarantine ADD COLUMN byte_offset BIGINT;
ALTER TABLE quarantine ADD COLUMN resolution TEXT
  CHECK (resolution IS NULL OR resolution IN ('reprocessed', 'discarded'));
ALTER TABLE quarantine ADD COLUMN interrogation_id BIGINT REFERENCES interrogation (id);
ALTER TABLE quarantine ADD COLUMN adt_message_id BIGINT REFERENCES adt_message (id);
ALTER TABLE quarantine ADD COLUMN resolved_by BIGINT REFERENCES app_user (id);
CREATE INDEX quarantine_open ON quarantine (resolved_us, id);
