import { listConstraints } from '../ivs/constraints.js';
import type { PageModel, PageRequest } from '../model.js';
import { validatePageSize } from '../validation.js';
import type { CursorCodec, CursorPosition } from './cursor.js';

/** A Relay connection as the schema's `...Connection` types have it. */
export interface Connection<N> {
  edges: { cursor: string; node: N }[];
  nodes: N[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface ConnectionRequest<T, N> {
  /** Names the list (operation, keys, filter): a cursor is only accepted by the list that issued it. */
  readonly connection: string;
  /** The gateway's cursor codec (GatewayContext.cursors). */
  readonly cursors: CursorCodec;
  readonly first: number;
  readonly after: string | null | undefined;
  /** Reads one IVS page; called once, after `first` and `after` passed validation. */
  readonly load: (page: PageRequest) => Promise<PageModel<T>>;
  readonly node: (item: T) => N;
}

/**
 * One page of a connection over an IVS list operation. A cursor wraps IVS's nextToken of the page its item
 * fell in plus how many items of that page precede it; the last item of a page that has a successor
 * carries the successor's token instead, so `endCursor` resumes with no overlap and no extra call.
 */
export async function loadConnection<T, N>(request: ConnectionRequest<T, N>): Promise<Connection<N>> {
  const size = validatePageSize(request.first);
  const from: CursorPosition = request.after ? request.cursors.decode(request.connection, request.after) : { skip: 0 };
  const page = await request.load({
    nextToken: from.nextToken,
    maxResults: Math.min(listConstraints.maxResults.max, from.skip + size),
  });
  const items = page.items.slice(from.skip, from.skip + size);
  const cursor = (position: CursorPosition) => request.cursors.encode(request.connection, position);
  const next = page.nextToken === undefined ? undefined : cursor({ nextToken: page.nextToken, skip: 0 });
  const edges = items.map((item, index) => {
    const end = from.skip + index + 1;
    return {
      cursor: end === page.items.length && next !== undefined ? next : cursor({ nextToken: from.nextToken, skip: end }),
      node: request.node(item),
    };
  });
  return {
    edges,
    nodes: edges.map((edge) => edge.node),
    pageInfo: {
      hasNextPage: from.skip + items.length < page.items.length || next !== undefined,
      endCursor: edges.at(-1)?.cursor ?? next ?? null,
    },
  };
}
