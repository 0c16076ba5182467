/**
 * The people who sign in to the citizen's pages in the browser tests, through the test
 * e-identification provider that the global setup starts before the API. Their personnummer are
 * made up fresh for every run (valid check digits, a random birth number), so data from earlier
 * runs or other test files never matches them.
 */

/** A valid 12-digit personnummer for someone who turned `age` about `daysPast` days ago. */
export function freshPersonnummer(age: number, daysPast = 100): string {
	const born = new Date();
	born.setUTCFullYear(born.getUTCFullYear() - age);
	born.setUTCDate(born.getUTCDate() - daysPast);
	const yyyy = String(born.getUTCFullYear());
	const mm = String(born.getUTCMonth() + 1).padStart(2, '0');
	const dd = String(born.getUTCDate()).padStart(2, '0');
	const serial = String(100 + Math.floor(Math.random() * 880));
	const nine = `${yyyy.slice(2)}${mm}${dd}${serial}`;
	let sum = 0;
	for (let i = 0; i < 9; i++) {
		let d = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
		if (d > 9) d -= 9;
		sum += d;
	}
	return `${yyyy}${mm}${dd}${serial}${(10 - (sum % 10)) % 10}`;
}

export interface TestCitizen {
	/** What the person types at the provider's sign-in page. */
	login: string;
	password: string;
	/** 12 digits: what the provider vouches for (`personal_identity_number`). */
	personalIdentityNumber: string;
}

/** Who the citizen tests need, by what they are in the story. */
export interface TestCitizens {
	/** A guardian with custody of a 12-year-old. */
	guardian: TestCitizen;
	/** The 12-year-old's other guardian, without custody: sees nothing. */
	guardianWithoutCustody: TestCitizen;
	/** A 15-year-old who sees their own consents. */
	youth: TestCitizen;
	/** A guardian with custody of a child with sekretessmarkering and no secrecy review yet. */
	guardianOfProtected: TestCitizen;
}

export const CITIZEN_CLIENT_ID = 'samverka-e2e-citizen';
export const LOA3 = 'http://id.elegnamnden.se/loa/1.0/loa3';

export function makeTestCitizens(): TestCitizens {
	const person = (login: string, age: number): TestCitizen => ({
		login,
		password: `${login}-lösen`,
		personalIdentityNumber: freshPersonnummer(age)
	});
	return {
		guardian: person('vardnadshavare', 41),
		guardianWithoutCustody: person('utan-vardnad', 43),
		youth: person('ungdom', 15),
		guardianOfProtected: person('skyddad', 39)
	};
}
