import { Type, type Static, type TOptional, type TSchema, type TUnknown } from '@sinclair/typebox';
import { Problem, Uuid } from '../identity/identity.schemas.js';

/** The URNs of RFC 7643/7644 this service speaks. */
export const SCIM = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  enterprise: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  list: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patch: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
} as const;

export const SCIM_MEDIA_TYPE = 'application/scim+json';
/** Most results one page of GET /Users gives (`count` above it is lowered to it). */
export const SCIM_MAX_RESULTS = 200;

const Schemas = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 5 });

export const ScimName = Type.Object(
  {
    formatted: Type.Optional(Type.String({ maxLength: 400 })),
    givenName: Type.Optional(Type.String({ maxLength: 200 })),
    familyName: Type.Optional(Type.String({ maxLength: 200 })),
    middleName: Type.Optional(Type.String({ maxLength: 200 })),
    honorificPrefix: Type.Optional(Type.String({ maxLength: 50 })),
    honorificSuffix: Type.Optional(Type.String({ maxLength: 50 })),
  },
  { additionalProperties: false },
);
export type ScimName = Static<typeof ScimName>;

export const ScimEmail = Type.Object(
  {
    value: Type.String({ maxLength: 254 }),
    type: Type.Optional(Type.String({ maxLength: 50 })),
    primary: Type.Optional(Type.Boolean()),
    display: Type.Optional(Type.String({ maxLength: 254 })),
  },
  { additionalProperties: false },
);
export type ScimEmail = Static<typeof ScimEmail>;

/**
 * Attributes of the core User schema and its enterprise extension that directories send by
 * default but this service does not keep (less personal data): accepted and ignored, like the
 * read-only `id` and `meta`. `roles` and `groups` are ignored too: roles are given in Samverka.
 */
const IGNORED = [
  'id',
  'meta',
  'nickName',
  'profileUrl',
  'title',
  'userType',
  'preferredLanguage',
  'locale',
  'timezone',
  'password',
  'phoneNumbers',
  'ims',
  'photos',
  'addresses',
  'groups',
  'entitlements',
  'roles',
  'x509Certificates',
  SCIM.enterprise,
] as const;
export const IGNORED_ATTRIBUTES: ReadonlySet<string> = new Set(IGNORED.map((a) => a.toLowerCase()));
const ignored = Object.fromEntries(
  IGNORED.map((a) => [a, Type.Optional(Type.Unknown({ description: 'Accepted and ignored.' }))]),
) as Record<(typeof IGNORED)[number], TOptional<TUnknown>>;

/** A User as a directory creates (POST) or replaces (PUT) it. */
export const ScimUserBody = Type.Object(
  {
    schemas: Schemas,
    userName: Type.String({ minLength: 1, maxLength: 255, description: 'Also the user’s subject at the agency’s identity provider.' }),
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    name: Type.Optional(ScimName),
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
    emails: Type.Optional(Type.Array(ScimEmail, { maxItems: 10 })),
    active: Type.Optional(Type.Boolean()),
    ...ignored,
  },
  { additionalProperties: false },
);
export type ScimUserBody = Static<typeof ScimUserBody>;

