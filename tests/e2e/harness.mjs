// Starts the built karma binary as a user would and talks to it over HTTP.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export const KARMA_BIN = process.env.KARMA_BIN ?? new URL('../../build/test/karma', import.meta.url).pathname;

export function tempDir() {
  return mkdtempSync(join(tmpdir(), 'karma-e2e-'));
}

// Runs a karma subcommand to completion.
export function karma(args, env = {}) {
  return spawnSync(KARMA_BIN, args, { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, encoding: 'utf8' });
}

// Starts `karma serve` on a free port with its own data directory; resolves once it listens.
// With KARMA_E2E_DATABASE=postgres (the test script's second pass) a server given neither a
// database nor a data directory runs on a PostgreSQL schema of its own.
export async function startServer(env = {}) {
  let pg = null;
  if (process.env.KARMA_E2E_DATABASE === 'postgres' && !env.DATABASE_URL && !env.KARMA_DATA_DIR) {
    pg = postgresSchema('server');
    if (pg) env = { ...env, DATABASE_URL: pg.url };
  }
  const dataDir = env.KARMA_DATA_DIR ?? tempDir();
  const child = spawn(KARMA_BIN, ['serve'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', KARMA_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`karma did not start: ${stderr}`)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1].replace('localhost', '127.0.0.1')); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`karma exited ${code}: ${stderr}`)); });
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    url,
    child,
    dataDir,
    stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      const result = await exited;
      if (!env.KARMA_DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
      pg?.drop();
      return result;
    },
  };
}

// Two instances as one deployment: one database (a PostgreSQL schema of the suite's own when the
// test script provides PostgreSQL, else one SQLite file both open), one secret, and `env`
// (REDIS_URL, …). {a, b, stop()}.
export async function startPair(tag, env = {}) {
  const schema = postgresSchema(tag);
  const shared = {
    SECRET_KEY: randomBytes(24).toString('hex'),
    DATABASE_URL: schema ? schema.url : `sqlite://${join(tempDir(), 'shared.db')}`,
    ...env,
  };
  const a = await startServer(shared);
  const b = await startServer(shared).catch(async (e) => { await a.stop(); throw e; });
  return {
    a,
    b,
    async stop() {
      await a.stop();
      await b.stop();
      schema?.drop();
    },
  };
}

// A PostgreSQL schema of its own for one suite, when the test script provides a database
// (KARMA_TEST_DATABASE_URL); null otherwise. {url, drop()}: url is the DATABASE_URL to run on.
export function postgresSchema(tag) {
  const pg = process.env.KARMA_TEST_DATABASE_URL;
  if (!pg) return null;
  const schema = `e2e_${tag}_${process.pid}_${Date.now()}`;
  const made = spawnSync('psql', [pg, '-qc', `CREATE SCHEMA ${schema}`], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`CREATE SCHEMA: ${made.stderr}`);
  return {
    url: `${pg}?options=-csearch_path%3D${schema}`,
    drop: () => spawnSync('psql', [pg, '-qc', `DROP SCHEMA ${schema} CASCADE`]),
  };
}

// The databases a suite runs against: SQLite (the embedded default) and, when the test script
// provides it, PostgreSQL. Each {name, env, drop()}.
export function databases(tag) {
  const out = [{ name: 'sqlite', env: {}, drop() {} }];
  const pg = postgresSchema(tag);
  if (pg) out.push({ name: 'postgres', env: { DATABASE_URL: pg.url }, drop: pg.drop });
  return out;
}

// fetch + JSON: returns {status, headers, body}.
export async function api(base, method, path, { body, token, headers = {} } = {}) {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  (await contractCheck(base))(method, path, res.status, res.headers.get('content-type'), json);
  return { status: res.status, headers: res.headers, body: json, text };
}

// The drift test: every answer any suite receives through api() — and every answer the C++
// integration suite received (contract.test.mjs) — must be one its route declares in
// /api/openapi.json: the status, and for JSON the whole body (schemas are closed, so an
// undeclared field fails too).
const contracts = new Map();

// A checker for answers of the server at `base`: (method, path, status, contentType, json)
// throws when the answer is not one the document declares.
export function contractCheck(base) {
  if (!contracts.has(base)) contracts.set(base, loadContract(base));
  return contracts.get(base);
}

async function loadContract(base) {
  const res = await fetch(base + '/api/openapi.json');
  if (res.status !== 200) throw new Error(`GET /api/openapi.json: ${res.status}`);
  const doc = await res.json();
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'karma', components: doc.components });
  const operations = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    const pattern = new RegExp('^' + template.replace(/\{[^}]+\}/g, '[^/]+') + '$');
    for (const [method, operation] of Object.entries(item)) operations.push({ pattern, method, operation, template });
  }
  const compiled = new Map();
  const validator = (key, schema) => {
    if (!compiled.has(key)) {
      const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"karma#/components/'));
      compiled.set(key, ajv.compile(rebased));
    }
    return compiled.get(key);
  };
  return (method, path, status, contentType, json) => {
    const route = path.split('?')[0].replace(/^\/api\/v1(?=\/|$)/, '/api').replace(/(.)\/+$/, '$1');
    if (route === '/api/openapi.json') return;
    const found = operations.find((o) => o.method === method.toLowerCase() && o.pattern.test(route));
    const where = `${method} ${path.slice(0, 120)} → ${status}`;
    if (!found) {
      // Only the router's own answers may come from a route the document does not list.
      if (status === 404 || status === 405 || status === 400 || method === 'OPTIONS') return;
      throw new Error(`${where}: no such operation in /api/openapi.json`);
    }
    const declared = found.operation.responses[String(status)];
    if (!declared) throw new Error(`${where}: status not declared for ${found.operation.operationId}`);
    if ((contentType ?? '').split(';')[0] !== 'application/json') return;
    const schema = declared.content?.['application/json']?.schema;
    if (!schema) throw new Error(`${where}: a JSON answer where ${found.operation.operationId} declares none`);
    const validate = validator(`${found.method} ${found.template} ${status}`, schema);
    if (!validate(json)) {
      throw new Error(`${where}: the body does not match ${found.operation.operationId}'s schema: ` +
        JSON.stringify(validate.errors.slice(0, 3)) + ` body: ${JSON.stringify(json).slice(0, 400)}`);
    }
  };
}

let counter = 0;
export function uniqueEmail(tag = 'e2e') {
  counter += 1;
  return `${tag}-${process.pid}-${counter}-${Date.now()}@example.test`;
}

// Registers a user and creates one device for them (through `deviceBase`, another instance
// if given); returns the access token and the device id.
export async function userWithDevice(base, tag, device, deviceBase = base) {
  const reg = await api(base, 'POST', '/api/auth/register', {
    body: { email: uniqueEmail(tag), password: 'password123', name: tag },
  });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${reg.text}`);
  const token = reg.body.data.accessToken;
  const created = await api(deviceBase, 'POST', '/api/devices', {
    token,
    body: { serialNumber: `${tag}-${process.pid}-${Date.now()}`, mac: '02:00:00:00:00:02', ...device },
  });
  if (created.status !== 201) throw new Error(`create device: ${created.status} ${created.text}`);
  return { token, device: created.body.data.device.id };
}
