import assert from 'node:assert/strict';
import { setImmediate as settle } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { ErrorCode, LookupError } from '../../src/errors.js';
import type { Clock } from '../../src/clock.js';
import { noopUpstreamObserver } from '../../src/upstream/observer.js';
import type { Caller } from '../../src/upstream/caller.js';
import { createQuotaLimiter, type QuotaWaiter } from '../../src/upstream/quota/limiter.js';
import { createLocalSlots } from '../../src/upstream/quota/slots.js';
import { createFairQueue, createFifoQueue } from '../../src/upstream/quota/waitQueue.js';

/** A clock that only moves when told to, firing due callbacks in time order. */
function manualClock() {
  let now = 0;
  let timers: { at: number; callback: () => void }[] = [];
  const clock: Clock = {
    now: () => now,
    schedule(callback, delayMs) {
      const timer = { at: now + delayMs, callback };
      timers.push(timer);
      return () => {
        timers = timers.filter((t) => t !== timer);
      };
    },
  };
  return {
    clock,
    async advance(ms: number) {
      const target = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
        if (due === undefined) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.callback();
        // Lets granted callers record the time they started at.
        await settle();
      }
      now = target;
      await settle();
    },
  };
}

const caller = (id: string, weight = 1): Caller => ({ id, label: id, weight, mayRevalidate: true });

function setup(
  options: {
    callsPerWindow?: number;
    queueMax?: number;
    queueMaxPerCaller?: number;
    recoveryStepMs?: number;
    policy?: 'fair' | 'fifo';
  } = {},
) {
  const time = manualClock();
  const slots = createLocalSlots({
    callsPerWindow: options.callsPerWindow ?? 5,
    windowMs: 1000,
    clock: time.clock,
    ...(options.recoveryStepMs !== undefined && { recoveryStepMs: options.recoveryStepMs }),
  });
  const queueMax = options.queueMax ?? 100;
  const limiter = createQuotaLimiter({
    slots,
    queue: options.policy === 'fair' ? createFairQueue<QuotaWaiter>() : createFifoQueue<QuotaWaiter>(),
    queueMax,
    queueMaxPerCaller: options.queueMaxPerCaller ?? queueMax,
    windowMs: 1000,
    clock: time.clock,
    observer: noopUpstreamObserver,
  });
  const starts: number[] = [];
  const failures: unknown[] = [];
  const request = (signal = new AbortController().signal) =>
    limiter.acquire({ caller: caller('a'), signal }).then(
      () => starts.push(time.clock.now()),
      (error: unknown) => failures.push(error),
    );
  return { time, limiter, slots, starts, failures, request };
}

function mostInAnyWindow(times: number[], windowMs: number): number {
  return Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u < t + windowMs).length));
}

function assertThrottled(error: unknown) {
  assert.ok(error instanceof LookupError);
  assert.equal(error.code, ErrorCode.THROTTLED);
  assert.equal(error.details.reason, 'GATEWAY_QUOTA');
  assert.equal(error.details.ivs, undefined);
  assert.ok((error.details.retryAfterSeconds ?? 0) >= 1);
}

