import { caseBlock, type PrintedCase } from './case.layout.js';
import { Printout } from './pdf.js';

export interface MinutesPrintout {
  case: PrintedCase;
  date: string;
  /** Names of the agencies the caller may learn took part. */
  agencies: string[];
  people: string[];
  agenda: string;
  minutes: string;
  decisions: { text: string; becamePlanItem: boolean }[];
  author: string;
  footer: string;
}

/** Minutes of one network meeting. */
export async function minutesPdf(m: MinutesPrintout, opts: { compress?: boolean } = {}): Promise<Buffer> {
  const title = m.case.caseNumber ? `Minnesanteckningar ${m.case.caseNumber} ${m.date}` : `Minnesanteckningar ${m.date}`;
  const p = new Printout({ title, footer: m.footer, ...opts });
  p.title('Minnesanteckningar', `Nätverksmöte ${m.date}`);
  caseBlock(p, m.case);
  p.field('Datum', m.date);
  p.field('Aktörer', m.agencies.join(', '));
  p.field('Deltagare', m.people.join(', '));
  p.heading('Dagordning').paragraph(m.agenda.trim() || '–');
  p.heading('Anteckningar').paragraph(m.minutes.trim() || '–');
  p.heading('Beslut');
  if (m.decisions.length === 0) p.paragraph('Inga beslut.', { muted: true });
  m.decisions.forEach((d, i) => p.paragraph(`${i + 1}. ${d.text}${d.becamePlanItem ? ' (blev en insats i planen)' : ''}`));
  p.space().field('Antecknat av', m.author);
  return p.finish();
}
