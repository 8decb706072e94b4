import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { context, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { perReadOperation, readOperation, type IvsReadOperation, type IvsReadTypes } from '../ivs/operations/index.js';
import type { Logger } from '../logger.js';
import type { UpstreamReads } from '../upstream/index.js';
import type { UpstreamRead } from '../upstream/read.js';
import { regionOfStage } from '../validation.js';
import { redactedQuery, redactedUrl } from '../redaction.js';

/** What index.ts needs from tracing: the GraphQL spans plugin, IVS read spans, and a flush on shutdown. */
export interface Tracing {
  apolloPlugin: ApolloServerPlugin<BaseContext>;
  /** The same reads, each lookup in an `ivs <Operation>` span: every IVS operation, from whichever field it is reached. */
  traceReads(reads: UpstreamReads): UpstreamReads;
  /** Sends the spans still buffered; call before exit. */
  shutdown(): Promise<void>;
}

const unsampledRoutes = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Starts OpenTelemetry tracing: OTLP over HTTP (the exporter reads the standard OTEL_EXPORTER_OTLP_*
 * variables itself), server and client spans for node:http (Fastify, the AWS SDK) and undici (the
 * JWKS fetch), and GraphQL spans from an Apollo plugin. Loaded only by a dynamic import, and
 * before the modules it instruments.
 */
export async function startTracing(endpoint: string, logger: Logger): Promise<Tracing> {
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the default name.
  const resource = resourceFromAttributes({ 'service.name': 'ivs-realtime-graphql' }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  const disableInstrumentations = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => unsampledRoutes.has(request.url ?? ''),
        // A GraphQL GET carries its document and variables in the query string: spans keep only the names.
        startIncomingSpanHook: (request) => {
          const search = (request.url ?? '').split('?')[1];
          return search === undefined ? {} : { 'url.query': redactedQuery(search) };
        },
      }),
      new UndiciInstrumentation(),
    ],
  });
  logger.info({ endpoint: redactedUrl(endpoint) }, 'OpenTelemetry tracing on');
  const tracer = provider.getTracer('ivs-realtime-graphql');

  return {
    apolloPlugin: {
      async requestDidStart() {
        const operationSpan = tracer.startSpan('graphql.operation');
        return {
          async didResolveOperation({ operationName, operation }) {
            const type = operation?.operation ?? 'query';
            operationSpan.updateName(`graphql.${type} ${operationName ?? '(anonymous)'}`);
            operationSpan.setAttributes({
              'graphql.operation.type': type,
              'graphql.operation.name': operationName ?? '',
            });
          },
          async executionDidStart() {
            return {
              // Root fields frame the IVS reads below them, wherever in the document those are reached.
              willResolveField({ info }) {
                if (info.parentType.name !== 'Query' || info.fieldName === '__typename') return;
                const span = tracer.startSpan(
                  `graphql.resolve ${info.fieldName}`,
                  { attributes: { 'graphql.field.path': info.path.key.toString() } },
                  trace.setSpan(context.active(), operationSpan),
                );
                return (error) => endSpan(span, error ? 'ERROR' : null);
              },
            };
          },
          async willSendResponse({ response }) {
            const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
            const code = errors?.[0]?.extensions?.['code'];
            endSpan(operationSpan, errors?.length ? (typeof code === 'string' ? code : 'ERROR') : null);
          },
        };
      },
    },
    traceReads(reads) {
      const traced = <O extends IvsReadOperation>(
        operation: O,
      ): UpstreamRead<IvsReadTypes[O]['key'], IvsReadTypes[O]['value']> => {
        const inner: UpstreamRead<IvsReadTypes[O]['key'], IvsReadTypes[O]['value']> = reads[operation];
        const { stageArnOf } = readOperation(operation);
        return {
          lookup: (key, request) => {
            const region = regionOfStage(stageArnOf(key));
            const attributes = { 'ivs.operation': operation, 'cloud.region': region };
            return tracer.startActiveSpan(`ivs ${operation}`, { attributes }, async (span) => {
              const outcome = await inner.lookup(key, request);
              span.setAttributes({ 'ivs.served': outcome.report.served, 'ivs.calls': outcome.report.upstreamCalls });
              endSpan(span, outcome.ok ? null : outcome.error.code);
              return outcome;
            });
          },
        };
      };
      return perReadOperation<UpstreamReads>(traced);
    },
    async shutdown() {
      disableInstrumentations();
      await provider.shutdown();
    },
  };
}

function endSpan(span: Span, errorCode: string | null): void {
  if (errorCode !== null) span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode });
  span.end();
}
