// Device files over real HTTP: a 200 MB upload and download streamed end to end (SHA-256
// checked on both sides, server memory stays flat), and an upload cut off halfway.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, existsSync, unlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { startServer, api, userWithDevice } from './harness.mjs';

const BOUNDARY = '----karma-e2e-boundary-4f1c';
const MB = 1024 * 1024;

let server;
let token;
let device;
before(async () => {
  server = await startServer({ PLAN_LIMITS: 'off' });
  ({ token, device } = await userWithDevice(server.url, 'files', { name: 'Files box', model: 'EOS-3A' }));
});
after(async () => { if (server) await server.stop(); });

const head = (name, folder) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="path"\r\n\r\n${folder}\r\n` +
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
  'Content-Type: application/octet-stream\r\n\r\n';
const tail = `\r\n--${BOUNDARY}--\r\n`;

function peakRssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmHWM:\s+(\d+) kB/)[1]) * 1024;
}

function blobFiles(sub) {
  const dir = join(server.dataDir, 'blobs', sub);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
}

test('a 200 MB file streams up and down intact while server memory stays flat', async () => {
  const size = 200 * MB;
  const hash = createHash('sha256');
  let sent = 0;
  // The body is generated as it is sent: neither side ever holds the file.
  const body = new ReadableStream({
    start(controller) { controller.enqueue(new TextEncoder().encode(head('big.bin', '/e2e'))); },
    pull(controller) {
      if (sent >= size) {
        controller.enqueue(new TextEncoder().encode(tail));
        controller.close();
        return;
      }
      const chunk = randomBytes(Math.min(4 * MB, size - sent));
      hash.update(chunk);
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const up = await fetch(`${server.url}/api/devices/${device}/files/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body,
    duplex: 'half',
  });
  const uploaded = await up.json();
  assert.equal(up.status, 201, JSON.stringify(uploaded));
  const sha = hash.digest('hex');
  assert.equal(uploaded.data.file.size, size);
  assert.equal(uploaded.data.file.checksumSHA256, sha);

  const down = await fetch(`${server.url}${uploaded.data.file.downloadUrl}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(down.status, 200);
  assert.equal(down.headers.get('etag'), `"${sha}"`);
  const check = createHash('sha256');
  let received = 0;
  for await (const chunk of down.body) { check.update(chunk); received += chunk.length; }
  assert.equal(received, size);
  assert.equal(check.digest('hex'), sha);
  const peak = peakRssBytes(server.child.pid);
  assert.ok(peak < 120 * MB, `server peak RSS ${Math.round(peak / MB)} MB for a 200 MB round trip`);
});

test('an upload cut off halfway leaves no file and no blob', async () => {
  const before = blobFiles('objects').length;
  const declared = 50 * MB;
  await new Promise((resolve) => {
    const req = request(`${server.url}/api/devices/${device}/files/upload`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
        'content-length': String(declared),
      },
    });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.write(head('cut.bin', '/aborted'));
    let written = 0;
    const pump = () => {
      while (written < 5 * MB) {
        written += MB;
        if (!req.write(randomBytes(MB))) return req.once('drain', pump);
      }
      setTimeout(() => req.destroy(), 200);
    };
    pump();
  });
  // The server notices the reset and undoes the upload on its transfer pool.
  let left = [];
  for (let i = 0; i < 50; i += 1) {
    left = blobFiles('tmp');
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(left.map((e) => e.name), [], 'no temporary file remains');
  assert.equal(blobFiles('objects').length, before, 'no blob was committed');
  const listing = await api(server.url, 'GET', `/api/devices/${device}/files?path=/aborted&recursive=true`, { token });
  assert.equal(listing.status, 200);
  assert.deepEqual(listing.body.data.files, []);
});

// Instances that do not share storage (or a blob lost under the server): the file's row is
// there, its bytes are not — the client is told storage is unavailable, not that the server broke.
test('a file whose blob is gone from storage answers 503 STORAGE_UNAVAILABLE', async () => {
  const content = randomBytes(4096);
  const up = await fetch(`${server.url}/api/devices/${device}/files/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body: Buffer.concat([Buffer.from(head('lost.bin', '/lost')), content, Buffer.from(tail)]),
  });
  const file = (await up.json()).data.file;
  assert.equal(up.status, 201);
  const sha = createHash('sha256').update(content).digest('hex');
  const blob = blobFiles('objects').find((e) => e.name === sha);
  assert.ok(blob, 'the blob is stored under its hash');
  unlinkSync(join(blob.parentPath ?? blob.path, blob.name));
  const down = await api(server.url, 'GET', file.downloadUrl, { token });
  assert.equal(down.status, 503, down.text);
  assert.equal(down.body.error.code, 'STORAGE_UNAVAILABLE');
  assert.equal((await api(server.url, 'DELETE', `/api/devices/${device}/files/${file.id}`, { token })).status, 200);
});
