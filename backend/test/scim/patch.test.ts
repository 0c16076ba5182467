/**
 * The pure parts of SCIM: PATCH operations as Entra ID and Okta send them, the supported
 * filters, and the product user name made from a directory's userName.
 */
import { describe, expect, it } from 'vitest';
import { HttpProblem } from '../../src/lib/problem.js';
import { parseUserFilter } from '../../src/modules/scim/scim.filter.js';
import { applyPatch } from '../../src/modules/scim/scim.patch.js';
import { SCIM } from '../../src/modules/scim/scim.schemas.js';
import { usernameBase, type ScimUserState } from '../../src/modules/scim/scim.user.js';

const state: ScimUserState = {
  userName: 'anna@polisen.example',
  externalId: 'ext-1',
  givenName: 'Anna',
  familyName: 'Öberg',
  displayName: 'Anna Öberg',
  email: 'anna@polisen.example',
  active: true,
};
const patch = (...Operations: { op: string; path?: string; value?: unknown }[]): ScimUserState =>
  applyPatch(state, { schemas: [SCIM.patch], Operations });
const scimTypeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof HttpProblem ? e.code : 'not a problem';
  }
  return undefined;
};

describe('PATCH operations', () => {
  it('replace with a path, in the forms Entra ID sends (capitalised op, "False", filtered e-mail path)', () => {
    const s = patch(
      { op: 'Replace', path: 'active', value: 'False' },
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'a.oberg@polisen.example' },
      { op: 'Add', path: 'name.givenName', value: 'Annika' },
      { op: 'Replace', path: `${SCIM.user}:displayName`, value: 'Annika Öberg' },
      { op: 'Add', path: `${SCIM.enterprise}:department`, value: 'Ignored' },
    );
    expect(s).toEqual({
      ...state,
      active: false,
      email: 'a.oberg@polisen.example',
      givenName: 'Annika',
      displayName: 'Annika Öberg',
    });
  });

  it('replace without a path (Okta), add and remove', () => {
    expect(patch({ op: 'replace', value: { active: false, externalId: 'ext-2' } })).toMatchObject({ active: false, externalId: 'ext-2' });
    expect(patch({ op: 'remove', path: 'externalId' }).externalId).toBeNull();
    expect(patch({ op: 'remove', path: 'emails' }).email).toBeNull();
    expect(patch({ op: 'replace', path: 'name', value: { familyName: 'Berg' } })).toMatchObject({ givenName: null, familyName: 'Berg' });
    expect(patch({ op: 'add', path: 'name', value: { familyName: 'Berg' } })).toMatchObject({ givenName: 'Anna', familyName: 'Berg' });
    expect(patch({ op: 'replace', path: 'emails', value: [{ value: 'x@y.example', type: 'work', primary: true }] }).email).toBe(
      'x@y.example',
    );
    expect(patch({ op: 'add', path: 'title', value: 'Ignored' })).toEqual(state);
  });

  it('refuses what it cannot do with the RFC 7644 scimType, and changes nothing', () => {
    expect(scimTypeOf(() => patch({ op: 'move', path: 'active', value: true }))).toBe('invalidSyntax');
    expect(scimTypeOf(() => patch({ op: 'replace', path: 'agencyId', value: 'x' }))).toBe('invalidPath');
    expect(scimTypeOf(() => patch({ op: 'replace', path: 'active', value: 'maybe' }))).toBe('invalidValue');
    expect(scimTypeOf(() => patch({ op: 'remove', path: 'active' }))).toBe('invalidValue');
    expect(scimTypeOf(() => patch({ op: 'remove', path: 'userName' }))).toBe('invalidValue');
    expect(scimTypeOf(() => patch({ op: 'remove' }))).toBe('noTarget');
    expect(scimTypeOf(() => patch({ op: 'replace', path: 'emails[type eq "home"].value', value: 'x@y.example' }))).toBe('noTarget');
    expect(scimTypeOf(() => patch({ op: 'replace', path: 'emails[type eq "work"].value', value: 'not an address' }))).toBe('invalidValue');
    expect(scimTypeOf(() => patch({ op: 'replace', path: 'displayName', value: 'x'.repeat(201) }))).toBe('invalidValue');
    expect(scimTypeOf(() => applyPatch(state, { schemas: ['urn:x'], Operations: [{ op: 'remove', path: 'externalId' }] }))).toBe(
      'invalidSyntax',
    );
  });
});

describe('filters', () => {
  it('reads userName eq and externalId eq, in any case, with JSON escapes', () => {
    expect(parseUserFilter(undefined)).toEqual({});
    expect(parseUserFilter('userName eq "anna@polisen.example"')).toEqual({ userName: 'anna@polisen.example' });
    expect(parseUserFilter(`${SCIM.user}:USERNAME EQ "a\\"b"`)).toEqual({ userName: 'a"b' });
    expect(parseUserFilter('externalId eq "e-1"')).toEqual({ externalId: 'e-1' });
  });

  it('refuses every other filter as invalidFilter', () => {
    for (const f of ['userName co "a"', 'displayName eq "a"', 'userName eq a', 'userName eq "a" or userName eq "b"', 'userName eq "\\x"']) {
      expect(
        scimTypeOf(() => parseUserFilter(f)),
        f,
      ).toBe('invalidFilter');
    }
  });
});

describe('the product user name', () => {
  it('follows the user name rule', () => {
    expect(usernameBase('Anna.Öberg@Polisen.example')).toBe('anna.oberg.polisen.example');
    expect(usernameBase('Åsa Ärlig')).toBe('asa-arlig');
    expect(usernameBase('x'.repeat(300))).toMatch(/^x{60}$/);
    expect(scimTypeOf(() => usernameBase('@'))).toBe('invalidValue');
  });
});
