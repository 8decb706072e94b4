import { z } from 'zod';
import { getParticipantConstraints as constraints } from '../ivs/constraints.js';
import { servesStage, type ServedStages } from '../validation.js';
import { stageEventNames, type StageEvent, type StageEventName } from './stageEvent.js';

/** What any EventBridge event carries; a body without it is not an event (400). */
const envelopeSchema = z.object({
  // EventBridge ids are UUIDs; the bound keeps a dedupe key small.
  id: z.string().min(1).max(256),
  'detail-type': z.string(),
  source: z.string(),
  time: z.iso.datetime({ offset: true }),
  resources: z.array(z.string()),
  detail: z.record(z.string(), z.unknown()),
});

/** The `detail` of an `IVS Stage Update` about a participant (see the IVS user guide's EventBridge page). */
const stageUpdateDetailSchema = z.object({
  session_id: z
    .string()
    .regex(new RegExp(constraints.sessionId.pattern))
    .min(constraints.sessionId.min)
    .max(constraints.sessionId.max),
  participant_id: z
    .string()
    .regex(new RegExp(constraints.participantId.pattern))
    .min(1)
    .max(constraints.participantId.max),
  user_id: z.string().optional(),
  event_name: z.enum(stageEventNames),
  // Only some events carry it, in a format IVS does not document: a value that is not a date is not used.
  event_time: z.string().optional(),
});

const stageArnPattern = new RegExp(constraints.stageArn.pattern);

/** Why a valid event changes nothing; each is answered 2xx so EventBridge does not retry it. */
export type IgnoredReason = 'not_stage_update' | 'unknown_event_name' | 'not_served';

export type EventBridgeReading =
  | { readonly kind: 'stage-event'; readonly event: StageEvent }
  | { readonly kind: 'ignored'; readonly id: string; readonly reason: IgnoredReason }
  | { readonly kind: 'malformed'; readonly problem: string };

/**
 * Reads one EventBridge event as an API destination POSTs it: a participant's `IVS Stage Update` on a
 * served stage becomes a `StageEvent`; any other well-formed event is `ignored`; anything else `malformed`.
 */
export function readEventBridgeEvent(body: unknown, served: ServedStages): EventBridgeReading {
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) return { kind: 'malformed', problem: z.prettifyError(envelope.error) };
  const { id, source, time, resources, detail } = envelope.data;
  if (source !== 'aws.ivs' || envelope.data['detail-type'] !== 'IVS Stage Update') {
    return { kind: 'ignored', id, reason: 'not_stage_update' };
  }
  // IVS adds event names over time: one we do not act on is not an error.
  if (!stageEventNames.includes(detail['event_name'] as StageEventName)) {
    return { kind: 'ignored', id, reason: 'unknown_event_name' };
  }
  const stageArn = resources[0];
  if (stageArn === undefined || stageArn.length > constraints.stageArn.max || !stageArnPattern.test(stageArn)) {
    return { kind: 'malformed', problem: 'resources[0] must be the stage ARN' };
  }
  const fields = stageUpdateDetailSchema.safeParse(detail);
  if (!fields.success) return { kind: 'malformed', problem: z.prettifyError(fields.error) };
  if (!servesStage(stageArn, served)) return { kind: 'ignored', id, reason: 'not_served' };
  const { session_id, participant_id, user_id, event_name, event_time } = fields.data;
  return {
    kind: 'stage-event',
    event: {
      id,
      stageArn,
      sessionId: session_id,
      participantId: participant_id,
      time: happenedAt(event_time, time),
      name: event_name,
      userId: user_id,
      published: publishedAfter(event_name),
    },
  };
}

function happenedAt(eventTime: string | undefined, envelopeTime: string): Date {
  const parsed = eventTime === undefined ? Number.NaN : Date.parse(eventTime);
  return new Date(Number.isNaN(parsed) ? envelopeTime : parsed);
}

// IVS's `published` means "has ever published in this session": a Participant Published event sets it, and no
// event can clear it (an Unpublished participant still reads `published: true` from GetParticipant).
function publishedAfter(name: StageEventName): boolean | undefined {
  return name === 'Participant Published' ? true : undefined;
}
