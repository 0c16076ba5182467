import { ageOn, parsePersonalIdentityNumber } from '../../lib/personnummer.js';
import { ADULT_AGE } from '../subjects/subjects.service.js';

/**
 * The printouts' words, in Swedish: printouts are handed to guardians and partners at a meeting,
 * so they use the same plain words as the web app (frontend/messages/sv*.json). A code the lists
 * here do not know (a category or life area added to policies/ later) is printed as it is.
 * For an adult (18 or older, most avhoppare cases) they never speak of guardians, as the web app.
 */

const word = (words: Readonly<Record<string, string>>, code: string | null | undefined): string => (code ? (words[code] ?? code) : '–');

const CASE_TYPES: Record<string, string> = { sspf: 'SSPF', avhoppare: 'Avhoppare' };
const CASE_STATUSES: Record<string, string> = { open: 'Öppnat', active: 'Pågående', closed: 'Avslutat' };
const PHASES: Record<string, string> = {
  assessment: 'Bedömning',
  intensive: 'Intensivfas',
  transition: 'Övergång',
  aftercare: 'Eftervård',
};
const PLAN_STATUSES: Record<string, string> = { planned: 'Planerad', in_progress: 'Pågår', done: 'Klar', cancelled: 'Avbruten' };
const LIFE_AREAS: Record<string, string> = {
  school: 'Skola',
  leisure: 'Fritid',
  family: 'Familj',
  peers: 'Kamrater',
  substance_use: 'Alkohol och droger',
  crime: 'Kriminalitet',
  housing: 'Boende',
  safety: 'Trygghet och skydd',
  occupation: 'Sysselsättning och arbete',
  studies: 'Studier',
  health: 'Hälsa och behandling',
  drug_free: 'Drogfrihet',
  economy: 'Ekonomi och skulder',
  social_network: 'Socialt nätverk',
};
const METHODS: Record<string, string> = {
  written: 'Skriftligt, undertecknat och skannat',
  digital: 'Digitalt undertecknat',
  oral: 'Muntligt, med namngivet vittne',
};

/** What each category of information means, in words a guardian understands. */
const CATEGORIES: Record<string, string> = {
  identity: 'Vem personen är: namn, personnummer, vårdnadshavare och att ärendet finns',
  school: 'Skolgång: närvaro, studieresultat och elevhälsa',
  social: 'Socialtjänstens bedömningar och insatser',
  police: 'Polisens uppgifter om personen',
  leisure: 'Fritid och fältarbete',
  health: 'Hälsa, behandling och missbruksvård',
  plan: 'Den gemensamma planen (åtagandeplanen) och nätverksmötena',
};
/** An adult has no guardians in the case: the words that differ. */
const ADULT_CATEGORIES: Record<string, string> = {
  identity: 'Vem personen är: namn, personnummer och att ärendet finns',
};

const WITHHELD_REASONS: Record<string, string> = {
  no_consent: 'inget samtycke omfattar dem',
  expired: 'samtycket har gått ut',
  withdrawn: 'samtycket är återkallat',
  no_required_party: 'alla som måste samtycka har inte gjort det',
};

export const sv = {
  caseType: (c: string) => word(CASE_TYPES, c),
  caseStatus: (c: string) => word(CASE_STATUSES, c),
  phase: (c: string | null) => word(PHASES, c),
  planStatus: (c: string) => word(PLAN_STATUSES, c),
  lifeArea: (c: string) => word(LIFE_AREAS, c),
  method: (c: string) => word(METHODS, c),
  /** What a category means; `adult` leaves guardians out of the words. */
  category: (c: string, adult = false) => word(adult && c in ADULT_CATEGORIES ? ADULT_CATEGORIES : CATEGORIES, c),
  identityNumberLabel: (coordinationNumber: boolean) => (coordinationNumber ? 'Samordningsnummer' : 'Personnummer'),
  withheldReason: (c: string) => word(WITHHELD_REASONS, c),
};

/**
 * `YYYYMMDD-NNNN`, the one printed shape of a personnummer or samordningsnummer (as the web app
 * shows it): from the stored 12 digits, or any form the service's parser normalises. Null when absent or invalid.
 */
export function identityNumber(value: string | null | undefined): string | null {
  if (!value) return null;
  const digits = /^\d{12}$/.test(value) ? value : parsePersonalIdentityNumber(value)?.normalized;
  return digits ? `${digits.slice(0, 8)}-${digits.slice(8)}` : null;
}

/** 18 or older today, by the service's one age rule; an unknown birth date is not taken for a minor's. */
export const isAdult = (birthDate: string | null | undefined, today: Date = new Date()): boolean =>
  !birthDate || ageOn(birthDate, today) >= ADULT_AGE;

/** A date and time on the Stockholm clock, as printed: `2026-12-04 kl. 14:05`. */
export function stockholmDateTime(at: Date): string {
  const parts = new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Europe/Stockholm',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} kl. ${get('hour')}:${get('minute')}`;
}
