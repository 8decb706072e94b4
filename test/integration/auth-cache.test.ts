import assert from 'node:assert/strict';
import { setTimeout as pause } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { errors, jwtVerify } from 'jose';
import { createJwksKeys } from '../../src/auth/jwksKeys.js';
import { systemClock } from '../../src/clock.js';
import { audience, issuer, serveJwks, signingKey, signToken, type SigningKey } from '../helpers/jwt.js';
import { pollUntil } from '../helpers/poll.js';
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
type Jwks = Awaited<ReturnType<typeof serveJwks>>;

/** Runs `use` against a gateway in AUTH_MODE=jwt that fetches the keys `published` from a JWKS endpoint; closes both. */
async function withJwtStack(
  published: Parameters<typeof serveJwks>[0],
  env: Record<string, string>,
  use: (stack: Stack, jwks: Jwks) => Promise<void>,
): Promise<void> {
  const jwks = await serveJwks(published);
  try {
    const stack = await startStack({
      env: { AUTH_MODE: 'jwt', AUTH_JWKS_URL: jwks.url, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience, ...env },
    });
    try {
      await use(stack, jwks);
    } finally {
      await stack.close();
    }
  } finally {
    await jwks.close();
  }
}

describe('verified-token cache (AUTH_MODE=jwt)', () => {
  test('a remembered token is refused once it expires', { timeout: 60_000 }, async () => {
    const key = await signingKey('ES256', 'ec-expiry');
    await withJwtStack([key.publicJwk], { AUTH_CLOCK_TOLERANCE_SECONDS: '0' }, async (stack) => {
      const expiresAt = Math.floor(Date.now() / 1000) + 2;
      const token = await signToken(key, { ivs_stages: ['*'] }, { expiresAt });
      const attempts = await askUntilRefused(stack, token);
      assert.ok(attempts.length > 2, 'accepted several times before it expired');
      for (const { startedAt, status } of attempts.slice(0, -1)) {
        assert.equal(status, 200);
        assert.ok(startedAt < expiresAt * 1000, 'never accepted after exp');
      }
      assert.equal(attempts.at(-1)?.status, 401);
    });
  });

  test(
    'a key rotation that removes the signing key ends a remembered token; the new key works',
    { timeout: 60_000 },
    async () => {
      const [retired, current] = await Promise.all([signingKey('RS256', 'rsa-old'), signingKey('RS256', 'rsa-new')]);
      const published = [retired.publicJwk];
      await withJwtStack(published, { AUTH_JWKS_MAX_AGE_SECONDS: '1' }, async (stack, jwks) => {
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
      });
    },
  );
});

