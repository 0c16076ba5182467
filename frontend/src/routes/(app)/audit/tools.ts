import type { MessageKey } from '$lib/i18n';

/** The auditor's tools, each on a view of its own, in the order of the navigation. */
export const AUDIT_TOOLS: readonly { href: string; label: MessageKey; description: MessageKey }[] = [
	{ href: '/audit/integrity', label: 'audit.tools.integrity', description: 'audit.tools.integrity.description' },
	{ href: '/audit/search', label: 'audit.tools.search', description: 'audit.tools.search.description' },
	{ href: '/audit/timeline', label: 'audit.tools.timeline', description: 'audit.tools.timeline.description' },
	{ href: '/audit/anomalies', label: 'audit.tools.anomalies', description: 'audit.tools.anomalies.description' },
	{ href: '/audit/subjects', label: 'audit.tools.subjects', description: 'audit.tools.subjects.description' },
	{ href: '/audit/retention', label: 'retention.tool', description: 'retention.tool.description' }
];
