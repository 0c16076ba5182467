import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/config.js';
import { ageOn, isoDate, parsePersonalIdentityNumber } from '../../src/lib/personnummer.js';
import { addDays, ageOn as gateAgeOn, stockholmDate } from '../../src/modules/consents/calendar.js';
import { ADULT_AGE, SubjectsService } from '../../src/modules/subjects/subjects.service.js';

interface ReferenceCase {
  long_format: string;
  separated_long: string;
  separated_format: string;
  valid: boolean;
  type: 'ssn' | 'con';
}

// The public reference list (personnummer/meta test data, as in ../shared/testdata), committed
// beside this test so that the suite does not depend on where the repository is cloned.
const cases = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'personnummer-list.json'), 'utf8')) as ReferenceCase[];
const sharedCopy = path.resolve(repoRoot, '../shared/testdata/personnummer-list.json');

it.runIf(fs.existsSync(sharedCopy))('the committed reference list is the shared one', () => {
  expect(JSON.parse(fs.readFileSync(sharedCopy, 'utf8'))).toEqual(cases);
});

describe('parsePersonalIdentityNumber against the shared reference list', () => {
  it('has reference cases', () => {
    expect(cases.length).toBeGreaterThan(10);
  });

  describe.each(cases)('$separated_long ($type, valid: $valid)', (c) => {
    it.each([c.long_format, c.separated_long, c.separated_format])('%s', (form) => {
      const parsed = parsePersonalIdentityNumber(form);
      if (!c.valid) {
        expect(parsed).toBeNull();
        return;
      }
      expect(parsed).not.toBeNull();
      expect(parsed!.normalized).toBe(c.long_format);
      expect(parsed!.coordinationNumber).toBe(c.type === 'con');
      const day = Number(c.long_format.slice(6, 8)) - (c.type === 'con' ? 60 : 0);
      expect(parsed!.birthDate).toBe(`${c.long_format.slice(0, 4)}-${c.long_format.slice(4, 6)}-${String(day).padStart(2, '0')}`);
    });
  });
});

describe('parsePersonalIdentityNumber rules', () => {
  const today = new Date('2026-11-27T12:00:00Z');

  it('accepts the short form without a separator', () => {
    expect(parsePersonalIdentityNumber('8211059954', today)?.normalized).toBe('198211059954');
  });

  it('chooses the century of the short forms relative to today; + adds 100 years', () => {
    expect(parsePersonalIdentityNumber('001209-9891', today)?.birthDate).toBe('2000-12-09');
    expect(parsePersonalIdentityNumber('001209+9891', today)?.birthDate).toBe('1900-12-09');
    expect(parsePersonalIdentityNumber('001209-9891', new Date('1999-01-01T00:00:00Z'))?.birthDate).toBe('1900-12-09');
    expect(parsePersonalIdentityNumber('090527+1474', today)?.birthDate).toBe('1909-05-27');
  });

  it('rejects impossible dates, birth number 000, bad check digits and other shapes', () => {
    expect(parsePersonalIdentityNumber('20150916-0006', today)).toBeNull(); // birth number 000
    expect(parsePersonalIdentityNumber('19821105-9955', today)).toBeNull(); // check digit
    expect(parsePersonalIdentityNumber('19820230-9954', today)).toBeNull(); // 30 February
    expect(parsePersonalIdentityNumber('19821305-9954', today)).toBeNull(); // month 13
    for (const junk of ['', 'abc', '19821105 9954', '1982-11-05-9954', '198211059954x', '19821105--9954', '821105_9954']) {
      expect(parsePersonalIdentityNumber(junk, today), junk).toBeNull();
    }
  });

  it('knows leap years', () => {
    // 2000-02-29 existed, 1900-02-29 did not; find a valid check digit for each.
    const withCheck = (nine: string): string => {
      for (let c = 0; c <= 9; c++) if (parsePersonalIdentityNumber(`${nine}${c}`, today)) return `${nine}${c}`;
      return `${nine}x`;
    };
    expect(parsePersonalIdentityNumber(withCheck('000229123'), today)?.birthDate).toBe('2000-02-29');
    expect(parsePersonalIdentityNumber(`19${withCheck('000229123')}`, today)).toBeNull();
  });

  it('computes age in whole years', () => {
    expect(ageOn('2008-11-27', today)).toBe(18);
    expect(ageOn('2008-11-28', today)).toBe(17);
  });
});

/** A valid personnummer (12 digits) for a birth date `YYYYMMDD`. */
function pinFor(birthDate: string, serial = '123'): string {
  const nine = `${birthDate.slice(2)}${serial}`;
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    let d = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return `${birthDate}${serial}${(10 - (sum % 10)) % 10}`;
}

