import type { ParticipantKey } from '../../model.js';
import type { ReadOperation } from '../../ivs/operations/operation.js';

/**
 * Cache generations per stage: the generation is part of the cache and flight key of every answer that a
 * participant's change makes wrong (its GetParticipant, its session's roster pages, its event pages). A
 * bump makes all of them unreachable at once, in this process's cache and near copies and, shared, in every
 * replica's: nothing has to be found and deleted. The unit is the stage because DisconnectParticipant names
 * no session; the cost is that one participant's change refetches its whole stage's answers.
 */
export interface StageGenerations {
  /** The stage's current generation, known locally (no I/O): cache keys are computed synchronously. */
  of(stageArn: string): number;
  /** Moves the stage to a new generation here and, shared, fleet-wide; resolves once Redis has it (or failed). */
  bump(stageArn: string): Promise<void>;
  /** Called after any generation changed, here or (shared) on another replica. */
  onBump(listener: (stageArn: string) => void): void;
  close(): Promise<void>;
}

/** `keyText` with the stage's generation in front, for the reads a participant's change can make wrong. */
export function generationalKeyText<K>(
  operation: Pick<ReadOperation<K, unknown>, 'keyText' | 'stageArnOf' | 'generational'>,
  generations: StageGenerations,
): (key: K) => string {
  const { keyText, stageArnOf } = operation;
  if (!operation.generational) return keyText;
  return (key) => {
    const generation = generations.of(stageArnOf(key));
    // Generation 0 keeps the keys every replica used before the first invalidation.
    return generation === 0 ? keyText(key) : `g${generation} ${keyText(key)}`;
  };
}

/** The backend's invalidation entry point: what a disconnect or a live event calls. */
export interface Invalidation {
  /** Drops every cached answer the participant's change may have made wrong, fleet-wide. */
  invalidateParticipant(key: ParticipantKey): Promise<void>;
  /** The same for a stage whose session is not known (DisconnectParticipant names none). */
  invalidateStage(stageArn: string): Promise<void>;
}

export function createInvalidation(generations: StageGenerations): Invalidation {
  return {
    invalidateParticipant: (key) => generations.bump(key.stageArn),
    invalidateStage: (stageArn) => generations.bump(stageArn),
  };
}

/** One process on its own: generations in memory. */
export function createLocalGenerations(): StageGenerations {
  const generations = new Map<string, number>();
  const listeners: ((stageArn: string) => void)[] = [];
  return {
    of: (stageArn) => generations.get(stageArn) ?? 0,
    async bump(stageArn) {
      generations.set(stageArn, (generations.get(stageArn) ?? 0) + 1);
      listeners.forEach((listener) => listener(stageArn));
    },
    onBump: (listener) => void listeners.push(listener),
    close: async () => undefined,
  };
}
