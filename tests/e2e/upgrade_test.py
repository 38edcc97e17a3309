"""Upgrading a data directory from the previous schema version (docs/operations.md, "Upgrading").

The previous-schema directory is built at test time, never copied in. heartbase fills a data
directory at the current schema (users, a clinic, imported interrogations, their audit trail).
The test then rebuilds its database at schema N-1: a fresh file gets migrations 1..N-1 applied
from src/store/sqlite/migrations, split into statements as src/store/migrations.cpp splits them,
and every row heartbase wrote is copied into it. Before that, the test checks that replaying all
N migrations gives exactly the schema the binary made, and that the tables migration N creates
hold only what N itself inserts, so the copy loses nothing. Then:
- serve (and store verify) without --upgrade refuse with a message naming both versions and
  --upgrade, and leave the file untouched;
- serve --upgrade migrates and starts, the schema is the binary's, every row is still there, and
  store verify and audit verify pass.

Usage: upgrade_test.py HEARTBASE_BINARY SOURCE_DIR"""
import hashlib
import os
import pathlib
import re
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import hbtest  # noqa: E402
from hbtest import run  # noqa: E402

BINARY, SOURCE = sys.argv[1], pathlib.Path(sys.argv[2])
hbtest.BINARY = BINARY
PASSWORD = "upgrade-test-password-long-enough"
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")


def migrations():
    """(version, [statements]) of every migration file, in order."""
    out = []
    for f in sorted((SOURCE / "src/store/sqlite/migrations").glob("[0-9]*.sql")):
        version = int(f.name.split("_", 1)[0])
        statements = []
        for chunk in f.read_text().split(";\n"):
            lines = [l for l in chunk.splitlines() if l.strip() and not l.strip().startswith("--")]
            if lines:
                statements.append(chunk.strip())
        out.append((version, statements))
    assert [v for v, _ in out] == list(range(1, len(out) + 1)), "migrations have gaps"
    return out


def build_schema(con, upto):
    """Applies migrations 1..upto to `con` as the migration runner does."""
    for version, statements in migrations()[:upto]:
        for s in statements:
            con.execute(s)
        if version == 1:
            con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
            con.execute("INSERT INTO schema_version (version) VALUES (1)")
        else:
            con.execute("UPDATE schema_version SET version = ?", (version,))
    con.commit()


def schema(con):
    return sorted(con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                              "WHERE name NOT LIKE 'sqlite_%'").fetchall())


def tables(con):
    return [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                      "name NOT LIKE 'sqlite_%' ORDER BY name")]


def columns(con, table):
    return [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]


def rows(con, table, cols):
    names = ", ".join(f'"{c}"' for c in cols)
    order = ", ".join(str(i + 1) for i in range(len(cols)))  # some tables are WITHOUT ROWID
    return con.execute(f'SELECT {names} FROM "{table}" ORDER BY {order}').fetchall()


def downgrade(db, newest):
    """Rewrites `db` (at schema `newest`) as a database at schema newest-1 holding the same rows."""
    current = sqlite3.connect(db)
    current.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    replay = sqlite3.connect(":memory:")
    build_schema(replay, newest)
    assert schema(current) == schema(replay), \
        "replaying the migration files does not give the binary's schema; the test is out of date"
    old_path = db.with_name("old.db")
    old = sqlite3.connect(old_path)
    build_schema(old, newest - 1)
    old_tables = set(tables(old))
    for table in tables(current):
        cols = columns(current, table)
        if table not in old_tables:
            # A table migration N creates: it must hold only what N inserted, else dropping it
            # would lose data and this would not be a faithful previous-version directory.
            assert rows(current, table, cols) == rows(replay, table, cols), \
                f"{table} (new in version {newest}) holds data heartbase wrote"
            continue
        if table == "schema_version":
            continue
        old_cols = columns(old, table)
        assert set(old_cols) <= set(cols), (table, old_cols, cols)
        old.execute("PRAGMA foreign_keys = OFF")
        if old.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]:
            old.execute(f'DELETE FROM "{table}"')  # rows seeded by the migrations; copied below
        names = ", ".join(f'"{c}"' for c in old_cols)
        marks = ", ".join("?" for _ in old_cols)
        old.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
                        rows(current, table, old_cols))
    has_seq = old.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'")
    if has_seq.fetchone()[0]:
        old.execute("DELETE FROM sqlite_sequence")
        old.executemany("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                        [r for r in current.execute("SELECT name, seq FROM sqlite_sequence")
                         if r[0] in old_tables])
    for pragma in ("application_id", "user_version"):
        old.execute(f"PRAGMA {pragma} = {int(current.execute(f'PRAGMA {pragma}').fetchone()[0])}")
    old.commit()
    assert old.execute("PRAGMA foreign_key_check").fetchall() == []
    old.execute("PRAGMA journal_mode = WAL")
    old.close()
    current.close()
    for suffix in ("-wal", "-shm"):
        pathlib.Path(str(db) + suffix).unlink(missing_ok=True)
    os.replace(old_path, db)
    os.chmod(db, 0o600)


