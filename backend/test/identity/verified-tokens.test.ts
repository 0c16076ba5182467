import { describe, expect, it } from 'vitest';
import { VerifiedTokens } from '../../src/plugins/app/auth.js';

describe('VerifiedTokens (the verified access-token memo)', () => {
  const claims = (exp: number) => ({ sub: 'u', sid: 's', exp });

  it('answers a remembered token until its expiry, never at or after it', () => {
    const v = new VerifiedTokens();
    v.set('t1', claims(1_000));
    expect(v.get('t1', 999_999)).toEqual(claims(1_000));
    expect(v.get('t1', 1_000_000)).toBeNull();
    expect(v.get('t1', 999_000)).toBeNull(); // forgotten once seen expired
    expect(v.get('other', 0)).toBeNull();
  });

  it('keeps at most its bound, forgetting the oldest first', () => {
    const v = new VerifiedTokens(2);
    v.set('a', claims(10));
    v.set('b', claims(10));
    v.set('c', claims(10));
    expect(v.get('a', 0)).toBeNull();
    expect(v.get('b', 0)).not.toBeNull();
    expect(v.get('c', 0)).not.toBeNull();
  });
});