export const ScimPatchBody = Type.Object(
  {
    schemas: Schemas,
    Operations: Type.Array(
      Type.Object(
        {
          op: Type.String({ minLength: 1, maxLength: 10, description: 'add, replace or remove (any case)' }),
          path: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
          // Its type depends on the path: checked per attribute when the operation is applied.
          value: Type.Optional(Type.Unknown()),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
  },
  { additionalProperties: false },
);
export type ScimPatchBody = Static<typeof ScimPatchBody>;

export const ScimUserOut = Type.Object({
  schemas: Type.Array(Type.String()),
  id: Uuid,
  externalId: Type.Optional(Type.String()),
  userName: Type.String(),
  name: Type.Optional(Type.Object({ givenName: Type.Optional(Type.String()), familyName: Type.Optional(Type.String()) })),
  displayName: Type.String(),
  emails: Type.Optional(Type.Array(Type.Object({ value: Type.String(), type: Type.String(), primary: Type.Boolean() }))),
  active: Type.Boolean(),
  meta: Type.Object({
    resourceType: Type.Literal('User'),
    created: Type.String({ format: 'date-time' }),
    lastModified: Type.String({ format: 'date-time' }),
    location: Type.String(),
  }),
});
export type ScimUserOut = Static<typeof ScimUserOut>;

export const ScimListOut = Type.Object({
  schemas: Type.Array(Type.String()),
  totalResults: Type.Integer({ minimum: 0 }),
  startIndex: Type.Integer({ minimum: 1 }),
  itemsPerPage: Type.Integer({ minimum: 0 }),
  Resources: Type.Array(ScimUserOut),
});
export type ScimListOut = Static<typeof ScimListOut>;

export const ScimListQuery = Type.Object({
  filter: Type.Optional(Type.String({ maxLength: 1000, description: '`userName eq "…"` or `externalId eq "…"`' })),
  startIndex: Type.Integer({ default: 1, description: '1-based; below 1 counts as 1 (RFC 7644 §3.4.2.4)' }),
  count: Type.Integer({ default: 100, description: `At most ${SCIM_MAX_RESULTS}; below 0 counts as 0` }),
});

export const ScimIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });

const Supported = Type.Object({ supported: Type.Boolean() });
export const ServiceProviderConfigOut = Type.Object({
  schemas: Type.Array(Type.String()),
  documentationUri: Type.Optional(Type.String()),
  patch: Supported,
  bulk: Type.Object({ supported: Type.Boolean(), maxOperations: Type.Integer(), maxPayloadSize: Type.Integer() }),
  filter: Type.Object({ supported: Type.Boolean(), maxResults: Type.Integer() }),
  changePassword: Supported,
  sort: Supported,
  etag: Supported,
  authenticationSchemes: Type.Array(
    Type.Object({ type: Type.String(), name: Type.String(), description: Type.String(), primary: Type.Boolean() }),
  ),
  meta: Type.Object({ resourceType: Type.Literal('ServiceProviderConfig'), location: Type.String() }),
});

/** A SCIM error (RFC 7644 §3.12), with the request id and the fields at fault like every other error of this API. */
export const ScimErrorOut = Type.Object({
  schemas: Type.Array(Type.String()),
  status: Type.String({ pattern: '^[0-9]{3}$' }),
  scimType: Type.Optional(Type.String()),
  detail: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
});
export type ScimErrorOut = Static<typeof ScimErrorOut>;

/**
 * Error answers of the SCIM routes, for the OpenAPI document. A malformed URL (400) or an over-long
 * one (414) is refused by the router before any SCIM route is chosen: then as problem+json.
 */
export function scimErrorResponses(
  ...codes: number[]
): Record<number, { description: string; content: Record<string, { schema: TSchema }> }> {
  return Object.fromEntries(
    codes.map((c) => [
      c,
      {
        description: 'A SCIM error (RFC 7644 §3.12)',
        content: {
          [SCIM_MEDIA_TYPE]: { schema: ScimErrorOut },
          ...(c === 400 || c === 414 ? { 'application/problem+json': { schema: Problem } } : {}),
        },
      },
    ]),
  );
}

export const ScimTokenParams = Type.Object({ id: Uuid, tokenId: Uuid }, { additionalProperties: false });
export const ScimTokenCreatedOut = Type.Object({
  id: Uuid,
  agencyId: Uuid,
  createdAt: Type.String({ format: 'date-time' }),
  token: Type.String({ description: 'Shown once: only its hash is kept.' }),
});
export const ScimTokenOut = Type.Object({
  id: Uuid,
  agencyId: Uuid,
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.Union([Uuid, Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type ScimTokenOut = Static<typeof ScimTokenOut>;
