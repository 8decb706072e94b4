import type { SpendLimit, SpendLimits } from '../errors.js';
import type { RequestCost } from './requestBudget.js';

/** Why an operation was refused: the first limit it would cross and the total it would reach. */
export interface Overspend {
  readonly limit: SpendLimit;
  readonly total: number;
  readonly max: number;
  /** Whether earlier operations of the same HTTP request (a batch) had spent part of the budget. */
  readonly shared: boolean;
}

/**
 * What one HTTP request has committed to spend upstream, across every operation of a batch. Distinct
 * keys are kept as sets, so the same participant or stage asked by two operations counts once, as
 * the request's DataLoaders make it cost once.
 */
export interface RequestSpend {
  /**
   * Adds an operation's worst-case cost when the request stays within every limit and returns null;
   * otherwise adds nothing and returns the limit it would cross.
   */
  charge(cost: RequestCost, limits: SpendLimits): Overspend | null;
}

/** A fresh, empty spend for one HTTP request. */
export function createRequestSpend(): RequestSpend {
  const participantKeys = new Set<string>();
  const stageKeys = new Set<string>();
  let rosterLookups = 0;
  let listCalls = 0;
  let sessionLookups = 0;
  let operations = 0;
  return {
    charge(cost, limits) {
      const totals: Record<SpendLimit, number> = {
        participants: unionSize(participantKeys, cost.participantKeys) + rosterLookups + cost.rosterLookups,
        listCalls: listCalls + cost.listCalls,
        stageLookups: unionSize(stageKeys, cost.stageKeys) + sessionLookups + cost.sessionLookups,
      };
      for (const limit of ['participants', 'listCalls', 'stageLookups'] as const) {
        if (totals[limit] > limits[limit]) {
          return { limit, total: totals[limit], max: limits[limit], shared: operations > 0 };
        }
      }
      for (const key of cost.participantKeys) participantKeys.add(key);
      for (const key of cost.stageKeys) stageKeys.add(key);
      rosterLookups += cost.rosterLookups;
      listCalls += cost.listCalls;
      sessionLookups += cost.sessionLookups;
      operations += 1;
      return null;
    },
  };
}

function unionSize(spent: ReadonlySet<string>, added: ReadonlySet<string>): number {
  let size = spent.size;
  for (const key of added) if (!spent.has(key)) size += 1;
  return size;
}
