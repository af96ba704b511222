// Redis lost mid-run (issue #22): two instances on a redis-server of this test's own. While it
// is gone both keep serving and delivering to their own sessions, /readyz says so without
// failing, and once it is back events cross instances again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { startPair, api } from './harness.mjs';
import { hubClient } from './hub_client.mjs';

const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
const skip = !hasRedis && 'redis-server is not installed';

let redis, port, a, b, pair;

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port: p } = s.address(); s.close(() => resolve(p)); });
});

async function startRedis() {
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100; ++i) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString().trim() === 'PONG') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

async function stopRedis() {
  const exited = new Promise((resolve) => redis.once('exit', resolve));
  redis.kill('SIGKILL');
  await exited;
  redis = null;
}

// Polls `check` (async, true when done) for up to `ms`.
async function eventually(check, ms = 8000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const redisState = async (base) => (await api(base, 'GET', '/readyz')).body?.data?.redis;

before(async () => {
  if (skip) return;
  port = await freePort();
  await startRedis();
  pair = await startPair('outage', { REDIS_URL: `redis://127.0.0.1:${port}` });
  ({ a, b } = pair);
});

after(async () => {
  await pair?.stop();
  if (redis) await stopRedis();
});

test('Redis gone: both instances serve and push locally, /readyz says so; back: events cross again', { skip, timeout: 60000 }, async () => {
  const hub = hubClient(() => a.url);
  const ann = await hub.user('Ann');
  const atlas = await hub.device(ann, 'Atlas');
  const onA = await hub.signedIn(ann, '/api/ws', a.url);
  const onB = await hub.signedIn(ann, '/api/ws', b.url);
  assert.equal(await redisState(a.url), 'ok');
  let status = 'online';
  const beat = async (base) => {
    status = status === 'online' ? 'updating' : 'online';
    const res = await hub.heartbeat(ann, atlas.id, status, base);
    assert.equal(res.status, 200, res.text);
  };
  await beat(a.url);
  assert.equal((await onB.next('device_status')).payload.status, status, 'across instances');
  await onA.next('device_status');

  await stopRedis();
  assert.ok(await eventually(async () => (await redisState(a.url)) === 'down' && (await redisState(b.url)) === 'down'),
    '/readyz reports Redis down');
  const ready = await api(a.url, 'GET', '/readyz');
  assert.equal(ready.status, 200, 'the instance stays ready');
  for (let i = 0; i < 3; ++i) {
    await beat(a.url);
    assert.equal((await onA.next('device_status')).payload.status, status, 'local delivery goes on');
  }
  const devices = await api(b.url, 'GET', '/api/devices', { token: ann.token });
  assert.equal(devices.status, 200, 'B serves too');

  await startRedis();
  assert.ok(await eventually(async () => (await redisState(a.url)) === 'ok' && (await redisState(b.url)) === 'ok'),
    '/readyz reports Redis back');
  onB.received.length = 0;
  assert.ok(await eventually(async () => {
    await beat(a.url);
    await onA.next('device_status');
    return onB.received.some((m) => m.type === 'device_status' && m.payload.status === status);
  }, 15000), 'events from A reach B again');
  onA.ws.close(1000);
  onB.ws.close(1000);
});
