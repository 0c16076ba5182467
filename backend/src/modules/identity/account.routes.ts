import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { badRequest } from '../../lib/problem.js';
import { auditContextOf } from '../../plugins/app/audit.js';
import {
  ChallengeBody,
  EnrolConfirmBody,
  EnrolmentOut,
  EnrolStartBody,
  OwnSessionOut,
  PasswordChangeBody,
  RecoveryCodesOut,
  SecondFactorStatusOut,
  SecondStepBody,
  SecondStepSessionOut,
} from './account.schemas.js';
import { IdParams, errorResponses } from './identity.schemas.js';

/** The second step of a local sign-in, and the signed-in user's own account (password, TOTP, sessions). */
export const accountRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/auth/mfa',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Second step of a sign-in: a TOTP code or a recovery code with the challenge from POST /auth/login',
        body: SecondStepBody,
        response: { 200: SecondStepSessionOut, ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => {
      const { code, recoveryCode } = request.body;
      if ((code === undefined) === (recoveryCode === undefined)) {
        throw badRequest('Send either the code from your app or a recovery code.', 'bad_request', ['/code', '/recoveryCode']);
      }
      return app.identity.completeSecondStep(request.em, request.body, auditContextOf(request));
    },
  );

  app.get(
    '/auth/second-factor',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'What the sign-in page says about the second factor',
        response: {
          200: Type.Object({
            demoUsersExempt: Type.Boolean({ description: 'A demo start (DEMO=1): the seeded demo users sign in without a second factor' }),
          }),
        },
      },
    },
    async () => ({ demoUsersExempt: app.config.DEMO }),
  );

  app.post(
    '/auth/mfa/totp',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Set up TOTP during sign-in (an `enrol` challenge); confirm with the first code at POST /auth/mfa',
        body: ChallengeBody,
        response: { 200: EnrolmentOut, ...errorResponses(400, 401, 409) },
      },
    },
    async (request) => app.identity.startChallengeEnrolment(request.em, request.body.challenge, auditContextOf(request)),
  );

  app.post(
    '/me/password',
    {
      config: { whilePasswordChangeDue: true },
      schema: {
        tags: ['account'],
        summary: 'Change the own password (at least 12 characters, not a common one); the other sessions end',
        body: PasswordChangeBody,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 429, 503) },
      },
    },
    async (request, reply) => {
      await app.identity.account.changePassword(request.em, request.actor!, request.body, auditContextOf(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/me/mfa',
    {
      schema: {
        tags: ['account'],
        summary: 'The own second factor',
        response: { 200: SecondFactorStatusOut, ...errorResponses(401, 403) },
      },
    },
    async (request) => app.identity.account.secondFactorStatus(request.em, request.actor!),
  );

  app.post(
    '/me/mfa/totp',
    {
      schema: {
        tags: ['account'],
        summary: 'Start TOTP enrolment (the current password again): the otpauth URI and its QR code',
        body: EnrolStartBody,
        response: { 200: EnrolmentOut, ...errorResponses(400, 401, 403, 409, 429, 503) },
      },
    },
    async (request) => app.identity.account.startEnrolment(request.em, request.actor!, request.body.password, auditContextOf(request)),
  );

  app.post(
    '/me/mfa/totp/confirm',
    {
      schema: {
        tags: ['account'],
        summary: 'Confirm TOTP enrolment with the first code; answers the one-time recovery codes, once',
        body: EnrolConfirmBody,
        response: { 200: RecoveryCodesOut, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request) => ({
      recoveryCodes: await app.identity.account.confirmEnrolment(request.em, request.actor!, request.body.code, auditContextOf(request)),
    }),
  );

  app.get(
    '/me/sessions',
    {
      schema: {
        tags: ['account'],
        summary: 'The own live sessions',
        response: { 200: Type.Array(OwnSessionOut), ...errorResponses(401, 403) },
      },
    },
    async (request) => app.identity.account.listSessions(request.em, request.actor!, auditContextOf(request)),
  );

  app.delete(
    '/me/sessions/:id',
    {
      schema: {
        tags: ['account'],
        summary: 'End one of the own sessions at once (another user’s answers 404)',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await app.identity.account.endSession(request.em, request.actor!, request.params.id, auditContextOf(request));
      return reply.code(204).send(null);
    },
  );
};