describe('JWKS fetches: rate limited, and a grace period while the endpoint is down (AUTH_MODE=jwt)', () => {
  const status = async (stack: Stack, token: string) =>
    (await stack.graphql(aliceQuery, undefined, bearer(token))).status;
  /** Tokens signed by a key the JWKS never publishes, each naming another `kid`, as an anonymous prober sends. */
  const unknownKidTokens = async (count: number) => {
    const keys = await Promise.all(Array.from({ length: count }, (_, i) => signingKey('ES256', `unknown-${i}`)));
    return Promise.all(keys.map((key) => signToken(key, { ivs_stages: ['*'] })));
  };
  const passed = (since: number, ms: number) =>
    pollUntil(
      async () => Date.now(),
      (now) => now - since > ms,
      ms + 5000,
    );

  test(
    'a storm of unknown kids costs one JWKS fetch per AUTH_JWKS_COOLDOWN_SECONDS, and known callers keep working',
    { timeout: 60_000 },
    async () => {
      const key = await signingKey('ES256', 'known');
      await withJwtStack([key.publicJwk], { AUTH_JWKS_COOLDOWN_SECONDS: '3' }, async (stack, jwks) => {
        const known = await signToken(key, { ivs_stages: ['*'] });
        assert.equal(await status(stack, known), 200);
        const fetchedAt = Date.now();
        const storm = await unknownKidTokens(40);
        for (const token of storm.slice(0, 20)) assert.equal(await status(stack, token), 401);
        assert.equal(jwks.fetches(), 1, 'no refetch within the cooldown');

        await passed(fetchedAt, 3000);
        const statuses = await Promise.all(storm.slice(20).map((token) => status(stack, token)));
        assert.deepEqual(new Set(statuses), new Set([401]));
        assert.equal(jwks.fetches(), 2, 'one refetch for the whole storm once the cooldown is over');
        assert.equal(await status(stack, known), 200);
      });
    },
  );

  test(
    'while the JWKS endpoint fails, it is asked once per cooldown, not once per request',
    { timeout: 60_000 },
    async () => {
      const key = await signingKey('ES256', 'known');
      await withJwtStack(
        [key.publicJwk],
        { AUTH_JWKS_MAX_AGE_SECONDS: '1', AUTH_JWT_CACHE_MAX_ENTRIES: '0' },
        async (stack, jwks) => {
          const known = await signToken(key, { ivs_stages: ['*'] });
          assert.equal(await status(stack, known), 200);
          const fetchedAt = Date.now();
          jwks.failWith(503);
          await passed(fetchedAt, 1000);
          const storm = await unknownKidTokens(20);
          for (const token of storm) assert.equal(await status(stack, token), 401);
          for (let i = 0; i < 20; i += 1)
            assert.equal(await status(stack, known), 200, 'the last good keys still verify');
          assert.equal(jwks.fetches(), 2, 'one failed refetch at max age, none per request');
        },
      );
    },
  );

  test(
    'with the JWKS endpoint stopped, remembered and new tokens verify for AUTH_JWKS_GRACE_SECONDS past the max age, then get 503',
    { timeout: 60_000 },
    async () => {
      const key = await signingKey('ES256', 'known');
      await withJwtStack(
        [key.publicJwk],
        {
          AUTH_JWKS_MAX_AGE_SECONDS: '1',
          AUTH_JWKS_GRACE_SECONDS: '4',
          AUTH_JWKS_COOLDOWN_SECONDS: '1',
        },
        async (stack, jwks) => {
          const remembered = await signToken(key, { ivs_stages: ['*'] });
          // The keys were fetched between these two instants: bounds for the gateway's own age of its keys.
          const requestedAt = Date.now();
          assert.equal(await status(stack, remembered), 200);
          const answeredAt = Date.now();
          await jwks.close();

          await passed(answeredAt, 1000);
          const fresh = await signToken(key, { ivs_stages: ['*'], jti: 'never-seen' });
          assert.deepEqual([await status(stack, remembered), await status(stack, fresh)], [200, 200]);
          assert.ok(Date.now() - requestedAt < 5000, 'checked within max age + grace');

          const after = await pollUntil(
            async () => [await status(stack, remembered), await status(stack, fresh)],
            (statuses) => statuses.every((s) => s !== 200),
            20_000,
          );
          assert.deepEqual(after, [503, 503]);
          assert.ok(Date.now() - requestedAt >= 5000, 'refused only once the grace period is over');
        },
      );
    },
  );
});

describe('the version of a remote key set', () => {
  test(
    'a refetch that brings the same keys keeps the version; one that changes them bumps it',
    { timeout: 30_000 },
    async () => {
      const [known, added] = await Promise.all([signingKey('ES256', 'known'), signingKey('ES256', 'added')]);
      const published = [known.publicJwk];
      const jwks = await serveJwks(published);
      const keys = createJwksKeys({
        url: jwks.url,
        maxAgeMs: 60_000,
        cooldownMs: 0,
        graceMs: 0,
        timeoutMs: 5000,
        clock: systemClock,
      });
      const verify = (key: SigningKey) => signToken(key, {}).then((token) => jwtVerify(token, keys.getKey));
      try {
        await verify(known);
        assert.equal(keys.version(), 1);
        await assert.rejects(verify(added), errors.JWKSNoMatchingKey);
        assert.equal(jwks.fetches(), 2, 'the unknown kid was looked up again');
        assert.equal(keys.version(), 1, 'the same keys: remembered tokens stay remembered');
        published.push(added.publicJwk);
        await verify(added);
        assert.equal(keys.version(), 2);
      } finally {
        await jwks.close();
      }
    },
  );
});
