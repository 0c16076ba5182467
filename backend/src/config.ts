import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Repository root: data directories default to an ignored `.data/` folder there. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const Env = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], { default: 'development' }),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  PG_DATA_DIR: Type.String({ default: path.join(repoRoot, '.data/pg') }),
  PG_PORT: Type.Integer({ default: 54329, minimum: 1, maximum: 65535 }),
  KEYS_DIR: Type.String({ default: path.join(repoRoot, '.data/keys') }),
  JWT_ISSUER: Type.String({ default: 'samverka', minLength: 1 }),
  JWT_AUDIENCE: Type.String({ default: 'samverka-api', minLength: 1 }),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ default: 900, minimum: 30, maximum: 3600 }),
  SESSION_IDLE_MINUTES: Type.Integer({ default: 60, minimum: 1, maximum: 24 * 60 }),
  SESSION_MAX_HOURS: Type.Integer({ default: 12, minimum: 1, maximum: 72 }),
  /** Failed sign-ins for one user name from one address before each further try waits … */
  LOGIN_MAX_FAILURES: Type.Integer({ default: 5, minimum: 1 }),
  /** … LOGIN_BACKOFF_SECONDS, doubling with every further failure, up to LOGIN_BACKOFF_MAX_SECONDS. */
  LOGIN_BACKOFF_SECONDS: Type.Integer({ default: 30, minimum: 1 }),
  LOGIN_BACKOFF_MAX_SECONDS: Type.Integer({ default: 900, minimum: 1 }),
  /** Counters older than this start again from zero. */
  LOGIN_WINDOW_SECONDS: Type.Integer({ default: 900, minimum: 1 }),
  /** Failures per user name from all addresses in the window: high, or it would be a lock-out weapon. */
  LOGIN_MAX_FAILURES_PER_USER: Type.Integer({ default: 100, minimum: 1 }),
  /** Failures from one address (all user names) in the window. */
  LOGIN_MAX_FAILURES_PER_ADDRESS: Type.Integer({ default: 50, minimum: 1 }),
  /** Password verifications (argon2, CPU and memory heavy) running at once, and waiting beyond them; more get 503. */
  LOGIN_HASH_CONCURRENCY: Type.Integer({ default: 2, minimum: 1, maximum: 64 }),
  LOGIN_HASH_QUEUE: Type.Integer({ default: 16, minimum: 0, maximum: 10_000 }),
  /**
   * Requests per minute on the expensive routes (429 with Retry-After beyond them), counted per
   * signed-in user, or per address before sign-in. Benchmarks raise them.
   */
  RATE_LIMIT_LOGIN_PER_MINUTE: Type.Integer({ default: 300, minimum: 1 }),
  RATE_LIMIT_SEARCH_PER_MINUTE: Type.Integer({ default: 300, minimum: 1 }),
  RATE_LIMIT_VERIFY_PER_MINUTE: Type.Integer({ default: 30, minimum: 1 }),
  RATE_LIMIT_EXPORT_PER_MINUTE: Type.Integer({ default: 20, minimum: 1 }),
  /** SCIM requests per minute from one address (a directory syncs in bursts). */
  RATE_LIMIT_SCIM_PER_MINUTE: Type.Integer({ default: 600, minimum: 1 }),
  BODY_LIMIT_BYTES: Type.Integer({ default: 256 * 1024, minimum: 1024 }),
  /** Largest document (PDF, JPEG, PNG) an upload may carry; larger ones are refused with 413. */
  DOCUMENT_MAX_BYTES: Type.Integer({ default: 10 * 1024 * 1024, minimum: 1024, maximum: 100 * 1024 * 1024 }),
  // `loopback`: the web app's server, on the same host, forwards the browser's address.
  TRUST_PROXY: Type.String({ default: 'loopback', pattern: '^(true|false|loopback|[0-9a-fA-F.:/, ]+)$' }),
  POLICIES_DIR: Type.String({ default: path.join(repoRoot, 'policies') }),
  /**
   * Demo data (the Borås SSPF group and one user per role) and signing keys generated on first
   * start: only when asked (`npm start` in a checkout asks), never because NODE_ENV is unset.
   */
  DEMO: Type.Boolean({ default: false }),
  DEMO_PASSWORD: Type.String({ default: 'samverka-demo-2026', minLength: 12 }),
  /**
   * Role the API switches to on each database connection (SET ROLE), e.g. samverka_app: then the
   * running API holds only that role's grants (on the audit tables: INSERT into the queue and
   * SELECT). With the embedded PostgreSQL (no DATABASE_URL) it defaults to samverka_app.
   */
  DB_ROLE: Type.String({ default: '', pattern: '^([a-z_][a-z0-9_]{0,62})?$' }),
  /**
   * Connection for migrations and grants, as the role that owns the tables; then DATABASE_URL
   * signs in as the application role. Without it, migrations use DATABASE_URL and the API
   * switches to DB_ROLE.
   */
  MIGRATION_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  /** Connections the API keeps open to PostgreSQL (the sequencer has its own). */
  DB_POOL_MAX: Type.Integer({ default: 10, minimum: 1, maximum: 100 }),
  AUDIT_SEQUENCER: Type.Boolean({ default: true }),
  /** Connection of the audit sequencer (defaults to the API's database connection). */
  AUDIT_SEQUENCER_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  /** Role the sequencer switches to on its connection (SET ROLE), e.g. samverka_audit_sequencer. */
  AUDIT_SEQUENCER_DB_ROLE: Type.String({ default: '', pattern: '^([a-z_][a-z0-9_]{0,62})?$' }),
  AUDIT_SEQUENCER_INTERVAL_MS: Type.Integer({ default: 200, minimum: 10, maximum: 60_000 }),
  AUDIT_SEQUENCER_BATCH: Type.Integer({ default: 2000, minimum: 1, maximum: 100_000 }),
  /** A signed checkpoint after this many new events … */
  AUDIT_CHECKPOINT_EVERY: Type.Integer({ default: 1000, minimum: 1 }),
  /** … or once new events are this many seconds old … */
  AUDIT_CHECKPOINT_SECONDS: Type.Integer({ default: 10, minimum: 1 }),
  /** … and a re-signed one of the same size after this long idle. */
  AUDIT_CHECKPOINT_IDLE_SECONDS: Type.Integer({ default: 3600, minimum: 1 }),
  /**
   * The web app's public URL: the digest e-mail links to its start page, and an agency's OpenID
   * provider sends the browser back to `<ORIGIN>/login/oidc/callback` (register that redirect URI).
   */
  ORIGIN: Type.String({ default: 'http://127.0.0.1:5173', pattern: '^https?://[^/?#]+$' }),
  /**
   * The person's own view: the municipality's e-service identity provider (an OpenID provider
   * vouching for a Swedish eID, e.g. through Sweden Connect). Unset: citizens cannot sign in
   * (GET /api/citizen/auth/start answers 404). The provider sends the browser back to
   * `<ORIGIN>/citizen/login/callback` (register that redirect URI). Plain http only outside production.
   */
  CITIZEN_OIDC_ISSUER: Type.Optional(Type.String({ pattern: '^https?://[^?#]+$' })),
  CITIZEN_OIDC_CLIENT_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  /** `env:NAME` (another variable) or `file:name` (in KEYS_DIR), never the secret itself; unset: a public client (PKCE only). */
  CITIZEN_OIDC_CLIENT_SECRET: Type.Optional(Type.String({ pattern: '^(env:[A-Za-z_][A-Za-z0-9_]*|file:[A-Za-z0-9._-]+)$' })),
  /** The ID token claim carrying the personnummer (12 digits, checked with its Luhn digit). */
  CITIZEN_OIDC_PIN_CLAIM: Type.String({ default: 'personal_identity_number', minLength: 1, maxLength: 100 }),
  /** The level of assurance asked for (acr_values) and required of the ID token's `acr`. */
  CITIZEN_OIDC_ACR: Type.String({ default: 'http://id.elegnamnden.se/loa/1.0/loa3', minLength: 1, maxLength: 255 }),
  /** The claim with the provider's transaction reference (kept as a consent's evidence); without it the `jti`, else the assertion hash. */
  CITIZEN_OIDC_TXN_CLAIM: Type.String({ default: 'txn', minLength: 1, maxLength: 100 }),
  /** SMTP server for e-mail (smtp:// or smtps://, credentials in the URL); unset: no digests are sent. */
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_FROM: Type.String({ default: 'Samverka <no-reply@samverka.invalid>', minLength: 3 }),
  /** Background jobs (pg-boss, in schema pgboss): the server starts them unless false. */
  JOBS: Type.Boolean({ default: true }),
  /** When the daily digest goes out (cron, in DIGEST_TIMEZONE). */
  DIGEST_SCHEDULE: Type.String({ default: '0 6 * * *', minLength: 9 }),
  DIGEST_TIMEZONE: Type.String({ default: 'Europe/Stockholm', minLength: 1 }),
  AUDIT_EXPORT_MAX_ROWS: Type.Integer({ default: 50_000, minimum: 1, maximum: 1_000_000 }),
  /** Prometheus metrics (GET /metrics) on their own port, never the public one; 0: not served. */
  METRICS_PORT: Type.Integer({ default: 9464, minimum: 0, maximum: 65535 }),
  METRICS_HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  /** OpenTelemetry traces to OTEL_EXPORTER_OTLP_ENDPOINT (read by the SDK itself), started before the app. */
  OTEL_ENABLED: Type.Boolean({ default: false }),
});
export type Config = Static<typeof Env>;

