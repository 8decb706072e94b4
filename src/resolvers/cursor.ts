import { createHash } from 'node:crypto';
import { ErrorCode, LookupError } from '../errors.js';

/**
 * A position in a connection: the IVS `nextToken` of the page it falls in (absent for the first page) and how
 * many items of that page come before it. Clients only ever see it wrapped in a cursor.
 */
export interface CursorPosition {
  readonly nextToken?: string | undefined;
  readonly skip: number;
}

// The check binds a cursor to its connection and detects edits; it is not a secret (IVS validates the token).
const check = (connection: string, token: string, skip: number): string =>
  createHash('sha256')
    .update(JSON.stringify([connection, token, skip]))
    .digest('base64url')
    .slice(0, 22);

/** The opaque cursor of a position in `connection` (a text naming the list: operation, keys, filter). */
export function encodeCursor(connection: string, position: CursorPosition): string {
  const token = position.nextToken ?? '';
  const body = JSON.stringify([token, position.skip, check(connection, token, position.skip)]);
  return Buffer.from(body).toString('base64url');
}

/** The position an `after` cursor names, or BAD_USER_INPUT when it was not issued for this connection or was altered. */
export function decodeCursor(connection: string, cursor: string): CursorPosition {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parts = undefined;
  }
  if (Array.isArray(parts) && parts.length === 3) {
    const [token, skip, mac] = parts as unknown[];
    if (
      typeof token === 'string' &&
      typeof skip === 'number' &&
      Number.isInteger(skip) &&
      skip >= 0 &&
      skip <= 100 &&
      mac === check(connection, token, skip)
    ) {
      return { nextToken: token === '' ? undefined : token, skip };
    }
  }
  throw new LookupError(
    ErrorCode.BAD_USER_INPUT,
    'Not a cursor of this connection: pass an endCursor or edge cursor it returned',
  );
}
