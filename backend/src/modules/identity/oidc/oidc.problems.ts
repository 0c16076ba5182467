import { HttpProblem } from '../../../lib/problem.js';

/** What an OpenID sign-in answers when it cannot go on: what happened and what to do, no personal data. */

export const providerNotFound = (): HttpProblem =>
  new HttpProblem(
    404,
    'provider_not_found',
    'No such sign-in',
    'This organisation cannot be signed in to through its own identity provider. Choose another way to sign in.',
  );

export const providerUnavailable = (): HttpProblem =>
  new HttpProblem(
    502,
    'provider_unavailable',
    'Identity provider unavailable',
    "Your organisation's identity provider cannot be reached right now. Try again in a moment, or contact your administrator if it persists.",
  );

export const signInExpired = (): HttpProblem =>
  new HttpProblem(
    400,
    'sign_in_expired',
    'Sign-in not recognised',
    'This sign-in is unknown, was already used or took too long. Start the sign-in again.',
  );

export const providerRefused = (): HttpProblem =>
  new HttpProblem(
    401,
    'provider_refused',
    'Sign-in was not completed',
    "Your organisation's identity provider did not sign you in. Start the sign-in again.",
  );

export const responseInvalid = (): HttpProblem =>
  new HttpProblem(
    401,
    'provider_response_invalid',
    'Sign-in failed',
    "The answer from your organisation's identity provider could not be accepted. Start the sign-in again.",
  );

export const acrTooLow = (): HttpProblem =>
  new HttpProblem(
    403,
    'acr_too_low',
    'Stronger sign-in needed',
    'Samverka needs strong authentication (for example BankID, Freja+ or a smart card). Sign in again with one of those.',
  );

export const noAccount = (): HttpProblem =>
  new HttpProblem(
    403,
    'no_account',
    'No Samverka account',
    'You are signed in at your organisation, but no active Samverka account is linked to you. Ask your administrator for access.',
  );
