import type { paths } from '$lib/api/schema';

/** API shapes the audit components show (types only; the data comes from the pages' loads). */
type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

export type AuditVerification = Json<paths['/api/audit/verify']['get']['responses'][200]>;
export type AuditCheckpoint = NonNullable<AuditVerification['lastCheckpoint']>;
export type AuditEvent = Json<paths['/api/audit/events']['get']['responses'][200]>['items'][number];
export type AuditTimeline = Json<paths['/api/audit/timeline']['get']['responses'][200]>;
export type AuditAnomaly = Json<paths['/api/audit/anomalies']['get']['responses'][200]>['items'][number];
export type AuditExtract = Json<paths['/api/audit/subjects/{id}/extract']['get']['responses'][200]>;
export type AuditExtractGroups = Json<paths['/api/audit/subjects/{id}/extract/groups']['get']['responses'][200]>;
export type AuditExtractGroup = AuditExtractGroups['groups'][number];
