import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { EmulatorStats } from './callLog.js';
import type { Fault, FaultOptions } from './faults.js';
import type { Quota } from './quota.js';
import { emulatedOperations } from './validation.js';
import { readBody, sendJson } from './wire.js';

export interface EmulatorConfig {
  readonly quota: Quota | null;
  readonly latencyMs: number;
}

/** The part of the emulator's JS API the admin endpoints expose over HTTP. */
export interface EmulatorControls {
  stats(): EmulatorStats;
  reset(): void;
  injectFault(fault: Fault, options?: FaultOptions): void;
  clearFaults(): void;
  configure(config: Partial<EmulatorConfig>): void;
  config(): EmulatorConfig;
}

const configSchema = z.strictObject({
  quota: z.strictObject({ callsPerSecond: z.number().int().nonnegative() }).nullable().optional(),
  latencyMs: z.number().nonnegative().finite().optional(),
});

const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('error'),
    errorType: z.string().min(1),
    status: z.number().int().min(400).max(599),
    message: z.string().optional(),
  }),
  z.strictObject({ kind: z.literal('hang') }),
  z.strictObject({ kind: z.literal('reset') }),
]);

const injectSchema = z.strictObject({
  fault: faultSchema,
  // JSON has no Infinity, so "until cleared" is spelled as the string.
  times: z.union([z.number().int().positive(), z.literal('Infinity')]).optional(),
  participantId: z.string().optional(),
  operation: z.enum(emulatedOperations).optional(),
});

/** More admin routes, by `METHOD /path`. */
export type AdminRoutes = Readonly<Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>>>;

/**
 * Routes under `/_emulator/`, so a process other than the one that started the emulator can drive it:
 * GET stats (`?windowMs=`), POST reset, GET/POST config, POST/DELETE faults, and `more`.
 */
export function createAdminHandler(controls: EmulatorControls, more: AdminRoutes = {}) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    switch (route) {
      case 'GET /_emulator/stats': {
        const windowMs = Number(url.searchParams.get('windowMs') ?? 1000);
        if (!(windowMs > 0)) return sendJson(res, 400, { error: 'windowMs must be a positive number' });
        const { maxCallsInAnyWindow, ...counters } = controls.stats();
        return sendJson(res, 200, { ...counters, windowMs, maxCallsInAnyWindow: maxCallsInAnyWindow(windowMs) });
      }
      case 'POST /_emulator/reset':
        controls.reset();
        return sendJson(res, 200, { ok: true });
      case 'GET /_emulator/config':
        return sendJson(res, 200, controls.config());
      case 'POST /_emulator/config': {
        const body = await readJson(req, configSchema);
        if (!body.ok) return sendJson(res, 400, { error: body.error });
        controls.configure(body.value);
        return sendJson(res, 200, controls.config());
      }
      case 'POST /_emulator/faults': {
        const body = await readJson(req, injectSchema);
        if (!body.ok) return sendJson(res, 400, { error: body.error });
        const { fault, times, participantId, operation } = body.value;
        controls.injectFault(fault, { times: times === 'Infinity' ? Infinity : times, participantId, operation });
        return sendJson(res, 200, { ok: true });
      }
      case 'DELETE /_emulator/faults':
        controls.clearFaults();
        return sendJson(res, 200, { ok: true });
      default: {
        const handle = more[route];
        if (handle !== undefined) return handle(req, res);
        return sendJson(res, 404, { error: `No admin route ${route}` });
      }
    }
  };
}

/** The request's JSON body checked by `schema`, or a message for a 400. */
export async function readJson<T>(
  req: IncomingMessage,
  schema: z.ZodType<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  const text = await readBody(req);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, error: 'Body must be JSON' };
  }
  const result = schema.safeParse(data);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: z.prettifyError(result.error) };
}
