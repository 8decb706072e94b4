import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { exportSPKI, SignJWT, UnsecuredJWT } from 'jose';
import { hashApiKey } from '../../src/auth/apiKeys.js';
import { faults } from '../../src/emulator/server.js';
import { audience, issuer, serveJwks, signingKey, signToken, type SigningKey } from '../helpers/jwt.js';
import { corsPreflight, demo, startStack, type GraphQLResponse, type Stack } from '../helpers/stack.js';

const stage1 = demo.stageArn;
// Every lookup reaches the emulator, so call counts say what IVS saw.
const noCache = { UPSTREAM_CACHE_MAX_ENTRIES: '0' };
const stage2 = 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage02';
const aliceQuery = `{ participant(stageArn: "${stage1}", sessionId: "${demo.sessionId}", participantId: "alice") { userId } }`;
const carolQuery = `{ participant(stageArn: "${stage2}", sessionId: "st-DemoSession02", participantId: "carol") { userId } }`;
const entitiesQuery = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Participant { participantId } }
}`;

function assertUnauthenticated(response: GraphQLResponse, challenge: RegExp | null): void {
  assert.equal(response.status, 401);
  assert.deepEqual(response.body, {
    errors: [{ message: 'Unauthenticated', extensions: { code: 'UNAUTHENTICATED' } }],
  });
  if (challenge) assert.match(response.headers.get('www-authenticate') ?? '', challenge);
}

function assertStageForbidden(response: GraphQLResponse, path: (string | number)[]): void {
  const error = response.body.errors?.find((e) => JSON.stringify(e.path) === JSON.stringify(path));
  assert.equal(error?.extensions?.code, 'FORBIDDEN');
  assert.equal(error?.extensions?.reason, 'STAGE_NOT_ALLOWED');
}

describe('AUTH_MODE=jwt with a remote JWKS', () => {
  let stack: Stack;
  let jwks: Awaited<ReturnType<typeof serveJwks>>;
  let rsa: SigningKey;
  let ec: SigningKey;
  let stranger: SigningKey;
  let rs384: SigningKey;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  before(async () => {
    [rsa, ec, stranger, rs384] = await Promise.all([
      signingKey('RS256', 'rsa-1'),
      signingKey('ES256', 'ec-1'),
      signingKey('RS256', 'not-published'),
      signingKey('RS384', 'rsa-384'),
    ]);
    jwks = await serveJwks([rsa.publicJwk, ec.publicJwk, rs384.publicJwk]);
    stack = await startStack({
      env: { ...noCache, AUTH_MODE: 'jwt', AUTH_JWKS_URL: jwks.url, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience },
    });
  });
  after(async () => {
    await stack.close();
    await jwks.close();
  });
  beforeEach(() => stack.emulator.reset());

  test('a valid RS256 token granting the stage reads the participant', async () => {
    const token = await signToken(rsa, { ivs_stages: [stage1] });
    const { status, body } = await stack.graphql(aliceQuery, undefined, bearer(token));
    assert.equal(status, 200);
    assert.deepEqual(body.data, { participant: { userId: 'user-alice' } });
  });

  test('a valid ES256 token works as well, and the JWKS is fetched once, not per request', async () => {
    const token = await signToken(ec, { ivs_stages: ['*'] });
    for (let i = 0; i < 3; i++) {
      const { body } = await stack.graphql(aliceQuery, undefined, bearer(token));
      assert.deepEqual(body.data, { participant: { userId: 'user-alice' } });
    }
    assert.equal(jwks.fetches(), 1);
  });

  test('no Authorization header: 401 UNAUTHENTICATED with a Bearer challenge, and IVS sees nothing', async () => {
    assertUnauthenticated(await stack.graphql(aliceQuery), /^Bearer /);
    assert.equal(stack.emulator.stats().calls, 0);
  });

  const rejected: [string, () => Promise<Record<string, string>>][] = [
    ['an expired token', async () => bearer(await signToken(rsa, { ivs_stages: ['*'] }, { expiresAt: 1_000_000 }))],
    ['a token without exp', async () => bearer(await signToken(rsa, { ivs_stages: ['*'] }, { expiresAt: null }))],
    [
      'a token for another audience',
      async () => bearer(await signToken(rsa, { ivs_stages: ['*'] }, { audience: 'other' })),
    ],
    [
      'a token from another issuer',
      async () => bearer(await signToken(rsa, { ivs_stages: ['*'] }, { issuer: 'https://evil.test' })),
    ],
    [
      'a token signed by a key the JWKS does not publish',
      async () => bearer(await signToken(stranger, { ivs_stages: ['*'] })),
    ],
    [
      'a token whose algorithm is not allowed (RS384)',
      async () => bearer(await signToken(rs384, { ivs_stages: ['*'] })),
    ],
    [
      'an HS256 token (shared-secret algorithms are never accepted)',
      async () =>
        bearer(
          await new SignJWT({ ivs_stages: ['*'] })
            .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
            .setIssuer(issuer)
            .setAudience(audience)
            .setExpirationTime('1h')
            .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!')),
        ),
    ],
    [
      'an unsigned token (alg none)',
      async () =>
        bearer(
          new UnsecuredJWT({ ivs_stages: ['*'] })
            .setIssuer(issuer)
            .setAudience(audience)
            .setExpirationTime('1h')
            .encode(),
        ),
    ],
    ['a Bearer value that is not a JWT', async () => bearer('not-a-jwt')],
    ['Basic credentials', async () => ({ authorization: 'Basic dXNlcjpwYXNz' })],
  ];
  for (const [name, headers] of rejected) {
    test(`${name}: 401 UNAUTHENTICATED, no detail, no IVS call`, async () => {
      assertUnauthenticated(await stack.graphql(aliceQuery, undefined, await headers()), /^Bearer /);
      assert.equal(stack.emulator.stats().calls, 0);
    });
  }

  test('a stage outside the token’s grants is FORBIDDEN (STAGE_NOT_ALLOWED) without an IVS call', async () => {
    const token = await signToken(rsa, { ivs_stages: [stage1] });
    const response = await stack.graphql(carolQuery, undefined, bearer(token));
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, { participant: null });
    assertStageForbidden(response, ['participant']);
    assert.equal(stack.emulator.stats().calls, 0);
  });

  test('an ARN prefix pattern grants every stage under it; other accounts stay out', async () => {
    const token = await signToken(rsa, { ivs_stages: ['arn:aws:ivs:us-east-1:123456789012:stage/*'] });
    const { body } = await stack.graphql(carolQuery, undefined, bearer(token));
    assert.deepEqual(body.data, { participant: { userId: 'user-carol' } });
    const other = await signToken(rsa, { ivs_stages: ['arn:aws:ivs:us-east-1:999999999999:stage/*'] });
    assertStageForbidden(await stack.graphql(carolQuery, undefined, bearer(other)), ['participant']);
  });

  test('a token without the stages claim is authenticated but may read no stage', async () => {
    const token = await signToken(rsa, {});
    const response = await stack.graphql(aliceQuery, undefined, bearer(token));
    assert.equal(response.status, 200);
    assertStageForbidden(response, ['participant']);
    assert.equal(stack.emulator.stats().calls, 0);
  });

  test('IVS’s own AccessDenied is FORBIDDEN without the STAGE_NOT_ALLOWED reason', async () => {
    stack.emulator.injectFault(faults.accessDenied('not authorized'));
    const token = await signToken(rsa, { ivs_stages: ['*'] });
    const { body } = await stack.graphql(aliceQuery, undefined, bearer(token));
    assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.equal(body.errors?.[0]?.extensions?.reason, undefined);
  });

  test('_service { sdl } needs credentials too; with them it answers', async () => {
    assertUnauthenticated(await stack.graphql('{ _service { sdl } }'), /^Bearer /);
    const token = await signToken(rsa, {});
    const { body } = await stack.graphql<{ _service: { sdl: string } }>(
      '{ _service { sdl } }',
      undefined,
      bearer(token),
    );
    assert.match(body.data?._service.sdl ?? '', /type Participant/);
  });

  test('a CORS preflight passes without credentials', async () => {
    assert.equal((await corsPreflight(stack.url)).status, 204);
  });

  test('/healthz, /readyz and /metrics need no GraphQL credentials', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      assert.equal((await fetch(`${stack.url}${path}`)).status, 200, path);
    }
  });
});

describe('AUTH_MODE=jwt when the JWKS cannot be fetched', () => {
  test('callers get 503 AUTH_UNAVAILABLE with Retry-After, not 401', async () => {
    const jwks = await serveJwks([]);
    await jwks.close();
    const key = await signingKey('RS256', 'rsa-1');
    const stack = await startStack({
      env: { ...noCache, AUTH_MODE: 'jwt', AUTH_JWKS_URL: jwks.url, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience },
    });
    try {
      const token = await signToken(key, { ivs_stages: ['*'] });
      const response = await stack.graphql(aliceQuery, undefined, { authorization: `Bearer ${token}` });
      assert.equal(response.status, 503);
      assert.equal(response.body.errors?.[0]?.extensions?.code, 'AUTH_UNAVAILABLE');
      assert.ok(response.headers.get('retry-after'));
      assert.equal(stack.emulator.stats().calls, 0);
    } finally {
      await stack.close();
    }
  });
});

describe('AUTH_MODE=jwt with a static public key file (offline)', () => {
  let stack: Stack;
  let key: SigningKey;
  let directory: string;
  before(async () => {
    key = await signingKey('ES256', 'offline');
    directory = await mkdtemp(join(tmpdir(), 'gateway-auth-'));
    const file = join(directory, 'public.pem');
    await writeFile(file, await exportSPKI(key.publicKey));
    stack = await startStack({
      env: {
        AUTH_MODE: 'jwt',
        AUTH_JWT_PUBLIC_KEY_FILE: file,
        AUTH_ISSUER: issuer,
        AUTH_AUDIENCE: audience,
        AUTH_CLAIM_PREFIX: 'https://example.com/',
      },
    });
  });
  after(async () => {
    await stack.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('a token signed with the matching private key reads stages from the configured claim', async () => {
    const token = await signToken(key, { 'https://example.com/stages': `${stage1} ${stage2}` });
    const { status, body } = await stack.graphql(aliceQuery, undefined, { authorization: `Bearer ${token}` });
    assert.equal(status, 200);
    assert.deepEqual(body.data, { participant: { userId: 'user-alice' } });
  });

  test('a token signed by another key is refused', async () => {
    const other = await signingKey('ES256', 'offline');
    const token = await signToken(other, { 'https://example.com/stages': '*' });
    assertUnauthenticated(await stack.graphql(aliceQuery, undefined, { authorization: `Bearer ${token}` }), /^Bearer /);
  });
});

describe('AUTH_MODE=api-key', () => {
  const dashboardKey = 'dashboard-key-0123456789abcdef';
  const opsKey = 'ops-key-0123456789abcdef';
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      env: {
        ...noCache,
        AUTH_MODE: 'api-key',
        AUTH_API_KEYS: JSON.stringify([
          { name: 'dashboard', sha256: hashApiKey(dashboardKey), stages: [stage1] },
          { name: 'ops', sha256: hashApiKey(opsKey), stages: ['*'] },
        ]),
      },
    });
  });
  after(async () => stack.close());
  beforeEach(() => stack.emulator.reset());

  test('a known key reads the stages it is granted', async () => {
    const { status, body } = await stack.graphql(aliceQuery, undefined, { 'x-api-key': dashboardKey });
    assert.equal(status, 200);
    assert.deepEqual(body.data, { participant: { userId: 'user-alice' } });
  });

  test('an unknown key, an empty key and no key are 401 UNAUTHENTICATED with an ApiKey challenge', async () => {
    const attempts: Record<string, string>[] = [
      { 'x-api-key': 'guess' },
      { 'x-api-key': '' },
      {},
      { authorization: `Bearer ${opsKey}` },
    ];
    for (const headers of attempts) {
      assertUnauthenticated(await stack.graphql(aliceQuery, undefined, headers), /^ApiKey /);
    }
    assert.equal(stack.emulator.stats().calls, 0);
  });

  test('a key limited to one stage gets FORBIDDEN for another, without an IVS call', async () => {
    const response = await stack.graphql(carolQuery, undefined, { 'x-api-key': dashboardKey });
    assertStageForbidden(response, ['participant']);
    assert.equal(stack.emulator.stats().calls, 0);
    const ops = await stack.graphql(carolQuery, undefined, { 'x-api-key': opsKey });
    assert.deepEqual(ops.body.data, { participant: { userId: 'user-carol' } });
  });

  test('_entities: a forbidden representation fails alone with FORBIDDEN, the allowed one resolves, IVS sees only it', async () => {
    const response = await stack.graphql(
      entitiesQuery,
      {
        representations: [
          { __typename: 'Participant', stageArn: stage1, sessionId: demo.sessionId, participantId: 'alice' },
          { __typename: 'Participant', stageArn: stage2, sessionId: 'st-DemoSession02', participantId: 'carol' },
        ],
      },
      { 'x-api-key': dashboardKey },
    );
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, { _entities: [{ participantId: 'alice' }, null] });
    assert.equal(response.body.errors?.length, 1);
    assertStageForbidden(response, ['_entities', 1]);
    const stats = stack.emulator.stats();
    assert.equal(stats.calls, 1);
    assert.deepEqual(Object.keys(stats.byKey).length, 1);
  });
});

describe('AUTH_MODE=api-key from AUTH_API_KEYS_FILE', () => {
  test('keys are read from the file', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'gateway-keys-'));
    const file = join(directory, 'keys.json');
    await writeFile(
      file,
      JSON.stringify([{ name: 'batch', sha256: hashApiKey('file-key-0123456789'), stages: ['*'] }]),
    );
    const stack = await startStack({ env: { AUTH_MODE: 'api-key', AUTH_API_KEYS_FILE: file } });
    try {
      const { body } = await stack.graphql(aliceQuery, undefined, { 'x-api-key': 'file-key-0123456789' });
      assert.deepEqual(body.data, { participant: { userId: 'user-alice' } });
      assertUnauthenticated(await stack.graphql(aliceQuery, undefined, { 'x-api-key': 'file-key-012345678' }), null);
    } finally {
      await stack.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
