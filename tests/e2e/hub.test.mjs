// The realtime hub (API.md §8) with a real `ws` client: authentication, the envelope, pings,
// malformed and refused frames, and pushes reaching exactly the sessions allowed to see them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { startServer, api, uniqueEmail } from './harness.mjs';
import { hubClient, UUID } from './hub_client.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { if (server) await server.stop(); });

const { user, open, signedIn, createDevice, device, heartbeat } = hubClient(() => server.url);

test('auth by first message or ?token=, on /api/ws, /api/v1/ws and /', async () => {
  const ann = await user('Ann');
  for (const path of ['/api/ws', '/api/v1/ws', '/']) {
    const s = await signedIn(ann, path);
    const ping = s.send('ping');
    assert.equal((await s.next('pong')).payload.replyTo, ping);
    s.ws.close(1000);
  }
  const byQuery = open(`/api/ws?token=${ann.token}`);
  assert.equal((await byQuery.next('auth_success')).payload.userId, ann.id);
  byQuery.ws.close(1000);
});

test('a bad, refresh or missing token: auth_failed and close 4001', async () => {
  const ann = await user('Ann');
  for (const token of ['nope', ann.refresh, '']) {
    const s = open();
    await s.opened;
    s.send('auth', { token });
    assert.equal(typeof (await s.next('auth_failed')).payload.error, 'string');
    assert.equal((await s.closed).code, 4001);
  }
  const byQuery = open('/api/ws?token=forged');
  await byQuery.next('auth_failed');
  assert.equal((await byQuery.closed).code, 4001);
});

test('before auth only ping works; malformed frames are errors and the session stays', async () => {
  const ann = await user('Ann');
  const s = open();
  await s.opened;
  const before = s.send('ping');
  assert.equal((await s.next('pong')).payload.replyTo, before);
  const early = s.send('subscribe', { topics: ['user:x'] });
  const refused = await s.next('error');
  assert.equal(refused.payload.code, 'UNAUTHORIZED');
  assert.equal(refused.payload.replyTo, early);
  s.send('auth', { token: ann.token });
  await s.next('auth_success');
  for (const frame of ['not json', '[1,2]', '{"type":5}', '{"type":"ping","payload":[]}', JSON.stringify({ id: 'x'.repeat(129), type: 'ping' })]) {
    s.ws.send(frame);
    const error = await s.next('error');
    assert.equal(error.payload.code, 'VALIDATION_ERROR', frame);
    assert.equal(typeof error.payload.message, 'string');
  }
  s.send('dance');
  assert.equal((await s.next('error')).payload.code, 'VALIDATION_ERROR');
  const ping = s.send('ping');
  assert.equal((await s.next('pong')).payload.replyTo, ping, 'still open');
  s.ws.close(1000);
});

test('binary frames close with 1003, oversized ones with 1009, invalid UTF-8 with 1007', async () => {
  const ann = await user('Ann');
  const binary = await signedIn(ann);
  binary.ws.send(Buffer.from([1, 2, 3]));
  assert.equal((await binary.closed).code, 1003);
  // A frame whose header announces 2 MiB (only its start is sent, so the close is not raced by
  // a client still writing the rest).
  const big = await signedIn(ann);
  const header = Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0]);
  big.ws._socket.write(Buffer.concat([header, Buffer.from('{"type":"ping"')]));
  assert.equal((await big.closed).code, 1009);
  const garbled = await signedIn(ann);
  garbled.ws._socket.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28]));  // masked text "\xc3("
  assert.equal((await garbled.closed).code, 1007);
});

