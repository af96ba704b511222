// Billing against a fake Stripe: the checkout the Stripe client opens (every form field and
// header it sends; card errors, outages, timeouts and HTML answers), the webhook driven by the
// official stripe package's signatures (correct, wrong secret, stale, v0 only, replayed, out
// of order) and cancelling through Stripe. Then the development checkout in headless Chromium.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import Stripe from 'stripe';
import { chromium } from 'playwright-core';
import { startServer, api, uniqueEmail } from './harness.mjs';

const SECRET_KEY = 'sk_test_karma_e2e';
const WEBHOOK_SECRET = 'whsec_karma_e2e';
const stripe = new Stripe(SECRET_KEY);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// What a Stripe-like API was sent, and how it answers checkout sessions next.
const fake = { requests: [], sessionAnswer: 'ok', customers: 0, sessions: 0, expireAnswer: 'ok' };

function startFakeStripe() {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => { raw += d; });
    req.on('end', () => {
      const url = new URL(req.url, 'http://stripe.test');
      const form = new URLSearchParams(raw);
      fake.requests.push({ method: req.method, path: url.pathname, query: url.searchParams, headers: req.headers, form, raw });
      const json = (status, body) => {
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_fake' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && url.pathname === '/v1/prices') {
        const key = url.searchParams.get('lookup_keys[]');
        return json(200, { object: 'list', data: key?.startsWith('enterprise') ? [] : [{ id: `price_${key}`, object: 'price', lookup_key: key }] });
      }
      if (req.method === 'POST' && url.pathname === '/v1/customers') {
        fake.customers += 1;
        return json(200, { id: `cus_${fake.customers}`, object: 'customer' });
      }
      if (req.method === 'POST' && url.pathname === '/v1/checkout/sessions') {
        switch (fake.sessionAnswer) {
          case 'card_error':
            return json(402, { error: { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' } });
          case '500':
            return json(500, { error: { type: 'api_error', message: 'Something went wrong on our end.' } });
          case 'html':
            res.writeHead(502, { 'content-type': 'text/html' });
            return res.end('<html><body>Bad gateway</body></html>');
          case 'timeout':
            return setTimeout(() => json(200, { id: 'cs_late', url: 'https://checkout.stripe.test/late' }), 3000);
          default:
            fake.sessions += 1;
            return json(200, { id: `cs_test_${fake.sessions}`, object: 'checkout.session', url: `https://checkout.stripe.test/c/pay/cs_test_${fake.sessions}` });
        }
      }
      const expire = url.pathname.match(/^\/v1\/checkout\/sessions\/([^/]+)\/expire$/);
      if (req.method === 'POST' && expire) {
        if (fake.expireAnswer === 'completed')
          return json(400, { error: { type: 'invalid_request_error', message: 'Only Checkout Sessions with a status in [\'open\'] can be expired.' } });
        if (fake.expireAnswer === '500') return json(500, { error: { type: 'api_error' } });
        return json(200, { id: expire[1], object: 'checkout.session', status: 'expired' });
      }
      if (req.method === 'POST' && url.pathname.startsWith('/v1/subscriptions/')) {
        return json(200, { id: url.pathname.split('/').pop(), object: 'subscription', cancel_at_period_end: form.get('cancel_at_period_end') === 'true' });
      }
      json(404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${url.pathname})` } });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function register(base, tag) {
  const r = await api(base, 'POST', '/api/auth/register', { body: { email: uniqueEmail(tag), password: 'password123', name: tag } });
  assert.equal(r.status, 201, r.text);
  return { token: r.body.data.accessToken, id: r.body.data.user.id };
}

const subscriptionOf = async (base, user) => (await api(base, 'GET', '/api/subscriptions', { token: user.token })).body.data.subscription;

describe('with Stripe', () => {
  let stripeServer;
  let karma;
  before(async () => {
    stripeServer = await startFakeStripe();
    karma = await startServer({
      STRIPE_SECRET_KEY: SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_BASE: `http://127.0.0.1:${stripeServer.address().port}`,
      STRIPE_TIMEOUT_MS: '1000',
      BILLING_SUCCESS_URL: 'https://app.karma.test/settings?checkout=success',
      BILLING_CANCEL_URL: 'https://app.karma.test/settings?checkout=cancelled',
    });
  });
  after(async () => {
    await karma?.stop();
    stripeServer?.close();
  });

  const create = (user, plan = 'pro', billingCycle = 'monthly') =>
    api(karma.url, 'POST', '/api/subscriptions/create', { token: user.token, body: { plan, billingCycle } });

  test('a checkout session is created as Stripe expects it, the customer once per user', async () => {
    fake.requests = [];
    fake.sessionAnswer = 'ok';
    const user = await register(karma.url, 'stripe-checkout');
    const r = await create(user);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.data.checkoutUrl, `https://checkout.stripe.test/c/pay/cs_test_${fake.sessions}`);
    const firstSession = `cs_test_${fake.sessions}`;

    const [price, customer, session] = fake.requests;
    assert.equal(price.method, 'GET');
    assert.equal(price.query.get('lookup_keys[]'), 'pro_monthly');
    assert.equal(price.query.get('active'), 'true');
    assert.equal(customer.path, '/v1/customers');
    assert.equal(customer.form.get('metadata[userId]'), user.id);
    assert.equal(session.path, '/v1/checkout/sessions');
    for (const sent of [price, customer, session]) {
      assert.equal(sent.headers.authorization, `Bearer ${SECRET_KEY}`);
      assert.ok(sent.headers['stripe-version']);
    }
    for (const sent of [customer, session]) {
      assert.equal(sent.headers['content-type'], 'application/x-www-form-urlencoded');
      assert.ok(sent.headers['idempotency-key'], 'every POST carries an Idempotency-Key');
    }
    assert.ok(session.raw.includes('line_items[0][price]=price_pro_monthly'), session.raw);
    assert.deepEqual(Object.fromEntries(session.form), {
      mode: 'subscription',
      customer: 'cus_' + fake.customers,
      'line_items[0][price]': 'price_pro_monthly',
      'line_items[0][quantity]': '1',
      client_reference_id: user.id,
      'metadata[userId]': user.id,
      'metadata[plan]': 'pro',
      'metadata[billingCycle]': 'monthly',
      'metadata[checkoutId]': session.form.get('metadata[checkoutId]'),
      'subscription_data[metadata][userId]': user.id,
      success_url: 'https://app.karma.test/settings?checkout=success',
      cancel_url: 'https://app.karma.test/settings?checkout=cancelled',
    });

    // A second attempt (another tab): the first session is expired so only one can be paid;
    // the same customer, the price from the cache, a key of its own.
    fake.requests = [];
    const again = await create(user);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(fake.requests.map((x) => x.path), [`/v1/checkout/sessions/${firstSession}/expire`, '/v1/checkout/sessions']);
    assert.ok(fake.requests[0].headers['idempotency-key']);
    const [, second] = fake.requests;
    assert.equal(second.form.get('customer'), session.form.get('customer'));
    assert.notEqual(second.headers['idempotency-key'], session.headers['idempotency-key']);

    // A session paid meanwhile cannot be expired: that is no error. Stripe down while closing
    // one is (503), and nothing is left open that was not before.
    fake.requests = [];
    fake.expireAnswer = 'completed';
    assert.equal((await create(user)).status, 200);
    assert.equal(fake.requests[0].path, `/v1/checkout/sessions/cs_test_${fake.sessions - 1}/expire`);
    fake.expireAnswer = '500';
    const down = await create(user);
    assert.equal(down.status, 503, down.text);
    fake.expireAnswer = 'ok';
    fake.requests = [];
    assert.equal((await create(user)).status, 200);
    assert.equal(fake.requests[0].path, `/v1/checkout/sessions/cs_test_${fake.sessions - 1}/expire`, 'the session Stripe could not close is closed on the next try');
    assert.equal(await subscriptionOf(karma.url, user), null, 'nothing is active until Stripe says so');
  });

  test("Stripe's refusals and outages are the contract's errors and change nothing", async () => {
    const user = await register(karma.url, 'stripe-errors');
    const answers = { card_error: [400, 'VALIDATION_ERROR'], 500: [503, 'SERVICE_UNAVAILABLE'], html: [503, 'SERVICE_UNAVAILABLE'], timeout: [503, 'SERVICE_UNAVAILABLE'] };
    for (const [answer, [status, code]] of Object.entries(answers)) {
      fake.sessionAnswer = answer;
      const started = Date.now();
      const r = await create(user);
      assert.equal(r.status, status, `${answer}: ${r.text}`);
      assert.equal(r.body.error.code, code, answer);
      if (answer === 'card_error') {
        assert.equal(r.body.error.message, 'Your card was declined.');
        assert.equal(r.body.error.details.code, 'card_declined');
      }
      if (answer === 'timeout') assert.ok(Date.now() - started < 2900, 'STRIPE_TIMEOUT_MS bounds the wait');
    }
    fake.sessionAnswer = 'ok';
    const unknownPrice = await create(user, 'enterprise', 'yearly');
    assert.equal(unknownPrice.status, 503, unknownPrice.text);
    assert.equal(await subscriptionOf(karma.url, user), null);
    const bad = await create(user, 'gold', 'monthly');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details.field, 'plan');
  });

  describe('the webhook', () => {
    let user;
    let eventCount = 0;
    const now = () => Math.floor(Date.now() / 1000);
    const event = (type, object, created = now()) => ({ id: `evt_${process.pid}_${++eventCount}`, object: 'event', type, created, data: { object } });
    const subscriptionObject = (over = {}) => ({
      id: 'sub_' + user.id.slice(0, 8), object: 'subscription', customer: 'cus_hook', status: 'active',
      cancel_at_period_end: false, metadata: { userId: user.id },
      items: { object: 'list', data: [{ current_period_start: 1_900_000_000, current_period_end: 1_902_592_000, price: { id: 'price_team_monthly', lookup_key: 'team_monthly' } }] },
      ...over,
    });
    const deliver = (body, { secret = WEBHOOK_SECRET, timestamp, scheme, header } = {}) => {
      const payload = typeof body === 'string' ? body : JSON.stringify(body);
      const signature = header ?? stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp, scheme });
      return api(karma.url, 'POST', '/api/webhooks/stripe', { body: payload, headers: { 'stripe-signature': signature } });
    };

    before(async () => { user = await register(karma.url, 'stripe-webhook'); });

    test('refuses what Stripe did not sign just now, before reading it', async () => {
      const body = event('checkout.session.completed', { id: 'cs_1', mode: 'subscription', client_reference_id: user.id, subscription: 'sub_x', customer: 'cus_x', metadata: { userId: user.id, plan: 'pro', billingCycle: 'monthly' } });
      for (const [what, options] of Object.entries({
        'another secret': { secret: 'whsec_someone_else' },
        '10 minutes old': { timestamp: now() - 600 },
        'v0 only': { scheme: 'v0' },
        'no header': { header: '' },
        'garbage header': { header: 'nonsense' },
      })) {
        const r = await deliver(body, options);
        assert.equal(r.status, 400, `${what}: ${r.text}`);
        assert.equal(r.body.error.code, 'VALIDATION_ERROR', what);
      }
      const notJson = await deliver('this is not json');
      assert.equal(notJson.status, 400, notJson.text);
      assert.equal(await subscriptionOf(karma.url, user), null, 'nothing changed');
    });

    test('refuses events for unknown users or prices, so Stripe retries them', async () => {
      const stranger = event('customer.subscription.created', { ...subscriptionObject(), id: 'sub_nobody', metadata: { userId: '00000000-0000-4000-8000-000000000000' }, customer: 'cus_nobody' });
      assert.equal((await deliver(stranger)).status, 400);
      const gold = subscriptionObject();
      gold.items.data[0].price = { id: 'price_gold', lookup_key: 'gold_monthly' };
      assert.equal((await deliver(event('customer.subscription.created', gold))).status, 400);
      const invoice = event('invoice.paid', { id: 'in_1', subscription: 'sub_unknown', customer: 'cus_unknown' });
      assert.equal((await deliver(invoice)).status, 400);
      // Signed, but not storable (PostgreSQL's JSONB refuses \u0000): a 400 like any body, not a 500.
      const nul = await deliver(event('charge.refunded', { id: 'ch_nul', note: 'a\u0000b' }));
      assert.equal(nul.status, 400, nul.text);
      assert.equal(await subscriptionOf(karma.url, user), null);
    });

    test('applies the lifecycle once per event and never rolls a newer state back', async () => {
      const created = now() - 100;
      const completed = event('checkout.session.completed', { id: 'cs_2', object: 'checkout.session', mode: 'subscription', client_reference_id: user.id, subscription: subscriptionObject().id, customer: 'cus_hook', metadata: { userId: user.id, plan: 'team', billingCycle: 'monthly' } }, created);
      const first = await deliver(completed);
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.data.outcome, 'applied');
      let s = await subscriptionOf(karma.url, user);
      assert.equal(s.plan, 'team');
      assert.equal(s.status, 'active');
      assert.equal(s.stripeSubscriptionId, subscriptionObject().id);
      assert.equal(s.stripeCustomerId, 'cus_hook');

      const updated = event('customer.subscription.updated', subscriptionObject(), created + 10);
      assert.equal((await deliver(updated)).body.data.outcome, 'applied');
      s = await subscriptionOf(karma.url, user);
      assert.equal(s.currentPeriodStart, 1_900_000_000_000);
      assert.equal(s.currentPeriodEnd, 1_902_592_000_000);

      // Replayed: recorded once, applied once.
      const replay = await deliver(updated);
      assert.equal(replay.status, 200);
      assert.equal(replay.body.data.outcome, 'duplicate');

      // Out of order: an older event arriving late changes nothing.
      const older = event('customer.subscription.updated', subscriptionObject({ status: 'past_due' }), created + 5);
      const late = await deliver(older);
      assert.equal(late.status, 200);
      assert.equal(late.body.data.outcome, 'stale');
      assert.equal((await subscriptionOf(karma.url, user)).status, 'active');

      const failed = event('invoice.payment_failed', { id: 'in_2', object: 'invoice', subscription: subscriptionObject().id, customer: 'cus_hook' }, created + 20);
      assert.equal((await deliver(failed)).body.data.outcome, 'applied');
      assert.equal((await subscriptionOf(karma.url, user)).status, 'past_due');
      const paid = event('invoice.paid', { id: 'in_3', object: 'invoice', parent: { subscription_details: { subscription: subscriptionObject().id } }, lines: { data: [{ period: { start: 1_902_592_000, end: 1_905_184_000 } }] } }, created + 30);
      assert.equal((await deliver(paid)).body.data.outcome, 'applied');
      s = await subscriptionOf(karma.url, user);
      assert.equal(s.status, 'active');
      assert.equal(s.currentPeriodEnd, 1_905_184_000_000);

      // Twenty deliveries of one event at once (Stripe retrying while the first is slow): applied once.
      const burst = event('invoice.paid', { id: 'in_4', object: 'invoice', subscription: subscriptionObject().id, customer: 'cus_hook' }, created + 35);
      const outcomes = (await Promise.all(Array.from({ length: 20 }, () => deliver(burst)))).map((r) => r.body.data.outcome).sort();
      assert.deepEqual(outcomes, ['applied', ...Array(19).fill('duplicate')]);

      // Cancelling goes through Stripe, then shows at once.
      fake.requests = [];
      const cancelled = await api(karma.url, 'POST', '/api/subscriptions/cancel', { token: user.token });
      assert.equal(cancelled.status, 200, cancelled.text);
      assert.equal(cancelled.body.data.subscription.cancelAtPeriodEnd, true);
      assert.equal(fake.requests.length, 1);
      assert.equal(fake.requests[0].path, `/v1/subscriptions/${subscriptionObject().id}`);
      assert.equal(fake.requests[0].form.get('cancel_at_period_end'), 'true');
      assert.ok(fake.requests[0].headers['idempotency-key']);

      const deleted = event('customer.subscription.deleted', subscriptionObject({ status: 'canceled' }), created + 40);
      assert.equal((await deliver(deleted)).body.data.outcome, 'applied');
      assert.equal(await subscriptionOf(karma.url, user), null, 'back on free');
      const otherEvent = event('charge.refunded', { id: 'ch_1', object: 'charge' }, created + 50);
      assert.equal((await deliver(otherEvent)).body.data.outcome, 'ignored');
    });
  });
});

