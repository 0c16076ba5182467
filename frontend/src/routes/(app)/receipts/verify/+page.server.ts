import type { MessageKey } from '$lib/i18n/messages';
import { apiFailure, formFailure, formValues } from '$lib/server/cases';
import type { Actions } from './$types';

/** A pasted receipt is at most this long (a real one is a few kilobytes). */
const MAX_RECEIPT = 100_000;

export const actions = {
	/** Checks a pasted receipt's signature with the API; any signed-in role may. */
	verify: async ({ request, locals }) => {
		const values = formValues(await request.formData(), ['receipt', 'signature', 'kid']);
		const e: Record<string, MessageKey> = {};
		let receipt: Record<string, unknown> | null = null;
		if (!values.receipt) e.receipt = 'consents.verify.error.receiptRequired';
		else if (values.receipt.length > MAX_RECEIPT) e.receipt = 'consents.verify.error.tooLong';
		else {
			try {
				const parsed: unknown = JSON.parse(values.receipt);
				if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) receipt = parsed as Record<string, unknown>;
			} catch {
				receipt = null;
			}
			if (!receipt) e.receipt = 'consents.verify.error.receiptInvalid';
		}
		if (!values.signature) e.signature = 'consents.verify.error.signatureRequired';
		else if (values.signature.length > 200) e.signature = 'consents.verify.error.tooLong';
		if (!values.kid) e.kid = 'consents.verify.error.kidRequired';
		else if (values.kid.length > 100) e.kid = 'consents.verify.error.tooLong';
		if (Object.keys(e).length > 0 || !receipt) return formFailure(400, 'verify', 'cases.form.fixErrors', values, e);
		try {
			const { valid } = await locals.api.consents.verifyReceipt({ receipt, signature: values.signature!, kid: values.kid! });
			return { action: 'verify', valid, values };
		} catch (err) {
			return apiFailure(err, {
				action: 'verify',
				requestId: locals.requestId,
				values,
				fieldFor: (p) => ['receipt', 'signature', 'kid'].find((f) => p.startsWith(f)) ?? null
			});
		}
	}
} satisfies Actions;
