// File transfer over the realtime hub (API.md §8): file_upload → file_chunk … → file_complete,
// the HTTP upload's rules, and a dropped upload (bad chunk, closed socket, idle) leaving no row
// and no bytes. A small frame limit makes a file take several chunks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, api } from './harness.mjs';
import { hubClient, UUID } from './hub_client.mjs';

const FRAME = 8192;
const QUOTA = 200_000;
let server;
before(async () => {
  server = await startServer({
    WS_MAX_FRAME_BYTES: String(FRAME),
    WS_UPLOAD_IDLE_SECONDS: '1',
    STORAGE_QUOTA_FREE_BYTES: String(QUOTA),
  });
});
after(async () => { if (server) await server.stop(); });

const { user, signedIn, device } = hubClient(() => server.url);

function storedBlobs() {
  const count = (sub) => {
    const dir = join(server.dataDir, 'blobs', sub);
    if (!existsSync(dir)) return 0;
    return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
  };
  return count('objects') + count('tmp');
}

async function listed(who, deviceId) {
  const res = await api(server.url, 'GET', `/api/devices/${deviceId}/files?recursive=true`, { token: who.token });
  assert.equal(res.status, 200, res.text);
  return res.body.data.files.map((f) => f.path);
}

// Sends `bytes` as chunks of at most `chunkSize` raw bytes, from `seq` 0.
function sendChunks(s, uploadId, bytes, chunkSize) {
  let seq = 0;
  for (let at = 0; at < bytes.length; at += chunkSize)
    s.send('file_chunk', { uploadId, seq: seq++, data: bytes.subarray(at, at + chunkSize).toString('base64') });
  return seq;
}

test('a file sent in chunks is stored whole, with the HTTP upload\'s checksums', async () => {
  const ann = await user('Ann');
  const atlas = await device(ann, 'Atlas');
  const s = await signedIn(ann);
  const bytes = randomBytes(20_000);
  const asked = s.send('file_upload', { deviceId: atlas.id, path: '/docs', name: 'report.bin', size: bytes.length, mimeType: 'application/octet-stream' });
  const accepted = await s.next('file_upload');
  assert.equal(accepted.payload.replyTo, asked);
  assert.match(accepted.payload.uploadId, UUID);
  const { uploadId, chunkSize } = accepted.payload;
  // chunkSize raw bytes, base64 in an envelope, fit the frame limit.
  assert.ok(chunkSize > 0 && Math.ceil(chunkSize / 3) * 4 + 512 < FRAME, `chunkSize ${chunkSize}`);
  assert.ok(sendChunks(s, uploadId, bytes, chunkSize) >= 3);
  const done = s.send('file_complete', { uploadId });
  const complete = await s.next('file_complete');
  assert.equal(complete.payload.replyTo, done);
  assert.equal(complete.payload.uploadId, uploadId);
  const file = complete.payload.file;
  assert.deepEqual([file.name, file.path, file.size, file.deviceId], ['report.bin', '/docs/report.bin', bytes.length, atlas.id]);
  assert.equal(file.checksumSHA256, createHash('sha256').update(bytes).digest('hex'));
  assert.deepEqual(s.received.filter((m) => m.type === 'error'), [], 'no chunk was refused');
  const download = await fetch(`${server.url}/api/devices/${atlas.id}/files/${file.id}/download`, { headers: { authorization: `Bearer ${ann.token}` } });
  assert.deepEqual(Buffer.from(await download.arrayBuffer()), bytes);

  // The path is taken now: 409 without overwrite; with it, the content is replaced.
  s.send('file_upload', { deviceId: atlas.id, path: '/docs', name: 'report.bin', size: 3 });
  assert.equal((await s.next('error')).payload.code, 'CONFLICT');
  s.send('file_upload', { deviceId: atlas.id, path: '/docs', name: 'report.bin', size: 3, overwrite: true });
  const again = (await s.next('file_upload')).payload.uploadId;
  sendChunks(s, again, Buffer.from('new'), 3);
  s.send('file_complete', { uploadId: again });
  const replaced = (await s.next('file_complete')).payload.file;
  assert.deepEqual([replaced.id, replaced.size], [file.id, 3]);
  s.ws.close(1000);
});

