import { derivedEvents, generateParticipants, type Seed, type WireEvent, type WireParticipant } from './seed.js';

/** One stage session: its participants in join order and their event histories. */
export interface StoredSession {
  readonly sessionId: string;
  readonly startTime: string | undefined;
  readonly endTime: string | undefined;
  readonly participants: Map<string, WireParticipant>;
  /** Explicit histories; a participant without one has `derivedEvents`. */
  readonly events: Map<string, WireEvent[]>;
}

export interface StoredStage {
  readonly arn: string;
  readonly name: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  /** Most recent first, as ListStageSessions returns them. */
  readonly sessions: Map<string, StoredSession>;
}

/** The emulator's stages, sessions, participants and events. */
export interface StageStore {
  stage(arn: string): StoredStage | undefined;
  session(stageArn: string, sessionId: string): StoredSession | undefined;
  participant(stageArn: string, sessionId: string, participantId: string): WireParticipant | undefined;
  /** A participant's history, or undefined when the participant is unknown. */
  events(stageArn: string, sessionId: string, participantId: string): WireEvent[] | undefined;
  /** Adds or replaces a participant; creates the stage and session (active, started now) if new. */
  putParticipant(stageArn: string, sessionId: string, participant: WireParticipant): void;
  /** Replaces a known participant's event history. */
  putEvents(stageArn: string, sessionId: string, participantId: string, events: WireEvent[]): void;
  /** Takes a participant (and its history) out of its session's roster; false when it was not there. */
  removeParticipant(stageArn: string, sessionId: string, participantId: string): boolean;
}

/** The session a stage is live in: the newest one without an end time. */
export function activeSessionOf(stage: StoredStage): StoredSession | undefined {
  return [...stage.sessions.values()].find((session) => session.endTime === undefined);
}

/** In-memory directory filled from a seed. */
export function createStageStore(seed: Seed): StageStore {
  const stages = new Map<string, StoredStage>();
  const stageFor = (arn: string): StoredStage => {
    let stage = stages.get(arn);
    if (stage === undefined) stages.set(arn, (stage = { arn, name: undefined, tags: {}, sessions: new Map() }));
    return stage;
  };
  const sessionFor = (stageArn: string, sessionId: string): StoredSession => {
    const stage = stageFor(stageArn);
    let session = stage.sessions.get(sessionId);
    if (session === undefined) {
      session = {
        sessionId,
        startTime: new Date().toISOString(),
        endTime: undefined,
        participants: new Map(),
        events: new Map(),
      };
      // Newest first: a session created now goes before the seeded ones.
      const older = [...stage.sessions.entries()];
      stage.sessions.clear();
      stage.sessions.set(sessionId, session);
      for (const [id, existing] of older) stage.sessions.set(id, existing);
    }
    return session;
  };

  for (const seeded of seed.stages) {
    const sessions = new Map<string, StoredSession>();
    for (const s of seeded.sessions) {
      const participants = [...s.participants, ...generateParticipants(s.generatedParticipants ?? 0)];
      sessions.set(s.sessionId, {
        sessionId: s.sessionId,
        startTime: s.startTime,
        endTime: s.endTime,
        participants: new Map(participants.map((p) => [p.participantId, p])),
        events: new Map(Object.entries(s.events ?? {})),
      });
    }
    stages.set(seeded.stageArn, { arn: seeded.stageArn, name: seeded.name, tags: seeded.tags ?? {}, sessions });
  }

  const session = (stageArn: string, sessionId: string) => stages.get(stageArn)?.sessions.get(sessionId);
  const participant = (stageArn: string, sessionId: string, participantId: string) =>
    session(stageArn, sessionId)?.participants.get(participantId);
  return {
    stage: (arn) => stages.get(arn),
    session,
    participant,
    events(stageArn, sessionId, participantId) {
      const found = participant(stageArn, sessionId, participantId);
      if (found === undefined) return undefined;
      return session(stageArn, sessionId)?.events.get(participantId) ?? derivedEvents(found);
    },
    putParticipant(stageArn, sessionId, added) {
      sessionFor(stageArn, sessionId).participants.set(added.participantId, added);
    },
    putEvents(stageArn, sessionId, participantId, events) {
      const target = session(stageArn, sessionId);
      if (target?.participants.has(participantId) !== true) {
        throw new Error(`No participant '${participantId}' in session '${sessionId}' of stage '${stageArn}'`);
      }
      target.events.set(participantId, events);
    },
    removeParticipant(stageArn, sessionId, participantId) {
      const target = session(stageArn, sessionId);
      target?.events.delete(participantId);
      return target?.participants.delete(participantId) ?? false;
    },
  };
}
