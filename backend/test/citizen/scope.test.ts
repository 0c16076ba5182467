import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repoRoot } from '../../src/config.js';
import { decideRelation, type ProtectedIdentity, type ReviewDecision } from '../../src/modules/citizen/citizen.scope.js';
import { addDays, stockholmDate } from '../../src/modules/consents/calendar.js';
import { loadPolicies } from '../../src/plugins/app/policies.js';
import { createTestApp, login, type TestContext } from '../helpers/app.js';
import { citizenSignIn } from '../helpers/citizen.js';
import { createCase, pin } from '../cases/fixtures.js';

const policiesDir = path.join(repoRoot, 'policies');

interface Row {
  as: 'subject' | 'guardian';
  age: number;
  custody?: boolean;
  subjectProtected?: ProtectedIdentity;
  subjectReview?: ReviewDecision;
  guardianProtected?: ProtectedIdentity;
  guardianReview?: ReviewDecision;
  expect: 'full' | 'contact_social_worker' | 'none';
}

const table = YAML.parse(fs.readFileSync(path.join(policiesDir, 'decision-tables/citizen-view.yaml'), 'utf8')) as {
  name: string;
  rows: Row[];
};

describe(`decision table: ${table.name}`, () => {
  const policy = loadPolicies(policiesDir).citizen;
  it.each(table.rows)(
    '$as aged $age (custody $custody, subject $subjectProtected/$subjectReview, guardian $guardianProtected/$guardianReview) → $expect',
    (row) => {
      const access = decideRelation(policy, {
        as: row.as,
        subjectAge: row.age,
        custody: row.custody ?? row.as === 'subject',
        subjectProtectedIdentity: row.subjectProtected ?? 'none',
        subjectReview: row.subjectReview ?? null,
        guardianProtectedIdentity: row.guardianProtected ?? 'none',
        guardianReview: row.guardianReview ?? null,
      });
      expect(access ?? 'none').toBe(row.expect);
    },
  );
});

/** YYYYMMDD of the day someone turns `years` today (Europe/Stockholm), `plusDays` later. */
function bornYearsAgo(years: number, plusDays = 0): string {
  const today = stockholmDate(new Date());
  const day = addDays(`${Number(today.slice(0, 4)) - years}${today.slice(4)}`, plusDays);
  return day.replaceAll('-', '');
}

