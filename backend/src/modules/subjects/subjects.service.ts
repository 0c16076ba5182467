import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ageOn, isoDate, parsePersonalIdentityNumber, type PersonalIdentityNumber } from '../../lib/personnummer.js';
import { badRequest } from '../../lib/problem.js';
import { sql } from '../../db/sql.js';
import { PROTECTED_IDENTITY, type ProtectedIdentity } from './subjects.entities.js';
import type { GuardianIn, SubjectIn } from './subjects.schemas.js';

export const ADULT_AGE = 18;

/**
 * Parses a personal identity number from a request: 400 when it is not a valid personnummer or
 * samordningsnummer, or when the birth date it gives lies in the future (both on the Stockholm
 * calendar). Messages never echo it; `path` (a JSON pointer into the body) names the field.
 */
export function requirePersonalIdentityNumber(input: string, what: string, today = new Date(), path?: string): PersonalIdentityNumber {
  const parsed = parsePersonalIdentityNumber(input, today);
  if (!parsed)
    throw badRequest(
      `The ${what}'s personal identity number is not a valid personnummer or samordningsnummer; check the digits.`,
      'invalid_personal_identity_number',
      path,
    );
  if (parsed.birthDate > isoDate(today))
    throw badRequest(
      `The ${what}'s personal identity number gives a birth date in the future; check the digits.`,
      'birth_date_in_future',
      path,
    );
  return parsed;
}

export interface SubjectResolution {
  subjectId: string;
  created: boolean;
  birthDate: string;
  protectedIdentity: ProtectedIdentity;
}

interface ValidatedGuardian extends GuardianIn {
  normalized: string | null;
}

/** The stricter of two protection levels: a protection is never lowered by opening another case. */
const stricter = (a: ProtectedIdentity, b: ProtectedIdentity): ProtectedIdentity =>
  PROTECTED_IDENTITY.indexOf(a) >= PROTECTED_IDENTITY.indexOf(b) ? a : b;

const blankToNull = (v: string | null | undefined): string | null => (v === undefined || v === null || v.trim() === '' ? null : v.trim());

export class SubjectsService {
  /**
   * Validates a subject from a request before any write (400s leave nothing behind). `at` is the
   * JSON pointer of the subject in the body: each 400 names its field (`/subject/guardians/1/…`).
   */
  validate(input: SubjectIn, today = new Date(), at = '/subject'): { pin: PersonalIdentityNumber; guardians: ValidatedGuardian[] } {
    const pin = requirePersonalIdentityNumber(input.personalIdentityNumber, 'subject', today, `${at}/personalIdentityNumber`);
    const guardians = (input.guardians ?? []).map((g, i) => ({
      ...g,
      normalized: g.personalIdentityNumber
        ? requirePersonalIdentityNumber(g.personalIdentityNumber, 'guardian', today, `${at}/guardians/${i}/personalIdentityNumber`)
            .normalized
        : null,
    }));
    if (guardians.length > 0 && ageOn(pin.birthDate, today) >= ADULT_AGE) {
      throw badRequest('Guardians are recorded only for a subject under 18.', 'guardians_for_adult', `${at}/guardians`);
    }
    const same = guardians.flatMap((g, i) => (g.normalized === pin.normalized ? [`${at}/guardians/${i}/personalIdentityNumber`] : []));
    if (same.length > 0)
      throw badRequest("A guardian cannot have the subject's own personal identity number.", 'guardian_is_subject', same);
    return { pin, guardians };
  }

  /**
   * Finds the subject with this personal identity number in the owning agency, or creates it.
   * A reused subject keeps its recorded names and contact details; its protection is raised if
   * the new request asks for a stricter one, and guardians not yet on record are added.
   */
  async findOrCreate(
    tx: EntityManager,
    ownerAgencyId: string,
    input: SubjectIn,
    v: ReturnType<SubjectsService['validate']>,
  ): Promise<SubjectResolution> {
    const requested = input.protectedIdentity ?? 'none';
    const id = randomUUID();
    const inserted = await sql<{ id: string }>(
      tx,
      `INSERT INTO subject (id, owner_agency_id, personal_identity_number, coordination_number, birth_date, first_name, last_name, protected_identity, phone, email, address)
       VALUES (?, ?, ?, ?, ?::date, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (owner_agency_id, personal_identity_number) DO NOTHING RETURNING id`,
      [
        id,
        ownerAgencyId,
        v.pin.normalized,
        v.pin.coordinationNumber,
        v.pin.birthDate,
        input.firstName.trim(),
        input.lastName.trim(),
        requested,
        blankToNull(input.phone),
        blankToNull(input.email),
        blankToNull(input.address),
      ],
    );
    let resolution: SubjectResolution;
    if (inserted.length === 1) {
      resolution = { subjectId: id, created: true, birthDate: v.pin.birthDate, protectedIdentity: requested };
    } else {
      const [existing] = await sql<{ id: string; protected_identity: ProtectedIdentity }>(
        tx,
        'SELECT id, protected_identity FROM subject WHERE owner_agency_id = ? AND personal_identity_number = ? FOR UPDATE',
        [ownerAgencyId, v.pin.normalized],
      );
      const level = stricter(existing!.protected_identity, requested);
      if (level !== existing!.protected_identity) {
        await sql(tx, 'UPDATE subject SET protected_identity = ?, updated_at = now() WHERE id = ?', [level, existing!.id]);
      }
      resolution = { subjectId: existing!.id, created: false, birthDate: v.pin.birthDate, protectedIdentity: level };
    }
    await this.addGuardians(tx, resolution.subjectId, v.guardians, !resolution.created);
    return resolution;
  }

  private async addGuardians(tx: EntityManager, subjectId: string, guardians: ValidatedGuardian[], skipKnown: boolean): Promise<void> {
    let list = guardians;
    if (skipKnown && list.length > 0) {
      const known = await sql<{
        id: string;
        first_name: string;
        last_name: string;
        personal_identity_number: string | null;
        protected_identity: ProtectedIdentity;
      }>(tx, 'SELECT id, first_name, last_name, personal_identity_number, protected_identity FROM guardian WHERE subject_id = ?', [
        subjectId,
      ]);
      const same = (g: ValidatedGuardian, k: (typeof known)[number]): boolean =>
        g.normalized && k.personal_identity_number
          ? g.normalized === k.personal_identity_number
          : g.firstName.trim().toLowerCase() === k.first_name.toLowerCase() &&
            g.lastName.trim().toLowerCase() === k.last_name.toLowerCase();
      list = list.filter((g) => !known.some((k) => same(g, k)));
      // A guardian already on record keeps the stricter protection, as the subject does.
      for (const g of guardians) {
        const k = known.find((x) => same(g, x));
        const level = k ? stricter(k.protected_identity, g.protectedIdentity ?? 'none') : null;
        if (k && level !== k.protected_identity) await sql(tx, 'UPDATE guardian SET protected_identity = ? WHERE id = ?', [level, k.id]);
      }
    }
    if (list.length === 0) return;
    const params: unknown[] = [];
    const rows = list.map((g) => {
      params.push(
        randomUUID(),
        subjectId,
        g.firstName.trim(),
        g.lastName.trim(),
        g.normalized,
        g.custody,
        g.protectedIdentity ?? 'none',
        blankToNull(g.phone),
        blankToNull(g.email),
        blankToNull(g.address),
      );
      return '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
    });
    await sql(
      tx,
      `INSERT INTO guardian (id, subject_id, first_name, last_name, personal_identity_number, custody, protected_identity, phone, email, address) VALUES ${rows.join(', ')}`,
      params,
    );
  }
}
