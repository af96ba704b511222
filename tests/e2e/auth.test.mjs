// The walking skeleton as a user meets it: start the binary, sign up, sign in, use the tokens,
// hit the edges, stop it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, uniqueEmail, karma, tempDir } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { if (server) await server.stop(); });

test('health, readiness and metrics answer without a token', async () => {
  const health = await api(server.url, 'GET', '/healthz');
  assert.equal(health.status, 200);
  assert.equal(health.body.success, true);
  assert.equal(health.body.data.status, 'ok');
  assert.ok(Number.isInteger(health.body.timestamp));
  assert.match(health.headers.get('x-request-id'), /^[0-9a-f-]{36}$/);

  const ready = await api(server.url, 'GET', '/readyz');
  assert.equal(ready.status, 200);
  assert.equal(ready.body.data.migrations, 'current');

  const metrics = await fetch(server.url + '/metrics');
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /karma_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
});

test('register, log in, read and update the profile, rotate and revoke tokens', async () => {
  const email = uniqueEmail();
  const reg = await api(server.url, 'POST', '/api/auth/register', {
    body: { email, password: 'password123', name: 'E2E User' },
  });
  assert.equal(reg.status, 201, reg.text);
  assert.equal(reg.body.data.user.email, email.toLowerCase());
  assert.equal(reg.body.data.expiresIn, 1800);

  const login = await api(server.url, 'POST', '/api/v1/auth/login', {
    body: { email: email.toUpperCase(), password: 'password123' },
  });
  assert.equal(login.status, 200, login.text);
  const { accessToken, refreshToken } = login.body.data;

  const me = await api(server.url, 'GET', '/api/auth/me', { token: accessToken });
  assert.equal(me.status, 200);
  assert.equal(me.body.data.user.id, reg.body.data.user.id);
  assert.match(me.body.data.user.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  const renamed = await api(server.url, 'PUT', '/api/users/me', { token: accessToken, body: { name: 'Renamed' } });
  assert.equal(renamed.status, 200);
  assert.equal(renamed.body.data.user.name, 'Renamed');

  const rotated = await api(server.url, 'POST', '/api/auth/refresh', { body: { refreshToken } });
  assert.equal(rotated.status, 200);
  assert.notEqual(rotated.body.data.refreshToken, refreshToken);
  const reused = await api(server.url, 'POST', '/api/auth/refresh', { body: { refreshToken } });
  assert.equal(reused.status, 401);
  assert.equal(reused.body.error.code, 'UNAUTHORIZED');
  // Reuse revoked the family: the rotated token is dead too.
  const after = await api(server.url, 'POST', '/api/auth/refresh', { body: { refreshToken: rotated.body.data.refreshToken } });
  assert.equal(after.status, 401);
});

test('bad input gets the contract error envelope', async () => {
  const cases = [
    ['POST', '/api/auth/register', '{"email":', 400, 'VALIDATION_ERROR'],
    ['POST', '/api/auth/register', { email: 'nope', password: 'password123', name: 'X' }, 400, 'VALIDATION_ERROR'],
    ['POST', '/api/auth/login', { email: uniqueEmail(), password: 'whatever1' }, 401, 'UNAUTHORIZED'],
    ['GET', '/api/auth/me', undefined, 401, 'UNAUTHORIZED'],
    ['GET', '/api/nothing-here', undefined, 404, 'NOT_FOUND'],
    ['DELETE', '/api/auth/me', undefined, 405, 'METHOD_NOT_ALLOWED'],
    ['POST', '/api/auth/register', { name: 'x'.repeat(2 * 1024 * 1024) }, 413, 'PAYLOAD_TOO_LARGE'],
  ];
  for (const [method, path, body, status, code] of cases) {
    const res = await api(server.url, method, path, { body });
    assert.equal(res.status, status, `${method} ${path}: ${res.text.slice(0, 200)}`);
    assert.equal(res.body.success, false);
    assert.equal(res.body.error.code, code);
    assert.ok(Number.isInteger(res.body.timestamp));
  }
});

test('CORS preflight from a browser origin', async () => {
  const res = await fetch(server.url + '/api/auth/me', {
    method: 'OPTIONS',
    headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
});

test('CLI: version, migrate and user create', async () => {
  const version = karma(['version']);
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^karma \d+\.\d+\.\d+/);

  const dir = tempDir();
  const first = karma(['migrate'], { KARMA_DATA_DIR: dir });
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /applied 001_init/);
  const again = karma(['migrate'], { KARMA_DATA_DIR: dir });
  assert.match(again.stdout, /up to date/);

  const email = uniqueEmail('admin');
  const created = karma(['user', 'create', '--email', email, '--name', 'Admin', '--password', 'password123', '--admin'], { KARMA_DATA_DIR: dir });
  assert.equal(created.status, 0, created.stderr);
  assert.equal(JSON.parse(created.stdout).role, 'admin');
  const dup = karma(['user', 'create', '--email', email, '--name', 'Admin', '--password', 'password123'], { KARMA_DATA_DIR: dir });
  assert.notEqual(dup.status, 0);
  assert.match(dup.stderr, /already exists/);

  // The server on that data directory knows the admin.
  const s = await startServer({ KARMA_DATA_DIR: dir });
  try {
    const login = await api(s.url, 'POST', '/api/auth/login', { body: { email, password: 'password123' } });
    assert.equal(login.status, 200);
    assert.equal(login.body.data.user.role, 'admin');
  } finally {
    await s.stop();
  }
});

test('production mode refuses the default secret', () => {
  const res = karma(['serve'], { KARMA_ENV: 'production', SECRET_KEY: '', KARMA_DATA_DIR: tempDir(), PORT: '0' });
  assert.notEqual(res.status, 0);
  assert.match(res.stderr, /SECRET_KEY/);
});

test('SIGTERM stops the server cleanly', async () => {
  const s = await startServer();
  const res = await api(s.url, 'GET', '/healthz');
  assert.equal(res.status, 200);
  const { code, signal } = await s.stop('SIGTERM');
  assert.equal(signal, null);
  assert.equal(code, 0);
});
