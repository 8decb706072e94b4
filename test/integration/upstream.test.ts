import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { faults } from '../../src/emulator/server.js';
import { participantKeyText } from '../../src/model.js';
import { pollUntil } from '../helpers/poll.js';
import { participantQuery } from '../helpers/queries.js';
import { demo, withStack, type GraphQLResponse, type Stack, type StackOptions } from '../helpers/stack.js';
import { within } from '../helpers/within.js';

const participantIdQuery = participantQuery('participantId userId state');

type ParticipantData = { participant: { participantId: string } | null };

// Every stack here runs against IVS's real GetParticipant quota.
const ivsQuota = { callsPerSecond: 5 };
const generatedId = (index: number) => `p-${String(index).padStart(4, '0')}`;

function withQuotaStack(options: StackOptions, run: (stack: Stack) => Promise<void>): Promise<void> {
  return withStack({ ...options, emulator: { quota: ivsQuota, ...options.emulator } }, run);
}

function ask(stack: Stack, participantId: string, headers?: Record<string, string>) {
  return stack.graphql<ParticipantData>(participantIdQuery, { ...demo, participantId }, headers);
}

function firstError(response: GraphQLResponse<ParticipantData>) {
  return response.body.errors?.[0]?.extensions ?? {};
}

describe('upstream protection: coalescing and quota', () => {
  test('500 concurrent requests for one participant make one IVS call and all succeed', async (t) => {
    await withQuotaStack({ env: { UPSTREAM_CACHE_TTL_MS_BY_OPERATION: 'GetParticipant=60000' } }, async (stack) => {
      const started = performance.now();
      const responses = await Promise.all(Array.from({ length: 500 }, () => ask(stack, 'alice')));
      const wallMs = Math.round(performance.now() - started);
      for (const { status, body } of responses) {
        assert.equal(status, 200);
        assert.equal(body.errors, undefined);
        assert.equal(body.data?.participant?.participantId, 'alice');
      }
      assert.equal(stack.emulator.stats().calls, 1);
      t.diagnostic(`500 requests in ${wallMs} ms, ${stack.emulator.stats().calls} IVS call`);
    });
  });

  test('a burst of 60 distinct participants from 20 clients stays inside the quota; each request succeeds or is THROTTLED after its deadline', async (t) => {
    const deadlineMs = 1500;
    const count = 60;
    await withQuotaStack(
      {
        emulator: { generatedParticipants: { ...demo, count } },
        env: { UPSTREAM_DEADLINE_MS: String(deadlineMs) },
      },
      async (stack) => {
        const outcomes: { ok: boolean; ms: number }[] = [];
        const client = async (first: number) => {
          for (let index = first; index < count; index += 20) {
            const started = performance.now();
            const response = await ask(stack, generatedId(index));
            const ms = performance.now() - started;
            if (response.body.data?.participant) {
              assert.equal(response.body.data.participant.participantId, generatedId(index));
              outcomes.push({ ok: true, ms });
            } else {
              const error = firstError(response);
              assert.equal(error.code, 'THROTTLED', JSON.stringify(response.body.errors));
              assert.equal(typeof error.retryAfterSeconds, 'number');
              // A waiter gives up when a tenth of its budget (at most 250 ms) is left: too little to call IVS in.
              const giveUpAtMs = deadlineMs - Math.min(250, deadlineMs / 10);
              assert.ok(ms >= giveUpAtMs - 50, `THROTTLED only at the end of the budget, after ${ms} ms`);
              assert.ok(ms < deadlineMs + 1000, `THROTTLED soon after the deadline, after ${ms} ms`);
              outcomes.push({ ok: false, ms });
            }
          }
        };
        await Promise.all(Array.from({ length: 20 }, (_, first) => client(first)));

        const stats = stack.emulator.stats();
        const succeeded = outcomes.filter((o) => o.ok).length;
        assert.equal(outcomes.length, count);
        assert.equal(stats.throttled, 0);
        assert.ok(
          stats.maxCallsInAnyWindow(1000) <= 6,
          `at most 5 (+1 slack) calls per second, saw ${stats.maxCallsInAnyWindow(1000)}`,
        );
        assert.equal(stats.calls, succeeded, 'no IVS call was wasted');
        assert.ok(succeeded >= 5 && succeeded < count, `some succeed, some are throttled: ${succeeded}/${count}`);
        t.diagnostic(
          `${succeeded}/${count} succeeded, ${stats.calls} IVS calls, max ${stats.maxCallsInAnyWindow(1000)} per 1 s window`,
        );
      },
    );
  });

  test('when the queue is full, a new lookup fails THROTTLED at once with no IVS call, while a cached one still answers', async () => {
    await withQuotaStack(
      {
        emulator: { generatedParticipants: { ...demo, count: 10 } },
        // One caller here, so the per-caller share is the whole queue.
        env: { UPSTREAM_QUEUE_MAX: '2', UPSTREAM_QUEUE_MAX_PER_CALLER: '2', UPSTREAM_DEADLINE_MS: '5000' },
      },
      async (stack) => {
        assert.equal((await ask(stack, 'alice')).body.data?.participant?.participantId, 'alice');
        // Six lookups after alice's call: four take the rest of this second's quota, two wait in the queue.
        const aliases = [0, 1, 2, 3, 4, 5].map(
          (i) =>
            `p${i}: participant(stageArn: $stageArn, sessionId: $sessionId, participantId: "${generatedId(i)}") { participantId }`,
        );
        const wide = stack.graphql<Record<string, { participantId: string } | null>>(
          `query($stageArn: String!, $sessionId: String!) { ${aliases.join('\n')} }`,
          demo,
        );
        await within(stack.emulator.waitForCalls(5), 30_000, 'five calls reaching IVS');

        const started = performance.now();
        const overflow = await ask(stack, generatedId(9));
        const overflowMs = performance.now() - started;
        assert.equal(firstError(overflow).code, 'THROTTLED');
        assert.equal(firstError(overflow).reason, 'GATEWAY_QUOTA');
        assert.equal(typeof firstError(overflow).retryAfterSeconds, 'number');
        assert.ok(overflowMs < 500, `failed fast, in ${overflowMs} ms`);

        const cached = await ask(stack, 'alice');
        assert.equal(cached.body.data?.participant?.participantId, 'alice');

        const { body } = await wide;
        assert.equal(body.errors, undefined);
        assert.equal(Object.keys(body.data ?? {}).length, 6);
        const stats = stack.emulator.stats();
        assert.equal(stats.calls, 7);
        assert.equal(stats.byKey[participantKeyText({ ...demo, participantId: generatedId(0) })], 1);
        assert.equal(stats.byKey[participantKeyText({ ...demo, participantId: generatedId(9) })] ?? 0, 0);
      },
    );
  });
});

