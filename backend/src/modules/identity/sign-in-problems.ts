import { HttpProblem } from '../../lib/problem.js';

/** An unknown, expired or spent challenge, or one whose user can no longer sign in. */
export const challengeInvalid = (): HttpProblem =>
  new HttpProblem(401, 'challenge_invalid', 'Sign-in step expired', 'Sign in again with your user name and password.');

/** Refused while a throttle counter is at its limit. */
export const tooManyAttempts = (wait: number): HttpProblem =>
  new HttpProblem(429, 'too_many_attempts', 'Too many failed sign-ins', `Wait ${wait} seconds before trying again.`, {
    'retry-after': String(wait),
  });
