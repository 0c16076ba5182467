// A bounded load through the public API with real sign-ins: journal entries and consents
// written, the case and its entries read. Every answer is recorded, so that each acknowledged
// (2xx) write can be looked for afterwards and the outage be measured from the client's side.
import { sleep } from './procs.js';

const PASSWORD = process.env.DEMO_PASSWORD ?? 'samverka-demo-2026';

export interface Answer {
  status: number;
  body: unknown;
  /** Index of the API process that answered. */
  api: number;
}

/** The request never reached an API (refused, reset, timed out): safe to send to the other one. */
export class Unreachable extends Error {}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

export class Client {
  /** API base URLs; an entry set to null is known to be down and skipped. */
  constructor(readonly apis: string[]) {}

  async call(api: number, method: string, path: string, token: string | null, body?: unknown): Promise<Answer> {
    let res: Response;
    try {
      res = await fetch(`${this.apis[api]}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (e) {
      throw new Unreachable(`${method} ${path} on API ${api + 1}: ${(e as Error).message}`);
    }
    const text = await res.text().catch(() => '');
    return { status: res.status, body: parseJson(text), api };
  }

  /** Tries `first`, then the other API when the first cannot be reached at all (what a load balancer does). */
  async send(first: number, method: string, path: string, token: string | null, body?: unknown): Promise<Answer> {
    try {
      return await this.call(first, method, path, token, body);
    } catch (e) {
      if (!(e instanceof Unreachable) || this.apis.length < 2) throw e;
      return this.call((first + 1) % this.apis.length, method, path, token, body);
    }
  }

  async login(api: number, username: string): Promise<string> {
    const r = await this.call(api, 'POST', '/api/auth/login', null, { username, password: PASSWORD });
    const token = (r.body as { accessToken?: string } | null)?.accessToken;
    if (r.status !== 200 || !token) throw new Error(`sign-in of ${username} on API ${api + 1} answered ${r.status}`);
    return token;
  }

  async ok<T>(api: number, method: string, path: string, token: string, body?: unknown): Promise<T> {
    const r = await this.call(api, method, path, token, body);
    if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body as T;
  }
}

/** A valid Swedish personnummer for a birth date (YYYYMMDD) and a three-digit birth number. */
function personnummer(birth: string, serial: string): string {
  const nine = `${birth.slice(2)}${serial}`;
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    let d = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return `${birth}${serial}${(10 - (sum % 10)) % 10}`;
}

export interface Fixture {
  caseId: string;
  social: string;
  school: string;
  agencies: { social: string; school: string };
}

/** A case owned by social services with the school as a partner, and the subject's consent to share with it. */
export async function createFixture(client: Client): Promise<Fixture> {
  const social = await client.login(0, 'social');
  const school = await client.login(1 % client.apis.length, 'school');
  const admin = await client.login(0, 'admin');
  const agencies = await client.ok<{ id: string; kind: string }[]>(0, 'GET', '/api/admin/agencies', admin);
  const id = (kind: string): string => agencies.find((a) => a.kind === kind)!.id;
  const ids = { social: id('social_services'), school: id('school') };
  // An adult: the subject's own consent lets the partner read.
  const birth = new Date(Date.now() - 19 * 365.25 * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
  const created = await client.ok<{ id: string }>(0, 'POST', '/api/cases', social, {
    type: 'sspf',
    area: 'Norrby',
    reason: 'HA drill',
    agencyIds: [ids.school],
    subject: { personalIdentityNumber: personnummer(birth, '482'), firstName: 'Drill', lastName: 'Failoversson', guardians: [] },
  });
  return { caseId: created.id, social, school, agencies: ids };
}

export interface Op {
  kind: 'entry' | 'consent' | 'read';
  api: number;
  start: number;
  end: number;
  status: number;
  /** Id of the written row, for acknowledged writes. */
  id?: string;
  /** Request id of a 5xx problem answer other than 503, to find it in the API's log. */
  requestId?: string;
}

export interface Load {
  ops: Op[];
  stop(): Promise<void>;
}

/**
 * Two journal-entry writers, one consent writer and two readers (owner and partner), each pausing
 * between requests so that the whole stays a small share of the two cores. Writers alternate
 * between the API processes.
 */
export function startLoad(client: Client, f: Fixture): Load {
  const ops: Op[] = [];
  let running = true;
  const today = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  const loop = async (kind: Op['kind'], pauseMs: number, request: (n: number, api: number) => Promise<Answer>): Promise<void> => {
    for (let n = 0; running; n++) {
      const api = n % client.apis.length;
      const start = Date.now();
      let op: Op;
      try {
        const r = await request(n, api);
        const { id, requestId } = (r.body ?? {}) as { id?: unknown; requestId?: unknown };
        op = {
          kind,
          api: r.api,
          start,
          end: Date.now(),
          status: r.status,
          ...(typeof id === 'string' && r.status < 300 ? { id } : {}),
          ...(typeof requestId === 'string' && r.status >= 500 && r.status !== 503 ? { requestId } : {}),
        };
      } catch {
        op = { kind, api, start, end: Date.now(), status: 0 };
      }
      ops.push(op);
      // After a failure, a short wait before trying again (clients back off).
      await sleep(op.status >= 200 && op.status < 300 ? pauseMs : 100);
    }
  };
  const entry = (w: number) => (n: number, api: number) =>
    client.send(api, 'POST', `/api/cases/${f.caseId}/entries`, f.social, {
      category: 'social',
      text: `HA drill, writer ${w}, entry ${n}.`,
    });
  const loops = [
    loop('entry', 40, entry(1)),
    loop('entry', 40, entry(2)),
    loop('consent', 400, (_n, api) =>
      client.send(api, 'POST', `/api/cases/${f.caseId}/consents`, f.social, {
        givenBy: { kind: 'subject' },
        agencyIds: [f.agencies.social, f.agencies.school],
        categories: ['identity', 'social'],
        purpose: 'HA drill',
        validFrom: today(-1),
        validTo: today(180),
        method: 'written',
        evidenceRef: 'ha-drill',
      }),
    ),
    loop('read', 60, (n, api) =>
      client.send(api, 'GET', n % 2 ? `/api/cases/${f.caseId}` : `/api/cases/${f.caseId}/entries?pageSize=20`, f.social),
    ),
    loop('read', 60, (_n, api) => client.send(api, 'GET', `/api/cases/${f.caseId}/entries?pageSize=20`, f.school)),
  ];
  return {
    ops,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/**
 * After a fault at `at`: when writes were served again (ms after `at`), or null while none has
 * been acknowledged since. The outage is the longest pause in acknowledged writes that began by
 * `graceMs` after `at` (a killed postmaster's backends may still answer for a moment, and the
 * outage only begins when they are gone); later pauses are not the fault's.
 */
export function writesBackAfter(ops: Op[], at: number, until = Infinity, graceMs = 1_000): number | null {
  const acks = ops
    .filter((o) => o.kind !== 'read' && o.status >= 200 && o.status < 300 && o.end <= until)
    .map((o) => o.end)
    .sort((a, b) => a - b);
  let prev = acks.filter((t) => t <= at).at(-1) ?? at;
  let longest = -1;
  let back: number | null = null;
  for (const t of acks) {
    if (t <= at) continue;
    if (prev > at + graceMs) break;
    if (t - prev > longest) {
      longest = t - prev;
      back = t - at;
    }
    prev = t;
  }
  return back;
}

/** The longest time between two consecutive acknowledged writes, in ms. */
export function longestWriteGap(ops: Op[]): number {
  const acks = ops
    .filter((o) => o.kind !== 'read' && o.status >= 200 && o.status < 300)
    .map((o) => o.end)
    .sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < acks.length; i++) gap = Math.max(gap, acks[i]! - acks[i - 1]!);
  return gap;
}
