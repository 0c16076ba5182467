import { Printout } from './pdf.js';
import { sv } from './words.sv.js';

/** The scope of a consent, as printed: agencies by name, categories, purpose, period. */
export interface PrintedScope {
  agencies: string[];
  categories: string[];
  purpose: string;
  validFrom: string;
  validTo: string;
}

/** The person the consent is about, as printed. */
export interface PrintedConsentPerson {
  name: string;
  /** `YYYYMMDD-NNNN`, or null. */
  identityNumber: string | null;
  /** The number is a samordningsnummer. */
  coordinationNumber: boolean;
  /** 18 or older: the person consents alone, and the printout never speaks of guardians. */
  adult: boolean;
}

export interface PrintedParty {
  name: string;
  /** A guardian (vårdnadshavare) rather than the person themself. */
  guardian: boolean;
}

export interface ReceiptPrintout {
  person: PrintedConsentPerson;
  caseNumber: string | null;
  ownerAgency: string;
  givenBy: PrintedParty;
  method: string;
  recordedAt: string;
  scope: PrintedScope;
  withdrawnAt: string | null;
  receiptId: string;
  /** The first characters of the receipt's signature. */
  verificationCode: string;
  footer: string;
  /** Printed for the person in their own view: they can also withdraw there with e-legitimation. */
  selfService?: boolean;
}

export interface ConsentFormPrintout {
  person: PrintedConsentPerson;
  caseNumber: string | null;
  ownerAgency: string;
  guardians: string[];
  givenBy: PrintedParty;
  scope: PrintedScope;
  footer: string;
}

/** Groups of four, so that a person can read the code aloud on the phone. */
export const verificationCode = (signature: string): string =>
  signature
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 16)
    .replace(/(.{4})(?=.)/g, '$1 ');

const partyText = (g: PrintedParty): string => (g.guardian ? `${g.name}, vårdnadshavare` : `${g.name} (personen själv)`);

function personLines(p: Printout, person: PrintedConsentPerson, caseNumber: string | null): void {
  p.field('Samtycket gäller', person.name);
  if (person.identityNumber) p.field(sv.identityNumberLabel(person.coordinationNumber), person.identityNumber);
  p.field('Ärendenummer', caseNumber);
}

function scopeLines(p: Printout, person: PrintedConsentPerson, s: PrintedScope): void {
  p.paragraph(`Dessa aktörer får lämna uppgifter om ${person.name} till varandra:`);
  p.bullets(s.agencies);
  p.space(0.3).paragraph('Det gäller bara dessa slags uppgifter:');
  p.bullets(s.categories.map((c) => sv.category(c, person.adult)));
  p.space(0.3).field('Syfte', s.purpose);
  p.field('Gäller', `från och med ${s.validFrom} till och med ${s.validTo}`);
}

const howToWithdraw = (owner: string): string =>
  `Du kan när som helst ta tillbaka (återkalla) samtycket, helt eller för någon av aktörerna, och du behöver inte säga varför. ` +
  `Kontakta ${owner} och säg att du vill återkalla samtycket: det räcker att ringa, skriva eller säga det på ett möte. ` +
  'Återkallelsen gäller direkt. Det som redan har lämnats ut kan inte tas tillbaka, men det är antecknat vem som har fått vad, och du har rätt att få veta det.';

/** The consent receipt a guardian or the person can keep: what was agreed and how to withdraw it. */
export async function receiptPdf(r: ReceiptPrintout, opts: { compress?: boolean } = {}): Promise<Buffer> {
  const p = new Printout({ title: 'Kvitto på samtycke', footer: r.footer, ...opts });
  p.title('Kvitto på samtycke', 'Spara kvittot. Det visar vad som har samtyckts till och hur samtycket kan återkallas.');
  personLines(p, r.person, r.caseNumber);
  p.field('Samtycket lämnades av', partyText(r.givenBy));
  p.field('Hur', sv.method(r.method));
  p.field('Registrerat', r.recordedAt);
  p.field('Registrerat av', r.ownerAgency);
  if (r.withdrawnAt) p.field('Återkallat', `${r.withdrawnAt}. Samtycket gäller inte längre.`);
  p.rule();
  p.heading('Vad samtycket gäller');
  scopeLines(p, r.person, r.scope);
  p.heading('Så återkallar du samtycket').paragraph(howToWithdraw(r.ownerAgency));
  if (r.selfService) p.paragraph('Du kan också återkalla det själv under Mina samtycken, där du loggar in med e-legitimation.');
  p.heading('Kontroll av kvittot');
  p.field('Kvittots nummer', r.receiptId);
  p.field('Kontrollkod', r.verificationCode);
  p.paragraph(
    'Med numret och koden kan socialtjänsten kontrollera att kvittot stämmer med det elektroniskt underskrivna kvitto som sparades när samtycket registrerades.',
    { muted: true, size: 9 },
  );
  return p.finish();
}

/** A consent form to sign, pre-filled with exactly the scope asked for. */
export async function consentFormPdf(f: ConsentFormPrintout, opts: { compress?: boolean } = {}): Promise<Buffer> {
  const p = new Printout({ title: 'Samtycke till informationsutbyte', footer: f.footer, ...opts });
  p.title('Samtycke till informationsutbyte', 'Läs igenom blanketten innan du skriver under.');
  personLines(p, f.person, f.caseNumber);
  if (!f.person.adult && f.guardians.length > 0) p.field('Vårdnadshavare', f.guardians.join(', '));
  p.field('Den som samtycker', partyText(f.givenBy));
  p.rule();
  p.heading('Vad du samtycker till');
  scopeLines(p, f.person, f.scope);
  p.heading('Bra att veta');
  p.bullets([
    'Det är frivilligt att samtycka. Att säga nej påverkar inte rätten till stöd från socialtjänsten.',
    'Samtycket gäller bara de aktörer, uppgifter och den tid som står här. För något annat behövs ett nytt samtycke.',
    ...(f.givenBy.guardian ? ['Varje vårdnadshavare som har vårdnaden skriver under en egen blankett.'] : []),
    'Utan samtycke får aktörerna inte lämna uppgifter till varandra, eftersom uppgifterna skyddas av sekretess (offentlighets- och sekretesslagen 12 kap. 2 §).',
  ]);
  p.heading('Så återkallar du samtycket').paragraph(howToWithdraw(f.ownerAgency));
  p.heading('Underskrift');
  p.paragraph(`Jag samtycker till det som står ovan. (${partyText(f.givenBy)})`);
  p.signatureLine('Underskrift');
  p.signatureLine('Namnförtydligande');
  p.signatureLine('Ort och datum');
  p.heading('Fylls i av socialtjänsten');
  p.signatureLine('Mottaget av (namn och datum)');
  return p.finish();
}
