import { HttpProblem } from '../../../lib/problem.js';

/** What a citizen's sign-in answers when it cannot go on: plain language, what to do, no personal data. */

export const notConfigured = (): HttpProblem =>
  new HttpProblem(
    404,
    'citizen_sign_in_not_configured',
    'Signing in is not available',
    'Signing in with e-identification is not set up for this service yet. Contact your social worker.',
  );

export const signInExpired = (): HttpProblem =>
  new HttpProblem(
    400,
    'sign_in_expired',
    'Sign-in not recognised',
    'This sign-in is unknown, was already used or took too long. Start again and sign in with your e-identification.',
  );

export const providerUnavailable = (): HttpProblem =>
  new HttpProblem(
    502,
    'provider_unavailable',
    'E-identification unavailable',
    'The e-identification service cannot be reached right now. Try again in a moment.',
  );

export const providerRefused = (): HttpProblem =>
  new HttpProblem(
    401,
    'provider_refused',
    'Sign-in was not completed',
    'You were not signed in. Start again and sign in with your e-identification.',
  );

export const responseInvalid = (): HttpProblem =>
  new HttpProblem(
    401,
    'provider_response_invalid',
    'Sign-in failed',
    'The answer from the e-identification service could not be accepted. Start again and sign in with your e-identification.',
  );

export const acrTooLow = (): HttpProblem =>
  new HttpProblem(
    403,
    'acr_too_low',
    'Stronger e-identification needed',
    'This service needs a secure e-identification such as BankID or Freja+. Sign in again with one of those.',
  );
