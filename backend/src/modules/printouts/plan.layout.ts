import { caseBlock, withheldBlock, type PrintedCase, type PrintedWithheld } from './case.layout.js';
import { Printout } from './pdf.js';
import { sv } from './words.sv.js';

export interface PrintedPlanItem {
  lifeArea: string;
  goal: string;
  action: string;
  /** The responsible agency's name; null when the caller may not learn which agency it is. */
  responsible: string | null;
  dueDate: string | null;
  status: string;
  followUps: { date: string; author: string; note: string }[];
}

export interface PlanPrintout {
  case: PrintedCase;
  /** The reason for the case (category social); null when withheld. */
  reason: string | null;
  agencies: { name: string; owner: boolean }[];
  items: PrintedPlanItem[];
  withheld: PrintedWithheld[];
  footer: string;
}

/** The joint plan (åtagandeplan) for the network meeting. */
export async function planPdf(plan: PlanPrintout, opts: { compress?: boolean } = {}): Promise<Buffer> {
  const title = plan.case.caseNumber ? `Åtagandeplan ${plan.case.caseNumber}` : 'Åtagandeplan';
  const p = new Printout({ title, footer: plan.footer, ...opts });
  p.title('Åtagandeplan', 'Gemensam plan för nätverksmötet');
  caseBlock(p, plan.case);
  if (plan.reason) p.heading('Anledning till ärendet').paragraph(plan.reason);
  p.heading('Aktörer i nätverket');
  p.bullets(plan.agencies.map((a) => (a.owner ? `${a.name} (ansvarig)` : a.name)));
  p.heading('Mål och insatser');
  if (plan.items.length === 0) p.paragraph('Det finns inga mål eller insatser att visa.', { muted: true });
  plan.items.forEach((item, i) => {
    p.subheading(`${i + 1}. ${sv.lifeArea(item.lifeArea)}`);
    p.field('Mål', item.goal);
    p.field('Insats', item.action);
    p.field('Ansvarig', item.responsible ?? 'en aktör som inte visas för dig');
    p.field('Klart senast', item.dueDate);
    p.field('Status', sv.planStatus(item.status));
    if (item.followUps.length > 0) {
      p.paragraph('Uppföljningar:');
      p.bullets(item.followUps.map((f) => `${f.date}, ${f.author}: ${f.note}`));
    }
  });
  withheldBlock(p, plan.withheld, plan.case.person.adult);
  return p.finish();
}
