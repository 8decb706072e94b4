import { setTimeout as pause } from 'node:timers/promises';

/** Repeats `step` until `done` says so; fails after `timeoutMs`. For waiting out short TTLs and cool-downs. */
export async function pollUntil<T>(step: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const value = await step();
    if (done(value)) return value;
    if (Date.now() > giveUpAt) throw new Error(`condition not met within ${timeoutMs} ms`);
    await pause(20);
  }
}
