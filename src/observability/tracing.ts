import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { context, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Logger } from '../logger.js';

/** What index.ts needs from tracing: the GraphQL spans plugin, and a flush on shutdown. */
export interface Tracing {
  apolloPlugin: ApolloServerPlugin<BaseContext>;
  /** Sends the spans still buffered; call before exit. */
  shutdown(): Promise<void>;
}

// Root fields that start participant lookups: their spans frame the IVS calls below them.
const lookupFields = new Set(['participant', '_entities']);
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
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => unsampledRoutes.has(request.url ?? '') }),
      new UndiciInstrumentation(),
    ],
  });
  logger.info({ endpoint }, 'OpenTelemetry tracing on');
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
              willResolveField({ info }) {
                if (info.parentType.name !== 'Query' || !lookupFields.has(info.fieldName)) return;
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
