import { parsePersonnummer } from '../components/cases/personnummer';

/**
 * A personnummer or samordningsnummer as it is shown everywhere: `YYYYMMDD-NNNN`. The API
 * stores and answers the 12 normalised digits; a shorter or differently separated form is
 * normalised first. Anything that is not a valid number is shown as it is rather than hidden.
 */
export function formatPersonnummer(value: string, today: Date = new Date()): string {
	const digits = /^\d{12}$/.test(value) ? value : parsePersonnummer(value, today)?.normalized;
	return digits ? `${digits.slice(0, 8)}-${digits.slice(8)}` : value;
}
