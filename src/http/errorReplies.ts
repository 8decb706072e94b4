import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '../errors.js';
import { errorResponseBody, refusalText } from '../graphql/errors.js';
import { sendRefusal } from './refusal.js';
import type { Rejection } from './requestLog.js';

interface ErrorReply {
  status: number;
  code: ErrorCode;
  message: string;
}

/** Fastify's own failures (body parsing, limits, unknown routes) in client terms: fixed words, stable codes. */
function classifyHttpError(error: Pick<FastifyError, 'code' | 'statusCode'>, bodyLimitBytes: number): ErrorReply {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        code: ErrorCode.PAYLOAD_TOO_LARGE,
        message: refusalText.PAYLOAD_TOO_LARGE(bodyLimitBytes),
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        code: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        message: refusalText.UNSUPPORTED_MEDIA_TYPE,
      };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: ErrorCode.BAD_REQUEST, message: refusalText.BAD_REQUEST.invalidJson };
  }
  // JSON.parse's SyntaxError arrives with statusCode 400 and no Fastify code.
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500)
    return { status, code: ErrorCode.BAD_REQUEST, message: refusalText.BAD_REQUEST.other };
  return { status: 500, code: ErrorCode.INTERNAL_SERVER_ERROR, message: refusalText.INTERNAL_SERVER_ERROR };
}

/**
 * GraphQL-shaped bodies (`{ errors: [{ message, extensions: { code } }] }`) for everything that
 * fails outside Apollo, instead of Fastify's default text; 5xx causes go to the log only.
 */
export function registerErrorReplies(app: FastifyInstance, bodyLimitBytes: number): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, code, message } = classifyHttpError(error, bodyLimitBytes);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return sendRefusal(request, reply, status, code, message);
  });
  app.setNotFoundHandler((request, reply) =>
    sendRefusal(request, reply, 404, ErrorCode.ROUTE_NOT_FOUND, refusalText.ROUTE_NOT_FOUND),
  );
}

/**
 * Fastify's `clientErrorHandler`: malformed HTTP and request timeouts, answered on the raw socket
 * (no request object exists yet) with the same body shape, a fresh request id and a log line.
 */
export function createClientErrorReply(
  logRejection: (rejection: Rejection) => void,
): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    // The peer is gone: there is no one to answer, and nothing was answered.
    if (!socket.writable) return void socket.destroy();
    const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const status = timeout ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const code = timeout ? ErrorCode.REQUEST_TIMEOUT : ErrorCode.BAD_REQUEST;
    const body = JSON.stringify(
      errorResponseBody(code, timeout ? refusalText.REQUEST_TIMEOUT : refusalText.BAD_REQUEST.malformedHttp),
    );
    const requestId = randomUUID();
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `x-request-id: ${requestId}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    logRejection({ requestId, method: 'unknown', status, code, rejectedBy: error.code });
  };
}

/**
 * Fastify's `frameworkErrors`: failures before routing (a malformed URL such as `/%zz`), with the
 * same body shape. Runs before any hook, so it sets the request id header and logs by itself.
 */
export function createFrameworkErrorReply(
  logRejection: (rejection: Rejection) => void,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    const { status, code, message } = classifyHttpError(error, 0);
    void reply
      .code(status)
      .header('x-request-id', request.id)
      .type('application/json; charset=utf-8')
      .send(errorResponseBody(code, message));
    logRejection({ requestId: request.id, method: request.method, status, code, rejectedBy: error.code });
  };
}
