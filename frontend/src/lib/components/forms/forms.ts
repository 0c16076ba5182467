import { tick } from 'svelte';
import type { SubmitFunction } from '@sveltejs/kit';
import { isMessageKey, type MessageKey } from '$lib/i18n/messages';

/**
 * `use:enhance` for the forms: after a failed submit focus moves to the form's error summary
 * (without JS its `autofocus` does that on the reloaded page); `reset: false` keeps what the user
 * typed when the server answers with the same form again (search, adding a guardian row).
 */
export function enhanceForm(options: { reset?: boolean; after?: (formElement: HTMLFormElement) => void } = {}): SubmitFunction {
	return ({ formElement }) =>
		async ({ result, update }) => {
			await update({ reset: options.reset ?? true });
			await tick();
			if (result.type === 'failure') {
				const summary = formElement.querySelector<HTMLElement>('.error-summary') ?? document.querySelector<HTMLElement>('.error-summary');
				summary?.focus();
			} else {
				options.after?.(formElement);
			}
		};
}

/** What a failed form action returns (see `formFailure` in `$lib/server/cases`). */
export interface FormFailure {
	action: string;
	/** The summary message. */
	error: MessageKey;
	fieldErrors: Record<string, MessageKey>;
	/** What the user entered, to fill the form in again. */
	values: Record<string, string>;
	/** The plan item or entry the form was about, when the page has one form per item. */
	itemId?: string;
}

/**
 * The failure in a page's `form` prop, if any (optionally: only for this action). Kit types
 * `form` as the union of every action's answer, which does not narrow by itself.
 */
export function failureOf(form: unknown, action?: string): FormFailure | null {
	if (!form || typeof form !== 'object') return null;
	const f = form as Partial<FormFailure>;
	if (typeof f.error !== 'string' || typeof f.action !== 'string') return null;
	if (action !== undefined && f.action !== action) return null;
	return {
		action: f.action,
		error: f.error,
		fieldErrors: f.fieldErrors ?? {},
		values: f.values ?? {},
		...(f.itemId ? { itemId: f.itemId } : {})
	};
}

/** The confirmation in a page's `form` prop after a successful save, if any. */
export function savedOf(form: unknown): MessageKey | null {
	if (!form || typeof form !== 'object') return null;
	const saved = (form as { saved?: unknown }).saved;
	return typeof saved === 'string' && isMessageKey(saved) ? saved : null;
}
