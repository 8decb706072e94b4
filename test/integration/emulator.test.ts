import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import type { IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';
import { GetParticipantCommand, type GetParticipantCommandInput } from '@aws-sdk/client-ivs-realtime';
import { faults, startEmulator, type IvsEmulator } from '../../src/emulator/server.js';
import { participantKeyText } from '../../src/model.js';
import { ivsClientFor } from '../helpers/ivsClient.js';

const stage1 = 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage01';
const session1 = 'st-DemoSession01';
const alice = { stageArn: stage1, sessionId: session1, participantId: 'alice' };
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The fields an SDK service error carries, read without trusting its type. */
interface ServiceErrorShape {
  name: string;
  message: string;
  exceptionMessage?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

function serviceError(name: string, status: number, check: (error: ServiceErrorShape) => void = () => {}) {
  return (error: unknown): true => {
    const e = error as ServiceErrorShape;
    assert.equal(e.name, name);
    assert.equal(e.$metadata?.httpStatusCode, status);
    assert.match(e.$metadata?.requestId ?? '', uuid);
    check(e);
    return true;
  };
}

describe('IVS emulator, called through the AWS SDK', () => {
  let emulator: IvsEmulator;
  let client: IVSRealTimeClient;
  const get = (input: GetParticipantCommandInput) => client.send(new GetParticipantCommand(input));

  before(async () => {
    emulator = await startEmulator();
    client = ivsClientFor(emulator.url);
  });
  afterEach(() => {
    emulator.configure({ quota: null, latencyMs: 0 });
    emulator.reset();
  });
  after(async () => {
    client.destroy();
    await emulator.close();
  });

  test('returns a seeded participant with every field, firstJoinTime parsed as a Date', async () => {
    const output = await get(alice);
    assert.match(output.$metadata.requestId ?? '', uuid);
    assert.deepEqual(output.participant, {
      participantId: 'alice',
      userId: 'user-alice',
      state: 'CONNECTED',
      firstJoinTime: new Date('2025-01-15T09:30:00.000Z'),
      attributes: { displayName: 'Alice', role: 'host' },
      published: true,
      ispName: 'Comcast',
      osName: 'macOS',
      osVersion: '14.5',
      browserName: 'Chrome',
      browserVersion: '126.0.6478.127',
      sdkVersion: '1.14.0',
      recordingS3BucketName: 'demo-ivs-recordings',
      recordingS3Prefix: 'DemoStage01/st-DemoSession01/alice',
      recordingState: 'ACTIVE',
      protocol: 'WHIP',
      replicationType: 'SOURCE',
      replicationState: 'ACTIVE',
      redundantIngest: false,
    });
  });

  test('returns the replica participant with its source stage and session', async () => {
    const { participant } = await get({
      stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage02',
      sessionId: 'st-DemoSession02',
      participantId: 'carol',
    });
    assert.equal(participant?.replicationType, 'REPLICA');
    assert.equal(participant?.replicationState, 'ACTIVE');
    assert.equal(participant?.sourceStageArn, stage1);
    assert.equal(participant?.sourceSessionId, session1);
  });

  test('when the participant is unknown, it fails with ResourceNotFoundException and an exceptionMessage', async () => {
    await assert.rejects(
      get({ ...alice, participantId: 'nobody' }),
      serviceError('ResourceNotFoundException', 404, (e) =>
        assert.match(e.exceptionMessage ?? '', /Participant 'nobody' not found/),
      ),
    );
  });

  test('when the input breaks an IVS constraint, it fails with ValidationException', async () => {
    await assert.rejects(
      get({ ...alice, sessionId: 'st-short' }),
      serviceError('ValidationException', 400, (e) => assert.match(e.exceptionMessage ?? '', /at 'sessionId'/)),
    );
  });

  test('malformed JSON is a ValidationException and an unknown path an UnknownOperationException', async () => {
    const malformed = await fetch(`${emulator.url}/GetParticipant`, { method: 'POST', body: '{not json' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.headers.get('x-amzn-errortype'), 'ValidationException');
    assert.match(malformed.headers.get('x-amzn-requestid') ?? '', uuid);
    assert.match(((await malformed.json()) as { exceptionMessage: string }).exceptionMessage, /Could not parse/);
    const unknown = await fetch(`${emulator.url}/DeleteStage`, { method: 'POST', body: '{}' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get('x-amzn-errortype'), 'UnknownOperationException');
    await unknown.body?.cancel();
  });

  test('an injected AccessDenied fault fails the next call with 403, then calls succeed again', async () => {
    emulator.injectFault(faults.accessDenied());
    await assert.rejects(
      get(alice),
      serviceError('AccessDeniedException', 403, (e) => assert.match(e.exceptionMessage ?? '', /not authorized/)),
    );
    assert.equal((await get(alice)).participant?.participantId, 'alice');
    assert.deepEqual((({ calls, served, faulted }) => ({ calls, served, faulted }))(emulator.stats()), {
      calls: 2,
      served: 1,
      faulted: 1,
    });
  });

  test('a fault scoped to one participant leaves the others alone', async () => {
    emulator.injectFault(faults.internal(), { participantId: 'bob', times: Infinity });
    await assert.rejects(get({ ...alice, participantId: 'bob' }), serviceError('InternalServerException', 500));
    await assert.rejects(get({ ...alice, participantId: 'bob' }), serviceError('InternalServerException', 500));
    assert.equal((await get(alice)).participant?.participantId, 'alice');
    emulator.clearFaults();
    assert.equal((await get({ ...alice, participantId: 'bob' })).participant?.state, 'DISCONNECTED');
  });

  test('credential failures and arbitrary 5xx arrive as named errors with their status', async () => {
    emulator.injectFault(faults.unrecognizedClient());
    emulator.injectFault(faults.expiredToken());
    emulator.injectFault(faults.error('BadGatewayException', 502, 'upstream broke'));
    await assert.rejects(
      get(alice),
      serviceError('UnrecognizedClientException', 403, (e) => assert.match(e.message, /security token/)),
    );
    await assert.rejects(get(alice), serviceError('ExpiredTokenException', 403));
    await assert.rejects(
      get(alice),
      serviceError('BadGatewayException', 502, (e) => assert.equal(e.exceptionMessage, 'upstream broke')),
    );
  });

  test('with a quota of 5 TPS, 8 rapid calls give exactly 5 successes and 3 ThrottlingExceptions', async () => {
    emulator.configure({ quota: { callsPerSecond: 5 } });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => get(alice)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
    const throttled = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as ServiceErrorShape] : []));
    assert.equal(throttled.length, 3);
    for (const error of throttled)
      serviceError('ThrottlingException', 429, (e) => assert.equal(e.message, 'Rate exceeded'))(error);
    const stats = emulator.stats();
    assert.deepEqual([stats.calls, stats.served, stats.throttled], [8, 5, 3]);
    assert.equal(stats.maxCallsInAnyWindow(), 8, 'throttled calls are still calls received');
  });

  test('counts every call per key, and reset clears the counters', async () => {
    await get(alice);
    await get(alice);
    await assert.rejects(get({ ...alice, participantId: 'nobody' }));
    const stats = emulator.stats();
    assert.equal(stats.calls, 3);
    assert.equal(stats.rejected, 1);
    assert.deepEqual(stats.byKey, {
      [participantKeyText({ stageArn: stage1, sessionId: session1, participantId: 'alice' })]: 2,
      [participantKeyText({ stageArn: stage1, sessionId: session1, participantId: 'nobody' })]: 1,
    });
    assert.equal(stats.maxCallsInAnyWindow(60_000), 3);
    emulator.reset();
    assert.deepEqual((({ calls, served, byKey }) => ({ calls, served, byKey }))(emulator.stats()), {
      calls: 0,
      served: 0,
      byKey: {},
    });
    assert.equal(stats.calls, 3, 'a stats snapshot does not change after reset');
  });

  test('a reset fault gives the client a network error, not a service error', async () => {
    emulator.injectFault(faults.reset());
    await assert.rejects(get(alice), (error: unknown) => {
      assert.equal((error as ServiceErrorShape).$metadata?.httpStatusCode, undefined);
      assert.match((error as { code?: string }).code ?? '', /ECONNRESET|EPIPE/);
      return true;
    });
    assert.equal((await get(alice)).participant?.participantId, 'alice');
  });

  test('latencyMs delays each answer', async () => {
    emulator.configure({ latencyMs: 60 });
    const started = performance.now();
    await get(alice);
    // Lower bound only; timers may fire up to a millisecond early against performance.now().
    assert.ok(performance.now() - started >= 55);
  });

  test('the admin endpoints drive config, faults, stats and reset over HTTP', async () => {
    const admin = async (method: string, path: string, body?: unknown): Promise<unknown> => {
      const res = await fetch(`${emulator.url}/_emulator/${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      assert.equal(res.status, 200, `${method} ${path}`);
      return res.json();
    };
    assert.deepEqual(await admin('POST', 'config', { quota: { callsPerSecond: 7 }, latencyMs: 1 }), {
      quota: { callsPerSecond: 7 },
      latencyMs: 1,
    });
    assert.deepEqual(emulator.config(), { quota: { callsPerSecond: 7 }, latencyMs: 1 });
    await admin('POST', 'faults', {
      fault: { kind: 'error', errorType: 'ServiceUnavailableException', status: 503 },
      times: 'Infinity',
    });
    await assert.rejects(get(alice), serviceError('ServiceUnavailableException', 503));
    await assert.rejects(get(alice), serviceError('ServiceUnavailableException', 503));
    await admin('DELETE', 'faults');
    await get(alice);
    const { byOperation, ...counters } = (await admin('GET', 'stats?windowMs=60000')) as Record<string, unknown> & {
      byOperation: Record<string, { calls: number }>;
    };
    assert.deepEqual(counters, {
      calls: 3,
      served: 1,
      throttled: 0,
      faulted: 2,
      rejected: 0,
      byKey: { [participantKeyText({ stageArn: stage1, sessionId: session1, participantId: 'alice' })]: 3 },
      untrackedKeyCalls: 0,
      windowMs: 60000,
      maxCallsInAnyWindow: 3,
    });
    assert.equal(byOperation['GetParticipant']?.calls, 3);
    assert.equal(byOperation['ListParticipants']?.calls, 0);
    await admin('POST', 'reset');
    assert.equal(emulator.stats().calls, 0);
    const bad = await fetch(`${emulator.url}/_emulator/config`, { method: 'POST', body: '{"latencyMs":-1}' });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  });

  test('addParticipant makes a new participant fetchable and refuses keys IVS could not serve', async () => {
    emulator.addParticipant(stage1, session1, {
      participantId: 'dave',
      state: 'CONNECTED',
      firstJoinTime: '2025-02-01T00:00:00Z',
    });
    assert.deepEqual((await get({ ...alice, participantId: 'dave' })).participant, {
      participantId: 'dave',
      state: 'CONNECTED',
      firstJoinTime: new Date('2025-02-01T00:00:00Z'),
    });
    assert.throws(() => emulator.addParticipant(stage1, 'st-bad', { participantId: 'x' }), /sessionId/);
  });
});

describe('IVS emulator lifecycle', () => {
  test('generated participants p-0000 ... are fetchable up to the count', async (t) => {
    const emulator = await startEmulator({
      generatedParticipants: { stageArn: stage1, sessionId: session1, count: 3 },
    });
    const client = ivsClientFor(emulator.url);
    t.after(async () => {
      client.destroy();
      await emulator.close();
    });
    const { participant } = await client.send(new GetParticipantCommand({ ...alice, participantId: 'p-0002' }));
    assert.equal(participant?.userId, 'user-0002');
    assert.ok(participant?.firstJoinTime instanceof Date);
    await assert.rejects(client.send(new GetParticipantCommand({ ...alice, participantId: 'p-0003' })), {
      name: 'ResourceNotFoundException',
    });
  });

  test('close ends a hanging call promptly and fails it on the client', async () => {
    const emulator = await startEmulator();
    const client = ivsClientFor(emulator.url);
    try {
      emulator.injectFault(faults.hang());
      const pending = client.send(new GetParticipantCommand(alice));
      await emulator.waitForCalls(1);
      assert.equal(emulator.stats().faulted, 1);
      await emulator.close();
      await assert.rejects(
        pending,
        (error: unknown) => (error as ServiceErrorShape).$metadata?.httpStatusCode === undefined,
      );
      await assert.rejects(emulator.waitForCalls(1 + 1), /closed/);
    } finally {
      client.destroy();
      await emulator.close();
    }
  });

  test('refuses to start when NODE_ENV is production', async () => {
    const previous = process.env['NODE_ENV'];
    process.env['NODE_ENV'] = 'production';
    try {
      await assert.rejects(startEmulator(), /refuses to start when NODE_ENV=production/);
    } finally {
      if (previous === undefined) delete process.env['NODE_ENV'];
      else process.env['NODE_ENV'] = previous;
    }
  });
});
