-- Version 13: the configured recipients of signed reports (referring physicians), per clinic.
-- A report is sent only to one of these ("send report", docs/notify.md), never to an address typed
-- at the moment of sending. name is how staff recognise the recipient ("Dr. A. Referrer"), not
-- patient data. address (an email addr-spec or a +digits fax number) is sealed by the application
-- (associated data: report_recipient, address, id). A recipient is disabled, never deleted: the
-- audit trail and old outbox jobs name it by id.
CREATE TABLE report_recipient (
  id INTEGER PRIMARY KEY,
  clinic_id INTEGER NOT NULL REFERENCES clinic (id),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  channel TEXT NOT NULL CHECK (channel IN ('email', 'fax')),
  address BLOB NOT NULL,
  created_us INTEGER NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
) STRICT;
CREATE INDEX report_recipient_clinic ON report_recipient (clinic_id);
