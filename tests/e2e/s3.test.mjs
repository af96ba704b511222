// Two karma instances sharing one database and one S3 bucket (s3rver) behave as one: a file
// uploaded through one streams back through the other, its bytes live only in the bucket,
// deleting it through either removes the object, and an upload cut off mid-way leaves nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { startServer, api, userWithDevice, tempDir, postgresSchema } from './harness.mjs';

const BOUNDARY = '----karma-e2e-s3-7d21';
const MB = 1024 * 1024;
const BUCKET = 'karma-e2e';

let s3;
let s3Dir;
let s3Url;
let schema;
let shared;  // what every instance of the suite shares: database, secret
let a;
let b;
let token;
let device;

// s3rver on a free port; resolves with its URL once it listens.
function startS3rver() {
  s3Dir = tempDir();
  const bin = new URL('./node_modules/.bin/s3rver', import.meta.url).pathname;
  s3 = spawn(bin, ['-d', s3Dir, '-a', '127.0.0.1', '-p', '0', '--silent', '--configure-bucket', BUCKET]);
  return new Promise((resolve, reject) => {
    let out = '';
    s3.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (127\.0\.0\.1:\d+)/);
      if (m) resolve(`http://${m[1]}`);
    });
    s3.on('exit', (code) => reject(new Error(`s3rver exited ${code}`)));
  });
}

// The bucket's objects, listed the way any S3 client would (s3rver allows anonymous reads).
async function bucketObjects() {
  const xml = await (await fetch(`${s3Url}/${BUCKET}?list-type=2`)).text();
  return [...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);
}

before(async () => {
  s3Url = await startS3rver();
  // One database for both instances: PostgreSQL in a schema of this run when the test script
  // provides it, else one SQLite file both open.
  shared = { SECRET_KEY: randomBytes(24).toString('hex'), PLAN_LIMITS: 'off' };
  schema = postgresSchema('s3');
  shared.DATABASE_URL = schema ? schema.url : `sqlite://${join(tempDir(), 'shared.db')}`;
  const s3env = {
    AWS_S3_BUCKET: BUCKET,
    S3_ENDPOINT: s3Url,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    S3_PART_SIZE_BYTES: String(5 * MB),
  };
  a = await startServer({ ...shared, ...s3env });
  b = await startServer({ ...shared, ...s3env });
  ({ token, device } = await userWithDevice(a.url, 's3', { name: 'S3 box', model: 'EOS-3B' }, b.url));
});

after(async () => {
  await a?.stop();
  await b?.stop();
  s3?.kill();
  schema?.drop();
  if (s3Dir) rmSync(s3Dir, { recursive: true, force: true });
});

const head = (name) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="path"\r\n\r\n/s3\r\n` +
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
  'Content-Type: application/octet-stream\r\n\r\n';
const tail = `\r\n--${BOUNDARY}--\r\n`;

const localBlobs = (server) => {
  const dir = join(server.dataDir, 'blobs', 'objects');
  return existsSync(dir) ? readdirSync(dir, { recursive: true }) : [];
};

test('a file uploaded through one instance streams back through the other from the bucket', async () => {
  const content = randomBytes(23 * MB + 321);  // four parts of 5 MiB and a short fifth
  const sha = createHash('sha256').update(content).digest('hex');
  const up = await fetch(`${a.url}/api/devices/${device}/files/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body: Buffer.concat([Buffer.from(head('model.bin')), content, Buffer.from(tail)]),
  });
  const uploaded = await up.json();
  assert.equal(up.status, 201, JSON.stringify(uploaded));
  assert.equal(uploaded.data.file.checksumSHA256, sha);
  assert.equal((await bucketObjects()).length, 1, 'the bytes went to the bucket');
  assert.deepEqual([...localBlobs(a), ...localBlobs(b)], [], 'and nowhere else');

  const down = await fetch(`${b.url}${uploaded.data.file.downloadUrl}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(down.status, 200);
  assert.equal(createHash('sha256').update(Buffer.from(await down.arrayBuffer())).digest('hex'), sha);

  const from = 5 * MB - 100;
  const range = await fetch(`${b.url}${uploaded.data.file.downloadUrl}`, {
    headers: { authorization: `Bearer ${token}`, range: `bytes=${from}-${from + 199}` },
  });
  assert.equal(range.status, 206);
  assert.ok(Buffer.from(await range.arrayBuffer()).equals(content.subarray(from, from + 200)));

  const removed = await api(b.url, 'DELETE', `/api/devices/${device}/files/${uploaded.data.file.id}`, { token });
  assert.equal(removed.status, 200, removed.text);
  assert.deepEqual(await bucketObjects(), [], 'deleting the last file removed the object');
});

test('an upload cut off after its first parts leaves no object and no file', async () => {
  await new Promise((resolve) => {
    const req = request(`${b.url}/api/devices/${device}/files/upload`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
        'content-length': String(40 * MB),
      },
    });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.write(head('cut.bin'));
    let written = 0;
    const pump = () => {
      while (written < 12 * MB) {  // two parts uploaded before the cut
        written += MB;
        if (!req.write(randomBytes(MB))) return req.once('drain', pump);
      }
      setTimeout(() => req.destroy(), 300);
    };
    pump();
  });
  const listing = await api(a.url, 'GET', `/api/devices/${device}/files?path=/s3&recursive=true`, { token });
  assert.equal(listing.status, 200);
  assert.deepEqual(listing.body.data.files, []);
  assert.deepEqual(await bucketObjects(), []);
  // Both instances still serve.
  assert.equal((await api(a.url, 'GET', '/api/devices', { token })).status, 200);
  assert.equal((await api(b.url, 'GET', '/api/devices', { token })).status, 200);
});

// A proxy in front of s3rver that records what karma asks of S3 (method, query, signed payload
// hash, the body's real hash) and can play an S3 that refuses: `refuseAfterParts` part PUTs
// go through, then everything but an abort (DELETE) is answered 503 SlowDown.
async function s3Proxy() {
  const seen = [];
  const state = { refuseAfterParts: Infinity };
  const server = createServer((req, res) => {
    const entry = { method: req.method, url: req.url, signed: req.headers['x-amz-content-sha256'] };
    seen.push(entry);
    const hash = createHash('sha256');
    const parts = seen.filter((e) => e.method === 'PUT' && e.url.includes('partNumber=')).length;
    if (req.method !== 'DELETE' && parts > state.refuseAfterParts) {
      req.resume();
      req.on('end', () => {
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end('<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>');
      });
      return;
    }
    const upstream = request(s3Url + req.url, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    req.on('data', (d) => hash.update(d));
    req.on('end', () => { entry.body = hash.digest('hex'); });
    req.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, state, close: () => server.close() };
}

// A third instance of the suite whose S3 is reached through a fresh s3Proxy().
async function instanceBehindProxy() {
  const proxy = await s3Proxy();
  const c = await startServer({
    ...shared, AWS_S3_BUCKET: BUCKET, S3_ENDPOINT: proxy.url, AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER', S3_PART_SIZE_BYTES: String(5 * MB),
  }).catch((e) => { proxy.close(); throw e; });
  return { proxy, c };
}

async function uploadTo(base, name, content) {
  const res = await fetch(`${base}/api/devices/${device}/files/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body: Buffer.concat([Buffer.from(head(name)), content, Buffer.from(tail)]),
  });
  return { status: res.status, body: await res.json() };
}

