// The peer side of bench/parser_bench: parse every message with @medplum/core's Hl7Message and
// read MSH-10, PID-3.1 and, for every OBX, OBX-3.1, OBX-4, OBX-5, OBX-6.1 and OBX-14 — the same
// task and checksum as the C++ side. Usage: node medplum_extract.cjs CORPUS_DIR ROUNDS
'use strict';
const fs = require('fs');
const path = require('path');
const { Hl7Message } = require('@medplum/core');
const version = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'node_modules/@medplum/core/package.json'), 'utf8')).version;

const [dir, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg || 5);
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.hl7')).sort();
const texts = files.map((f) => fs.readFileSync(path.join(dir, f), 'latin1'));
const bytes = texts.reduce((n, t) => n + t.length, 0);

function extractAll() {
  let checksum = 0;
  let obxCount = 0;
  for (const text of texts) {
    const msg = Hl7Message.parse(text);
    checksum += msg.getSegment('MSH').getField(10).toString().length;
    checksum += msg.getSegment('PID').getComponent(3, 1).length;
    for (const obx of msg.getAllSegments('OBX')) {
      obxCount++;
      checksum += obx.getComponent(3, 1).length + obx.getField(4).toString().length +
        obx.getField(5).toString().length + obx.getComponent(6, 1).length +
        obx.getComponent(14, 1).length;
    }
  }
  return { checksum, obxCount };
}

extractAll();  // warm-up
const times = [];
let result;
for (let r = 0; r < rounds; r++) {
  const t0 = process.hrtime.bigint();
  result = extractAll();
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(JSON.stringify({
  impl: `@medplum/core ${version} (node ${process.version})`,
  messages: texts.length, bytes, obx: result.obxCount, checksum: result.checksum,
  msg_per_s: texts.length / median, mb_per_s: bytes / median / 1e6,
}));
