-- goldenpath store, version 2: drift results in full, the drift schedule's
-- ledger, operation options (remediation's `up` with refresh), webhooks and
-- every delivery attempt.

-- What a drift check found, beyond status and resources: the engine that
-- answered, counts by kind, the classified error of a failed check, and what
-- remediation did (queued an `up`, or why not).
ALTER TABLE drift_results
  ADD COLUMN engine      text,
  ADD COLUMN counts      jsonb NOT NULL DEFAULT '{"cloud":0,"pending":0}',
  ADD COLUMN error       jsonb,
  ADD COLUMN remediation jsonb;
CREATE INDEX drift_results_env_id ON drift_results (environment, id DESC);

-- Per-operation options; today only `{"refresh": true}` on a remediation `up`.
ALTER TABLE operations ADD COLUMN options jsonb NOT NULL DEFAULT '{}';

-- One row per (environment, cron occurrence) the scheduler claimed: the
-- primary key makes a tick idempotent across replicas and duplicate ticks.
-- A claimed occurrence either queued a drift operation or was skipped, with
-- the reason (an operation of the environment was queued or running).
-- Ids come from drift_results' sequence so history can merge both by id.
CREATE TABLE drift_ticks (
  id             bigint PRIMARY KEY DEFAULT nextval('drift_results_id_seq'),
  environment    text NOT NULL,
  occurrence     timestamptz NOT NULL,
  claimed_at     timestamptz NOT NULL DEFAULT now(),
  decided_at     timestamptz,
  operation_id   uuid,
  skipped_reason text,
  UNIQUE (environment, occurrence)
);
CREATE INDEX drift_ticks_env_id ON drift_ticks (environment, id DESC);

-- Notification endpoints. The secret is kept (it signs every delivery) but
-- is returned only in the answer that created the webhook.
CREATE TABLE webhooks (
  id         uuid PRIMARY KEY,
  url        text NOT NULL,
  secret     text NOT NULL,
  events     text[] NOT NULL,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Every attempt to deliver an event to a webhook (a retried event has one row per attempt).
CREATE TABLE webhook_deliveries (
  id            bigserial PRIMARY KEY,
  webhook_id    uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id      uuid NOT NULL,
  event         text NOT NULL,
  payload       jsonb NOT NULL,
  attempt       integer NOT NULL,
  status        text NOT NULL CHECK (status IN ('succeeded', 'failed')),
  response_code integer,
  error         text,
  duration_ms   integer,
  at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id DESC);
