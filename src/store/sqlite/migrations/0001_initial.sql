-- The clinical store, version 1. Identifiers, names, dates of birth, serial numbers, free text,
-- raw messages and documents are sealed by the application (crypto::KeyRing: XChaCha20-Poly1305,
-- associated data = table, column, row). Columns named *lookup hold keyed BLAKE2b blind indexes
-- for exact matches. Measurements are in the clear, keyed only by internal ids.

-- Write-once, content-addressed, encrypted blobs: raw messages, PDFs, EGMs, quarantined input.
CREATE TABLE blob (
  id INTEGER PRIMARY KEY,
  lookup BLOB NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  size INTEGER NOT NULL,
  sealed BLOB NOT NULL,
  created_us INTEGER NOT NULL
) STRICT;

CREATE TABLE patient (
  id INTEGER PRIMARY KEY,
  unmatched INTEGER NOT NULL DEFAULT 0,
  family_name BLOB,
  given_name BLOB,
  birth_date BLOB,
  sex BLOB,
  created_us INTEGER NOT NULL
) STRICT;
CREATE INDEX patient_unmatched ON patient (unmatched) WHERE unmatched = 1;

CREATE TABLE patient_identifier (
  id INTEGER PRIMARY KEY,
  patient_id INTEGER NOT NULL REFERENCES patient (id),
  kind TEXT NOT NULL,
  value BLOB NOT NULL,
  lookup BLOB NOT NULL,
  UNIQUE (patient_id, lookup)
) STRICT;
CREATE INDEX patient_identifier_lookup ON patient_identifier (lookup);

CREATE TABLE patient_name_token (
  lookup BLOB NOT NULL,
  patient_id INTEGER NOT NULL REFERENCES patient (id),
  PRIMARY KEY (lookup, patient_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE device (
  id INTEGER PRIMARY KEY,
  patient_id INTEGER NOT NULL REFERENCES patient (id),
  manufacturer TEXT NOT NULL,
  type TEXT NOT NULL,
  model BLOB,
  serial BLOB NOT NULL,
  lookup BLOB NOT NULL UNIQUE,
  serial_lookup BLOB NOT NULL,
  implant_date TEXT,
  first_seen_us INTEGER NOT NULL,
  last_seen_us INTEGER NOT NULL
) STRICT;
CREATE INDEX device_patient ON device (patient_id);
CREATE INDEX device_serial ON device (serial_lookup);

CREATE TABLE lead (
  id INTEGER PRIMARY KEY,
  patient_id INTEGER NOT NULL REFERENCES patient (id),
  device_id INTEGER NOT NULL REFERENCES device (id),
  instance INTEGER NOT NULL,
  manufacturer TEXT,
  location TEXT,
  model BLOB,
  serial BLOB,
  lookup BLOB UNIQUE,
  serial_lookup BLOB,
  implant_date TEXT,
  first_seen_us INTEGER NOT NULL,
  last_seen_us INTEGER NOT NULL
) STRICT;
CREATE INDEX lead_patient ON lead (patient_id);
CREATE INDEX lead_serial ON lead (serial_lookup);

CREATE TABLE interrogation (
  id INTEGER PRIMARY KEY,
  patient_id INTEGER NOT NULL REFERENCES patient (id),
  device_id INTEGER NOT NULL REFERENCES device (id),
  sender TEXT NOT NULL,
  control_id TEXT NOT NULL,
  session_lookup BLOB NOT NULL,
  session_type TEXT NOT NULL,
  session_us INTEGER,
  result_status TEXT NOT NULL,
  superseded_by INTEGER REFERENCES interrogation (id),
  raw_blob_id INTEGER NOT NULL REFERENCES blob (id),
  received_us INTEGER NOT NULL,
  observation_count INTEGER NOT NULL,
  warning_count INTEGER NOT NULL,
  UNIQUE (sender, control_id)
) STRICT;
CREATE INDEX interrogation_patient ON interrogation (patient_id, session_us);
CREATE INDEX interrogation_session ON interrogation (session_lookup);

-- One row per OBX. Trend reads (patient, term, time range) are served from the covering index.
CREATE TABLE observation (
  interrogation_id INTEGER NOT NULL REFERENCES interrogation (id),
  seq INTEGER NOT NULL,
  patient_id INTEGER NOT NULL,
  code INTEGER NOT NULL,
  instance INTEGER NOT NULL,
  category TEXT NOT NULL,
  observed_us INTEGER,
  current INTEGER NOT NULL DEFAULT 1,
  value_num REAL,
  value_code TEXT,
  value_time INTEGER,
  value_sealed BLOB,
  unit TEXT,
  flags TEXT,
  PRIMARY KEY (interrogation_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX observation_trend ON observation (patient_id, code, observed_us, value_num)
  WHERE current = 1;

CREATE TABLE episode (
  interrogation_id INTEGER NOT NULL REFERENCES interrogation (id),
  instance INTEGER NOT NULL,
  patient_id INTEGER NOT NULL,
  type TEXT,
  onset_us INTEGER,
  duration_s REAL,
  PRIMARY KEY (interrogation_id, instance)
) STRICT, WITHOUT ROWID;

CREATE TABLE attachment (
  id INTEGER PRIMARY KEY,
  interrogation_id INTEGER NOT NULL REFERENCES interrogation (id),
  instance INTEGER NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  blob_id INTEGER REFERENCES blob (id),
  reference BLOB
) STRICT;
CREATE INDEX attachment_interrogation ON attachment (interrogation_id);

-- Input that could not be parsed or mapped: kept (sealed), visible to an administrator.
CREATE TABLE quarantine (
  id INTEGER PRIMARY KEY,
  received_us INTEGER NOT NULL,
  source TEXT NOT NULL,
  code TEXT NOT NULL,
  reason TEXT NOT NULL,
  blob_id INTEGER NOT NULL REFERENCES blob (id),
  resolved_us INTEGER
) STRICT;
