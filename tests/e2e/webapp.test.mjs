// The web app's own client files (../shared/webapp, read-only, transpiled here as they are)
// against the running server:
// - its ApiClient, for every call it has;
// - its types as the judge of what the server sends: the ApiClient's answers and the contract
//   dialect's agent events (X-Karma-Events: contract) are recorded, written into a TypeScript
//   file that declares each as the app's own type, and `tsc --noEmit` must accept it — so a
//   renamed field fails here, not on a user's screen. Extra fields are allowed (API.md §7).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import ts from 'typescript';
import { startServer, api, uniqueEmail, tempDir } from './harness.mjs';

const WEBAPP = process.env.KARMA_WEBAPP_DIR ??
  fileURLToPath(new URL('../../../shared/webapp/', import.meta.url));
const TSC = fileURLToPath(new URL('./node_modules/typescript/bin/tsc', import.meta.url));

let server;
let work;
let ApiClient;
let ApiError;
// What the server answered, to be declared as the app's types: [type name, value].
const recorded = [];
const record = (type, value) => { recorded.push([type, value]); return value; };

before(async () => {
  server = await startServer();
  work = tempDir();
  // The client as the app ships it, its type-only imports erased.
  const source = readFileSync(join(WEBAPP, 'src/lib/api/client.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  writeFileSync(join(work, 'client.mjs'), outputText);
  ({ ApiClient, ApiError } = await import(pathToFileURL(join(work, 'client.mjs'))));
});
after(async () => {
  if (server) await server.stop();
  if (work && !process.env.KEEP) rmSync(work, { recursive: true, force: true });
});

async function register(name) {
  const res = await api(server.url, 'POST', '/api/auth/register', {
    body: { email: uniqueEmail(name.toLowerCase()), password: 'password123', name },
  });
  assert.equal(res.status, 201, res.text);
  return { token: res.body.data.accessToken, id: res.body.data.user.id };
}

function clientFor(who) {
  const client = new ApiClient({ baseURL: `${server.url}/api` });
  client.setAuthToken(who.token);
  return client;
}

let serial = 0;
const nextSerial = () => `SN-WEB-${process.pid}-${++serial}-${Date.now()}`;

test('the app\'s ApiClient drives every call it has', async () => {
  const ann = await register('Ann');
  const client = clientFor(ann);

  // Devices
  const created = record('CreateDeviceResponse', await client.createDevice({
    name: 'Atlas', model: 'EOS-3A', serialNumber: nextSerial(), mac: 'AA:BB:CC:DD:EE:FF',
  }));
  assert.ok(created.deviceToken);
  const deviceId = created.device.id;
  const listed = record('GetDevicesResponse', await client.getDevices({ page: 1, pageSize: 10 }));
  assert.deepEqual(listed.devices.map((d) => d.id), [deviceId]);
  assert.equal(record('Device', await client.getDevice(deviceId)).name, 'Atlas');
  assert.equal(record('Device', await client.updateDevice(deviceId, { name: 'Atlas 2', tags: ['lab'] })).name, 'Atlas 2');

  // Files
  const uploaded = await client.uploadDeviceFile(deviceId, new File(['hello'], 'hello.txt', { type: 'text/plain' }), {
    path: '/docs', category: 'user', overwrite: false,
  });
  assert.equal(uploaded.file.name, 'hello.txt');
  const files = record('GetFilesResponse', await client.getDeviceFiles(deviceId, { path: '/docs' }));
  assert.deepEqual(files.files.map((f) => f.name), ['hello.txt']);
  const copied = await client.batchFileOperation(deviceId, {
    operation: 'copy', fileIds: [uploaded.file.id], targetPath: '/backup',
  });
  assert.deepEqual(copied.succeeded, [uploaded.file.id]);
  assert.equal(await client.deleteDeviceFile(deviceId, uploaded.file.id), null);

  // Projects
  const project = record('CreateProjectResponse', await client.createProject({ name: 'Launch', description: 'Ship it' }));
  const projectId = project.project.id;
  assert.deepEqual(record('GetProjectsResponse', await client.getProjects()).projects.map((p) => p.id), [projectId]);
  assert.equal(record('Project', await client.getProject(projectId)).name, 'Launch');
  assert.equal(record('Project', await client.updateProject(projectId, { name: 'Launch 2' })).name, 'Launch 2');

  // Avatars
  const avatar = record('CreateAvatarResponse', await client.createAvatar({
    name: 'Ada', role: 'Writer', description: 'Writes docs', skills: ['writing'], isPublic: false,
    baseModel: 'gpt-4o', systemPrompt: 'Write clearly.',
  }));
  const avatarId = avatar.avatar.id;
  assert.deepEqual(record('GetAvatarsResponse', await client.getAvatars()).avatars.map((a) => a.id), [avatarId]);
  assert.equal(record('Avatar', await client.getAvatar(avatarId)).name, 'Ada');
  assert.equal(record('Avatar', await client.updateAvatar(avatarId, { name: 'Ada 2' })).name, 'Ada 2');

  // Subscriptions: create answers a checkout URL; the development checkout activates it.
  assert.equal(record('GetSubscriptionResponse', await client.getSubscription()).subscription, null);
  const checkout = record('CreateSubscriptionResponse', await client.createSubscription({ plan: 'pro', billingCycle: 'monthly' }));
  const confirmed = await fetch(checkout.checkoutUrl.replace(/^https?:\/\/[^/]+/, server.url), { method: 'POST' });
  assert.equal(confirmed.status, 200);
  assert.equal(record('GetSubscriptionResponse', await client.getSubscription()).subscription.plan, 'pro');
  await client.cancelSubscription();
  assert.equal((await client.getSubscription()).subscription.cancelAtPeriodEnd, true);

  // Deletes answer null; what is gone is a NOT_FOUND ApiError.
  assert.equal(await client.deleteAvatar(avatarId), null);
  assert.equal(await client.deleteProject(projectId), null);
  assert.equal(await client.deleteDevice(deviceId), null);
  await assert.rejects(client.getDevice(deviceId), (e) => e instanceof ApiError && e.code === 'NOT_FOUND');
  await assert.rejects(client.getProject('not-a-uuid'), (e) => e instanceof ApiError && e.code === 'NOT_FOUND');
  await assert.rejects(client.createDevice({ name: 'x', model: 'EOS-4', serialNumber: nextSerial(), mac: 'AA:BB:CC:DD:EE:FF' }),
    (e) => e instanceof ApiError && e.code === 'VALIDATION_ERROR' && e.details.field === 'model');
});

// One run in the contract dialect: the events, in order ([DONE] checked and dropped).
async function contractRun(who, body) {
  const res = await fetch(`${server.url}/api/agent`, {
    method: 'POST',
    headers: { authorization: `Bearer ${who.token}`, 'content-type': 'application/json', 'x-karma-events': 'contract' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const events = [];
  let done = false;
  for (const block of (await res.text()).split('\n\n')) {
    const data = block.split('\n').find((l) => l.startsWith('data: '))?.slice(6);
    if (!data) continue;
    if (data === '[DONE]') { done = true; continue; }
    const event = JSON.parse(data);
    assert.equal(block.split('\n').find((l) => l.startsWith('event: '))?.slice(7), event.type);
    events.push(event);
  }
  assert.ok(done, 'ends with [DONE]');
  for (const e of events) record('AgentEvent', e);
  return events;
}

const say = (content, extra = {}) => ({ messages: [{ role: 'user', content }], ...extra });

test('the contract dialect speaks the app\'s AgentEvent types, run by run', async () => {
  const bob = await register('Bob');
  await api(server.url, 'POST', '/api/devices', {
    token: bob.token, body: { name: 'Atlas', model: 'EOS-3A', serialNumber: nextSerial(), mac: 'AA:BB:CC:DD:EE:FF' },
  });
  const avatar = await api(server.url, 'POST', '/api/avatars', {
    token: bob.token,
    body: { name: 'Ada', role: 'Writer', description: 'Docs', skills: [], isPublic: false, baseModel: 'm', systemPrompt: 'p' },
  });
  const project = await api(server.url, 'POST', '/api/projects', { token: bob.token, body: { name: 'Launch' } });
  const projectId = project.body.data.project.id;
  // In progress, so that assigning it sets its avatar working: a change of the shared state.
  await api(server.url, 'POST', `/api/projects/${projectId}/tasks`, {
    token: bob.token, body: { title: 'Write docs', status: 'in_progress' },
  });

  const text = await contractRun(bob, say('what can you do?'));
  assert.equal(text[0].type, 'progress');
  assert.equal(text[0].percentage, 0);
  assert.ok(text.some((e) => e.type === 'message' && e.role === 'assistant'));
  assert.equal(text.at(-1).type, 'done');

  const listed = await contractRun(bob, say('list my devices'));
  const call = listed.find((e) => e.type === 'tool_call');
  assert.deepEqual([call.name, call.execution, call.arguments.type], ['searchDatabase', 'backend', 'device']);
  assert.equal(listed.find((e) => e.type === 'tool_result').id, call.id);

  const navigate = await contractRun(bob, say('go to the store'));
  assert.equal(navigate.find((e) => e.type === 'tool_call').execution, 'frontend');
  assert.equal(navigate.find((e) => e.type === 'ui').component, 'navigateTo');
  assert.ok(!navigate.some((e) => e.type === 'tool_result'));

  const notify = await contractRun(bob, say('show a notification saying hi'));
  assert.deepEqual(notify.find((e) => e.type === 'tool_call').arguments, { title: 'Notification', message: 'hi', type: 'info' });

  const assigned = await contractRun(bob, say(`assign task Write docs to avatar Ada`, { context: { userId: bob.id, projectId } }));
  const update = assigned.find((e) => e.type === 'state_update' && e.path !== '');
  assert.ok(update, `the assignment moves the shared state: ${JSON.stringify(assigned)}`);
  assert.equal(update.path, 'avatars', 'a dotted path, not a JSON pointer');
  assert.equal(update.value[0].status, 'working');
  assert.deepEqual(assigned.at(-1).summary.toolsCalled, 2);

  const threadId = `web-${Date.now()}`;
  const asked = await contractRun(bob, say('reboot device Atlas', { threadId }));
  const interrupt = asked.find((e) => e.type === 'interrupt');
  assert.deepEqual(interrupt.options.map((o) => o.value), ['resolved', 'cancelled']);
  const refused = await contractRun(bob, say('hello', { threadId }));
  assert.equal(refused.at(-1).type, 'error');
  const resumed = await contractRun(bob, { threadId, messages: [], resume: [{ interruptId: interrupt.id, status: 'resolved' }] });
  assert.equal(resumed.find((e) => e.type === 'tool_result').id, interrupt.toolCallId);
  assert.equal(avatar.status, 201);
});

test('tsc accepts every recorded answer and event as the app\'s own types', () => {
  assert.ok(recorded.length > 30, `recorded ${recorded.length}`);
  const dir = join(work, 'types');
  mkdirSync(join(dir, 'stubs'), { recursive: true });
  // api.ts re-exports types of app files not shipped with it: stand-ins that accept anything.
  writeFileSync(join(dir, 'stubs/files.ts'), ['DeviceFile', 'DeviceFolder', 'FileType', 'FileCategory',
    'FileOperation', 'FileFilter', 'FileSortOptions', 'FileSearchResult', 'FileUploadRequest',
    'FileDownloadRequest', 'FileBatchOperation', 'FileBatchOperationResult']
    .map((name) => `export type ${name} = any;`).join('\n'));
  writeFileSync(join(dir, 'stubs/types.ts'), ['User', 'Task', 'Conversation', 'Message', 'Notification']
    .map((name) => `export type ${name} = any;`).join('\n'));
  // `is<T>()(value)`: the value must be a T; its own type is inferred, so fields the app does not
  // name are allowed while a missing, renamed or mistyped one is an error.
  const source = (entries) => [
    `import type { ${[...new Set(entries.map(([type]) => type))].join(', ')} } from '@/types/api';`,
    'const is = <T,>() => <U extends T>(value: U): U => value;',
    ...entries.map(([type, value], i) => `export const v${i} = is<${type}>()(${JSON.stringify(value)});`),
  ].join('\n') + '\n';
  const check = (name, entries, { strictNullChecks }) => {
    writeFileSync(join(dir, `${name}.ts`), source(entries));
    writeFileSync(join(dir, `${name}.json`), JSON.stringify({
      compilerOptions: {
        strict: true, strictNullChecks, noEmit: true, target: 'ES2022', module: 'ESNext',
        moduleResolution: 'bundler', skipLibCheck: true, baseUrl: '.',
        paths: {
          '@/types/api': [join(WEBAPP, 'src/types/api.ts')],
          '@/lib/device/files/types': ['./stubs/files.ts'],
          '@/types': ['./stubs/types.ts'],
        },
      },
      files: [`${name}.ts`],
    }));
    return spawnSync(process.execPath, [TSC, '-p', join(dir, `${name}.json`)], { encoding: 'utf8' });
  };
  const events = recorded.filter(([type]) => type === 'AgentEvent');
  const answers = recorded.filter(([type]) => type !== 'AgentEvent');
  // The agent's events exactly as the app types them (API.md §7 makes them binding).
  const strict = check('events', events, { strictNullChecks: true });
  assert.equal(strict.status, 0, `tsc refused an agent event:\n${strict.stdout}${strict.stderr}`);
  // REST answers by field and type; API.md, binding where the two differ, sends null for what
  // is not set (lastHeartbeat, pictures) where the app's types say string or number.
  const loose = check('answers', answers, { strictNullChecks: false });
  assert.equal(loose.status, 0, `tsc refused a REST answer:\n${loose.stdout}${loose.stderr}`);

  // And the check has teeth: one renamed field is refused.
  const renamed = events.map(([type, value]) =>
    [type, value.type === 'tool_call' ? { ...value, executedOn: value.execution, execution: undefined } : value]);
  assert.notEqual(check('renamed', renamed, { strictNullChecks: true }).status, 0,
    'a renamed field must fail the type check');
});
