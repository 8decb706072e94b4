import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { localShare, resumeEntries } from '../../src/upstream/quota/localShare.js';

const quota = { callsPerWindow: 5, windowMs: 1100 };

describe('a replica’s local share of the quota while Redis is down', () => {
  test('with no more replicas than calls, each gets floor(quota / fleet) per window', { timeout: 1000 }, () => {
    assert.deepEqual(localShare(quota, 1), { callsPerWindow: 5, windowMs: 1100 });
    assert.deepEqual(localShare(quota, 2), { callsPerWindow: 2, windowMs: 1100 });
    assert.deepEqual(localShare(quota, 3), { callsPerWindow: 1, windowMs: 1100 });
    assert.deepEqual(localShare(quota, 5), { callsPerWindow: 1, windowMs: 1100 });
  });

  test('with more replicas than calls, each gets one call per ceil(fleet / quota) windows', { timeout: 1000 }, () => {
    assert.deepEqual(localShare(quota, 6), { callsPerWindow: 1, windowMs: 2200 });
    assert.deepEqual(localShare(quota, 10), { callsPerWindow: 1, windowMs: 2200 });
    assert.deepEqual(localShare(quota, 11), { callsPerWindow: 1, windowMs: 3300 });
  });

  test('the whole fleet never gets more than the quota per window on average', { timeout: 1000 }, () => {
    for (let fleet = 1; fleet <= 40; fleet += 1) {
      const share = localShare(quota, fleet);
      const perQuotaWindow = (fleet * share.callsPerWindow * quota.windowMs) / share.windowMs;
      assert.ok(perQuotaWindow <= quota.callsPerWindow, `fleet ${fleet}: ${perQuotaWindow} per window`);
    }
  });

  test('a fleet size of 0 or less counts as this replica alone', { timeout: 1000 }, () => {
    assert.deepEqual(localShare(quota, 0), { callsPerWindow: 5, windowMs: 1100 });
  });
});

describe('what a replica writes into the shared log when Redis is back', () => {
  test('its own starts still inside the window, as ages', { timeout: 1000 }, () => {
    const { ages } = resumeEntries([100, 900, 1500, 2000], 2000, 1100, localShare(quota, 3), 3);
    assert.deepEqual(ages, [500, 0]);
  });

  test('room for what each other replica may have started on its local share', { timeout: 1000 }, () => {
    assert.equal(resumeEntries([], 0, 1100, localShare(quota, 2), 2).othersMax, 2);
    assert.equal(resumeEntries([], 0, 1100, localShare(quota, 3), 3).othersMax, 2);
    // One call per two windows each: at most one per window each, for the 9 others.
    assert.equal(resumeEntries([], 0, 1100, localShare(quota, 10), 10).othersMax, 9);
    assert.equal(resumeEntries([], 0, 1100, localShare(quota, 1), 1).othersMax, 0);
  });
});
