import { ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { classifyIvsFailure, readIvsMessage, type SdkErrorShape } from './failures.js';

// Failures that are the operator's to fix: clients only see a fixed message, so the log carries IVS's own.
const operatorFailures = new Set<ErrorCode>([ErrorCode.FORBIDDEN, ErrorCode.UPSTREAM_AUTH_FAILED]);

/** What a source tells `sendToIvs` about its call, for the operator's log line. */
export interface IvsCall {
  readonly operation: string;
  readonly stageArn: string;
}

/**
 * Sends one command with the caller's abort signal; any failure is classified into a LookupError, and
 * the ones an operator must fix are logged with IVS's own text. The SDK command types stay with the
 * caller: `send` is the client's own, bound to the command.
 */
export async function sendToIvs<Output>(
  send: (options: { abortSignal: AbortSignal }) => Promise<Output>,
  call: IvsCall,
  signal: AbortSignal,
  logger: Logger,
): Promise<Output> {
  try {
    return await send({ abortSignal: signal });
  } catch (error) {
    const failure = classifyIvsFailure(error);
    if (operatorFailures.has(failure.code)) {
      logger.error(
        { ...failure.details.ivs, stageArn: call.stageArn, ivsMessage: readIvsMessage(error as SdkErrorShape) },
        `IVS refused the gateway's AWS identity: check its credentials and that its IAM policy allows ivs:${call.operation} on this stage`,
      );
    }
    throw failure;
  }
}
