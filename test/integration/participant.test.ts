import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { faults, loadDemoSeed } from '../../src/emulator/server.js';
import { participantQuery } from '../helpers/queries.js';
import { createLogSink, demo, startStack, type Stack } from '../helpers/stack.js';

const allFields = `
  stageArn sessionId participantId userId state firstJoinTime
  attributes { key value }
  published ispName osName osVersion browserName browserVersion sdkVersion
  recordingS3BucketName recordingS3Prefix recordingState protocol
  replicationType replicationState sourceStageArn sourceSessionId redundantIngest ingestConfigurationArn`;

const allFieldsQuery = participantQuery(allFields);

type ParticipantData = { participant: Record<string, unknown> | null };

// These suites count IVS calls per test, so no answer may carry over from an earlier test.
const noCache = { UPSTREAM_CACHE_MAX_ENTRIES: '0' };

function seeded(stageArn: string, sessionId: string, participantId: string) {
  const participant = loadDemoSeed()
    .stages.find((s) => s.stageArn === stageArn)
    ?.sessions.find((s) => s.sessionId === sessionId)
    ?.participants.find((p) => p.participantId === participantId);
  assert.ok(participant, `seed has ${participantId}`);
  return participant;
}

describe('participant query', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: noCache });
  });
  after(async () => {
    await stack.close();
  });
  beforeEach(() => {
    stack.emulator.reset();
  });

  test('returns every field of a seeded participant, as IVS has it', async () => {
    const { status, body } = await stack.graphql<ParticipantData>(allFieldsQuery, {
      ...demo,
      participantId: 'alice',
    });
    assert.equal(status, 200);
    assert.equal(body.errors, undefined);
    const alice = seeded(demo.stageArn, demo.sessionId, 'alice');
    const { attributes, ...scalars } = alice;
    const expected: Record<string, unknown> = {
      stageArn: demo.stageArn,
      sessionId: demo.sessionId,
      userId: null,
      state: null,
      firstJoinTime: null,
      published: null,
      ispName: null,
      osName: null,
      osVersion: null,
      browserName: null,
      browserVersion: null,
      sdkVersion: null,
      recordingS3BucketName: null,
      recordingS3Prefix: null,
      recordingState: null,
      protocol: null,
      replicationType: null,
      replicationState: null,
      sourceStageArn: null,
      sourceSessionId: null,
      redundantIngest: null,
      ingestConfigurationArn: null,
      ...scalars,
      attributes: Object.entries(attributes ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => ({ key, value })),
    };
    assert.deepEqual(body.data?.participant, expected);
    assert.equal(stack.emulator.stats().calls, 1);
  });

  test('a replica participant carries its source stage and session', async () => {
    const carol = seeded('arn:aws:ivs:us-east-1:123456789012:stage/DemoStage02', 'st-DemoSession02', 'carol');
    const { body } = await stack.graphql<ParticipantData>(allFieldsQuery, {
      stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage02',
      sessionId: 'st-DemoSession02',
      participantId: 'carol',
    });
    assert.equal(body.data?.participant?.replicationType, 'REPLICA');
    assert.equal(body.data?.participant?.sourceStageArn, carol.sourceStageArn);
    assert.equal(body.data?.participant?.sourceSessionId, carol.sourceSessionId);
  });

  test('attribute(key) returns one value, null for a missing key and for inherited object keys', async () => {
    const { body } = await stack.graphql<ParticipantData>(
      `query($stageArn: String!, $sessionId: String!) {
        participant(stageArn: $stageArn, sessionId: $sessionId, participantId: "alice") {
          role: attribute(key: "role") missing: attribute(key: "nope") proto: attribute(key: "constructor")
        }
      }`,
      demo,
    );
    assert.deepEqual(body.data?.participant, { role: 'host', missing: null, proto: null });
  });

  test('a participant without attributes has an empty list', async () => {
    const { body } = await stack.graphql<ParticipantData>(allFieldsQuery, { ...demo, participantId: 'bob' });
    assert.deepEqual(body.data?.participant?.attributes, []);
  });

  test('aliases, fragments and repeats of the same participant make one IVS call per distinct key', async () => {
    const { body } = await stack.graphql(
      `query($stageArn: String!, $sessionId: String!) {
        a1: participant(stageArn: $stageArn, sessionId: $sessionId, participantId: "alice") { userId }
        a2: participant(stageArn: $stageArn, sessionId: $sessionId, participantId: "alice") { ...F }
        a3: participant(stageArn: $stageArn, sessionId: $sessionId, participantId: "alice") { state }
        b1: participant(stageArn: $stageArn, sessionId: $sessionId, participantId: "bob") { userId }
        b2: participant(stageArn: $stageArn, sessionId: $sessionId, participantId: "bob") { ...F }
      }
      fragment F on Participant { participantId published }`,
      demo,
    );
    assert.equal(body.errors, undefined);
    assert.equal((body.data?.a2 as { participantId: string }).participantId, 'alice');
    const stats = stack.emulator.stats();
    assert.equal(stats.calls, 2);
    assert.deepEqual(Object.values(stats.byKey), [1, 1]);
  });

  test('a missing participant is null with NOT_FOUND at its path while the others resolve', async () => {
    const { status, body } = await stack.graphql(
      `query($stageArn: String!, $sessionId: String!) {
        alice: participant(stageArn: $stageArn, sessionId: $sessionId, participantId: "alice") { userId }
        ghost: participant(stageArn: $stageArn, sessionId: $sessionId, participantId: "ghost") { userId }
      }`,
      demo,
    );
    assert.equal(status, 200);
    assert.deepEqual(body.data, { alice: { userId: 'user-alice' }, ghost: null });
    assert.equal(body.errors?.length, 1);
    const [error] = body.errors ?? [];
    assert.deepEqual(error?.path, ['ghost']);
    assert.equal(error?.extensions?.code, 'NOT_FOUND');
    const ivs = error?.extensions?.ivs as Record<string, unknown>;
    assert.equal(ivs.errorType, 'ResourceNotFoundException');
    assert.equal(ivs.httpStatus, 404);
    assert.match(String(ivs.requestId), /\S+/);
    assert.equal(ivs.retryable, false);
  });

  for (const [field, value] of [
    ['stageArn', 'arn:aws:s3:::not-a-stage'],
    ['stageArn', `arn:aws:ivs:us-east-1:123456789012:stage/${'a'.repeat(120)}`],
    ['sessionId', 'st-short'],
    ['sessionId', 'xx-DemoSession01'],
    ['participantId', ''],
    ['participantId', 'has space'],
    ['participantId', 'a'.repeat(65)],
  ] as const) {
    test(`invalid ${field} ${JSON.stringify(value.slice(0, 24))} is BAD_USER_INPUT and costs no upstream call`, async () => {
      const { status, body } = await stack.graphql(allFieldsQuery, {
        ...demo,
        participantId: 'alice',
        [field]: value,
      });
      assert.equal(status, 200);
      assert.equal(body.data?.participant, null);
      assert.equal(body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.match(body.errors?.[0]?.message ?? '', new RegExp(field));
      assert.equal(stack.emulator.stats().calls, 0);
    });
  }
});

