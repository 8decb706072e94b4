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
