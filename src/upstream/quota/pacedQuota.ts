/**
 * The sliding window a rate is enforced with. A rate of 20 or more calls per second (a multiple of 10, such as
 * CreateParticipantToken's 50) is granted in tenths: rate/10 starts per tenth of the window. The guarantee is the
 * same (call n + rate starts at least one whole window after call n), but a window's starts no longer leave
 * together as one burst of 50, whose spread on the way out could squeeze 51 arrivals into IVS's second.
 */
export function pacedQuota(callsPerSecond: number, windowMs: number): { callsPerWindow: number; windowMs: number } {
  if (callsPerSecond < 20 || callsPerSecond % 10 !== 0) return { callsPerWindow: callsPerSecond, windowMs };
  return { callsPerWindow: callsPerSecond / 10, windowMs: windowMs / 10 };
}