describe('upstream protection: retries, deadlines, breaker', () => {
  for (const [title, fault] of [
    [
      'a flaky upstream (500, then success) is retried: the query succeeds after exactly two calls',
      faults.internal('transient'),
    ],
    [
      'when IVS throttles anyway (another client shares the account), the lookup is retried and succeeds',
      faults.throttling('Rate exceeded'),
    ],
  ] as const) {
    test(title, async () => {
      await withQuotaStack({}, async (stack) => {
        stack.emulator.injectFault(fault, { times: 1 });
        const { body } = await ask(stack, 'alice');
        assert.equal(body.errors, undefined);
        assert.equal(body.data?.participant?.participantId, 'alice');
        assert.equal(stack.emulator.stats().calls, 2);
      });
    });
  }

  test('an upstream that hangs answers UPSTREAM_TIMEOUT within the deadline, and the next query works', async () => {
    const deadlineMs = 500;
    await withQuotaStack({ env: { UPSTREAM_DEADLINE_MS: String(deadlineMs) } }, async (stack) => {
      stack.emulator.injectFault(faults.hang());
      const started = performance.now();
      const hung = await ask(stack, 'alice');
      const ms = performance.now() - started;
      assert.equal(firstError(hung).code, 'UPSTREAM_TIMEOUT');
      assert.ok(ms < deadlineMs + 500, `answered ${ms} ms after the question`);
      const next = await ask(stack, 'alice');
      assert.equal(next.body.data?.participant?.participantId, 'alice');
    });
  });

  test('with a lookup deadline shorter than an SDK attempt, a hanging IVS still opens the breaker: the next lookup fails fast without a call', async () => {
    await withQuotaStack(
      {
        emulator: { generatedParticipants: { ...demo, count: 10 } },
        env: { UPSTREAM_DEADLINE_MS: '2000', IVS_ATTEMPT_TIMEOUT_MS: '3000', UPSTREAM_BREAKER_THRESHOLD: '5' },
      },
      async (stack) => {
        stack.emulator.injectFault(faults.hang(), { times: Infinity });
        // Five at once: all inside one quota window, so each one is a call that IVS leaves hanging.
        const hung = await Promise.all([0, 1, 2, 3, 4].map((index) => ask(stack, generatedId(index))));
        assert.deepEqual(
          hung.map((response) => firstError(response).code),
          Array<string>(5).fill('UPSTREAM_TIMEOUT'),
        );
        const calls = stack.emulator.stats().calls;
        assert.equal(calls, 5);

        const started = performance.now();
        const refused = await ask(stack, generatedId(5));
        const ms = performance.now() - started;
        assert.equal(firstError(refused).reason, 'CIRCUIT_OPEN');
        assert.equal(stack.emulator.stats().calls, calls, 'no call while the circuit is open');
        assert.ok(ms < 1000, `refused after ${Math.round(ms)} ms instead of failing fast`);
      },
    );
  });

  test('after sustained 5xx the breaker stops calls during its cool-down, serves stale data flagged, then recovers', async () => {
    await withQuotaStack(
      {
        emulator: { generatedParticipants: { ...demo, count: 10 } },
        env: {
          UPSTREAM_MAX_ATTEMPTS: '1',
          UPSTREAM_BREAKER_THRESHOLD: '3',
          UPSTREAM_BREAKER_COOLDOWN_MS: '1500',
          UPSTREAM_CACHE_TTL_MS_BY_OPERATION: 'GetParticipant=200',
          UPSTREAM_SERVE_STALE: 'true',
        },
      },
      async (stack) => {
        assert.equal((await ask(stack, 'alice')).body.data?.participant?.participantId, 'alice');
        stack.emulator.injectFault(faults.internal('down'), { times: Infinity });

        // Once alice's entry expires, IVS fails and the last known alice is served, flagged (failure 1).
        const stale = await pollUntil(
          () => ask(stack, 'alice'),
          (response) => response.body.extensions?.['stale'] === true,
        );
        assert.equal(stale.body.data?.participant?.participantId, 'alice');
        assert.equal(stale.body.errors, undefined);

        // Failures 2 and 3 come from IVS itself and open the circuit.
        for (const index of [0, 1]) {
          const failed = await ask(stack, generatedId(index));
          assert.equal(firstError(failed).code, 'UPSTREAM_UNAVAILABLE');
          assert.equal((firstError(failed).ivs as { httpStatus?: number } | undefined)?.httpStatus, 500);
        }
        const callsWhenOpened = stack.emulator.stats().calls;

        for (const index of [2, 3, 4]) {
          const refused = await ask(stack, generatedId(index));
          assert.equal(firstError(refused).code, 'UPSTREAM_UNAVAILABLE');
          assert.equal(firstError(refused).reason, 'CIRCUIT_OPEN');
          assert.equal(typeof firstError(refused).retryAfterSeconds, 'number');
        }
        const staleWhileOpen = await ask(stack, 'alice');
        assert.equal(staleWhileOpen.body.data?.participant?.participantId, 'alice');
        assert.equal(staleWhileOpen.body.extensions?.['stale'], true);
        const noCache = await ask(stack, 'alice', { 'cache-control': 'no-cache' });
        assert.equal(firstError(noCache).reason, 'CIRCUIT_OPEN', 'no-cache callers are never served stale');
        assert.equal(stack.emulator.stats().calls, callsWhenOpened, 'no IVS call while the circuit is open');

        // IVS recovers; after the cool-down one probe goes through and closes the circuit.
        stack.emulator.clearFaults();
        const recovered = await pollUntil(
          () => ask(stack, generatedId(2)),
          (response) => response.body.data?.participant != null,
        );
        assert.equal(recovered.body.extensions?.['stale'], undefined);
        assert.equal(stack.emulator.stats().calls, callsWhenOpened + 1);
      },
    );
  });
});

