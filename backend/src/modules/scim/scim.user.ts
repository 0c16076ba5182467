import { scimProblem } from './scim.errors.js';
import { SCIM, type ScimEmail, type ScimUserBody, type ScimUserOut } from './scim.schemas.js';

/** What SCIM may set on a user; everything else (roles above all) is Samverka's. */
export interface ScimUserState {
  userName: string;
  externalId: string | null;
  givenName: string | null;
  familyName: string | null;
  /** null: made from the name (or the userName) when written. */
  displayName: string | null;
  email: string | null;
  active: boolean;
}

/** A user as read for SCIM. */
export interface ScimUserRow {
  id: string;
  username: string;
  display_name: string;
  email: string | null;
  oidc_subject: string | null;
  external_id: string | null;
  given_name: string | null;
  family_name: string | null;
  active: boolean;
  created_at: string | Date;
  updated_at: string | Date;
}

/** The SCIM view of a user's columns. A local account (no provider subject) shows its user name. */
export function stateOf(row: ScimUserRow): ScimUserState {
  return {
    userName: row.oidc_subject ?? row.username,
    externalId: row.external_id,
    givenName: row.given_name,
    familyName: row.family_name,
    displayName: row.display_name,
    email: row.email,
    active: row.active,
  };
}

const iso = (d: string | Date): string => new Date(d).toISOString();

export function resourceOf(row: ScimUserRow): ScimUserOut {
  const name = {
    ...(row.given_name ? { givenName: row.given_name } : {}),
    ...(row.family_name ? { familyName: row.family_name } : {}),
  };
  return {
    schemas: [SCIM.user],
    id: row.id,
    ...(row.external_id ? { externalId: row.external_id } : {}),
    userName: row.oidc_subject ?? row.username,
    ...(Object.keys(name).length ? { name } : {}),
    displayName: row.display_name,
    ...(row.email ? { emails: [{ value: row.email, type: 'work', primary: true }] } : {}),
    active: row.active,
    meta: { resourceType: 'User', created: iso(row.created_at), lastModified: iso(row.updated_at), location: `/scim/v2/Users/${row.id}` },
  };
}

const USERNAME_MAX = 64;

/**
 * The product's user name (`^[a-z0-9._-]{2,64}$`) for a directory's userName: lower case, accents
 * dropped (å → a), `@` as `.`, any other character as `-`; room is left for a `-2` … suffix
 * should the name be taken. `anna.öberg@polisen.se` → `anna.oberg.polisen.se`.
 */
export function usernameBase(userName: string): string {
  const s = userName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/@/g, '.')
    .replace(/[^a-z0-9._-]+/g, '-')
    .slice(0, USERNAME_MAX - 4)
    .replace(/^[-._]+|[-._]+$/g, '');
  if (s.length < 2) throw scimProblem(400, 'invalidValue', 'The userName needs at least two letters or digits. Correct it and try again.');
  return s;
}

/** Candidates for the user name, in order of preference: the base, then the base with a suffix. */
export function usernameCandidates(base: string): string[] {
  return [base, ...Array.from({ length: 8 }, (_, i) => `${base}-${i + 2}`)];
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** The one address kept: the primary one, else the work one, else the first. */
export function emailOf(emails: readonly ScimEmail[] | undefined): string | null {
  if (!emails?.length) return null;
  const pick = emails.find((e) => e.primary) ?? emails.find((e) => e.type?.toLowerCase() === 'work') ?? emails[0]!;
  return checkedEmail(pick.value);
}

export function checkedEmail(value: string): string | null {
  const v = value.trim();
  if (v === '') return null;
  if (v.length < 3 || v.length > 254 || !EMAIL.test(v)) {
    throw scimProblem(400, 'invalidValue', 'An e-mail address is not valid. Correct it and try again.');
  }
  return v;
}

/** Trimmed text, null when empty; refused over `max` characters. */
export function checkedText(value: string | undefined | null, max: number, what: string): string | null {
  const v = value?.trim() ?? '';
  if (v.length > max) throw scimProblem(400, 'invalidValue', `The ${what} is longer than ${max} characters. Shorten it and try again.`);
  return v === '' ? null : v;
}

/** The state a POST or PUT body describes; attributes left out are cleared (`active` is kept, or true for a new user). */
export function stateFromBody(body: ScimUserBody, activeBefore: boolean | null): ScimUserState {
  if (!body.schemas.includes(SCIM.user)) {
    throw scimProblem(400, 'invalidSyntax', `The body's schemas must include ${SCIM.user}.`);
  }
  const userName = checkedText(body.userName, 255, 'userName');
  if (!userName) throw scimProblem(400, 'invalidValue', 'The userName is required. Add it and try again.');
  return {
    userName,
    externalId: checkedText(body.externalId, 255, 'externalId'),
    givenName: checkedText(body.name?.givenName, 200, 'givenName'),
    familyName: checkedText(body.name?.familyName, 200, 'familyName'),
    displayName: checkedText(body.displayName, 200, 'displayName'),
    email: emailOf(body.emails),
    active: body.active ?? activeBefore ?? true,
  };
}

/** The display name to store: as given, else from the name, else the userName (cut to the column's 200). */
export function displayNameOf(s: ScimUserState): string {
  return (s.displayName ?? ([s.givenName, s.familyName].filter(Boolean).join(' ') || s.userName)).slice(0, 200);
}

/** Which SCIM attributes differ (names only: they go into the audit event). */
export function changedAttributes(before: ScimUserState, after: ScimUserState): string[] {
  const out: string[] = [];
  if (before.userName !== after.userName) out.push('userName');
  if (before.externalId !== after.externalId) out.push('externalId');
  if (before.givenName !== after.givenName || before.familyName !== after.familyName) out.push('name');
  if (before.displayName !== displayNameOf(after)) out.push('displayName');
  if (before.email !== after.email) out.push('emails');
  if (before.active !== after.active) out.push('active');
  return out;
}
