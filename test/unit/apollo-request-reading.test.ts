import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ApolloServer, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { passesApolloHttpChecks, readOperation } from '../../src/graphql/operationRequest.js';

// The fast path serves a cached answer only for a request Apollo would run, keyed on what Apollo would run.
// Each row goes through our reader and through a real ApolloServer configured as src/server.ts configures
// its HTTP reading (CSRF prevention on, APQ on, no batching); both must read the same operation or none.
// Left out: a hash the APQ store does not hold, or APQ turned off (our reader cannot see the store; the key
// is still the document's hash, so a hit serves the answer of that very document: see README, full-response cache).

/** What a reader took from a request: the document's hash, the variables and the operation name. */
interface ReadOperation {
  documentHash: string;
  variablesJson: string | null;
  operationName: string | null;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const registered = '{ hello }';
const persisted = (hash: string, version: unknown = 1) => ({ persistedQuery: { version, sha256Hash: hash } });
const json = { 'content-type': 'application/json' };
const preflight = { 'apollo-require-preflight': 'true' };

interface Row {
  title: string;
  method: string;
  headers: Record<string, string>;
  search?: Record<string, string> | string;
  body?: unknown;
}

const get = (title: string, search: Row['search'], headers: Record<string, string> = json): Row => ({
  title,
  method: 'GET',
  headers,
  search,
});
const post = (title: string, body: unknown, headers: Record<string, string> = json): Row => ({
  title,
  method: 'POST',
  headers,
  body,
});

const rows: Row[] = [
  get('GET with a JSON content type', { query: '{ hello }' }),
  get('GET with variables and an operation name', {
    query: 'query Hi($name: String) { hello(name: $name) }',
    variables: '{"name":"ann"}',
    operationName: 'Hi',
  }),
  get('GET without content type or preflight header (CSRF)', { query: '{ hello }' }, {}),
  get('GET with apollo-require-preflight', { query: '{ hello }' }, preflight),
  get('GET with x-apollo-operation-name', { query: '{ hello }' }, { 'x-apollo-operation-name': 'Hi' }),
  get('GET with an empty preflight header', { query: '{ hello }' }, { 'apollo-require-preflight': '' }),
  get('GET as text/plain (CSRF)', { query: '{ hello }' }, { 'content-type': 'text/plain' }),
  get('GET as text/plain with preflight (415)', { query: '{ hello }' }, { 'content-type': 'text/plain', ...preflight }),
  get('GET as application/xml (415)', { query: '{ hello }' }, { 'content-type': 'application/xml' }),
  get(
    'GET as JSON, mixed case, with a charset',
    { query: '{ hello }' },
    {
      'content-type': ' Application/JSON ; charset=utf-8',
    },
  ),
  get('GET with a content type that does not parse', { query: '{ hello }' }, { 'content-type': 'application/json x' }),
  get('GET with an empty content type', { query: '{ hello }' }, { 'content-type': '' }),
  get(
    'GET with a simple content type spelled oddly (CSRF)',
    { query: '{ hello }' },
    {
      'content-type': 'TEXT/plain;x',
    },
  ),
  get('GET with query twice', '?query=%7B%20hello%20%7D&query=%7B%20hello%20%7D'),
  get('GET with an invalid percent-escape', '?query=%7B%20hello%20%7D%ZZ'),
  get('GET with variables=null', { query: '{ hello }', variables: 'null' }),
  get('GET with variables as an array', { query: '{ hello }', variables: '[1]' }),
  get('GET with variables that are not JSON', { query: '{ hello }', variables: '{name' }),
  get('GET with extensions=null', { query: '{ hello }', extensions: 'null' }),
  get('GET with an empty query', { query: '' }),
  get('GET with a registered hash only', { extensions: JSON.stringify(persisted(sha256(registered))) }),
  get('GET with the hash of its document', {
    query: registered,
    extensions: JSON.stringify(persisted(sha256(registered))),
  }),
  get('GET with a hash that is not its document’s', {
    query: '{ hello(name: "x") }',
    extensions: JSON.stringify(persisted(sha256(registered))),
  }),
  get('GET with persisted-query version 2', {
    query: registered,
    extensions: JSON.stringify(persisted(sha256(registered), 2)),
  }),
  post('POST as JSON', { query: '{ hello }' }),
  post('POST with nulls for the optional fields', {
    query: '{ hello }',
    variables: null,
    operationName: null,
    extensions: null,
  }),
  post('POST with variables and an operation name', {
    query: 'query Hi($name: String) { hello(name: $name) }',
    variables: { name: 'ann' },
    operationName: 'Hi',
  }),
  post('POST with variables as a string', { query: '{ hello }', variables: '{"name":"ann"}' }),
  post('POST with variables as an array', { query: '{ hello }', variables: [] }),
  post('POST with a numeric operation name', { query: '{ hello }', operationName: 5 }),
  post('POST with a numeric query', { query: 5 }),
  post('POST with an empty object', {}),
  post('POST with an empty query', { query: '' }),
  post('POST with a string body', '{ hello }'),
  post('POST as text/plain (CSRF)', { query: '{ hello }' }, { 'content-type': 'text/plain' }),
  post('POST as text/plain with preflight', { query: '{ hello }' }, { 'content-type': 'text/plain', ...preflight }),
  post('POST as multipart/form-data (CSRF)', { query: '{ hello }' }, { 'content-type': 'multipart/form-data' }),
  post('POST with a registered hash only', { extensions: persisted(sha256(registered)) }),
  post('POST with a null query and a registered hash', { query: null, extensions: persisted(sha256(registered)) }),
  post('POST with an empty query and a registered hash', { query: '', extensions: persisted(sha256(registered)) }),
  post('POST with a hash that is not its document’s', {
    query: '{ hello(name: "x") }',
    extensions: persisted(sha256(registered)),
  }),
  post('POST with persisted-query version 2', { query: registered, extensions: persisted(sha256(registered), 2) }),
  post('POST with a persisted query without hash', {
    query: registered,
    extensions: { persistedQuery: { version: 1 } },
  }),
  post('POST with persistedQuery: false', { query: registered, extensions: { persistedQuery: false } }),
  post('POST with extensions as a string', { query: '{ hello }', extensions: '{}' }),
  { title: 'PUT', method: 'PUT', headers: json, body: { query: '{ hello }' } },
];

function httpRequestOf({ method, headers, search, body }: Row): HTTPGraphQLRequest {
  const query =
    search === undefined ? '' : typeof search === 'string' ? search : `?${new URLSearchParams(search).toString()}`;
  return { method, headers: new HeaderMap(Object.entries(headers)), search: query, body };
}

/** What the gateway's fast path keys: the route's own two calls. */
function readByGateway(request: HTTPGraphQLRequest): ReadOperation | null {
  const requested = readOperation(request);
  if (requested.kind !== 'operation' || !passesApolloHttpChecks(request)) return null;
  const { documentHash, variablesJson, operationName } = requested.operation;
  return { documentHash, variablesJson, operationName };
}

describe('the fast path reads a request as Apollo does', () => {
  let apollo: ApolloServer;
  let resolved: ReadOperation | null = null;
  before(async () => {
    apollo = new ApolloServer({
      typeDefs: 'type Query { hello(name: String): String }',
      resolvers: { Query: { hello: () => 'hi' } },
      allowBatchedHttpRequests: false,
      plugins: [
        ApolloServerPluginLandingPageDisabled(),
        {
          // The source Apollo settled on (after APQ), before it parses it: what it reads, valid or not.
          requestDidStart: async () => ({
            didResolveSource: async ({ source, request }) => {
              resolved = {
                documentHash: sha256(source),
                variablesJson: request.variables ? JSON.stringify(request.variables) : null,
                operationName: request.operationName ?? null,
              };
            },
          }),
        },
      ],
    });
    await apollo.start();
    await readByApollo(
      httpRequestOf(post('register the hash', { query: registered, extensions: persisted(sha256(registered)) })),
    );
  });
  after(async () => apollo.stop());

  async function readByApollo(request: HTTPGraphQLRequest): Promise<ReadOperation | null> {
    resolved = null;
    await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: request, context: async () => ({}) });
    return resolved;
  }

  for (const row of rows) {
    test(row.title, { timeout: 10_000 }, async () => {
      const request = httpRequestOf(row);
      assert.deepEqual(readByGateway(request), await readByApollo(request));
    });
  }

  test('the table covers both decisions', { timeout: 10_000 }, () => {
    const keyed = rows.filter((row) => readByGateway(httpRequestOf(row)) !== null).length;
    assert.ok(keyed >= 10 && rows.length - keyed >= 10, `${keyed} of ${rows.length} rows keyed`);
  });
});
