import type { Printout } from './pdf.js';
import { sv } from './words.sv.js';

/**
 * The parts every case printout shares, laid out from what the caller may see (the service
 * fills these from shaped read models only). Absent means withheld or not on record.
 */

export interface PrintedPerson {
  name: string;
  /** `YYYYMMDD-NNNN`, or null. */
  identityNumber: string | null;
  /** The number is a samordningsnummer. */
  coordinationNumber: boolean;
  birthDate: string | null;
  protectedIdentity: boolean;
  /** 18 or older: the printout never speaks of guardians. */
  adult: boolean;
}

export interface PrintedCase {
  caseNumber: string | null;
  type: string;
  status: string;
  phase: string | null;
  person: PrintedPerson;
  /** The owning social services agency's name. */
  ownerAgency: string | null;
}

export interface PrintedWithheld {
  category: string;
  count: number;
  reason: string;
}

/** Name, number and case: the first lines of every case printout. */
export function caseBlock(p: Printout, c: PrintedCase): void {
  p.field('Namn', c.person.name);
  if (c.person.identityNumber) p.field(sv.identityNumberLabel(c.person.coordinationNumber), c.person.identityNumber);
  else if (c.person.birthDate) p.field('Född', c.person.birthDate);
  p.field('Ärendenummer', c.caseNumber);
  p.field(
    'Ärende',
    `${sv.caseType(c.type)}, ${sv.caseStatus(c.status).toLowerCase()}${c.phase ? `, fas: ${sv.phase(c.phase).toLowerCase()}` : ''}`,
  );
  p.field('Ansvarig socialtjänst', c.ownerAgency);
  if (c.person.protectedIdentity) {
    p.space(0.3).paragraph(
      'Personen har skyddade personuppgifter. Lämna inte utskriften vidare, lämna den inte framme och förstör den när den inte behövs längre.',
    );
  }
  p.rule();
}

/** What the consents kept out of this printout: counts per category, never content. */
export function withheldBlock(p: Printout, withheld: readonly PrintedWithheld[], adult: boolean): void {
  if (withheld.length === 0) return;
  p.heading('Uppgifter som inte visas');
  p.paragraph('Utskriften visar bara det som samtyckena låter din aktör se. Dessa uppgifter finns i ärendet men visas inte:', {
    muted: true,
  });
  p.bullets(
    withheld.map(
      (w) =>
        `${w.count} ${w.count === 1 ? 'uppgift' : 'uppgifter'} om ${sv.category(w.category, adult).toLowerCase()}: ${sv.withheldReason(w.reason)}`,
    ),
  );
}