describe('upstream protection: breaker recovery', () => {
  test('once the cool-down is over, one probe goes to IVS while concurrent lookups are refused; no burst follows', async () => {
    await withQuotaStack(
      {
        emulator: { generatedParticipants: { ...demo, count: 40 } },
        env: {
          UPSTREAM_MAX_ATTEMPTS: '1',
          UPSTREAM_BREAKER_THRESHOLD: '1',
          UPSTREAM_BREAKER_COOLDOWN_MS: '500',
          // As in the fleet tests: a loaded 2-core machine delays calls past the default 100 ms margin.
          UPSTREAM_QUOTA_MARGIN_MS: '400',
        },
      },
      async (stack) => {
        stack.emulator.injectFault(faults.internal('down'));
        assert.equal(firstError(await ask(stack, generatedId(0))).code, 'UPSTREAM_UNAVAILABLE');
        const callsWhenOpened = stack.emulator.stats().calls;

        // Keep the probe in flight: ask until a lookup is not refused, i.e. it reached IVS as the probe.
        stack.emulator.configure({ latencyMs: 1500 });
        const probeArrived = within(stack.emulator.waitForCalls(callsWhenOpened + 1), 30_000, 'the probe').then(
          () => 'probe' as const,
        );
        let probe: ReturnType<typeof ask> | undefined;
        for (let index = 1; probe === undefined; index += 1) {
          const attempt = ask(stack, generatedId(1 + (index % 19)));
          const first = await Promise.race([attempt.then(() => 'answered' as const), probeArrived]);
          if (first === 'probe') probe = attempt;
          else assert.equal(firstError(await attempt).reason, 'CIRCUIT_OPEN');
        }

        const whileProbing = await Promise.all(Array.from({ length: 12 }, (_, i) => ask(stack, generatedId(20 + i))));
        assert.ok(whileProbing.every((response) => firstError(response).reason === 'CIRCUIT_OPEN'));
        assert.equal(stack.emulator.stats().calls, callsWhenOpened + 1, 'only the probe reached IVS');

        const probed = await probe;
        assert.ok(probed.body.data?.participant, JSON.stringify(probed.body));
        stack.emulator.configure({ latencyMs: 0 });
        const after = await Promise.all(Array.from({ length: 12 }, (_, i) => ask(stack, generatedId(20 + i))));
        assert.ok(after.every((response) => response.body.data?.participant));
        const stats = stack.emulator.stats();
        assert.equal(stats.throttled, 0, 'the calls after recovery kept to the quota');
        assert.ok(stats.maxCallsInAnyWindow(1000) <= 6, `saw ${stats.maxCallsInAnyWindow(1000)} calls in one second`);
      },
    );
  });
});

