// The agent on its OpenAI-compatible provider, pointed at @copilotkit/aimock: streamed text,
// parallel tool calls, what karma sends the provider, provider failures and garbage as
// RUN_ERROR, and a client's abort ending the run (and its provider request) at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { HttpAgent } from '@ag-ui/client';
import { LLMock } from '@copilotkit/aimock';
import WebSocket from 'ws';
import { startServer, api, uniqueEmail } from './harness.mjs';

let mock, server, garbage, garbageServer;
before(async () => {
  mock = new LLMock({ port: 0 });
  await mock.start();
  server = await startServer({
    OPENAI_BASE_URL: `${mock.url}/v1`, OPENAI_API_KEY: 'test-key', OPENAI_MODEL: 'gpt-test',
  });
  // A "provider" that answers what no provider should.
  garbage = { body: '', type: 'text/html' };
  garbageServer = createServer((req, res) => {
    req.resume();
    req.on('end', () => { res.writeHead(200, { 'content-type': garbage.type }); res.end(garbage.body); });
  });
  await new Promise((resolve) => garbageServer.listen(0, '127.0.0.1', resolve));
});
after(async () => {
  await server?.stop();
  await mock?.stop();
  garbageServer?.close();
});

async function user(base = server.url) {
  const res = await api(base, 'POST', '/api/auth/register', {
    body: { email: uniqueEmail('llm'), password: 'password123', name: 'Lena' },
  });
  assert.equal(res.status, 201, res.text);
  return { token: res.body.data.accessToken };
}

let ids = 0;
const nextId = (tag) => `${tag}-${++ids}-${Date.now()}`;

async function say(agent, text) {
  agent.addMessage({ id: nextId('user'), role: 'user', content: text });
  const events = [];
  await agent.runAgent({ runId: nextId('run') }, { onEvent: ({ event }) => { events.push(event); } });
  return events;
}

const agentFor = (who, base = server.url) => new HttpAgent({
  url: `${base}/api/agent`, headers: { Authorization: `Bearer ${who.token}` },
});

