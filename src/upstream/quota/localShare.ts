/** A budget of call starts: at most `callsPerWindow` in any sliding window of `windowMs`. */
export interface StartBudget {
  readonly callsPerWindow: number;
  readonly windowMs: number;
}

/**
 * One replica's part of the fleet quota while Redis cannot coordinate it. With no more replicas
 * than calls, each gets floor(quota / fleet) per window, so the fleet stays within the quota in
 * every window whatever the replicas' phases. With more replicas than calls, each gets one call
 * per ceil(fleet / quota) windows: the fleet keeps to the quota on average over that longer span.
 */
export function localShare(quota: StartBudget, fleetSize: number): StartBudget {
  const fleet = Math.max(1, Math.floor(fleetSize));
  if (fleet <= quota.callsPerWindow) {
    return { callsPerWindow: Math.floor(quota.callsPerWindow / fleet), windowMs: quota.windowMs };
  }
  return { callsPerWindow: 1, windowMs: quota.windowMs * Math.ceil(fleet / quota.callsPerWindow) };
}

/**
 * What a replica writes into the shared log when Redis is back, so that the switch cannot burst:
 * its own local starts still inside the window (as ages in ms), and placeholders for the starts
 * the other replicas may have made on their local shares meanwhile (their logs are not known).
 */
export function resumeEntries(
  ownStarts: readonly number[],
  now: number,
  windowMs: number,
  share: StartBudget,
  fleetSize: number,
): { readonly ages: readonly number[]; readonly othersMax: number } {
  const ages = ownStarts.map((start) => now - start).filter((age) => age >= 0 && age < windowMs);
  const othersPerWindow = Math.ceil((share.callsPerWindow * windowMs) / share.windowMs);
  return { ages, othersMax: Math.max(0, Math.floor(fleetSize) - 1) * othersPerWindow };
}
