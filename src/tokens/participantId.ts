import { randomInt } from 'node:crypto';

const alphanumeric = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 12 random letters and digits (about 71 bits): the form of IVS's own participant IDs, e.g. `Mx6clRRHODPy`. */
export function newParticipantId(): string {
  return Array.from({ length: 12 }, () => alphanumeric[randomInt(alphanumeric.length)]).join('');
}
