// POST /api/agent driven by the official AG-UI client (@ag-ui/client 1.0.0's HttpAgent, which
// verifies every event it receives), and by 0.0.59 — what CopilotKit still ships — which sends
// no protocolVersion and gets the pre-1.0 form. The built-in planner answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { HttpAgent } from '@ag-ui/client';
import { HttpAgent as LegacyHttpAgent } from '@ag-ui/client-legacy';
import { startServer, api, uniqueEmail } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { if (server) await server.stop(); });

async function user(name) {
  const res = await api(server.url, 'POST', '/api/auth/register', {
    body: { email: uniqueEmail(name.toLowerCase()), password: 'password123', name },
  });
  assert.equal(res.status, 201, res.text);
  return { token: res.body.data.accessToken, id: res.body.data.user.id };
}

function agentFor(who, Agent = HttpAgent) {
  return new Agent({
    url: `${server.url}/api/agent`,
    headers: { Authorization: `Bearer ${who.token}` },
  });
}

let ids = 0;
const nextId = (tag) => `${tag}-${++ids}-${Date.now()}`;

// Runs `agent` on `text` (and any tools the page offers); returns the events the client
// accepted, in order.
async function say(agent, text, { tools = [], resume } = {}) {
  if (text) agent.addMessage({ id: nextId('user'), role: 'user', content: text });
  const events = [];
  const result = await agent.runAgent({ runId: nextId('run'), tools, ...(resume && { resume }) }, {
    onEvent: ({ event }) => { events.push(event); },
  });
  return { events, types: events.map((e) => e.type), result };
}

const lastAssistantText = (agent) =>
  agent.messages.filter((m) => m.role === 'assistant' && m.content).at(-1)?.content;

const navigateTo = {
  name: 'navigateTo',
  description: 'Navigate the web app',
  parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
};

test('a text answer streams as a verified AG-UI 1.0 run', async () => {
  const agent = agentFor(await user('Ann'));
  const { types, events } = await say(agent, 'what can you do?');
  assert.equal(types[0], 'RUN_STARTED');
  assert.equal(events[0].protocolVersion, '1.0');
  assert.equal(types.at(-1), 'RUN_FINISHED');
  assert.ok(types.includes('TEXT_MESSAGE_CONTENT'));
  assert.match(lastAssistantText(agent), /list your devices/);
  assert.equal(agent.state.user.name, 'Ann', 'the snapshot reached the client');
});

test('a backend tool runs on the server and its result reaches the client', async () => {
  const ann = await user('Ann');
  const created = await api(server.url, 'POST', '/api/devices', {
    token: ann.token,
    body: { name: 'Atlas', model: 'EOS-3A', serialNumber: nextId('sn'), mac: 'AA:BB:CC:DD:EE:FF' },
  });
  assert.equal(created.status, 201, created.text);
  const agent = agentFor(ann);
  const { types } = await say(agent, '列出我的设备');
  assert.ok(types.indexOf('TOOL_CALL_END') < types.indexOf('TOOL_CALL_RESULT'));
  const result = agent.messages.find((m) => m.role === 'tool');
  assert.ok(result, 'the tool result is a message of the thread');
  assert.equal(JSON.parse(result.content).results[0].name, 'Atlas');
  assert.match(lastAssistantText(agent), /Found 1 device: Atlas/);
});

test('a frontend tool ends the run; the next run carries its result', async () => {
  const agent = agentFor(await user('Ann'));
  const first = await say(agent, 'go to the devices page', { tools: [navigateTo] });
  assert.ok(first.types.includes('TOOL_CALL_START'));
  assert.ok(!first.types.includes('TOOL_CALL_RESULT'), 'the server does not answer a frontend tool');
  const finished = first.events.at(-1);
  const call = agent.messages.find((m) => m.role === 'assistant' && m.toolCalls?.length).toolCalls[0];
  assert.equal(call.function.name, 'navigateTo');
  assert.deepEqual(JSON.parse(call.function.arguments), { path: '/devices' });
  assert.deepEqual(finished.outcome, { type: 'success', pendingToolCallIds: [call.id] });

  // The page ran it; HttpAgent sends the whole history again with the result.
  agent.addMessage({ id: nextId('tool'), role: 'tool', toolCallId: call.id, content: 'navigated' });
  await say(agent, null, { tools: [navigateTo] });
  assert.equal(lastAssistantText(agent), 'Done.');
});