// POSTs a RunAgentInput and returns the events as sent (no client in between).
async function rawRun(base, who, text, { signal } = {}) {
  const res = await fetch(`${base}/api/agent`, {
    method: 'POST',
    signal,
    headers: { authorization: `Bearer ${who.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      threadId: nextId('thread'), runId: nextId('run'), protocolVersion: '1.0', state: {},
      messages: [{ id: nextId('m'), role: 'user', content: text }], tools: [], context: [],
    }),
  });
  assert.equal(res.status, 200);
  const text_ = await res.text();
  return text_.split('\n\n').filter((b) => b.startsWith('data: ')).map((b) => JSON.parse(b.slice(6)));
}

test('the model streams its text through the run, piece by piece', async () => {
  mock.onMessage('hello model', { content: 'Hello from the model, streamed in small pieces.' }, { chunkSize: 5 });
  const agent = agentFor(await user());
  const events = await say(agent, 'hello model');
  const pieces = events.filter((e) => e.type === 'TEXT_MESSAGE_CONTENT');
  assert.ok(pieces.length > 3, 'more than one delta');
  assert.equal(pieces.map((e) => e.delta).join(''), 'Hello from the model, streamed in small pieces.');
  assert.equal(events.at(-1).type, 'RUN_FINISHED');

  const [sent] = mock.getRequests().filter((r) => JSON.stringify(r.body).includes('hello model'));
  assert.equal(sent.body.model, 'gpt-test');
  assert.equal(sent.body.stream, true);
  assert.ok(sent.headers.authorization, 'the key is sent (the journal redacts it)');
  const tool = sent.body.tools.find((t) => t.function.name === 'controlDevice');
  assert.ok(tool.function.parameters.properties.command.enum.includes('reboot'), 'schemas go to the model');
});

test('parallel tool calls run, each result on its call, and the model answers after them', async () => {
  mock.on({ userMessage: 'check everything', hasToolResult: false }, {
    toolCalls: [
      { id: 'call_devices', name: 'searchDatabase', arguments: '{"type":"device"}' },
      { id: 'call_projects', name: 'searchDatabase', arguments: '{"type":"project"}' },
    ],
  });
  mock.onToolResult('call_projects', { content: 'Both searches came back empty.' });
  const agent = agentFor(await user());
  const events = await say(agent, 'check everything');
  const starts = events.filter((e) => e.type === 'TOOL_CALL_START').map((e) => e.toolCallId);
  assert.deepEqual(starts, ['call_devices', 'call_projects']);
  const results = events.filter((e) => e.type === 'TOOL_CALL_RESULT');
  assert.deepEqual(results.map((e) => e.toolCallId), ['call_devices', 'call_projects']);
  assert.equal(JSON.parse(results[1].content).type, 'project');
  const argsOf = (id) => events.filter((e) => e.type === 'TOOL_CALL_ARGS' && e.toolCallId === id)
    .map((e) => e.delta).join('');
  assert.deepEqual(JSON.parse(argsOf('call_devices')), { type: 'device' });
  assert.equal(agent.messages.at(-1).content, 'Both searches came back empty.');
  // The second request carried both results, on their ids.
  const second = mock.getRequests().filter((r) => JSON.stringify(r.body).includes('check everything')).at(-1);
  const tools = second.body.messages.filter((m) => m.role === 'tool').map((m) => m.tool_call_id);
  assert.deepEqual(tools, ['call_devices', 'call_projects']);
});

test('a provider that fails or answers garbage ends the run with RUN_ERROR', async () => {
  const who = await user();
  mock.nextRequestError(500, { message: 'the model is down' });
  const failed = await rawRun(server.url, who, 'anything');
  assert.equal(failed.at(-1).type, 'RUN_ERROR');
  assert.equal(failed.at(-1).code, 'MODEL_ERROR');
  assert.match(failed.at(-1).message, /500/);

  const other = await startServer({ OPENAI_BASE_URL: `http://127.0.0.1:${garbageServer.address().port}/v1` });
  try {
    const someone = await user(other.url);
    for (const [type, body] of [['text/html', '<html>hi</html>'], ['text/event-stream', 'data: {not json\n\n'],
      ['text/event-stream', 'data: {"choices":[{"delta":{"content":"cut"}}]}\n\n']]) {
      Object.assign(garbage, { type, body });
      const events = await rawRun(other.url, someone, 'anything');
      assert.equal(events[0].type, 'RUN_STARTED', type);
      assert.equal(events.at(-1).type, 'RUN_ERROR', `${type}: ${body}`);
    }
  } finally {
    await other.stop();
  }
  // An unreachable provider too.
  const nowhere = await startServer({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
  try {
    const events = await rawRun(nowhere.url, await user(nowhere.url), 'anything');
    assert.equal(events.at(-1).type, 'RUN_ERROR');
  } finally {
    await nowhere.stop();
  }
});

test('aborting the run ends it on the server within a second, provider request and all', async () => {
  mock.onMessage('tell me slowly', { content: 'word '.repeat(400) }, { chunkSize: 5, latency: 100 });
  const who = await user();
  const agent = agentFor(who);
  agent.addMessage({ id: nextId('user'), role: 'user', content: 'tell me slowly' });
  let aborted = 0;
  const run = agent.runAgent({ runId: nextId('run') }, {
    onTextMessageContentEvent: () => {
      if (!aborted) { aborted = Date.now(); agent.abortRun(); }
    },
  }).catch(() => {});
  await run;
  assert.ok(aborted, 'the text had begun');
  // The thread is free again once the run ended: a new run is not refused as busy.
  let freed = 0;
  for (let i = 0; i < 20 && !freed; ++i) {
    await new Promise((r) => setTimeout(r, 100));
    mock.onMessage(`again ${i}`, { content: 'ok' });
    agent.addMessage({ id: nextId('user'), role: 'user', content: `again ${i}` });
    try {
      await agent.runAgent({ runId: nextId('run') });
      freed = Date.now();
    } catch (e) {
      assert.match(String(e), /409/);
      agent.messages.pop();
    }
  }
  assert.ok(freed && freed - aborted < 1500, `freed ${freed - aborted} ms after the abort`);
});

test('closing a hub socket ends its run on the server within a second, as an abort does', async () => {
  mock.onMessage('tell me slowly over the socket', { content: 'word '.repeat(400) }, { chunkSize: 5, latency: 100 });
  const who = await user();
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws?token=${who.token}`);
  let threadId;
  const begun = new Promise((resolve) => ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    if (m.type === 'auth_success') ws.send(JSON.stringify({ id: 'c1', type: 'chat_message', payload: { content: 'tell me slowly over the socket' } }));
    if (m.type === 'chat_response' && m.payload.type === 'message') { threadId = m.payload.threadId; resolve(); }
  }));
  await begun;
  const closedAt = Date.now();
  ws.close(1000);
  // The thread is free again once the run ended: a new run on it is not refused as busy.
  let freed = 0;
  for (let i = 0; i < 20 && !freed; ++i) {
    await new Promise((r) => setTimeout(r, 100));
    mock.onMessage(`socket again ${i}`, { content: 'ok' });
    const res = await fetch(`${server.url}/api/agent`, {
      method: 'POST',
      headers: { authorization: `Bearer ${who.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ threadId, messages: [{ role: 'user', content: `socket again ${i}` }] }),
    });
    await res.text();
    if (res.status !== 409) {
      assert.equal(res.status, 200);
      freed = Date.now();
    }
  }
  assert.ok(freed && freed - closedAt < 1500, `freed ${freed - closedAt} ms after the close`);
});

