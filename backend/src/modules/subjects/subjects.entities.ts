import { EntitySchema } from '@mikro-orm/core';

export const PROTECTED_IDENTITY = ['none', 'sekretessmarkering', 'skyddad_folkbokforing'] as const;
export type ProtectedIdentity = (typeof PROTECTED_IDENTITY)[number];

/** The person a case is about, owned by the social services agency that opened the first case. */
export class Subject {
  id!: string;
  ownerAgencyId!: string;
  /** Normalised, 12 digits. */
  personalIdentityNumber!: string;
  coordinationNumber = false;
  /** `YYYY-MM-DD`, derived from the personal identity number. */
  birthDate!: string;
  firstName!: string;
  lastName!: string;
  protectedIdentity: ProtectedIdentity = 'none';
  phone?: string | null;
  email?: string | null;
  address?: string | null;
  createdAt: Date = new Date();
  updatedAt: Date = new Date();
}

export class Guardian {
  id!: string;
  subjectId!: string;
  firstName!: string;
  lastName!: string;
  personalIdentityNumber?: string | null;
  custody!: boolean;
  phone?: string | null;
  email?: string | null;
  address?: string | null;
  createdAt: Date = new Date();
}

export const SubjectSchema = new EntitySchema<Subject>({
  class: Subject,
  tableName: 'subject',
  properties: {
    id: { type: 'uuid', primary: true },
    ownerAgencyId: { type: 'uuid' },
    personalIdentityNumber: { type: 'string', columnType: 'char(12)' },
    coordinationNumber: { type: 'boolean' },
    birthDate: { type: 'string', columnType: 'date' },
    firstName: { type: 'string' },
    lastName: { type: 'string' },
    protectedIdentity: { type: 'string' },
    phone: { type: 'string', nullable: true },
    email: { type: 'string', nullable: true },
    address: { type: 'string', nullable: true },
    createdAt: { type: 'datetime' },
    updatedAt: { type: 'datetime' },
  },
});

export const GuardianSchema = new EntitySchema<Guardian>({
  class: Guardian,
  tableName: 'guardian',
  properties: {
    id: { type: 'uuid', primary: true },
    subjectId: { type: 'uuid' },
    firstName: { type: 'string' },
    lastName: { type: 'string' },
    personalIdentityNumber: { type: 'string', columnType: 'char(12)', nullable: true },
    custody: { type: 'boolean' },
    phone: { type: 'string', nullable: true },
    email: { type: 'string', nullable: true },
    address: { type: 'string', nullable: true },
    createdAt: { type: 'datetime' },
  },
});