describe('stages this gateway does not serve', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { ...noCache, AWS_REGION: 'us-east-1', IVS_ACCOUNT_ID: '123456789012' } });
  });
  after(async () => {
    await stack.close();
  });
  beforeEach(() => {
    stack.emulator.reset();
  });

  for (const [what, stageArn, named] of [
    ['another region', 'arn:aws:ivs:eu-west-1:123456789012:stage/DemoStage01', /serves stages in us-east-1/],
    ['another account', 'arn:aws:ivs:us-east-1:999999999999:stage/DemoStage01', /account 123456789012 only/],
  ] as const) {
    test(`a stage in ${what} is BAD_USER_INPUT naming what is served, and costs no upstream call`, async () => {
      const { body } = await stack.graphql(allFieldsQuery, { ...demo, stageArn, participantId: 'alice' });
      assert.equal(body.data?.participant, null);
      assert.equal(body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(body.errors?.[0]?.extensions?.reason, 'STAGE_NOT_SERVED');
      assert.match(body.errors?.[0]?.message ?? '', named);
      assert.equal(stack.emulator.stats().calls, 0);
    });
  }

  test('a stage lookup for another region is refused the same way, without a call', async () => {
    const { body } = await stack.graphql('query($arn: String!) { stage(arn: $arn) { arn } }', {
      arn: 'arn:aws:ivs:eu-west-1:123456789012:stage/DemoStage01',
    });
    assert.equal(body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.equal(body.errors?.[0]?.extensions?.reason, 'STAGE_NOT_SERVED');
    assert.equal(stack.emulator.stats().calls, 0);
  });

  test('a stage of the served region and account is looked up', async () => {
    const { body } = await stack.graphql<ParticipantData>(allFieldsQuery, { ...demo, participantId: 'alice' });
    assert.equal(body.data?.participant?.participantId, 'alice');
    assert.equal(stack.emulator.stats().calls, 1);
  });
});

