import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * One GraphQL operation as the HTTP request names it, read without parsing the document: enough to
 * key a cached answer and to check a trusted-documents manifest.
 */
export interface OperationRequest {
  /** SHA-256 (hex) of the document: of `query` when sent, else the persisted-query hash the client named. */
  readonly documentHash: string;
  /** The document text, when sent (an automatic persisted query may send only its hash). */
  readonly query: string | undefined;
  /** The variables as compact JSON, `null` when none were sent. */
  readonly variablesJson: string | null;
  readonly operationName: string | null;
}

/**
 * `operation`: one operation we can identify. `batch`: a JSON array of operations. `unreadable`:
 * anything else (no document, wrong types, bad JSON): Apollo answers it with its own error.
 */
export type RequestedOperation =
  | { readonly kind: 'operation'; readonly operation: OperationRequest }
  | { readonly kind: 'batch' }
  | { readonly kind: 'unreadable' };

const unreadable = { kind: 'unreadable' } as const;

/**
 * Reads GraphQL-over-HTTP parameters: the JSON body of a POST, the query string (`search`, `?` included)
 * of a GET. The query string is read exactly as Apollo reads it (URLSearchParams, each parameter at
 * most once), so the document keyed here is the document Apollo executes: Fastify's own parser keeps an
 * invalid percent-escape's whole value raw where URLSearchParams decodes the rest.
 */
export function readOperation(method: string, body: unknown, search: string): RequestedOperation {
  if (method === 'POST') {
    if (Array.isArray(body)) return { kind: 'batch' };
    if (!isRecord(body)) return unreadable;
    return fromParameters(body['query'], body['variables'], body['operationName'], body['extensions']);
  }
  if (method === 'GET') {
    const parameters = new URLSearchParams(search);
    const [query, variablesText, operationName, extensionsText] = [
      'query',
      'variables',
      'operationName',
      'extensions',
    ].map((name) => parameterSpecifiedOnce(parameters, name));
    const variables = parseJsonParameter(variablesText);
    const extensions = parseJsonParameter(extensionsText);
    if ([query, variablesText, operationName, extensionsText, variables, extensions].includes(invalid)) {
      return unreadable;
    }
    return fromParameters(query, variables, operationName, extensions);
  }
  return unreadable;
}

/** The query string of a request URL, `?` included; `''` when there is none. */
export function searchOf(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? '' : url.slice(index);
}

// Apollo refuses a parameter given twice (400); such a request is never keyed.
function parameterSpecifiedOnce(parameters: URLSearchParams, name: string): string | undefined | typeof invalid {
  const values = parameters.getAll(name);
  if (values.length > 1) return invalid;
  return values[0];
}

/** SHA-256 of a document as lowercase hex: the id APQ and trusted-documents manifests use. */
export function documentHashOf(query: string): string {
  return createHash('sha256').update(query).digest('hex');
}

// The same few documents arrive over and over (the hot path): a string lookup instead of a hash each time.
const recentHashes = new LRUCache<string, string>({
  max: 1000,
  maxSize: 4 * 1024 * 1024,
  sizeCalculation: (_hash, query) => query.length,
});

function rememberedDocumentHash(query: string): string {
  let hash = recentHashes.get(query);
  if (hash === undefined) {
    hash = documentHashOf(query);
    recentHashes.set(query, hash);
  }
  return hash;
}

function fromParameters(
  query: unknown,
  variables: unknown,
  operationName: unknown,
  extensions: unknown,
): RequestedOperation {
  if (query !== undefined && typeof query !== 'string') return unreadable;
  if (variables !== undefined && variables !== null && !isRecord(variables)) return unreadable;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return unreadable;
  const persistedHash = persistedQueryHash(extensions);
  if (persistedHash === invalid) return unreadable;
  const documentHash = query === undefined || query === '' ? persistedHash : rememberedDocumentHash(query);
  // A document that does not match the hash it came with is Apollo's to refuse.
  if (documentHash === undefined || (persistedHash !== undefined && persistedHash !== documentHash)) {
    return unreadable;
  }
  const variablesJson = isRecord(variables) ? compactJson(variables) : null;
  if (variablesJson === invalid) return unreadable;
  return {
    kind: 'operation',
    operation: {
      documentHash,
      query: query === '' ? undefined : query,
      variablesJson,
      operationName: typeof operationName === 'string' ? operationName : null,
    },
  };
}

const invalid = Symbol('invalid');

function persistedQueryHash(extensions: unknown): string | undefined | typeof invalid {
  if (extensions === undefined || extensions === null) return undefined;
  if (!isRecord(extensions)) return invalid;
  const persisted = extensions['persistedQuery'];
  if (persisted === undefined) return undefined;
  if (!isRecord(persisted) || typeof persisted['sha256Hash'] !== 'string') return invalid;
  return persisted['sha256Hash'];
}

// Hostile variables nested deeper than the stack overflow JSON.stringify; Apollo refuses them itself.
function compactJson(value: Record<string, unknown>): string | typeof invalid {
  try {
    return JSON.stringify(value);
  } catch {
    return invalid;
  }
}

// A GET carries variables and extensions as JSON text.
function parseJsonParameter(value: string | undefined | typeof invalid): unknown {
  if (value === undefined || value === invalid) return value;
  try {
    return JSON.parse(value);
  } catch {
    return invalid;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
