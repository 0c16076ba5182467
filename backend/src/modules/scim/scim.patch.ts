import { Value } from '@sinclair/typebox/value';
import { scimProblem } from './scim.errors.js';
import { IGNORED_ATTRIBUTES, SCIM, ScimEmail, ScimName, type ScimPatchBody } from './scim.schemas.js';
import { checkedEmail, checkedText, emailOf, type ScimUserState } from './scim.user.js';

type Op = 'add' | 'replace' | 'remove';

const CORE_PREFIX = `${SCIM.user}:`.toLowerCase();
const ENTERPRISE = SCIM.enterprise.toLowerCase();
const PATH = /^([A-Za-z][A-Za-z0-9_]*)(?:\[([^\]]*)\])?(?:\.([A-Za-z][A-Za-z0-9_]*))?$/;
/** The one kept address is the work address and the primary one: these filters select it. */
const EMAIL_FILTER = /^\s*(type\s+eq\s+"work"|primary\s+eq\s+true)\s*$/i;

const invalidValue = (attribute: string): Error =>
  scimProblem(400, 'invalidValue', `The value for ${attribute} has the wrong type or form. Correct it and try again.`);
const invalidPath = (): Error =>
  scimProblem(400, 'invalidPath', 'An operation names an attribute this service does not have. Correct the path and try again.');

function text(v: unknown, attribute: string): string {
  if (typeof v !== 'string') throw invalidValue(attribute);
  return v;
}

/** A boolean; also "True"/"False" as some directories (Entra ID) send them. */
function bool(v: unknown, attribute: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  throw invalidValue(attribute);
}

interface Target {
  attribute: string;
  filter?: string;
  sub?: string;
}

/** A PATCH path (RFC 7644 §3.5.2): `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`, with or without the core schema's URN. */
function targetOf(path: string): Target | null {
  let p = path.trim();
  if (p.toLowerCase().startsWith(ENTERPRISE)) return null;
  if (p.toLowerCase().startsWith(CORE_PREFIX)) p = p.slice(CORE_PREFIX.length);
  const m = PATH.exec(p);
  if (!m) throw invalidPath();
  return { attribute: m[1]!.toLowerCase(), filter: m[2], sub: m[3]?.toLowerCase() };
}

function applyEmails(s: ScimUserState, op: Op, t: Target, value: unknown): void {
  if (t.filter !== undefined && !EMAIL_FILTER.test(t.filter)) {
    throw scimProblem(400, 'noTarget', 'Only the work (primary) e-mail address is kept: select it with type eq "work".');
  }
  if (op === 'remove') {
    s.email = null;
  } else if (t.sub === 'value') {
    s.email = checkedEmail(text(value, 'emails.value'));
  } else if (t.sub !== undefined) {
    // type, primary, display: there is one address, the primary work one.
  } else {
    const list = Array.isArray(value) ? value : [value];
    if (!list.every((e) => Value.Check(ScimEmail, e))) throw invalidValue('emails');
    s.email = emailOf(list as ScimEmail[]);
  }
}

function applyName(s: ScimUserState, op: Op, t: Target, value: unknown): void {
  if (t.filter !== undefined) throw invalidPath();
  const set = (sub: string, v: string | null): void => {
    if (sub === 'givenname') s.givenName = v;
    else if (sub === 'familyname') s.familyName = v;
  };
  if (t.sub !== undefined) {
    if (!Object.keys(ScimName.properties).some((k) => k.toLowerCase() === t.sub)) throw invalidPath();
    set(t.sub, op === 'remove' ? null : checkedText(text(value, `name.${t.sub}`), 200, `name.${t.sub}`));
    return;
  }
  if (op === 'remove') {
    s.givenName = null;
    s.familyName = null;
    return;
  }
  if (!Value.Check(ScimName, value)) throw invalidValue('name');
  // replace sets the whole name (what is left out is cleared); add sets what it names.
  if (op === 'replace' || value.givenName !== undefined) s.givenName = checkedText(value.givenName, 200, 'name.givenName');
  if (op === 'replace' || value.familyName !== undefined) s.familyName = checkedText(value.familyName, 200, 'name.familyName');
}

function applyTarget(s: ScimUserState, op: Op, t: Target, value: unknown): void {
  if (t.attribute === 'emails') return applyEmails(s, op, t, value);
  if (t.attribute === 'name') return applyName(s, op, t, value);
  if (IGNORED_ATTRIBUTES.has(t.attribute)) return;
  if (t.filter !== undefined || t.sub !== undefined) throw invalidPath();
  switch (t.attribute) {
    case 'active':
      if (op === 'remove') throw scimProblem(400, 'invalidValue', 'active cannot be removed; set it to false to deactivate the user.');
      s.active = bool(value, 'active');
      return;
    case 'displayname':
      s.displayName = op === 'remove' ? null : checkedText(text(value, 'displayName'), 200, 'displayName');
      return;
    case 'externalid':
      s.externalId = op === 'remove' ? null : checkedText(text(value, 'externalId'), 255, 'externalId');
      return;
    case 'username': {
      const v = op === 'remove' ? null : checkedText(text(value, 'userName'), 255, 'userName');
      if (!v) throw scimProblem(400, 'invalidValue', 'The userName is required and cannot be removed.');
      s.userName = v;
      return;
    }
    default:
      throw invalidPath();
  }
}

/**
 * Applies a PatchOp (RFC 7644 §3.5.2) to a copy of `state`: add, replace and remove on `active`,
 * `displayName`, `userName`, `externalId`, `name` and `emails`, with a path or (add, replace) as
 * an object of attributes. Attributes this service does not keep are accepted and ignored, like
 * in POST and PUT. All operations apply, or none (the first refusal throws).
 */
export function applyPatch(state: ScimUserState, body: ScimPatchBody): ScimUserState {
  if (!body.schemas.includes(SCIM.patch)) throw scimProblem(400, 'invalidSyntax', `The body's schemas must include ${SCIM.patch}.`);
  const s = { ...state };
  for (const operation of body.Operations) {
    const op = operation.op.toLowerCase();
    if (op !== 'add' && op !== 'replace' && op !== 'remove') {
      throw scimProblem(400, 'invalidSyntax', 'An operation is not add, replace or remove. Correct it and try again.');
    }
    if (operation.path !== undefined) {
      const t = targetOf(operation.path);
      if (op !== 'remove' && operation.value === undefined) throw invalidValue(operation.path);
      if (t) applyTarget(s, op, t, operation.value);
      continue;
    }
    if (op === 'remove') throw scimProblem(400, 'noTarget', 'A remove operation needs a path. Add it and try again.');
    const value = operation.value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidValue('the operation without a path');
    for (const [key, v] of Object.entries(value)) {
      const t = targetOf(key);
      if (t) applyTarget(s, op, t, v);
    }
  }
  return s;
}