describe('quota limiter', () => {
  test('a burst of 23 starts five at a time, never more than five in any 1-second window', async () => {
    const { time, starts, request } = setup();
    for (let i = 0; i < 23; i += 1) void request();
    await settle();
    assert.equal(starts.length, 5);
    await time.advance(999);
    assert.equal(starts.length, 5);
    await time.advance(1);
    assert.equal(starts.length, 10);
    await time.advance(3000);
    assert.equal(starts.length, 23);
    assert.equal(mostInAnyWindow(starts, 1000), 5);
  });

  test('spaced-out callers are held to the sliding window, not to whole seconds', async () => {
    const { time, starts, request } = setup();
    void request();
    await settle();
    await time.advance(900);
    for (let i = 0; i < 5; i += 1) void request();
    await settle();
    assert.deepEqual(starts, [0, 900, 900, 900, 900]);
    // A fixed 1-second window would admit the fifth at 1000; the sliding window waits for the call at 0 to leave.
    await time.advance(100);
    assert.deepEqual(starts, [0, 900, 900, 900, 900, 1000]);
    assert.equal(mostInAnyWindow(starts, 1000), 5);
  });

  test('waiters start in arrival order', async () => {
    const { time, limiter } = setup({ callsPerWindow: 1 });
    const order: number[] = [];
    const never = new AbortController().signal;
    for (let i = 0; i < 4; i += 1)
      void limiter.acquire({ caller: caller('a'), signal: never }).then(() => order.push(i));
    await settle();
    await time.advance(5000);
    assert.deepEqual(order, [0, 1, 2, 3]);
  });

  test('a waiter whose deadline passes first fails THROTTLED with retryAfterSeconds and never starts', async () => {
    const { time, starts, failures, request } = setup({ callsPerWindow: 1 });
    void request();
    const deadline = new AbortController();
    void request(deadline.signal);
    await time.advance(500);
    deadline.abort();
    await settle();
    assert.equal(failures.length, 1);
    assertThrottled(failures[0]);
    await time.advance(5000);
    assert.equal(starts.length, 1);
  });

  test('when the queue is full the next caller fails at once, and the queued ones still start', async () => {
    const { time, starts, failures, request } = setup({ callsPerWindow: 2, queueMax: 3 });
    for (let i = 0; i < 6; i += 1) void request();
    await settle();
    assert.equal(starts.length, 2);
    assert.equal(failures.length, 1);
    assertThrottled(failures[0]);
    await time.advance(2000);
    assert.equal(starts.length, 5);
  });

  test('a caller with an already spent deadline fails without using quota', async () => {
    const { starts, failures, request } = setup();
    await request(AbortSignal.abort());
    assert.equal(starts.length, 0);
    assertThrottled(failures[0]);
  });

  test('after IVS throttles, the limit halves (once per window), then climbs back one call per recovery step', async () => {
    const { time, limiter, slots, starts, request } = setup({ recoveryStepMs: 2000 });
    limiter.reportThrottled();
    assert.equal(slots.currentLimit(), 2);
    for (let i = 0; i < 5; i += 1) void request();
    await settle();
    assert.equal(starts.length, 2);
    await time.advance(2000);
    assert.equal(slots.currentLimit(), 3);
    await time.advance(2000);
    assert.equal(slots.currentLimit(), 4);
    assert.equal(starts.length, 5);
    await time.advance(2000);
    assert.equal(slots.currentLimit(), 5);
    limiter.reportThrottled();
    limiter.reportThrottled();
    assert.equal(slots.currentLimit(), 2, 'throttles within one window count once');
    await time.advance(1000);
    limiter.reportThrottled();
    assert.equal(slots.currentLimit(), 1);
  });

  test('close refuses whoever still waits', async () => {
    const { limiter, failures, request } = setup({ callsPerWindow: 1 });
    void request();
    void request();
    await settle();
    limiter.close();
    await settle();
    assert.equal(failures.length, 1);
  });
});

