import { describe, expect, it } from 'vitest';
import { messageCatalogs } from '../../i18n/messages';
import { MATRIX_REASONS, matrixReasonKey } from './matrix-reasons';

describe('consent matrix reasons', () => {
	it.each(MATRIX_REASONS)('%s has its own sentence in Swedish and English', (code) => {
		const key = matrixReasonKey(code);
		expect(key).toBe(`consents.matrix.reason.${code}`);
		expect(messageCatalogs.sv[key]).toMatch(/\.$/);
		expect(messageCatalogs.en[key]).toMatch(/\.$/);
		expect(messageCatalogs.en[key]).not.toBe(messageCatalogs.sv[key]);
	});

	it('says in words that a cell is closed even for a reason it does not know', () => {
		expect(matrixReasonKey('some_future_reason')).toBe('consents.matrix.reason.unknown');
		expect(matrixReasonKey('__proto__')).toBe('consents.matrix.reason.unknown');
	});
});