// Reads a run's events as they come; `onEvent` may act mid-stream.
async function streamRun(base, who, body, onEvent = () => {}) {
  const res = await fetch(`${base}/api/agent`, {
    method: 'POST',
    headers: { authorization: `Bearer ${who.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      threadId: nextId('thread'), runId: nextId('run'), protocolVersion: '1.0', state: {},
      tools: [], context: [], ...body,
    }),
  });
  assert.equal(res.status, 200);
  const events = [];
  const decoder = new TextDecoder();
  let pending = '';
  for await (const bytes of res.body) {
    pending += decoder.decode(bytes, { stream: true });
    let end;
    while ((end = pending.indexOf('\n\n')) >= 0) {
      const block = pending.slice(0, end);
      pending = pending.slice(end + 2);
      if (!block.startsWith('data: ')) continue;
      const event = JSON.parse(block.slice(6));
      events.push(event);
      await onEvent(event);
    }
  }
  return events;
}

const say_ = (text) => ({ messages: [{ id: nextId('m'), role: 'user', content: text }] });

test('running as an avatar uses its prompt, model and tools, and it is working meanwhile', async () => {
  const who = await user();
  const created = await api(server.url, 'POST', '/api/avatars', {
    token: who.token,
    body: { name: 'Ada', role: 'Analyst', description: '', isPublic: false, baseModel: 'ada-model',
      systemPrompt: 'You are Ada, terse.', skills: [], tools: ['searchDatabase'] },
  });
  assert.equal(created.status, 201, created.text);
  const avatar = created.body.data.avatar.id;
  const statusOf = async () => (await api(server.url, 'GET', `/api/avatars/${avatar}`, { token: who.token })).body.data.status;
  mock.onMessage('as ada please', { content: 'Ada here, '.repeat(20) }, { chunkSize: 10, latency: 30 });
  let during;
  const events = await streamRun(server.url, who, { ...say_('as ada please'), forwardedProps: { avatarId: avatar } },
    async (e) => { if (e.type === 'TEXT_MESSAGE_CONTENT' && !during) during = await statusOf(); });
  assert.equal(events.at(-1).type, 'RUN_FINISHED');
  assert.equal(during, 'working');
  assert.equal(await statusOf(), 'idle', 'idle again once the run ended');
  const sent = mock.getRequests().filter((r) => JSON.stringify(r.body).includes('as ada please')).at(-1);
  assert.equal(sent.body.model, 'ada-model');
  assert.deepEqual(sent.body.messages[0], { role: 'system', content: 'You are Ada, terse.' });
  assert.deepEqual(sent.body.tools.map((t) => t.function.name), ['searchDatabase']);
});

test('a tool the model calls badly or on what is not there answers with an error, and the run goes on', async () => {
  const who = await user();
  mock.on({ userMessage: 'break things', hasToolResult: false }, {
    toolCalls: [
      { id: 'call_bad', name: 'controlDevice', arguments: '{"deviceId":"x","command":"explode"}' },
      { id: 'call_gone', name: 'controlDevice', arguments: '{"deviceId":"00000000-0000-4000-8000-000000000000","command":"ping"}' },
      { id: 'call_json', name: 'searchDatabase', arguments: '{"type":' },
    ],
  });
  mock.onToolResult('call_json', { content: 'Nothing worked.' });
  const events = await streamRun(server.url, who, say_('break things'));
  const results = Object.fromEntries(events.filter((e) => e.type === 'TOOL_CALL_RESULT')
    .map((e) => [e.toolCallId, JSON.parse(e.content)]));
  assert.equal(results.call_bad.code, 'INVALID_ARGUMENTS');
  assert.equal(results.call_gone.code, 'NOT_FOUND');
  assert.equal(results.call_json.code, 'INVALID_ARGUMENTS');
  assert.equal(events.at(-1).type, 'RUN_FINISHED');
});

test('a model that keeps calling tools is stopped at the step cap', async () => {
  const who = await user();
  mock.onMessage('loop forever', { toolCalls: [{ name: 'searchDatabase', arguments: '{"type":"device"}' }] });
  const events = await streamRun(server.url, who, say_('loop forever'));
  assert.equal(events.filter((e) => e.type === 'TOOL_CALL_RESULT').length, 8);
  assert.match(events.filter((e) => e.type === 'TEXT_MESSAGE_CONTENT').at(-1).delta, /stopped/);
  assert.equal(events.at(-1).type, 'RUN_FINISHED');
});

test('a run past its deadline, or cut by shutdown, ends with RUN_ERROR', async () => {
  mock.onMessage('take your time', { content: 'slow '.repeat(300) }, { chunkSize: 5, latency: 50 });
  const short = await startServer({ OPENAI_BASE_URL: `${mock.url}/v1`, AGENT_RUN_TIMEOUT_SECONDS: '1' });
  try {
    const events = await streamRun(short.url, await user(short.url), say_('take your time'));
    assert.equal(events.at(-1).type, 'RUN_ERROR');
    assert.equal(events.at(-1).code, 'DEADLINE_EXCEEDED');
  } finally {
    await short.stop();
  }
  const doomed = await startServer({ OPENAI_BASE_URL: `${mock.url}/v1` });
  let stopped;
  const events = await streamRun(doomed.url, await user(doomed.url), say_('take your time'), (e) => {
    if (e.type === 'TEXT_MESSAGE_CONTENT' && !stopped) stopped = doomed.stop();
  });
  const { code } = await stopped;
  assert.equal(code, 0, 'a clean exit');
  assert.equal(events.at(-1).type, 'RUN_ERROR');
  assert.equal(events.at(-1).code, 'SHUTDOWN');
});

test('reasoning streams as REASONING events; the request can name the model; a silent provider times out', async () => {
  const who = await user();
  mock.onMessage('think first', { content: 'Answer.', reasoning: 'Let me think about it.' });
  const events = await streamRun(server.url, who, { ...say_('think first'), forwardedProps: { model: 'gpt-special' } });
  const types = events.map((e) => e.type);
  assert.ok(types.indexOf('REASONING_START') < types.indexOf('TEXT_MESSAGE_START'), types.join());
  assert.equal(events.filter((e) => e.type === 'REASONING_MESSAGE_CONTENT').map((e) => e.delta).join(''),
    'Let me think about it.');
  assert.ok(types.includes('REASONING_END'));
  const sent = mock.getRequests().filter((r) => JSON.stringify(r.body).includes('think first')).at(-1);
  assert.equal(sent.body.model, 'gpt-special');

  mock.onMessage('go quiet', { content: 'late' }, { latency: 3000 });
  const impatient = await startServer({ OPENAI_BASE_URL: `${mock.url}/v1`, OPENAI_FIRST_BYTE_TIMEOUT_MS: '500', OPENAI_IDLE_TIMEOUT_MS: '500' });
  try {
    const started = Date.now();
    const quiet = await streamRun(impatient.url, await user(impatient.url), say_('go quiet'));
    assert.equal(quiet.at(-1).type, 'RUN_ERROR');
    assert.equal(quiet.at(-1).code, 'MODEL_ERROR');
    assert.ok(Date.now() - started < 2500, 'gave up at the timeout, not when the provider spoke');
  } finally {
    await impatient.stop();
  }
});
