import { Type, type Static } from '@sinclair/typebox';

const Label = Type.String({ minLength: 1, maxLength: 100 });

/** `policies/observation-categories.yaml`: what an observation of an area is about, with its labels. */
export const ObservationCategoriesPolicy = Type.Object(
  {
    categories: Type.Record(
      Type.String({ pattern: '^[a-z_]{1,40}$' }),
      Type.Object({ sv: Label, en: Label }, { additionalProperties: false }),
      { minProperties: 1 },
    ),
  },
  { additionalProperties: false },
);
export type ObservationCategoriesPolicy = Static<typeof ObservationCategoriesPolicy>;
