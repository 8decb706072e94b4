/** The IVS read operations the gateway calls; each has its own quota per account and region. */
export type IvsReadOperation =
  | 'GetParticipant'
  | 'GetStage'
  | 'GetStageSession'
  | 'ListStageSessions'
  | 'ListParticipants'
  | 'ListParticipantEvents';

/** Which budget a call spends: IVS quotas are per AWS account, region and operation. */
export interface QuotaDomain {
  readonly account: string;
  readonly region: string;
  readonly operation: IvsReadOperation;
}

/** `account:region:operation`, the domain's name in keys and logs. */
export function quotaDomainText(domain: QuotaDomain): string {
  return `${domain.account}:${domain.region}:${domain.operation}`;
}
