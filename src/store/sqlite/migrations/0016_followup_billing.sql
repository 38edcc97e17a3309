-- Version 16: follow-up scheduling and billing (issue 23, src/billing, docs/billing.md).

-- The monitoring plan: how often a patient is followed remotely and in clinic. Resolved most
-- specific first: the patient's own plan, then the clinic's plan for the device type, then the
-- defaults below (scope 'default', version 1 of the default table). clinic_id and patient_id are
-- 0 where they do not apply (not NULL, so that UNIQUE holds). NULL days = no such follow-up (a
-- loop recorder has no scheduled in-clinic visit). payer and ordering physician are the billing
-- facts a charge carries; they are not patient data (a payer class and a clinician's name).
CREATE TABLE monitoring_plan (
  id INTEGER PRIMARY KEY,
  scope TEXT NOT NULL CHECK (scope IN ('default', 'clinic', 'patient')),
  clinic_id INTEGER NOT NULL DEFAULT 0,
  patient_id INTEGER NOT NULL DEFAULT 0,
  device_type TEXT NOT NULL,  -- '*' for a patient's plan (whatever device they have)
  remote_days INTEGER CHECK (remote_days BETWEEN 1 AND 730),
  in_clinic_days INTEGER CHECK (in_clinic_days BETWEEN 1 AND 1100),
  payer TEXT CHECK (payer IS NULL OR length(payer) BETWEEN 1 AND 40),
  ordering_physician TEXT CHECK (ordering_physician IS NULL OR length(ordering_physician) <= 120),
  version INTEGER NOT NULL DEFAULT 1,
  set_by INTEGER REFERENCES app_user (id),
  set_us INTEGER NOT NULL,
  UNIQUE (scope, clinic_id, patient_id, device_type)
) STRICT;

-- Defaults, version 1: remote every 91 days and in clinic every 12 months for pacemakers, ICDs and
-- CRT devices (HRS 2023 expert consensus on remote monitoring); a loop recorder remote every 30
-- days (its billing period) and no scheduled visit.
INSERT INTO monitoring_plan (scope, device_type, remote_days, in_clinic_days, set_us) VALUES
  ('default', 'pacemaker', 91, 365, 0),
  ('default', 'crt-p', 91, 365, 0),
  ('default', 'icd', 91, 365, 0),
  ('default', 'crt-d', 91, 365, 0),
  ('default', 'loop-recorder', 30, NULL, 0),
  ('default', 'other', 91, 365, 0),
  ('default', 'unknown', 91, 365, 0);

-- Booked in-clinic visits. `day` is the clinic's calendar date (YYYY-MM-DD). An in-clinic
-- interrogation of the patient stored within a day of it closes it (state 'done', the
-- interrogation named).
CREATE TABLE clinic_visit (
  id INTEGER PRIMARY KEY,
  patient_id INTEGER NOT NULL REFERENCES patient (id),
  clinic_id INTEGER NOT NULL REFERENCES clinic (id),
  day TEXT NOT NULL CHECK (length(day) = 10),
  state TEXT NOT NULL CHECK (state IN ('booked', 'done', 'cancelled')),
  interrogation_id INTEGER REFERENCES interrogation (id),
  booked_by INTEGER REFERENCES app_user (id),
  booked_us INTEGER NOT NULL,
  closed_us INTEGER
) STRICT;
CREATE INDEX clinic_visit_open ON clinic_visit (patient_id, day) WHERE state = 'booked';

-- An export of charges: each charge is exported in exactly one batch. The exported file is kept
-- (a sealed blob, kind 'charge_export': it names patients) so that a batch downloads again
-- byte-identical.
CREATE TABLE charge_export (
  id INTEGER PRIMARY KEY,
  format TEXT NOT NULL CHECK (format IN ('csv', 'dft')),
  charges INTEGER NOT NULL,
  blob_id INTEGER NOT NULL REFERENCES blob (id),
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
  created_by INTEGER REFERENCES app_user (id),
  created_us INTEGER NOT NULL
) STRICT;

-- A charge: one CPT code (with its modifier) for a closed monitoring period or an in-person
-- session. Written once, when it becomes ready, and never changed except to record its export.
-- `period_key` identifies what it charges ("remote:<series device>:<period start>" or
-- "session:<interrogation id>") and with code and modifier makes the charge unique: the close job
-- may run any number of times. Dates are the clinic's calendar dates (YYYY-MM-DD).
CREATE TABLE charge (
  id INTEGER PRIMARY KEY,
  patient_id INTEGER NOT NULL REFERENCES patient (id),
  clinic_id INTEGER NOT NULL REFERENCES clinic (id),
  device_id INTEGER NOT NULL REFERENCES device (id),
  period_key TEXT NOT NULL,
  code TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 10),
  modifier TEXT NOT NULL DEFAULT '',
  component TEXT NOT NULL CHECK (component IN ('professional', 'technical', 'global')),
  period_start TEXT NOT NULL,
  period_end TEXT NOT NULL,
  service_date TEXT NOT NULL,
  payer TEXT NOT NULL,
  ordering_physician TEXT NOT NULL DEFAULT '',
  reading_physician TEXT NOT NULL DEFAULT '',
  interrogations TEXT NOT NULL,  -- the ids it rests on, comma-separated, ascending
  table_version TEXT NOT NULL,
  created_us INTEGER NOT NULL,
  export_id INTEGER REFERENCES charge_export (id),
  UNIQUE (period_key, code, modifier)
) STRICT;
CREATE INDEX charge_patient ON charge (patient_id, code, period_start);
CREATE INDEX charge_unexported ON charge (clinic_id, id) WHERE export_id IS NULL;
