import type { AgendaOutT } from '../agenda/agenda.schemas.js';

/** How many items of each kind wait: all the digest ever says about them. */
export interface DigestCounts {
  planActions: number;
  meetings: number;
  consentsEnding: number;
  unreadEntries: number;
  closedCases: number;
  consentsWithdrawn: number;
}

export const countsOf = (a: AgendaOutT): DigestCounts => ({
  planActions: a.planActions.length,
  meetings: a.meetings.length,
  consentsEnding: a.consentsEnding.length,
  unreadEntries: a.unread.reduce((n, u) => n + u.count, 0),
  closedCases: a.closedCases.length,
  consentsWithdrawn: a.consentsWithdrawn,
});

export const totalOf = (c: DigestCounts): number => Object.values(c).reduce((n, v) => n + v, 0);

const LINES: [keyof DigestCounts, (n: number) => string, (n: number) => string][] = [
  [
    'planActions',
    (n) => `${n} ${n === 1 ? 'insats' : 'insatser'} att göra (snart eller försenade)`,
    (n) => `${n} plan ${n === 1 ? 'action' : 'actions'} due or overdue`,
  ],
  [
    'meetings',
    (n) => `${n} ${n === 1 ? 'möte' : 'möten'} de kommande två veckorna`,
    (n) => `${n} ${n === 1 ? 'meeting' : 'meetings'} in the coming two weeks`,
  ],
  [
    'consentsEnding',
    (n) => `${n} ${n === 1 ? 'samtycke' : 'samtycken'} som snart upphör`,
    (n) => `${n} ${n === 1 ? 'consent' : 'consents'} ending soon`,
  ],
  [
    'unreadEntries',
    (n) => `${n} nya ${n === 1 ? 'anteckning' : 'anteckningar'} från andra aktörer`,
    (n) => `${n} new ${n === 1 ? 'entry' : 'entries'} by other agencies`,
  ],
  [
    'closedCases',
    (n) => `${n} ${n === 1 ? 'ärende' : 'ärenden'} avslutade sedan du senast loggade in`,
    (n) => `${n} ${n === 1 ? 'case' : 'cases'} closed since you last signed in`,
  ],
  [
    'consentsWithdrawn',
    (n) => `${n} ${n === 1 ? 'samtycke' : 'samtycken'} återkallade sedan du senast loggade in`,
    (n) => `${n} ${n === 1 ? 'consent' : 'consents'} withdrawn since you last signed in`,
  ],
];

/**
 * The digest e-mail: counts and a link to the start page, in Swedish and English. Built from the
 * counts alone, so it cannot carry a name, a personal identity number or anything of a case.
 */
export function digestMail(counts: DigestCounts, origin: string): { subject: string; text: string } {
  const total = totalOf(counts);
  const shown = LINES.filter(([k]) => counts[k] > 0);
  const link = `${origin}/`;
  const text = [
    `Hej! I Samverka väntar ${total} ${total === 1 ? 'sak' : 'saker'} på dig:`,
    ...shown.map(([k, sv]) => `- ${sv(counts[k])}`),
    '',
    `Öppna startsidan: ${link}`,
    '',
    `Hello! ${total} ${total === 1 ? 'item waits' : 'items wait'} for you in Samverka:`,
    ...shown.map(([k, , en]) => `- ${en(counts[k])}`),
    '',
    `Open the start page: ${link}`,
    '',
    'Brevet innehåller inga uppgifter ur ärendena. Du kan stänga av det dagliga brevet på startsidan.',
    'This e-mail holds nothing from the cases. You can turn the daily e-mail off on the start page.',
  ].join('\n');
  return { subject: `Samverka: ${total} ${total === 1 ? 'sak väntar' : 'saker väntar'} på dig`, text };
}
