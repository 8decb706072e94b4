import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import { createNearCache } from '../../src/upstream/cache/nearCache.js';
import type { CacheEntry } from '../../src/upstream/cache/entry.js';

const entry = (value: string, fetchedAt: number, freshMs: number): CacheEntry<string> => ({
  answer: { kind: 'value', value },
  fetchedAt,
  freshUntil: fetchedAt + freshMs,
  staleUntil: fetchedAt + freshMs + 60_000,
});

function setup() {
  let now = 1_000_000;
  const far = new InMemoryLRUCache<CacheEntry<string>>();
  let farReads = 0;
  const counted = {
    ...far,
    get: (key: string) => ((farReads += 1), far.get(key)),
    set: far.set.bind(far),
    delete: far.delete.bind(far),
  };
  const near = createNearCache(counted, { maxEntries: 10, ttlMs: 500, now: () => now });
  return { near, far, farReads: () => farReads, advance: (ms: number) => (now += ms), now: () => now };
}

describe('the in-process copy in front of the shared cache', () => {
  test('a fresh copy is served without reading the shared store', { timeout: 1000 }, async () => {
    const { near, farReads, now } = setup();
    await near.set('k', entry('a', now(), 3000));
    assert.equal((await near.get('k'))?.answer.kind, 'value');
    assert.equal(farReads(), 0);
  });

  test('a copy lives at most its own lifetime, then the shared store is read again', { timeout: 1000 }, async () => {
    const { near, far, farReads, advance, now } = setup();
    await near.set('k', entry('a', now(), 3000));
    await far.set('k', entry('b', now(), 3000));
    advance(501);
    assert.deepEqual((await near.get('k'))?.answer, { kind: 'value', value: 'b' });
    assert.equal(farReads(), 1);
  });

  test('a copy that is no longer fresh never hides a newer shared entry', { timeout: 1000 }, async () => {
    const { near, far, advance, now } = setup();
    await far.set('k', entry('old', now(), 100));
    await near.get('k');
    advance(150);
    await far.set('k', entry('new', now(), 3000));
    assert.deepEqual((await near.get('k'))?.answer, { kind: 'value', value: 'new' });
  });
});