test('file_upload is refused before any byte: another user\'s device, bad fields, the quota', async () => {
  const ann = await user('Ann');
  const bob = await user('Bob');
  const atlas = await device(ann, 'Atlas');
  const s = await signedIn(bob);
  const refusals = [
    [{ deviceId: atlas.id, path: '/', name: 'a.txt', size: 10 }, 'NOT_FOUND'],
    [{ deviceId: 'not-a-device', path: '/', name: 'a.txt', size: 10 }, 'NOT_FOUND'],
  ];
  const mine = await device(bob, 'Mine');
  refusals.push(
    [{ deviceId: mine.id, path: '/', name: 'a.txt', size: 0 }, 'VALIDATION_ERROR'],
    [{ deviceId: mine.id, path: '/', name: 'a.txt', size: '10' }, 'VALIDATION_ERROR'],
    [{ deviceId: mine.id, path: '/', name: '../a.txt', size: 10 }, 'VALIDATION_ERROR'],
    [{ deviceId: mine.id, path: '/x/../..', name: 'a.txt', size: 10 }, 'VALIDATION_ERROR'],
    [{ deviceId: mine.id, path: '/', size: 10 }, 'VALIDATION_ERROR'],
    [{ deviceId: mine.id, path: '/', name: 'big.bin', size: QUOTA + 1 }, 'FORBIDDEN'],
  );
  for (const [payload, code] of refusals) {
    const id = s.send('file_upload', payload);
    const error = await s.next('error');
    assert.deepEqual([error.payload.code, error.payload.replyTo], [code, id], JSON.stringify(payload));
  }
  assert.deepEqual(await listed(bob, mine.id), []);
  s.ws.close(1000);
});

test('a bad chunk drops the upload and leaves no row and no bytes', async () => {
  const ann = await user('Ann');
  const atlas = await device(ann, 'Atlas');
  const s = await signedIn(ann);
  const before = storedBlobs();
  const start = async (name, size) => {
    s.send('file_upload', { deviceId: atlas.id, path: '/', name, size });
    return (await s.next('file_upload')).payload;
  };
  const dropped = async (uploadId, code) => {
    const error = await s.next('error');
    assert.deepEqual([error.payload.code, error.payload.uploadId], [code, uploadId], JSON.stringify(error.payload));
    // Gone: its next chunk names no upload.
    s.send('file_chunk', { uploadId, seq: 5, data: 'AAAA' });
    assert.equal((await s.next('error')).payload.code, 'NOT_FOUND');
  };

  let up = await start('order.bin', 9000);
  s.send('file_chunk', { uploadId: up.uploadId, seq: 0, data: randomBytes(3000).toString('base64') });
  s.send('file_chunk', { uploadId: up.uploadId, seq: 2, data: randomBytes(3000).toString('base64') });
  await dropped(up.uploadId, 'VALIDATION_ERROR');

  up = await start('b64.bin', 10);
  s.send('file_chunk', { uploadId: up.uploadId, seq: 0, data: 'not base64!' });
  await dropped(up.uploadId, 'VALIDATION_ERROR');

  up = await start('lies.bin', 10);
  s.send('file_chunk', { uploadId: up.uploadId, seq: 0, data: randomBytes(11).toString('base64') });
  await dropped(up.uploadId, 'VALIDATION_ERROR');

  up = await start('short.bin', 10);
  s.send('file_chunk', { uploadId: up.uploadId, seq: 0, data: randomBytes(4).toString('base64') });
  s.send('file_complete', { uploadId: up.uploadId });
  await dropped(up.uploadId, 'VALIDATION_ERROR');

  assert.deepEqual(await listed(ann, atlas.id), []);
  assert.equal(storedBlobs(), before, 'no bytes left behind');
  s.ws.close(1000);
});

test('an abandoned upload — socket closed, or no chunk in time — leaves nothing', async () => {
  const ann = await user('Ann');
  const atlas = await device(ann, 'Atlas');
  const before = storedBlobs();

  const closing = await signedIn(ann);
  closing.send('file_upload', { deviceId: atlas.id, path: '/', name: 'half.bin', size: 100_000 });
  const half = (await closing.next('file_upload')).payload;
  sendChunks(closing, half.uploadId, randomBytes(50_000), half.chunkSize);
  closing.ws.close(1000);
  await closing.closed;

  const idle = await signedIn(ann);
  idle.send('file_upload', { deviceId: atlas.id, path: '/', name: 'idle.bin', size: 100 });
  const waiting = (await idle.next('file_upload')).payload;
  idle.send('file_chunk', { uploadId: waiting.uploadId, seq: 0, data: randomBytes(50).toString('base64') });
  const timedOut = await idle.next('error', 5000);
  assert.deepEqual([timedOut.payload.code, timedOut.payload.uploadId], ['TIMEOUT', waiting.uploadId]);

  // The closed socket's upload is dropped on the server's side of the close: give it a moment.
  for (let i = 0; i < 50 && storedBlobs() !== before; ++i) await new Promise((r) => setTimeout(r, 100));
  assert.equal(storedBlobs(), before, 'no bytes left behind');
  assert.deepEqual(await listed(ann, atlas.id), []);
  idle.ws.close(1000);
});
