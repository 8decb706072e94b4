import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { ErrorCode } from '../errors.js';
import { refusalText } from '../graphql/errors.js';
import { readEventBridgeEvent } from '../live/eventBridgeEvent.js';
import type { SeenEventIds } from '../live/seenEventIds.js';
import type { StageEvent, StageEventSink } from '../live/stageEvent.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { ServedStages } from '../validation.js';
import { sendRefusal } from './refusal.js';
import { createSharedSecretCheck } from './sharedSecret.js';

export interface EventsRouteDependencies {
  settings: NonNullable<Config['events']>;
  servedStages: ServedStages;
  eventIds: SeenEventIds;
  /** Where checked, first-seen events go; without one they are checked, counted and dropped. */
  sink: StageEventSink | undefined;
  metrics: GatewayMetrics;
  logger: Logger;
}

/**
 * POST <EVENTS_PATH>: the target of an EventBridge API destination. The API-key header is checked before
 * the body is read (401); a body that is not an EventBridge event is 400 (EventBridge does not retry it);
 * any valid event is answered 202 at once, whether it is acted on or ignored, and processed afterwards:
 * an id already seen (by any replica, with Redis) is dropped, a new one goes to the sink.
 */
export function registerEventsRoute(app: FastifyInstance, deps: EventsRouteDependencies): void {
  const { settings, metrics } = deps;
  const authentic = createSharedSecretCheck(settings.apiKey);
  app.post(settings.path, {
    onRequest: async (request, reply) => {
      const presented = request.headers[settings.apiKeyHeader];
      if (authentic(typeof presented === 'string' ? presented : undefined)) return;
      metrics.eventReceived('unauthorized');
      const message = refusalText.UNAUTHENTICATED.eventsApiKey(settings.apiKeyHeader);
      return sendRefusal(request, reply, 401, ErrorCode.UNAUTHENTICATED, message);
    },
    handler: async (request, reply) => {
      const reading = readEventBridgeEvent(request.body, deps.servedStages);
      if (reading.kind === 'malformed') {
        metrics.eventReceived('malformed');
        const message = refusalText.BAD_REQUEST.notEventBridgeEvent(reading.problem);
        return sendRefusal(request, reply, 400, ErrorCode.BAD_REQUEST, message);
      }
      if (reading.kind === 'ignored') {
        metrics.eventReceived(`ignored_${reading.reason}`);
        return reply.code(202).send({ id: reading.id, accepted: true });
      }
      void deliverOnce(reading.event, deps);
      return reply.code(202).send({ id: reading.event.id, accepted: true });
    },
  });
}

// After the answer: the dedupe store never rejects, and a throwing sink must not become an unhandled rejection.
async function deliverOnce(event: StageEvent, deps: EventsRouteDependencies): Promise<void> {
  if (!(await deps.eventIds.firstSighting(event.id))) {
    deps.metrics.eventReceived('duplicate');
    return;
  }
  deps.metrics.eventReceived('accepted');
  try {
    deps.sink?.(event);
  } catch (error) {
    deps.logger.error({ err: error, eventId: event.id }, 'the stage event sink failed');
  }
}