export class ConfigError extends Error {}

/** Validates the environment; throws ConfigError with every problem listed (never the values). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(Env.properties)) {
    const v = env[key];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  const converted = Value.Convert(Env, Value.Default(Env, raw));
  const errors = [...Value.Errors(Env, converted)];
  if (errors.length > 0) {
    const lines = errors.map((e) => `  ${e.path.slice(1) || '(root)'}: ${e.message}`);
    throw new ConfigError(`Invalid configuration:\n${[...new Set(lines)].join('\n')}`);
  }
  const config = converted as Config;
  if (config.CITIZEN_OIDC_ISSUER && !config.CITIZEN_OIDC_CLIENT_ID) {
    throw new ConfigError('Invalid configuration:\n  CITIZEN_OIDC_CLIENT_ID: required with CITIZEN_OIDC_ISSUER');
  }
  if (config.NODE_ENV === 'production') {
    const missing: string[] = [];
    if (!config.DATABASE_URL) missing.push('  DATABASE_URL: required in production (embedded PostgreSQL is for development only)');
    if (!env.KEYS_DIR) missing.push('  KEYS_DIR: required in production (a directory holding the signing keys; none are generated)');
    if (!config.DB_ROLE && !config.MIGRATION_DATABASE_URL) {
      missing.push(
        '  DB_ROLE or MIGRATION_DATABASE_URL: required in production (the API must not run as the owner of the tables: set DB_ROLE=samverka_app, or run migrations through MIGRATION_DATABASE_URL and let DATABASE_URL sign in as the application role)',
      );
    }
    if (config.MIGRATION_DATABASE_URL && !config.DB_ROLE && config.AUDIT_SEQUENCER && !config.AUDIT_SEQUENCER_DATABASE_URL) {
      missing.push(
        '  AUDIT_SEQUENCER_DATABASE_URL: required with MIGRATION_DATABASE_URL (the sequencer signs in as samverka_audit_sequencer; the application role may not write the audit log)',
      );
    }
    if (config.DEMO) missing.push('  DEMO: not allowed in production (demo users and generated keys are for a checkout)');
    if (missing.length) throw new ConfigError(`Invalid configuration:\n${missing.join('\n')}`);
  }
  return config;
}
