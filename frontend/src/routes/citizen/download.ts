/** An API answer passed on as a file download: never cached, never sniffed, a name without personal data. */
export function download(upstream: Response, filename: string): Response {
	return new Response(upstream.body, {
		status: 200,
		headers: {
			'content-type': upstream.headers.get('content-type') ?? 'application/json',
			'content-disposition': `attachment; filename="${filename}"`,
			'cache-control': 'no-store',
			'x-content-type-options': 'nosniff'
		}
	});
}
