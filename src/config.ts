import { z } from 'zod';

/** Where GetParticipant calls go: real AWS, an explicit endpoint, or the emulator started in-process. */
export type Backend =
  | { kind: 'aws'; region: string }
  | { kind: 'endpoint'; region: string; endpoint: string }
  | { kind: 'embedded-emulator'; region: string };

const positiveInt = z.coerce.number().int().positive();

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CORS_ORIGINS: z.string().default('*'),
  AWS_REGION: z.string().regex(/^[a-z0-9-]+$/, 'must look like us-east-1').optional(),
  IVS_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  IVS_ATTEMPT_TIMEOUT_MS: positiveInt.default(3000),
  IVS_MAX_ATTEMPTS: positiveInt.max(10).default(3),
  IVS_MAX_SOCKETS: positiveInt.default(50),
  LOOKUP_DEADLINE_MS: positiveInt.max(60_000).default(10_000),
  LOOKUP_CONCURRENCY: positiveInt.max(100).default(5),
  EMULATOR_QUOTA_TPS: z.coerce.number().int().min(0).default(5),
});

/** Validated, immutable settings of one gateway process. */
export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly host: string;
  readonly port: number;
  readonly logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** `'*'` or an explicit list of allowed browser origins. */
  readonly corsOrigins: '*' | readonly string[];
  readonly backend: Backend;
  readonly ivs: {
    /** Socket-level timeout of one HTTP attempt. */
    readonly attemptTimeoutMs: number;
    readonly maxAttempts: number;
    readonly maxSockets: number;
  };
  readonly lookup: {
    /** Overall budget of one participant lookup, retries included. */
    readonly deadlineMs: number;
    /** Upstream calls one GraphQL request may have in flight at once. */
    readonly concurrency: number;
  };
  readonly emulator: { readonly quotaTps: number };
}

/** A configuration problem, reported as one line naming the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses and validates the environment once; throws ConfigError on the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(blankToUndefined(env));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = issue?.path.join('.') ?? 'environment';
    throw new ConfigError(`Invalid configuration: ${variable}: ${issue?.message ?? 'invalid value'}`);
  }
  const e = parsed.data;
  return deepFreeze({
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    corsOrigins: parseOrigins(e.CORS_ORIGINS),
    backend: chooseBackend(e.IVS_ENDPOINT, e.AWS_REGION),
    ivs: {
      attemptTimeoutMs: e.IVS_ATTEMPT_TIMEOUT_MS,
      maxAttempts: e.IVS_MAX_ATTEMPTS,
      maxSockets: e.IVS_MAX_SOCKETS,
    },
    lookup: { deadlineMs: e.LOOKUP_DEADLINE_MS, concurrency: e.LOOKUP_CONCURRENCY },
    emulator: { quotaTps: e.EMULATOR_QUOTA_TPS },
  });
}

function chooseBackend(endpoint: string | undefined, region: string | undefined): Backend {
  if (endpoint) return { kind: 'endpoint', endpoint, region: region ?? 'us-east-1' };
  if (region) return { kind: 'aws', region };
  return { kind: 'embedded-emulator', region: 'us-east-1' };
}

function parseOrigins(value: string): '*' | string[] {
  if (value.trim() === '*') return '*';
  return value
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
}

// `FOO=` in a shell or .env file means "not set", not "set to the empty string".
function blankToUndefined(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === '' ? undefined : v]));
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child as object);
  }
  return Object.freeze(value);
}
