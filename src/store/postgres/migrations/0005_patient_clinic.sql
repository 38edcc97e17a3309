-- Version 5: every patient belongs to a clinic (site); users see the patients of their clinics.
-- Existing and newly ingested patients go to clinic 1 until a sender is mapped to another clinic.
-- Clinic 1 is inserted with an explicit id, so the identity sequence is moved past it.
INSERT INTO clinic (id, name, created_us) VALUES (1, 'Main clinic', 0) ON CONFLICT DO NOTHING;
SELECT setval(pg_get_serial_sequence('clinic', 'id'), (SELECT MAX(id) FROM clinic));
ALTER TABLE patient ADD COLUMN clinic_id BIGINT NOT NULL DEFAULT 1;
CREATE INDEX patient_clinic ON patient (clinic_id);

-- Identifiers can be looked up without their assigning authority ("MRN 123456" as a clinician
-- types it): a second blind index over the identifier alone.
ALTER TABLE patient_identifier ADD COLUMN any_lookup BYTEA;
CREATE INDEX patient_identifier_any ON patient_identifier (any_lookup);
