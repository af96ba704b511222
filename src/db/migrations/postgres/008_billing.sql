-- Billing (API.md §6). Mirrors sqlite/008.
-- The cycle a subscription renews on, and Stripe's `created` (seconds) of the newest event
-- applied to it: an older event, delivered late, never rolls it back.
ALTER TABLE subscriptions ADD COLUMN billing_cycle VARCHAR(16) NOT NULL DEFAULT 'monthly';
ALTER TABLE subscriptions ADD COLUMN stripe_event_created BIGINT NOT NULL DEFAULT 0;

-- A user's Stripe customer, created once and reused for every checkout.
CREATE TABLE billing_customers (
  user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  stripe_customer_id VARCHAR(255) UNIQUE NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);

-- A checkout a user started: the plan it buys; completed once (the development checkout's
-- one-time token names it). Stripe's session id, so a newer checkout can expire it.
CREATE TABLE billing_checkouts (
  id UUID PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  plan VARCHAR(50) NOT NULL,
  billing_cycle VARCHAR(16) NOT NULL,
  provider VARCHAR(16) NOT NULL,
  provider_session_id VARCHAR(255),
  created_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  completed_at TIMESTAMPTZ
);
CREATE INDEX idx_billing_checkouts_user_id ON billing_checkouts(user_id);
CREATE INDEX idx_subscriptions_period_end ON subscriptions(current_period_end);
