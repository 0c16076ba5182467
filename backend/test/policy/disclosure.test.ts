import path from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/config.js';
import {
  CaseListItem,
  CaseOut,
  CaseOutcomeEventOut,
  EntryOut,
  MeetingOut,
  PlanItemChangeOut,
  PlanItemOut,
  ResponsibilityChangeOut,
} from '../../src/modules/cases/cases.schemas.js';
import { DocumentOut } from '../../src/modules/documents/documents.schemas.js';
import { parseDisclosurePolicy, type FieldRule } from '../../src/plugins/app/disclosure.js';
import { loadPolicies } from '../../src/plugins/app/policies.js';

const policies = loadPolicies(path.join(repoRoot, 'policies'));
const views = policies.disclosure.views;

/** The response schemas of case answers, by the view of policies/disclosure.yaml that classifies them. */
const ANSWERS: Record<string, TSchema> = {
  case: CaseOut,
  caseListItem: CaseListItem,
  entry: EntryOut,
  planItem: PlanItemOut,
  meeting: MeetingOut,
  document: DocumentOut,
  responsibilityChange: ResponsibilityChangeOut,
  planItemChange: PlanItemChangeOut,
  caseOutcomeEvent: CaseOutcomeEventOut,
};

interface Schemaish {
  type?: string;
  properties?: Record<string, Schemaish>;
  items?: Schemaish;
  anyOf?: Schemaish[];
}

const nonNull = (s: Schemaish): Schemaish => (s.anyOf ? (s.anyOf.find((x) => x.type !== 'null') ?? s) : s);
const nullable = (s: Schemaish): boolean => Boolean(s.anyOf?.some((x) => x.type === 'null'));

/** Every problem of one schema against its view: unclassified fields, and withholdable fields the schema cannot empty. */
function problems(viewName: string, schema: Schemaish, at = viewName): string[] {
  const rules = views[viewName];
  if (!rules) return [`${at}: no view '${viewName}' in policies/disclosure.yaml`];
  const out: string[] = [];
  for (const [field, raw] of Object.entries(schema.properties ?? {})) {
    const rule: FieldRule | undefined = rules[field];
    const where = `${at}.${field}`;
    if (!rule) {
      out.push(`${where}: not classified in policies/disclosure.yaml`);
      continue;
    }
    const s = nonNull(raw);
    const isArray = s.type === 'array';
    if ('view' in rule) {
      if (rule.kind === 'object') out.push(...problems(rule.view, s, where));
      else if (!isArray) out.push(`${where}: { ${rule.kind}: ${rule.view} } needs a list`);
      else out.push(...problems(rule.view, nonNull(s.items ?? {}), `${where}[]`));
      continue;
    }
    // A field that can be withheld must be one the answer can empty: null, or an empty list.
    const withholdable =
      rule.kind === 'owner_only' ||
      rule.kind === 'agency' ||
      rule.kind === 'whereabouts' ||
      rule.kind === 'contact' ||
      (rule.kind === 'category' && rule.category !== 'identity');
    if (withholdable && !isArray && !nullable(raw))
      out.push(`${where}: '${rule.kind === 'category' ? rule.category : rule.kind}' can be withheld, so the schema must allow null`);
    if (s.type === 'object' && s.properties) out.push(`${where}: an object needs { object: <view> }`);
  }
  return out;
}

describe('policies/disclosure.yaml classifies every field of every case answer', () => {
  it.each(Object.keys(ANSWERS))('%s: every field of its response schema is classified, and what can be withheld can be emptied', (view) => {
    expect(problems(view, ANSWERS[view] as Schemaish)).toEqual([]);
  });

  it('names no field that the answers do not have (stale classification)', () => {
    const used = new Set<string>();
    const walk = (viewName: string, schema: Schemaish): void => {
      used.add(viewName);
      for (const [field, raw] of Object.entries(schema.properties ?? {})) {
        const rule = views[viewName]?.[field];
        if (rule && 'view' in rule) walk(rule.view, rule.kind === 'object' ? nonNull(raw) : nonNull(nonNull(raw).items ?? {}));
      }
    };
    for (const [view, schema] of Object.entries(ANSWERS)) walk(view, schema as Schemaish);
    expect(Object.keys(views).filter((v) => !used.has(v))).toEqual([]);
  });

  it('finds a field added to a response schema without a classification', () => {
    const grown = { ...(CaseOut as Schemaish), properties: { ...(CaseOut as Schemaish).properties, secretNote: { type: 'string' } } };
    expect(problems('case', grown)).toEqual(['case.secretNote: not classified in policies/disclosure.yaml']);
  });

  it('refuses a policy that names an unknown category, view or word', () => {
    const categories = Object.keys(policies.categories.categories);
    expect(parseDisclosurePolicy({ gatedActions: [], views: { case: { reason: 'gossip' } } }, categories)).toEqual([
      "/views/case/reason: 'gossip' is neither a category of categories.yaml nor one of whereabouts, contact, owner_only, agency, item, report",
    ]);
    expect(parseDisclosurePolicy({ gatedActions: [], views: { case: { items: { items: 'nothing' } } } }, categories)).toEqual([
      "/views/case/items: unknown view 'nothing'",
      "/views/case/items: 'nothing' is not an item view (entry, planItem, meeting, document)",
    ]);
  });
});