describe('IVS failures map to stable codes', () => {
  let stack: Stack;
  before(async () => {
    // One attempt, so each injected fault is the answer the gateway sees.
    stack = await startStack({ env: { ...noCache, UPSTREAM_MAX_ATTEMPTS: '1' } });
  });
  after(async () => {
    await stack.close();
  });
  beforeEach(() => {
    stack.emulator.reset();
  });

  const cases = [
    {
      fault: faults.validation('Stage ARN is not valid for this account'),
      code: 'BAD_USER_INPUT',
      status: 400,
      ivsText: true,
    },
    { fault: faults.notFound('Participant alice not found'), code: 'NOT_FOUND', status: 404, ivsText: true },
    {
      fault: faults.accessDenied('User: arn:aws:sts::123456789012:assumed-role/gw is not authorized'),
      code: 'FORBIDDEN',
      status: 403,
      ivsText: false,
    },
    { fault: faults.throttling('Rate exceeded'), code: 'THROTTLED', status: 429, ivsText: true },
    { fault: faults.serviceQuotaExceeded('Quota exceeded'), code: 'THROTTLED', status: 402, ivsText: true },
    { fault: faults.internal('Something broke inside IVS'), code: 'UPSTREAM_UNAVAILABLE', status: 500, ivsText: true },
    { fault: faults.error('BadGateway', 502, 'bad gateway'), code: 'UPSTREAM_UNAVAILABLE', status: 502, ivsText: true },
    {
      fault: faults.unrecognizedClient('The security token included in the request is invalid AKIASECRET'),
      code: 'UPSTREAM_AUTH_FAILED',
      status: 403,
      ivsText: false,
    },
    {
      fault: faults.invalidSignature('Signature mismatch for AKIASECRET'),
      code: 'UPSTREAM_AUTH_FAILED',
      status: 403,
      ivsText: false,
    },
    {
      fault: faults.expiredToken('The security token included in the request is expired'),
      code: 'UPSTREAM_AUTH_FAILED',
      status: 403,
      ivsText: false,
    },
    {
      fault: faults.pendingVerification('Account pending verification arn:aws:iam::123456789012:role/gw'),
      code: 'UPSTREAM_AUTH_FAILED',
      status: 403,
      ivsText: false,
    },
    { fault: faults.conflict('Conflict'), code: 'INTERNAL_SERVER_ERROR', status: 409, ivsText: false },
  ] as const;

  for (const { fault, code, status, ivsText } of cases) {
    const errorType = fault.kind === 'error' ? fault.errorType : '';
    test(`${errorType} (${status}) → ${code}`, async () => {
      stack.emulator.injectFault(fault);
      const { body } = await stack.graphql(allFieldsQuery, { ...demo, participantId: 'alice' });
      assert.equal(body.data?.participant, null);
      const error = body.errors?.[0];
      assert.equal(error?.extensions?.code, code);
      assert.equal(stack.emulator.stats().calls, 1);
      if (code === 'INTERNAL_SERVER_ERROR') {
        assert.equal(error?.message, 'Internal server error');
        return;
      }
      const ivs = error?.extensions?.ivs as Record<string, unknown>;
      assert.match(String(ivs.requestId), /\S+/);
      const ivsMessage = fault.kind === 'error' ? (fault.message ?? '') : '';
      if (ivsText) {
        assert.equal(error?.message, ivsMessage);
        assert.equal(ivs.errorType, errorType);
        assert.equal(ivs.httpStatus, status);
      } else {
        // The gateway's own identity is at fault: the caller learns the code and IVS's request id, nothing more.
        assert.doesNotMatch(JSON.stringify(error), /arn:|AKIA|Exception|security token|Signature|verification/);
        assert.deepEqual(Object.keys(ivs).sort(), ['requestId', 'retryable']);
      }
    });
  }

  test('a network failure is UPSTREAM_UNAVAILABLE', async () => {
    stack.emulator.injectFault(faults.reset());
    const { body } = await stack.graphql(allFieldsQuery, { ...demo, participantId: 'alice' });
    assert.equal(body.errors?.[0]?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
  });

  test('THROTTLED tells the client when to retry', async () => {
    stack.emulator.injectFault(faults.throttling());
    const { body } = await stack.graphql(allFieldsQuery, { ...demo, participantId: 'alice' });
    assert.equal(body.errors?.[0]?.extensions?.code, 'THROTTLED');
    assert.equal(typeof body.errors?.[0]?.extensions?.retryAfterSeconds, 'number');
  });
});

describe('deadlines and credentials', () => {
  test('an upstream that hangs answers UPSTREAM_TIMEOUT within the deadline, and the next query still works', async () => {
    const stack = await startStack({ env: { UPSTREAM_DEADLINE_MS: '300', UPSTREAM_MAX_ATTEMPTS: '1' } });
    try {
      stack.emulator.injectFault(faults.hang());
      const { body } = await stack.graphql(allFieldsQuery, { ...demo, participantId: 'alice' });
      assert.equal(body.errors?.[0]?.extensions?.code, 'UPSTREAM_TIMEOUT');
      const next = await stack.graphql<ParticipantData>(allFieldsQuery, { ...demo, participantId: 'alice' });
      assert.equal(next.body.data?.participant?.participantId, 'alice');
    } finally {
      await stack.close();
    }
  });

  test('when the gateway has no AWS credentials, callers get UPSTREAM_AUTH_FAILED and IVS sees nothing; the log says why', async () => {
    const { lines, destination } = createLogSink();
    const stack = await startStack({
      env: { LOG_LEVEL: 'info' },
      logDestination: destination,
      credentials: async () => {
        const error = new Error('Could not load credentials from any providers');
        error.name = 'CredentialsProviderError';
        throw error;
      },
    });
    try {
      const { body } = await stack.graphql(allFieldsQuery, { ...demo, participantId: 'alice' });
      assert.equal(body.errors?.[0]?.extensions?.code, 'UPSTREAM_AUTH_FAILED');
      assert.doesNotMatch(JSON.stringify(body), /CredentialsProviderError|credentials from/);
      assert.equal(stack.emulator.stats().calls, 0);
      assert.ok(lines.some((line) => line['errorType'] === 'CredentialsProviderError' && line['level'] === 50));
    } finally {
      await stack.close();
    }
  });
});

describe('operator logs', () => {
  test('an IVS AccessDenied is logged with IVS’s own text and request id, which the client never sees', async () => {
    const { lines, destination } = createLogSink();
    const stack = await startStack({
      env: { LOG_LEVEL: 'info', UPSTREAM_MAX_ATTEMPTS: '1' },
      logDestination: destination,
    });
    try {
      const ivsText =
        'User: arn:aws:sts::123456789012:assumed-role/gateway is not authorized to perform ivs:GetParticipant';
      stack.emulator.injectFault(faults.accessDenied(ivsText));
      const { body } = await stack.graphql(allFieldsQuery, { ...demo, participantId: 'alice' });
      assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      assert.doesNotMatch(JSON.stringify(body), /assumed-role/);
      const hint = lines.find((line) => line['errorType'] === 'AccessDeniedException');
      assert.ok(hint, 'an operator log line names the IVS error');
      assert.equal(hint['level'], 50);
      assert.equal(hint['ivsMessage'], ivsText);
      assert.equal(hint['stageArn'], demo.stageArn);
      assert.match(String(hint['requestId']), /\S+/);
    } finally {
      await stack.close();
    }
  });
});

describe('values IVS adds later', () => {
  test('an enum value the schema does not know yet reads as null; the rest of the participant resolves', async () => {
    const stack = await startStack();
    try {
      stack.emulator.addParticipant(demo.stageArn, demo.sessionId, {
        participantId: 'future',
        state: 'CONNECTED',
        protocol: 'SRT',
        recordingState: 'ARCHIVED',
      });
      const { body } = await stack.graphql<ParticipantData>(allFieldsQuery, { ...demo, participantId: 'future' });
      assert.equal(body.errors, undefined);
      assert.equal(body.data?.participant?.state, 'CONNECTED');
      assert.equal(body.data?.participant?.protocol, null);
      assert.equal(body.data?.participant?.recordingState, null);
    } finally {
      await stack.close();
    }
  });
});
