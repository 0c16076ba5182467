import { caseBlock, type PrintedCase } from './case.layout.js';
import { Printout } from './pdf.js';

export interface InvitationPrintout {
  case: PrintedCase;
  /** The meeting's day, `YYYY-MM-DD`. */
  date: string;
  /** `kl. 14:00–15:30` on the Stockholm clock, or null when no time is set. */
  time: string | null;
  /** A room or an address, "digital", or null when not yet decided. */
  place: string | null;
  cancelled: boolean;
  /** Names of the invited agencies the caller may learn take part. */
  agencies: string[];
  invitees: string[];
  agenda: string;
  /** Who calls the meeting: a name and an agency, and how to reach them (may be absent). */
  organiser: string;
  contact: string | null;
  footer: string;
}

/** An invitation to one network meeting: when, where, who is invited and what is on the agenda. */
export async function invitationPdf(m: InvitationPrintout, opts: { compress?: boolean } = {}): Promise<Buffer> {
  const title = m.case.caseNumber ? `Kallelse ${m.case.caseNumber} ${m.date}` : `Kallelse ${m.date}`;
  const p = new Printout({ title, footer: m.footer, ...opts });
  p.title('Kallelse till nätverksmöte', m.cancelled ? `Mötet ${m.date} är INSTÄLLT` : `Nätverksmöte ${m.date}`);
  if (m.cancelled) p.paragraph('Mötet är inställt. Kontakta den som kallade om ni behöver ett nytt möte.').space(0.3);
  caseBlock(p, m.case);
  p.field('Datum', m.date);
  p.field('Tid', m.time ?? 'Meddelas senare');
  p.field('Plats', m.place === 'digital' ? 'Digitalt möte (länk skickas separat)' : (m.place ?? 'Meddelas senare'));
  p.heading('Inbjudna');
  p.field('Aktörer', m.agencies.join(', '));
  p.field('Personer', m.invitees.join(', '));
  p.heading('Dagordning').paragraph(m.agenda.trim() || '–');
  p.space().field('Kallad av', m.organiser);
  if (m.contact) p.field('Kontakt', m.contact);
  p.space(0.5).paragraph('Meddela den som kallade om du inte kan komma.', { muted: true });
  return p.finish();
}
