// The realtime hub's benchmarks (issue #21), driven by bench/hub.sh:
//   idle:   SESSIONS authenticated idle sessions (100 per user): server memory per session.
//   fanout: one device_status pushed to FANOUT sessions of its owner, ROUNDS times: delivery
//           latency (heartbeat sent → message received, as the client sees it) and server CPU
//           per delivered message. With BASE_B the sessions are on instance B and the heartbeats
//           go to A (through Redis).
//   chat:   a run with one backend tool (offline planner), CHATS times over the socket and over
//           POST /api/agent, one after another.
// Environment: BASE, PID (the server's), optional BASE_B and PID_B, MODE (all | idle | fanout |
// chat), SESSIONS, FANOUT, ROUNDS, CHATS.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const require = createRequire(new URL('../tests/e2e/package.json', import.meta.url));
const WebSocket = require('ws');

const env = process.env;
const BASE = env.BASE;
const BASE_B = env.BASE_B || '';
const mode = env.MODE || 'all';
const SESSIONS = Number(env.SESSIONS || 10000);
const FANOUT = Number(env.FANOUT || 1000);
const ROUNDS = Number(env.ROUNDS || 30);
const CHATS = Number(env.CHATS || 50);

const rssBytes = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)[1]) * 1024;
const cpuTicks = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);  // utime + stime, in clock ticks (1/100 s)
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const ms = (x) => `${x.toFixed(2)} ms`;

async function call(base, method, path, token, body, headers = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text.startsWith('{') ? JSON.parse(text).data : text;
}

let users = 0;
async function register(base) {
  const data = await call(base, 'POST', '/api/auth/register', null, {
    email: `hub-bench-${process.pid}-${++users}@example.test`, password: 'password123', name: 'Bench',
  });
  return { token: data.accessToken, id: data.user.id };
}

// Opens `count` sessions authenticated by ?token=, `parallel` at a time.
async function openSessions(base, token, count, onMessage = null, parallel = 200) {
  const sockets = [];
  const url = `${base.replace('http', 'ws')}/api/ws?token=${token}`;
  const one = () => new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    ws.once('error', reject);
    ws.once('message', () => {
      if (onMessage) ws.on('message', onMessage);
      resolve(ws);
    });
  });
  for (let i = 0; i < count; i += parallel) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + parallel); ++j) batch.push(one());
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

const closeAll = async (sockets) => {
  await Promise.all(sockets.map((ws) => new Promise((r) => { ws.once('close', r); ws.close(1000); })));
};

async function idle() {
  const pid = Number(env.PID);
  // Warm: one session opened and closed, so first-use allocations are not counted.
  const warm = await register(BASE);
  await closeAll(await openSessions(BASE, warm.token, 10));
  // Users first: registering hashes a password (64 MiB of Argon2 memory each time).
  const tokens = [];
  for (let u = 0; u < SESSIONS / 100; ++u) tokens.push((await register(BASE)).token);
  await sleep(500);
  const before = rssBytes(pid);
  const sockets = [];
  const started = performance.now();
  for (const token of tokens) sockets.push(...(await openSessions(BASE, token, 100)));
  const opened = performance.now() - started;
  await sleep(2000);
  const after = rssBytes(pid);
  console.log(`## ${sockets.length} idle authenticated hub sessions (100 per user)`);
  console.log(`   server RSS ${(before / 2 ** 20).toFixed(1)} → ${(after / 2 ** 20).toFixed(1)} MiB: ` +
    `${((after - before) / sockets.length / 1024).toFixed(2)} KiB per session (opened in ${(opened / 1000).toFixed(1)} s)`);
  await closeAll(sockets);
}

