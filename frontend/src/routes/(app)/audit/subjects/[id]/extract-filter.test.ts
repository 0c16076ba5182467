import { describe, expect, it } from 'vitest';
import { extractQuery, parseExtractFilter } from './extract-filter';

describe("the grouped extract's filter in the URL", () => {
	it('passes valid values on as the API wants them and reports the others', () => {
		const f = parseExtractFilter(new URLSearchParams('from=2026-12-01&to=2026-12-02&action=case.read&own=hide&page=3'));
		expect(f.errors).toEqual({});
		expect(f.api).toEqual({ from: '2026-12-01', to: '2026-12-02', category: 'case.read' });
		expect(f).toMatchObject({ hideOwn: true, view: 'groups', page: 3 });
		const bad = parseExtractFilter(new URLSearchParams('from=2026-13-01&agencyId=x&action=Läs&view=rows'));
		expect(bad.errors).toEqual({ from: 'invalidDate', agencyId: 'invalidId', action: 'invalidAction' });
		expect(bad.api).toEqual({});
		expect(bad.view).toBe('rows');
		expect(parseExtractFilter(new URLSearchParams('from=2026-12-02&to=2026-12-01')).errors).toEqual({ to: 'periodOrder' });
	});

	it('writes a query string without empty values or defaults', () => {
		expect(extractQuery({ from: '', own: 'hide', view: 'groups' })).toBe('?own=hide');
		expect(extractQuery({ view: 'rows' }, 2)).toBe('?view=rows&page=2');
	});
});
