import { describe, expect, it } from 'vitest';
import { ledgerQuery, parseLedgerFilter } from './ledger-filter';

describe('the ledger filter in the URL', () => {
	it('passes valid values on to the API and reports the others', () => {
		const f = parseLedgerFilter(
			new URLSearchParams('from=2026-12-01&to=2026-12-05&agencyId=0191B3C4-0000-4000-8000-000000000001&category=school&page=2')
		);
		expect(f.errors).toEqual({});
		expect(f.api).toEqual({ from: '2026-12-01', to: '2026-12-05', agencyId: '0191b3c4-0000-4000-8000-000000000001', category: 'school' });
		expect(f.page).toBe(2);
		expect(f.view).toBe('groups');

		const bad = parseLedgerFilter(new URLSearchParams('from=2026-02-30&to=1/12&agencyId=x&category=Skola&page=-1&view=rows'));
		expect(bad.errors).toEqual({ from: 'invalidDate', to: 'invalidDate', agencyId: 'invalidAgency', category: 'invalidCategory' });
		expect(bad.api).toEqual({});
		expect(bad.page).toBe(1);
		expect(bad.view).toBe('rows');
	});

	it('refuses a period that ends before it starts', () => {
		expect(parseLedgerFilter(new URLSearchParams('from=2026-12-05&to=2026-12-01')).errors).toEqual({ to: 'periodOrder' });
	});

	it('writes a query string without empty values, the default view or page 1', () => {
		expect(ledgerQuery({ from: '2026-12-01', to: '', view: 'groups' })).toBe('?from=2026-12-01');
		expect(ledgerQuery({ category: 'school', view: 'rows' }, 3)).toBe('?category=school&view=rows&page=3');
		expect(ledgerQuery({})).toBe('');
	});
});
