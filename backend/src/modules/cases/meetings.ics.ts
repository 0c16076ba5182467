/**
 * A network meeting as an iCalendar invitation (RFC 5545, METHOD from RFC 5546), written by hand:
 * the file carries the case number, the place and the time, nothing else about the person — no
 * names, no agenda — so it may travel by e-mail and sit in any calendar. Pure, no I/O.
 */

export interface InviteMeeting {
  id: string;
  caseNumber: string | null;
  status: 'planned' | 'held' | 'cancelled';
  /** ISO date-time (UTC) or null for a meeting recorded with a date only. */
  startsAt: string | null;
  endsAt: string | null;
  date: string;
  place: string | null;
  sequence: number;
  updatedAt: string;
}

const CRLF = '\r\n';

/** `20261205T083000Z` from an ISO instant. */
const utc = (iso: string): string =>
  new Date(iso)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/** TEXT value escaping (RFC 5545 3.3.11). */
const text = (s: string): string => s.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');

/** Folds a content line at 75 octets, never inside a UTF-8 character (RFC 5545 3.1). */
export function fold(line: string): string {
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch);
    // Continuation lines start with a space, which counts towards their 75.
    if (octets + n > 75) {
      out.push(current);
      current = ' ';
      octets = 1;
    }
    current += ch;
    octets += n;
  }
  out.push(current);
  return out.join(CRLF);
}

const nextDay = (date: string): string => {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10).replace(/-/g, '');
};

export function meetingInvite(m: InviteMeeting, now: Date, host: string): string {
  const cancelled = m.status === 'cancelled';
  const summary = m.caseNumber ? `Nätverksmöte ${m.caseNumber}` : 'Nätverksmöte';
  const when =
    m.startsAt && m.endsAt
      ? [`DTSTART:${utc(m.startsAt)}`, `DTEND:${utc(m.endsAt)}`]
      : [`DTSTART;VALUE=DATE:${m.date.replace(/-/g, '')}`, `DTEND;VALUE=DATE:${nextDay(m.date)}`];
  const place = m.place === 'digital' ? 'Digitalt möte' : m.place;
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Samverka//Natverksmote//SV',
    'CALSCALE:GREGORIAN',
    `METHOD:${cancelled ? 'CANCEL' : 'REQUEST'}`,
    'BEGIN:VEVENT',
    `UID:${m.id}@${host}`,
    `SEQUENCE:${m.sequence}`,
    `DTSTAMP:${utc(now.toISOString())}`,
    `LAST-MODIFIED:${utc(m.updatedAt)}`,
    ...when,
    `SUMMARY:${text(summary)}`,
    ...(place ? [`LOCATION:${text(place)}`] : []),
    `STATUS:${cancelled ? 'CANCELLED' : 'CONFIRMED'}`,
    'TRANSP:OPAQUE',
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return lines.map(fold).join(CRLF) + CRLF;
}
