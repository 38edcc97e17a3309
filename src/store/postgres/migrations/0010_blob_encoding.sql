-- Version 10: a blob's plaintext may be compressed before it is sealed. encoding 0 is the bytes
-- as they are (every blob written before version 10), 1 is one Zstandard frame. The encoding is
-- also bound into the ciphertext's associated data, so changing this column makes the blob fail
-- authentication rather than decode as something else. size stays the size of the original bytes.
ALTER TABLE blob ADD COLUMN encoding BIGINT NOT NULL DEFAULT 0 CHECK (encoding IN (0, 1));
