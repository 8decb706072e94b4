import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, LookupError } from '../errors.js';
import { listConstraints } from '../ivs/constraints.js';
import type { Logger } from '../logger.js';

/**
 * A position in a connection: the IVS `nextToken` of the page it falls in (absent for the first page) and how
 * many items of that page come before it. Clients only ever see it wrapped in a cursor.
 */
export interface CursorPosition {
  readonly nextToken?: string | undefined;
  readonly skip: number;
}

/** Turns positions into opaque cursors and back; every replica sharing the secret accepts the others' cursors. */
export interface CursorCodec {
  /** The cursor of a position in `connection` (a text naming the list: operation, keys, filter). */
  encode(connection: string, position: CursorPosition): string;
  /** The position an `after` cursor names, or BAD_USER_INPUT when this gateway did not issue it for `connection`. */
  decode(connection: string, cursor: string): CursorPosition;
}

// The longest cursor the codec writes (a 1024-character token, a skip of one page, the MAC) fits with room to
// spare; a longer one is refused before it is even decoded.
const maxCursorLength = 2048;
const maxSkip = listConstraints.maxResults.max;
const nextTokenPattern = new RegExp(listConstraints.nextToken.pattern);

/**
 * Cursors signed with HMAC-SHA256 under `secret`, so a client can neither forge one nor edit the token or skip
 * inside it; the wrapped token is also checked against IVS's nextToken constraints before it is ever sent.
 */
export function createCursorCodec(secret: string): CursorCodec {
  const mac = (connection: string, token: string, skip: number): Buffer =>
    createHmac('sha256', secret)
      .update(JSON.stringify([connection, token, skip]))
      .digest();
  return {
    encode(connection, position) {
      const token = position.nextToken ?? '';
      const signature = mac(connection, token, position.skip).toString('base64url');
      return Buffer.from(JSON.stringify([token, position.skip, signature])).toString('base64url');
    },
    decode(connection, cursor) {
      const parts = cursor.length <= maxCursorLength ? parseCursor(cursor) : undefined;
      if (parts !== undefined) {
        const [token, skip, signature] = parts;
        const expected = mac(connection, token, skip);
        const given = Buffer.from(signature, 'base64url');
        if (given.length === expected.length && timingSafeEqual(given, expected) && isIvsNextToken(token)) {
          return { nextToken: token === '' ? undefined : token, skip };
        }
      }
      throw new LookupError(
        ErrorCode.BAD_USER_INPUT,
        'Not a cursor of this connection: pass an endCursor or edge cursor it returned',
      );
    },
  };
}

/**
 * The codec for GRAPHQL_CURSOR_SECRET; without one, a random secret of this process: its cursors work on no other
 * replica and not after a restart, which the log says once at start.
 */
export function cursorCodecFor(secret: string | null, logger: Logger): CursorCodec {
  if (secret !== null) return createCursorCodec(secret);
  logger.info('GRAPHQL_CURSOR_SECRET is not set: cursors are signed with a random secret of this process');
  return createCursorCodec(randomBytes(32).toString('base64url'));
}

function parseCursor(cursor: string): [token: string, skip: number, signature: string] | undefined {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parts) || parts.length !== 3) return undefined;
  const [token, skip, signature] = parts as unknown[];
  if (typeof token !== 'string' || typeof signature !== 'string') return undefined;
  if (typeof skip !== 'number' || !Number.isInteger(skip) || skip < 0 || skip > maxSkip) return undefined;
  return [token, skip, signature];
}

// '' stands for the first page; any other token must be one IVS could have issued.
function isIvsNextToken(token: string): boolean {
  return token.length <= listConstraints.nextToken.max && nextTokenPattern.test(token);
}
