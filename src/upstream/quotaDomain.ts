/** The IVS Real-Time read operations the gateway calls; AWS gives each its own 5 TPS quota per account and region. */
export const ivsReadOperations = [
  'GetParticipant',
  'GetStage',
  'GetStageSession',
  'ListStageSessions',
  'ListParticipants',
  'ListParticipantEvents',
] as const;
export type IvsReadOperation = (typeof ivsReadOperations)[number];

/** The IVS Real-Time write operations; their quotas are their own (50 and 5 TPS per account and region). */
export const ivsWriteOperations = ['CreateParticipantToken', 'DisconnectParticipant'] as const;
export type IvsWriteOperation = (typeof ivsWriteOperations)[number];

/** Every IVS operation the gateway calls, each a quota domain of its own per account and region. */
export const ivsOperations = [...ivsReadOperations, ...ivsWriteOperations] as const;
export type IvsOperation = IvsReadOperation | IvsWriteOperation;

/** AWS's rate for the writes; the reads default to UPSTREAM_QUOTA_TPS. */
export const writeQuotaTps: Readonly<Record<IvsWriteOperation, number>> = {
  CreateParticipantToken: 50,
  DisconnectParticipant: 5,
};

/**
 * The unit a quota protects: one IVS operation in one AWS account and region. Taken from the
 * gateway's own configuration, never from a caller's ARN (a foreign ARN is refused before this).
 */
export interface QuotaDomain {
  /** The gateway's AWS account ID, or `default` when it is not configured. */
  readonly account: string;
  readonly region: string;
  readonly operation: IvsOperation;
}

/** `account:region:operation`, for shared-store keys and logs. */
export function quotaDomainText({ account, region, operation }: QuotaDomain): string {
  return `${account}:${region}:${operation}`;
}
