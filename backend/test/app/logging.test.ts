import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { buildApp, loggerOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { initOrm, type Orm } from '../../src/db/orm.js';
import { seedDemo } from '../../src/db/seed.js';
import { loadKeys } from '../../src/lib/keys.js';
import type { FastifyInstance } from 'fastify';
import { DEMO_PASSWORD, bearer, createTestDatabase, login } from '../helpers/app.js';
import { MINOR, newCaseBody } from '../cases/fixtures.js';

describe('logs carry no personal data', () => {
  const lines: string[] = [];
  let app: FastifyInstance;
  let orm: Orm;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'trace',
      KEYS_DIR: inject('keysDir'),
      DATABASE_URL: databaseUrl,
      AUDIT_SEQUENCER: 'false',
    });
    orm = await initOrm(databaseUrl, 3, false);
    await seedDemo(orm.em.fork(), DEMO_PASSWORD);
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    app = await buildApp({
      config,
      orm,
      keys: loadKeys(config.KEYS_DIR, false),
      logger: { ...(loggerOptions('trace') as object), stream },
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await orm.close();
  });

  it('logs routes and request ids, never names, personnummer, passwords, tokens or search terms', async () => {
    const token = await login(app, 'social');
    await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'social', password: 'Wrong-Password-123' } });
    const created = await app.inject({ method: 'POST', url: '/api/cases', headers: bearer(token), payload: newCaseBody() });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    await app.inject({ url: `/api/cases?q=Andersson`, headers: bearer(token) });
    await app.inject({ method: 'POST', url: '/api/cases/search', headers: bearer(token), payload: { q: MINOR } });
    await app.inject({
      method: 'POST',
      url: `/api/cases/${id}/entries`,
      headers: bearer(token),
      payload: { category: 'social', text: 'Samtal med Elin om skolan.' },
    });
    await app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: bearer(token),
      payload: newCaseBody({}, { personalIdentityNumber: '19990101-0000' }),
    });

    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(10);
    expect(log).toContain('"route":"/api/cases/:id/entries"');
    expect(log).toMatch(/"reqId":"[0-9a-f-]{36}"/);
    for (const secret of [
      'Elin',
      'Andersson',
      MINOR,
      MINOR.slice(2),
      '19990101-0000',
      'Wrong-Password-123',
      DEMO_PASSWORD,
      token,
      'Samtal med',
      'q=',
    ]) {
      expect(log, secret).not.toContain(secret);
    }
  });
});
