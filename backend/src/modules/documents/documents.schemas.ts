import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { WithheldOut } from '../consents/consents.schemas.js';
import { Uuid } from '../identity/identity.schemas.js';
import { DOCUMENT_MEDIA_TYPES } from './documents.content.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const DocumentParams = Type.Object({ id: Uuid }, { additionalProperties: false });

/** TypeBox's own checker (used for multipart fields) knows no formats: a uuid by its pattern. */
const UuidField = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });

/**
 * The text fields of an upload (multipart/form-data, beside the one file). Checked with this
 * schema by the route, since a multipart body is not validated by Fastify's body schema.
 */
export const UploadFields = Type.Object(
  {
    category: Type.String({ pattern: '^[a-z_]{1,40}$' }),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })),
    consentId: Type.Optional(UuidField),
    meetingId: Type.Optional(UuidField),
  },
  { additionalProperties: false },
);
export type UploadFields = Static<typeof UploadFields>;

export const MediaTypeT = Type.Union(DOCUMENT_MEDIA_TYPES.map((t) => Type.Literal(t)));

/** A document's metadata (never its bytes); classified field by field in policies/disclosure.yaml (view `document`). */
export const DocumentOut = Type.Object({
  id: Uuid,
  caseId: Uuid,
  category: Type.String(),
  title: Nullable(Type.String()),
  mediaType: MediaTypeT,
  size: Type.Integer({ description: 'Size in bytes' }),
  sha256: Type.String({ description: 'SHA-256 of the content, hex' }),
  consentId: Nullable(Uuid),
  meetingId: Nullable(Uuid),
  authorAgencyId: Uuid,
  authorUserId: Uuid,
  authorName: Nullable(Type.String({ description: 'Display name of the staff member who uploaded it' })),
  createdAt: Type.String({ format: 'date-time' }),
});
export type DocumentOut = Static<typeof DocumentOut>;

export const DocumentList = Type.Object({ items: Type.Array(DocumentOut), withheld: WithheldOut });

/** The download's 200: the checked content type, as bytes. */
export const DocumentBytes: { description: string; content: Record<string, { schema: TSchema }> } = {
  description: 'The document, as uploaded (content type as checked on upload)',
  content: Object.fromEntries(DOCUMENT_MEDIA_TYPES.map((t) => [t, { schema: Type.String({ format: 'binary' }) }])),
};
