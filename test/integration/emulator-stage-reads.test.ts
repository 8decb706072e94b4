import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  GetParticipantCommand,
  GetStageCommand,
  GetStageSessionCommand,
  type IVSRealTimeClient,
  ListParticipantEventsCommand,
  ListParticipantsCommand,
  ListStageSessionsCommand,
  type ListParticipantsCommandInput,
} from '@aws-sdk/client-ivs-realtime';
import { faults, startEmulator, type IvsEmulator } from '../../src/emulator/server.js';
import { participantKeyText } from '../../src/model.js';
import { ivsClientFor } from '../helpers/ivsClient.js';

const stage1 = 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage01';
const session1 = 'st-DemoSession01';
const roster = { stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/RosterTest', sessionId: 'st-RosterTest250' };

/** The SDK error fields a test reads. */
interface ServiceErrorShape {
  name: string;
  exceptionMessage?: string;
  $metadata?: { httpStatusCode?: number };
}

const validationError =
  (pattern: RegExp) =>
  (error: unknown): true => {
    const e = error as ServiceErrorShape;
    assert.equal(e.name, 'ValidationException');
    assert.equal(e.$metadata?.httpStatusCode, 400);
    assert.match(e.exceptionMessage ?? '', pattern);
    return true;
  };

describe('IVS emulator stage, session, roster and event operations, called through the AWS SDK', () => {
  let emulator: IvsEmulator;
  let client: IVSRealTimeClient;
  const list = (input: Omit<ListParticipantsCommandInput, 'stageArn' | 'sessionId'>) =>
    client.send(new ListParticipantsCommand({ ...roster, ...input }));

  before(async () => {
    emulator = await startEmulator({ generatedParticipants: { ...roster, count: 250 } });
    client = ivsClientFor(emulator.url);
  });
  // Tests that change the configuration restore it themselves.
  afterEach(() => emulator.reset());
  after(async () => {
    client.destroy();
    await emulator.close();
  });

  test('GetStage returns the name, tags, active session and endpoints; an unknown stage is ResourceNotFoundException', async () => {
    const { stage } = await client.send(new GetStageCommand({ arn: stage1 }));
    assert.deepEqual(stage, {
      arn: stage1,
      name: 'Demo stage',
      activeSessionId: session1,
      tags: { env: 'demo' },
      endpoints: {
        events: 'wss://global.events.live-video.net',
        whip: 'https://demostage01.global-bm.whip.live-video.net',
        rtmp: 'rtmp://demostage01.global-contribute-staging.live-video.net/app/',
        rtmps: 'rtmps://demostage01.global-contribute-staging.live-video.net:443/app/',
      },
    });
    await assert.rejects(
      client.send(new GetStageCommand({ arn: 'arn:aws:ivs:us-east-1:123456789012:stage/Nope' })),
      (error: ServiceErrorShape) => error.name === 'ResourceNotFoundException',
    );
    await assert.rejects(client.send(new GetStageCommand({ arn: 'not-an-arn' })), validationError(/at 'arn'/));
  });

  test('GetStageSession and ListStageSessions return sessions newest first, times as Dates', async () => {
    const { stageSession } = await client.send(
      new GetStageSessionCommand({ stageArn: stage1, sessionId: 'st-DemoSession00' }),
    );
    assert.deepEqual(stageSession, {
      sessionId: 'st-DemoSession00',
      startTime: new Date('2025-01-14T18:00:00.000Z'),
      endTime: new Date('2025-01-14T19:15:00.000Z'),
    });
    const first = await client.send(new ListStageSessionsCommand({ stageArn: stage1, maxResults: 1 }));
    assert.deepEqual(
      first.stageSessions?.map((s) => [s.sessionId, s.endTime]),
      [[session1, undefined]],
    );
    assert.ok(first.nextToken);
    const second = await client.send(
      new ListStageSessionsCommand({ stageArn: stage1, maxResults: 1, nextToken: first.nextToken }),
    );
    assert.deepEqual(
      second.stageSessions?.map((s) => s.sessionId),
      ['st-DemoSession00'],
    );
    assert.equal(second.nextToken, undefined);
  });

  test('ListParticipants pages 250 participants as 100, 100 and 50, with summary fields only', async () => {
    const pages: string[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await list({ maxResults: 100, ...(nextToken && { nextToken }) });
      pages.push((page.participants ?? []).map((p) => p.participantId ?? ''));
      nextToken = page.nextToken;
      if (pages.length === 1) {
        const [summary] = page.participants ?? [];
        assert.deepEqual(Object.keys(summary ?? {}).sort(), [
          'firstJoinTime',
          'participantId',
          'published',
          'recordingState',
          'redundantIngest',
          'replicationType',
          'state',
          'userId',
        ]);
      }
    } while (nextToken !== undefined);
    assert.deepEqual(
      pages.map((page) => page.length),
      [100, 100, 50],
    );
    assert.equal(new Set(pages.flat()).size, 250);
    assert.equal(pages[2]?.at(-1), 'p-0249');
    assert.equal((await list({})).participants?.length, 50, 'maxResults defaults to 50');
  });

  test('each of the four filters selects its participants', async () => {
    const ids = async (input: Omit<ListParticipantsCommandInput, 'stageArn' | 'sessionId'>) =>
      ((await list({ maxResults: 100, ...input })).participants ?? []).map((p) => p.participantId);
    assert.deepEqual(await ids({ filterByUserId: 'user-0007' }), ['p-0007']);
    assert.deepEqual((await ids({ filterByState: 'DISCONNECTED' })).slice(0, 3), ['p-0004', 'p-0009', 'p-0014']);
    assert.deepEqual((await ids({ filterByPublished: false })).slice(0, 3), ['p-0001', 'p-0003', 'p-0005']);
    assert.deepEqual(await ids({ filterByRecordingState: 'ACTIVE' }), []);
    emulator.addParticipant(roster.stageArn, roster.sessionId, {
      participantId: 'recorded',
      recordingState: 'ACTIVE',
    });
    assert.deepEqual(await ids({ filterByRecordingState: 'ACTIVE' }), ['recorded']);
  });

  test('refuses two filters, maxResults outside 1-100 and a token from another listing', async () => {
    await assert.rejects(list({ filterByPublished: true, filterByState: 'CONNECTED' }), validationError(/one filter/));
    await assert.rejects(list({ maxResults: 0 }), validationError(/'maxResults'.*greater than or equal to 1/));
    await assert.rejects(list({ maxResults: 101 }), validationError(/less than or equal to 100/));
    const { nextToken } = await list({ maxResults: 10 });
    await assert.rejects(list({ filterByPublished: true, nextToken }), validationError(/nextToken/));
    await assert.rejects(list({ nextToken: 'bm90LWEtdG9rZW4' }), validationError(/nextToken/));
    assert.equal(emulator.stats().byOperation.ListParticipants.rejected, 5);
  });

  test('ListParticipantEvents returns seeded histories, token claims included, and derived ones', async () => {
    const events = (participantId: string, sessionId = session1, stageArn = stage1) =>
      client.send(new ListParticipantEventsCommand({ stageArn, sessionId, participantId }));
    const alice = await events('alice');
    assert.deepEqual(
      alice.events?.map((e) => e.name),
      ['JOINED', 'PUBLISH_STARTED', 'SUBSCRIBE_STARTED', 'SUBSCRIBE_ERROR', 'TOKEN_EXCHANGED', 'REPLICATION_STARTED'],
    );
    assert.equal(alice.events?.[3]?.errorCode, 'INSUFFICIENT_CAPABILITIES');
    assert.ok(alice.events?.[4]?.newToken?.attributes, 'the emulator serves token claims, as IVS does');
    assert.deepEqual(alice.events?.[0]?.eventTime, new Date('2025-01-15T09:30:00.000Z'));
    const generated = await events('p-0004', roster.sessionId, roster.stageArn);
    assert.deepEqual(
      generated.events?.map((e) => e.name),
      ['JOINED', 'PUBLISH_STARTED', 'PUBLISH_STOPPED', 'LEFT'],
    );
    assert.deepEqual((await events('nobody')).events, []);
  });

  test('each operation has its own quota: a throttled ListParticipants leaves GetParticipant its budget', async (t) => {
    emulator.configure({ quota: { callsPerSecond: 5 } });
    t.after(() => emulator.configure({ quota: null }));
    const listings = await Promise.allSettled(Array.from({ length: 7 }, () => list({ maxResults: 1 })));
    assert.equal(listings.filter((r) => r.status === 'rejected').length, 2);
    const gets = await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        client.send(new GetParticipantCommand({ stageArn: stage1, sessionId: session1, participantId: 'alice' })),
      ),
    );
    assert.ok(gets.every((r) => r.status === 'fulfilled'));
    const { byOperation } = emulator.stats();
    assert.deepEqual(byOperation.ListParticipants, { calls: 7, served: 5, throttled: 2, faulted: 0, rejected: 0 });
    assert.deepEqual(byOperation.GetParticipant, { calls: 5, served: 5, throttled: 0, faulted: 0, rejected: 0 });
  });

  test('a fault scoped to one operation leaves the other operations alone', async () => {
    emulator.injectFault(faults.internal(), { operation: 'ListParticipants', times: Infinity });
    await assert.rejects(list({}), (error: ServiceErrorShape) => error.name === 'InternalServerException');
    const { stage } = await client.send(new GetStageCommand({ arn: stage1 }));
    assert.equal(stage?.name, 'Demo stage');
    assert.equal(emulator.stats().byOperation.ListParticipants.faulted, 1);
  });
});

describe('IVS emulator call log', () => {
  test('keeps at most maxKeys keys and maxArrivals arrival times, however many calls arrive', async (t) => {
    const emulator = await startEmulator({ callLogLimits: { maxArrivals: 3, maxKeys: 2 } });
    t.after(() => emulator.close());
    const client = ivsClientFor(emulator.url);
    t.after(() => client.destroy());
    const get = (participantId: string) =>
      client.send(new GetParticipantCommand({ stageArn: stage1, sessionId: session1, participantId })).catch(() => {});
    for (const id of ['alice', 'bob', 'carol', 'dave', 'alice', 'erin', 'bob', 'frank']) await get(id);
    const stats = emulator.stats();
    assert.equal(stats.calls, 8, 'the counters still count every call');
    const key = (participantId: string) => participantKeyText({ stageArn: stage1, sessionId: session1, participantId });
    assert.deepEqual(stats.byKey, { [key('alice')]: 2, [key('bob')]: 2 });
    assert.equal(stats.untrackedKeyCalls, 4);
    assert.equal(stats.maxCallsInAnyWindow(60_000), 3);
  });
});
