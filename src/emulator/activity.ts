import type { RosterChange } from './rosterChanges.js';
import type { WireParticipant } from './seed.js';

/** The demo session the activity plays on (seed.json's town hall). */
export const townHall = {
  stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage03',
  sessionId: 'st-DemoTownHall1',
} as const;

/** Rounds whose departed participants stay in the roster; older ones are removed, so a demo can run for days. */
const roundsKept = 3;

// One round, in order; `ana` and `ben` are the round's participants (`ana-1`, `ben-1` in round 1).
const script = [
  { who: 'ana', does: 'joins' },
  { who: 'ana', does: 'publishes' },
  { who: 'ben', does: 'joins' },
  { who: 'ben', does: 'publishes' },
  { who: 'ben', does: 'unpublishes' },
  { who: 'ben', does: 'leaves' },
  { who: 'ana', does: 'unpublishes' },
  { who: 'ana', does: 'leaves' },
] as const;

const people = {
  ana: { userId: 'user-ana', attributes: { displayName: 'Ana', role: 'speaker' } },
  ben: { userId: 'user-ben', attributes: { displayName: 'Ben', role: 'guest' } },
} as const;

/**
 * Step `step` (0, 1, 2, ...) of the town hall's fixed script: in round r (step / 8 + 1), `ana-r` joins and
 * starts publishing, `ben-r` joins, publishes, stops and leaves, then `ana-r` stops and leaves. IVS never
 * reuses a participant id, so each round brings new ones; the first step of a round also removes the
 * participants of the round `roundsKept` before it.
 */
export function townHallStep(step: number, now: Date): RosterChange[] {
  const round = Math.floor(step / script.length) + 1;
  const { who, does } = script[step % script.length]!;
  const participantId = `${who}-${round}`;
  const changes: RosterChange[] = [];
  if (step % script.length === 0 && round > roundsKept) {
    for (const name of Object.keys(people))
      changes.push({ kind: 'remove', participantId: `${name}-${round - roundsKept}` });
  }
  switch (does) {
    case 'joins':
      changes.push({ kind: 'add', participant: joining(participantId, people[who], now) });
      break;
    case 'publishes':
    case 'unpublishes':
      changes.push({ kind: 'change', participantId, change: { publishing: does === 'publishes' } });
      break;
    case 'leaves':
      changes.push({ kind: 'change', participantId, change: { state: 'DISCONNECTED' } });
      break;
  }
  return changes;
}

function joining(participantId: string, person: (typeof people)[keyof typeof people], now: Date): WireParticipant {
  return {
    participantId,
    userId: person.userId,
    state: 'CONNECTED',
    firstJoinTime: now.toISOString(),
    attributes: { ...person.attributes },
    published: false,
    ispName: 'Example ISP',
    osName: 'macOS',
    osVersion: '15.1',
    browserName: 'Firefox',
    browserVersion: '133.0',
    sdkVersion: '1.20.0',
    recordingState: 'DISABLED',
    protocol: 'WHIP',
    replicationType: 'NONE',
    redundantIngest: false,
  };
}

/**
 * Plays the script, one step every `intervalMs`, through `apply` (which also makes the emulator post the
 * publish events). Returns a stop function. The timer does not keep the process alive.
 */
export function startActivity(
  intervalMs: number,
  apply: (stageArn: string, sessionId: string, change: RosterChange) => void,
): () => void {
  let step = 0;
  const timer = setInterval(() => {
    for (const change of townHallStep(step, new Date())) {
      try {
        apply(townHall.stageArn, townHall.sessionId, change);
      } catch {
        // An admin removed or replaced the script's participant: that step is skipped, the play goes on.
      }
    }
    step++;
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