describe("age: one rule everywhere (the consent gate's Europe/Stockholm calendar)", () => {
  it('counts the day on the Stockholm calendar, not UTC: a birthday starts at midnight in Stockholm', () => {
    // 23:30 UTC on 26 November is 00:30 on 27 November in Stockholm (CET, UTC+1).
    const justAfterMidnight = new Date('2026-11-26T23:30:00Z');
    expect(stockholmDate(justAfterMidnight)).toBe('2026-11-27');
    expect(ageOn('2008-11-27', justAfterMidnight)).toBe(18);
    expect(ageOn('2008-11-27', new Date('2026-11-26T22:59:59Z'))).toBe(17);
    // Summer time (CEST, UTC+2).
    expect(ageOn('2008-06-15', new Date('2026-06-14T22:00:00Z'))).toBe(18);
    expect(ageOn('2008-06-15', new Date('2026-06-14T21:59:59Z'))).toBe(17);
    // ISO dates are taken as they are.
    expect(ageOn('2008-11-27', '2026-11-27')).toBe(18);
    expect(ageOn('2008-11-27', '2026-11-26')).toBe(17);
  });

  it('someone born on 29 February turns a year older on 28 February in other years, on 29 February in leap years', () => {
    expect(ageOn('2008-02-29', '2026-02-27')).toBe(17);
    expect(ageOn('2008-02-29', '2026-02-28')).toBe(18);
    expect(ageOn('2008-02-29', '2026-03-01')).toBe(18);
    expect(ageOn('2008-02-29', '2028-02-28')).toBe(19);
    expect(ageOn('2008-02-29', '2028-02-29')).toBe(20);
    expect(ageOn('2008-02-29', new Date('2026-02-27T23:00:00Z'))).toBe(18); // 00:00 on 28 Feb in Stockholm
  });

  it("agrees with the gate's age on every day around birthdays, leap days and year ends", () => {
    for (const birth of ['2008-02-29', '2008-11-27', '2010-12-31', '2011-01-01', '2000-03-01']) {
      for (const start of ['2026-02-20', '2026-11-20', '2026-12-25', '2028-02-20']) {
        for (let i = 0; i < 14; i++) {
          const day = addDays(start, i);
          expect(ageOn(birth, day), `${birth} on ${day}`).toBe(gateAgeOn(birth, day));
          // …and for instants: the Stockholm date of the instant decides, at any hour.
          for (const hour of ['00:30', '12:00', '23:30']) {
            const at = new Date(`${day}T${hour}:00Z`);
            expect(ageOn(birth, at), `${birth} at ${at.toISOString()}`).toBe(gateAgeOn(birth, stockholmDate(at)));
          }
        }
      }
    }
  });

  it('the "today" of a birth date check is the Stockholm date', () => {
    expect(isoDate(new Date('2026-11-26T23:30:00Z'))).toBe('2026-11-27');
    expect(isoDate(new Date('2026-12-31T23:30:00Z'))).toBe('2027-01-01');
  });

  it("guardians are refused from the subject's 18th birthday, by the Stockholm calendar, and accepted the day before", () => {
    const subjects = new SubjectsService();
    const subject = (born: string) => ({
      personalIdentityNumber: pinFor(born.replaceAll('-', ''), '238'),
      firstName: 'A',
      lastName: 'B',
      guardians: [{ firstName: 'C', lastName: 'B', custody: true }],
    });
    expect(ADULT_AGE).toBe(18);
    // 00:30 in Stockholm on the 18th birthday (still the day before in UTC): an adult.
    expect(() => subjects.validate(subject('2008-11-27'), new Date('2026-11-26T23:30:00Z'))).toThrow(
      expect.objectContaining({ code: 'guardians_for_adult' }),
    );
    expect(subjects.validate(subject('2008-11-27'), new Date('2026-11-26T22:30:00Z')).guardians).toHaveLength(1);
    // Born on 29 February: 18 on 28 February of a year that is not a leap year.
    expect(() => subjects.validate(subject('2008-02-29'), new Date('2026-02-28T10:00:00Z'))).toThrow(
      expect.objectContaining({ code: 'guardians_for_adult' }),
    );
    expect(subjects.validate(subject('2008-02-29'), new Date('2026-02-27T10:00:00Z')).guardians).toHaveLength(1);
  });

  it('a child born today in Stockholm is not "born in the future" just after midnight', () => {
    const subjects = new SubjectsService();
    const born = pinFor('20270101', '238');
    const at = new Date('2026-12-31T23:30:00Z'); // 00:30 on 1 January 2027 in Stockholm
    expect(subjects.validate({ personalIdentityNumber: born, firstName: 'A', lastName: 'B' }, at).pin.birthDate).toBe('2027-01-01');
    expect(() =>
      subjects.validate({ personalIdentityNumber: born, firstName: 'A', lastName: 'B' }, new Date('2026-12-31T22:30:00Z')),
    ).toThrow(
      expect.objectContaining({
        code: 'birth_date_in_future',
        errors: [expect.objectContaining({ path: '/subject/personalIdentityNumber' })],
      }),
    );
  });

  it('short forms: the latest birth date not after today (Stockholm) — under 100 with -, 100 or more with +', () => {
    const tenDigits = (born: string): string => pinFor(born).slice(2);
    const p = tenDigits('19261215');
    const dash = `${p.slice(0, 6)}-${p.slice(6)}`;
    const plus = `${p.slice(0, 6)}+${p.slice(6)}`;
    // On 27 November 2026, 15 December '26 has not come yet this year: 1926, aged 99.
    expect(parsePersonalIdentityNumber(dash, new Date('2026-11-27T12:00:00Z'))?.birthDate).toBe('1926-12-15');
    expect(parsePersonalIdentityNumber(plus, new Date('2026-11-27T12:00:00Z'))?.birthDate).toBe('1826-12-15');
    // From that day on, the same digits with - are a newborn and with + the 100-year-old.
    expect(parsePersonalIdentityNumber(dash, new Date('2026-12-14T23:30:00Z'))?.birthDate).toBe('2026-12-15');
    expect(parsePersonalIdentityNumber(plus, new Date('2026-12-14T23:30:00Z'))?.birthDate).toBe('1926-12-15');
    expect(parsePersonalIdentityNumber(dash, new Date('2026-12-14T22:30:00Z'))?.birthDate).toBe('1926-12-15');
  });
});
