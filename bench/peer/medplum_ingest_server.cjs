// The peer side of bench/ingest (shared/reference/performance.md, B2a/B2b/B2c/B4): durable MLLP
// ingest built from the fastest installable JavaScript pieces. @medplum/hl7's Hl7Server receives
// and parses each message; one better-sqlite3 transaction (WAL, synchronous=FULL) stores the raw
// message plus one row per OBX in an observation table indexed on (patient_id, code, ts); the
// ACK (AA, MSA-2 = MSH-10) goes out only after the commit returns. A message that cannot be
// stored is answered AE and nothing of it is kept.
// Usage: node medplum_ingest_server.cjs DBFILE PORT   (PORT 0 = any free port)
// Prints "listening mllp 127.0.0.1:PORT" once it accepts connections; stops on SIGTERM/SIGINT.
// Hl7Server.start() takes only a port, so the socket listens on every interface, not only
// loopback: run it on a trusted machine. There is no de-duplication on sender + MSH-10.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { Hl7Server } = require('@medplum/hl7');
const Database = require('better-sqlite3');

function version(pkg) {
  return JSON.parse(
    fs.readFileSync(path.join(__dirname, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

const [dbFile, portArg] = process.argv.slice(2);
const port = Number(portArg);
if (!dbFile || portArg === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write('usage: node medplum_ingest_server.cjs DBFILE PORT\n');
  process.exit(2);
}

const db = new Database(dbFile);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`
  CREATE TABLE IF NOT EXISTS message (
    id INTEGER PRIMARY KEY,
    sender TEXT NOT NULL,
    control_id TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    raw TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS observation (
    message_id INTEGER NOT NULL REFERENCES message(id),
    patient_id TEXT NOT NULL,
    code TEXT NOT NULL,
    ts TEXT NOT NULL,
    value REAL);
  CREATE INDEX IF NOT EXISTS observation_patient_code_ts ON observation (patient_id, code, ts);
`);
const insertMessage = db.prepare(
  'INSERT INTO message (sender, control_id, received_at, raw) VALUES (?, ?, ?, ?)');
const insertObservation = db.prepare(
  'INSERT INTO observation (message_id, patient_id, code, ts, value) VALUES (?, ?, ?, ?, ?)');

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

// One transaction per message: the raw text, then every OBX. Returns the number of OBX rows.
const store = db.transaction((msg) => {
  const msh = msg.getSegment('MSH');
  const pid = msg.getSegment('PID');
  const controlId = msh.getField(10).toString();
  const sender = `${msh.getComponent(3, 1)}|${msh.getComponent(4, 1)}`;
  const raw = msg.toString();
  const messageTime = msh.getComponent(7, 1);
  let patient = pid ? pid.getComponent(3, 1) : '';
  if (!patient) {
    // No identifier: a stable pseudonym from the PID segment (or the whole message).
    patient = crypto.createHash('sha256').update(pid ? pid.toString() : raw).digest('hex');
  }
  const messageId = insertMessage.run(sender, controlId, Date.now(), raw).lastInsertRowid;
  let rows = 0;
  for (const obx of msg.getAllSegments('OBX')) {
    const text = obx.getComponent(5, 1).trim();
    const value = obx.getField(2).toString() === 'NM' && NUMERIC.test(text) ? Number(text) : null;
    insertObservation.run(messageId, patient, obx.getComponent(3, 1),
      obx.getComponent(14, 1) || messageTime, value);
    rows++;
  }
  return rows;
});

const server = new Hl7Server((connection) => {
  connection.addEventListener('message', ({ message }) => {
    let ack;
    try {
      store(message);  // returns after the WAL commit is synced (synchronous=FULL)
      ack = message.buildAck({ ackCode: 'AA' });
    } catch (err) {
      process.stderr.write(`medplum_ingest_server: store failed: ${err.message}\n`);
      ack = message.buildAck({ ackCode: 'AE' });
    }
    connection.send(ack);
  });
  connection.addEventListener('error', ({ error }) => {
    process.stderr.write(`medplum_ingest_server: connection error: ${error.message}\n`);
  });
});
server.start(port);
server.server.once('listening', () => {
  const bound = server.server.address().port;
  process.stdout.write(`listening mllp 127.0.0.1:${bound}\n`);
  process.stderr.write(`medplum_ingest_server: @medplum/hl7 ${version('@medplum/hl7')}, ` +
    `better-sqlite3 ${version('better-sqlite3')} (SQLite ${db.prepare(
      'SELECT sqlite_version() AS v').get().v}), node ${process.version}\n`);
});

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`medplum_ingest_server: stopping (${signal})\n`);
  // Every ACK already sent was preceded by its commit; close the file and leave.
  server.server.close();
  db.close();
  process.exit(0);
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
