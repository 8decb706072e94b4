import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildSchema } from 'graphql';
import { createDocumentStore } from '../../src/live/documentStore.js';
import { createFeed } from '../../src/live/feed.js';
import { createSharedExecution } from '../../src/live/subscriptionGroups.js';
import { createPacer, refreshIntervalMs } from '../../src/live/pacing.js';
import { rosterDiff, rosterReset, sameAnswer } from '../../src/live/rosterDiff.js';
import type { RosterParticipantModel } from '../../src/model.js';

const stage = { stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage01', sessionId: 'st-DemoSession01' };
const entry = (participantId: string, fields: Partial<RosterParticipantModel> = {}): RosterParticipantModel => ({
  ...stage,
  participantId,
  state: 'CONNECTED',
  published: false,
  firstJoinTime: new Date('2026-12-03T08:00:00.000Z'),
  fromRoster: true,
  ...fields,
});
const ids = (list: readonly RosterParticipantModel[]) => list.map((participant) => participant.participantId);

describe('roster diffs', () => {
  test('joined, changed and left, each once', () => {
    const before = [entry('ann'), entry('ben'), entry('cat')];
    const after = [entry('ann'), entry('ben', { published: true }), entry('dan')];
    const update = rosterDiff(before, after);
    assert.deepEqual(
      update && {
        reset: update.reset,
        joined: ids(update.joined),
        changed: ids(update.changed),
        left: ids(update.left),
      },
      { reset: false, joined: ['dan'], changed: ['ben'], left: ['cat'] },
    );
  });

  test('nothing changed: no update, whatever the order of fields or a date as text', () => {
    const before = [entry('ann')];
    const after = [{ ...entry('ann'), firstJoinTime: '2026-12-03T08:00:00.000Z' as unknown as Date }];
    assert.equal(rosterDiff(before, after), undefined);
    assert.equal(sameAnswer({ a: 1, b: 2 }, { b: 2, a: 1 }), true);
    assert.equal(sameAnswer({ a: 1 }, { a: 2 }), false);
  });

  test('a reset lists everyone as joined', () => {
    assert.deepEqual(rosterReset([entry('ann')]), { reset: true, joined: [entry('ann')], changed: [], left: [] });
  });
});

describe('pacing', () => {
  test('each of K keys every max(LIVE_MIN_INTERVAL_MS, K / (share × TPS))', () => {
    const settings = { share: 0.5, tps: 5, minIntervalMs: 1000 };
    assert.equal(refreshIntervalMs({ ...settings, watchedKeys: 1 }), 1000);
    assert.equal(refreshIntervalMs({ ...settings, watchedKeys: 2 }), 1000);
    // 2.5 refreshes a second for the whole fleet: 10 keys are each refreshed every 4 s, 1000 every 400 s.
    assert.equal(refreshIntervalMs({ ...settings, watchedKeys: 10 }), 4000);
    assert.equal(refreshIntervalMs({ ...settings, watchedKeys: 1000 }), 400_000);
    assert.equal(refreshIntervalMs({ ...settings, watchedKeys: 0 }), 1000);
  });
});

describe('the pacer', () => {
  test('refreshes each held key once per interval, however long a refresh takes', { timeout: 30_000 }, async () => {
    // 10 keys in 1 s: a turn of 100 ms, of which each refresh takes half.
    const intervalMs = 1000;
    const keys = Array.from({ length: 10 }, () => ({ lastRefreshAt: Date.now() - intervalMs }));
    const startedAt = performance.now();
    const starts: number[] = [];
    let measured: () => void = () => undefined;
    const twoIntervals = new Promise<void>((resolve) => (measured = resolve));
    const pacer = createPacer({
      intervalMs: () => intervalMs,
      held: () => keys,
      async refresh(key) {
        const at = performance.now() - startedAt;
        if (at >= 2 * intervalMs) measured();
        else starts.push(at);
        key.lastRefreshAt = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 50));
        return 1;
      },
    });
    // The pacer's own timers do not keep a process alive: this one does, until the measure is taken.
    const alive = setInterval(() => undefined, 1000);
    await twoIntervals;
    clearInterval(alive);
    pacer.close();
    // 20 refreshes in two intervals; a pacer that waited a full turn after each refresh made 13.
    assert.ok(starts.length >= 19 && starts.length <= 21, `${starts.length} refreshes in two intervals`);
  });
});

describe('the subscription document store', () => {
  const schema = buildSchema('type Query { a: Int } type Subscription { tick: Int, tock: Int, tack: Int }');
  test('the same text is parsed once: every subscriber of it shares one document', () => {
    const documents = createDocumentStore({ schema, maxTokens: 100, maxEntries: 2 });
    const first = documents('subscription { tick }');
    assert.ok(!Array.isArray(first));
    assert.equal(documents('subscription { tick }'), first);
  });

  test('refusals keep their codes and are not kept; past maxEntries the oldest text goes', () => {
    const documents = createDocumentStore({ schema, maxTokens: 100, maxEntries: 2 });
    const code = (result: ReturnType<typeof documents>) =>
      Array.isArray(result) ? result[0]?.extensions['code'] : 'document';
    assert.equal(code(documents('subscription {')), 'GRAPHQL_PARSE_FAILED');
    assert.equal(code(documents('subscription { nope }')), 'GRAPHQL_VALIDATION_FAILED');
    const tick = documents('subscription { tick }');
    documents('subscription { tock }');
    documents('subscription { tack }');
    assert.notEqual(documents('subscription { tick }'), tick);
  });
});

describe('a subscription feed', () => {
  test('a consumer that falls behind gets the current state instead of a growing queue', async () => {
    let state = 0;
    let closed = 0;
    const feed = createFeed<number>({ maxPending: 2, catchUp: () => -state, onClose: () => (closed += 1) });
    for (state = 1; state <= 5; state += 1) feed.push(state);
    state = 5;
    assert.deepEqual(await feed.iterator.next(), { done: false, value: -5 });
    feed.push(6);
    assert.deepEqual(await feed.iterator.next(), { done: false, value: 6 });
    await feed.iterator.return?.();
    assert.equal(closed, 1);
    assert.deepEqual(await feed.iterator.next(), { done: true, value: undefined });
  });

  test('return() ends a waiting next() at once', async () => {
    const feed = createFeed<number>({ maxPending: 2, catchUp: () => 0, onClose: () => undefined });
    const waiting = feed.iterator.next();
    await feed.iterator.return?.();
    assert.deepEqual(await waiting, { done: true, value: undefined });
  });
});

describe('identical subscriptions', () => {
  test('one execution per update and group, shared by its members', async () => {
    const shared = createSharedExecution();
    let executions = 0;
    const execute = async () => ({ data: { n: ++executions } });
    const update = {};
    const results = await Promise.all([
      shared(update, 'same document, variables and grants', execute),
      shared(update, 'same document, variables and grants', execute),
      shared(update, 'other grants', execute),
      shared({}, 'same document, variables and grants', execute),
    ]);
    assert.equal(executions, 3);
    assert.equal(results[0], results[1]);
  });
});
