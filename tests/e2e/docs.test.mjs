// The interactive API page: a real browser (Debian's Chromium driven by playwright-core) opens
// /docs, authorizes with a real token and runs GET /api/devices from the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, api, tempDir, userWithDevice } from './harness.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTEFACTS = process.env.KARMA_ARTEFACTS_DIR ?? tempDir();

let server;
let browser;
let owner;
before(async () => {
  server = await startServer();
  owner = await userWithDevice(server.url, 'docs', { name: 'Docs Box', model: 'EOS-3B' });
  // The flags keep Chromium off the network it would otherwise reach for at start.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  if (server) await server.stop();
});

// Opens /docs and records every request the page makes and every console error it logs.
async function openDocs() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const requests = [];
  const errors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.url}/docs`);
  await page.locator('.swagger-ui .info .title').filter({ hasText: 'Karma API' }).waitFor();
  return { page, requests, errors };
}

async function authorize(page, token) {
  await page.locator('.auth-wrapper button.authorize').click();
  const dialog = page.locator('.dialog-ux .modal-ux');
  const bearer = dialog.locator('.auth-container').filter({ hasText: 'bearer' });
  await bearer.locator('input').fill(token);
  await bearer.locator('button.authorize').click();
  await bearer.getByText('Authorized').waitFor();
  await dialog.locator('button.close-modal').click();
}

async function listDevicesFromThePage(page) {
  const operation = page.locator('#operations-Devices-listDevices');
  await operation.locator('.opblock-summary').click();
  await operation.locator('button.try-out__btn').click();
  await operation.locator('button.execute').click();
  const live = operation.locator('.live-responses-table .response').first();
  await live.waitFor();
  return {
    status: (await live.locator('.response-col_status').innerText()).trim(),
    body: await live.locator('.response-col_description .microlight, .response-col_description pre').first().innerText(),
  };
}

test('the page authorizes with a real token and shows GET /api/devices answering 200', async () => {
  const { page, requests, errors } = await openDocs();
  await authorize(page, owner.token);
  const answer = await listDevicesFromThePage(page);
  assert.equal(answer.status, '200');
  assert.match(answer.body, /"success": true/);
  assert.match(answer.body, /Docs Box/);
  mkdirSync(ARTEFACTS, { recursive: true });
  const shot = join(ARTEFACTS, 'docs-list-devices.png');
  await page.screenshot({ path: shot, fullPage: false });
  console.log(`screenshot: ${shot}`);
  // Every asset came from karma itself, and the page's policy refused nothing it needs.
  const origin = new URL(server.url).origin;
  assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:')), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a wrong token shows the 401 error envelope on the page', async () => {
  const { page } = await openDocs();
  await authorize(page, 'not-a-token');
  const answer = await listDevicesFromThePage(page);
  assert.equal(answer.status, '401');
  assert.match(answer.body, /"code": "UNAUTHORIZED"/);
  await page.close();
});

test('assets are served by karma with entity tags and gzip', async () => {
  const page = await api(server.url, 'GET', '/docs');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.match(page.headers.get('content-security-policy'), /script-src 'self'/);
  const bundle = await fetch(`${server.url}/docs/swagger-ui-bundle.js`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(bundle.status, 200);
  assert.equal(bundle.headers.get('content-encoding'), 'gzip');
  assert.match(await bundle.text(), /SwaggerUIBundle/);
  const refused = await fetch(`${server.url}/docs/swagger-ui.css`, { headers: { 'accept-encoding': 'gzip;q=0' } });
  assert.equal(refused.headers.get('content-encoding'), null);
  assert.match(await refused.text(), /\.swagger-ui/);
  const again = await fetch(`${server.url}/docs/swagger-ui-bundle.js`, { headers: { 'if-none-match': bundle.headers.get('etag') } });
  assert.equal(again.status, 304);
  const missing = await api(server.url, 'GET', '/docs/..%2f..%2fetc%2fpasswd');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'NOT_FOUND');
});

test('without the assets installed /docs says how to install them', async () => {
  const bare = await startServer({ DOCS_ASSETS_DIR: tempDir() });
  try {
    const res = await api(bare.url, 'GET', '/docs');
    assert.equal(res.status, 503);
    assert.equal(res.body.error.code, 'SERVICE_UNAVAILABLE');
    assert.match(res.body.error.message, /npm ci in web\/docs/);
  } finally {
    await bare.stop();
  }
});
