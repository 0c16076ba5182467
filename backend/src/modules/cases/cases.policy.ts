import { Type, type Static } from '@sinclair/typebox';
import { AGENCY_KINDS } from '../identity/identity.entities.js';
import type { CaseType } from './cases.entities.js';

const AgencyKindT = Type.Union(AGENCY_KINDS.map((k) => Type.Literal(k)));
const Code = Type.String({ pattern: '^[a-z_]{1,40}$' });

/** `policies/categories.yaml`: information categories and which agency kinds author each. */
export const CategoriesPolicy = Type.Object(
  {
    categories: Type.Record(
      Code,
      Type.Object({ description: Type.String(), authors: Type.Array(AgencyKindT, { minItems: 1 }) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type CategoriesPolicy = Static<typeof CategoriesPolicy>;

/** `policies/areas.yaml`: the municipality's areas and the group-figure suppression threshold. */
export const AreasPolicy = Type.Object(
  {
    areas: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, uniqueItems: true }),
    statistics: Type.Object({ minCellSize: Type.Integer({ minimum: 1, maximum: 100 }) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type AreasPolicy = Static<typeof AreasPolicy>;

/** `policies/life-areas.yaml`: the plan's life areas, by case type. */
const LifeAreaList = Type.Array(Code, { minItems: 1, uniqueItems: true });
export const LifeAreasPolicy = Type.Object(
  {
    lifeAreas: Type.Object({ sspf: LifeAreaList, avhoppare: LifeAreaList } satisfies Record<CaseType, typeof LifeAreaList>, {
      additionalProperties: false,
    }),
  },
  { additionalProperties: false },
);
export type LifeAreasPolicy = Static<typeof LifeAreasPolicy>;

/** `policies/case-outcomes.yaml`: the outcome codes a case is closed with, labelled in Swedish and English. */
const Label = Type.String({ minLength: 1, maxLength: 100 });
export const CaseOutcomesPolicy = Type.Object(
  {
    default: Code,
    outcomes: Type.Record(Code, Type.Object({ sv: Label, en: Label }, { additionalProperties: false }), { minProperties: 1 }),
  },
  { additionalProperties: false },
);
export type CaseOutcomesPolicy = Static<typeof CaseOutcomesPolicy>;

/** What the schema cannot say: the default outcome is one of the outcomes. */
export function caseOutcomesPolicyProblems(p: CaseOutcomesPolicy): string[] {
  return Object.hasOwn(p.outcomes, p.default) ? [] : [`/default: '${p.default}' is not one of the outcomes`];
}

/** What the schema cannot say: the categories the product itself files information under exist. */
export function categoriesPolicyProblems(p: CategoriesPolicy): string[] {
  return ['identity', 'social', 'plan'].filter((c) => !(c in p.categories)).map((c) => `/categories: the category \`${c}\` is required`);
}

/** Case configuration that is not an access rule: areas and life areas. */
export interface CaseConfig {
  areas: AreasPolicy;
  lifeAreas: LifeAreasPolicy['lifeAreas'];
  outcomes: CaseOutcomesPolicy;
}
