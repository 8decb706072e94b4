import { createHash } from 'node:crypto';
import type { HeaderMap, HTTPGraphQLRequest } from '@apollo/server';
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

// This module is our one copy of how Apollo's `executeHTTPGraphQLRequest` reads a request; the table in
// test/unit/apollo-request-reading.test.ts runs the same requests through both and holds them together.

/**
 * Reads GraphQL-over-HTTP parameters as Apollo does: the JSON body of a POST, the query string of a GET
 * (URLSearchParams, each parameter at most once), so the document keyed here is the document Apollo
 * executes: Fastify's own parser keeps an invalid percent-escape's whole value raw where URLSearchParams
 * decodes the rest.
 */
export function readOperation({ method, search, body }: HTTPGraphQLRequest): RequestedOperation {
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

/**
 * False when Apollo refuses the request before reading its parameters: its CSRF prevention, or a GET
 * whose content type is not JSON (415). A cached answer is only served to requests Apollo would accept.
 */
export function passesApolloHttpChecks({ method, headers }: HTTPGraphQLRequest): boolean {
  if (!passesCsrfPrevention(headers)) return false;
  const contentType = headers.get('content-type');
  return method !== 'GET' || contentType === undefined || mediaTypeOf(contentType) === 'application/json';
}

// Apollo's CSRF prevention (csrfPrevention: true): a request a browser could send cross-site without a
// preflight (no content type, or one of the three "simple" ones) must carry one of these headers.
const simpleContentTypes = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
const preflightHeaders = ['x-apollo-operation-name', 'apollo-require-preflight'];

function passesCsrfPrevention(headers: HeaderMap): boolean {
  const contentType = headers.get('content-type');
  if (contentType !== undefined) {
    const mediaType = mediaTypeOf(contentType);
    // Apollo lets through a content type that does not parse, as a browser never sends one unpreflighted.
    if (mediaType === null || !simpleContentTypes.has(mediaType)) return true;
  }
  return preflightHeaders.some((name) => (headers.get(name)?.length ?? 0) > 0);
}

// type/subtype as the WHATWG MIME sniffing standard parses it (the whatwg-mimetype package Apollo uses).
const mediaTypePattern = /^[\t\n\r ]*([\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+)[\t\n\r ]*(?:;|$)/;

/** The lowercase `type/subtype` of a Content-Type value; null when it does not parse. */
function mediaTypeOf(contentType: string): string | null {
  return mediaTypePattern.exec(contentType)?.[1]?.toLowerCase() ?? null;
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
  // An empty document still takes a slot (lru-cache refuses a size of 0).
  sizeCalculation: (_hash, query) => query.length + 1,
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
  // Apollo reads a falsy query that is not a string (null, 0, false) as absent, and refuses any other.
  if (query && typeof query !== 'string') return unreadable;
  const text = typeof query === 'string' ? query : undefined;
  if (variables !== undefined && variables !== null && !isRecord(variables)) return unreadable;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return unreadable;
  const persistedHash = persistedQueryHash(extensions);
  if (persistedHash === invalid) return unreadable;
  let documentHash: string;
  if (persistedHash === undefined) {
    if (!text) return unreadable;
    documentHash = rememberedDocumentHash(text);
  } else {
    // A document that does not match the hash it came with is Apollo's to refuse.
    if (text !== undefined && rememberedDocumentHash(text) !== persistedHash) return unreadable;
    documentHash = persistedHash;
  }
  const variablesJson = isRecord(variables) ? compactJson(variables) : null;
  if (variablesJson === invalid) return unreadable;
  return {
    kind: 'operation',
    operation: {
      documentHash,
      query: text,
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
  // Apollo reads a falsy persistedQuery as absent and refuses any version but 1.
  if (!persisted) return undefined;
  if (!isRecord(persisted) || persisted['version'] !== 1 || typeof persisted['sha256Hash'] !== 'string') {
    return invalid;
  }
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

// A GET carries variables and extensions as JSON text, each an object (Apollo refuses even `null`).
function parseJsonParameter(value: string | undefined | typeof invalid): unknown {
  if (value === undefined || value === invalid) return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return isRecord(parsed) ? parsed : invalid;
  } catch {
    return invalid;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