def serve(data, *extra):
    return subprocess.Popen([BINARY, "serve", "--data", str(data), "--mllp-listen", "127.0.0.1:0",
                             "--https-listen", "127.0.0.1:0", "--verify-interval-s", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)


def main():
    newest = len(migrations())
    with tempfile.TemporaryDirectory(prefix="hb-upgrade-") as tmp:
        tmp = pathlib.Path(tmp)
        data, db = tmp / "data", tmp / "data" / "heartbase.db"
        run("init", "--data", str(data))
        run("user", "add", "--data", str(data), "--name", "doc", "--role", "physician",
            stdin=(PASSWORD + "\n").encode())
        run("clinic", "add", "--data", str(data), "--name", "Second site")
        files, _ = hbtest.demo_messages(tmp / "demo", 3, 1, 11)
        run("import", "--data", str(data), *map(str, files))

        downgrade(db, newest)
        con = sqlite3.connect(db)
        assert con.execute("SELECT version FROM schema_version").fetchone()[0] == newest - 1
        before = {t: (columns(con, t), rows(con, t, columns(con, t))) for t in tables(con)
                  if t != "schema_version"}
        con.close()
        assert all(before[t][1] for t in ("interrogation", "audit_event", "app_user")), \
            "the previous-version directory holds no data"

        # Without --upgrade: refused, naming both versions and the flag; nothing written.
        digest = hashlib.sha256(db.read_bytes()).hexdigest()
        p = serve(data)
        out, err = p.communicate(timeout=120)
        assert p.returncode != 0, (out, err)
        want = f"database schema version {newest - 1} is older than {newest}"
        assert want in err.decode() and "--upgrade" in err.decode(), err.decode()[-2000:]
        p = run("store", "verify", "--data", str(data), check=1)
        assert want in p.stderr.decode(), p.stderr.decode()[-2000:]
        assert hashlib.sha256(db.read_bytes()).hexdigest() == digest, "a refused start wrote"
        print(f"upgrade: schema {newest - 1} refused without --upgrade: {want}")

        # With --upgrade: migrated, started, stopped cleanly.
        p = serve(data, "--upgrade")
        lines = [p.stdout.readline().decode() for _ in range(2)]
        assert any(l.startswith("listening https") for l in lines), (lines, p.stderr.read())
        p.terminate()
        p.communicate(timeout=120)
        assert p.returncode == 0, p.returncode

        con = sqlite3.connect(db)
        assert con.execute("SELECT version FROM schema_version").fetchone()[0] == newest
        replay = sqlite3.connect(":memory:")
        build_schema(replay, newest)
        assert schema(con) == schema(replay), "the upgraded schema is not the current one"
        for table, (cols, old_rows) in before.items():
            # Still there, unchanged in every column the previous version had.
            now = set(rows(con, table, cols))
            missing = [r for r in old_rows if r not in now]
            assert not missing, (table, len(missing), "rows lost or changed by the upgrade")
        con.close()
        run("store", "verify", "--data", str(data))
        run("audit", "verify", "--data", str(data))
        print(f"upgrade: schema {newest - 1} -> {newest} with --upgrade; "
              f"{sum(len(r) for _, r in before.values())} rows intact, store and audit verify pass")
    print("upgrade: ok")


if __name__ == "__main__":
    main()