test('device_status reaches its owner\'s sessions only; subscribe refuses what is not theirs', async () => {
  const ann = await user('Ann');
  const bob = await user('Bob');
  const atlas = await device(ann);
  const bobs = await device(bob, 'Bolt');
  const mine = await signedIn(ann);
  const second = await signedIn(ann);
  const theirs = await signedIn(bob);
  const anonymous = open();
  await anonymous.opened;

  assert.equal((await heartbeat(ann, atlas.id, 'online')).status, 200);
  for (const s of [mine, second]) {
    const pushed = await s.next('device_status');
    assert.equal(pushed.payload.deviceId, atlas.id);
    assert.equal(pushed.payload.status, 'online');
    assert.equal(pushed.payload.previousStatus, 'offline');
    assert.equal(typeof pushed.payload.lastHeartbeat, 'number');
  }
  await heartbeat(bob, bobs.id, 'online');
  await theirs.next('device_status');
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(!mine.received.some((m) => m.type === 'device_status'), 'not Bob\'s device');
  assert.ok(!anonymous.received.some((m) => m.type === 'device_status'), 'not before auth');

  // Another user's device, or one that does not exist: FORBIDDEN, each on its own.
  const asked = mine.send('subscribe', { topics: [`device:${bobs.id}`, `device:${atlas.id}`, 'device:00000000-0000-4000-8000-000000000000', 'nonsense'] });
  const errors = [await mine.next('error'), await mine.next('error'), await mine.next('error')];
  assert.deepEqual(errors.map((e) => e.payload.code), ['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
  assert.ok(errors.every((e) => e.payload.replyTo === asked && e.payload.message.includes(e.payload.topic)));
  const subscribed = await mine.next('subscribed');
  assert.deepEqual(subscribed.payload.topics, [`user:${ann.id}`, `device:${atlas.id}`]);

  // Unsubscribing mutes the device on that session only.
  mine.send('unsubscribe', { topics: [`device:${atlas.id}`] });
  assert.deepEqual((await mine.next('subscribed')).payload.topics, [`user:${ann.id}`]);
  await heartbeat(ann, atlas.id, 'error');
  assert.equal((await second.next('device_status')).payload.status, 'error');
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(!mine.received.some((m) => m.type === 'device_status'), 'muted');
  mine.send('subscribe', { topics: [`device:${atlas.id}`] });
  await mine.next('subscribed');
  await heartbeat(ann, atlas.id, 'online');
  assert.equal((await mine.next('device_status')).payload.status, 'online');
  for (const s of [mine, second, theirs, anonymous]) s.ws.close(1000);
});

test('task_update reaches the project\'s members; a removed member stops receiving', async () => {
  const ann = await user('Ann');
  const bob = await user('Bob');
  const eve = await user('Eve');
  const project = (await api(server.url, 'POST', '/api/projects', { token: ann.token, body: { name: 'Launch' } })).body.data.project;
  await api(server.url, 'POST', `/api/projects/${project.id}/members`, { token: ann.token, body: { userId: bob.id, role: 'member' } });
  const [a, b, e] = [await signedIn(ann), await signedIn(bob), await signedIn(eve)];
  const task = (await api(server.url, 'POST', `/api/projects/${project.id}/tasks`, { token: ann.token, body: { title: 'Ship' } })).body.data.task;
  for (const s of [a, b]) {
    const pushed = await s.next('task_update');
    assert.deepEqual([pushed.payload.projectId, pushed.payload.action, pushed.payload.task.id], [project.id, 'created', task.id]);
  }
  const refused = e.send('subscribe', { topics: [`project:${project.id}`] });
  assert.equal((await e.next('error')).payload.replyTo, refused);
  await api(server.url, 'DELETE', `/api/projects/${project.id}/members/${bob.id}`, { token: ann.token });
  await api(server.url, 'PUT', `/api/projects/${project.id}/tasks/${task.id}`, { token: ann.token, body: { status: 'completed' } });
  assert.equal((await a.next('task_update')).payload.action, 'updated');
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(!b.received.some((m) => m.type === 'task_update'), 'removed at once');
  assert.ok(!e.received.some((m) => m.type === 'task_update'), 'never a member');
  for (const s of [a, b, e]) s.ws.close(1000);
});

test('notifications: a command\'s result and a plan that starts', async () => {
  const ann = await user('Ann');
  const { device: atlas, deviceToken } = await createDevice(ann);
  const s = await signedIn(ann);
  // The device's side: the gateway delivers the command, the device reports its result.
  const link = new WebSocket(server.url.replace('http', 'ws') + `/api/devices/${atlas.id}/connect`,
    { headers: { authorization: `Device ${deviceToken}` } });
  const delivered = new Promise((resolve) => link.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (m.type === 'command') resolve(m.command);
  }));
  await new Promise((resolve, reject) => { link.on('open', resolve); link.on('error', reject); });
  const queued = await api(server.url, 'POST', `/api/devices/${atlas.id}/commands`, { token: ann.token, body: { command: 'ping' } });
  assert.equal(queued.status, 202, queued.text);
  const command = await delivered;
  link.send(JSON.stringify({ type: 'result', commandId: command.id, status: 'failed', error: 'no route' }));
  const failed = await s.next('notification');
  assert.equal(failed.payload.type, 'error');
  assert.match(failed.payload.message, /ping failed on Atlas: no route/);
  assert.match(failed.payload.id, UUID);
  assert.ok(!Number.isNaN(Date.parse(failed.payload.createdAt)));
  link.close();

  const checkout = await api(server.url, 'POST', '/api/subscriptions/create', { token: ann.token, body: { plan: 'pro', billingCycle: 'monthly' } });
  const confirmed = await fetch(checkout.body.data.checkoutUrl.replace(/^https?:\/\/[^/]+/, server.url), { method: 'POST' });
  assert.equal(confirmed.status, 200);
  const started = await s.next('notification');
  assert.deepEqual([started.payload.title, started.payload.type], ['Plan started', 'success']);
  assert.match(started.payload.message, /pro plan is active/);
  s.ws.close(1000);
});