describe('fair queue', () => {
  /** Queues `count` lookups for `who` and records, in grant order, whose each was. */
  function fairSetup(options: Parameters<typeof setup>[0] = {}) {
    const base = setup({ callsPerWindow: 1, policy: 'fair', ...options });
    const order: string[] = [];
    const refused: LookupError[] = [];
    const queue = (who: Caller, count = 1, signal = new AbortController().signal) => {
      for (let i = 0; i < count; i += 1) {
        void base.limiter.acquire({ caller: who, signal }).then(
          () => order.push(who.id),
          (error: unknown) => refused.push(error as LookupError),
        );
      }
    };
    return { ...base, order, refused, queue };
  }

  test('callers waiting together take turns; each caller keeps its own arrival order', async () => {
    const { time, limiter, queue, order } = fairSetup();
    const labels: string[] = [];
    const a = caller('a');
    for (let i = 0; i < 3; i += 1) {
      void limiter.acquire({ caller: a, signal: new AbortController().signal }).then(() => labels.push(`a${i}`));
    }
    queue(caller('b'), 2);
    queue(caller('c'), 1);
    await settle();
    await time.advance(10_000);
    assert.deepEqual(labels, ['a0', 'a1', 'a2']);
    assert.deepEqual(order, ['b', 'c', 'b']);
  });

  test('a newcomer with one lookup starts after about one turn per other waiting caller, not behind a backlog', async () => {
    const { time, queue, order } = fairSetup();
    queue(caller('greedy'), 40);
    await settle();
    await time.advance(3000);
    queue(caller('modest'));
    await settle();
    await time.advance(2000);
    // `greedy` had 4 starts at 0, 1000, 2000, 3000; the next turn (4000) is the modest caller's.
    assert.deepEqual(order.slice(0, 5), ['greedy', 'greedy', 'greedy', 'greedy', 'modest']);
  });

  test('with FIFO the same newcomer waits behind the whole backlog', async () => {
    const { time, queue, order } = fairSetup({ policy: 'fifo' });
    queue(caller('greedy'), 10);
    await settle();
    await time.advance(3000);
    queue(caller('modest'));
    await settle();
    await time.advance(20_000);
    assert.equal(order.indexOf('modest'), 10);
  });

  test('a caller of weight 2 gets two turns for every turn of a caller of weight 1', async () => {
    const { time, queue, order } = fairSetup();
    queue(caller('heavy', 2), 6);
    queue(caller('light', 1), 6);
    await settle();
    await time.advance(9000);
    assert.deepEqual(order.slice(0, 9), [
      'heavy',
      'heavy',
      'light',
      'heavy',
      'heavy',
      'light',
      'heavy',
      'heavy',
      'light',
    ]);
  });

  test('a waiter that gives up at its deadline leaves its turn to the next caller and never starts', async () => {
    const { time, queue, order, refused } = fairSetup();
    queue(caller('a'));
    const deadline = new AbortController();
    queue(caller('b'), 1, deadline.signal);
    queue(caller('c'));
    await settle();
    deadline.abort();
    await time.advance(5000);
    assert.deepEqual(order, ['a', 'c']);
    assert.equal(refused.length, 1);
    assertThrottled(refused[0]);
  });

  test('a caller over its share of the queue is refused CALLER_QUEUE_FULL while others still queue', async () => {
    const { time, queue, order, refused } = fairSetup({ queueMax: 10, queueMaxPerCaller: 3 });
    queue(caller('a'), 5);
    queue(caller('b'), 2);
    await settle();
    assert.equal(refused.length, 1, 'the first of a starts at once, three wait, the fifth is refused');
    assert.equal(refused[0]?.code, ErrorCode.THROTTLED);
    assert.equal(refused[0]?.details.reason, 'CALLER_QUEUE_FULL');
    assert.ok((refused[0]?.details.retryAfterSeconds ?? 0) >= 1);
    await time.advance(10_000);
    assert.equal(order.filter((id) => id === 'b').length, 2);
  });

  test('close refuses every waiter of every caller', async () => {
    const { limiter, queue, refused } = fairSetup();
    queue(caller('a'), 3);
    queue(caller('b'), 2);
    await settle();
    limiter.close();
    await settle();
    assert.equal(refused.length, 4);
    assert.ok(refused.every((error) => error.code === ErrorCode.UPSTREAM_UNAVAILABLE));
  });
});

describe('start slots', () => {
  test('a start stays in the window until a window after its call ended, so a call that reached IVS late cannot overlap the next ones', async () => {
    const time = manualClock();
    const slots = createLocalSlots({ callsPerWindow: 1, windowMs: 1000, clock: time.clock });
    const first = slots.takeNow();
    assert.ok(first.granted);
    await time.advance(300);
    // The first call's answer came 300 ms after its start: IVS may have counted it as late as that.
    first.slot.ended();
    await time.advance(700);
    assert.deepEqual(slots.takeNow(), { granted: false, retryInMs: 300 });
    await time.advance(300);
    assert.equal(slots.takeNow().granted, true);
  });
});
