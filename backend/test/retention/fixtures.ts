import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { pin } from '../helpers/pin.js';

/** What a seeded case holds: its ids and those of every content row. */
/** A superuser connection to the database (a test's, or the browser tests' shared one). */
interface Db {
  sql: pg.Pool;
}

export interface SeededCase {
  id: string;
  subjectId: string;
  guardianId: string;
  consentId: string;
}

export interface Staff {
  userId: string;
  agencyId: string;
  partnerAgencyId: string;
}

export async function staff(t: Db): Promise<Staff> {
  const { rows } = await t.sql.query<{ username: string; id: string; agency_id: string }>(
    "SELECT username, id, agency_id FROM app_user WHERE username IN ('social','school')",
  );
  const social = rows.find((r) => r.username === 'social')!;
  const school = rows.find((r) => r.username === 'school')!;
  return { userId: social.id, agencyId: social.agency_id, partnerAgencyId: school.agency_id };
}

const yearsAgo = (years: number): string => new Date(Date.now() - years * 365.25 * 86_400_000).toISOString();

/**
 * A case written straight into the database with its dates in the past (inserts carry their own
 * timestamps; nothing is updated): subject, guardian, consent and receipt,
 * journal, plan with follow-up and history, meeting with a decision, a document, the closing.
 */
