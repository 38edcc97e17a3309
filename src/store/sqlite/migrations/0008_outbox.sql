-- Version 8: the outbox (docs/notify.md). A job is written in the same transaction as its cause
-- (an alert, a sign-off, a "send report" action) and delivered by `heartbase notify`, which leases
-- it from `heartbase serve` over a local socket and never touches this database.
-- recipient, subject, body and attachment are sealed by the application (associated data:
-- outbox_job, column, id). ticket and link are identifiers without patient data. last_error is an
-- operational message (a libcurl error, a gateway status), never message content.
CREATE TABLE outbox_job (
  id INTEGER PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 128),
  kind TEXT NOT NULL CHECK (kind IN ('alert', 'signoff', 'report', 'test')),
  channel TEXT NOT NULL CHECK (channel IN ('email', 'pager', 'fax')),
  recipient BLOB NOT NULL,
  subject BLOB NOT NULL,
  body BLOB NOT NULL,
  attachment BLOB,
  ticket TEXT NOT NULL,
  link TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'sent', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts INTEGER NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),
  first_backoff_ms INTEGER NOT NULL CHECK (first_backoff_ms >= 0),
  next_attempt_us INTEGER NOT NULL,
  lease_holder TEXT,
  lease_expires_us INTEGER,
  last_error TEXT,
  created_us INTEGER NOT NULL,
  updated_us INTEGER NOT NULL,
  sent_us INTEGER
) STRICT;

-- Work that may be leased: due pending jobs and leases that have expired, oldest first.
CREATE INDEX outbox_job_open ON outbox_job (next_attempt_us, id) WHERE state IN ('pending', 'leased');
CREATE INDEX outbox_job_dead ON outbox_job (updated_us) WHERE state = 'dead';
