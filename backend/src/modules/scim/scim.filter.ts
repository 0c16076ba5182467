import { scimProblem } from './scim.errors.js';
import { SCIM } from './scim.schemas.js';

/** The filters a directory needs to find a user before it creates or updates one. */
export interface UserFilter {
  userName?: string;
  externalId?: string;
}

const EQ = /^\s*([A-Za-z][A-Za-z0-9:._-]*)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i;
const CORE_PREFIX = `${SCIM.user}:`.toLowerCase();

/**
 * Reads `userName eq "…"` or `externalId eq "…"` (RFC 7644 §3.4.2.2; attribute names and the
 * operator in any case, the value a JSON string). Anything else is refused as `invalidFilter`:
 * the service provider config says which filters are supported.
 */
export function parseUserFilter(filter: string | undefined): UserFilter {
  if (filter === undefined || filter.trim() === '') return {};
  const m = EQ.exec(filter);
  if (!m) throw unsupported();
  let attribute = m[1]!.toLowerCase();
  if (attribute.startsWith(CORE_PREFIX)) attribute = attribute.slice(CORE_PREFIX.length);
  let value: string;
  try {
    value = JSON.parse(`"${m[2]!}"`) as string;
  } catch {
    throw unsupported();
  }
  if (attribute === 'username') return { userName: value };
  if (attribute === 'externalid') return { externalId: value };
  throw unsupported();
}

const unsupported = (): Error =>
  scimProblem(
    400,
    'invalidFilter',
    'Only the filters userName eq "value" and externalId eq "value" are supported. Correct the filter and try again.',
  );
