import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/config.js';
import { addMonths, ageOn, isIsoDate, stockholmDate } from '../../src/modules/consents/calendar.js';
import { consentStatus, evaluateGate, prepareGate, type GateConsent, type GateInput } from '../../src/modules/consents/gate.js';
import { loadPolicies } from '../../src/plugins/app/policies.js';
import { PolicyError } from '../../src/plugins/app/policy-file.js';

const policiesDir = path.join(repoRoot, 'policies');
const rules = loadPolicies(policiesDir).consent;

describe('calendar (Europe/Stockholm)', () => {
  it('takes the Stockholm date of an instant, across both DST offsets', () => {
    expect(stockholmDate(new Date('2026-11-26T22:59:59Z'))).toBe('2026-11-26');
    expect(stockholmDate(new Date('2026-11-26T23:00:00Z'))).toBe('2026-11-27');
    expect(stockholmDate(new Date('2026-06-30T21:59:59Z'))).toBe('2026-06-30');
    expect(stockholmDate(new Date('2026-06-30T22:00:00Z'))).toBe('2026-07-01');
  });

  it('gives the same date as a fresh Intl lookup at the start, middle and last millisecond of every hour of a year (the answer is reused within an hour)', () => {
    const fresh = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit', day: '2-digit' });
    const start = Date.UTC(2026, 0, 1);
    for (let h = 0; h < 366 * 24; h++) {
      for (const offset of [0, 1_800_000, 3_599_999]) {
        const at = new Date(start + h * 3_600_000 + offset);
        expect(stockholmDate(at), at.toISOString()).toBe(fresh.format(at));
      }
    }
    // Out of order and far away instants are not served from the reused answer.
    expect(stockholmDate(new Date('1999-12-31T23:30:00Z'))).toBe('2000-01-01');
    expect(stockholmDate(new Date('2026-03-29T00:59:59.999Z'))).toBe('2026-03-29');
    expect(stockholmDate(new Date('2026-10-24T22:00:00Z'))).toBe('2026-10-25');
  });

  it('counts age in whole years, 29 February birthdays on 28 February in common years', () => {
    expect(ageOn('2011-11-27', '2026-11-26')).toBe(14);
    expect(ageOn('2011-11-27', '2026-11-27')).toBe(15);
    expect(ageOn('2008-02-29', '2026-02-27')).toBe(17);
    expect(ageOn('2008-02-29', '2026-02-28')).toBe(18);
    expect(ageOn('2008-02-29', '2028-02-28')).toBe(19);
    expect(ageOn('2008-02-29', '2028-02-29')).toBe(20);
  });

  it('adds months to the same day, or the last day of a shorter month', () => {
    expect(addMonths('2026-01-15', 12)).toBe('2027-01-15');
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2028-02-29', 12)).toBe('2029-02-28');
    expect(addMonths('2026-11-30', 3)).toBe('2027-02-28');
  });

  it('accepts only real dates', () => {
    expect(isIsoDate('2026-02-28')).toBe(true);
    expect(isIsoDate('2026-02-29')).toBe(false);
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('2026-13-01')).toBe(false);
    expect(isIsoDate('26-01-01')).toBe(false);
  });
});

describe('consent status', () => {
  const c = { validFrom: '2026-06-01', validTo: '2026-11-30', withdrawnAt: null };
  it('is pending before validFrom, active through validTo, then expired', () => {
    expect(consentStatus(c, new Date('2026-05-31T21:59:59Z'))).toBe('pending');
    expect(consentStatus(c, new Date('2026-05-31T22:00:00Z'))).toBe('active');
    expect(consentStatus(c, new Date('2026-11-30T22:59:59Z'))).toBe('active');
    expect(consentStatus(c, new Date('2026-11-30T23:00:00Z'))).toBe('expired');
  });
  it('is withdrawn from the instant of withdrawal', () => {
    const w = { ...c, withdrawnAt: new Date('2026-08-01T10:00:00Z') };
    expect(consentStatus(w, new Date('2026-08-01T09:59:59.999Z'))).toBe('active');
    expect(consentStatus(w, new Date('2026-08-01T10:00:00Z'))).toBe('withdrawn');
  });
});