describe('citizen scope against real rows', () => {
  let t: TestContext;
  let staff: string;
  let socialUserId: string;

  beforeAll(async () => {
    t = await createTestApp();
    staff = await login(t.app, 'social');
    socialUserId = (await t.sql.query("SELECT id FROM app_user WHERE username = 'social'")).rows[0].id;
  });
  afterAll(async () => t.close());

  const scopeOf = async (personalIdentityNumber: string) => {
    const s = await citizenSignIn(t.app, { personalIdentityNumber });
    const actor = {
      sessionId: s.sessionId,
      personalIdentityNumber,
      acr: 'loa3',
      authenticatedAt: new Date(),
      assertionSha256: '0'.repeat(64),
      transactionRef: 'txn',
    };
    return (await t.app.citizen.scope(t.app.orm.em.fork(), actor)).relations;
  };
  const review = (subjectId: string, guardianId: string | null, decision: ReviewDecision) =>
    t.sql.query(
      `INSERT INTO citizen_access_review (id, subject_id, guardian_id, decision, reason_code, reviewed_by)
       VALUES (gen_random_uuid(), $1, $2, $3, 'no_harm', $4)`,
      [subjectId, guardianId, decision, socialUserId],
    );

  it('shows the young person their own case from 13, not the day before', async () => {
    const thirteen = pin(bornYearsAgo(13), '301');
    const twelve = pin(bornYearsAgo(13, 1), '302');
    const a = await createCase(t.app, staff, {}, { personalIdentityNumber: thirteen, guardians: [] });
    await createCase(t.app, staff, {}, { personalIdentityNumber: twelve, guardians: [] });
    expect(await scopeOf(thirteen)).toEqual([
      { subjectId: a.subject.id, as: 'subject', guardianId: null, access: 'full', firstName: 'Elin', age: 13 },
    ]);
    expect(await scopeOf(twelve)).toEqual([]);
    // Nobody: a number with no case at all.
    expect(await scopeOf(pin('19700101', '303'))).toEqual([]);
  });

  it('shows a guardian with custody their child until 18, a guardian without custody nothing', async () => {
    const child = pin(bornYearsAgo(10), '311');
    const withCustody = pin('19800101', '312');
    const without = pin('19810101', '313');
    const c = await createCase(
      t.app,
      staff,
      {},
      {
        personalIdentityNumber: child,
        guardians: [
          { firstName: 'Anna', lastName: 'A', personalIdentityNumber: withCustody, custody: true },
          { firstName: 'Per', lastName: 'A', personalIdentityNumber: without, custody: false },
        ],
      },
    );
    const annaId = c.subject.guardians.find((g) => g.firstName === 'Anna')!.id;
    expect(await scopeOf(withCustody)).toEqual([
      { subjectId: c.subject.id, as: 'guardian', guardianId: annaId, access: 'full', firstName: 'Elin', age: 10 },
    ]);
    expect(await scopeOf(without)).toEqual([]);
    // The child under 13 sees nothing of their own.
    expect(await scopeOf(child)).toEqual([]);

    await t.sql.query('UPDATE subject SET birth_date = $1 WHERE id = $2', [
      `${bornYearsAgo(18).slice(0, 4)}-${bornYearsAgo(18).slice(4, 6)}-${bornYearsAgo(18).slice(6)}`,
      c.subject.id,
    ]);
    expect(await scopeOf(withCustody)).toEqual([]);
  });

  it('keeps a protected subject to "contact your social worker" until the newest review releases it', async () => {
    const youth = pin(bornYearsAgo(15), '321');
    const parent = pin('19790101', '322');
    const c = await createCase(
      t.app,
      staff,
      {},
      {
        personalIdentityNumber: youth,
        protectedIdentity: 'skyddad_folkbokforing',
        guardians: [{ firstName: 'Anna', lastName: 'A', personalIdentityNumber: parent, custody: true }],
      },
    );
    const contact = (as: 'subject' | 'guardian') => expect.objectContaining({ as, access: 'contact_social_worker', firstName: null });
    expect(await scopeOf(youth)).toEqual([contact('subject')]);
    expect(await scopeOf(parent)).toEqual([contact('guardian')]);

    await review(c.subject.id, null, 'release');
    expect(await scopeOf(youth)).toEqual([expect.objectContaining({ access: 'full', firstName: 'Elin' })]);
    expect(await scopeOf(parent)).toEqual([expect.objectContaining({ access: 'full' })]);

    // A later withhold wins again.
    await review(c.subject.id, null, 'withhold');
    expect(await scopeOf(youth)).toEqual([contact('subject')]);
    expect(await scopeOf(parent)).toEqual([contact('guardian')]);
  });

  it('keeps a guardian with their own protected identity to contact until a review about that guardian releases it', async () => {
    const child = pin(bornYearsAgo(8), '331');
    const hidden = pin('19820101', '332');
    const other = pin('19830101', '333');
    const c = await createCase(
      t.app,
      staff,
      {},
      {
        personalIdentityNumber: child,
        guardians: [
          { firstName: 'Anna', lastName: 'A', personalIdentityNumber: hidden, custody: true },
          { firstName: 'Bo', lastName: 'A', personalIdentityNumber: other, custody: true },
        ],
      },
    );
    const annaId = c.subject.guardians.find((g) => g.firstName === 'Anna')!.id;
    const boId = c.subject.guardians.find((g) => g.firstName === 'Bo')!.id;
    await t.sql.query("UPDATE guardian SET protected_identity = 'sekretessmarkering' WHERE id = $1", [annaId]);
    expect(await scopeOf(hidden)).toEqual([expect.objectContaining({ guardianId: annaId, access: 'contact_social_worker' })]);
    expect(await scopeOf(other)).toEqual([expect.objectContaining({ guardianId: boId, access: 'full' })]);

    // A release about the other guardian or about the subject does not release this one.
    await review(c.subject.id, boId, 'release');
    await review(c.subject.id, null, 'release');
    expect(await scopeOf(hidden)).toEqual([expect.objectContaining({ access: 'contact_social_worker' })]);
    await review(c.subject.id, annaId, 'release');
    expect(await scopeOf(hidden)).toEqual([expect.objectContaining({ access: 'full' })]);
    await review(c.subject.id, annaId, 'withhold');
    expect(await scopeOf(hidden)).toEqual([expect.objectContaining({ access: 'contact_social_worker' })]);
  });

  it('gives one relation per subject row: a guardian of two children sees both', async () => {
    const parent = pin('19750101', '341');
    const kids = [pin(bornYearsAgo(9), '342'), pin(bornYearsAgo(14), '343')];
    for (const k of kids) {
      await createCase(
        t.app,
        staff,
        {},
        {
          personalIdentityNumber: k,
          guardians: [{ firstName: 'Anna', lastName: 'A', personalIdentityNumber: parent, custody: true }],
        },
      );
    }
    expect((await scopeOf(parent)).map((r) => r.age)).toEqual([9, 14]);
  });
});
