// Hostile traffic against the released binary, as an attacker or a buggy client sends it: the
// process must live on, answer in JSON, and tell its WebSocket peers when it goes away.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import WebSocket from 'ws';
import { startServer, api, uniqueEmail, databases } from './harness.mjs';

const DATABASES = databases('hardening');
after(() => { for (const db of DATABASES) db.drop(); });

// Writes `bytes` on a fresh TCP connection; resolves with everything the server sent until it
// closed the connection (or `ms` passed).
function rawExchange(url, bytes, ms = 5000) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks = [];
    const timer = setTimeout(() => { socket.destroy(); resolve(Buffer.concat(chunks).toString('latin1')); }, ms);
    socket.on('connect', () => socket.end(bytes));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', (e) => { clearTimeout(timer); e.code === 'ECONNRESET' ? resolve(Buffer.concat(chunks).toString('latin1')) : reject(e); });
    socket.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks).toString('latin1')); });
  });
}

async function ownerWithDevices(server, count) {
  const reg = await api(server.url, 'POST', '/api/auth/register', {
    body: { email: uniqueEmail('hard'), password: 'password123', name: 'Hard' },
  });
  assert.equal(reg.status, 201, reg.text);
  const token = reg.body.data.accessToken;
  const devices = [];
  for (let i = 0; i < count; i += 1) {
    const res = await api(server.url, 'POST', '/api/devices', {
      token,
      body: { name: `Hard ${i}`, model: 'EOS-3A', serialNumber: `HARD-${process.pid}-${Date.now()}-${i}`, mac: '02:00:00:00:00:03' },
    });
    assert.equal(res.status, 201, res.text);
    devices.push({ id: res.body.data.device.id, deviceToken: res.body.data.deviceToken });
  }
  return { token, devices };
}

function connect(server, device) {
  const ws = new WebSocket(server.url.replace('http', 'ws') + `/api/devices/${device.id}/connect`, {
    headers: { authorization: `Device ${device.deviceToken}` },
  });
  const messages = [];
  ws.on('message', (data) => messages.push(data.toString()));
  const opened = new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return { ws, messages, opened, closed };
}

for (const db of DATABASES) {
  test(`a 64 KiB chunked trailer is refused and the process lives on (${db.name})`, async () => {
    const server = await startServer(db.env);
    try {
      const trailer = 'X-T: ' + 'c'.repeat(70 * 1024);
      const answer = await rawExchange(server.url,
        `GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n${trailer}\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 400 /);
      const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
      assert.equal(JSON.parse(body).error.code, 'VALIDATION_ERROR');
      assert.equal(server.child.exitCode, null, 'the process is still running');
      assert.equal((await api(server.url, 'GET', '/healthz')).status, 200);
    } finally {
      await server.stop();
    }
  });
}

for (const db of DATABASES) {
  test(`a NUL in a gateway result or a malformed command id is refused and the command stays deliverable (${db.name})`, async () => {
    const server = await startServer(db.env);
    try {
      const { token, devices: [device] } = await ownerWithDevices(server, 1);
      const queued = await api(server.url, 'POST', `/api/devices/${device.id}/commands`, { token, body: { command: 'reboot' } });
      assert.equal(queued.status, 202, queued.text);
      const commandId = queued.body.data.command.id;
      const link = connect(server, device);
      await link.opened;
      const deadline = Date.now() + 5000;
      while (!link.messages.some((m) => m.includes(commandId)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      link.ws.send(JSON.stringify({ type: 'result', commandId, status: 'succeeded', result: { log: 'a\u0000b' } }));
      while (!link.messages.some((m) => m.includes('VALIDATION_ERROR')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const error = JSON.parse(link.messages.find((m) => m.includes('VALIDATION_ERROR')));
      assert.equal(error.type, 'error');
      assert.match(error.error.message, /result\.log/);
      // A command id that is not a UUID (PostgreSQL's uuid column once turned it into an error).
      link.ws.send(JSON.stringify({ type: 'ack', commandId: 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz' }));
      while (!link.messages.some((m) => m.includes('commandId: must be')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(JSON.parse(link.messages.find((m) => m.includes('commandId: must be'))).error.code, 'VALIDATION_ERROR');
      link.ws.send(JSON.stringify({ type: 'result', commandId, status: 'succeeded', result: { log: 'ok' } }));
      for (;;) {
        const got = await api(server.url, 'GET', `/api/devices/${device.id}/commands/${commandId}`, { token });
        if (got.body.data.status === 'succeeded') { assert.deepEqual(got.body.data.result, { log: 'ok' }); break; }
        assert.ok(Date.now() < deadline, `command stuck in ${got.body.data.status}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      link.ws.close();
      await link.closed;
    } finally {
      await server.stop();
    }
  });
}

for (const db of DATABASES) {
  test(`SIGTERM sends every device connection a 1001 close frame (${db.name})`, async () => {
    const server = await startServer(db.env);
    const { devices } = await ownerWithDevices(server, 3);
    const links = devices.map((d) => connect(server, d));
    await Promise.all(links.map((l) => l.opened));
    const { code } = await server.stop('SIGTERM');
    assert.equal(code, 0);
    const closes = await Promise.all(links.map((l) => l.closed));
    assert.deepEqual(closes.map((c) => c.code), [1001, 1001, 1001], JSON.stringify(closes));
  });
}
