-- Version 12: follow-up reports (src/report, docs/reports.md). The PDF is a sealed,
-- content-addressed blob (kind 'report'); a row names it. The signed report of an interrogation is
-- rendered once, at or after sign-off, and never replaced: at most one signed row per
-- interrogation. Drafts are rendered on demand and not stored. sha256 is the hash of the PDF file
-- (not of patient data), for a recipient to compare against.
CREATE TABLE report (
  id INTEGER PRIMARY KEY,
  interrogation_id INTEGER NOT NULL REFERENCES interrogation (id),
  blob_id INTEGER NOT NULL REFERENCES blob (id),
  page_size TEXT NOT NULL CHECK (page_size IN ('a4', 'letter')),
  signed INTEGER NOT NULL CHECK (signed IN (0, 1)),
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
  bytes INTEGER NOT NULL,
  signing_key TEXT NOT NULL,
  created_us INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX report_signed ON report (interrogation_id) WHERE signed = 1;

-- The clinic's report header. Not patient data: the clinic's own postal address (lines separated
-- by LF), its IANA time zone for the times a report shows, its paper size, and its logo (a PNG
-- blob, kind 'logo').
ALTER TABLE clinic ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE clinic ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE clinic ADD COLUMN page_size TEXT NOT NULL DEFAULT 'a4'
  CHECK (page_size IN ('a4', 'letter'));
ALTER TABLE clinic ADD COLUMN logo_blob_id INTEGER REFERENCES blob (id);

-- A "send report" job carries a reference to the stored report; the delivery worker receives the
-- document through serve's authenticated lease channel, never from this table's sealed columns.
ALTER TABLE outbox_job ADD COLUMN report_id INTEGER REFERENCES report (id);
