export interface Quota {
  /** The read operations' and DisconnectParticipant's rate; CreateParticipantToken gets ten times it. */
  readonly callsPerSecond: number;
}

/**
 * One operation's share of a configured quota, in AWS's proportions: CreateParticipantToken allows
 * 50 calls per second where every other operation allows 5.
 */
export function operationQuota(quota: Quota | null, operation: string): Quota | null {
  if (quota === null || operation !== 'CreateParticipantToken') return quota;
  return { callsPerSecond: quota.callsPerSecond * 10 };
}

export interface EmulatorQuota {
  /** Admits a call started at `now` (ms, monotonic) or refuses it; refused calls do not use quota. */
  tryAdmit(now: number): boolean;
}

const windowMs = 1000;

/**
 * One operation's quota, a sliding window: at most `callsPerSecond` admitted calls in any 1-second window [t, t + 1000).
 * Stricter than the token bucket AWS uses, so a gateway that passes here also passes there.
 */
export function createEmulatorQuota(quota: Quota | null): EmulatorQuota {
  if (quota === null) return { tryAdmit: () => true };
  const { callsPerSecond } = quota;
  if (!Number.isInteger(callsPerSecond) || callsPerSecond < 0) {
    throw new RangeError(`quota.callsPerSecond must be a non-negative integer, got ${callsPerSecond}`);
  }
  // Admission times in ascending order; those older than the window are dropped lazily.
  const admitted: number[] = [];
  return {
    tryAdmit(now) {
      while (admitted.length > 0 && now - (admitted[0] ?? now) >= windowMs) admitted.shift();
      if (admitted.length >= callsPerSecond) return false;
      admitted.push(now);
      return true;
    },
  };
}
