import { t, type MessageKey } from '$lib/i18n';

/** Labels for the values a concern answer carries; an unknown value is shown as it came. */
const label = (prefix: string, value: string): string => {
	const key = `${prefix}.${value}`;
	return t(key as MessageKey);
};

export const urgencyLabel = (u: string): string => label('concerns.urgency', u);
export const concernStatusLabel = (s: string): string => label('concerns.status', s);
export const decisionLabel = (d: string): string => label('concerns.decision', d);
/** `2026-12-05T10:00:00Z` → `2026-12-05` (the Swedish way of writing a date). */
export const dayOf = (iso: string): string => iso.slice(0, 10);
