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

/**
 * The unit a quota protects: one IVS operation in one AWS account and region. Taken from the
 * gateway's own configuration, never from a caller's ARN (a foreign ARN is refused before this).
 */
export interface QuotaDomain {
  /** The gateway's AWS account ID, or `default` when it is not configured. */
  readonly account: string;
  readonly region: string;
  readonly operation: IvsReadOperation;
}

/** `account:region:operation`, for shared-store keys and logs. */
export function quotaDomainText({ account, region, operation }: QuotaDomain): string {
  return `${account}:${region}:${operation}`;
}
