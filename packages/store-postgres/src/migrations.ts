/** One versioned step of a schema: SQL that is safe to run again (every statement idempotent). */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

const STORE_TABLES = ['weft_stores', 'weft_entries', 'weft_sums', 'weft_kv'] as const

/**
 * The tables of change stores and record stores. They are created in every place tenants' rows
 * live: the main database's `public` schema (the `shared` model), each tenant's schema (`schema`)
 * and each tenant's database (`database`). Every row carries its `tenant_id` in every model, and
 * row-level security confines every query to the tenant its transaction set, in every model: a
 * second wall behind the schema or database. Text columns sort by bytes (`COLLATE "C"`), as hash
 * ranges and key prefixes need.
 */
export const STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'store tables',
    sql: `
CREATE TABLE IF NOT EXISTS weft_stores (
  tenant_id text COLLATE "C" NOT NULL,
  store text COLLATE "C" NOT NULL,
  epoch text NOT NULL,
  seq bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, store)
);
CREATE TABLE IF NOT EXISTS weft_entries (
  tenant_id text COLLATE "C" NOT NULL,
  store text COLLATE "C" NOT NULL,
  hash text COLLATE "C" NOT NULL,
  seq bigint NOT NULL,
  doc_id text COLLATE "C" NOT NULL,
  kind text NOT NULL,
  bytes bytea NOT NULL,
  PRIMARY KEY (tenant_id, store, hash),
  UNIQUE (tenant_id, store, seq)
);
CREATE INDEX IF NOT EXISTS weft_entries_by_doc ON weft_entries (tenant_id, store, doc_id, seq);
CREATE TABLE IF NOT EXISTS weft_sums (
  tenant_id text COLLATE "C" NOT NULL,
  store text COLLATE "C" NOT NULL,
  prefix text COLLATE "C" NOT NULL,
  node text NOT NULL,
  PRIMARY KEY (tenant_id, store, prefix)
);
CREATE TABLE IF NOT EXISTS weft_kv (
  tenant_id text COLLATE "C" NOT NULL,
  store text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  value bytea NOT NULL,
  PRIMARY KEY (tenant_id, store, key)
);`,
  },
  {
    version: 2,
    name: 'row-level security',
    sql: STORE_TABLES.map(
      (t) => `
ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY;
ALTER TABLE ${t} FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS weft_tenant ON ${t};
CREATE POLICY weft_tenant ON ${t}
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));`,
    ).join('\n'),
  },
]

/**
 * The main database's own tables: the tenants (`weft_tenants`: where each lives, and the server's
 * catalogue of it: name, status, times, quotas, configuration, flags), the records of
 * stores that belong to no tenant (the server's own, named without a slash), and what several
 * server processes share besides records: counters and request-rate buckets (unlogged: a bucket
 * lost in a crash only starts full again).
 */
export const CONTROL_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tenants and server records',
    sql: `
CREATE TABLE IF NOT EXISTS weft_tenants (
  id text COLLATE "C" PRIMARY KEY,
  model text NOT NULL CHECK (model IN ('database', 'schema', 'shared')),
  location text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS weft_server_kv (
  store text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  value bytea NOT NULL,
  PRIMARY KEY (store, key)
);`,
  },
  {
    version: 2,
    name: 'shared counters and request buckets',
    sql: `
CREATE TABLE IF NOT EXISTS weft_server_counters (
  store text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (store, key)
);
CREATE UNLOGGED TABLE IF NOT EXISTS weft_server_buckets (
  store text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  tokens double precision NOT NULL,
  at double precision NOT NULL,
  PRIMARY KEY (store, key)
);`,
  },
  {
    // The server's tenant catalogue in the same row as the placement. A row placed before (or
    // by a first store open) reads as an adopted, active tenant named by its id; \`updated_at\` is
    // null until the catalogue writes the row, so records of an older server move in over it.
    version: 3,
    name: 'tenant catalogue columns',
    sql: `
ALTER TABLE weft_tenants
  ADD COLUMN IF NOT EXISTS name text,
  ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'active',
  ADD COLUMN IF NOT EXISTS updated_at timestamptz,
  ADD COLUMN IF NOT EXISTS quotas jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN IF NOT EXISTS config jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN IF NOT EXISTS flags jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN IF NOT EXISTS adopted boolean NOT NULL DEFAULT true,
  ADD COLUMN IF NOT EXISTS moving text;
ALTER TABLE weft_tenants DROP CONSTRAINT IF EXISTS weft_tenants_status;
ALTER TABLE weft_tenants ADD CONSTRAINT weft_tenants_status CHECK (status IN ('active', 'suspended', 'deleting'));
CREATE INDEX IF NOT EXISTS weft_tenants_pending ON weft_tenants (id) WHERE status = 'deleting' OR moving IS NOT NULL;`,
  },
  {
    // A take of several tokens at once (a process leasing a few of a busy tenant's requests)
    // says in the row how many it took, so the one statement that takes them can answer it.
    version: 4,
    name: 'tokens taken from a request bucket',
    sql: `ALTER TABLE weft_server_buckets ADD COLUMN IF NOT EXISTS taken integer NOT NULL DEFAULT 1;`,
  },
  {
    // The take of request tokens in a function, whose statement PL/pgSQL plans once per
    // connection: a server behind a pooler that cannot keep named prepared statements sends it
    // unnamed, and planning the upsert each time cost more than running it.
    version: 5,
    name: 'request tokens taken by a function',
    sql: `
CREATE OR REPLACE FUNCTION weft_take_tokens(p_store text, p_key text, p_rate float8, p_burst float8, p_most integer)
RETURNS TABLE (taken integer, tokens float8) LANGUAGE plpgsql AS $fn$
BEGIN
  -- Up to p_most whole tokens taken in one conditional upsert (a new bucket starts full), the row
  -- saying how many; or, when the bucket holds no whole token, none and the tokens it holds.
  RETURN QUERY
  WITH now AS (SELECT extract(epoch FROM clock_timestamp()) * 1000 AS ms),
  up AS (
    INSERT INTO weft_server_buckets AS b (store, key, tokens, at, taken)
    SELECT p_store, p_key, p_burst - LEAST(p_most, floor(p_burst)), ms, LEAST(p_most, floor(p_burst)) FROM now
    ON CONFLICT (store, key) DO UPDATE
      SET tokens = LEAST(p_burst, b.tokens + GREATEST(0, EXCLUDED.at - b.at) / 1000.0 * p_rate)
            - LEAST(p_most, floor(LEAST(p_burst, b.tokens + GREATEST(0, EXCLUDED.at - b.at) / 1000.0 * p_rate))),
          taken = LEAST(p_most, floor(LEAST(p_burst, b.tokens + GREATEST(0, EXCLUDED.at - b.at) / 1000.0 * p_rate))),
          at = GREATEST(b.at, EXCLUDED.at)
      WHERE LEAST(p_burst, b.tokens + GREATEST(0, EXCLUDED.at - b.at) / 1000.0 * p_rate) >= 1
    RETURNING b.taken, b.tokens
  )
  SELECT up.taken, up.tokens FROM up
  UNION ALL
  SELECT 0, LEAST(p_burst, b.tokens + GREATEST(0, now.ms - b.at) / 1000.0 * p_rate)
    FROM weft_server_buckets b, now WHERE b.store = p_store AND b.key = p_key AND NOT EXISTS (SELECT 1 FROM up);
END $fn$;`,
  },
]

/** The store tables, for grants and for scans of what a tenant left. */
export { STORE_TABLES }
