import type { IvsOperation } from '../../ivs/operations/index.js';

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
