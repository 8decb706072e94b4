import assert from 'node:assert/strict';
import { setTimeout as pause } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { audience, issuer, serveJwks, signingKey, signToken } from '../helpers/jwt.js';
import { demo, startStack, type Stack } from '../helpers/stack.js';

const aliceQuery = `{ participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "alice") { userId } }`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

interface Attempt {
  startedAt: number;
  status: number;
}

/** Asks with `token` until the gateway refuses it; every attempt's start time and status, in order. */
async function askUntilRefused(stack: Stack, token: string, timeoutMs = 10_000): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const startedAt = Date.now();
    const { status } = await stack.graphql(aliceQuery, undefined, bearer(token));
    attempts.push({ startedAt, status });
    if (status !== 200) return attempts;
    if (Date.now() > giveUpAt) throw new Error(`token still accepted after ${timeoutMs} ms`);
    await pause(50);
  }
}

/** A gateway verifying tokens against the JWKS at `jwksUrl`, with `env` on top. */
function jwtStack(jwksUrl: string, env: Record<string, string>): Promise<Stack> {
  return startStack({
    env: { AUTH_MODE: 'jwt', AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience, ...env },
  });
}

describe('verified-token cache (AUTH_MODE=jwt)', () => {
  test('a remembered token is refused once it expires', { timeout: 60_000 }, async () => {
    const key = await signingKey('ES256', 'ec-expiry');
    const jwks = await serveJwks([key.publicJwk]);
    const stack = await jwtStack(jwks.url, { AUTH_CLOCK_TOLERANCE_SECONDS: '0' });
    try {
      const expiresAt = Math.floor(Date.now() / 1000) + 2;
      const token = await signToken(key, { ivs_stages: ['*'] }, { expiresAt });
      const attempts = await askUntilRefused(stack, token);
      assert.ok(attempts.length > 2, 'accepted several times before it expired');
      for (const { startedAt, status } of attempts.slice(0, -1)) {
        assert.equal(status, 200);
        assert.ok(startedAt < expiresAt * 1000, 'never accepted after exp');
      }
      assert.equal(attempts.at(-1)?.status, 401);
    } finally {
      await stack.close();
      await jwks.close();
    }
  });

  test(
    'a key rotation that removes the signing key ends a remembered token; the new key works',
    { timeout: 60_000 },
    async () => {
      const [retired, current] = await Promise.all([signingKey('RS256', 'rsa-old'), signingKey('RS256', 'rsa-new')]);
      const published = [retired.publicJwk];
      const jwks = await serveJwks(published);
      const stack = await jwtStack(jwks.url, { AUTH_JWKS_MAX_AGE_SECONDS: '1' });
      try {
        const oldToken = await signToken(retired, { ivs_stages: ['*'] });
        assert.equal((await stack.graphql(aliceQuery, undefined, bearer(oldToken))).status, 200);
        assert.equal((await stack.graphql(aliceQuery, undefined, bearer(oldToken))).status, 200);
        assert.equal(jwks.fetches(), 1);

        published.splice(0, published.length, current.publicJwk);
        const attempts = await askUntilRefused(stack, oldToken);
        assert.equal(attempts.at(-1)?.status, 401);
        assert.equal(jwks.fetches(), 2, 'refused after the keys were fetched again');

        const newToken = await signToken(current, { ivs_stages: ['*'] });
        assert.equal((await stack.graphql(aliceQuery, undefined, bearer(newToken))).status, 200);
      } finally {
        await stack.close();
        await jwks.close();
      }
    },
  );
});
