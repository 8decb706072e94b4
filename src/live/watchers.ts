import type { ParticipantSummary } from '@aws-sdk/client-ivs-realtime';
import type { Config } from '../config.js';
import { ErrorCode } from '../errors.js';
import { GatewayError, refusalText } from '../graphql/errors.js';
import { listConstraints } from '../ivs/constraints.js';
import type { Logger } from '../logger.js';
import {
  participantKeyText,
  type ParticipantKey,
  type ParticipantModel,
  type RosterFilter,
  type RosterParticipantModel,
} from '../model.js';
import type { CacheMode, Caller } from '../upstream/caller.js';
import type { UpstreamReads } from '../upstream/index.js';
import type { IvsReadOperation } from '../ivs/operations/index.js';
import { createFeed, type Feed } from './feed.js';
import { liveKeyText, operationOf, type LiveKey, type LiveOperation, type RosterWatchKey } from './liveKey.js';
import { createPacer, refreshIntervalMs } from './pacing.js';
import { rosterDiff, rosterReset, sameAnswer, type RosterUpdateModel } from './rosterDiff.js';
import type { StageEvent, StageEventSink } from './stageEvent.js';
import type { WatchChannel } from './watchChannel.js';

/** Who asks for refreshes at the limiter: a caller of its own, so queries keep their fair turns. */
const liveCaller: Caller = { id: 'live', label: 'live', weight: 1, mayRevalidate: true };

// A roster of more pages than this is watched by its first pages only (full pages of IVS's largest size).
const maxRosterPages = 10;

/** What subscriptions read: the current state first, then each change. */
export interface LiveFeeds {
  participant(key: ParticipantKey, callerId: string): Promise<AsyncIterableIterator<ParticipantModel>>;
  roster(key: RosterWatchKey, callerId: string): Promise<AsyncIterableIterator<RosterUpdateModel>>;
}

export interface LiveWatchers extends LiveFeeds {
  /** Checked IVS stage events (src/live/stageEvent.ts): patch, push at once, then a paced revalidation. */
  readonly stageEvents: StageEventSink;
  /** A participant was disconnected (by the gateway's own mutation): refresh it and its rosters now. */
  participantDisconnected(key: ParticipantKey): void;
  /** The upstream reads for queries: an answer one of them fetched from IVS counts as a refresh. */
  readonly reads: UpstreamReads;
  /** The current refresh interval of an operation's watched keys, in ms. */
  intervalMs(operation: LiveOperation): number;
  /** Open subscriptions of this process. */
  subscriptions(): number;
  /** Ends every subscription's feed (the transports then end their streams); for the drain. */
  endFeeds(): void;
  close(): Promise<void>;
}

export interface LiveWatchersOptions {
  /** The process's upstream layer (limiter, cache, flight): refreshes go through it like queries. */
  readonly reads: UpstreamReads;
  readonly channel: WatchChannel;
  readonly settings: Config['live'];
  readonly quotaTpsByOperation: Readonly<Record<IvsReadOperation, number>>;
  readonly logger: Logger;
  /** Drops the cached answers for a participant fleet-wide (called for a publish event). */
  readonly invalidate?: (key: ParticipantKey) => Promise<void>;
}

type Answer = ParticipantModel | RosterParticipantModel[];

interface Watch {
  readonly text: string;
  readonly live: LiveKey;
  answer: Answer | undefined;
  /** When IVS gave the answer held (or the event that patched it happened), ms since the epoch. */
  answeredAt: number;
  lastRefreshAt: number;
  /** The next roster update must be a reset: updates may have been missed. */
  missed: boolean;
  first: Promise<void> | undefined;
  readonly feeds: Set<Feed<ParticipantModel> | Feed<RosterUpdateModel>>;
}

/** The fleet message for one answer. */
interface AnswerMessage {
  readonly answer: Answer;
  readonly answeredAt: number;
}

/**
 * One watcher per distinct key in this process, whatever the number of its subscribers; the fleet's
 * channel makes it one refresher per key fleet-wide. Refreshes are paced per operation (src/live/pacing.ts).
 */