export async function seedCase(
  t: Db,
  s: Staff,
  o: { birthDate: string; status: 'open' | 'closed'; closedYearsAgo?: number; entryYearsAgo: number; subjectId?: string },
): Promise<SeededCase> {
  const c = await t.sql.connect();
  const id = randomUUID();
  const subjectId = o.subjectId ?? randomUUID();
  const guardianId = randomUUID();
  const consentId = randomUUID();
  const planId = randomUUID();
  const meetingId = randomUUID();
  const entry = yearsAgo(o.entryYearsAgo);
  const closedAt = o.closedYearsAgo === undefined ? null : yearsAgo(o.closedYearsAgo);
  try {
    await c.query('BEGIN');
    if (!o.subjectId) {
      await c.query(
        `INSERT INTO subject (id, owner_agency_id, personal_identity_number, birth_date, first_name, last_name, address)
         VALUES ($1, $2, $3, $4, 'Gallra', 'Testsson', 'Storgatan 1')`,
        [subjectId, s.agencyId, pin(o.birthDate.replaceAll('-', ''), String(100 + Math.floor(Math.random() * 800))), o.birthDate],
      );
      await c.query(`INSERT INTO guardian (id, subject_id, first_name, last_name, custody) VALUES ($1, $2, 'Förälder', 'Testsson', true)`, [
        guardianId,
        subjectId,
      ]);
    }
    await c.query(
      `INSERT INTO support_case (id, subject_id, owner_agency_id, owner_user_id, type, status, area, reason, outcome, created_at, updated_at, closed_at)
       VALUES ($1, $2, $3, $4, 'sspf', $5, 'Norrby', 'Skäl med innehåll', $6, $7, $7, $8)`,
      [id, subjectId, s.agencyId, s.userId, o.status, o.status === 'closed' ? 'Avslutat med innehåll' : null, entry, closedAt],
    );
    await c.query('INSERT INTO case_participant (case_id, agency_id) VALUES ($1, $2)', [id, s.partnerAgencyId]);
    await c.query(
      `INSERT INTO consent (id, case_id, subject_id, given_by_kind, method, evidence_ref, agency_ids, categories, purpose, valid_from, valid_to, recorded_by, recorded_at)
       VALUES ($1, $2, $3, 'subject', 'written', 'dok:1', $4, '{identity}', 'Syfte med innehåll', $5::date, $5::date + 300, $6, $5)`,
      [consentId, id, subjectId, [s.agencyId, s.partnerAgencyId], entry, s.userId],
    );
    await c.query(
      `INSERT INTO consent_receipt (id, consent_id, receipt, signature, kid, issued_at) VALUES ($1, $2, '{}', 'sig', 'k1', $3)`,
      [randomUUID(), consentId, entry],
    );
    await c.query(
      `INSERT INTO journal_entry (id, case_id, author_user_id, author_agency_id, category, text, created_at)
       VALUES ($1, $2, $3, $4, 'social', 'Anteckning med innehåll', $5)`,
      [randomUUID(), id, s.userId, s.agencyId, entry],
    );
    await c.query(
      `INSERT INTO plan_item (id, case_id, author_user_id, author_agency_id, responsible_agency_id, life_area, goal, action, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $4, 'school', 'Mål', 'Insats', $5, $5)`,
      [planId, id, s.userId, s.agencyId, entry],
    );
    await c.query(
      `INSERT INTO plan_item_follow_up (id, plan_item_id, author_user_id, author_agency_id, note, created_at) VALUES ($1, $2, $3, $4, 'Uppföljning', $5)`,
      [randomUUID(), planId, s.userId, s.agencyId, entry],
    );
    await c.query(
      `INSERT INTO plan_item_change (id, plan_item_id, case_id, cause, fields, old_values, new_values, changed_by_user_id, changed_by_agency_id, changed_at)
       VALUES ($1, $2, $3, 'update', '{goal}', '{"goal":"a"}', '{"goal":"b"}', $4, $5, $6)`,
      [randomUUID(), planId, id, s.userId, s.agencyId, entry],
    );
    await c.query(
      `INSERT INTO meeting (id, case_id, author_user_id, author_agency_id, date, agency_ids, agenda, minutes, created_at)
       VALUES ($1, $2, $3, $4, $5::date, $6, 'Dagordning', 'Protokoll', $5)`,
      [meetingId, id, s.userId, s.agencyId, entry, [s.agencyId]],
    );
    await c.query(`INSERT INTO meeting_decision (id, meeting_id, position, text) VALUES ($1, $2, 1, 'Beslut')`, [randomUUID(), meetingId]);
    await c.query(
      `INSERT INTO document (id, case_id, author_user_id, author_agency_id, category, media_type, size_bytes, sha256, iv, auth_tag, ciphertext, created_at)
       VALUES ($1, $2, $3, $4, 'social', 'application/pdf', 3, repeat('a', 64), $5, $6, $7, $8)`,
      [randomUUID(), id, s.userId, s.agencyId, Buffer.alloc(12, 1), Buffer.alloc(16, 2), Buffer.from('xyz'), entry],
    );
    if (closedAt) {
      await c.query(
        `INSERT INTO case_outcome_event (id, case_id, kind, outcome_code, outcome_text, user_id, at) VALUES ($1, $2, 'closed', 'goal_met', 'Text', $3, $4)`,
        [randomUUID(), id, s.userId, closedAt],
      );
    }
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK');
    throw e;
  } finally {
    c.release();
  }
  return { id, subjectId, guardianId, consentId };
}

/** A concern closed `decidedYearsAgo` with no case (or linked to `caseId`). */
export async function seedConcern(t: Db, s: Staff, o: { birthDate: string; decidedYearsAgo: number; caseId?: string }): Promise<string> {
  const id = randomUUID();
  const at = yearsAgo(o.decidedYearsAgo);
  await t.sql.query(
    `INSERT INTO concern (id, reference, reporter_user_id, reporter_agency_id, area, first_name, last_name, birth_date, observation, observed_on,
       observed_place, assessment, guardians_informed, urgency, urgency_rank, status, status_changed_at, decision, decision_reason, case_id,
       decided_by_user_id, decided_at, created_at)
     VALUES ($1, '', $2, $3, 'Norrby', 'Oro', 'Testsson', $4, 'Iakttagelse', $5::date, 'Plats', 'Bedömning', true, 'normal', 2, 'closed', $5,
       $6, 'Skäl', $7, $2, $5, $5)`,
    [id, s.userId, s.partnerAgencyId, o.birthDate, at, o.caseId ? 'open_case' : 'no_action', o.caseId ?? null],
  );
  return id;
}
