import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { participantKeyText, type ParticipantModel } from '../../src/model.js';
import { createAnswerCache } from '../../src/upstream/cache/answerCache.js';
import type { CacheEntry, CachedAnswer } from '../../src/upstream/cache/entry.js';
import { participantEntryCodec, participantTtls } from '../../src/upstream/cache/codecs.js';
import { createMemoryStore } from '../../src/upstream/cache/memoryStore.js';

const encodeCacheEntry = (entry: Parameters<typeof participantEntryCodec.encode>[0]) =>
  participantEntryCodec.encode(entry);
const decodeCacheEntry = (text: string) => participantEntryCodec.decode(text);

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

const ttlSettings = {
  maxEntries: 100,
  maxBytes: 1_000_000,
  connectedTtlMs: 3000,
  disconnectedTtlMs: 60_000,
  notFoundTtlMs: 2000,
  staleMs: 10_000,
};
const ttls = participantTtls(ttlSettings);
const keyText = participantKeyText(key);
type Answer = CachedAnswer<ParticipantModel>;

describe('cache entry encoding', () => {
  test('a participant survives the round trip through a string, firstJoinTime as a Date', () => {
    const text = encodeCacheEntry({
      answer: { kind: 'value', value: alice },
      fetchedAt: 1,
      freshUntil: 2,
      staleUntil: 3,
    });
    const entry = decodeCacheEntry(text);
    assert.ok(entry?.answer.kind === 'value');
    const participant = entry.answer.value;
    assert.ok(participant.firstJoinTime instanceof Date);
    assert.equal(participant.firstJoinTime.toISOString(), '2024-05-01T12:34:56.789Z');
    // Attribute values that look like dates stay strings: only known Date fields are revived.
    assert.deepEqual(participant, alice);
    assert.deepEqual(
      { fetchedAt: entry.fetchedAt, freshUntil: entry.freshUntil, staleUntil: entry.staleUntil },
      { fetchedAt: 1, freshUntil: 2, staleUntil: 3 },
    );
  });

  test('a NOT_FOUND keeps its message and IVS details', () => {
    const answer: Answer = {
      kind: 'not_found',
      message: "Participant 'ghost' not found",
      ivs: { errorType: 'ResourceNotFoundException', httpStatus: 404, requestId: 'r-1', retryable: false },
    };
    assert.deepEqual(
      decodeCacheEntry(encodeCacheEntry({ answer, fetchedAt: 1, freshUntil: 2, staleUntil: 2 }))?.answer,
      answer,
    );
  });

  for (const [what, text] of [
    ['not JSON', '{nope'],
    [
      'another format version',
      JSON.stringify({
        v: 1,
        fetchedAt: 1,
        freshUntil: 2,
        staleUntil: 3,
        answer: { kind: 'value', value: alice },
      }),
    ],
    [
      'a participant without its key',
      JSON.stringify({
        v: 2,
        fetchedAt: 1,
        freshUntil: 2,
        staleUntil: 3,
        answer: { kind: 'value', value: { userId: 'x' } },
      }),
    ],
    [
      'a bad date',
      JSON.stringify({
        v: 2,
        fetchedAt: 1,
        freshUntil: 2,
        staleUntil: 3,
        answer: { kind: 'value', value: { ...alice, firstJoinTime: 'yesterday' } },
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
    const participant = (state?: 'CONNECTED' | 'DISCONNECTED'): Answer => ({
      kind: 'value',
      value: { ...alice, state },
    });
    assert.equal(ttls.freshnessMs(participant('CONNECTED')), 3000);
    assert.equal(ttls.freshnessMs(participant(undefined)), 3000);
    assert.equal(ttls.freshnessMs(participant('DISCONNECTED')), 60_000);
    assert.equal(ttls.freshnessMs({ kind: 'not_found', message: 'gone' }), 2000);
  });
});

describe('participant cache', () => {
  function setup(overrides: Partial<typeof ttlSettings> = {}) {
    let now = 1_000_000;
    const errors: unknown[] = [];
    const cache = createAnswerCache({
      store: createMemoryStore<CacheEntry<ParticipantModel>>({ maxEntries: 100, maxBytes: 1_000_000 }),
      namespace: 'GetParticipant',
      ttls: participantTtls({ ...ttlSettings, ...overrides }),
      onStoreError: (error) => errors.push(error),
      now: () => now,
    });
    return { cache, errors, advance: (ms: number) => (now += ms) };
  }

  test('a participant is fresh for its TTL, then stale for the stale window, then gone', async () => {
    const { cache, advance } = setup();
    await cache.write(keyText, { kind: 'value', value: alice });
    assert.equal((await cache.read(keyText))?.freshness, 'fresh');
    advance(2999);
    assert.equal((await cache.read(keyText))?.freshness, 'fresh');
    advance(1);
    const stale = await cache.read(keyText);
    assert.equal(stale?.freshness, 'stale');
    assert.deepEqual(stale?.answer, { kind: 'value', value: alice });
    advance(10_000);
    assert.equal(await cache.read(keyText), undefined);
  });

  test('a NOT_FOUND is fresh for its short TTL and is never served stale', async () => {
    const { cache, advance } = setup();
    await cache.write(keyText, { kind: 'not_found', message: 'gone' });
    assert.equal((await cache.read(keyText))?.freshness, 'fresh');
    advance(2000);
    assert.equal(await cache.read(keyText), undefined);
  });

  test('with every TTL at zero nothing is stored', async () => {
    const { cache } = setup({ connectedTtlMs: 0, staleMs: 0 });
    await cache.write(keyText, { kind: 'value', value: alice });
    assert.equal(await cache.read(keyText), undefined);
  });

  test('a failing store is a miss and a reported error, never a thrown one', async () => {
    const errors: unknown[] = [];
    const broken = {
      get: async () => Promise.reject(new Error('redis down')),
      set: async () => Promise.reject(new Error('redis down')),
      delete: async () => false,
    };
    const cache = createAnswerCache({
      store: broken,
      namespace: 'GetParticipant',
      ttls,
      onStoreError: (error) => errors.push(error),
    });
    await cache.write(keyText, { kind: 'value', value: alice });
    assert.equal(await cache.read(keyText), undefined);
    assert.equal(errors.length, 2);
  });
});

describe('memory store', () => {
  const value = (text: string) => ({ text });

  test('is bounded by entry count', async () => {
    const store = createMemoryStore<{ text: string }>({ maxEntries: 2, maxBytes: 1_000_000 });
    await store.set('a', value('1'));
    await store.set('b', value('2'));
    await store.get('a');
    await store.set('c', value('3'));
    assert.deepEqual(
      [await store.get('a'), await store.get('b'), await store.get('c')],
      [value('1'), undefined, value('3')],
    );
  });

  test('is bounded by the UTF-8 bytes of keys and values as JSON', async () => {
    const store = createMemoryStore<{ text: string }>({ maxEntries: 100, maxBytes: 50 });
    await store.set('k1', value('é'.repeat(5))); // 2 + 21 bytes
    await store.set('k2', value('é'.repeat(5)));
    assert.deepEqual(await store.get('k1'), value('é'.repeat(5)));
    await store.set('k3', value('é'.repeat(5)));
    assert.equal(await store.get('k2'), undefined);
  });

  test('a hit is the stored object itself, not a decoded copy', async () => {
    const store = createMemoryStore<{ text: string }>({ maxEntries: 10, maxBytes: 1_000_000 });
    const stored = value('x');
    await store.set('k', stored);
    assert.equal(await store.get('k'), stored);
  });
});