async function fanout() {
  const sessionsBase = BASE_B || BASE;
  const pids = [Number(env.PID), ...(env.PID_B ? [Number(env.PID_B)] : [])];
  const owner = await register(BASE);
  const created = await call(BASE, 'POST', '/api/devices', owner.token, {
    name: 'Fan', model: 'EOS-3A', serialNumber: `FAN-${process.pid}-${Date.now()}`, mac: '02:00:00:00:00:01',
  });
  const deviceId = created.device.id;
  let sentAt = 0;
  let latencies = [];
  let received = 0;
  // The payload is not parsed: the client's own JSON work would be part of the latency.
  const onMessage = (data) => {
    if (data.includes('"device_status"')) {
      latencies.push(performance.now() - sentAt);
      ++received;
    }
  };
  const sockets = await openSessions(sessionsBase, owner.token, FANOUT, onMessage);
  const beat = (status) => call(BASE, 'POST', `/api/devices/${deviceId}/heartbeat`, owner.token, {
    status, metrics: { cpuUsage: 1, memoryUsage: 1, diskUsage: 1, temperature: 40, uptime: 5 }, timestamp: Date.now(),
  });
  await beat('online');
  await sleep(500);
  latencies = [];
  received = 0;
  const cpuBefore = pids.map(cpuTicks);
  const clientBefore = process.cpuUsage();
  const all = [];
  for (let round = 0; round < ROUNDS; ++round) {
    latencies = [];
    const target = received + FANOUT;
    sentAt = performance.now();
    await beat(round % 2 ? 'online' : 'updating');
    for (let i = 0; i < 200 && received < target; ++i) await sleep(5);
    if (received < target) throw new Error(`round ${round}: ${received - target + FANOUT} of ${FANOUT} delivered`);
    all.push(...latencies);
  }
  const cpu = pids.map((pid, i) => cpuTicks(pid) - cpuBefore[i]);
  const client = process.cpuUsage(clientBefore);
  all.sort((a, b) => a - b);
  const where = BASE_B ? 'heartbeat on A, sessions on B (Redis)' : 'one instance';
  console.log(`## fan-out of device_status to ${FANOUT} sessions, ${ROUNDS} rounds, ${where}`);
  console.log(`   delivery min ${ms(all[0])}, p50 ${ms(quantile(all, 0.5))}, p99 ${ms(quantile(all, 0.99))}, max ${ms(all.at(-1))}`);
  console.log(`   server CPU ${cpu.map((t) => `${((t * 10_000) / received).toFixed(1)} µs`).join(' + ')} per delivered message ` +
    `(${received} delivered); the client (on the same cores) ${((client.user + client.system) / received).toFixed(1)} µs`);
  await closeAll(sockets);
}

async function chat() {
  const who = await register(BASE);
  await call(BASE, 'POST', '/api/devices', who.token, {
    name: 'Box', model: 'EOS-3A', serialNumber: `CHAT-${process.pid}-${Date.now()}`, mac: '02:00:00:00:00:02',
  });
  const [ws] = await openSessions(BASE, who.token, 1);
  let waiting = null;
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    if (m.type === 'chat_response' && (m.payload.type === 'done' || m.payload.type === 'error')) waiting?.(m.payload.type);
  });
  const overSocket = async () => {
    const done = new Promise((r) => { waiting = r; });
    ws.send(JSON.stringify({ id: String(Math.random()), type: 'chat_message', payload: { content: 'list my devices' }, timestamp: Date.now() }));
    if (await done !== 'done') throw new Error('the socket run failed');
  };
  const overHttp = async () => {
    const body = await call(BASE, 'POST', '/api/agent', who.token, { messages: [{ role: 'user', content: 'list my devices' }] }, { 'x-karma-events': 'contract' });
    if (!body.includes('event: done')) throw new Error(`the HTTP run failed: ${body.slice(-200)}`);
  };
  const measure = async (run) => {
    const times = [];
    for (let i = 0; i < 5; ++i) await run();  // warm
    for (let i = 0; i < CHATS; ++i) {
      const t = performance.now();
      await run();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return times;
  };
  const socket = await measure(overSocket);
  const http = await measure(overHttp);
  console.log(`## agent run with one backend tool (offline planner), ${CHATS} runs each, one at a time`);
  for (const [name, t] of [['chat_message over /api/ws', socket], ['POST /api/agent (contract)', http]])
    console.log(`   ${name}: p50 ${ms(quantile(t, 0.5))}, p99 ${ms(quantile(t, 0.99))}`);
  ws.close(1000);
}

if (mode === 'all' || mode === 'chat') await chat();
if (mode === 'all' || mode === 'fanout') await fanout();
if (mode === 'all' || mode === 'idle') await idle();