test('the shared state follows a tool that changes it (snapshot, then deltas)', async () => {
  const ann = await user('Ann');
  const call = (method, path, body) => api(server.url, method, path, { token: ann.token, body });
  const avatar = await call('POST', '/api/avatars', {
    name: 'Ada', role: 'Writer', description: '', isPublic: false, baseModel: 'm',
    systemPrompt: 'p', skills: [], tools: [],
  });
  assert.equal(avatar.status, 201, avatar.text);
  const project = await call('POST', '/api/projects', { name: 'Docs' });
  const task = await call('POST', `/api/projects/${project.body.data.project.id}/tasks`,
    { title: 'Write the guide', status: 'in_progress' });
  assert.equal(task.status, 201, task.text);

  const agent = agentFor(ann);
  const seen = [];
  agent.subscribe({ onStateChanged: ({ state }) => seen.push(structuredClone(state)) });
  const { types } = await say(agent, 'assign task Write the guide to avatar Ada');
  assert.ok(types.includes('STATE_DELTA'));
  assert.equal(seen[0].avatars[0].status, 'idle', 'the snapshot');
  assert.equal(agent.state.avatars[0].status, 'working', 'the delta, applied by the client');
  assert.match(lastAssistantText(agent), /Assigned "Write the guide" to Ada/);
});

test('a reboot waits for approval: approving queues it, cancelling queues nothing', async () => {
  const ann = await user('Ann');
  const created = await api(server.url, 'POST', '/api/devices', {
    token: ann.token,
    body: { name: 'Atlas', model: 'EOS-3A', serialNumber: nextId('sn'), mac: 'AA:BB:CC:DD:EE:FF' },
  });
  const device = created.body.data.device.id;
  const queued = async () => (await api(server.url, 'GET', `/api/devices/${device}/commands`, { token: ann.token }))
    .body.data.commands.map((c) => c.command);
  const agent = agentFor(ann);

  const asked = await say(agent, 'reboot device Atlas');
  const outcome = asked.events.at(-1).outcome;
  assert.equal(outcome.type, 'interrupt');
  const [interrupt] = outcome.interrupts;
  assert.equal(interrupt.reason, 'approval_required');
  assert.ok(Date.parse(interrupt.expiresAt) > Date.now());
  assert.deepEqual(await queued(), []);
  // The client itself refuses new input until the interrupt is answered.
  agent.addMessage({ id: nextId('user'), role: 'user', content: 'hello' });
  await assert.rejects(agent.runAgent({ runId: nextId('run') }), /pending interrupt/);
  agent.messages.pop();

  const approved = await say(agent, null, { resume: [{ interruptId: interrupt.id, status: 'resolved' }] });
  const result = approved.events.find((e) => e.type === 'TOOL_CALL_RESULT');
  assert.equal(result.toolCallId, interrupt.toolCallId, 'the result lands on the held call');
  assert.deepEqual(await queued(), ['reboot']);
  assert.match(lastAssistantText(agent), /Queued reboot/);

  const again = await say(agent, 'shut down Atlas');
  const [second] = again.events.at(-1).outcome.interrupts;
  await say(agent, null, { resume: [{ interruptId: second.id, status: 'cancelled' }] });
  assert.deepEqual(await queued(), ['reboot'], 'cancelled: nothing queued');
  assert.match(lastAssistantText(agent), /Cancelled/);
});

