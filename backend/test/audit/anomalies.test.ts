import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deniedBursts } from '../../src/modules/audit/audit.anomalies.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';

const Row = Type.Object(
  {
    name: Type.String(),
    events: Type.Array(
      Type.Object(
        {
          actor: Type.String(),
          action: Type.String(),
          outcome: Type.String(),
          reason: Type.Optional(Type.String()),
          count: Type.Integer(),
          every: Type.Optional(Type.Integer()),
          day: Type.Optional(Type.Integer()),
          time: Type.Optional(Type.String()),
          distinctCases: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    expect: Type.Record(Type.String(), Type.Integer()),
  },
  { additionalProperties: false },
);
const Table = Type.Object({ name: Type.String(), rows: Type.Array(Row) }, { additionalProperties: false });

const policiesDir = path.resolve(import.meta.dirname, '../../../policies');
const table = YAML.parse(fs.readFileSync(path.join(policiesDir, 'decision-tables/anomalies.yaml'), 'utf8')) as unknown;

describe('anomaly rules (decision table)', () => {
  let t: TestContext;
  let auditor: string;
  const users = new Map<string, { id: string; agencyId: string }>();
  beforeAll(async () => {
    t = await createTestApp();
    auditor = await login(t.app, 'auditor');
    for (const r of (await t.sql.query<{ username: string; id: string; agency_id: string }>('SELECT username, id, agency_id FROM app_user'))
      .rows)
      users.set(r.username, { id: r.id, agencyId: r.agency_id });
  });
  afterAll(async () => t.close());

  it('the table is well formed', () => {
    expect([...Value.Errors(Table, table)]).toEqual([]);
  });

  const rows = (
    table as {
      rows: {
        name: string;
        events: {
          actor: string;
          action: string;
          outcome: string;
          reason?: string;
          count: number;
          every?: number;
          day?: number;
          time?: string;
          distinctCases?: boolean;
        }[];
        expect: Record<string, number>;
      }[];
    }
  ).rows;

  it.each(rows.map((r, i) => [r.name, i, r] as const))('%s', async (_name, i, row) => {
    // Row i lives in its own week, starting Monday 2025-01-06 + i weeks (local time).
    const monday = new Date(Date.UTC(2025, 0, 6 + 7 * i));
    const day = (d: number): string => new Date(monday.getTime() + d * 86_400_000).toISOString().slice(0, 10);
    for (const e of row.events) {
      const u = users.get(e.actor)!;
      const caseId = randomUUID();
      for (let k = 0; k < e.count; k++) {
        await t.sql.query(
          `INSERT INTO audit_queue (event_id, occurred_at, actor_id, actor_agency_id, actor_role, action, resource_type, case_id, outcome, reason)
           VALUES ($1, (($2 || ' ' || $3)::timestamp AT TIME ZONE 'Europe/Stockholm') + make_interval(mins => $4), $5, $6, 'x', $7, 'case', $8, $9, $10)`,
          [
            randomUUID(),
            day(e.day ?? 0),
            e.time ?? '10:00',
            k * (e.every ?? 1),
            u.id,
            u.agencyId,
            e.action,
            e.distinctCases ? randomUUID() : caseId,
            e.outcome,
            e.reason ?? null,
          ],
        );
      }
    }
    const from = new Date(`${day(0)}T00:00:00Z`).toISOString();
    const to = new Date(`${day(7)}T00:00:00Z`).toISOString();
    const res = await t.app.inject({ url: `/api/audit/anomalies?from=${from}&to=${to}`, headers: bearer(auditor) });
    expect(res.statusCode, res.body).toBe(200);
    const items = (res.json() as { items: { rule: string }[] }).items;
    for (const [rule, n] of Object.entries(row.expect)) expect(items.filter((a) => a.rule === rule).length, rule).toBe(n);
  });

  it("an anomaly's filter lists the events behind it", async () => {
    const from = '2025-01-06T00:00:00.000Z';
    const res = await t.app.inject({ url: `/api/audit/anomalies?from=${from}&to=2025-01-13T00:00:00.000Z`, headers: bearer(auditor) });
    const burst = (
      res.json() as {
        items: { rule: string; filter: Record<string, string>; count: number; actorName: string | null; agencyName: string | null }[];
      }
    ).items.find((a) => a.rule === 'deniedBurst')!;
    expect(burst).toMatchObject({ count: 5, actorName: 'Maria Berg', agencyName: expect.stringContaining('Polisen') });
    expect(burst).not.toHaveProperty('href');
    const events = await t.app.inject({
      url: `/api/audit/events?${new URLSearchParams(burst.filter).toString()}`,
      headers: bearer(auditor),
    });
    expect(events.statusCode, events.body).toBe(200);
    expect((events.json() as { total: number }).total).toBe(5);
  });

  it('sliding windows: bursts straddling a boundary are found once', () => {
    const at = (m: number): { actorId: string; at: number } => ({ actorId: 'a', at: m * 60_000 });
    expect(deniedBursts([0, 8, 9, 11, 12, 13].map(at), 10, 5)).toEqual([{ actorId: 'a', from: 8 * 60_000, to: 13 * 60_000, count: 5 }]);
    expect(deniedBursts([0, 1, 2, 3].map(at), 10, 5)).toEqual([]);
  });

  it('a malformed period is refused (400)', async () => {
    expect(
      (await t.app.inject({ url: '/api/audit/anomalies?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z', headers: bearer(auditor) }))
        .statusCode,
    ).toBe(400);
    expect((await t.app.inject({ url: '/api/audit/anomalies?from=yesterday', headers: bearer(auditor) })).statusCode).toBe(400);
    expect(
      (await t.app.inject({ url: '/api/audit/anomalies?from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z', headers: bearer(auditor) }))
        .statusCode,
    ).toBe(400);
  });
});
