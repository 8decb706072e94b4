import { z } from 'zod';
import demoSeedJson from './seed.json' with { type: 'json' };
import { getParticipantConstraints as inputConstraints } from '../ivs/constraints.js';
import { inputPatterns } from './validation.js';

const attributesSchema = z
  .record(z.string(), z.string())
  // IVS caps attributes at 1 KB in total; seeds should not show data IVS would refuse.
  .refine(
    (attributes) =>
      Object.entries(attributes).reduce(
        (bytes, [key, value]) => bytes + Buffer.byteLength(key) + Buffer.byteLength(value),
        0,
      ) <= 1024,
    'attributes exceed 1 KB in total',
  );

// IVS adds values to its enums over time (RTMP and replication arrived after launch); the emulator lets a
// test serve one the gateway's schema does not know yet.
const ivsEnum = z.string().regex(/^[A-Z_]+$/);

/** A participant exactly as GetParticipant puts it on the wire (firstJoinTime as ISO-8601). */
const wireParticipantSchema = z.strictObject({
  participantId: z.string().regex(inputPatterns.participantId).max(inputConstraints.participantId.max),
  userId: z.string().optional(),
  state: ivsEnum.optional(),
  firstJoinTime: z.iso.datetime().optional(),
  attributes: attributesSchema.optional(),
  published: z.boolean().optional(),
  ispName: z.string().optional(),
  osName: z.string().optional(),
  osVersion: z.string().optional(),
  browserName: z.string().optional(),
  browserVersion: z.string().optional(),
  sdkVersion: z.string().optional(),
  recordingS3BucketName: z.string().optional(),
  recordingS3Prefix: z.string().optional(),
  recordingState: ivsEnum.optional(),
  protocol: ivsEnum.optional(),
  replicationType: ivsEnum.optional(),
  replicationState: ivsEnum.optional(),
  sourceStageArn: z.string().optional(),
  sourceSessionId: z.string().optional(),
  redundantIngest: z.boolean().optional(),
  ingestConfigurationArn: z.string().optional(),
});

export type WireParticipant = z.infer<typeof wireParticipantSchema>;

/** One ListParticipantEvents event as IVS puts it on the wire (eventTime as ISO-8601). */
const wireEventSchema = z.strictObject({
  name: ivsEnum,
  participantId: z.string().optional(),
  eventTime: z.iso.datetime(),
  remoteParticipantId: z.string().optional(),
  errorCode: ivsEnum.optional(),
  destinationStageArn: z.string().optional(),
  destinationSessionId: z.string().optional(),
  replica: z.boolean().optional(),
  // TOKEN_EXCHANGED carries the old and new token's claims; the gateway must never pass them on.
  previousToken: z.record(z.string(), z.unknown()).optional(),
  newToken: z.record(z.string(), z.unknown()).optional(),
});

export type WireEvent = z.infer<typeof wireEventSchema>;

// Seeded keys must pass GetParticipant validation, otherwise they could never be fetched.
const seedSchema = z.strictObject({
  stages: z.array(
    z.strictObject({
      stageArn: z.string().regex(inputPatterns.stageArn).max(inputConstraints.stageArn.max),
      name: z.string().optional(),
      tags: z.record(z.string(), z.string()).optional(),
      sessions: z.array(
        z.strictObject({
          sessionId: z.string().regex(inputPatterns.sessionId).length(inputConstraints.sessionId.max),
          startTime: z.iso.datetime().optional(),
          /** Absent while the session is active; a stage has at most one active session. */
          endTime: z.iso.datetime().optional(),
          participants: z.array(wireParticipantSchema),
          /** Adds `generateParticipants(count)` after the listed participants, so demo rosters stay small in JSON. */
          generatedParticipants: z.number().int().nonnegative().optional(),
          /** Event histories by participantId; a participant without one gets `derivedEvents`. */
          events: z.record(z.string(), z.array(wireEventSchema)).optional(),
        }),
      ),
    }),
  ),
});

export type Seed = z.infer<typeof seedSchema>;

/** Validates seed data; throws with every problem listed. */
export function parseSeed(data: unknown): Seed {
  const result = seedSchema.safeParse(data);
  if (!result.success) throw new Error(`Invalid emulator seed:\n${z.prettifyError(result.error)}`);
  return result.data;
}

/** Validates one participant's event history, e.g. one passed to `setEvents`. */
export function parseWireEvents(data: unknown): WireEvent[] {
  const result = z.array(wireEventSchema).safeParse(data);
  if (!result.success) throw new Error(`Invalid events:\n${z.prettifyError(result.error)}`);
  return result.data;
}

/** Validates one participant, e.g. one passed to `addParticipant`. */
export function parseWireParticipant(data: unknown): WireParticipant {
  const result = wireParticipantSchema.safeParse(data);
  if (!result.success) throw new Error(`Invalid participant:\n${z.prettifyError(result.error)}`);
  return result.data;
}

/** The demo stages, sessions and participants from seed.json. */
export function loadDemoSeed(): Seed {
  return parseSeed(demoSeedJson);
}

const generatedEpochMs = Date.parse('2025-01-15T10:00:00.000Z');

/**
 * Deterministic participants `p-0000`, `p-0001`, ... for tests and benchmarks; the mix of states and
 * protocols is fixed by index so runs are reproducible.
 */
export function generateParticipants(count: number): WireParticipant[] {
  const width = Math.max(4, String(count - 1).length);
  return Array.from({ length: count }, (_, index): WireParticipant => {
    const suffix = String(index).padStart(width, '0');
    const viaWhip = index % 3 !== 2;
    return {
      participantId: `p-${suffix}`,
      userId: `user-${suffix}`,
      state: index % 5 === 4 ? 'DISCONNECTED' : 'CONNECTED',
      firstJoinTime: new Date(generatedEpochMs + index * 1000).toISOString(),
      attributes: { displayName: `Participant ${index}` },
      published: index % 2 === 0,
      ispName: 'Example ISP',
      ...(viaWhip
        ? { osName: 'Linux', osVersion: '6.8', browserName: 'Chrome', browserVersion: '126.0', sdkVersion: '1.14.0' }
        : {}),
      recordingState: 'DISABLED',
      protocol: viaWhip ? 'WHIP' : 'RTMPS',
      replicationType: 'NONE',
      redundantIngest: false,
    };
  });
}

/**
 * The history a participant's own fields imply, for participants the seed gives none:
 * joined at firstJoinTime, published two seconds later if it ever published, left a minute in if disconnected.
 * Generated participants whose index is a multiple of 7 also show a publish error, so error codes appear.
 */
export function derivedEvents(participant: WireParticipant): WireEvent[] {
  const joined = participant.firstJoinTime === undefined ? generatedEpochMs : Date.parse(participant.firstJoinTime);
  const at = (seconds: number) => new Date(joined + seconds * 1000).toISOString();
  const { participantId } = participant;
  const events: WireEvent[] = [{ name: 'JOINED', participantId, eventTime: at(0) }];
  const index = /^p-(\d+)$/.exec(participantId)?.[1];
  if (index !== undefined && Number(index) % 7 === 0) {
    events.push({ name: 'PUBLISH_ERROR', participantId, eventTime: at(1), errorCode: 'BITRATE_EXCEEDED' });
  }
  if (participant.published === true) events.push({ name: 'PUBLISH_STARTED', participantId, eventTime: at(2) });
  if (participant.state === 'DISCONNECTED') {
    if (participant.published === true) events.push({ name: 'PUBLISH_STOPPED', participantId, eventTime: at(59) });
    events.push({ name: 'LEFT', participantId, eventTime: at(60) });
  }
  return events;
}
