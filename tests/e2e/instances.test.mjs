// Two instances behind one load balancer: one database and one Redis (REDIS_URL). A device
// connected to one instance gets the commands its owner queues through the other at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startPair, api, uniqueEmail } from './harness.mjs';
import { hubClient } from './hub_client.mjs';

const REDIS = process.env.KARMA_TEST_REDIS_URL;
const skip = !REDIS && process.env.KARMA_REQUIRE_REDIS !== '1' && 'KARMA_TEST_REDIS_URL not set';

let a;
let b;
let pair;
before(async () => {
  if (skip) return;
  assert.ok(REDIS, 'KARMA_REQUIRE_REDIS=1 but KARMA_TEST_REDIS_URL is not set');
  pair = await startPair('instances', { REDIS_URL: REDIS });
  ({ a, b } = pair);
});
after(async () => { await pair?.stop(); });

test('a command queued on one instance reaches the device connected to the other', { skip }, async () => {
  const reg = await api(a.url, 'POST', '/api/auth/register', { body: { email: uniqueEmail('lb'), password: 'password123', name: 'LB' } });
  assert.equal(reg.status, 201, reg.text);
  const token = reg.body.data.accessToken;
  const created = await api(b.url, 'POST', '/api/devices', {
    token, body: { name: 'Far box', model: 'EOS-3A', serialNumber: `LB-${process.pid}-${Date.now()}`, mac: '02:00:00:00:00:09' },
  });
  assert.equal(created.status, 201, created.text);
  const { device, deviceToken } = created.body.data;

  const ws = new WebSocket(b.url.replace('http', 'ws') + `/api/devices/${device.id}/connect`, { headers: { authorization: `Device ${deviceToken}` } });
  const commands = [];
  let arrived;
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.type === 'command') { commands.push(msg.command); arrived?.(); }
  });
  await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  try {
    const next = () => new Promise((resolve, reject) => {
      if (commands.length) return resolve(commands.shift());
      const timer = setTimeout(() => reject(new Error('the command did not arrive')), 5000);
      arrived = () => { clearTimeout(timer); arrived = null; resolve(commands.shift()); };
    });
    for (const name of ['ping', 'sync_files']) {
      const queued = await api(a.url, 'POST', `/api/devices/${device.id}/commands`, { token, body: { command: name } });
      assert.equal(queued.status, 202, queued.text);
      const got = await next();
      assert.equal(got.id, queued.body.data.command.id);
      assert.equal(got.command, name);
    }
  } finally {
    ws.close();
  }
});

// The realtime hub across instances (API.md §8): a session on B hears what happens on A.
test('a heartbeat on A reaches a hub session on B; a member on B sees a task created on A', { skip }, async () => {
  const onA = hubClient(() => a.url);
  const ann = await onA.user('Ann');
  const bob = await onA.user('Bob');
  const atlas = await onA.device(ann, 'Atlas');
  const annOnB = await onA.signedIn(ann, '/api/ws', b.url);
  const bobOnB = await onA.signedIn(bob, '/api/ws', b.url);

  const beat = await onA.heartbeat(ann, atlas.id, 'online', a.url);
  assert.equal(beat.status, 200, beat.text);
  const status = await annOnB.next('device_status');
  assert.deepEqual([status.payload.deviceId, status.payload.status], [atlas.id, 'online']);

  const project = (await api(a.url, 'POST', '/api/projects', { token: ann.token, body: { name: 'Across' } })).body.data.project;
  const added = await api(a.url, 'POST', `/api/projects/${project.id}/members`, { token: ann.token, body: { userId: bob.id, role: 'member' } });
  assert.equal(added.status, 200, added.text);
  const task = await api(a.url, 'POST', `/api/projects/${project.id}/tasks`, { token: ann.token, body: { title: 'Cross the wire' } });
  assert.equal(task.status, 201, task.text);
  for (const s of [annOnB, bobOnB]) {
    const update = await s.next('task_update');
    assert.deepEqual([update.payload.projectId, update.payload.action, update.payload.task.title], [project.id, 'created', 'Cross the wire']);
  }
  assert.equal(bobOnB.received.filter((m) => m.type === 'device_status').length, 0, 'Ann\'s device is not Bob\'s to see');
  annOnB.ws.close(1000);
  bobOnB.ws.close(1000);
});

// Login throttling counts in Redis: failures through A and B add up, and a lock taken on A
// holds on B even for the right password.
test('five wrong passwords across both instances lock the account on both', { skip }, async () => {
  const email = uniqueEmail('throttle');
  const reg = await api(a.url, 'POST', '/api/auth/register', { body: { email, password: 'password123', name: 'T' } });
  assert.equal(reg.status, 201, reg.text);
  for (let i = 0; i < 5; ++i) {
    const wrong = await api(i % 2 ? b.url : a.url, 'POST', '/api/auth/login', { body: { email, password: `wrong-${i}` } });
    assert.equal(wrong.status, 401, `attempt ${i + 1}: ${wrong.text}`);
  }
  for (const base of [a.url, b.url]) {
    const locked = await api(base, 'POST', '/api/auth/login', { body: { email, password: 'password123' } });
    assert.equal(locked.status, 429, locked.text);
    assert.equal(locked.body.error.code, 'RATE_LIMIT_EXCEEDED');
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
  }
});

// One live gateway connection per device across instances (the newest), and commands delivered
// at least once: one sent over a connection that died before the ack comes again, same id.
test('a device reconnecting on B replaces its link on A; what A sent unacknowledged comes again', { skip }, async () => {
  const reg = await api(a.url, 'POST', '/api/auth/register', { body: { email: uniqueEmail('relink'), password: 'password123', name: 'R' } });
  const token = reg.body.data.accessToken;
  const { device, deviceToken } = (await api(a.url, 'POST', '/api/devices', {
    token, body: { name: 'Roamer', model: 'EOS-3A', serialNumber: `RL-${process.pid}-${Date.now()}`, mac: '02:00:00:00:00:0c' },
  })).body.data;
  const link = (base) => {
    const ws = new WebSocket(base.replace('http', 'ws') + `/api/devices/${device.id}/connect`, { headers: { authorization: `Device ${deviceToken}` } });
    const commands = [];
    let waiting = null;
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      if (m.type === 'command') { commands.push(m.command); waiting?.(); }
    });
    const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve(String(reason))));
    const next = () => new Promise((resolve, reject) => {
      if (commands.length) return resolve(commands.shift());
      const timer = setTimeout(() => reject(new Error('no command')), 5000);
      waiting = () => { clearTimeout(timer); waiting = null; resolve(commands.shift()); };
    });
    return { ws, next, closed, opened: new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); }) };
  };
  const onA = link(a.url);
  await onA.opened;
  const queued = await api(a.url, 'POST', `/api/devices/${device.id}/commands`, { token, body: { command: 'ping' } });
  assert.equal((await onA.next()).id, queued.body.data.command.id);  // sent, never acknowledged

  const onB = link(b.url);
  await onB.opened;
  assert.equal(await onA.closed, 'replaced by a newer connection', 'the link on A is closed');
  const again = await onB.next();
  assert.equal(again.id, queued.body.data.command.id, 'redelivered on the new link');
  onB.ws.send(JSON.stringify({ type: 'ack', commandId: again.id }));
  const later = await api(b.url, 'POST', `/api/devices/${device.id}/commands`, { token, body: { command: 'sync_files' } });
  assert.equal((await onB.next()).id, later.body.data.command.id, 'new commands go to the live link');
  onB.ws.close();
});
