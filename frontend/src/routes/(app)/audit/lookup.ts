/**
 * The auditor's lookup of a person (GDPR art. 15): a personnummer typed into a POST form goes to
 * the API in a request body and comes back as subject ids only. Pure helpers, unit-tested.
 */

/** A light shape check before asking the API, which decides (check digit, date): 10 or 12 digits, optional - or +. */
export function looksLikePersonnummer(value: string): boolean {
	return /^(\d{2})?\d{6}[-+]?\d{4}$/.test(value.trim());
}

export type LookupOutcome = { kind: 'redirect'; href: string } | { kind: 'several'; ids: string[] } | { kind: 'none' };

/** One subject: straight to the extract. Several (one per agency that registered the person): a list. None: say so. */
export function lookupOutcome(subjects: { id: string }[]): LookupOutcome {
	if (subjects.length === 1) return { kind: 'redirect', href: `/audit/subjects/${encodeURIComponent(subjects[0]!.id)}` };
	if (subjects.length > 1) return { kind: 'several', ids: subjects.map((s) => s.id) };
	return { kind: 'none' };
}
