import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { decodeProtectedHeader, exportPKCS8, generateKeyPair, jwtVerify, type CryptoKey } from 'jose';
import { hashApiKey } from '../../src/auth/apiKeys.js';
import type { EmulatedOperation } from '../../src/emulator/server.js';
import { audience, issuer, serveJwks, signingKey, signToken } from '../helpers/jwt.js';
import { liveClient, subscribe } from '../helpers/live.js';
import { createLogSink, demo, startStack, type GraphQLResponse, type Stack } from '../helpers/stack.js';

const stage1 = demo.stageArn;
const stage2 = 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage02';
const publicKeyArn = 'arn:aws:ivs:us-east-1:123456789012:public-key/f99cde61-c2b0-4df3-8941-ca7d38acca1a';

const mint = `mutation Mint($input: CreateParticipantTokenInput!) {
  createParticipantToken(input: $input) {
    token participantId userId attributes { key value } capabilities expirationTime
  }
}`;
const disconnect = `mutation Disconnect($input: DisconnectParticipantInput!) {
  disconnectParticipant(input: $input) { stageArn participantId disconnected }
}`;
const participantState = `query State($participantId: String!) {
  participant(stageArn: "${stage1}", sessionId: "${demo.sessionId}", participantId: $participantId) { state }
}`;
const participantStateChanged = `subscription ($stageArn: String!, $sessionId: String!, $participantId: String!) {
  participantChanged(stageArn: $stageArn, sessionId: $sessionId, participantId: $participantId) { state }
}`;
const connectedRoster = `{
  stageSession(stageArn: "${stage1}", sessionId: "${demo.sessionId}") {
    participants(filter: { state: CONNECTED }, first: 100) { nodes { participantId } }
  }
}`;

interface Minted {
  createParticipantToken: {
    token: string;
    participantId: string;
    userId: string | null;
    attributes: { key: string; value: string }[];
    capabilities: string[];
    expirationTime: string;
  };
}

const keys = {
  reader: 'reader-key-0123456789',
  subscriber: 'subscriber-key-0123456789',
  host: 'host-key-0123456789',
};
const apiKeys = JSON.stringify([
  { name: 'reader', sha256: hashApiKey(keys.reader), stages: ['*'] },
  { name: 'subscriber', sha256: hashApiKey(keys.subscriber), stages: [stage1], mint: ['SUBSCRIBE'] },
  {
    name: 'host',
    sha256: hashApiKey(keys.host),
    stages: ['arn:aws:ivs:us-east-1:123456789012:stage/*'],
    mint: ['PUBLISH', 'SUBSCRIBE'],
    disconnect: true,
  },
]);
const as = (key: string) => ({ 'x-api-key': key });

function refusal<T>(response: GraphQLResponse<T>): { code: unknown; reason: unknown } {
  const error = response.body.errors?.[0];
  return { code: error?.extensions?.['code'], reason: error?.extensions?.['reason'] };
}

function writeCalls(stack: Stack): number {
  const { byOperation } = stack.emulator.stats();
  return byOperation.CreateParticipantToken.calls + byOperation.DisconnectParticipant.calls;
}

