/**
 * Names of the agencies a caller may know of in this case. A partner's options list only its own
 * agency and social services, so the case's participants (those named with it in the consent that
 * opens the case to it) are the other source; the owner gets every agency in both.
 */
export function agencyNames(
	agencies: readonly { id: string; name: string }[],
	participants: readonly { agencyId: string; name: string }[]
): Record<string, string> {
	const names: Record<string, string> = {};
	for (const a of agencies) names[a.id] = a.name;
	for (const p of participants) names[p.agencyId] = p.name;
	return names;
}
