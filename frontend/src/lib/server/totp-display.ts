/** The key of an otpauth:// URI in groups of four, for typing into an authenticator app by hand. */
export function secretOfUri(otpauthUri: string): string {
	const secret = new URL(otpauthUri).searchParams.get('secret') ?? '';
	return secret.replace(/(.{4})(?=.)/g, '$1 ');
}
