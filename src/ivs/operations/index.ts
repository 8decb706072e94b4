import type { IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';
import type { z } from 'zod';
import type { Logger } from '../../logger.js';
import { CreateParticipantToken } from './createParticipantToken.js';
import { DisconnectParticipant } from './disconnectParticipant.js';
import { GetParticipant } from './getParticipant.js';
import { GetStage } from './getStage.js';
import { GetStageSession } from './getStageSession.js';
import { ListParticipantEvents } from './listParticipantEvents.js';
import { ListParticipants } from './listParticipants.js';
import { ListStageSessions } from './listStageSessions.js';
import type { IvsCall, ReadOperation, WriteOperation } from './operation.js';

// Each entry's key must be its descriptor's name: the key is what config, metrics and logs call it.
const byName = <T extends { readonly [N in keyof T]: { readonly name: N } }>(operations: T): T => operations;

/**
 * The IVS Real-Time read operations the gateway calls (AWS gives each its own 5 TPS quota per account and
 * region). Adding one means its descriptor here, its resolver and its tests; the rest is derived.
 */
export const readOperations = byName({
  GetParticipant,
  GetStage,
  GetStageSession,
  ListStageSessions,
  ListParticipants,
  ListParticipantEvents,
});

/** The IVS Real-Time write operations; their quotas are their own. */
export const writeOperations = byName({ CreateParticipantToken, DisconnectParticipant });

export type IvsReadOperation = keyof typeof readOperations;
export type IvsWriteOperation = keyof typeof writeOperations;
/** Every IVS operation the gateway calls, each a quota domain of its own per account and region. */
export type IvsOperation = IvsReadOperation | IvsWriteOperation;

/** What each IVS read operation is asked (`key`) and answers (`value`). */
export type IvsReadTypes = {
  [O in IvsReadOperation]: {
    key: Parameters<(typeof readOperations)[O]['keyText']>[0];
    value: z.output<(typeof readOperations)[O]['valueSchema']>;
  };
};

/** What each IVS write operation is asked (`input`) and answers (`value`). */
export type IvsWriteTypes = {
  [O in IvsWriteOperation]: {
    input: Parameters<(typeof writeOperations)[O]['stageArnOf']>[0];
    value: Awaited<ReturnType<ReturnType<(typeof writeOperations)[O]['call']>>>;
  };
};

export const ivsReadOperations = Object.keys(readOperations) as readonly IvsReadOperation[];
export const ivsWriteOperations = Object.keys(writeOperations) as readonly IvsWriteOperation[];
export const ivsOperations: readonly IvsOperation[] = [...ivsReadOperations, ...ivsWriteOperations];

/** One read operation's descriptor with its own key and value types. */
export function readOperation<O extends IvsReadOperation>(
  operation: O,
): ReadOperation<IvsReadTypes[O]['key'], IvsReadTypes[O]['value']> {
  // The cast only names the types the entry was checked against (`satisfies ReadOperation` in its file).
  return readOperations[operation] as unknown as ReadOperation<IvsReadTypes[O]['key'], IvsReadTypes[O]['value']>;
}

/** One write operation's descriptor with its own input and value types. */
export function writeOperation<O extends IvsWriteOperation>(
  operation: O,
): WriteOperation<IvsWriteTypes[O]['input'], IvsWriteTypes[O]['value']> {
  return writeOperations[operation] as unknown as WriteOperation<IvsWriteTypes[O]['input'], IvsWriteTypes[O]['value']>;
}

/**
 * A record with one entry per read operation, `build(operation)` each; `build` must return `R[O]` for
 * operation O. TypeScript cannot check that for a generic O, so the record is cast once, here.
 */
export function perReadOperation<R extends { readonly [O in IvsReadOperation]: unknown }>(
  build: <O extends IvsReadOperation>(operation: O) => unknown,
): R {
  return Object.fromEntries(ivsReadOperations.map((operation) => [operation, build(operation)])) as R;
}

/** A record with one entry per write operation, `build(operation)` each; the same contract as `perReadOperation`. */
export function perWriteOperation<R extends { readonly [O in IvsWriteOperation]: unknown }>(
  build: <O extends IvsWriteOperation>(operation: O) => unknown,
): R {
  return Object.fromEntries(ivsWriteOperations.map((operation) => [operation, build(operation)])) as R;
}

/** AWS's rate for the writes; the reads default to UPSTREAM_QUOTA_TPS. */
export const writeQuotaTps = perWriteOperation<Readonly<Record<IvsWriteOperation, number>>>(
  (operation) => writeOperations[operation].quotaTps,
);

/** One IVS call per read operation; each rejects only with LookupError. */
export type IvsSources = {
  [O in IvsReadOperation]: IvsCall<IvsReadTypes[O]['key'], IvsReadTypes[O]['value']>;
};

/** One IVS call per write operation; each rejects only with LookupError. */
export type IvsWriteSources = {
  [O in IvsWriteOperation]: IvsCall<IvsWriteTypes[O]['input'], IvsWriteTypes[O]['value']>;
};

/** Every operation's SDK call over one region's client. */
export function createIvsSources(client: IVSRealTimeClient, logger: Logger): IvsSources & IvsWriteSources {
  return {
    ...perReadOperation<IvsSources>((operation) => readOperation(operation).call(client, logger)),
    ...perWriteOperation<IvsWriteSources>((operation) => writeOperation(operation).call(client, logger)),
  };
}
