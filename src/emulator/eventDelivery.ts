import { randomUUID } from 'node:crypto';
import { setTimeout as pause } from 'node:timers/promises';
import type { WireParticipant } from './seed.js';

/** Where events go, as an EventBridge API destination and its connection would send them. */
export interface EventDeliveryTarget {
  readonly url: string;
  readonly apiKey: string;
  /** The connection's API key name: the header the key travels in (default `x-events-api-key`). */
  readonly header: string;
}

/** What the admin API shows: the target without its key, and what became of the events so far. */
export interface EventDeliveryState {
  readonly enabled: boolean;
  readonly url: string | null;
  readonly header: string | null;
  /** Events answered 2xx by the target. */
  readonly delivered: number;
  /** Events given up on: a final 4xx, or still failing after the last attempt. */
  readonly failed: number;
}

export type EventDeliveryChange = { readonly enabled: boolean } & Partial<EventDeliveryTarget>;

export interface EventDelivery {
  /** Turns delivery on (with a target, given now or before) or off; throws RangeError when on without one. */
  configure(change: EventDeliveryChange): EventDeliveryState;
  state(): EventDeliveryState;
  /** Posts the `IVS Stage Update` for a participant that started or stopped publishing; never waits, never throws. */
  publishChanged(stageArn: string, sessionId: string, participant: WireParticipant, publishing: boolean): void;
  /** Abandons posts in flight and their retries. */
  close(): void;
}

/** The gateway's default EVENTS_API_KEY_HEADER. */
const defaultHeader = 'x-events-api-key';
/** Attempts per event, the first included; EventBridge retries far longer, a demo need not. */
const maxAttempts = 4;
const firstRetryDelayMs = 200;
/** EventBridge gives an API destination 5 s to answer. */
const attemptTimeoutMs = 5000;

/** The EventBridge event IVS sends when a participant starts or stops publishing. */
export function stageUpdateEvent(
  stageArn: string,
  sessionId: string,
  participant: WireParticipant,
  publishing: boolean,
  now: Date,
  id: string = randomUUID(),
) {
  const [, , , region, account] = stageArn.split(':');
  return {
    version: '0',
    id,
    'detail-type': 'IVS Stage Update',
    source: 'aws.ivs',
    account,
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [stageArn],
    detail: {
      session_id: sessionId,
      event_name: publishing ? 'Participant Published' : 'Participant Unpublished',
      user_id: participant.userId ?? '',
      participant_id: participant.participantId,
      event_time: now.toISOString(),
    },
  };
}

/**
 * Sends events one per POST with the API-key header, as an API destination does: 5xx, 429 and network
 * failures are retried with doubling delays (the same event id each time), anything else is final.
 */
export function createEventDelivery(initial: EventDeliveryTarget | null = null): EventDelivery {
  let target = initial;
  let enabled = initial !== null;
  let delivered = 0;
  let failed = 0;
  const closing = new AbortController();

  const state = (): EventDeliveryState => ({
    enabled,
    url: target?.url ?? null,
    header: target?.header ?? null,
    delivered,
    failed,
  });

  const send = async (to: EventDeliveryTarget, body: string): Promise<void> => {
    for (let attempt = 1; attempt <= maxAttempts && !closing.signal.aborted; attempt++) {
      const outcome = await postOnce(to, body, closing.signal);
      if (outcome === 'delivered') return void delivered++;
      if (outcome === 'final') break;
      if (attempt < maxAttempts) {
        const delayMs = firstRetryDelayMs * 2 ** (attempt - 1);
        await pause(delayMs, undefined, { signal: closing.signal }).catch(() => undefined);
      }
    }
    if (!closing.signal.aborted) failed++;
  };

  return {
    configure(change) {
      const next = { ...target, ...withoutUndefined(change) };
      if (change.enabled && (next.url === undefined || next.apiKey === undefined)) {
        throw new RangeError('Event delivery needs a url and an apiKey before it can be enabled');
      }
      if (next.url !== undefined && next.apiKey !== undefined) {
        target = { url: next.url, apiKey: next.apiKey, header: (next.header ?? defaultHeader).toLowerCase() };
      }
      enabled = change.enabled;
      return state();
    },
    state,
    publishChanged(stageArn, sessionId, participant, publishing) {
      if (!enabled || target === null) return;
      void send(target, JSON.stringify(stageUpdateEvent(stageArn, sessionId, participant, publishing, new Date())));
    },
    close: () => closing.abort(),
  };
}

/** One POST; like an API destination, only 429, 5xx and failures to get an answer are worth another try. */
async function postOnce(
  to: EventDeliveryTarget,
  body: string,
  closing: AbortSignal,
): Promise<'delivered' | 'retry' | 'final'> {
  try {
    const response = await fetch(to.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', [to.header]: to.apiKey },
      body,
      signal: AbortSignal.any([closing, AbortSignal.timeout(attemptTimeoutMs)]),
    });
    await response.body?.cancel();
    if (response.ok) return 'delivered';
    return response.status === 429 || response.status >= 500 ? 'retry' : 'final';
  } catch {
    return 'retry';
  }
}

function withoutUndefined(change: EventDeliveryChange): Partial<EventDeliveryTarget> {
  return Object.fromEntries(
    Object.entries(change).filter(([name, value]) => name !== 'enabled' && value !== undefined),
  );
}
