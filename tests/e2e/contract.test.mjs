// The drift test over the integration suite: every answer the C++ integration tests received —
// on SQLite and PostgreSQL, local and S3 blobs; scripts/test records them in KARMA_CONTRACT_LOG
// — must be one its route declares in /api/openapi.json.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { contractCheck, startServer } from './harness.mjs';

const log = process.env.KARMA_CONTRACT_LOG;

test('every answer the integration suite received is one /api/openapi.json declares',
  { skip: !log || !existsSync(log) ? 'no recorded answers (KARMA_CONTRACT_LOG)' : false }, async () => {
    const server = await startServer();
    try {
      const check = await contractCheck(server.url);
      const failures = new Map();
      let checked = 0;
      for (const line of readFileSync(log, 'utf8').split('\n')) {
        if (!line) continue;
        const r = JSON.parse(line);
        checked += 1;
        try {
          check(r.method, r.target, r.status, r.contentType, r.body);
        } catch (e) {
          failures.set(e.message.slice(0, 160), e.message);
        }
      }
      assert.ok(checked > 1000, `only ${checked} answers were recorded`);
      assert.equal(failures.size, 0, [...failures.values()].slice(0, 25).join('\n'));
    } finally {
      await server.stop();
    }
  });