test('a device that falls silent: device_status offline and a warning', { timeout: 20000 }, async () => {
  const own = await startServer({ HEARTBEAT_INTERVAL_SECONDS: '1' });
  try {
    const reg = await api(own.url, 'POST', '/api/auth/register', { body: { email: uniqueEmail('quiet'), password: 'password123', name: 'Q' } });
    const who = { token: reg.body.data.accessToken };
    const { device: quiet } = await createDevice(who, 'Quiet', own.url);
    const ws = new WebSocket(own.url.replace('http', 'ws') + `/api/ws?token=${who.token}`);
    const seen = [];
    ws.on('message', (d) => seen.push(JSON.parse(String(d))));
    await new Promise((r) => ws.on('open', r));
    await heartbeat(who, quiet.id, 'online', own.url);
    const wait = async (check) => {
      for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(check(), JSON.stringify(seen));
    };
    await wait(() => seen.some((m) => m.type === 'device_status' && m.payload.status === 'offline'));
    const offline = seen.find((m) => m.type === 'device_status' && m.payload.status === 'offline');
    assert.equal(offline.payload.previousStatus, 'online');
    await wait(() => seen.some((m) => m.type === 'notification'));
    const warning = seen.find((m) => m.type === 'notification');
    assert.equal(warning.payload.type, 'warning');
    assert.match(warning.payload.message, /Quiet/);
    ws.close(1000);
  } finally {
    await own.stop();
  }
});

// Collects a run's chat_response payloads up to and including `done` (or `error`).
async function chatRun(s) {
  const events = [];
  for (;;) {
    const m = await s.next('chat_response', 10000);
    events.push(m.payload);
    if (m.payload.type === 'done' || m.payload.type === 'error') return events;
  }
}

