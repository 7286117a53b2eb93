-- goldenpath store, version 1: environments, operations and their events,
-- outputs, drift results, API tokens, audit, idempotency keys.

CREATE TABLE environments (
  name        text PRIMARY KEY,
  spec        jsonb NOT NULL,
  revision    integer NOT NULL DEFAULT 1,
  status      text NOT NULL,
  engine      text NOT NULL,
  deleted_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- seq orders operations globally: FIFO per environment is "lowest seq first".
CREATE TABLE operations (
  id               uuid PRIMARY KEY,
  seq              bigserial UNIQUE NOT NULL,
  environment      text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('up', 'preview', 'refresh', 'destroy', 'drift')),
  status           text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
  engine           text NOT NULL,
  spec_revision    integer NOT NULL,
  spec             jsonb NOT NULL,
  phases           jsonb NOT NULL DEFAULT '[]',
  summary          jsonb,
  error            jsonb,
  -- Redacted engine output, for admins only; never served to other roles.
  error_detail     text,
  requested_by     text,
  idempotency_key  text,
  cancel_requested boolean NOT NULL DEFAULT false,
  runner_id        text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz
);
CREATE INDEX operations_env_seq ON operations (environment, seq DESC);
CREATE INDEX operations_queued ON operations (environment, seq) WHERE status = 'queued';
CREATE INDEX operations_running ON operations (environment) WHERE status = 'running';

CREATE TABLE operation_events (
  operation_id uuid NOT NULL REFERENCES operations (id),
  seq          integer NOT NULL,
  at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  kind         text NOT NULL,
  data         jsonb NOT NULL,
  PRIMARY KEY (operation_id, seq)
);

CREATE TABLE outputs (
  environment  text NOT NULL,
  layer        text NOT NULL,
  key          text NOT NULL,
  value        jsonb NOT NULL,
  secret       boolean NOT NULL DEFAULT false,
  operation_id uuid NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (environment, layer, key)
);

CREATE TABLE drift_results (
  id           bigserial PRIMARY KEY,
  environment  text NOT NULL,
  operation_id uuid,
  status       text NOT NULL CHECK (status IN ('in_sync', 'drifted', 'error')),
  checked_at   timestamptz NOT NULL DEFAULT now(),
  resources    jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX drift_results_env ON drift_results (environment, checked_at DESC);

CREATE TABLE tokens (
  id         uuid PRIMARY KEY,
  name       text NOT NULL,
  role       text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  hash       text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used  timestamptz,
  revoked_at timestamptz
);
CREATE UNIQUE INDEX tokens_active_name ON tokens (name) WHERE revoked_at IS NULL;

CREATE TABLE audit (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  token_name  text,
  method      text NOT NULL,
  path        text NOT NULL,
  status      integer NOT NULL,
  environment text,
  request_id  text
);

-- The first answer to a mutating call, by Idempotency-Key.
CREATE TABLE idempotency_keys (
  key          text PRIMARY KEY,
  fingerprint  text NOT NULL,
  operation_id uuid NOT NULL,
  status_code  integer NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- Followers on any replica learn of new events and status changes by
-- LISTEN; the store stays the source (a notification only says "look").
CREATE FUNCTION goldenpath_notify_event() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('goldenpath_events', NEW.operation_id::text || ':' || NEW.seq::text);
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER operation_events_notify AFTER INSERT ON operation_events
  FOR EACH ROW EXECUTE FUNCTION goldenpath_notify_event();

CREATE FUNCTION goldenpath_notify_operation() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('goldenpath_operations', NEW.id::text || ':' || NEW.status || ':' || NEW.cancel_requested::text);
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER operations_notify AFTER UPDATE OF status, cancel_requested ON operations
  FOR EACH ROW EXECUTE FUNCTION goldenpath_notify_operation();
