import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { inject } from 'vitest';
import { describe, expect, it } from 'vitest';

const backend = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs the start's preparation step (migrations, grants, demo data) as the server does. */
function prepare(url: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/db/prepare.ts'], {
      cwd: backend,
      env: { ...process.env, PREPARE_DATABASE_URL: url, DEMO: 'true', LOG_LEVEL: 'warn' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('several API replicas starting together', () => {
  it('take turns to migrate and seed an empty database: both succeed, the demo data once', async () => {
    const adminUrl = inject('pgAdminUrl');
    const name = `samverka_m_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: `${adminUrl}/postgres` });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const url = `${adminUrl}/${name}`;
    const [a, b] = await Promise.all([prepare(url), prepare(url)]);
    expect([a.code, b.code], `${a.output}\n${b.output}`).toEqual([0, 0]);
    expect(`${a.output}${b.output}`.match(/demo data seeded/g)).toHaveLength(1);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const migrations = await db.query<{ n: string }>('SELECT count(*) AS n FROM mikro_orm_migrations');
      const distinct = await db.query<{ n: string }>('SELECT count(DISTINCT name) AS n FROM mikro_orm_migrations');
      expect(migrations.rows[0]?.n).toBe(distinct.rows[0]?.n);
      const admins = await db.query<{ n: string }>("SELECT count(*) AS n FROM app_user WHERE username = 'admin'");
      expect(admins.rows[0]?.n).toBe('1');
    } finally {
      await db.end();
    }
  }, 180_000);
});
