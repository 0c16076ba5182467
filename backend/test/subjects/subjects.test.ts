import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { count, createCase, newCaseBody, pin } from '../cases/fixtures.js';

describe('subjects', () => {
  let t: TestContext;
  let social: string;
  beforeAll(async () => {
    t = await createTestApp();
    social = await login(t.app, 'social');
  });
  afterAll(async () => t.close());

  it('stores the personal identity number normalised to 12 digits from every accepted form, with the birth date derived', async () => {
    const p = pin('20100815', '276');
    const forms = [p, `${p.slice(0, 8)}-${p.slice(8)}`, p.slice(2), `${p.slice(2, 8)}-${p.slice(8)}`];
    const ids = new Set<string>();
    for (const form of forms) {
      const c = await createCase(t.app, social, {}, { personalIdentityNumber: form, guardians: [] });
      expect(c.subject).toMatchObject({ personalIdentityNumber: p, birthDate: '2010-08-15' });
      ids.add(c.subject.id);
    }
    // The same person in the same agency is one subject, reused by every case.
    expect(ids.size).toBe(1);
    expect(await count(t, 'subject', 'personal_identity_number = $1', [p])).toBe(1);
    expect(await count(t, 'support_case', 'subject_id = $1', [[...ids][0]])).toBe(4);
  });

  it('accepts samordningsnummer and the + form for people aged 100 or more', async () => {
    const con = await createCase(t.app, social, { type: 'avhoppare' }, { personalIdentityNumber: '570574-9959', guardians: [] });
    expect(con.subject).toMatchObject({ personalIdentityNumber: '195705749959', birthDate: '1957-05-14', coordinationNumber: true });
    const old = await createCase(t.app, social, { type: 'avhoppare' }, { personalIdentityNumber: '090527+1474', guardians: [] });
    expect(old.subject).toMatchObject({ personalIdentityNumber: '190905271474', birthDate: '1909-05-27' });
  });

  it('answers 400 to an invalid number or a birth date in the future, without echoing it, and writes nothing', async () => {
    const before = await count(t, 'subject');
    const future = pin(`${new Date().getUTCFullYear() + 1}0101`, '123');
    for (const n of ['20150916-0006', '19870704-9996', '19390182-9913', future, '19090527 1474', 'abcdefghij']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/cases',
        headers: bearer(social),
        payload: newCaseBody({}, { personalIdentityNumber: n, guardians: [] }),
      });
      expect(res.statusCode, n).toBe(400);
      expect(res.body).not.toContain(n);
    }
    expect(await count(t, 'subject')).toBe(before);
  });

  it('a reused subject keeps its data, gets guardians not yet on record, and its protection is raised but never lowered', async () => {
    const p = pin('20120203', '481');
    const first = await createCase(
      t.app,
      social,
      {},
      {
        personalIdentityNumber: p,
        protectedIdentity: 'sekretessmarkering',
        guardians: [{ firstName: 'Maja', lastName: 'Ek', custody: true }],
      },
    );
    const second = await createCase(
      t.app,
      social,
      { type: 'sspf' },
      {
        personalIdentityNumber: p,
        firstName: 'Annat',
        protectedIdentity: 'none',
        guardians: [
          { firstName: 'maja', lastName: 'ek', custody: true },
          { firstName: 'Jonas', lastName: 'Ek', personalIdentityNumber: pin('19790101', '111'), custody: true },
        ],
      },
    );
    expect(second.subject.id).toBe(first.subject.id);
    expect(second.subject).toMatchObject({ firstName: 'Elin', protectedIdentity: 'sekretessmarkering' });
    expect(second.subject.guardians.map((g) => g.firstName)).toEqual(['Maja', 'Jonas']);
    const third = await createCase(
      t.app,
      social,
      {},
      { personalIdentityNumber: p, protectedIdentity: 'skyddad_folkbokforing', guardians: [] },
    );
    expect(third.subject).toMatchObject({ protectedIdentity: 'skyddad_folkbokforing' });
    const { rows } = await t.sql.query("SELECT reason FROM audit_queue WHERE action = 'case.create' AND subject_id = $1 ORDER BY id", [
      first.subject.id,
    ]);
    expect(rows.map((r) => r.reason)).toEqual(['new_subject', 'existing_subject', 'existing_subject']);
  });

  it('guardians carry optional contact details; contact details are validated', async () => {
    const c = await createCase(
      t.app,
      social,
      {},
      {
        personalIdentityNumber: pin('20130405', '222'),
        guardians: [
          {
            firstName: 'Eva',
            lastName: 'Ström',
            custody: true,
            phone: '+46 70-111 22 33',
            email: 'eva@example.se',
            address: 'Norrbygatan 2',
          },
        ],
      },
    );
    expect(c.subject.guardians[0]).toMatchObject({
      phone: '+46 70-111 22 33',
      email: 'eva@example.se',
      address: 'Norrbygatan 2',
      personalIdentityNumber: null,
    });
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: bearer(social),
      payload: newCaseBody(
        {},
        {
          personalIdentityNumber: pin('20130405', '333'),
          guardians: [{ firstName: 'E', lastName: 'S', custody: true, email: 'not-an-email' }],
        },
      ),
    });
    expect(bad.statusCode).toBe(400);
  });
});
