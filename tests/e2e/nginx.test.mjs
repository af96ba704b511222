// Two instances behind a real nginx running the site from deploy/nginx/karma.conf (only its
// upstream ports and listen address changed): one database, one Redis, one blob directory.
// WebSockets (hub and device gateway) pass through, events cross instances, an agent run
// streams unbuffered, and an upload through nginx downloads byte-exact from either instance.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { LLMock } from '@copilotkit/aimock';
import { startPair, api, tempDir, uniqueEmail } from './harness.mjs';
import { hubClient } from './hub_client.mjs';

const REDIS = process.env.KARMA_TEST_REDIS_URL;
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const skip = (!REDIS && 'KARMA_TEST_REDIS_URL not set') || (!NGINX && 'nginx is not installed');
const MB = 1024 * 1024;

let a, b, pair, nginx, mock, proxyUrl, nginxLog;

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

// deploy/'s site with this run's ports, in a config of its own (no root, no system paths).
function nginxConfig(dir, port, upstreams) {
  let site = readFileSync(new URL('../../deploy/nginx/karma.conf', import.meta.url), 'utf8');
  const servers = site.match(/^\s*server 127\.0\.0\.1:\d+.*$/gm);
  assert.equal(servers.length, 2, 'the site balances two instances');
  site = site.replace(servers[0], `    server ${upstreams[0]} max_fails=3 fail_timeout=10s;`)
    .replace(servers[1], `    server ${upstreams[1]} max_fails=3 fail_timeout=10s;`)
    .replace(/^\s*listen \[::\]:80;$/m, '')
    .replace(/^\s*listen 80;$/m, `    listen 127.0.0.1:${port};`);
  // nginx's workers drop root for another user: the directories must be theirs to use.
  chmodSync(dir, 0o755);
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o777 });
  nginxLog = join(dir, 'error.log');
  return `daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${nginxLog} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
${site}
}
`;
}

before(async () => {
  if (skip) return;
  mock = new LLMock({ port: 0 });
  await mock.start();
  pair = await startPair('nginx', {
    REDIS_URL: REDIS,
    KARMA_DATA_DIR: tempDir(),  // one blob directory for both
    TRUST_PROXY: 'true',
    OPENAI_BASE_URL: `${mock.url}/v1`, OPENAI_API_KEY: 'test-key', OPENAI_MODEL: 'gpt-test',
  });
  ({ a, b } = pair);
  const dir = tempDir();
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, port, [a.url, b.url].map((u) => u.replace('http://', ''))));
  nginx = spawn(NGINX, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  nginx.stderr.on('data', (d) => { stderr += d; });
  proxyUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; ++i) {
    try { if ((await fetch(`${proxyUrl}/healthz`)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not start: ${stderr} ${existsSync(nginxLog) ? readFileSync(nginxLog, 'utf8') : ''}`);
});

after(async () => {
  nginx?.kill('SIGQUIT');
  await pair?.stop();
  await mock?.stop();
});

async function register() {
  const res = await api(proxyUrl, 'POST', '/api/auth/register', { body: { email: uniqueEmail('nginx'), password: 'password123', name: 'N' } });
  assert.equal(res.status, 201, res.text);
  return { token: res.body.data.accessToken, id: res.body.data.user.id };
}

test('the hub and the device gateway work through nginx, with events from either instance', { skip }, async () => {
  const hub = hubClient(() => proxyUrl);
  const ann = await register();
  const { device, deviceToken } = (await api(proxyUrl, 'POST', '/api/devices', {
    token: ann.token, body: { name: 'Edge', model: 'EOS-3A', serialNumber: `NGX-${Date.now()}`, mac: '02:00:00:00:00:0a' },
  })).body.data;
  // The session manager's bare-host URL and /api/ws both upgrade through nginx.
  const sessions = [await hub.signedIn(ann, '/'), await hub.signedIn(ann, '/api/ws')];
  for (const [i, base] of [a.url, b.url].entries()) {
    const beat = await hub.heartbeat(ann, device.id, i ? 'updating' : 'online', base);
    assert.equal(beat.status, 200, beat.text);
    for (const s of sessions) assert.equal((await s.next('device_status')).payload.status, i ? 'updating' : 'online');
  }
  for (const s of sessions) s.ws.close(1000);

  const link = new WebSocket(`${proxyUrl.replace('http', 'ws')}/api/devices/${device.id}/connect`, { headers: { authorization: `Device ${deviceToken}` } });
  const commands = [];
  let arrived = null;
  link.on('message', (data) => {
    const m = JSON.parse(String(data));
    if (m.type === 'command') { commands.push(m.command); arrived?.(); }
  });
  await new Promise((resolve, reject) => { link.on('open', resolve); link.on('error', reject); });
  try {
    for (const base of [a.url, b.url]) {
      const queued = await api(base, 'POST', `/api/devices/${device.id}/commands`, { token: ann.token, body: { command: 'ping' } });
      assert.equal(queued.status, 202, queued.text);
      if (!commands.length) await new Promise((resolve, reject) => { arrived = resolve; setTimeout(() => reject(new Error('no command')), 5000); });
      assert.equal(commands.shift().id, queued.body.data.command.id);
    }
  } finally {
    link.close();
  }
});

test('an agent run streams through nginx as it happens, not when it ends', { skip }, async () => {
  mock.onMessage('stream through the proxy', { content: 'word '.repeat(60) }, { chunkSize: 5, latency: 50 });
  const ann = await register();
  const started = Date.now();
  const res = await fetch(`${proxyUrl}/api/agent`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ann.token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'stream through the proxy' }] }),
  });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  let text = '';
  let firstContent = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString();
    if (!firstContent && text.includes('TEXT_MESSAGE_CONTENT')) firstContent = Date.now();
  }
  const ended = Date.now();
  assert.match(text, /RUN_FINISHED/);
  // 60 chunks 50 ms apart: about 3 s of streaming. Buffered, the first would come with the last.
  assert.ok(ended - started > 1500, `the run took ${ended - started} ms`);
  assert.ok(ended - firstContent > 1000, `first text ${firstContent - started} ms in, end at ${ended - started} ms`);
});

test('a file uploaded through nginx downloads byte-exact from each instance', { skip }, async () => {
  const ann = await register();
  const { device } = (await api(proxyUrl, 'POST', '/api/devices', {
    token: ann.token, body: { name: 'Files', model: 'EOS-3B', serialNumber: `NGF-${Date.now()}`, mac: '02:00:00:00:00:0b' },
  })).body.data;
  const content = randomBytes(24 * MB + 17);
  const boundary = '----karma-nginx-e2e';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    content, Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const up = await fetch(`${proxyUrl}/api/devices/${device.id}/files/upload`, {
    method: 'POST', headers: { authorization: `Bearer ${ann.token}`, 'content-type': `multipart/form-data; boundary=${boundary}` }, body,
  });
  const uploaded = await up.json();
  assert.equal(up.status, 201, JSON.stringify(uploaded));
  const sha = createHash('sha256').update(content).digest('hex');
  assert.equal(uploaded.data.file.checksumSHA256, sha);
  for (const base of [a.url, b.url, proxyUrl]) {
    const down = await fetch(`${base}${uploaded.data.file.downloadUrl}`, { headers: { authorization: `Bearer ${ann.token}` } });
    assert.equal(down.status, 200);
    assert.equal(createHash('sha256').update(Buffer.from(await down.arrayBuffer())).digest('hex'), sha, base);
  }
});