export function createLiveWatchers(options: LiveWatchersOptions): LiveWatchers {
  const { reads, channel, settings, logger } = options;
  const watches = new Map<string, Watch>();
  let open = 0;
  const openByCaller = new Map<string, number>();

  const intervalMs = (operation: LiveOperation): number =>
    refreshIntervalMs({
      watchedKeys: channel.watchedKeys(operation),
      share: settings.quotaShare,
      tps: options.quotaTpsByOperation[operation],
      minIntervalMs: settings.minIntervalMs,
    });

  // --- answers -------------------------------------------------------------------------------------
  const readParticipant = async (key: ParticipantKey, cacheMode: CacheMode) => {
    const outcome = await reads.GetParticipant.lookup(key, { caller: liveCaller, cacheMode });
    if (!outcome.ok) throw outcome.error;
    return { answer: plain(outcome.value), calls: outcome.report.upstreamCalls };
  };

  const readRoster = async (key: RosterWatchKey, cacheMode: CacheMode) => {
    const items: RosterParticipantModel[] = [];
    let calls = 0;
    let nextToken: string | undefined;
    for (let page = 0; page < maxRosterPages; page += 1) {
      const outcome = await reads.ListParticipants.lookup(
        {
          stageArn: key.stageArn,
          sessionId: key.sessionId,
          filter: key.filter,
          maxResults: listConstraints.maxResults.max,
          nextToken,
        },
        { caller: liveCaller, cacheMode },
      );
      calls += outcome.report.upstreamCalls;
      if (!outcome.ok) throw Object.assign(outcome.error, { calls });
      items.push(...outcome.value.items.map((summary) => rosterParticipant(key, summary)));
      nextToken = outcome.value.nextToken;
      if (nextToken === undefined) break;
    }
    return { answer: items, calls };
  };

  const read = (watch: Watch, cacheMode: CacheMode) =>
    watch.live.kind === 'participant'
      ? readParticipant(watch.live.key, cacheMode)
      : readRoster(watch.live.key, cacheMode);

  /** Takes a newer answer: pushes what changed to this replica's subscribers of the key. */
  const apply = (watch: Watch, answer: Answer, answeredAt: number): void => {
    if (answeredAt < watch.answeredAt) return;
    const before = watch.answer;
    watch.answer = answer;
    watch.answeredAt = answeredAt;
    watch.lastRefreshAt = Math.max(watch.lastRefreshAt, answeredAt);
    if (before === undefined) return;
    if (watch.live.kind === 'participant') {
      if (sameAnswer(before, answer)) return;
      for (const feed of watch.feeds) (feed as Feed<ParticipantModel>).push(answer as ParticipantModel);
      return;
    }
    const roster = answer as RosterParticipantModel[];
    const update = watch.missed ? rosterReset(roster) : rosterDiff(before as RosterParticipantModel[], roster);
    watch.missed = false;
    if (update === undefined) return;
    for (const feed of watch.feeds) (feed as Feed<RosterUpdateModel>).push(update);
  };

  /** Applies here and tells the other replicas watching the key. */
  const settle = (watch: Watch, answer: Answer, answeredAt: number): void => {
    apply(watch, answer, answeredAt);
    const message: AnswerMessage = { answer, answeredAt };
    channel.publish(watch.text, JSON.stringify(message));
  };

  const refresh = async (watch: Watch): Promise<number> => {
    if (!channel.holds(watch.text) || !watches.has(watch.text)) return 0;
    watch.lastRefreshAt = Date.now();
    const startedAt = Date.now();
    try {
      const { answer, calls } = await read(watch, 'refresh');
      if (watches.get(watch.text) === watch) settle(watch, answer, startedAt);
      return calls;
    } catch (error) {
      // The next turn tries again; subscribers keep the last answer meanwhile.
      logger.debug({ err: error, key: watch.text }, 'live refresh failed');
      return (error as { calls?: number }).calls ?? 1;
    }
  };

  // One reset object per roster answer, so identical subscriptions that start together share its execution.
  const resets = new WeakMap<object, RosterUpdateModel>();
  const resetOf = (roster: RosterParticipantModel[]): RosterUpdateModel => {
    let reset = resets.get(roster);
    if (reset === undefined) resets.set(roster, (reset = rosterReset(roster)));
    return reset;
  };

  const pacers = new Map(
    (['GetParticipant', 'ListParticipants'] as const).map((operation) => [
      operation,
      createPacer({
        intervalMs: () => intervalMs(operation),
        held: () =>
          [...watches.values()].filter(
            (watch) => operationOf(watch.live) === operation && watch.answer !== undefined && channel.holds(watch.text),
          ),
        refresh,
      }),
    ]),
  );

  // --- watching ------------------------------------------------------------------------------------
  const watchOf = (live: LiveKey): Watch => {
    const text = liveKeyText(live);
    let watch = watches.get(text);
    if (watch !== undefined) return watch;
    const created: Watch = {
      text,
      live,
      answer: undefined,
      answeredAt: 0,
      lastRefreshAt: 0,
      missed: false,
      first: undefined,
      feeds: new Set(),
    };
    watch = created;
    watches.set(text, created);
    channel.join(text, operationOf(live), (raw) => {
      const message = parseAnswer(raw);
      if (message !== undefined && watches.get(text) === created) apply(created, message.answer, message.answeredAt);
    });
    return created;
  };

  const unwatchIfIdle = (watch: Watch): void => {
    if (watch.feeds.size > 0 || watches.get(watch.text) !== watch) return;
    watches.delete(watch.text);
    channel.leave(watch.text);
  };

  const firstAnswer = async (watch: Watch): Promise<void> => {
    if (watch.answer !== undefined) return;
    watch.first ??= (async () => {
      const startedAt = Date.now();
      const { answer } = await read(watch, 'use');
      if (watch.answer === undefined) settle(watch, answer, startedAt);
    })().finally(() => (watch.first = undefined));
    await watch.first;
  };

  const admit = (callerId: string): (() => void) => {
    if (open >= settings.maxSubscriptions) {
      throw tooMany(refusalText.TOO_MANY_SUBSCRIPTIONS.process, 'process');
    }
    const mine = openByCaller.get(callerId) ?? 0;
    if (mine >= settings.maxSubscriptionsPerCaller) {
      throw tooMany(refusalText.TOO_MANY_SUBSCRIPTIONS.caller(settings.maxSubscriptionsPerCaller), 'caller');
    }
    open += 1;
    openByCaller.set(callerId, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      open -= 1;
      const left = (openByCaller.get(callerId) ?? 1) - 1;
      if (left === 0) openByCaller.delete(callerId);
      else openByCaller.set(callerId, left);
    };
  };

  const subscribe = async <T>(
    live: LiveKey,
    callerId: string,
    initial: (answer: Answer) => T,
    catchUp: (watch: Watch) => T,
  ) => {
    const release = admit(callerId);
    const watch = watchOf(live);
    try {
      await firstAnswer(watch);
    } catch (error) {
      release();
      unwatchIfIdle(watch);
      throw error;
    }
    const feed: Feed<T> = createFeed<T>({
      maxPending: settings.maxPendingUpdates,
      catchUp: () => catchUp(watch),
      onClose: () => {
        watch.feeds.delete(feed as never);
        release();
        unwatchIfIdle(watch);
      },
    });
    watch.feeds.add(feed as never);
    feed.push(initial(watch.answer as Answer));
    // Held keys are those with an answer: the pacer may have gone to sleep before this one had one.
    pacers.get(operationOf(live))?.wake();
    return feed.iterator;
  };

  // --- events --------------------------------------------------------------------------------------
  const applyEvent = (event: StageEvent): void => {
    if (event.published === undefined) return;
    const at = event.time.getTime();
    const participantText = liveKeyText({ kind: 'participant', key: event });
    const watch = watches.get(participantText);
    if (watch?.answer !== undefined && at >= watch.answeredAt) {
      const participant = watch.answer as ParticipantModel;
      if (participant.published !== event.published) apply(watch, { ...participant, published: event.published }, at);
      // Revalidated at the pacer's next turn: the event is best effort, IVS's answer is the truth.
      watch.lastRefreshAt = 0;
    }
    for (const roster of watches.values()) {
      if (roster.live.kind !== 'roster' || roster.answer === undefined || at < roster.answeredAt) continue;
      const { stageArn, sessionId, filter } = roster.live.key;
      if (stageArn !== event.stageArn || sessionId !== event.sessionId) continue;
      const participants = roster.answer as RosterParticipantModel[];
      if (!participants.some((participant) => participant.participantId === event.participantId)) continue;
      const patched = participants
        .map((participant) =>
          participant.participantId === event.participantId
            ? { ...participant, published: event.published }
            : participant,
        )
        .filter((participant) => matches(filter, participant));
      apply(roster, patched, at);
      roster.lastRefreshAt = 0;
    }
  };

  channel.onEvent((raw) => {
    const event = parseEvent(raw);
    if (event !== undefined) applyEvent(event);
  });
  channel.onMissed(() => {
    for (const watch of watches.values()) watch.missed = watch.live.kind === 'roster';
  });

  const offered = (live: LiveKey, answer: Answer, answeredAt: number): void => {
    const watch = watches.get(liveKeyText(live));
    if (watch?.answer !== undefined) settle(watch, answer, answeredAt);
  };

  // Queries' reads: an answer fetched from IVS for a watched key is a refresh the watcher need not make.
  const queryReads: UpstreamReads = {
    ...reads,
    GetParticipant: {
      async lookup(key, request) {
        const startedAt = Date.now();
        const outcome = await reads.GetParticipant.lookup(key, request);
        if (outcome.ok && outcome.report.served === 'upstream') {
          offered({ kind: 'participant', key }, plain(outcome.value), startedAt);
        }
        return outcome;
      },
    },
    ListParticipants: {
      async lookup(key, request) {
        const startedAt = Date.now();
        const outcome = await reads.ListParticipants.lookup(key, request);
        // Only a whole roster in one page says who is not in it.
        const whole = key.nextToken === undefined && outcome.ok && outcome.value.nextToken === undefined;
        if (outcome.ok && whole && outcome.report.served === 'upstream') {
          const rosterKey: RosterWatchKey = { stageArn: key.stageArn, sessionId: key.sessionId, filter: key.filter };
          offered(
            { kind: 'roster', key: rosterKey },
            outcome.value.items.map((summary) => rosterParticipant(rosterKey, summary)),
            startedAt,
          );
        }
        return outcome;
      },
    },
  };

  return {
    participant: (key, callerId) =>
      subscribe<ParticipantModel>(
        { kind: 'participant', key },
        callerId,
        (answer) => answer as ParticipantModel,
        (watch) => watch.answer as ParticipantModel,
      ),
    roster: (key, callerId) =>
      subscribe<RosterUpdateModel>(
        { kind: 'roster', key },
        callerId,
        (answer) => resetOf(answer as RosterParticipantModel[]),
        (watch) => resetOf(watch.answer as RosterParticipantModel[]),
      ),
    stageEvents(event) {
      if (event.published !== undefined && options.invalidate) {
        options
          .invalidate(event)
          .catch((error: unknown) =>
            logger.warn({ err: error, participant: participantKeyText(event) }, 'cache invalidation failed'),
          );
      }
      channel.publishEvent(JSON.stringify(event));
    },
    participantDisconnected(key) {
      for (const watch of watches.values()) {
        const { stageArn, sessionId } = watch.live.key;
        const concerned =
          watch.live.kind === 'participant'
            ? participantKeyText(watch.live.key) === participantKeyText(key)
            : stageArn === key.stageArn && sessionId === key.sessionId;
        if (concerned && watch.answer !== undefined) void refresh(watch);
      }
    },
    reads: queryReads,
    intervalMs,
    subscriptions: () => open,
    endFeeds() {
      for (const watch of [...watches.values()]) for (const feed of [...watch.feeds]) feed.close();
    },
    async close() {
      for (const pacer of pacers.values()) pacer.close();
      this.endFeeds();
      await channel.close();
    },
  };
}