/** A case of an adult subject with 10 consents and 200 items from four agencies. */
function bigCase(): { input: Omit<GateInput, 'fromAgencyId' | 'toAgencyId' | 'category'>; items: { from: string; category: string }[] } {
  const agencies = ['social', 'school', 'police', 'leisure'];
  const categories = ['identity', 'school', 'social', 'police', 'leisure', 'health', 'plan'];
  const consents: GateConsent[] = Array.from({ length: 10 }, (_, i) => ({
    id: `c${i}`,
    givenBy: { kind: 'subject' },
    agencyIds: [agencies[0]!, agencies[1 + (i % 3)]!],
    categories: categories.slice(i % 4, (i % 4) + 4),
    validFrom: '2026-01-01',
    validTo: '2026-12-31',
    withdrawnAt: i === 3 ? new Date('2026-10-01T00:00:00Z') : null,
  }));
  const items = Array.from({ length: 200 }, (_, i) => ({ from: agencies[i % 4]!, category: categories[i % 7]! }));
  return { input: { subjectBirthDate: '2001-06-15', guardians: [], consents, at: new Date('2026-11-27T12:00:00Z') }, items };
}

describe('gate evaluation', () => {
  it('gives the same answer prepared once as evaluated one by one', () => {
    const { input, items } = bigCase();
    const gate = prepareGate(rules, input);
    for (const it of items) {
      const q = { fromAgencyId: it.from, toAgencyId: 'school', category: it.category };
      expect(gate.decide(q)).toEqual(evaluateGate(rules, { ...input, ...q }));
    }
  });

  it('evaluates a read of 200 items under 10 consents in well under 1 ms', () => {
    const { input, items } = bigCase();
    const read = (): number => {
      const gate = prepareGate(rules, { ...input, at: new Date() > input.at ? input.at : new Date() });
      let allowed = 0;
      for (const it of items) if (gate.decide({ fromAgencyId: it.from, toAgencyId: 'school', category: it.category }).allow) allowed++;
      return allowed;
    };
    for (let i = 0; i < 200; i++) read();
    const n = 2000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) read();
    const perReadMs = Number(process.hrtime.bigint() - t0) / 1e6 / n;
    expect(read()).toBeGreaterThan(0);
    expect(perReadMs).toBeLessThan(1);
  });
});

describe('policies/consent.yaml is checked at start', () => {
  function withConsentPolicy(text: string): () => unknown {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-policy-'));
    fs.copyFileSync(path.join(policiesDir, 'roles.yaml'), path.join(dir, 'roles.yaml'));
    for (const f of fs.readdirSync(policiesDir))
      if (f.endsWith('.yaml') && f !== 'consent.yaml') fs.copyFileSync(path.join(policiesDir, f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, 'consent.yaml'), text);
    return () => loadPolicies(dir);
  }
  const good = fs.readFileSync(path.join(policiesDir, 'consent.yaml'), 'utf8');

  it('accepts the committed file', () => {
    expect(withConsentPolicy(good)).not.toThrow();
    expect(rules.maxValidityMonths).toBe(12);
    expect(rules.reminderLeadDays).toBe(30);
  });

  it.each([
    ['an unknown party', good.replace('parties: [subject]', 'parties: [neighbour]')],
    ['a row out of order', good.replace('fromAge: 18', 'fromAge: 14')],
    ['no row from age 0', good.replace('fromAge: 0', 'fromAge: 1')],
    ['an unknown key', `${good}\nbypass: true\n`],
    ['a negative validity', good.replace('maxValidityMonths: 12', 'maxValidityMonths: -1')],
  ])('refuses %s', (_what, text) => {
    expect(withConsentPolicy(text)).toThrow(PolicyError);
  });
});
