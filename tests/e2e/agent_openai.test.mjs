// The agent on its OpenAI-compatible provider, pointed at @copilotkit/aimock: streamed text,
// parallel tool calls, what karma sends the provider, provider failures and garbage as
// RUN_ERROR, and a client's abort ending the run (and its provider request) at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { HttpAgent } from '@ag-ui/client';
import { LLMock } from '@copilotkit/aimock';
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
