import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** Latency distribution of the responses that arrived, in ms. */
export interface LatencySummary {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** What one load run saw from the client side. */
export interface LoadMeasurement {
  /** Wall-clock length of the measured run, in s. */
  durationS: number;
  /** Requests written, including those still in flight when the run ended. */
  sent: number;
  responses: number;
  /** 2xx responses whose body has no `"errors"`. */
  ok: number;
  non2xx: number;
  /** Responses (any status) whose body carries GraphQL `errors`. */
  graphqlErrors: number;
  /** Connection errors and timeouts: requests that got no response at all. */
  socketErrors: number;
  timeouts: number;
  latencyMs: LatencySummary;
  /** `extensions.code` (or `HTTP <status>`) of failed responses, counted over the first few hundred. */
  errorCodes: Record<string, number>;
  /** Share of one core the load generator itself used (1 = a full core: it may be the bottleneck). */
  clientCpu: number;
}

const errorBodiesParsed = 300;

/** Classifies responses as they arrive; exact latencies (autocannon's own histogram rounds to 1 ms). */
class ResponseTally {
  private readonly latencies: number[] = [];
  private ok = 0;
  private non2xx = 0;
  private graphqlErrors = 0;
  private parsedErrors = 0;
  private readonly errorCodes: Record<string, number> = {};

  record(status: number, body: string, latencyMs: number): void {
    this.latencies.push(latencyMs);
    const success = status >= 200 && status < 300;
    const hasErrors = body.includes('"errors"');
    if (!success) this.non2xx += 1;
    if (hasErrors) this.graphqlErrors += 1;
    if (success && !hasErrors) {
      this.ok += 1;
      return;
    }
    if (this.parsedErrors < errorBodiesParsed) {
      this.parsedErrors += 1;
      for (const code of errorCodesOf(status, body)) this.errorCodes[code] = (this.errorCodes[code] ?? 0) + 1;
    }
  }

