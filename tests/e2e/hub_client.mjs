// A `ws` client of the realtime hub (API.md §8) for the e2e tests: users, sockets that keep what
// they receive and check the envelope on every message, and the REST calls that make pushes.
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { api, uniqueEmail } from './harness.mjs';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// Helpers bound to the server at `base()` (a function: suites start their server later).
export function hubClient(base) {
  async function user(name) {
    const res = await api(base(), 'POST', '/api/auth/register', {
      body: { email: uniqueEmail(name.toLowerCase()), password: 'password123', name },
    });
    assert.equal(res.status, 201, res.text);
    return { token: res.body.data.accessToken, refresh: res.body.data.refreshToken, id: res.body.data.user.id };
  }

  // A socket that keeps what it receives: next(type) waits for the next message of that type.
  function open(path = '/api/ws', url = base()) {
    const ws = new WebSocket(url.replace('http', 'ws') + path);
    const received = [];
    const waiters = [];
    ws.on('message', (data, binary) => {
      assert.equal(binary, false);
      const message = JSON.parse(String(data));
      // The envelope, on every message.
      assert.match(message.id, UUID);
      assert.equal(typeof message.type, 'string');
      assert.equal(typeof message.payload, 'object');
      assert.equal(typeof message.timestamp, 'number');
      received.push(message);
      for (const w of [...waiters]) w();
    });
    const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    const opened = new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
    const next = (type, timeout = 3000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} within ${timeout} ms; got ${JSON.stringify(received)}`)), timeout);
      const look = () => {
        const i = received.findIndex((m) => m.type === type);
        if (i < 0) return;
        clearTimeout(timer);
        waiters.splice(waiters.indexOf(look), 1);
        resolve(received.splice(i, 1)[0]);
      };
      waiters.push(look);
      look();
    });
    let n = 0;
    const send = (type, payload = {}) => {
      const id = `${Date.now()}-${++n}`;
      ws.send(JSON.stringify({ id, type, payload, timestamp: Date.now() }));
      return id;
    };
    return { ws, opened, closed, next, send, received };
  }

  async function signedIn(who, path = '/api/ws', url = base()) {
    const s = open(path, url);
    await s.opened;
    const id = s.send('auth', { token: who.token });
    const ok = await s.next('auth_success');
    assert.equal(ok.payload.userId, who.id);
    assert.equal(ok.payload.replyTo, id);
    assert.match(ok.payload.sessionId, UUID);
    assert.equal(ok.sessionId, ok.payload.sessionId);
    return s;
  }

  const createDevice = async (who, name = 'Atlas', url = base()) => (await api(url, 'POST', '/api/devices', {
    token: who.token, body: { name, model: 'EOS-3A', serialNumber: `SN-HUB-${Date.now()}-${Math.random()}`, mac: 'AA:BB:CC:DD:EE:FF' },
  })).body.data;
  const device = async (who, name) => (await createDevice(who, name)).device;

  const heartbeat = (who, id, status, url = base()) => api(url, 'POST', `/api/devices/${id}/heartbeat`, {
    token: who.token,
    body: { status, metrics: { cpuUsage: 1, memoryUsage: 1, diskUsage: 1, temperature: 40, uptime: 5 }, timestamp: Date.now() },
  });
  return { user, open, signedIn, createDevice, device, heartbeat };
}
