import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { maxInAnyWindow } from '../../src/emulator/callLog.js';
import { createFaultQueue, faults } from '../../src/emulator/faults.js';
import { createEmulatorQuota } from '../../src/emulator/quota.js';
import { generateParticipants, loadDemoSeed, parseSeed } from '../../src/emulator/seed.js';
import { validateGetParticipantInput } from '../../src/emulator/validation.js';

const valid = {
  stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage01',
  sessionId: 'st-DemoSession01',
  participantId: 'alice',
};

describe('emulator call window', () => {
  test('counts the most calls that start within any half-open window', () => {
    assert.equal(maxInAnyWindow([0, 100, 200, 1000, 1050, 1100], 1000), 4);
    assert.equal(maxInAnyWindow([0, 1000, 2000], 1000), 1);
    assert.equal(maxInAnyWindow([], 1000), 0);
  });
});

describe('emulator quota limiter', () => {
  test('admits at most callsPerSecond calls in any 1-second window, and refused calls use no quota', () => {
    const limiter = createEmulatorQuota({ callsPerSecond: 5 });
    const admitted = [0, 1, 2, 3, 4, 5, 999].map((t) => limiter.tryAdmit(t));
    assert.deepEqual(admitted, [true, true, true, true, true, false, false]);
    assert.equal(limiter.tryAdmit(1000), true, 'the call at t=0 has left the window');
    assert.equal(limiter.tryAdmit(1000.5), false);
  });

  test('a quota of 0 refuses everything and no quota admits everything', () => {
    assert.equal(createEmulatorQuota({ callsPerSecond: 0 }).tryAdmit(0), false);
    const unlimited = createEmulatorQuota(null);
    assert.ok(Array.from({ length: 100 }, () => unlimited.tryAdmit(0)).every(Boolean));
  });
});

describe('emulator input validation', () => {
  test('accepts valid input, including an empty participantId', () => {
    assert.deepEqual(validateGetParticipantInput(valid), { ok: true, input: valid });
    assert.equal(validateGetParticipantInput({ ...valid, participantId: '' }).ok, true);
  });

  test('reports each broken constraint in the AWS message format', () => {
    assert.deepEqual(validateGetParticipantInput({ ...valid, sessionId: 'st-short' }), {
      ok: false,
      message:
        "1 validation error detected: Value 'st-short' at 'sessionId' failed to satisfy constraint: Member must have length greater than or equal to 16",
    });
    const result = validateGetParticipantInput({
      stageArn: 'arn:aws:ivs:us-east-1:1:channel/x',
      sessionId: valid.sessionId,
    });
    assert.equal(result.ok, false);
    assert.match(
      !result.ok ? result.message : '',
      /^2 validation errors detected: .*stage\/\[a-zA-Z0-9-\]\+\$; Value null at 'participantId'/,
    );
    assert.equal(validateGetParticipantInput({ ...valid, participantId: 'a'.repeat(65) }).ok, false);
    assert.equal(validateGetParticipantInput([]).ok, false);
  });
});

describe('emulator fault queue', () => {
  test('a fault fails exactly `times` matching calls, oldest fault first', () => {
    const queue = createFaultQueue();
    queue.inject(faults.internal(), { times: 2 });
    queue.inject(faults.reset());
    assert.equal(queue.take('GetParticipant', 'alice')?.kind, 'error');
    assert.equal(queue.take('GetParticipant', 'alice')?.kind, 'error');
    assert.equal(queue.take('GetParticipant', 'alice')?.kind, 'reset');
    assert.equal(queue.take('GetParticipant', 'alice'), undefined);
  });

  test('a fault scoped to a participant leaves other participants alone; Infinity lasts until cleared', () => {
    const queue = createFaultQueue();
    queue.inject(faults.hang(), { participantId: 'bob', times: Infinity });
    assert.equal(queue.take('GetParticipant', 'alice'), undefined);
    assert.equal(queue.take('GetParticipant', undefined), undefined);
    for (let i = 0; i < 10; i += 1) assert.equal(queue.take('GetParticipant', 'bob')?.kind, 'hang');
    queue.clear();
    assert.equal(queue.take('GetParticipant', 'bob'), undefined);
  });

  test('named faults carry the real status and message field', () => {
    assert.deepEqual(faults.accessDenied('no'), {
      kind: 'error',
      errorType: 'AccessDeniedException',
      status: 403,
      message: 'no',
    });
    assert.equal((faults.throttling() as { status: number }).status, 429);
    assert.throws(() => createFaultQueue().inject(faults.reset(), { times: 0 }), RangeError);
  });
});

describe('emulator seed', () => {
  test('the demo seed holds alice, bob, an ended session, the replica carol and dora in a second region', () => {
    const seed = loadDemoSeed();
    const all = seed.stages.flatMap((s) => s.sessions.flatMap((x) => x.participants));
    assert.deepEqual(
      all.map((p) => [p.participantId, p.state, p.replicationType]),
      [
        ['alice', 'CONNECTED', 'SOURCE'],
        ['bob', 'DISCONNECTED', 'NONE'],
        ['alice-0114', 'DISCONNECTED', 'NONE'],
        ['carol', 'CONNECTED', 'REPLICA'],
        ['dora', 'CONNECTED', 'NONE'],
      ],
    );
  });

  test('rejects unknown keys and keys GetParticipant could never fetch', () => {
    const stage = {
      stageArn: valid.stageArn,
      sessions: [{ sessionId: valid.sessionId, participants: [{ participantId: 'x' }] }],
    };
    assert.doesNotThrow(() => parseSeed({ stages: [stage] }));
    assert.throws(
      () => parseSeed({ stages: [{ ...stage, sessions: [{ sessionId: 'st-1', participants: [] }] }] }),
      /Invalid emulator seed/,
    );
    assert.throws(
      () =>
        parseSeed({
          stages: [
            {
              ...stage,
              sessions: [{ sessionId: valid.sessionId, participants: [{ participantId: 'x', displayName: 'X' }] }],
            },
          ],
        }),
      /Invalid emulator seed/,
    );
  });

  test('generated participants are numbered p-0000 onwards and are valid', () => {
    const generated = generateParticipants(3);
    assert.deepEqual(
      generated.map((p) => p.participantId),
      ['p-0000', 'p-0001', 'p-0002'],
    );
    assert.doesNotThrow(() =>
      parseSeed({
        stages: [{ stageArn: valid.stageArn, sessions: [{ sessionId: valid.sessionId, participants: generated }] }],
      }),
    );
  });
});
