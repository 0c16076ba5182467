/**
 * Checks a personnummer or samordningsnummer as the API does (same forms, Luhn check digit, real
 * date, birth number 000 never issued), so a typing mistake is reported on the right field before
 * anything is sent. The API still decides.
 */
export interface ParsedPersonnummer {
	/** `YYYYMMDDNNNC` */
	normalized: string;
	/** `YYYY-MM-DD` (a samordningsnummer's +60 removed) */
	birthDate: string;
}

const FORM = /^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{3})(\d)$/;

function luhnValid(tenDigits: string): boolean {
	let sum = 0;
	for (let i = 0; i < tenDigits.length; i++) {
		let d = tenDigits.charCodeAt(i) - 48;
		if (i % 2 === 0) {
			d *= 2;
			if (d > 9) d -= 9;
		}
		sum += d;
	}
	return sum % 10 === 0;
}

export function parsePersonnummer(input: string, today: Date = new Date()): ParsedPersonnummer | null {
	const m = FORM.exec(input.trim());
	if (!m) return null;
	const [, century, yy, mm, dd, sep, serial, check] = m as unknown as [
		string,
		string | undefined,
		string,
		string,
		string,
		string,
		string,
		string
	];
	let year: number;
	if (century !== undefined) {
		year = Number(century) * 100 + Number(yy);
	} else {
		const base = today.getUTCFullYear() - (sep === '+' ? 100 : 0);
		year = base - ((((base - Number(yy)) % 100) + 100) % 100);
	}
	const month = Number(mm);
	let day = Number(dd);
	if (day > 60) day -= 60;
	if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
	if (serial === '000' || !luhnValid(`${yy}${mm}${dd}${serial}${check}`)) return null;
	const birthDate = `${String(year).padStart(4, '0')}-${mm}-${String(day).padStart(2, '0')}`;
	if (birthDate > today.toISOString().slice(0, 10)) return null;
	return { normalized: `${String(year).padStart(4, '0')}${mm}${dd}${serial}${check}`, birthDate };
}
