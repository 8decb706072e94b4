import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pacedQuota } from '../../src/upstream/quota/pacedQuota.js';

test('a 50-TPS quota is granted in tenths of the window; 5 TPS and rates that are not a multiple of 10 stay whole', () => {
  assert.deepEqual(pacedQuota(50, 1100), { callsPerWindow: 5, windowMs: 110 });
  assert.deepEqual(pacedQuota(20, 1000), { callsPerWindow: 2, windowMs: 100 });
  assert.deepEqual(pacedQuota(5, 1100), { callsPerWindow: 5, windowMs: 1100 });
  assert.deepEqual(pacedQuota(25, 1100), { callsPerWindow: 25, windowMs: 1100 });
  // The guarantee that matters: call n + rate can start only a whole window after call n.
  const { callsPerWindow, windowMs } = pacedQuota(50, 1100);
  assert.equal((50 / callsPerWindow) * windowMs, 1100);
});
