// A simulated EOS device (a real `ws` client) talks to the gateway while its owner uses REST.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer, api, uniqueEmail } from './harness.mjs';

let server;
let token;
before(async () => {
  // One owner registers many devices here; billing.test.mjs covers the plan limits.
  server = await startServer({ PLAN_LIMITS: 'off' });
  const reg = await api(server.url, 'POST', '/api/auth/register', {
    body: { email: uniqueEmail('owner'), password: 'password123', name: 'Owner' },
  });
  token = reg.body.data.accessToken;
});
after(async () => { if (server) await server.stop(); });

let serial = 0;
async function createDevice() {
  serial += 1;
  const res = await api(server.url, 'POST', '/api/devices', {
    token,
    body: { name: `Box ${serial}`, model: 'EOS-3C', serialNumber: `E2E-${process.pid}-${serial}`, mac: '02:00:00:00:00:01' },
  });
  assert.equal(res.status, 201, res.text);
  return { id: res.body.data.device.id, deviceToken: res.body.data.deviceToken };
}

// A device connection that collects every message it receives.
function connect(device, { viaQuery = false } = {}) {
  const url = server.url.replace('http', 'ws') + `/api/devices/${device.id}/connect` +
    (viaQuery ? `?token=${encodeURIComponent(device.deviceToken)}` : '');
  const ws = new WebSocket(url, viaQuery ? {} : { headers: { authorization: `Device ${device.deviceToken}` } });
  const inbox = [];
  const waiters = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    inbox.push(msg);
    for (const w of [...waiters]) if (w.match(msg)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(msg); }
  });
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const opened = new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  return {
    ws, inbox, closed, opened,
    next(match, ms = 5000) {
      const found = inbox.find(match);
      if (found) { inbox.splice(inbox.indexOf(found), 1); return Promise.resolve(found); }
      return new Promise((resolve, reject) => {
        const w = { match, resolve: (m) => { clearTimeout(timer); inbox.splice(inbox.indexOf(m), 1); resolve(m); } };
        const timer = setTimeout(() => { waiters.splice(waiters.indexOf(w), 1); reject(new Error('no matching message')); }, ms);
        waiters.push(w);
      });
    },
    send(obj) { ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); },
  };
}

async function command(deviceId, id) {
  const res = await api(server.url, 'GET', `/api/devices/${deviceId}/commands/${id}`, { token });
  assert.equal(res.status, 200, res.text);
  return res.body.data;
}

async function eventually(check, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a device receives queued and live commands, acks them and reports results', async () => {
  const device = await createDevice();
  const queued = await api(server.url, 'POST', `/api/devices/${device.id}/commands`, {
    token, body: { command: 'update_firmware', params: { version: '2.0.0' }, timeoutMs: 60000 },
  });
  assert.equal(queued.status, 202);
  assert.equal(queued.body.data.command.status, 'queued');

  const link = connect(device);
  await link.opened;
  const first = await link.next((m) => m.type === 'command');
  assert.equal(first.command.id, queued.body.data.command.id);
  assert.equal(first.command.command, 'update_firmware');
  assert.deepEqual(first.command.params, { version: '2.0.0' });
  assert.equal((await command(device.id, first.command.id)).status, 'sent');

  // Created while connected: delivered at once.
  const live = await api(server.url, 'POST', `/api/devices/${device.id}/commands`, { token, body: { command: 'ping' } });
  const second = await link.next((m) => m.type === 'command');
  assert.equal(second.command.id, live.body.data.command.id);

  link.send({ type: 'ack', commandId: first.command.id });
  await eventually(async () => (await command(device.id, first.command.id)).status === 'acked');
  link.send({ type: 'result', commandId: first.command.id, status: 'succeeded', result: { installed: '2.0.0' } });
  link.send({ type: 'result', commandId: second.command.id, status: 'failed', error: 'no route' });
  const done = await eventually(async () => {
    const c = await command(device.id, first.command.id);
    return c.status === 'succeeded' && c;
  });
  assert.deepEqual(done.result, { installed: '2.0.0' });
  const failed = await eventually(async () => {
    const c = await command(device.id, second.command.id);
    return c.status === 'failed' && c;
  });
  assert.equal(failed.error, 'no route');

  // A finished command cannot be reported again.
  link.send({ type: 'result', commandId: first.command.id, status: 'failed' });
  const refused = await link.next((m) => m.type === 'error');
  assert.equal(refused.error.code, 'CONFLICT');

  const list = await api(server.url, 'GET', `/api/devices/${device.id}/commands`, { token });
  assert.equal(list.body.data.total, 2);
  link.ws.close();
  await link.closed;
});

test('heartbeats over the socket update the device', async () => {
  const device = await createDevice();
  const link = connect(device, { viaQuery: true });
  await link.opened;
  link.send({ type: 'heartbeat', status: 'online', metrics: { cpuUsage: 5, memoryUsage: 6, diskUsage: 7, temperature: 40, uptime: 9 } });
  await eventually(async () => {
    const res = await api(server.url, 'GET', `/api/devices/${device.id}`, { token });
    return res.body.data.status === 'online';
  });
  link.send({ type: 'ping' });
  assert.equal((await link.next((m) => m.type === 'pong')).type, 'pong');
  link.ws.close();
  await link.closed;
});

test('bad frames get an error message, never a crash', async () => {
  const device = await createDevice();
  const link = connect(device);
  await link.opened;
  for (const frame of ['not json', '[1,2]', JSON.stringify({ type: 'launch' }), JSON.stringify({ type: 'ack' }),
    JSON.stringify({ type: 'ack', commandId: '00000000-0000-4000-8000-000000000000' }),
    JSON.stringify({ type: 'heartbeat', status: 'melting' })]) {
    link.send(frame);
    const err = await link.next((m) => m.type === 'error');
    assert.ok(['VALIDATION_ERROR', 'CONFLICT'].includes(err.error.code), frame);
  }
  // 10 MB is far over the frame limit: the server closes with 1009 (message too big). The
  // client may still be sending when the server hangs up, and then sees 1006 instead.
  link.ws.send('x'.repeat(10 * 1024 * 1024));
  const { code } = await link.closed;
  assert.ok([1009, 1006].includes(code), `close code ${code}`);
  const health = await api(server.url, 'GET', '/healthz');
  assert.equal(health.status, 200);
});

test('one live connection per device: a new one replaces the old', async () => {
  const device = await createDevice();
  const first = connect(device);
  await first.opened;
  const second = connect(device);
  await second.opened;
  const { code, reason } = await first.closed;
  assert.equal(code, 1000);
  assert.match(reason, /replaced/);
  await api(server.url, 'POST', `/api/devices/${device.id}/commands`, { token, body: { command: 'sync_files' } });
  assert.equal((await second.next((m) => m.type === 'command')).command.command, 'sync_files');
  second.ws.close();
  await second.closed;
});

test('the gateway refuses bad tokens before upgrading', async () => {
  const device = await createDevice();
  const other = await createDevice();
  for (const deviceToken of ['kdt_forged', other.deviceToken]) {
    const ws = new WebSocket(server.url.replace('http', 'ws') + `/api/devices/${device.id}/connect`, {
      headers: { authorization: `Device ${deviceToken}` },
    });
    const status = await new Promise((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.on('open', () => resolve('opened'));
    });
    assert.equal(status, 401);
  }
  const plain = await api(server.url, 'GET', `/api/devices/${device.id}/connect`);
  assert.equal(plain.status, 400);
});
