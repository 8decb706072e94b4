import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../errors.js';
import { errorResponseBody } from '../graphql/errors.js';

/** Answers a request refused outside Apollo: `status`, a GraphQL-shaped error body, and `code` in the request's log record. */
export function sendRefusal(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: ErrorCode,
  message: string,
): FastifyReply {
  request.operation.errorCodes.push(code);
  return reply.code(status).type('application/json; charset=utf-8').send(errorResponseBody(code, message));
}
