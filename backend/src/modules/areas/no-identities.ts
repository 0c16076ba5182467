import { badRequest } from '../../lib/problem.js';

/**
 * A personnummer or samordningsnummer anywhere in a text: YYMMDD or YYYYMMDD, then an optional
 * `-`, `+` or space, then four digits, not part of a longer number. The day is 01–31, or 61–91
 * for a samordningsnummer. The check digit is not asked for: a mistyped number still points at
 * a person, and the group level carries no identities at all.
 */
const IDENTITY_NUMBER = /(?<!\d)(?:(?:18|19|20)\d{2}|\d{2})(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])[-+ ]?\d{4}(?!\d)/;

export const containsIdentityNumber = (text: string): boolean => IDENTITY_NUMBER.test(text);

/**
 * 400 naming every field (a JSON pointer into the body) whose text carries an identity number;
 * nothing is stored. The message says why, never the number.
 */
export function refuseIdentities(fields: Readonly<Record<string, string | null | undefined>>): void {
  const paths = Object.entries(fields)
    .filter(([, text]) => typeof text === 'string' && containsIdentityNumber(text))
    .map(([path]) => path);
  if (paths.length > 0)
    throw badRequest(
      'The text looks like a personnummer or samordningsnummer. The group level is recorded without identities: remove the number and describe what was seen instead.',
      'identity_in_text',
      paths,
    );
}
