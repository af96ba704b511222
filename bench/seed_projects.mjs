// Seeds the projects and store benchmark through the API: for the user of TOKEN, PROJECTS
// projects of TASKS tasks and MEMBERS members each; and AVATARS public avatars of other users
// with names, roles and descriptions drawn from a small vocabulary (so a query word matches a
// few hundred of them). Usage: node bench/seed_projects.mjs BASE_URL
const base = process.argv[2];
const token = process.env.TOKEN;
const counts = {
  projects: Number(process.env.PROJECTS ?? 20),
  tasks: Number(process.env.TASKS ?? 10),
  members: Number(process.env.MEMBERS ?? 4),
  avatars: Number(process.env.AVATARS ?? 10000),
};
// 300 words: one of them is in about 5 % of the avatars, as a skill or trade word would be.
const stems = ['design', 'code', 'review', 'deploy', 'write', 'test', 'plan', 'data', 'model',
  'video', 'music', 'sales', 'legal', 'ops', 'cloud', 'mobile', 'web', 'audit', 'brand', 'story'];
const prefixes = ['', 're', 'pre', 'co', 'un', 'over', 'sub', 'inter', 'multi', 'auto', 'micro',
  'hyper', 'meta', 'ultra', 'super'];
const words = stems.flatMap((stem) => prefixes.map((p) => p + stem));
let seed = 7;
// xorshift32: the same avatars every run, every word as likely as the next.
const pick = () => {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return words[seed % words.length];
};
const sentence = (n) => Array.from({ length: n }, pick).join(' ');

async function call(method, path, body, as = token) {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${as}` },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!json.success) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

async function register(tag) {
  const res = await fetch(base + '/api/auth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${tag}-${Date.now()}-${Math.random()}@bench.test`, password: 'password123', name: tag }),
  });
  return (await res.json()).data;
}

// Runs `work(i)` for i in [0, n) with `width` requests in flight.
async function parallel(n, width, work) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await work(next++);
  }));
}

const others = [];
for (let i = 0; i < Math.max(counts.members - 1, 1); i++) others.push(await register(`member${i}`));
const mine = await call('POST', '/api/avatars', {
  name: 'Bench worker', role: 'Engineer', description: 'works', skills: ['code'], isPublic: false,
  baseModel: 'm', systemPrompt: 'p',
});
await parallel(counts.projects, 4, async () => {
  const { project } = await call('POST', '/api/projects', {
    name: sentence(3), description: sentence(12),
    members: others.slice(0, counts.members - 1).map((o) => o.user.id),
  });
  for (let t = 0; t < counts.tasks; t++) {
    await call('POST', `/api/projects/${project.id}/tasks`, {
      title: sentence(5), description: sentence(20), priority: `p${t % 4}`, tags: [pick(), pick()],
      ...(t % 2 ? { assigneeId: mine.avatar.id } : {}),
    });
  }
});
const sellers = [];
for (let i = 0; i < 10; i++) sellers.push((await register(`seller${i}`)).accessToken);
await parallel(counts.avatars, 16, async (i) => {
  await call('POST', '/api/avatars', {
    name: `${pick()} ${pick()} ${i}`, role: `${pick()} specialist`, description: sentence(15),
    skills: [pick(), pick()], isPublic: true, price: (i % 50) / 4, baseModel: 'gpt-4o',
    systemPrompt: 'You help.',
  }, sellers[i % sellers.length]);
});
console.log(`seeded ${counts.projects} projects x ${counts.tasks} tasks x ${counts.members} members, ${counts.avatars} public avatars`);
