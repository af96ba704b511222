-- Billing (API.md §6). Mirrors postgres/008.
-- The cycle a subscription renews on, and Stripe's `created` (seconds) of the newest event
-- applied to it: an older event, delivered late, never rolls it back.
ALTER TABLE subscriptions ADD COLUMN billing_cycle TEXT NOT NULL DEFAULT 'monthly';
ALTER TABLE subscriptions ADD COLUMN stripe_event_created INTEGER NOT NULL DEFAULT 0;

-- A user's Stripe customer, created once and reused for every checkout.
CREATE TABLE billing_customers (
  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  stripe_customer_id TEXT UNIQUE NOT NULL,
  created_at INTEGER NOT NULL
);

-- A checkout a user started: the plan it buys; completed once (the development checkout's
-- one-time token names it). Stripe's session id, so a newer checkout can expire it.
CREATE TABLE billing_checkouts (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  plan TEXT NOT NULL,
  billing_cycle TEXT NOT NULL,
  provider TEXT NOT NULL,
  provider_session_id TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  completed_at INTEGER
);
CREATE INDEX idx_billing_checkouts_user_id ON billing_checkouts(user_id);
CREATE INDEX idx_subscriptions_period_end ON subscriptions(current_period_end);
