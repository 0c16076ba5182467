import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/lib/uuid7.js';

describe('uuidv7', () => {
  it('is a version 7, variant 10 UUID carrying the millisecond time', () => {
    const t = Date.UTC(2026, 10, 27, 12, 0, 0, 123);
    const id = uuidv7(t);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(t);
  });

  it('sorts by time and does not repeat', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => uuidv7(1_800_000_000_000 + Math.floor(i / 10)));
    expect(new Set(ids).size).toBe(ids.length);
    const prefixes = ids.map((id) => id.slice(0, 13));
    expect([...prefixes].sort()).toEqual(prefixes);
  });
});