test('@ag-ui/client 0.0.59, which sends no protocolVersion, gets the pre-1.0 form', async () => {
  const agent = agentFor(await user('Ann'), LegacyHttpAgent);
  const { types, events } = await say(agent, 'go to the store', { tools: [navigateTo] });
  assert.equal(types[0], 'RUN_STARTED');
  assert.equal(events[0].protocolVersion, undefined);
  assert.equal(types.at(-1), 'RUN_FINISHED');
  const call = agent.messages.find((m) => m.role === 'assistant' && m.toolCalls?.length).toolCalls[0];
  assert.equal(call.function.name, 'navigateTo');
});

test('another user cannot run on a thread that is not theirs', async () => {
  const [ann, bob] = [await user('Ann'), await user('Bob')];
  const agent = agentFor(ann);
  await say(agent, 'hello');
  const intruder = agentFor(bob);
  intruder.threadId = agent.threadId;
  intruder.addMessage({ id: nextId('user'), role: 'user', content: 'hello' });
  await assert.rejects(intruder.runAgent({ runId: nextId('run') }), /404/);
});

// The planner's intents through the official client, in English and Chinese: ids wherever names
// go, and the frontend tools by what they are for (built in, or declared by the page).
test('the planner understands ids and asks for frontend tools by their purpose', async () => {
  const ann = await user('Ann');
  const call = (method, path, body) => api(server.url, method, path, { token: ann.token, body });
  const avatar = (await call('POST', '/api/avatars', {
    name: 'Ada', role: 'Writer', description: '', isPublic: false, baseModel: 'm',
    systemPrompt: 'p', skills: [], tools: [],
  })).body.data.avatar.id;
  const project = (await call('POST', '/api/projects', { name: 'Docs' })).body.data.project.id;
  const task = (await call('POST', `/api/projects/${project}/tasks`, { title: 'Write the guide' })).body.data.task.id;
  const device = (await call('POST', '/api/devices', {
    name: 'Atlas', model: 'EOS-3A', serialNumber: nextId('sn'), mac: 'AA:BB:CC:DD:EE:FF',
  })).body.data.device.id;
  const setTheme = {
    name: 'setTheme',
    description: 'Switch the page between the light and the dark theme',
    parameters: { type: 'object', properties: { theme: { type: 'string', enum: ['light', 'dark'] } }, required: ['theme'] },
  };
  const firstCall = (events) => {
    const start = events.find((e) => e.type === 'TOOL_CALL_START');
    if (!start) return null;
    const args = events.filter((e) => e.type === 'TOOL_CALL_ARGS' && e.toolCallId === start.toolCallId)
      .map((e) => e.delta).join('');
    return { name: start.toolCallName, args: JSON.parse(args) };
  };
  for (const [said, name, args] of [
    [`assign task ${task} to avatar ${avatar}`, 'assignTask', { taskId: task, avatarId: avatar }],
    [`把任务${task}分配给${avatar}`, 'assignTask', { taskId: task, avatarId: avatar }],
    [`ping device ${device}`, 'controlDevice', { deviceId: device, command: 'ping' }],
    [`how is avatar ${avatar} doing today`, 'analyzePerformance', { avatarId: avatar, timeRange: 'day' }],
    ['show a notification saying hi', 'showNotification', { title: 'Notification', message: 'hi', type: 'info' }],
    ['显示通知：你好', 'showNotification', { title: '通知', message: '你好', type: 'info' }],
    ['go to the projects page', 'navigateTo', { path: '/projects' }],
    ['前往商店', 'navigateTo', { path: '/store' }],
    ['open the new project dialog', 'openModal', { modalType: 'createProject' }],
    ['打开新建项目对话框', 'openModal', { modalType: 'createProject' }],
    ['please use the dark theme', 'setTheme', { theme: 'dark' }],
  ]) {
    const agent = agentFor(ann);
    const { events, types } = await say(agent, said, { tools: [setTheme] });
    assert.deepEqual(firstCall(events), { name, args }, said);
    assert.equal(types.at(-1), 'RUN_FINISHED', said);
    if (name === 'assignTask') assert.match(lastAssistantText(agent), /Assigned "Write the guide" to Ada/);
  }
});
