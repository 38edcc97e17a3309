-- Version 3: the audit trail (src/audit, docs/audit.md). One row per audited action, written in
-- the same transaction as the action. Rows form a hash chain: hash = BLAKE2b-256 of the canonical
-- encoding of every other column, prev_hash = the previous row's hash. Checkpoints sign the chain
-- with an Ed25519 key kept outside the database. No patient data in the clear: patients appear by
-- internal id only; a free-text note (break-glass reason) is sealed with the key ring.

CREATE TABLE audit_event (
  seq INTEGER PRIMARY KEY,  -- 1, 2, 3 … without gaps, assigned by audit::Append
  time_us INTEGER NOT NULL,
  user_name TEXT NOT NULL,
  user_id INTEGER,
  role TEXT NOT NULL,
  clinic_id INTEGER,
  address TEXT NOT NULL,
  action TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  patient_id INTEGER,  -- internal id; no foreign key: the trail outlives what it describes
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
  detail TEXT NOT NULL,
  note BLOB,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL
) STRICT;
CREATE INDEX audit_event_patient ON audit_event (patient_id, seq) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_event_user ON audit_event (user_id, seq) WHERE user_id IS NOT NULL;

-- A signature over (seq, hash, time_us, prev_seq) of the chain's tail at time_us.
CREATE TABLE audit_checkpoint (
  seq INTEGER PRIMARY KEY,      -- the last event covered
  hash BLOB NOT NULL,           -- audit_event.hash at seq
  time_us INTEGER NOT NULL,
  prev_seq INTEGER NOT NULL,    -- the previous checkpoint's seq, 0 for the first
  key_id TEXT NOT NULL,         -- fingerprint of the signing public key
  signature BLOB NOT NULL       -- Ed25519
) STRICT;

-- Append-only: the application never updates or deletes audit rows, and these triggers refuse it
-- to anyone using the application's connection. (They do not stop someone who can rewrite the
-- file; the chain and the signed checkpoints make that evident.)
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint
BEGIN SELECT RAISE(ABORT, 'audit_checkpoint is append-only'); END;
CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
BEGIN SELECT RAISE(ABORT, 'audit_checkpoint is append-only'); END;
