-- Version 7: alerts from rule evaluation (src/rules, docs/rules.md) and the versioned rule sets
-- that produce them. The queue position they give an interrogation is interrogation_review's
-- severity and due_us (version 6). An alert's reason may carry clinical values (never identity)
-- and is sealed by the application like other free text (associated data: alert, reason, id).

-- interrogation_id is NULL for patient-level alerts (a missed transmission has no interrogation).
CREATE TABLE alert (
  id INTEGER PRIMARY KEY,
  interrogation_id INTEGER REFERENCES interrogation (id),
  patient_id INTEGER NOT NULL REFERENCES patient (id),
  rule TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('red', 'yellow', 'info')),
  reason BLOB NOT NULL,
  created_us INTEGER NOT NULL,
  due_us INTEGER NOT NULL
) STRICT;
CREATE INDEX alert_interrogation ON alert (interrogation_id) WHERE interrogation_id IS NOT NULL;
CREATE INDEX alert_patient ON alert (patient_id, created_us);

-- Rule configuration as the administrator wrote it (TOML). Versions are never edited: a change is
-- a new version, activated explicitly. At most one version is active.
CREATE TABLE rule_set (
  id INTEGER PRIMARY KEY,
  version INTEGER NOT NULL UNIQUE,
  source TEXT NOT NULL,
  created_by INTEGER REFERENCES app_user (id),
  created_us INTEGER NOT NULL,
  active INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
  activated_us INTEGER
) STRICT;
CREATE UNIQUE INDEX rule_set_one_active ON rule_set (active) WHERE active = 1;
