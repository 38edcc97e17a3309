-- Version 4: identity and access (src/auth). Bearer secrets (session ids, API tokens, the
-- bootstrap token) are stored only as keyed BLAKE2b hashes (*lookup, index key of the key ring);
-- MFA secrets and break-glass reasons are sealed like patient data. "user" is a reserved word in
-- PostgreSQL, hence app_user.
CREATE TABLE app_user (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  password_hash TEXT,
  role TEXT NOT NULL,
  mfa_secret BLOB,
  mfa_pending BLOB,
  mfa_required INTEGER NOT NULL DEFAULT 0,
  last_totp_step INTEGER NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_us INTEGER NOT NULL,
  updated_us INTEGER NOT NULL
) STRICT;

CREATE TABLE clinic (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_us INTEGER NOT NULL
) STRICT;

CREATE TABLE user_clinic (
  user_id INTEGER NOT NULL REFERENCES app_user (id),
  clinic_id INTEGER NOT NULL REFERENCES clinic (id),
  PRIMARY KEY (user_id, clinic_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE session (
  id INTEGER PRIMARY KEY,
  lookup BLOB NOT NULL UNIQUE,
  user_id INTEGER NOT NULL REFERENCES app_user (id),
  csrf_token TEXT NOT NULL,
  restricted INTEGER NOT NULL DEFAULT 0,
  created_us INTEGER NOT NULL,
  last_seen_us INTEGER NOT NULL,
  reauth_us INTEGER NOT NULL
) STRICT;
CREATE INDEX session_user ON session (user_id);

CREATE TABLE api_token (
  id INTEGER PRIMARY KEY,
  lookup BLOB NOT NULL UNIQUE,
  user_id INTEGER NOT NULL REFERENCES app_user (id),
  label TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_by INTEGER REFERENCES app_user (id),
  created_us INTEGER NOT NULL,
  expires_us INTEGER NOT NULL,
  last_used_us INTEGER,
  revoked_us INTEGER
) STRICT;
CREATE INDEX api_token_user ON api_token (user_id);

-- Failed sign-ins per account name, per address and per account for the MFA path, so that a
-- restart does not reset the backoff. Keys are keyed hashes: no address is stored in the clear.
CREATE TABLE login_throttle (
  kind TEXT NOT NULL,
  lookup BLOB NOT NULL,
  failures INTEGER NOT NULL,
  last_failure_us INTEGER NOT NULL,
  blocked_until_us INTEGER NOT NULL,
  PRIMARY KEY (kind, lookup)
) STRICT, WITHOUT ROWID;

CREATE TABLE break_glass (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES app_user (id),
  reason BLOB NOT NULL,
  started_us INTEGER NOT NULL,
  expires_us INTEGER NOT NULL
) STRICT;
CREATE INDEX break_glass_user ON break_glass (user_id, expires_us);

-- At most one: made by `heartbase init`, consumed by the creation of the first administrator.
CREATE TABLE bootstrap_token (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  lookup BLOB NOT NULL,
  created_us INTEGER NOT NULL,
  expires_us INTEGER NOT NULL,
  consumed_us INTEGER
) STRICT;
