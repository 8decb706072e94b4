import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RequestCost } from '../../src/limits/requestBudget.js';
import type { SpendLimits } from '../../src/errors.js';
import { createRequestSpend } from '../../src/limits/requestSpend.js';

const limits: SpendLimits = { participants: 3, listCalls: 4, stageLookups: 2 };

function cost(parts: Partial<RequestCost>): RequestCost {
  return {
    participantKeys: new Set(),
    rosterLookups: 0,
    listCalls: 0,
    stageKeys: new Set(),
    sessionLookups: 0,
    ...parts,
  };
}

describe('request spend: one budget per HTTP request, shared by the operations of a batch', () => {
  test('an operation within every limit is charged; the next one is checked against what is left', () => {
    const spend = createRequestSpend();
    assert.equal(spend.charge(cost({ listCalls: 3 }), limits), null);
    assert.deepEqual(spend.charge(cost({ listCalls: 2 }), limits), {
      limit: 'listCalls',
      total: 5,
      max: 4,
      shared: true,
    });
  });

  test('a refused operation spends nothing', () => {
    const spend = createRequestSpend();
    assert.equal(spend.charge(cost({ listCalls: 5 }), limits)?.shared, false);
    assert.equal(spend.charge(cost({ listCalls: 4 }), limits), null);
  });

  test('the same participant or stage asked by two operations counts once', () => {
    const spend = createRequestSpend();
    const keys = new Set(['a', 'b', 'c']);
    assert.equal(spend.charge(cost({ participantKeys: keys, stageKeys: new Set(['s1', 's2']) }), limits), null);
    assert.equal(spend.charge(cost({ participantKeys: keys, stageKeys: new Set(['s2', 's1']) }), limits), null);
    assert.equal(spend.charge(cost({ participantKeys: new Set(['d']) }), limits)?.limit, 'participants');
  });

  test('counted lookups add to distinct keys: roster lookups to participants, session lookups to stages', () => {
    const spend = createRequestSpend();
    assert.equal(spend.charge(cost({ participantKeys: new Set(['a']), rosterLookups: 2 }), limits), null);
    assert.equal(spend.charge(cost({ rosterLookups: 1 }), limits)?.total, 4);
    assert.equal(spend.charge(cost({ stageKeys: new Set(['s']), sessionLookups: 1 }), limits), null);
    assert.deepEqual(spend.charge(cost({ sessionLookups: 1 }), limits), {
      limit: 'stageLookups',
      total: 3,
      max: 2,
      shared: true,
    });
  });
});
