-- Version 5: every patient belongs to a clinic (site); users see the patients of their clinics.
-- Existing and newly ingested patients go to clinic 1 until a sender is mapped to another clinic.
INSERT OR IGNORE INTO clinic (id, name, created_us) VALUES (1, 'Main clinic', 0);
ALTER TABLE patient ADD COLUMN clinic_id INTEGER NOT NULL DEFAULT 1;
CREATE INDEX patient_clinic ON patient (clinic_id);

-- Identifiers can be looked up without their assigning authority ("MRN 123456" as a clinician
-- types it): a second blind index over the identifier alone.
ALTER TABLE patient_identifier ADD COLUMN any_lookup BLOB;
CREATE INDEX patient_identifier_any ON patient_identifier (any_lookup);
