import { isMessageKey, t } from '$lib/i18n';
import { categoryLabel } from '$lib/components/cases/labels';
import { personWords } from '$lib/format/person';

/** A code from the consent API in the current locale; unknown codes as they are. */
function label(prefix: string, code: string): string {
	const key = `${prefix}.${code}`;
	return isMessageKey(key) ? t(key) : code;
}

export const consentStatusLabel = (code: string) => label('consents.status', code);
export const consentMethodLabel = (code: string) => label('consents.method', code);
/** Why an exchange is closed (or open): `no_consent` → "samtycke saknas". */
export const gateReasonLabel = (code: string) => label('consents.reason', code);
export const itemTypeLabel = (code: string) => label('consents.itemType', code);

export interface PartyPerson {
	id: string;
	firstName: string;
	lastName: string;
}

/**
 * "Anna Svensson (vårdnadshavare)", "Elin Svensson (den unge)" or, for an adult or an unknown
 * age, "Elin Svensson (personen själv)" for a party of a consent, from the case's subject and guardians.
 */
export function partyLabel(
	party: { kind: 'subject' | 'guardian'; guardianId?: string | undefined },
	subject: { firstName: string; lastName: string; birthDate?: string | null; guardians: readonly PartyPerson[] }
): string {
	if (party.kind === 'subject')
		return t('consents.party.subjectNamed', { name: `${subject.firstName} ${subject.lastName}`, person: personWords(subject.birthDate) });
	const g = subject.guardians.find((x) => x.id === party.guardianId);
	return g ? t('consents.party.guardianNamed', { name: `${g.firstName} ${g.lastName}` }) : t('consents.party.guardianUnknown');
}

export const categoryList = (codes: readonly string[]) => codes.map(categoryLabel).join(', ');
