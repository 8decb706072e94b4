import { createHash } from 'node:crypto';

/**
 * The emulator's nextToken: the offset of the next item, bound to the listing it came from (operation,
 * stage, session, filter), so a token replayed against another listing is refused as IVS refuses a bad one.
 */
export interface PageTokens {
  issue(offset: number): string;
  /** The offset a token names, or undefined when it is not one of this listing's tokens. */
  read(token: string): number | undefined;
}

export function pageTokensFor(listing: Readonly<Record<string, unknown>>): PageTokens {
  const scope = createHash('sha256').update(JSON.stringify(listing)).digest('base64url').slice(0, 16);
  return {
    issue: (offset) => Buffer.from(`${scope}.${offset}`).toString('base64url'),
    read(token) {
      const [tokenScope, offset] = Buffer.from(token, 'base64url').toString('utf8').split('.');
      const value = Number(offset);
      return tokenScope === scope && offset !== undefined && /^\d+$/.test(offset) ? value : undefined;
    },
  };
}

/** One page of `items` from `nextToken` on, with the token of the next page if there is one. */
export function pageOf<T>(
  items: readonly T[],
  input: { readonly nextToken?: string | undefined; readonly maxResults?: number | undefined },
  tokens: PageTokens,
): { readonly ok: true; readonly page: T[]; readonly nextToken?: string } | { readonly ok: false } {
  const start = input.nextToken === undefined || input.nextToken === '' ? 0 : tokens.read(input.nextToken);
  if (start === undefined || start > items.length) return { ok: false };
  const end = start + (input.maxResults ?? 50);
  const page = items.slice(start, end);
  return end < items.length ? { ok: true, page, nextToken: tokens.issue(end) } : { ok: true, page };
}
