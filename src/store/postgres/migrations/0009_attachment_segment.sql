-- Version 9: a document (a PDF report, an EGM) is stored once, in the raw message that carried it.
-- segment is the 1-based position of its OBX in that message; the bytes are decoded from the
-- message when they are read. Rows written before version 9 keep their blob_id.
ALTER TABLE attachment ADD COLUMN segment BIGINT CHECK (segment IS NULL OR segment > 0);