test('chat_message runs the agent over the socket; approvals come as hitl_request, whatever the transport', async () => {
  const ann = await user('Ann');
  const bob = await user('Bob');
  await device(ann, 'Atlas');
  const s = await signedIn(ann);
  const other = await signedIn(ann);

  s.send('chat_message', { content: 'list my devices' });
  const listed = await chatRun(s);
  const threadId = listed[0].threadId;
  assert.ok(threadId && listed.every((e) => e.threadId === threadId && e.runId === listed[0].runId));
  const call = listed.find((e) => e.type === 'tool_call');
  assert.deepEqual([call.name, call.execution], ['searchDatabase', 'backend']);
  assert.equal(listed.find((e) => e.type === 'tool_result').id, call.id);
  assert.equal(listed.at(-1).type, 'done');

  // The thread rules of POST /api/agent: another user's thread is not there; content is required.
  const theirs = await signedIn(bob);
  const refused = theirs.send('chat_message', { content: 'hi', threadId });
  const notFound = await theirs.next('error');
  assert.deepEqual([notFound.payload.code, notFound.payload.replyTo], ['NOT_FOUND', refused]);
  s.send('chat_message', {});
  assert.equal((await s.next('error')).payload.code, 'VALIDATION_ERROR');

  // An approval asked over the socket reaches every session of the user.
  s.send('chat_message', { content: 'reboot device Atlas', threadId });
  const asked = await chatRun(s);
  const interrupt = asked.find((e) => e.type === 'interrupt');
  assert.ok(interrupt, JSON.stringify(asked));
  for (const session of [s, other]) {
    const hitl = await session.next('hitl_request');
    assert.equal(hitl.payload.interruptId, interrupt.id);
    assert.equal(hitl.payload.threadId, threadId);
    assert.equal(hitl.payload.toolCallId, interrupt.toolCallId);
    assert.deepEqual(hitl.payload.options.map((o) => o.value), ['resolved', 'cancelled']);
    assert.ok(!Number.isNaN(Date.parse(hitl.payload.expiresAt)));
  }
  // Bob cannot answer it; Ann's answer runs the held call.
  theirs.send('hitl_response', { interruptId: interrupt.id, approved: true });
  assert.equal((await theirs.next('error')).payload.code, 'NOT_FOUND');
  s.send('hitl_response', { interruptId: interrupt.id, approved: true });
  const resumed = await chatRun(s);
  const result = resumed.find((e) => e.type === 'tool_result');
  assert.equal(result.id, interrupt.toolCallId);
  assert.equal(result.result.command, 'reboot');

  // One asked over HTTP is pushed too.
  const http = await fetch(`${server.url}/api/agent`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ann.token}`, 'content-type': 'application/json', 'x-karma-events': 'contract' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'shut down Atlas' }] }),
  });
  await http.text();
  assert.equal((await other.next('hitl_request')).payload.reason, 'approval_required');
  for (const session of [s, other, theirs]) session.ws.close(1000);
});

test('thread:<id> topics carry a thread\'s chat_response events, whichever transport runs it', async () => {
  const ann = await user('Ann');
  const bob = await user('Bob');
  await device(ann, 'Atlas');
  const runner = await signedIn(ann);
  const watcher = await signedIn(ann);
  const quiet = await signedIn(ann);
  runner.send('chat_message', { content: 'list my devices' });
  const threadId = (await chatRun(runner))[0].threadId;

  // Only the owner may follow the thread; nothing that does not exist either.
  const intruder = await signedIn(bob);
  intruder.send('subscribe', { topics: [`thread:${threadId}`, 'thread:no-such-thread'] });
  for (let i = 0; i < 2; ++i) assert.equal((await intruder.next('error')).payload.code, 'FORBIDDEN');
  for (const s of [watcher, runner]) {
    s.send('subscribe', { topics: [`thread:${threadId}`] });
    assert.ok((await s.next('subscribed')).payload.topics.includes(`thread:${threadId}`));
  }

  // A run over POST /api/agent in the AG-UI dialect: the watcher gets it in the contract's.
  const http = await fetch(`${server.url}/api/agent`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ann.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ threadId, messages: [{ role: 'user', content: 'list my devices' }] }),
  });
  assert.match(await http.text(), /RUN_FINISHED/);
  const watched = await chatRun(watcher);
  assert.ok(watched.every((e) => e.threadId === threadId && e.runId === watched[0].runId));
  assert.deepEqual(watched.map((e) => e.type).filter((t) => t === 'tool_call' || t === 'done'), ['tool_call', 'done']);
  const viaHttp = watched[0].runId;
  assert.deepEqual((await chatRun(runner)).map((e) => e.runId), watched.map(() => viaHttp), 'every subscriber');

  // A run over the socket: its own session gets each event once, the watcher too.
  runner.send('chat_message', { content: 'list my devices', threadId });
  const ran = await chatRun(runner);
  const seen = await chatRun(watcher);
  assert.deepEqual(seen.map((e) => e.type), ran.map((e) => e.type));
  assert.notEqual(ran[0].runId, viaHttp);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(runner.received.filter((m) => m.type === 'chat_response').length, 0, 'no duplicates for the runner');
  assert.equal(quiet.received.filter((m) => m.type === 'chat_response').length, 0, 'not subscribed: nothing');
  assert.equal(intruder.received.filter((m) => m.type === 'chat_response').length, 0);

  // Unsubscribed, the watcher hears no more.
  watcher.send('unsubscribe', { topics: [`thread:${threadId}`] });
  await watcher.next('subscribed');
  runner.send('chat_message', { content: 'list my devices', threadId });
  await chatRun(runner);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(watcher.received.filter((m) => m.type === 'chat_response').length, 0);
  for (const s of [runner, watcher, quiet, intruder]) s.ws.close(1000);
});

// An access token signed as the server signs them (HS256, its key id), expiring in `seconds`.
function accessToken(secret, userId, seconds) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const kid = createHash('sha256').update(`kid:${secret}`).digest('hex').slice(0, 16);
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${b64({ iss: 'karma', sub: userId, jti: randomUUID(), iat: now, exp: now + seconds })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

test('a token that expires mid-session ends it (4001) unless a fresh auth came first', { timeout: 20000 }, async () => {
  const secret = 'hub-expiry-test-secret-0123456789abcdef';
  const own = await startServer({ SECRET_KEY: secret });
  try {
    const reg = await api(own.url, 'POST', '/api/auth/register', { body: { email: uniqueEmail('expiry'), password: 'password123', name: 'E' } });
    const { accessToken: fresh, user: { id } } = reg.body.data;
    const short = accessToken(secret, id, 2);
    const expiring = await signedIn({ token: short, id }, '/api/ws', own.url);
    const renewed = await signedIn({ token: short, id }, '/api/ws', own.url);
    renewed.send('auth', { token: fresh });
    await renewed.next('auth_success');
    assert.equal((await expiring.next('auth_failed', 5000)).payload.error, 'token expired');
    assert.equal((await expiring.closed).code, 4001);
    // The same token, now expired, is refused at the door.
    const late = open('/api/ws', own.url);
    await late.opened;
    late.send('auth', { token: short });
    assert.equal((await late.next('auth_failed')).payload.error, 'invalid or expired token');
    assert.equal((await late.closed).code, 4001);
    const ping = renewed.send('ping');
    assert.equal((await renewed.next('pong')).payload.replyTo, ping, 'the renewed session lives on');
    renewed.ws.close(1000);
  } finally {
    await own.stop();
  }
});

test('a burst of 1 000 pings is answered in order; 200 sessions of one user all get a push', { timeout: 30000 }, async () => {
  const ann = await user('Ann');
  const s = await signedIn(ann);
  const ids = [];
  for (let i = 0; i < 1000; ++i) ids.push(s.send('ping'));
  const replies = [];
  for (let i = 0; i < 1000; ++i) replies.push((await s.next('pong', 10000)).payload.replyTo);
  assert.deepEqual(replies, ids);
  const many = [];
  for (let i = 0; i < 200; ++i) many.push(open(`/api/ws?token=${ann.token}`));
  await Promise.all(many.map((m) => m.next('auth_success', 10000)));
  const atlas = await device(ann, 'Atlas');
  await heartbeat(ann, atlas.id, 'online');
  for (const m of [s, ...many]) assert.equal((await m.next('device_status', 10000)).payload.deviceId, atlas.id);
  for (const m of [s, ...many]) m.ws.close(1000);
});

test('a password change closes the user\'s sessions with 4001', async () => {
  const ann = await user('Ann');
  const bob = await user('Bob');
  const [a, b] = [await signedIn(ann), await signedIn(bob)];
  const changed = await api(server.url, 'POST', '/api/users/me/password', {
    token: ann.token, body: { currentPassword: 'password123', newPassword: 'password456' },
  });
  assert.equal(changed.status, 200, changed.text);
  assert.equal((await a.next('auth_failed')).payload.error, 'password changed');
  assert.equal((await a.closed).code, 4001);
  const ping = b.send('ping');
  assert.equal((await b.next('pong')).payload.replyTo, ping, 'another user\'s session stays');
  b.ws.close(1000);
});

test('a session never authenticated is closed with 4001 after 10 s', { timeout: 20000 }, async () => {
  const s = open();
  await s.opened;
  const started = Date.now();
  assert.equal((await s.next('auth_failed', 15000)).payload.error, 'authentication timed out');
  assert.equal((await s.closed).code, 4001);
  assert.ok(Date.now() - started >= 9000);
});

test('a stopping server closes every session with 1001 (going away)', async () => {
  const own = await startServer();
  try {
    const reg = await api(own.url, 'POST', '/api/auth/register', { body: { email: uniqueEmail('stop'), password: 'password123', name: 'S' } });
    const ws = new WebSocket(own.url.replace('http', 'ws') + `/api/ws?token=${reg.body.data.accessToken}`);
    await new Promise((r) => ws.on('message', r));
    const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
    const stopped = own.stop();
    assert.equal(await closed, 1001);
    await stopped;
  } catch (e) {
    await own.stop().catch(() => {});
    throw e;
  }
});

// The web app's own WebSocketSessionManager (../shared/webapp, transpiled as it is; `ws` as its
// WebSocket): it connects to the bare host, authenticates, receives pushes, and after the server
// is killed and started again it reconnects and authenticates by itself.
test('the web app\'s session manager connects, receives pushes and survives a restart', { timeout: 30000 }, async () => {
  const { readFileSync, writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { pathToFileURL, fileURLToPath } = await import('node:url');
  const ts = (await import('typescript')).default;
  const webapp = process.env.KARMA_WEBAPP_DIR ?? fileURLToPath(new URL('../../../shared/webapp/', import.meta.url));
  const work = mkdtempSync(join(tmpdir(), 'karma-session-'));
  const { outputText } = ts.transpileModule(
    readFileSync(join(webapp, 'src/lib/websocket/sessionManager.ts'), 'utf8'),
    { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  writeFileSync(join(work, 'sessionManager.mjs'), outputText);
  globalThis.WebSocket = WebSocket;
  const { WebSocketSessionManager } = await import(pathToFileURL(join(work, 'sessionManager.mjs')));

  // A server on a fixed port and data directory, so that the restarted one is the same to the app.
  const port = await new Promise((resolve) => {
    import('node:net').then(({ createServer }) => {
      const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    });
  });
  const env = { PORT: String(port), KARMA_DATA_DIR: work };
  let own = await startServer(env);
  let manager;
  try {
    const reg = await api(own.url, 'POST', '/api/auth/register', { body: { email: uniqueEmail('sm'), password: 'password123', name: 'S' } });
    const token = reg.body.data.accessToken;
    const created = await api(own.url, 'POST', '/api/devices', {
      token, body: { name: 'Atlas', model: 'EOS-3A', serialNumber: `SN-SM-${Date.now()}`, mac: 'AA:BB:CC:DD:EE:FF' },
    });
    const deviceId = created.body.data.device.id;
    const events = [];
    let authenticated = 0;
    let waiting = [];
    const until = (check, ms = 10000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; saw ${JSON.stringify(events)}`)), ms);
      const look = () => { if (check()) { clearTimeout(timer); waiting = waiting.filter((w) => w !== look); resolve(); } };
      waiting.push(look);
      look();
    });
    const poke = () => waiting.forEach((w) => w());
    manager = new WebSocketSessionManager({ url: `ws://127.0.0.1:${port}`, token, reconnectDelay: 300, maxReconnectAttempts: 20 });
    manager.setCallbacks({
      onAuthSuccess: () => { authenticated++; poke(); },
      onMessage: (m) => { events.push(m); poke(); },
    });
    manager.connect();
    await until(() => authenticated === 1);
    assert.match(manager.getSessionId(), UUID);
    await api(own.url, 'POST', `/api/devices/${deviceId}/heartbeat`, {
      token, body: { status: 'online', metrics: { cpuUsage: 1, memoryUsage: 1, diskUsage: 1, temperature: 40, uptime: 5 }, timestamp: Date.now() },
    });
    await until(() => events.some((m) => m.type === 'device_status' && m.payload.deviceId === deviceId));
    // chat_message → chat_response … done, through the manager's own send().
    assert.equal(manager.send('chat_message', { content: 'what can you do?' }), true);
    await until(() => events.some((m) => m.type === 'chat_response' && m.payload.type === 'done'));
    assert.ok(events.some((m) => m.type === 'chat_response' && m.payload.type === 'message'));

    const first = manager.getSessionId();
    await own.stop('SIGKILL');
    own = await startServer(env);
    await until(() => authenticated === 2, 15000);
    assert.notEqual(manager.getSessionId(), first, 'a new session on the new server');
    assert.equal(manager.isConnected(), true);
  } finally {
    manager?.disconnect();
    await own.stop();
    rmSync(work, { recursive: true, force: true });
  }
});
