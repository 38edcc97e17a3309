// The peer side of bench/api (shared/reference/performance.md B3a): a trend endpoint built from
// Node's own `http` module and better-sqlite3, reading heartbase's database file (read-only) with
// exactly the statement store::ReadTrend runs (src/store/interrogations.cpp), on the same table
// and clustered index: trend (patient_id, code, observed_us, interrogation_id, seq), WITHOUT ROWID.
//
//   GET /trend?patient=ID&code=CODE&from=US&to=US
//   → 200 {"patient_id":ID,"series":[{"code":CODE,"points":[[time_us,value],…]}]}
//     (the shape of heartbase's GET /api/v1/patients/{id}/trends for one term; oldest first)
//
// Nothing else: no identity, no access control, no audit record, no decryption of the patient
// row. That is the peer as performance.md describes it: the bare query behind an HTTP server.
// Two worker processes share the port through `cluster` (heartbase uses both cores too).
//
// Usage: node node_trend_server.cjs DBFILE PORT [WORKERS]   (PORT 0 = any free port; WORKERS 2)
// Prints "listening http 127.0.0.1:PORT" once every worker accepts connections; stops on SIGTERM
// or SIGINT.
'use strict';
const cluster = require('cluster');
const fs = require('fs');
const http = require('http');
const path = require('path');
const querystring = require('querystring');

const [dbFile, portArg, workersArg] = process.argv.slice(2);
const port = Number(portArg);
const workers = workersArg === undefined ? 2 : Number(workersArg);
if (!dbFile || portArg === undefined || !Number.isInteger(port) || port < 0 || port > 65535 ||
    !Number.isInteger(workers) || workers < 1 || workers > 64) {
  process.stderr.write('usage: node node_trend_server.cjs DBFILE PORT [WORKERS]\n');
  process.exit(2);
}

if (cluster.isPrimary) {
  const version = JSON.parse(fs.readFileSync(
    path.join(__dirname, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')).version;
  process.stderr.write(
    `node_trend_server: node ${process.version}, better-sqlite3 ${version}, ${workers} workers\n`);
  let listening = 0;
  let stopping = false;
  let status = 0;
  cluster.on('listening', (worker, address) => {
    if (++listening === workers) {
      process.stdout.write(`listening http 127.0.0.1:${address.port}\n`);
    }
  });
  const stop = (code) => {
    if (stopping) return;
    stopping = true;
    status = code;
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    setTimeout(() => process.exit(status), 2000).unref();
  };
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      process.stderr.write(`node_trend_server: worker ${worker.process.pid} exited ` +
        `(${signal || code}); stopping\n`);
      stop(1);
    }
    if (Object.keys(cluster.workers).length === 0) process.exit(status);
  });
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  const Database = require('better-sqlite3');
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  // store::ReadTrend, verbatim (named parameters as there).
  const readTrend = db.prepare(
    'SELECT observed_us, value_num FROM trend WHERE patient_id = :patient AND code = :code ' +
    'AND observed_us BETWEEN :from AND :to AND value_num IS NOT NULL ORDER BY observed_us').raw(true);
  const INTEGER = /^-?\d{1,16}$/;

  const send = (res, status, body) => {
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    });
    res.end(body);
  };

  const server = http.createServer((req, res) => {
    const q = req.url.indexOf('?');
    const pathname = q < 0 ? req.url : req.url.slice(0, q);
    if (req.method !== 'GET' || pathname !== '/trend') {
      send(res, 404, '{"error":"not_found"}');
      return;
    }
    const params = querystring.parse(q < 0 ? '' : req.url.slice(q + 1));
    const { patient, code } = params;
    const from = params.from === undefined ? String(Number.MIN_SAFE_INTEGER) : params.from;
    const to = params.to === undefined ? String(Number.MAX_SAFE_INTEGER) : params.to;
    if (![patient, code, from, to].every((v) => typeof v === 'string' && INTEGER.test(v))) {
      send(res, 400, '{"error":"bad_request"}');
      return;
    }
    let points;
    try {
      points = readTrend.all({ patient: Number(patient), code: Number(code),
        from: Number(from), to: Number(to) });
    } catch (e) {
      process.stderr.write(`node_trend_server: ${e.message}\n`);
      send(res, 500, '{"error":"internal"}');
      return;
    }
    send(res, 200, JSON.stringify({ patient_id: Number(patient),
      series: [{ code: Number(code), points }] }));
  });
  server.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => { server.close(); db.close(); process.exit(0); });
}
