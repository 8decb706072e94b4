import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * A check of a presented secret against the configured one in constant time: both are hashed first,
 * which gives timingSafeEqual the equal lengths it requires and hides the secret's length.
 */
export function createSharedSecretCheck(secret: string): (presented: string | undefined) => boolean {
  const expected = digest(secret);
  return (presented) => presented !== undefined && timingSafeEqual(digest(presented), expected);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
