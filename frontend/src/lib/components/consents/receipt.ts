/**
 * The fields of a signed consent receipt (Kantara Consent Receipt v1.1 plus Samverka's own
 * `givenBy`, `method`, `recipients`, `period`), read defensively: the receipt is an open JSON
 * document, and the page shows what is there without trusting its shape.
 */
export interface ReceiptView {
	version: string;
	jurisdiction: string;
	receiptId: string;
	consentId: string;
	caseId: string;
	principalId: string;
	/** Seconds since the epoch, as Kantara has it. */
	timestamp: number | null;
	collectionMethod: string;
	controllers: string[];
	service: string;
	purposes: { purpose: string; categories: string[]; legalBasis: string[]; consentType: string; termination: string }[];
	sensitive: boolean;
	givenBy: { kind: 'subject' } | { kind: 'guardian'; guardianId: string } | null;
	method: { kind: string; evidenceRef: string | null; witness: string | null } | null;
	recipients: string[];
	period: { validFrom: string; validTo: string } | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const objs = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

export function readReceipt(doc: Obj): ReceiptView {
	const service = objs(doc.services)[0] ?? {};
	const givenBy = isObj(doc.givenBy)
		? doc.givenBy.kind === 'guardian' && typeof doc.givenBy.guardianId === 'string'
			? { kind: 'guardian' as const, guardianId: doc.givenBy.guardianId }
			: doc.givenBy.kind === 'subject'
				? { kind: 'subject' as const }
				: null
		: null;
	const method = isObj(doc.method)
		? { kind: str(doc.method.kind), evidenceRef: str(doc.method.evidenceRef) || null, witness: str(doc.method.witness) || null }
		: null;
	const period = isObj(doc.period) ? { validFrom: str(doc.period.validFrom), validTo: str(doc.period.validTo) } : null;
	return {
		version: str(doc.version),
		jurisdiction: str(doc.jurisdiction),
		receiptId: str(doc.consentReceiptID),
		consentId: str(doc.consentId),
		caseId: str(doc.caseId),
		principalId: str(doc.piiPrincipalId),
		timestamp: typeof doc.consentTimestamp === 'number' && Number.isFinite(doc.consentTimestamp) ? doc.consentTimestamp : null,
		collectionMethod: str(doc.collectionMethod),
		controllers: objs(doc.piiControllers)
			.map((c) => str(c.piiController))
			.filter(Boolean),
		service: str(service.service),
		purposes: objs(service.purposes).map((p) => ({
			purpose: str(p.purpose),
			categories: strs(p.piiCategory),
			legalBasis: strs(p.purposeCategory),
			consentType: str(p.consentType),
			termination: str(p.termination)
		})),
		sensitive: doc.sensitive === true,
		givenBy,
		method,
		recipients: objs(doc.recipients)
			.map((r) => str(r.name))
			.filter(Boolean),
		period: period && period.validFrom && period.validTo ? period : null
	};
}
