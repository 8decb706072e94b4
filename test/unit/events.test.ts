import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { stageUpdateEvent } from '../../src/emulator/eventDelivery.js';
import { createSharedSecretCheck } from '../../src/http/sharedSecret.js';
import { readEventBridgeEvent } from '../../src/live/eventBridgeEvent.js';
import { createLocalEventIds } from '../../src/live/seenEventIds.js';

const served = { regions: ['us-east-1'], accountId: '123456789012' };
const stageArn = 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage01';

function event(detail: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: 'e-1',
    'detail-type': 'IVS Stage Update',
    source: 'aws.ivs',
    account: '123456789012',
    time: '2026-06-23T20:12:36Z',
    region: 'us-east-1',
    resources: [stageArn],
    detail: {
      session_id: 'st-DemoSession01',
      event_name: 'Participant Published',
      user_id: 'user-alice',
      participant_id: 'alice',
      ...detail,
    },
    ...envelope,
  };
}

describe('readEventBridgeEvent', () => {
  test('a participant published event becomes a StageEvent with published true', () => {
    assert.deepEqual(readEventBridgeEvent(event(), served), {
      kind: 'stage-event',
      event: {
        id: 'e-1',
        stageArn,
        sessionId: 'st-DemoSession01',
        participantId: 'alice',
        time: new Date('2026-06-23T20:12:36Z'),
        name: 'Participant Published',
        userId: 'user-alice',
        published: true,
      },
    });
  });

  test('detail.event_time wins over the envelope time; unpublished and publish error leave published alone (it means ever published)', () => {
    const unpublished = readEventBridgeEvent(
      event({ event_name: 'Participant Unpublished', event_time: '2026-06-23T20:12:35.250Z' }),
      served,
    );
    assert.equal(unpublished.kind === 'stage-event' && unpublished.event.published, undefined);
    assert.deepEqual(
      unpublished.kind === 'stage-event' && unpublished.event.time,
      new Date('2026-06-23T20:12:35.250Z'),
    );
    const error = readEventBridgeEvent(
      event({ event_name: 'Participant Publish Error', event_time: 'shortly after' }),
      served,
    );
    assert.deepEqual(error.kind === 'stage-event' && error.event.time, new Date('2026-06-23T20:12:36Z'));
    assert.equal(error.kind === 'stage-event' && error.event.published, undefined);
  });

  test('other detail-types and sources, unknown event names and foreign stages are ignored, not malformed', () => {
    const ignored = (body: unknown) => {
      const reading = readEventBridgeEvent(body, served);
      return reading.kind === 'ignored' ? reading.reason : reading.kind;
    };
    assert.equal(ignored(event({}, { 'detail-type': 'IVS Composition State Change', detail: {} })), 'not_stage_update');
    assert.equal(ignored(event({}, { source: 'my.app' })), 'not_stage_update');
    assert.equal(
      ignored(event({ event_name: 'Participant Teleported', participant_id: undefined })),
      'unknown_event_name',
    );
    assert.equal(
      ignored(event({}, { resources: ['arn:aws:ivs:eu-west-1:123456789012:stage/Elsewhere01'] })),
      'not_served',
    );
    assert.equal(
      ignored(event({}, { resources: ['arn:aws:ivs:us-east-1:999999999999:stage/Elsewhere01'] })),
      'not_served',
    );
  });

  test('a body without the envelope, or a stage update without its stage or participant, is malformed', () => {
    for (const body of [
      null,
      'text',
      { id: 'e-1' },
      event({}, { time: 'yesterday' }),
      event({}, { resources: [] }),
      event({}, { resources: ['not-an-arn'] }),
      event({ participant_id: 'has spaces' }),
      event({ session_id: 'st-short' }),
      event({ participant_id: undefined }),
    ]) {
      assert.equal(readEventBridgeEvent(body, served).kind, 'malformed', JSON.stringify(body));
    }
  });
});

test('the shared secret check accepts only the exact secret', () => {
  const check = createSharedSecretCheck('a-secret-of-some-length');
  assert.equal(check('a-secret-of-some-length'), true);
  assert.equal(check('a-secret-of-some-lengtH'), false);
  assert.equal(check(''), false);
  assert.equal(check(undefined), false);
});

test('local event ids: the first sighting is true, a repeat false, and the oldest ids are forgotten past the bound', async () => {
  const ids = createLocalEventIds(2);
  assert.equal(await ids.firstSighting('a'), true);
  assert.equal(await ids.firstSighting('a'), false);
  await ids.firstSighting('b');
  await ids.firstSighting('c');
  assert.equal(await ids.firstSighting('a'), true);
});

test('the emulator posts events the endpoint reads as stage events', () => {
  const posted = stageUpdateEvent(
    stageArn,
    'st-DemoSession01',
    { participantId: 'alice', published: true },
    false,
    new Date(),
  );
  const reading = readEventBridgeEvent(JSON.parse(JSON.stringify(posted)), served);
  assert.equal(reading.kind === 'stage-event' && reading.event.name, 'Participant Unpublished');
});

describe('events settings', () => {
  test('off in front of IVS unless EVENTS_API_KEY is set; the header name is matched in lower case', () => {
    const anonymous = { AUTH_ALLOW_ANONYMOUS: 'true' };
    assert.equal(loadConfig({ ...anonymous, AWS_REGION: 'us-east-1' }).events, null);
    assert.deepEqual(
      loadConfig({
        ...anonymous,
        AWS_REGION: 'us-east-1',
        EVENTS_API_KEY: 'k'.repeat(16),
        EVENTS_API_KEY_HEADER: 'X-Ivs-Key',
      }).events,
      { path: '/events/ivs', apiKey: 'k'.repeat(16), apiKeyHeader: 'x-ivs-key' },
    );
  });

  test('a short key or a path that is not a path is refused, naming the variable', () => {
    assert.throws(() => loadConfig({ AWS_REGION: 'us-east-1', EVENTS_API_KEY: 'short' }), /EVENTS_API_KEY/);
    assert.throws(() => loadConfig({ AWS_REGION: 'us-east-1', EVENTS_PATH: 'events' }), /EVENTS_PATH/);
  });

  test('with the embedded emulator it is on with a generated key, and the activity plays except under test', () => {
    const demo = loadConfig({});
    assert.ok((demo.events?.apiKey.length ?? 0) >= 16);
    assert.notEqual(loadConfig({}).events?.apiKey, demo.events?.apiKey);
    assert.equal(demo.emulator.activityIntervalMs, 4000);
    assert.equal(loadConfig({ NODE_ENV: 'test' }).emulator.activityIntervalMs, 0);
  });
});
