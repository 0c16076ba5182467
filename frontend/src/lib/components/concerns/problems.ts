import type { MessageKey } from '$lib/i18n/messages';

/** The API's problem codes for concerns, each as a message and the form field it is about. */
export const CONCERN_PROBLEMS: Record<string, { message: MessageKey; field?: string }> = {
	invalid_personal_identity_number: { message: 'concerns.error.pinInvalid', field: 'pin' },
	birth_date_in_future: { message: 'concerns.error.birthDateInvalid', field: 'birthDate' },
	person_unidentified: { message: 'concerns.error.personMissing', field: 'pin' },
	observed_in_future: { message: 'concerns.error.observedOnInvalid', field: 'observedOn' },
	unknown_area: { message: 'concerns.error.areaRequired', field: 'area' },
	area_not_served: { message: 'concerns.error.areaRequired', field: 'area' },
	contact_missing: { message: 'concerns.error.contactRequired', field: 'phone' },
	case_id_required: { message: 'concerns.error.caseIdRequired', field: 'caseId' },
	case_id_not_expected: { message: 'concerns.error.caseIdNotExpected', field: 'caseId' },
	person_incomplete: { message: 'concerns.error.personIncomplete', field: 'pin' },
	concern_closed: { message: 'concerns.error.closed' }
};
