/** Time as the quota limiter sees it; injected so unit tests can move it by hand. */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Runs `callback` once after `delayMs` without keeping the process alive; returns a cancel function. */
  schedule(callback: () => void, delayMs: number): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  schedule(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return () => clearTimeout(timer);
  },
};
