import type { SubmitFunction } from '@sveltejs/kit';

/**
 * `use:enhance` for a form with a second button that downloads a PDF made from the same fields
 * (`data-download` and `formaction` on that button): that button's submit is fetched and saved as
 * a file, so the page and what the user typed stay; any other submit goes to `submit` as usual.
 * Without JavaScript the button posts the form to its `formaction` and the browser downloads.
 */
export function withPdfDownload(submit: SubmitFunction, onDone: (ok: boolean) => void): SubmitFunction {
	return (input) => {
		if (!input.submitter?.hasAttribute('data-download')) return submit(input);
		input.cancel();
		void download(input.action, input.formData).then(onDone);
	};
}

async function download(action: URL, body: FormData): Promise<boolean> {
	const response = await fetch(action, { method: 'POST', body, headers: { accept: 'application/pdf' } }).catch(() => null);
	if (!response?.ok || response.headers.get('content-type') !== 'application/pdf') return false;
	const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'samtycke.pdf';
	const url = URL.createObjectURL(await response.blob());
	const a = document.createElement('a');
	a.href = url;
	a.download = name;
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 10_000);
	return true;
}
