import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { townHallStep } from '../../src/emulator/activity.js';
import { stageUpdateEvent } from '../../src/emulator/eventDelivery.js';
import { createRosterChanges, type RosterChange } from '../../src/emulator/rosterChanges.js';
import { parseSeed } from '../../src/emulator/seed.js';
import { createStageStore } from '../../src/emulator/stageStore.js';

const now = new Date('2026-12-03T08:00:00.000Z');

/** A step as the README tells it: `ana-1 joins`, `ana-1 publishes`, ... */
function told(change: RosterChange): string {
  if (change.kind === 'add') return `${change.participant.participantId} joins`;
  if (change.kind === 'remove') return `${change.participantId} is removed`;
  if (change.change.state === 'DISCONNECTED') return `${change.participantId} leaves`;
  return `${change.participantId} ${change.change.publishing ? 'publishes' : 'unpublishes'}`;
}

describe('the town hall script', () => {
  test('its first round is the one the README describes', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    const described = /\*\*(`ana-1` joins, .*?)\*\*/.exec(readme)?.[1];
    assert.ok(described, 'the README tells the script in bold, starting with `ana-1` joins');
    const round = Array.from({ length: 8 }, (_, step) => townHallStep(step, now).map(told).join(', '));
    assert.deepEqual(round, described.replaceAll('`', '').split(', '));
  });

  test('each round brings new participant ids, and round 4 removes those of round 1', () => {
    assert.deepEqual(townHallStep(8, now).map(told), ['ana-2 joins']);
    assert.deepEqual(townHallStep(24, now).map(told), ['ana-1 is removed', 'ben-1 is removed', 'ana-4 joins']);
  });

  test('a participant joins CONNECTED, not publishing, with its display name, at the given time', () => {
    const [join] = townHallStep(0, now);
    assert.ok(join?.kind === 'add');
    assert.equal(join.participant.state, 'CONNECTED');
    assert.equal(join.participant.published, false);
    assert.equal(join.participant.firstJoinTime, now.toISOString());
    assert.equal(join.participant.attributes?.['displayName'], 'Ana');
  });
});

describe('roster changes', () => {
  const stageArn = 'arn:aws:ivs:us-east-1:123456789012:stage/Live01';
  const sessionId = 'st-LiveSession01';
  const setup = () => {
    const store = createStageStore(parseSeed({ stages: [] }));
    const reported: string[] = [];
    const apply = createRosterChanges(store, (_stage, _session, participant, publishing) =>
      reported.push(`${participant.participantId}:${publishing}`),
    );
    return { store, reported, apply: (change: RosterChange) => apply(stageArn, sessionId, change) };
  };

  test('starting and stopping to publish are reported; published stays true once set, as IVS defines it', () => {
    const { store, reported, apply } = setup();
    apply({ kind: 'add', participant: { participantId: 'p1', published: false } });
    apply({ kind: 'change', participantId: 'p1', change: { attributes: { a: 'b' } } });
    apply({ kind: 'change', participantId: 'p1', change: { publishing: true } });
    assert.equal(store.participant(stageArn, sessionId, 'p1')?.published, true);
    apply({ kind: 'change', participantId: 'p1', change: { publishing: false } });
    assert.equal(store.participant(stageArn, sessionId, 'p1')?.published, true);
    apply({ kind: 'change', participantId: 'p1', change: { published: false } });
    apply({ kind: 'remove', participantId: 'p1' });
    assert.deepEqual(reported, ['p1:true', 'p1:false']);
    assert.equal(store.participant(stageArn, sessionId, 'p1'), undefined);
  });

  test('the participant history gains each join, publish start and stop, and departure', () => {
    const { store, apply } = setup();
    apply({ kind: 'add', participant: { participantId: 'p2', state: 'CONNECTED', published: false } });
    apply({ kind: 'change', participantId: 'p2', change: { publishing: true } });
    apply({ kind: 'change', participantId: 'p2', change: { attributes: { a: 'b' } } });
    apply({ kind: 'change', participantId: 'p2', change: { publishing: false } });
    apply({ kind: 'change', participantId: 'p2', change: { state: 'DISCONNECTED' } });
    assert.deepEqual(
      store.events(stageArn, sessionId, 'p2')?.map((event) => event.name),
      ['JOINED', 'PUBLISH_STARTED', 'PUBLISH_STOPPED', 'LEFT'],
    );
  });

  test('an unknown participant or a bad one throws, and changes nothing', () => {
    const { store, reported, apply } = setup();
    assert.throws(() => apply({ kind: 'change', participantId: 'ghost', change: { published: true } }), {
      reason: 'unknown',
    });
    assert.throws(() => apply({ kind: 'add', participant: { participantId: 'bad id' } }), { reason: 'invalid' });
    assert.equal(store.session(stageArn, sessionId), undefined);
    assert.deepEqual(reported, []);
  });
});

test('the event posted for a publish change has the shape IVS gives it', () => {
  const event = stageUpdateEvent(
    'arn:aws:ivs:eu-central-1:123456789012:stage/DemoStage04',
    'st-DemoSession04',
    { participantId: 'dora', userId: 'user-dora', published: true },
    true,
    now,
    'fixed-id',
  );
  assert.deepEqual(event, {
    version: '0',
    id: 'fixed-id',
    'detail-type': 'IVS Stage Update',
    source: 'aws.ivs',
    account: '123456789012',
    time: '2026-12-03T08:00:00Z',
    region: 'eu-central-1',
    resources: ['arn:aws:ivs:eu-central-1:123456789012:stage/DemoStage04'],
    detail: {
      session_id: 'st-DemoSession04',
      event_name: 'Participant Published',
      user_id: 'user-dora',
      participant_id: 'dora',
      event_time: '2026-12-03T08:00:00.000Z',
    },
  });
});
