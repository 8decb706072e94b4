import { readFile } from 'node:fs/promises';
import { ConfigError } from '../config.js';
import { documentHashOf, type OperationRequest } from './operationRequest.js';

/**
 * The operations a production deployment accepts (the "trusted documents" pattern): a manifest of
 * SHA-256 → document that the web app's build produced. Anything else is refused before parsing.
 */
export interface TrustedDocuments {
  /** The document to execute for a trusted operation; undefined for one not in the manifest. */
  documentFor(operation: OperationRequest): string | undefined;
}

/**
 * Reads the manifest: a JSON object `{ "<sha256 hex>": "<document>" }`, or the same under an
 * `operations` key (the shape `@apollo/generate-persisted-query-manifest` writes is also accepted:
 * `{ "operations": [{ "id", "body" }] }`). Every id must be the SHA-256 of its document.
 */
export async function loadTrustedDocuments(path: string): Promise<TrustedDocuments> {
  const fail = (problem: string, cause?: unknown) =>
    new ConfigError(`Invalid configuration: GRAPHQL_TRUSTED_DOCUMENTS_FILE: ${problem}`, { cause });
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw fail(`cannot read ${path} as JSON`, error);
  }
  const documents = new Map<string, string>();
  for (const [id, body] of manifestEntries(json, fail)) {
    if (documentHashOf(body) !== id) throw fail(`${id} is not the SHA-256 of its document`);
    documents.set(id, body);
  }
  if (documents.size === 0) throw fail('lists no operation');
  return { documentFor: (operation) => documents.get(operation.documentHash) };
}

function manifestEntries(json: unknown, fail: (problem: string) => ConfigError): [string, string][] {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fail('must be a JSON object');
  const operations = (json as { operations?: unknown }).operations;
  if (Array.isArray(operations)) {
    return operations.map((entry: unknown) => {
      const { id, body } = (entry ?? {}) as { id?: unknown; body?: unknown };
      if (typeof id !== 'string' || typeof body !== 'string') throw fail('every operation needs "id" and "body"');
      return [id, body];
    });
  }
  return Object.entries(json).map(([id, body]) => {
    if (typeof body !== 'string') throw fail(`${id} must map to a document string`);
    return [id, body];
  });
}
