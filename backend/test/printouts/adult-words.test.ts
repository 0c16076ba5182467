import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { pdfFlatText } from '../helpers/pdf-text.js';
import { agencies, createCase, pin } from '../cases/fixtures.js';
import { birthDateFor, daysFromToday, recordConsent, type Agencies } from '../consents/fixtures.js';

/**
 * Printouts about an adult (18 or older; most avhoppare cases) speak of the person, never of
 * guardians, even when guardians are still on record from before the 18th birthday; the
 * personnummer or samordningsnummer is printed as YYYYMMDD-NNNN under its own name.
 */

const GUARDIAN_WORDS = /vårdnadshav|den unge/i;

describe('printouts about an adult', () => {
  let t: TestContext;
  let social: string;
  let a: Agencies;
  let adultCaseId = '';
  let adultGuardianId = '';
  let adultPin = '';
  let minorCaseId = '';
  let minorGuardianId = '';

  const post = (url: string, payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url, headers: bearer(social), payload });
  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: bearer(social) });
  const formBody = (givenBy: Record<string, unknown>) => ({
    givenBy,
    agencyIds: [a.social, a.police],
    categories: ['identity', 'police'],
    purpose: 'Stöd för att lämna en kriminell grupp',
    validFrom: daysFromToday(0),
    validTo: daysFromToday(180),
  });
  const printed = (res: { statusCode: number; body: string; rawPayload: Buffer }): string => {
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    return pdfFlatText(res.rawPayload);
  };

  beforeAll(async () => {
    t = await createTestApp();
    social = await login(t.app, 'social');
    a = await agencies(t);
    // An avhoppare case opened while the person was 17, with both guardians; they turned 18 ten days ago.
    const adult = await createCase(t.app, social, { type: 'avhoppare', agencyIds: [a.police] }, { firstName: 'Sami', lastName: 'Rask' });
    adultCaseId = adult.id;
    adultGuardianId = adult.subject.guardians.find((g) => g.custody === true)!.id;
    const birthDate = birthDateFor(18, -10);
    adultPin = pin(birthDate.replaceAll('-', ''), '571');
    await t.sql.query('UPDATE subject SET birth_date = $1::date, personal_identity_number = $2 WHERE id = $3', [
      birthDate,
      adultPin,
      adult.subject.id,
    ]);
    const minor = await createCase(t.app, social, { agencyIds: [a.police] });
    minorCaseId = minor.id;
    minorGuardianId = minor.subject.guardians.find((g) => g.custody === true)!.id;
  });
  afterAll(async () => t.close());

  it('gives an adult a consent form of their own, with no guardians', async () => {
    const text = printed(await post(`/api/cases/${adultCaseId}/consent-form.pdf`, formBody({ kind: 'subject' })));
    expect(text).toContain('Sami Rask (personen själv)');
    expect(text).toContain('Vem personen är: namn, personnummer och att ärendet finns');
    expect(text).toContain(`Personnummer: ${adultPin.slice(0, 8)}-${adultPin.slice(8)}`);
    expect(text).not.toMatch(GUARDIAN_WORDS);
  });

  it('answers 400 to a consent form for a guardian to sign for an adult', async () => {
    const res = await post(`/api/cases/${adultCaseId}/consent-form.pdf`, formBody({ kind: 'guardian', guardianId: adultGuardianId }));
    expect(res.statusCode).toBe(400);
    expect(res.json().type).toBe('urn:samverka:problem:guardian_for_adult');
    expect(res.body).not.toContain(adultPin);
  });

  it("prints an adult's receipt and plan without guardians", async () => {
    const consent = await recordConsent(t.app, social, adultCaseId, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.police],
      categories: ['identity', 'police'],
    });
    const receipt = printed(await get(`/api/consents/${consent.id}/receipt.pdf`));
    expect(receipt).toContain('Sami Rask (personen själv)');
    expect(receipt).toContain('Vem personen är: namn, personnummer och att ärendet finns');
    expect(receipt).not.toMatch(GUARDIAN_WORDS);
    const plan = printed(await get(`/api/cases/${adultCaseId}/plan.pdf`));
    expect(plan).toContain(`${adultPin.slice(0, 8)}-${adultPin.slice(8)}`);
    expect(plan).not.toMatch(GUARDIAN_WORDS);
  });

  it('names a samordningsnummer as such, in the same shape', async () => {
    const coordination = pin('19990161', '456'); // born 1 January 1999: day of month + 60
    const c = await createCase(
      t.app,
      social,
      { type: 'avhoppare', agencyIds: [a.police] },
      { personalIdentityNumber: coordination, guardians: [], firstName: 'Dana', lastName: 'Sol' },
    );
    const text = printed(await post(`/api/cases/${c.id}/consent-form.pdf`, formBody({ kind: 'subject' })));
    expect(text).toContain(`Samordningsnummer: ${coordination.slice(0, 8)}-${coordination.slice(8)}`);
    expect(text).not.toMatch(GUARDIAN_WORDS);
  });

  it('still names the guardians on the consent form of a minor', async () => {
    const text = printed(
      await post(`/api/cases/${minorCaseId}/consent-form.pdf`, formBody({ kind: 'guardian', guardianId: minorGuardianId })),
    );
    expect(text).toContain('Anna Andersson, vårdnadshavare');
    expect(text).toContain('Vem personen är: namn, personnummer, vårdnadshavare och att ärendet finns');
  });
});
