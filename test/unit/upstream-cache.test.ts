import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ParticipantModel } from '../../src/model.js';
import { decodeCacheEntry, encodeCacheEntry, type CachedAnswer } from '../../src/upstream/cacheEntry.js';
import { createMemoryStore } from '../../src/upstream/memoryStore.js';
import { createParticipantCache, freshnessMs, type CacheTtls } from '../../src/upstream/participantCache.js';

const key = {
  stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage01',
  sessionId: 'st-DemoSession01',
  participantId: 'alice',
};

const alice: ParticipantModel = {
  ...key,
  userId: 'user-alice',
  state: 'CONNECTED',
  firstJoinTime: new Date('2024-05-01T12:34:56.789Z'),
  attributes: { role: 'host', joinedAt: '2024-05-01T12:00:00.000Z' },
  published: true,
};

const ttls: CacheTtls = { connectedMs: 3000, disconnectedMs: 60_000, notFoundMs: 2000, staleMs: 10_000 };

describe('cache entry encoding', () => {
  test('a participant survives the round trip through a string, firstJoinTime as a Date', () => {
    const text = encodeCacheEntry({
      answer: { kind: 'participant', participant: alice },
      storedAt: 1,
      freshUntil: 2,
      staleUntil: 3,
    });
    const entry = decodeCacheEntry(text);
    assert.ok(entry?.answer.kind === 'participant');
    const { participant } = entry.answer;
    assert.ok(participant.firstJoinTime instanceof Date);
    assert.equal(participant.firstJoinTime.toISOString(), '2024-05-01T12:34:56.789Z');
    // Attribute values that look like dates stay strings: only known Date fields are revived.
    assert.deepEqual(participant, alice);
    assert.deepEqual(
      { storedAt: entry.storedAt, freshUntil: entry.freshUntil, staleUntil: entry.staleUntil },
      { storedAt: 1, freshUntil: 2, staleUntil: 3 },
    );
  });

  test('a NOT_FOUND keeps its message and IVS details', () => {
    const answer: CachedAnswer = {
      kind: 'not_found',
      message: "Participant 'ghost' not found",
      ivs: { errorType: 'ResourceNotFoundException', httpStatus: 404, requestId: 'r-1', retryable: false },
    };
    assert.deepEqual(
      decodeCacheEntry(encodeCacheEntry({ answer, storedAt: 1, freshUntil: 2, staleUntil: 2 }))?.answer,
      answer,
    );
  });

  for (const [what, text] of [
    ['not JSON', '{nope'],
    [
      'another format version',
      JSON.stringify({
        v: 2,
        storedAt: 1,
        freshUntil: 2,
        staleUntil: 3,
        answer: { kind: 'participant', participant: alice },
      }),
    ],
    [
      'a participant without its key',
      JSON.stringify({
        v: 1,
        storedAt: 1,
        freshUntil: 2,
        staleUntil: 3,
        answer: { kind: 'participant', participant: { userId: 'x' } },
      }),
    ],
    [
      'a bad date',
      JSON.stringify({
        v: 1,
        storedAt: 1,
        freshUntil: 2,
        staleUntil: 3,
        answer: { kind: 'participant', participant: { ...alice, firstJoinTime: 'yesterday' } },
      }),
    ],
  ] as const) {
    test(`${what} decodes to nothing, which the cache treats as a miss`, () => {
      assert.equal(decodeCacheEntry(text), undefined);
    });
  }
});

describe('cache TTL choice', () => {
  test('CONNECTED and state-less participants get the short TTL, DISCONNECTED the long one, NOT_FOUND its own', () => {
    const participant = (state?: 'CONNECTED' | 'DISCONNECTED'): CachedAnswer => ({
      kind: 'participant',
      participant: { ...alice, state },
    });
    assert.equal(freshnessMs(participant('CONNECTED'), ttls), 3000);
    assert.equal(freshnessMs(participant(undefined), ttls), 3000);
    assert.equal(freshnessMs(participant('DISCONNECTED'), ttls), 60_000);
    assert.equal(freshnessMs({ kind: 'not_found', message: 'gone' }, ttls), 2000);
  });
});

describe('participant cache', () => {
  function setup(overrides: Partial<CacheTtls> = {}) {
    let now = 1_000_000;
    const errors: unknown[] = [];
    const cache = createParticipantCache({
      store: createMemoryStore({ maxEntries: 100, maxBytes: 1_000_000 }),
      ttls: { ...ttls, ...overrides },
      onStoreError: (error) => errors.push(error),
      now: () => now,
    });
    return { cache, errors, advance: (ms: number) => (now += ms) };
  }

  test('a participant is fresh for its TTL, then stale for the stale window, then gone', async () => {
    const { cache, advance } = setup();
    await cache.write(key, { kind: 'participant', participant: alice });
    assert.equal((await cache.read(key))?.freshness, 'fresh');
    advance(2999);
    assert.equal((await cache.read(key))?.freshness, 'fresh');
    advance(1);
    const stale = await cache.read(key);
    assert.equal(stale?.freshness, 'stale');
    assert.deepEqual(stale?.answer, { kind: 'participant', participant: alice });
    advance(10_000);
    assert.equal(await cache.read(key), undefined);
  });

  test('a NOT_FOUND is fresh for its short TTL and is never served stale', async () => {
    const { cache, advance } = setup();
    await cache.write(key, { kind: 'not_found', message: 'gone' });
    assert.equal((await cache.read(key))?.freshness, 'fresh');
    advance(2000);
    assert.equal(await cache.read(key), undefined);
  });

  test('with every TTL at zero nothing is stored', async () => {
    const { cache } = setup({ connectedMs: 0, staleMs: 0 });
    await cache.write(key, { kind: 'participant', participant: alice });
    assert.equal(await cache.read(key), undefined);
  });

  test('a failing store is a miss and a reported error, never a thrown one', async () => {
    const errors: unknown[] = [];
    const broken = {
      get: async () => Promise.reject(new Error('redis down')),
      set: async () => Promise.reject(new Error('redis down')),
      delete: async () => false,
    };
    const cache = createParticipantCache({ store: broken, ttls, onStoreError: (error) => errors.push(error) });
    await cache.write(key, { kind: 'participant', participant: alice });
    assert.equal(await cache.read(key), undefined);
    assert.equal(errors.length, 2);
  });
});

describe('memory store', () => {
  test('is bounded by entry count', async () => {
    const store = createMemoryStore({ maxEntries: 2, maxBytes: 1_000_000 });
    await store.set('a', '1');
    await store.set('b', '2');
    await store.get('a');
    await store.set('c', '3');
    assert.deepEqual([await store.get('a'), await store.get('b'), await store.get('c')], ['1', undefined, '3']);
  });

  test('is bounded by the UTF-8 bytes of keys and values', async () => {
    const store = createMemoryStore({ maxEntries: 100, maxBytes: 25 });
    await store.set('k1', 'é'.repeat(5)); // 2 + 10 bytes
    await store.set('k2', 'é'.repeat(5));
    assert.equal(await store.get('k1'), 'é'.repeat(5));
    await store.set('k3', 'é'.repeat(5));
    assert.equal(await store.get('k2'), undefined);
  });
});
