-- Version 2: the raw message is the record; the trend table is an index over it.
-- Version 1 kept one row per OBX (two B-tree inserts each: the row and the trend index), which
-- made the 300 OBX of a typical message the dominant cost of ingest. Most OBX of an interrogation
-- are episode details, settings and identities that are never trended and are read only with the
-- whole interrogation, which is re-mapped from its sealed raw message. The trend table keeps the
-- numeric and coded values of measurements and statistics (and of terms outside the IDC
-- families), clustered by (patient, term, time) so that a trend read is one range scan and an
-- insert touches one B-tree. Rows of a version that is superseded are deleted; the superseded
-- version itself stays in interrogation with its raw message.
CREATE TABLE trend (
  patient_id INTEGER NOT NULL,
  code INTEGER NOT NULL,
  observed_us INTEGER NOT NULL,
  interrogation_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  instance INTEGER NOT NULL,
  value_num REAL,
  value_code TEXT,
  unit TEXT,
  PRIMARY KEY (patient_id, code, observed_us, interrogation_id, seq)
) STRICT, WITHOUT ROWID;

INSERT INTO trend (patient_id, code, observed_us, interrogation_id, seq, instance, value_num,
                   value_code, unit)
  SELECT patient_id, code, COALESCE(observed_us, 0), interrogation_id, seq, instance, value_num,
         value_code, unit
  FROM observation
  WHERE current = 1 AND category IN ('measurement', 'statistic', 'episode_counter', 'other')
    AND (value_num IS NOT NULL OR value_code IS NOT NULL);

DROP INDEX observation_trend;
DROP TABLE observation;

