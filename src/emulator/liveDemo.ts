import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readJson, type AdminRoutes } from './admin.js';
import { startActivity } from './activity.js';
import {
  createEventDelivery,
  type EventDeliveryChange,
  type EventDeliveryState,
  type EventDeliveryTarget,
} from './eventDelivery.js';
import { createRosterChanges, RosterChangeError, type RosterChange } from './rosterChanges.js';
import type { WireParticipant } from './seed.js';
import type { StageStore } from './stageStore.js';
import { sendJson } from './wire.js';

/** The emulator's live side: rosters that change while the gateway watches, and the events IVS would send. */
export interface LiveControls {
  /**
   * Applies one roster change as if it happened on the stage now: the next GetParticipant and
   * ListParticipants answer it, and a start or stop of publishing is posted as an event when delivery is on.
   * Throws RosterChangeError for a bad key or participant, or an unknown participant.
   */
  changeRoster(stageArn: string, sessionId: string, change: RosterChange): WireParticipant | undefined;
  /** Turns event delivery on (with a target) or off; throws RangeError when on without a url and key. */
  configureEventDelivery(change: EventDeliveryChange): EventDeliveryState;
  eventDelivery(): EventDeliveryState;
}

export interface LiveDemoOptions {
  /** One step of the town hall's activity script this often; default 0 (none). */
  readonly activityIntervalMs?: number;
  /** Delivery on from the start, to this target; default off. */
  readonly eventDelivery?: EventDeliveryTarget;
}

const sessionKey = { stageArn: z.string(), sessionId: z.string() };
const participantChange = {
  state: z.enum(['CONNECTED', 'DISCONNECTED']).optional(),
  publishing: z.boolean().optional(),
  published: z.boolean().optional(),
  attributes: z.record(z.string(), z.string()).optional(),
};
// The participant itself is checked by the store's own schema (rosterChanges), with the same messages as a seed.
const addSchema = z.strictObject({ ...sessionKey, participant: z.object({ participantId: z.string() }).loose() });
const changeSchema = z.strictObject({ ...sessionKey, participantId: z.string(), ...participantChange });
const removeSchema = z.strictObject({ ...sessionKey, participantId: z.string() });
const deliverySchema = z.strictObject({
  enabled: z.boolean(),
  url: z.url({ protocol: /^https?$/ }).optional(),
  apiKey: z.string().min(1).optional(),
  header: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/)
    .optional(),
});

/** Builds the live side on `store`; `close` stops the activity and abandons deliveries in flight. */
export function createLiveDemo(store: StageStore, options: LiveDemoOptions = {}) {
  const delivery = createEventDelivery(options.eventDelivery ?? null);
  const changeRoster = createRosterChanges(store, (stageArn, sessionId, participant, publishing) =>
    delivery.publishChanged(stageArn, sessionId, participant, publishing),
  );
  const interval = options.activityIntervalMs ?? 0;
  const stopActivity = interval > 0 ? startActivity(interval, changeRoster) : () => undefined;
  const controls: LiveControls = {
    changeRoster,
    configureEventDelivery: (change) => delivery.configure(change),
    eventDelivery: () => delivery.state(),
  };
  return {
    controls,
    adminRoutes: createLiveAdminRoutes(controls),
    close() {
      stopActivity();
      delivery.close();
    },
  };
}

/**
 * POST / PATCH / DELETE `/_emulator/participants` (add, change, remove a roster entry; the body names the
 * stage and session) and GET / POST `/_emulator/events` (event delivery on or off, its target).
 */
function createLiveAdminRoutes(controls: LiveControls): AdminRoutes {
  return {
    'POST /_emulator/participants': rosterRoute(
      controls,
      addSchema,
      ({ participant }) => ({ kind: 'add', participant }),
      201,
    ),
    'PATCH /_emulator/participants': rosterRoute(
      controls,
      changeSchema,
      ({ stageArn: _stage, sessionId: _session, participantId, ...change }) => ({
        kind: 'change',
        participantId,
        change,
      }),
      200,
    ),
    'DELETE /_emulator/participants': rosterRoute(
      controls,
      removeSchema,
      ({ participantId }) => ({ kind: 'remove', participantId }),
      200,
    ),
    'GET /_emulator/events': async (_req, res) => sendJson(res, 200, controls.eventDelivery()),
    'POST /_emulator/events': async (req, res) => {
      const body = await readJson(req, deliverySchema);
      if (!body.ok) return sendJson(res, 400, { error: body.error });
      try {
        return sendJson(res, 200, controls.configureEventDelivery(body.value));
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        return sendJson(res, 400, { error: error.message });
      }
    },
  };
}

/** A route that reads one roster change from the body and applies it: 400 for bad input, 404 for an unknown participant. */
function rosterRoute<T extends { stageArn: string; sessionId: string }>(
  controls: LiveControls,
  schema: z.ZodType<T>,
  toChange: (body: T) => RosterChange,
  okStatus: number,
) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readJson(req, schema);
    if (!body.ok) return sendJson(res, 400, { error: body.error });
    try {
      const participant = controls.changeRoster(body.value.stageArn, body.value.sessionId, toChange(body.value));
      return sendJson(res, okStatus, participant === undefined ? { ok: true } : { participant });
    } catch (error) {
      if (!(error instanceof RosterChangeError)) throw error;
      return sendJson(res, error.reason === 'unknown' ? 404 : 400, { error: error.message });
    }
  };
}
