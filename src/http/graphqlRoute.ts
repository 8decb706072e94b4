import { Readable } from 'node:stream';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest } from '@apollo/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/authenticator.js';
import { ErrorCode } from '../errors.js';
import { refusalText } from '../graphql/errors.js';
import { cacheModeFor } from '../context.js';
import { passesApolloHttpChecks, readOperation, searchOf } from '../graphql/operationRequest.js';
import { matchesEntityTag, type CachedResponse, type ResponseCache } from '../graphql/responseCache.js';
import type { TrustedDocuments } from '../graphql/trustedDocuments.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { createAuthenticationHook } from './authentication.js';
import { sendRefusal } from './refusal.js';

export interface GraphqlRouteDependencies<Context extends BaseContext> {
  apollo: ApolloServer<Context>;
  /** Builds Apollo's context for a request that executes. */
  context: (request: FastifyRequest) => Promise<Context>;
  authenticator: Authenticator;
  responseCache: ResponseCache;
  /** null: every document is accepted. */
  trustedDocuments: TrustedDocuments | null;
  metrics: GatewayMetrics;
  /** Operations a batched request may carry; null when batching is off (Apollo refuses every batch). */
  maxBatchOperations: number | null;
}

/**
 * /graphql (GET, POST, OPTIONS). After authentication, a cached answer is sent as stored, before
 * Apollo's pipeline: nothing is parsed, validated or executed. Everything else goes through Apollo,
 * limits included, and its answer is offered to the cache. The cache's rules live in responseCache.ts.
 */
export function registerGraphqlRoute<Context extends BaseContext>(
  app: FastifyInstance,
  deps: GraphqlRouteDependencies<Context>,
): void {
  const { apollo, responseCache, trustedDocuments, metrics } = deps;

  // Sets the caching headers; for a GET whose If-None-Match names the answer, sends 304 instead of it.
  const cachingHeadersOr304 = (
    request: FastifyRequest,
    reply: FastifyReply,
    entry: CachedResponse | undefined,
    served: 'cache' | 'executed',
  ) => {
    const headers = responseCache.headersFor(request.method, entry, served);
    for (const [name, value] of Object.entries(headers)) {
      // Keep what CORS already put in Vary (Origin when origins are listed).
      const existing = name === 'vary' ? reply.getHeader('vary') : undefined;
      reply.header(name, typeof existing === 'string' ? `${existing}, ${value}` : value);
    }
    if (
      entry !== undefined &&
      request.method === 'GET' &&
      matchesEntityTag(request.headers['if-none-match'], entry.etag)
    ) {
      return reply.code(304).send();
    }
    return undefined;
  };

  app.route({
    method: ['GET', 'POST', 'OPTIONS'],
    url: '/graphql',
    onRequest: createAuthenticationHook(deps.authenticator, metrics),
    handler: async (request, reply) => {
      if (deps.maxBatchOperations !== null && isBatchOver(request.body, deps.maxBatchOperations)) {
        return refuseBatch(request, reply, deps.maxBatchOperations);
      }
      // One request for the cache key and for Apollo, read by Apollo's rules: what is keyed is what executes.
      const httpGraphQLRequest: HTTPGraphQLRequest = {
        method: request.method.toUpperCase(),
        headers: headerMapOf(request.headers),
        search: searchOf(request.url),
        body: request.body,
      };
      const requested = readOperation(httpGraphQLRequest);
      let document: string | undefined;
      if (trustedDocuments !== null && request.method !== 'OPTIONS') {
        document = requested.kind === 'operation' ? trustedDocuments.documentFor(requested.operation) : undefined;
        if (document === undefined) return refuseUntrusted(request, reply);
      }
      const operation = requested.kind === 'operation' ? requested.operation : null;
      const principal = request.principal;
      const key =
        operation && principal && passesApolloHttpChecks(httpGraphQLRequest)
          ? responseCache.keyOf(principal, operation, request.headers)
          : null;

      if (key !== null && principal !== null) {
        const started = performance.now();
        const entry = responseCache.read(key, cacheModeFor(principal, request.headers['cache-control']));
        if (entry !== undefined) {
          request.operation.name = entry.operationName;
          request.operation.type = 'query';
          request.operation.responseCacheHit = true;
          metrics.graphqlOperation({ type: 'query', outcome: 'ok' }, (performance.now() - started) / 1000);
          return cachingHeadersOr304(request, reply, entry, 'cache') ?? reply.type(entry.contentType).send(entry.body);
        }
      }

      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: document === undefined ? httpGraphQLRequest : withDocument(httpGraphQLRequest, document),
        context: () => deps.context(request),
      });
      for (const [name, value] of response.headers) reply.header(name, value);
      // A mutation's answer may hold a participant token: no HTTP cache anywhere may keep it.
      if (request.operation.type === 'mutation') reply.header('cache-control', 'no-store');
      const status = response.status ?? 200;
      reply.code(status);
      if (response.body.kind === 'chunked') return reply.send(Readable.from(response.body.asyncIterator));
      const entry =
        key === null
          ? undefined
          : responseCache.store(key, {
              status,
              body: response.body.string,
              contentType: response.headers.get('content-type') ?? 'application/json; charset=utf-8',
              operationType: request.operation.type,
              operationName: request.operation.name,
              errorCodes: request.operation.errorCodes,
              staleHits: request.operation.lookupStats?.staleHits ?? 0,
            });
      return cachingHeadersOr304(request, reply, entry, 'executed') ?? reply.send(response.body.string);
    },
  });
}

function isBatchOver(body: unknown, max: number): boolean {
  return Array.isArray(body) && body.length > max;
}

// A request refused before Apollo sees it: HTTP 400 with the code in the body and in the request's log record.
function refuseRequest(request: FastifyRequest, reply: FastifyReply, code: ErrorCode, message: string) {
  return sendRefusal(request, reply, 400, code, message);
}

function refuseBatch(request: FastifyRequest, reply: FastifyReply, max: number) {
  return refuseRequest(request, reply, ErrorCode.BATCH_TOO_LARGE, refusalText.BATCH_TOO_LARGE(max));
}

function refuseUntrusted(request: FastifyRequest, reply: FastifyReply) {
  return refuseRequest(request, reply, ErrorCode.PERSISTED_QUERY_NOT_TRUSTED, refusalText.PERSISTED_QUERY_NOT_TRUSTED);
}

function headerMapOf(headers: FastifyRequest['headers']): HeaderMap {
  const map = new HeaderMap();
  for (const [name, value] of Object.entries(headers)) {
    if (value) map.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return map;
}

// A trusted operation named by its hash alone gets the document from the manifest, so Apollo never looks it up.
function withDocument(request: HTTPGraphQLRequest, document: string): HTTPGraphQLRequest {
  if (request.method === 'POST') return { ...request, body: { ...(request.body as object), query: document } };
  const params = new URLSearchParams(request.search);
  params.set('query', document);
  return { ...request, search: `?${params.toString()}` };
}