describe('upstream protection: cache', () => {
  test('a second query within the TTL makes no IVS call, one after the TTL does; no-cache forces a call', async () => {
    const ttlMs = 1000;
    await withQuotaStack(
      {
        env: {
          UPSTREAM_CACHE_TTL_MS_BY_OPERATION: `GetParticipant=${ttlMs}`,
          UPSTREAM_REVALIDATE_MIN_INTERVAL_MS: '0',
        },
      },
      async (stack) => {
        const started = Date.now();
        assert.equal((await ask(stack, 'alice')).body.data?.participant?.participantId, 'alice');
        assert.equal((await ask(stack, 'alice')).body.data?.participant?.participantId, 'alice');
        assert.equal(stack.emulator.stats().calls, 1);

        await pollUntil(
          () => ask(stack, 'alice'),
          () => stack.emulator.stats().calls === 2,
        );
        assert.ok(Date.now() - started >= ttlMs, 'the second call came only after the TTL');

        const fresh = await ask(stack, 'alice', { 'cache-control': 'no-cache' });
        assert.equal(fresh.body.data?.participant?.participantId, 'alice');
        assert.equal(stack.emulator.stats().calls, 3);
      },
    );
  });

  test('NOT_FOUND is cached for its own TTL', async () => {
    await withQuotaStack({ env: { UPSTREAM_CACHE_NOT_FOUND_TTL_MS: '60000' } }, async (stack) => {
      for (let i = 0; i < 3; i += 1) {
        const { body } = await ask(stack, 'ghost');
        assert.equal(body.data?.participant, null);
        assert.equal(body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
        assert.equal((body.errors?.[0]?.extensions?.ivs as { httpStatus?: number }).httpStatus, 404);
      }
      assert.equal(stack.emulator.stats().calls, 1);
    });
  });
});
