import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Access tokens: EdDSA (Ed25519) only, with a key id, issuer, audience and expiry. The verifier
 * accepts exactly that algorithm, so `alg: none`, HS256 with the public key as secret and other
 * keys' tokens are refused.
 */
export default fp(
  async function jwtPlugin(app: FastifyInstance) {
    const { jwt } = app.keys;
    await app.register(fastifyJwt, {
      secret: { private: jwt.privateKeyPem, public: jwt.publicKeyPem },
      sign: {
        algorithm: 'EdDSA',
        iss: app.config.JWT_ISSUER,
        aud: app.config.JWT_AUDIENCE,
        expiresIn: `${app.config.ACCESS_TOKEN_TTL_SECONDS}s`,
        kid: jwt.kid,
      },
      verify: {
        cache: 10_000,
        algorithms: ['EdDSA'],
        allowedIss: app.config.JWT_ISSUER,
        allowedAud: app.config.JWT_AUDIENCE,
        requiredClaims: ['exp', 'iat', 'iss', 'aud', 'sub', 'sid'],
      },
      decode: { complete: false },
    });
  },
  { name: 'jwt' },
);
