import { Type, type Static } from '@sinclair/typebox';
import { RecordConsentBody } from '../consents/consents.schemas.js';
import { Uuid } from '../identity/identity.schemas.js';

export const MeetingParams = Type.Object({ id: Uuid, meetingId: Uuid }, { additionalProperties: false });

/** A consent form's scope: a consent's fields without how it was given (the form is how). */
export const ConsentFormBody = Type.Pick(RecordConsentBody, ['givenBy', 'agencyIds', 'categories', 'purpose', 'validFrom', 'validTo'], {
  additionalProperties: false,
});
export type ConsentFormBody = Static<typeof ConsentFormBody>;

/** A printout: an A4 PDF, sent as a download and never cached. */
export const PdfResponse = {
  description: 'An A4 PDF document (Content-Disposition: attachment; the file name carries no personal data)',
  content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
};
