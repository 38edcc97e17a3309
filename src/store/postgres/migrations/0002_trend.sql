-- Version 2: the raw message is the record; the trend table is an index over it. Version 1 kept
-- one row per OBX; most OBX are never trended and are read only with the whole interrogation,
-- which is re-mapped from its sealed raw message. The trend table keeps the numeric and coded
-- values of measurements and statistics (and of terms outside the IDC families), keyed by
-- (patient, term, time) so that a trend read is one range scan of the primary key. Rows of a
-- version that is superseded are deleted; the superseded version stays in interrogation.
CREATE TABLE trend (
  patient_id BIGINT NOT NULL,
  code BIGINT NOT NULL,
  observed_us BIGINT NOT NULL,
  interrogation_id BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  instance BIGINT NOT NULL,
  value_num DOUBLE PRECISION,
  value_code TEXT,
  unit TEXT,
  PRIMARY KEY (patient_id, code, observed_us, interrogation_id, seq)
);

INSERT INTO trend (patient_id, code, observed_us, interrogation_id, seq, instance, value_num,
                   value_code, unit)
  SELECT patient_id, code, COALESCE(observed_us, 0), interrogation_id, seq, instance, value_num,
         value_code, unit
  FROM observation
  WHERE current = 1 AND category IN ('measurement', 'statistic', 'episode_counter', 'other')
    AND (value_num IS NOT NULL OR value_code IS NOT NULL);

DROP INDEX observation_trend;
DROP TABLE observation;
