import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/config.js';
import { ageOn, parsePersonalIdentityNumber } from '../../src/lib/personnummer.js';

interface ReferenceCase {
  long_format: string;
  separated_long: string;
  separated_format: string;
  valid: boolean;
  type: 'ssn' | 'con';
}

const cases = JSON.parse(fs.readFileSync(path.resolve(repoRoot, '../shared/testdata/personnummer-list.json'), 'utf8')) as ReferenceCase[];

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
