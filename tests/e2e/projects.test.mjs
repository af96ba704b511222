// The story of API.md §4 and §5 over HTTP: two users share a project, the owner writes tasks, a
// member gives one to an avatar bought in the store and completes it, and the avatar's
// performance and earnings and the project's progress show it. Every answer is checked against
// /api/openapi.json by api().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, uniqueEmail } from './harness.mjs';

let server;
// Billing is not wired yet: every user is on the free plan, so the story lifts plan limits to
// let the member buy a paid avatar.
before(async () => { server = await startServer({ PLAN_LIMITS: 'off' }); });
after(async () => { if (server) await server.stop(); });

async function user(name) {
  const email = uniqueEmail(name.toLowerCase());
  const res = await api(server.url, 'POST', '/api/auth/register', {
    body: { email, password: 'password123', name },
  });
  assert.equal(res.status, 201, res.text);
  return { email, name, token: res.body.data.accessToken, id: res.body.data.user.id };
}

test('two users share a project and an avatar from the store does the work', async () => {
  const [ann, bob, seller] = [await user('Ann'), await user('Bob'), await user('Sam')];
  const call = (who, method, path, body) => api(server.url, method, path, { token: who.token, body });

  // Sam sells an avatar in the store.
  const listed = await call(seller, 'POST', '/api/avatars', {
    name: 'Release Manager', role: 'Ships software', description: 'Writes changelogs and tags releases',
    skills: ['releases'], isPublic: true, price: 4.25, baseModel: 'gpt-4o',
    systemPrompt: 'Sam\'s secret recipe', tools: ['assignTask'],
  });
  assert.equal(listed.status, 201, listed.text);
  const found = await call(bob, 'GET', '/api/store/avatars?q=release%20manag&sort=rating');
  assert.equal(found.status, 200);
  const offer = found.body.data.avatars.find((a) => a.id === listed.body.data.avatar.id);
  assert.ok(offer, 'the store finds it');
  assert.equal(offer.systemPrompt, undefined);

  // Bob buys a copy.
  const bought = await call(bob, 'POST', `/api/store/avatars/${offer.id}/acquire`);
  assert.equal(bought.status, 201, bought.text);
  const worker = bought.body.data.avatar;
  assert.equal(worker.createdBy, bob.id);
  assert.equal((await call(bob, 'POST', `/api/store/avatars/${offer.id}/acquire`)).status, 409);

  // Ann makes a project, adds Bob by email, writes two tasks.
  const created = await call(ann, 'POST', '/api/projects', { name: 'v2.0 launch', description: 'Ship it' });
  assert.equal(created.status, 201, created.text);
  const project = created.body.data.project.id;
  const added = await call(ann, 'POST', `/api/projects/${project}/members`, { email: bob.email.toUpperCase(), role: 'member' });
  assert.equal(added.status, 200, added.text);
  assert.deepEqual(added.body.data.project.members.map((m) => [m.name, m.role]), [['Ann', 'owner'], ['Bob', 'member']]);
  const tasks = [];
  for (const title of ['Write the changelog', 'Tag the release']) {
    const t = await call(ann, 'POST', `/api/projects/${project}/tasks`, { title, priority: 'p1', tags: ['release'] });
    assert.equal(t.status, 201, t.text);
    tasks.push(t.body.data.task.id);
  }

  // Bob gives the first to his avatar and sees it through.
  const assigned = await call(bob, 'POST', `/api/projects/${project}/tasks/${tasks[0]}/assign`, { avatarId: worker.id });
  assert.equal(assigned.status, 200, assigned.text);
  assert.deepEqual(assigned.body.data.task.assignee, { id: worker.id, name: 'Release Manager', avatar: null });
  for (const status of ['in_progress', 'review', 'completed']) {
    const moved = await call(bob, 'PUT', `/api/projects/${project}/tasks/${tasks[0]}`, { status });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.body.data.status, status);
  }

  const mine = await call(bob, 'GET', `/api/avatars/${worker.id}`);
  assert.equal(mine.status, 200);
  assert.equal(mine.body.data.performance.totalTasks, 1);
  assert.equal(mine.body.data.performance.completedTasks, 1);
  assert.equal(mine.body.data.performance.successRate, 100);
  assert.equal(mine.body.data.earnings.today, 4.25);
  assert.equal(mine.body.data.earnings.total, 4.25);
  assert.equal(mine.body.data.earnings.trend.at(-1), 4.25);
  assert.equal(mine.body.data.status, 'idle');
  assert.equal(mine.body.data.systemPrompt, undefined, 'the buyer uses the prompt without reading it');

  const seen = await call(ann, 'GET', `/api/projects/${project}`);
  assert.equal(seen.status, 200);
  assert.equal(seen.body.data.progress, 50);
  assert.equal(seen.body.data.tasks.find((t) => t.id === tasks[0]).status, 'completed');
  const listing = await call(bob, 'GET', '/api/projects?status=active');
  assert.deepEqual(listing.body.data.projects.map((p) => p.id), [project]);

  // Bob reviews what he bought; a viewer-less outsider sees nothing of the project.
  const review = await call(bob, 'POST', `/api/store/avatars/${offer.id}/reviews`, { rating: 5, comment: 'Shipped on time' });
  assert.equal(review.status, 201, review.text);
  const rated = await call(seller, 'GET', `/api/avatars/${offer.id}`);
  assert.equal(rated.body.data.rating, 5);
  assert.equal(rated.body.data.downloadCount, 1);
  assert.equal(rated.body.data.systemPrompt, 'Sam\'s secret recipe');
  assert.equal((await call(seller, 'GET', `/api/projects/${project}`)).status, 404);

  // Bob may not delete Ann's project; Ann may.
  assert.equal((await call(bob, 'DELETE', `/api/projects/${project}`)).status, 403);
  assert.equal((await call(ann, 'DELETE', `/api/projects/${project}`)).status, 200);
  assert.equal((await call(bob, 'GET', `/api/projects/${project}`)).status, 404);
});

test('bad input gets the contract error and changes nothing', async () => {
  const ann = await user('Ann');
  const call = (method, path, body) => api(server.url, method, path, { token: ann.token, body });
  const project = (await call('POST', '/api/projects', { name: 'P' })).body.data.project.id;
  for (const body of [{ progress: 101 }, { progress: -1 }, { status: 'finished' }]) {
    const res = await call('PUT', `/api/projects/${project}`, body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.body.error.code, 'VALIDATION_ERROR');
  }
  assert.equal((await call('POST', `/api/projects/${project}/members`, { email: 'nobody@example.test' })).status, 404);
  const avatar = { name: 'A', role: 'R', description: '', skills: [], isPublic: true, baseModel: 'm', systemPrompt: 'p' };
  for (const price of [-1, '10', 1.234]) {
    const res = await call('POST', '/api/avatars', { ...avatar, price });
    assert.equal(res.status, 400, String(price));
  }
  const own = (await call('POST', '/api/avatars', avatar)).body.data.avatar;
  assert.equal((await call('POST', `/api/store/avatars/${own.id}/reviews`, { rating: 5 })).status, 403);
  assert.equal((await call('GET', '/api/avatars')).body.data.avatars.length, 1);
  assert.equal((await call('GET', `/api/projects/${project}`)).body.data.progress, 0);
});
