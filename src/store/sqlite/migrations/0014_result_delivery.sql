-- Version 14: results out to the hospital's EHR (issue 19, src/ehr). One row per signed
-- interrogation and configured destination, written in the sign-off's transaction (or by an
-- audited resend). The delivery worker inside serve builds the HL7 message when it sends (the
-- signed report is rendered after the sign-off commits), one at a time per destination in id
-- order, with the same MSH-10 on every attempt. last_error holds the receiver's ACK text or a
-- transport error; the ACK text comes from another system and may name the patient, so it is
-- sealed (associated data: result_delivery, last_error, id).
CREATE TABLE result_delivery (
  id INTEGER PRIMARY KEY,
  interrogation_id INTEGER NOT NULL REFERENCES interrogation (id),
  patient_id INTEGER NOT NULL REFERENCES patient (id),
  destination TEXT NOT NULL CHECK (length(destination) BETWEEN 1 AND 64),
  control_id TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_us INTEGER NOT NULL,
  last_error BLOB,
  ack_code TEXT,
  created_us INTEGER NOT NULL,
  updated_us INTEGER NOT NULL,
  sent_us INTEGER,
  -- Sent again by a person as this newer row (a resend is a new message with a new MSH-10); a
  -- row is resent at most once, so the work list shows what took its place.
  resent_as INTEGER REFERENCES result_delivery (id)
) STRICT;
CREATE INDEX result_delivery_open ON result_delivery (destination, id) WHERE state = 'pending';
CREATE INDEX result_delivery_state ON result_delivery (state, updated_us);