function tooMany(message: string, limit: 'caller' | 'process'): GatewayError {
  return new GatewayError(ErrorCode.TOO_MANY_SUBSCRIPTIONS, message, { limit });
}

function rosterParticipant(key: RosterWatchKey, summary: ParticipantSummary): RosterParticipantModel {
  return plain({
    ...summary,
    stageArn: key.stageArn,
    sessionId: key.sessionId,
    participantId: summary.participantId ?? '',
    fromRoster: true as const,
  });
}

function matches(filter: RosterFilter | undefined, participant: RosterParticipantModel): boolean {
  return filter?.by !== 'published' || participant.published === filter.published;
}

// Answers travel as JSON between replicas: every replica holds them in the shape JSON gives back,
// dates revived, so that an answer compares equal to itself whichever replica fetched it.
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), reviveDates) as T;
}

function reviveDates(key: string, value: unknown): unknown {
  return key === 'firstJoinTime' && typeof value === 'string' ? new Date(value) : value;
}

// Anyone with access to the Redis can publish on the channel: a message of another shape is ignored.
function parseAnswer(raw: string): AnswerMessage | undefined {
  try {
    const message = JSON.parse(raw, reviveDates) as Partial<AnswerMessage> | null;
    if (typeof message?.answeredAt !== 'number' || typeof message.answer !== 'object' || message.answer === null) {
      return undefined;
    }
    return message as AnswerMessage;
  } catch {
    return undefined;
  }
}

function parseEvent(raw: string): StageEvent | undefined {
  try {
    const event = JSON.parse(raw) as Record<string, unknown> | null;
    const time = new Date(String(event?.['time']));
    const fields = ['stageArn', 'sessionId', 'participantId', 'id', 'name'];
    if (event === null || Number.isNaN(time.getTime()) || !fields.every((f) => typeof event[f] === 'string')) {
      return undefined;
    }
    return { ...(event as unknown as StageEvent), time };
  } catch {
    return undefined;
  }
}