test('the development checkout in a real browser activates the plan; a 4th device is allowed', async () => {
  const karma = await startServer();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const user = await register(karma.url, 'dev-checkout');
    const device = (n) => api(karma.url, 'POST', '/api/devices', { token: user.token, body: { name: `Box ${n}`, model: 'EOS-3A', serialNumber: `DEV-${process.pid}-${Date.now()}-${n}`, mac: '02:00:00:00:00:01' } });
    for (let n = 1; n <= 3; n += 1) assert.equal((await device(n)).status, 201);
    const refused = await device(4);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.details.limit, 3);

    const started = await api(karma.url, 'POST', '/api/subscriptions/create', { token: user.token, body: { plan: 'pro', billingCycle: 'yearly' } });
    assert.equal(started.status, 200, started.text);
    const page = await browser.newPage();
    await page.goto(started.body.data.checkoutUrl);
    await page.getByText('Development checkout.').waitFor();
    assert.match(await page.textContent('body'), /no money is taken/);
    await page.click('#confirm');
    await page.locator('#active').waitFor();
    assert.match(await page.textContent('#active'), /Pro plan is active/);

    const s = await subscriptionOf(karma.url, user);
    assert.equal(s.plan, 'pro');
    assert.equal(s.status, 'active');
    assert.equal((await device(4)).status, 201, 'the pro plan allows a 4th device');
    // The back button and a second click: the one-time token is spent.
    await page.goBack();
    await page.reload();
    await page.locator('#closed').waitFor();
  } finally {
    await browser.close();
    await karma.stop();
  }
});
