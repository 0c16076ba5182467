import fs from 'node:fs';
import path from 'node:path';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import YAML from 'yaml';

/** A policy file that cannot be read or is invalid: the API refuses to start, naming file and problem. */
export class PolicyError extends Error {}

/** Reads one YAML file of `policies/` and checks it against its schema. */
export function readPolicyFile<T extends TSchema>(dir: string, file: string, schema: T): Static<T> {
  return checkPolicy(file, readRawPolicyFile(dir, file), schema);
}

export function readRawPolicyFile(dir: string, file: string): unknown {
  try {
    return YAML.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  } catch (e) {
    throw new PolicyError(`policies/${file}: cannot be read: ${(e as Error).message}`);
  }
}

export function checkPolicy<T extends TSchema>(file: string, parsed: unknown, schema: T): Static<T> {
  const errors = [...Value.Errors(schema, parsed)];
  if (errors.length > 0) {
    throw new PolicyError(
      `policies/${file} is invalid:\n${errors
        .slice(0, 10)
        .map((e) => `  ${e.path || '/'}: ${e.message}`)
        .join('\n')}`,
    );
  }
  return parsed as Static<T>;
}

/** Throws the problems found in a file, if any. */
export function policyProblems(file: string, problems: readonly string[]): void {
  if (problems.length > 0) throw new PolicyError(`policies/${file} is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
}
