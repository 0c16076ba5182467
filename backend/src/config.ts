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
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  PG_DATA_DIR: Type.String({ default: path.join(repoRoot, '.data/pg') }),
  PG_PORT: Type.Integer({ default: 54329, minimum: 1, maximum: 65535 }),
  KEYS_DIR: Type.String({ default: path.join(repoRoot, '.data/keys') }),
  JWT_ISSUER: Type.String({ default: 'samverka', minLength: 1 }),
  JWT_AUDIENCE: Type.String({ default: 'samverka-api', minLength: 1 }),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ default: 900, minimum: 30, maximum: 3600 }),
  SESSION_IDLE_MINUTES: Type.Integer({ default: 60, minimum: 1, maximum: 24 * 60 }),
  SESSION_MAX_HOURS: Type.Integer({ default: 12, minimum: 1, maximum: 72 }),
  LOGIN_MAX_FAILURES: Type.Integer({ default: 5, minimum: 1 }),
  LOGIN_WINDOW_SECONDS: Type.Integer({ default: 900, minimum: 1 }),
  LOGIN_MAX_FAILURES_PER_ADDRESS: Type.Integer({ default: 20, minimum: 1 }),
  BODY_LIMIT_BYTES: Type.Integer({ default: 256 * 1024, minimum: 1024 }),
  TRUST_PROXY: Type.Boolean({ default: false }),
  POLICIES_DIR: Type.String({ default: path.join(repoRoot, 'policies') }),
  SEED_DEMO: Type.Boolean({ default: true }),
  DEMO_PASSWORD: Type.String({ default: 'samverka-demo-2026', minLength: 12 }),
  AUDIT_SEQUENCER: Type.Boolean({ default: true }),
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
  if (config.NODE_ENV === 'production') {
    const missing: string[] = [];
    if (!config.DATABASE_URL) missing.push('  DATABASE_URL: required in production (embedded PostgreSQL is for development only)');
    if (!env.KEYS_DIR) missing.push('  KEYS_DIR: required in production (a directory holding the signing keys; none are generated)');
    if (missing.length) throw new ConfigError(`Invalid configuration:\n${missing.join('\n')}`);
    config.SEED_DEMO = false;
  }
  return config;
}