test('S3 requests sign their payload\'s hash; a blob of exactly one part is one PUT', async () => {
  const { proxy, c } = await instanceBehindProxy();
  try {
    const one = await uploadTo(c.url, 'one-part.bin', randomBytes(5 * MB));
    assert.equal(one.status, 201, JSON.stringify(one.body));
    assert.deepEqual(proxy.seen.map((e) => e.method + ' ' + e.url.replace(/\?.*/, '?…').replace(/\/[^/?]+(\?|$)/, '/KEY$1')),
      [`PUT /${BUCKET}/blobs/KEY`], 'one PUT, no multipart upload');
    proxy.seen.length = 0;
    const two = await uploadTo(c.url, 'two-parts.bin', randomBytes(5 * MB + 1));
    assert.equal(two.status, 201, JSON.stringify(two.body));
    const partPuts = proxy.seen.filter((e) => e.url.includes('partNumber='));
    assert.equal(partPuts.length, 2);
    for (const e of proxy.seen) {
      assert.notEqual(e.signed, 'UNSIGNED-PAYLOAD', `${e.method} ${e.url}`);
      assert.equal(e.signed, e.body, `${e.method} ${e.url}: the signed hash is the body's`);
    }
    for (const f of [one, two]) {
      const removed = await api(a.url, 'DELETE', `/api/devices/${device}/files/${f.body.data.file.id}`, { token });
      assert.equal(removed.status, 200, removed.text);
    }
  } finally {
    await c.stop();
    proxy.close();
  }
});

test('S3 refusing mid-upload: 503 STORAGE_UNAVAILABLE, no file, no object, no open upload; then it works again', async () => {
  const { proxy, c } = await instanceBehindProxy();
  try {
    const before = await bucketObjects();
    proxy.state.refuseAfterParts = 1;
    const refused = await uploadTo(c.url, 'refused.bin', randomBytes(12 * MB));
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'STORAGE_UNAVAILABLE');
    const uploadId = proxy.seen.find((e) => e.url.includes('partNumber='))?.url.match(/uploadId=([^&]+)/)?.[1];
    assert.ok(uploadId, 'a multipart upload had begun');
    assert.ok(proxy.seen.some((e) => e.method === 'DELETE' && e.url.includes(`uploadId=${uploadId}`)), 'and was aborted');
    const listing = await api(a.url, 'GET', `/api/devices/${device}/files?path=/s3&recursive=true`, { token });
    assert.deepEqual(listing.body.data.files.filter((f) => f.name === 'refused.bin'), []);
    assert.deepEqual(await bucketObjects(), before);

    proxy.state.refuseAfterParts = Infinity;
    const again = await uploadTo(c.url, 'again.bin', randomBytes(MB));
    assert.equal(again.status, 201, JSON.stringify(again.body));

    // An object gone from the bucket: the download is 503, not 500.
    const key = (await bucketObjects()).find((k) => !before.includes(k));
    await fetch(`${s3Url}/${BUCKET}/${key}`, { method: 'DELETE' });
    const gone = await api(a.url, 'GET', `${again.body.data.file.downloadUrl}`, { token });
    assert.equal(gone.status, 503, gone.text);
    assert.equal(gone.body.error.code, 'STORAGE_UNAVAILABLE');
    await api(a.url, 'DELETE', `/api/devices/${device}/files/${again.body.data.file.id}`, { token });
  } finally {
    await c.stop();
    proxy.close();
  }
});
