import type { Capability } from '../../auth/principal.js';

/** What CreateParticipantToken is asked, validated and authorized (src/tokens/writeRequests.ts). */
export interface MintRequest {
  readonly stageArn: string;
  readonly userId: string | undefined;
  readonly attributes: Readonly<Record<string, string>>;
  readonly capabilities: readonly Capability[];
  readonly durationMinutes: number;
}

/** A participant token, however it was made. `token` is a credential: never log it or keep it. */
export interface MintedToken {
  readonly token: string;
  readonly participantId: string;
  readonly userId: string | undefined;
  readonly attributes: Readonly<Record<string, string>>;
  readonly capabilities: readonly Capability[];
  readonly expirationTime: Date;
}

/** What DisconnectParticipant is asked. */
export interface DisconnectRequest {
  readonly stageArn: string;
  readonly participantId: string;
  readonly reason: string | undefined;
}