  summary(): Pick<LoadMeasurement, 'responses' | 'ok' | 'non2xx' | 'graphqlErrors' | 'latencyMs' | 'errorCodes'> {
    return {
      responses: this.latencies.length,
      ok: this.ok,
      non2xx: this.non2xx,
      graphqlErrors: this.graphqlErrors,
      latencyMs: summarise(this.latencies),
      errorCodes: this.errorCodes,
    };
  }
}

function errorCodesOf(status: number, body: string): string[] {
  try {
    const parsed = JSON.parse(body) as { errors?: { extensions?: { code?: unknown } }[] };
    const codes = (parsed.errors ?? []).map((e) => (typeof e.extensions?.code === 'string' ? e.extensions.code : '?'));
    return codes.length > 0 ? [...new Set(codes)] : [`HTTP ${status}`];
  } catch {
    return [`HTTP ${status}`];
  }
}

/** Mean and percentiles of `values` (ms). */
export function summarise(values: number[]): LatencySummary {
  if (values.length === 0) return { mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  const sum = sorted.reduce((total, value) => total + value, 0);
  return { mean: sum / sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0 };
}

export interface SustainedLoad {
  /** Base URL; requests go to `${url}/graphql`. */
  url: string;
  connections: number;
  /** Run for this long... */
  durationS?: number;
  /** ...or until this many responses arrived. */
  amount?: number;
  timeoutS: number;
  /** Sent with every request (credentials), beside `content-type: application/json`. */
  headers: Record<string, string>;
  /** The body of the next request; called once per request written. */
  nextBody: () => string;
  /** Draw autocannon's progress bar (on stderr). */
  progressBar: boolean;
}

/** Closed-loop load with autocannon: `connections` keep-alive connections, one request in flight on each. */
export async function sustained(load: SustainedLoad): Promise<LoadMeasurement> {
  const tally = new ResponseTally();
  // autocannon emits 'response' and then calls verifyBody for the same response, synchronously.
  let last = { status: 0, latencyMs: 0 };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${load.url}/graphql`,
        method: 'POST',
        connections: load.connections,
        ...(load.amount === undefined ? { duration: load.durationS ?? 10 } : { amount: load.amount }),
        timeout: load.timeoutS,
        headers: { ...load.headers, 'content-type': 'application/json' },
        requests: [{ setupRequest: (req) => ({ ...req, body: load.nextBody() }) }],
        verifyBody: (body) => {
          tally.record(last.status, typeof body === 'string' ? body : (body?.toString('utf8') ?? ''), last.latencyMs);
          return true;
        },
      },
      (error: unknown, done) => (error ? reject(asError(error)) : resolve(done)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      last = { status: statusCode, latencyMs: responseTime };
    });
    if (load.progressBar) {
      autocannon.track(instance, { renderProgressBar: true, renderResultsTable: false, renderLatencyTable: false });
    }
  });
  const elapsedMs = performance.now() - started;
  return {
    ...tally.summary(),
    durationS: elapsedMs / 1000,
    sent: result.requests.sent,
    socketErrors: result.errors,
    timeouts: result.timeouts,
    clientCpu: cpuShare(cpuBefore, elapsedMs),
  };
}

export interface BurstLoad {
  url: string;
  clients: number;
  body: string;
  timeoutS: number;
  headers: Record<string, string>;
}

/**
 * `clients` requests written at once, each on its own already-open keep-alive connection, so the
 * server sees them together rather than spread over TCP handshakes.
 */
export async function burst(load: BurstLoad): Promise<LoadMeasurement> {
  const agent = new Agent({ keepAlive: true, maxSockets: load.clients, maxFreeSockets: load.clients });
  try {
    const warm = await Promise.all(
      Array.from({ length: load.clients }, () =>
        send(agent, load.url, 'GET', '/healthz', undefined, {}, load.timeoutS),
      ),
    );
    const unreachable = warm.filter((r) => r.status === 0).length;
    if (unreachable > 0) throw new Error(`${unreachable} of ${load.clients} connections could not be opened`);

    const tally = new ResponseTally();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const responses = await Promise.all(
      Array.from({ length: load.clients }, () =>
        send(agent, load.url, 'POST', '/graphql', load.body, load.headers, load.timeoutS),
      ),
    );
    const elapsedMs = performance.now() - started;
    let socketErrors = 0;
    let timeouts = 0;
    for (const response of responses) {
      if (response.status === 0) {
        socketErrors += 1;
        if (response.timedOut) timeouts += 1;
      } else {
        tally.record(response.status, response.body, response.latencyMs);
      }
    }
    return {
      ...tally.summary(),
      durationS: elapsedMs / 1000,
      sent: load.clients,
      socketErrors,
      timeouts,
      clientCpu: cpuShare(cpuBefore, elapsedMs),
    };
  } finally {
    agent.destroy();
  }
}

interface SentRequest {
  /** 0 when no response arrived. */
  status: number;
  body: string;
  latencyMs: number;
  timedOut: boolean;
}

function send(
  agent: Agent,
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  body: string | undefined,
  headers: Record<string, string>,
  timeoutS: number,
): Promise<SentRequest> {
  const url = new URL(path, baseUrl);
  const started = performance.now();
  return new Promise((resolve) => {
    const signal = AbortSignal.timeout(timeoutS * 1000);
    const req = request(
      {
        agent,
        method,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        signal,
        headers:
          body === undefined
            ? headers
            : { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            latencyMs: performance.now() - started,
            timedOut: false,
          }),
        );
        res.on('error', () => resolve({ status: 0, body: '', latencyMs: 0, timedOut: signal.aborted }));
      },
    );
    req.on('error', () => resolve({ status: 0, body: '', latencyMs: 0, timedOut: signal.aborted }));
    req.end(body);
  });
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(typeof value === 'string' ? value : JSON.stringify(value));
}

function cpuShare(before: NodeJS.CpuUsage, elapsedMs: number): number {
  const used = process.cpuUsage(before);
  return elapsedMs > 0 ? (used.user + used.system) / 1000 / elapsedMs : 0;
}