async function join(stack: Stack, token: string): Promise<{ sessionId: string; participantId: string }> {
  const response = await fetch(`${stack.emulator.url}/_emulator/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  assert.equal(response.status, 200);
  return (await response.json()) as { sessionId: string; participantId: string };
}

describe('participant tokens and disconnects through CreateParticipantToken (API keys)', () => {
  let stack: Stack;
  const logs = createLogSink();
  const tokensSeen: string[] = [];
  const calls = (operation: EmulatedOperation) => stack.emulator.stats().byOperation[operation].calls;

  before(async () => {
    stack = await startStack({
      env: { AUTH_MODE: 'api-key', AUTH_API_KEYS: apiKeys, LOG_LEVEL: 'debug' },
      logDestination: logs.destination,
    });
  });
  after(async () => {
    await stack.close();
    // Every line the gateway wrote while the suite ran: no token may be in any of them.
    const text = logs.lines.map((line) => JSON.stringify(line)).join('\n');
    for (const token of tokensSeen) assert.equal(text.includes(token), false, 'a participant token reached the log');
  });
  beforeEach(() => stack.emulator.reset());

  test('a host mints a token with every capability it may grant; the answer is no-store and audited without the token', async () => {
    const before = Date.now();
    const response = await stack.graphql<Minted>(
      mint,
      { input: { stageArn: stage1, userId: 'guest-1', attributes: [{ key: 'name', value: 'Guest' }] } },
      as(keys.host),
    );
    assert.equal(response.body.errors, undefined, JSON.stringify(response.body.errors));
    const minted = response.body.data?.createParticipantToken;
    assert.ok(minted);
    tokensSeen.push(minted.token);
    assert.match(minted.participantId, /^[A-Za-z0-9]{12}$/);
    assert.equal(minted.userId, 'guest-1');
    assert.deepEqual(minted.attributes, [{ key: 'name', value: 'Guest' }]);
    assert.deepEqual(minted.capabilities, ['PUBLISH', 'SUBSCRIBE']);
    const expiresIn = Date.parse(minted.expirationTime) - before;
    assert.ok(expiresIn > 719 * 60_000 && expiresIn < 721 * 60_000, `expires in ${expiresIn} ms, not 720 minutes`);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(calls('CreateParticipantToken'), 1);
    const audit = logs.lines.find((line) => line['audit'] === 'mint' && line['participantId'] === minted.participantId);
    assert.ok(audit, 'an audit line for the mint');
    assert.equal(audit['caller'], 'api-key:host');
    assert.equal(audit['stageArn'], stage1);
    assert.equal(audit['mode'], 'api');
    assert.equal(audit['durationMinutes'], 720);
    assert.deepEqual(audit['capabilities'], ['PUBLISH', 'SUBSCRIBE']);
  });

  test('a key that may grant SUBSCRIBE gets a SUBSCRIBE token by default, for the duration it asks', async () => {
    const response = await stack.graphql<Minted>(
      mint,
      { input: { stageArn: stage1, durationMinutes: 5 } },
      as(keys.subscriber),
    );
    const minted = response.body.data?.createParticipantToken;
    assert.ok(minted, JSON.stringify(response.body.errors));
    tokensSeen.push(minted.token);
    assert.deepEqual(minted.capabilities, ['SUBSCRIBE']);
    assert.ok(Date.parse(minted.expirationTime) - Date.now() <= 5 * 60_000);
  });

  test('every refusal is decided before IVS: FORBIDDEN with the missing right, or BAD_USER_INPUT', async () => {
    const cases: [
      string,
      Record<string, string>,
      string,
      Record<string, unknown>,
      { code: string; reason?: string },
    ][] = [
      [
        'read-only key mints',
        as(keys.reader),
        mint,
        { stageArn: stage1 },
        { code: 'FORBIDDEN', reason: 'MINT_NOT_ALLOWED' },
      ],
      [
        'capability not granted',
        as(keys.subscriber),
        mint,
        { stageArn: stage1, capabilities: ['PUBLISH'] },
        { code: 'FORBIDDEN', reason: 'CAPABILITY_NOT_ALLOWED' },
      ],
      [
        'stage not granted',
        as(keys.subscriber),
        mint,
        { stageArn: stage2 },
        { code: 'FORBIDDEN', reason: 'STAGE_NOT_ALLOWED' },
      ],
      [
        'attributes over 1 KB',
        as(keys.host),
        mint,
        { stageArn: stage1, attributes: [{ key: 'bio', value: 'x'.repeat(1022) }] },
        { code: 'BAD_USER_INPUT' },
      ],
      ['duration 0', as(keys.host), mint, { stageArn: stage1, durationMinutes: 0 }, { code: 'BAD_USER_INPUT' }],
      [
        'duration over 14 days',
        as(keys.host),
        mint,
        { stageArn: stage1, durationMinutes: 20_161 },
        { code: 'BAD_USER_INPUT' },
      ],
      [
        'userId over 128 characters',
        as(keys.host),
        mint,
        { stageArn: stage1, userId: 'u'.repeat(129) },
        { code: 'BAD_USER_INPUT' },
      ],
      ['no capability', as(keys.host), mint, { stageArn: stage1, capabilities: [] }, { code: 'BAD_USER_INPUT' }],
      ['malformed stage ARN', as(keys.host), mint, { stageArn: 'arn:nope' }, { code: 'BAD_USER_INPUT' }],
      [
        'read-only key disconnects',
        as(keys.reader),
        disconnect,
        { stageArn: stage1, participantId: 'alice' },
        { code: 'FORBIDDEN', reason: 'DISCONNECT_NOT_ALLOWED' },
      ],
      [
        'minting key disconnects',
        as(keys.subscriber),
        disconnect,
        { stageArn: stage1, participantId: 'alice' },
        { code: 'FORBIDDEN', reason: 'DISCONNECT_NOT_ALLOWED' },
      ],
      [
        'malformed participant ID',
        as(keys.host),
        disconnect,
        { stageArn: stage1, participantId: 'not valid!' },
        { code: 'BAD_USER_INPUT' },
      ],
      [
        'reason over 128 characters',
        as(keys.host),
        disconnect,
        { stageArn: stage1, participantId: 'alice', reason: 'r'.repeat(129) },
        { code: 'BAD_USER_INPUT' },
      ],
    ];
    for (const [what, headers, document, input, expected] of cases) {
      const response = await stack.graphql(document, { input }, headers);
      const { code, reason } = refusal(response);
      assert.deepEqual({ code, reason }, { code: expected.code, reason: expected.reason }, what);
      assert.equal(response.body.data, null, what);
    }
    assert.equal(writeCalls(stack), 0, 'no refusal reached IVS');
  });

  test('a joined participant shows CONNECTED; after a disconnect the next query shows DISCONNECTED at once, roster too', async () => {
    const response = await stack.graphql<Minted>(
      mint,
      { input: { stageArn: stage1, userId: 'guest-2' } },
      as(keys.host),
    );
    const minted = response.body.data?.createParticipantToken;
    assert.ok(minted);
    tokensSeen.push(minted.token);
    const joined = await join(stack, minted.token);
    assert.equal(joined.sessionId, demo.sessionId);
    const { participantId } = minted;

    // Both answers land in the caches (participant TTL 3 s, roster TTL 2 s, whole responses 1 s).
    const state = await stack.graphql<{ participant: { state: string } }>(
      participantState,
      { participantId },
      as(keys.host),
    );
    assert.equal(state.body.data?.participant.state, 'CONNECTED');
    type Roster = { stageSession: { participants: { nodes: { participantId: string }[] } } };
    const rosterIds = async () =>
      (
        await stack.graphql<Roster>(connectedRoster, undefined, as(keys.host))
      ).body.data?.stageSession.participants.nodes.map((node) => node.participantId);
    assert.ok((await rosterIds())?.includes(participantId));
    const readsBefore = calls('GetParticipant') + calls('ListParticipants');
    assert.equal(
      (await stack.graphql<{ participant: { state: string } }>(participantState, { participantId }, as(keys.host))).body
        .data?.participant.state,
      'CONNECTED',
    );
    assert.ok((await rosterIds())?.includes(participantId));
    assert.equal(calls('GetParticipant') + calls('ListParticipants'), readsBefore, 'both answers were cached');

    const done = await stack.graphql(
      disconnect,
      { input: { stageArn: stage1, participantId, reason: 'spam' } },
      as(keys.host),
    );
    assert.deepEqual(done.body.data, {
      disconnectParticipant: { stageArn: stage1, participantId, disconnected: true },
    });
    assert.equal(done.headers.get('cache-control'), 'no-store');
    assert.equal(calls('DisconnectParticipant'), 1);
    assert.ok(logs.lines.some((line) => line['audit'] === 'disconnect' && line['participantId'] === participantId));

    const after = await stack.graphql<{ participant: { state: string } }>(
      participantState,
      { participantId },
      as(keys.host),
    );
    assert.equal(after.body.data?.participant.state, 'DISCONNECTED');
    assert.equal((await rosterIds())?.includes(participantId), false);
  });

  test('disconnecting someone who is not connected is NOT_FOUND, as IVS answers', async () => {
    const response = await stack.graphql(
      disconnect,
      { input: { stageArn: stage1, participantId: 'nobody' } },
      as(keys.host),
    );
    assert.equal(refusal(response).code, 'NOT_FOUND');
    assert.equal(calls('DisconnectParticipant'), 1);
  });

  test('a mutation over GET is refused and costs nothing', async () => {
    const url = new URL(`${stack.url}/graphql`);
    url.searchParams.set('query', mint);
    url.searchParams.set('variables', JSON.stringify({ input: { stageArn: stage1 } }));
    const response = await fetch(url, { headers: { ...as(keys.host), 'apollo-require-preflight': 'true' } });
    assert.equal(response.status, 405);
    assert.equal(writeCalls(stack), 0);
  });
});

describe('a JWT caller mints for its own user only', () => {
  let stack: Stack;
  let jwks: Awaited<ReturnType<typeof serveJwks>>;
  let key: Awaited<ReturnType<typeof signingKey>>;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  before(async () => {
    key = await signingKey('ES256', 'ec-1');
    jwks = await serveJwks([key.publicJwk]);
    stack = await startStack({
      env: {
        AUTH_MODE: 'jwt',
        AUTH_JWKS_URL: jwks.url,
        AUTH_ISSUER: issuer,
        AUTH_AUDIENCE: audience,
        AUTH_CLAIM_PREFIX: 'app_',
      },
    });
  });
  after(async () => {
    await stack.close();
    await jwks.close();
  });
  beforeEach(() => stack.emulator.reset());

  test("the token's user is the JWT's subject; another user ID is FORBIDDEN without an IVS call", async () => {
    const jwt = await signToken(key, { app_stages: ['*'], app_mint: ['SUBSCRIBE'] });
    const own = await stack.graphql<Minted>(mint, { input: { stageArn: stage1 } }, bearer(jwt));
    assert.equal(own.body.data?.createParticipantToken.userId, 'user-123');
    const other = await stack.graphql(mint, { input: { stageArn: stage1, userId: 'bob' } }, bearer(jwt));
    assert.deepEqual(refusal(other), { code: 'FORBIDDEN', reason: 'USER_ID_NOT_ALLOWED' });
    assert.equal(stack.emulator.stats().byOperation.CreateParticipantToken.calls, 1);
  });

  test('<prefix>set_user_id lets the issuer name the user; without the mint claim nothing is minted', async () => {
    const trusted = await signToken(key, { app_stages: ['*'], app_mint: ['SUBSCRIBE'], app_set_user_id: true });
    const named = await stack.graphql<Minted>(mint, { input: { stageArn: stage1, userId: 'bob' } }, bearer(trusted));
    assert.equal(named.body.data?.createParticipantToken.userId, 'bob');
    const reader = await signToken(key, { app_stages: ['*'], ivs_mint: ['SUBSCRIBE'] });
    const refused = await stack.graphql(mint, { input: { stageArn: stage1 } }, bearer(reader));
    assert.deepEqual(
      refusal(refused),
      { code: 'FORBIDDEN', reason: 'MINT_NOT_ALLOWED' },
      'AUTH_CLAIM_PREFIX renamed the claim',
    );
  });
});

describe('AUTH_MODE=none against an IVS endpoint', () => {
  test('anonymous callers mint nothing unless AUTH_ANONYMOUS_WRITES=true', async () => {
    const closed = await startStack();
    try {
      const response = await closed.graphql(mint, { input: { stageArn: stage1 } });
      assert.deepEqual(refusal(response), { code: 'FORBIDDEN', reason: 'MINT_NOT_ALLOWED' });
      assert.equal(writeCalls(closed), 0);
    } finally {
      await closed.close();
    }
    const open = await startStack({ env: { AUTH_ANONYMOUS_WRITES: 'true' } });
    try {
      const response = await open.graphql<Minted>(mint, { input: { stageArn: stage1 } });
      assert.equal(response.body.errors, undefined);
    } finally {
      await open.close();
    }
  });
});

describe('when the mint quota is used up', () => {
  test('a mint that cannot start before its deadline is THROTTLED with retryAfterSeconds, and IVS never throttles', async () => {
    const stack = await startStack({
      env: {
        AUTH_ANONYMOUS_WRITES: 'true',
        UPSTREAM_QUOTA_TPS_BY_OPERATION: 'CreateParticipantToken=2',
        UPSTREAM_DEADLINE_MS: '1500',
      },
      emulator: { quota: { callsPerSecond: 5 } },
    });
    try {
      const answers = await Promise.all(
        Array.from({ length: 12 }, () => stack.graphql<Minted>(mint, { input: { stageArn: stage1 } })),
      );
      const throttled = answers.filter((answer) => refusal(answer).code === 'THROTTLED');
      const minted = answers.filter((answer) => answer.body.data?.createParticipantToken.token !== undefined);
      assert.equal(throttled.length + minted.length, answers.length);
      assert.ok(throttled.length >= 1, 'some mints were refused');
      for (const answer of throttled) {
        const retryAfter = answer.body.errors?.[0]?.extensions?.['retryAfterSeconds'];
        assert.ok(typeof retryAfter === 'number' && retryAfter >= 1, `retryAfterSeconds ${String(retryAfter)}`);
      }
      const counts = stack.emulator.stats().byOperation.CreateParticipantToken;
      assert.equal(counts.throttled, 0);
      assert.equal(counts.calls, minted.length, 'no mint was retried');
    } finally {
      await stack.close();
    }
  });
});

describe('self-signed participant tokens (IVS_TOKEN_SIGNING_KEY)', () => {
  let stack: Stack;
  let publicKey: CryptoKey;
  let signingKeyPem: string;
  const logs = createLogSink();
  const tokensSeen: string[] = [];

  before(async () => {
    const pair = await generateKeyPair('ES384', { extractable: true });
    publicKey = pair.publicKey;
    signingKeyPem = await exportPKCS8(pair.privateKey);
    stack = await startStack({
      env: {
        AUTH_ANONYMOUS_WRITES: 'true',
        IVS_TOKEN_SIGNING_KEY: signingKeyPem,
        IVS_TOKEN_PUBLIC_KEY_ARN: publicKeyArn,
        LOG_LEVEL: 'debug',
      },
      logDestination: logs.destination,
    });
  });
  after(async () => {
    await stack.close();
    const text = logs.lines.map((line) => JSON.stringify(line)).join('\n');
    for (const token of tokensSeen) assert.equal(text.includes(token), false, 'a participant token reached the log');
    assert.equal(text.includes(signingKeyPem.split('\n')[1] ?? '-'), false, 'the signing key reached the log');
  });
  beforeEach(() => stack.emulator.reset());

  test('the token verifies with the public key and carries the claims IVS specifies; no CreateParticipantToken call', async () => {
    const response = await stack.graphql<Minted>(mint, {
      input: {
        stageArn: stage1,
        userId: 'viewer-9',
        attributes: [{ key: 'seat', value: 'A1' }],
        capabilities: ['SUBSCRIBE'],
        durationMinutes: 60,
      },
    });
    const minted = response.body.data?.createParticipantToken;
    assert.ok(minted, JSON.stringify(response.body.errors));
    tokensSeen.push(minted.token);
    const { payload, protectedHeader } = await jwtVerify(minted.token, publicKey, { algorithms: ['ES384'] });
    assert.deepEqual(decodeProtectedHeader(minted.token), { alg: 'ES384', typ: 'JWT', kid: publicKeyArn });
    assert.equal(protectedHeader.kid, publicKeyArn);
    assert.equal(payload.jti, minted.participantId);
    assert.match(minted.participantId, /^[A-Za-z0-9]{12}$/);
    assert.equal(payload['resource'], stage1);
    assert.equal(payload['topic'], 'DemoStage01');
    assert.equal(payload['events_url'], 'wss://global.events.live-video.net');
    assert.equal(payload['whip_url'], 'https://demostage01.global-bm.whip.live-video.net');
    assert.equal(payload['user_id'], 'viewer-9');
    assert.deepEqual(payload['attributes'], { seat: 'A1' });
    assert.deepEqual(payload['capabilities'], { allow_publish: false, allow_subscribe: true });
    assert.equal(payload['version'], '1.0');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 3600);
    assert.equal(Date.parse(minted.expirationTime), (payload.exp ?? 0) * 1000);
    assert.deepEqual(minted.capabilities, ['SUBSCRIBE']);
    assert.equal(stack.emulator.stats().byOperation.CreateParticipantToken.calls, 0);
    assert.ok(logs.lines.some((line) => line['audit'] === 'mint' && line['mode'] === 'signed'));

    // The stage's endpoints come from the cached GetStage: a second token costs no call at all.
    const getStageCalls = stack.emulator.stats().byOperation.GetStage.calls;
    await stack.graphql<Minted>(mint, { input: { stageArn: stage1 } });
    assert.equal(stack.emulator.stats().byOperation.GetStage.calls, getStageCalls);
  });

  test('the same refusals apply before anything is signed', async () => {
    const response = await stack.graphql(mint, {
      input: { stageArn: stage1, attributes: [{ key: 'k', value: 'v'.repeat(1100) }] },
    });
    assert.equal(refusal(response).code, 'BAD_USER_INPUT');
    assert.equal(stack.emulator.stats().byOperation.GetStage.calls, 0);
  });
});

describe('a disconnect and the subscriptions', () => {
  test(
    'a participantChanged subscriber sees DISCONNECTED at once, not at the next paced refresh',
    { timeout: 60_000 },
    async () => {
      // The next paced refresh is a minute away: only the disconnect itself can tell the watcher.
      const stack = await startStack({ env: { AUTH_ANONYMOUS_WRITES: 'true', LIVE_MIN_INTERVAL_MS: '60000' } });
      const { client } = liveClient(stack.url);
      try {
        const minted = await stack.graphql<Minted>(mint, { input: { stageArn: stage1 } });
        const participantId = minted.body.data?.createParticipantToken.participantId ?? '';
        const joined = await fetch(`${stack.emulator.url}/_emulator/join`, {
          method: 'POST',
          body: JSON.stringify({ token: minted.body.data?.createParticipantToken.token }),
        });
        assert.equal(joined.status, 200);
        const updates = subscribe<{ participantChanged: { state: string } }>(client, participantStateChanged, {
          ...demo,
          participantId,
        });
        assert.equal((await updates.next()).data?.participantChanged.state, 'CONNECTED');
        const answer = await stack.graphql(disconnect, { input: { stageArn: stage1, participantId } });
        assert.equal(answer.body.errors, undefined);
        assert.equal((await updates.next(5000)).data?.participantChanged.state, 'DISCONNECTED');
      } finally {
        await client.dispose();
        await stack.close();
      }
    },
  );
});
