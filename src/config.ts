import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { describeRenamedVariables } from './configRenames.js';
import { isLocalDemo, isLoopbackHost } from './localDemo.js';
import {
  ivsOperations,
  ivsReadOperations,
  writeQuotaTps,
  type IvsOperation,
  type IvsReadOperation,
} from './ivs/operations/index.js';

/**
 * Where IVS calls go: real AWS, explicit endpoints, or the emulator started in-process. `regions` are the
 * AWS regions whose stages the gateway serves (a stage ARN's region picks one); `accountId` is the AWS
 * account whose stages it serves, `null` when it is not known.
 */
export type IvsTarget =
  | { kind: 'aws'; regions: readonly string[]; accountId: string | null }
  | {
      kind: 'endpoint';
      regions: readonly string[];
      accountId: string | null;
      /** The endpoint of each served region. */
      endpoints: Readonly<Record<string, string>>;
    }
  | { kind: 'embedded-emulator'; regions: readonly string[]; accountId: string };

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);
const flag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');
const port = z.coerce.number().int().min(0).max(65535);
const region = z.string().regex(/^[a-z0-9-]+$/, 'must look like us-east-1');
const endpointUrl = z.url({ protocol: /^https?$/ });
const regionList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  )
  .pipe(z.array(region).min(1));
// `us-east-1=http://127.0.0.1:4010,eu-central-1=http://127.0.0.1:4011`
const regionEndpoints = z.string().transform((value, context) => {
  const pairs = value
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    // The first `=` ends the region: a URL may hold more.
    .map((pair) => [pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1).trim()] as const);
  const valid = pairs.every(([name, url]) => region.safeParse(name).success && endpointUrl.safeParse(url).success);
  if (!valid || pairs.length === 0) {
    context.addIssue({ code: 'custom', message: 'must be a comma-separated list of region=URL (http or https)' });
    return z.NEVER;
  }
  return pairs;
});

// `ListParticipants=3,GetStage=10`: one variable for every per-operation setting of one kind.
function byOperation<Operation extends string>(operations: readonly Operation[], min: number, unit: string) {
  return z.string().transform((value, context) => {
    const pairs = value
      .split(',')
      .map((pair) => pair.split('=').map((part) => part.trim()))
      .filter((pair) => pair.join('') !== '');
    const settings: Partial<Record<Operation, number>> = {};
    for (const [operation, text, ...rest] of pairs) {
      const known = operations.find((name) => name === operation);
      const setting = Number(text);
      if (known === undefined || !Number.isInteger(setting) || setting < min || rest.length > 0) {
        context.addIssue({
          code: 'custom',
          message: `must be a comma-separated list of Operation=${unit}, the operation one of ${operations.join(', ')}`,
        });
        return z.NEVER;
      }
      settings[known] = setting;
    }
    return settings;
  });
}

/**
 * How long each operation's answers stay fresh. An open session (GetStageSession) follows ListStageSessions;
 * answers that cannot change and NOT_FOUND answers have settings of their own.
 */
const cacheTtlMsDefaults = {
  GetParticipant: 3000,
  GetStage: 10_000,
  ListStageSessions: 10_000,
  ListParticipants: 2000,
  ListParticipantEvents: 5000,
} as const satisfies Partial<Record<IvsReadOperation, number>>;
type CacheTtlOperation = keyof typeof cacheTtlMsDefaults;
const cacheTtlOperations = Object.keys(cacheTtlMsDefaults) as CacheTtlOperation[];
const cacheTtlMsByOperation = byOperation(cacheTtlOperations, 0, 'milliseconds')
  .transform((settings): Record<CacheTtlOperation, number> => ({ ...cacheTtlMsDefaults, ...settings }))
  .prefault('');

/** Asymmetric JWS algorithms only: `none` and HS* (shared secrets) are never accepted. */
const jwtAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export type JwtAlgorithm = (typeof jwtAlgorithms)[number];
const algorithmList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(z.enum(jwtAlgorithms, { error: `must be a comma-separated list of ${jwtAlgorithms.join(', ')}` })).min(1),
  );

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AWS_REGION: region.optional(),
  IVS_REGIONS: regionList.optional(),
  IVS_ENDPOINT: endpointUrl.optional(),
  IVS_REGION_ENDPOINTS: regionEndpoints.optional(),
  IVS_ACCOUNT_ID: z
    .string()
    .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
    .optional(),
  IVS_ATTEMPT_TIMEOUT_MS: positiveInt.default(3000),
  IVS_MAX_SOCKETS: positiveInt.default(50),
  IVS_TOKEN_SIGNING_KEY: z.string().optional(),
  IVS_TOKEN_PUBLIC_KEY_ARN: z
    .string()
    .regex(/^arn:aws:ivs:[a-z0-9-]+:[0-9]+:public-key\/[a-zA-Z0-9-]+$/, 'must be an IVS public-key ARN')
    .optional(),
  UPSTREAM_DEADLINE_MS: positiveInt.max(60_000).default(10_000),
  UPSTREAM_REQUEST_DEADLINE_MS: positiveInt.max(300_000).default(15_000),
  UPSTREAM_QUOTA_TPS: positiveInt.default(5),
  UPSTREAM_QUOTA_TPS_BY_OPERATION: byOperation(ivsOperations, 1, 'calls per second').optional(),
  UPSTREAM_QUOTA_MARGIN_MS: nonNegativeInt.max(1000).default(100),
  UPSTREAM_QUEUE_MAX: nonNegativeInt.default(50),
  UPSTREAM_QUEUE_MAX_PER_CALLER: nonNegativeInt.optional(),
  UPSTREAM_QUEUE_POLICY: z.enum(['fair', 'fifo']).default('fair'),
  UPSTREAM_REVALIDATE_MIN_INTERVAL_MS: nonNegativeInt.max(60_000).default(1000),
  UPSTREAM_MAX_ATTEMPTS: positiveInt.max(10).default(3),
  UPSTREAM_RETRY_BASE_MS: positiveInt.default(100),
  UPSTREAM_RETRY_MAX_MS: positiveInt.default(1000),
  UPSTREAM_BREAKER_THRESHOLD: positiveInt.default(5),
  UPSTREAM_BREAKER_COOLDOWN_MS: positiveInt.default(10_000),
  UPSTREAM_CACHE_MAX_ENTRIES: nonNegativeInt.default(10_000),
  UPSTREAM_CACHE_MAX_BYTES: positiveInt.default(32 * 1024 * 1024),
  UPSTREAM_CACHE_TTL_MS_BY_OPERATION: cacheTtlMsByOperation,
  UPSTREAM_CACHE_DISCONNECTED_TTL_MS: nonNegativeInt.default(60_000),
  UPSTREAM_CACHE_NOT_FOUND_TTL_MS: nonNegativeInt.default(2000),
  UPSTREAM_CACHE_STALE_MS: nonNegativeInt.default(300_000),
  UPSTREAM_CACHE_SETTLED_TTL_MS: nonNegativeInt.default(3_600_000),
  UPSTREAM_SERVE_STALE: flag.default(true),
  EMULATOR_QUOTA_TPS: z.coerce.number().int().min(0).default(5),
  EMULATOR_ACTIVITY_INTERVAL_MS: nonNegativeInt.optional(),
  EVENTS_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  EVENTS_API_KEY_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name')
    .default('x-events-api-key'),
  EVENTS_PATH: z
    .string()
    .regex(/^\/[A-Za-z0-9/_.-]*$/, 'must be a URL path like /events/ivs')
    .default('/events/ivs'),
  AUTH_MODE: z.enum(['none', 'jwt', 'api-key']).default('none'),
  AUTH_ALLOW_ANONYMOUS: flag.default(false),
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  AUTH_JWT_PUBLIC_KEY_FILE: z.string().optional(),
  AUTH_ISSUER: z.string().optional(),
  AUTH_AUDIENCE: z.string().optional(),
  AUTH_JWT_ALGORITHMS: algorithmList.default(['RS256', 'ES256']),
  AUTH_CLAIM_PREFIX: z.string().default('ivs_'),
  AUTH_ANONYMOUS_WRITES: flag.default(false),
  AUTH_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  AUTH_JWKS_MAX_AGE_SECONDS: positiveInt.max(86_400).default(600),
  AUTH_JWKS_COOLDOWN_SECONDS: nonNegativeInt.max(86_400).default(300),
  AUTH_JWKS_GRACE_SECONDS: nonNegativeInt.max(86_400).default(3600),
  AUTH_JWT_CACHE_MAX_ENTRIES: nonNegativeInt.default(10_000),
  AUTH_API_KEYS_FILE: z.string().optional(),
  AUTH_API_KEYS: z.string().optional(),
  LIMIT_PARTICIPANTS_PER_REQUEST: positiveInt.default(50),
  LIMIT_LIST_CALLS_PER_REQUEST: positiveInt.default(10),
  LIMIT_STAGE_LOOKUPS_PER_REQUEST: positiveInt.default(50),
  LIMIT_QUERY_DEPTH: positiveInt.default(10),
  LIMIT_ALIASES: positiveInt.default(100),
  LIMIT_DIRECTIVES: positiveInt.default(50),
  LIMIT_TOKENS: positiveInt.default(5000),
  HTTP_CORS_ORIGINS: z.string().default('*'),
  HTTP_BODY_LIMIT_BYTES: positiveInt.default(100 * 1024),
  HTTP_REQUEST_TIMEOUT_MS: positiveInt.default(30_000),
  HTTP_HEADERS_TIMEOUT_MS: positiveInt.default(10_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt.default(65_000),
  HTTP_CONNECTION_TIMEOUT_MS: nonNegativeInt.default(120_000),
  HTTP_MAX_CONNECTIONS: nonNegativeInt.default(1000),
  GRAPHQL_BATCHING: flag.default(false),
  GRAPHQL_BATCH_MAX_OPERATIONS: positiveInt.default(10),
  GRAPHQL_INTROSPECTION: flag.optional(),
  GRAPHQL_LANDING_PAGE: flag.optional(),
  GRAPHQL_STACK_TRACES: flag.optional(),
  GRAPHQL_APQ_MAX_BYTES: nonNegativeInt.default(8 * 1024 * 1024),
  GRAPHQL_TRUSTED_DOCUMENTS_FILE: z.string().optional(),
  GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: nonNegativeInt.max(60).default(1),
  GRAPHQL_RESPONSE_CACHE_MAX_BYTES: positiveInt.default(16 * 1024 * 1024),
  GRAPHQL_CURSOR_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  METRICS_PORT: port.optional(),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(15_000),
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).default(0),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL (user and password in the URL)' })
    .optional(),
  REDIS_KEY_PREFIX: z.string().default('ivs-gql:'),
  REDIS_COMMAND_TIMEOUT_MS: positiveInt.max(5000).default(250),
  REDIS_FLEET_SIZE_HINT: positiveInt.default(1),
  REDIS_NEAR_CACHE_TTL_MS: nonNegativeInt.max(60_000).default(500),
  LIVE_MAX_SUBSCRIPTIONS: positiveInt.default(10_000),
  LIVE_MAX_SUBSCRIPTIONS_PER_CALLER: positiveInt.default(100),
  LIVE_QUOTA_SHARE: z.coerce.number().gt(0).max(1).default(0.5),
  LIVE_MIN_INTERVAL_MS: positiveInt.default(1000),
  LIVE_LEASE_TTL_MS: z.coerce.number().int().min(300).default(3000),
  LIVE_KEEP_ALIVE_MS: nonNegativeInt.default(12_000),
  LIVE_MAX_BUFFERED_BYTES: positiveInt.default(1024 * 1024),
  LIVE_MAX_PENDING_UPDATES: positiveInt.default(16),
});

/** Every environment variable the gateway reads; the README's configuration table lists each one. */
export const configVariableNames: readonly string[] = Object.keys(envSchema.shape);

/** Each variable's default as it would be written in the environment; absent when unset is its default. */
export function configDefaults(): Readonly<Record<string, string>> {
  return Object.fromEntries(
    Object.entries(envSchema.shape).flatMap(([name, schema]) => {
      const value: unknown = schema.safeParse(undefined).data;
      return value === undefined ? [] : [[name, settingText(value)]];
    }),
  );
}

function settingText(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([key, item]) => `${key}=${String(item)}`)
      .join(',');
  }
  return String(value);
}

/** How callers prove who they are (see src/auth). */
export type AuthConfig =
  | {
      readonly mode: 'none';
      /** Whether anonymous callers may mint tokens and disconnect: always against the embedded emulator, else AUTH_ANONYMOUS_WRITES. */
      readonly anonymousWrites: boolean;
    }
  | {
      readonly mode: 'jwt';
      readonly keys:
        | { readonly kind: 'jwks-url'; readonly url: string }
        | { readonly kind: 'public-key-file'; readonly path: string };
      readonly issuer: string;
      readonly audience: string;
      readonly algorithms: readonly JwtAlgorithm[];
      /** Claim holding the stage ARN patterns the caller may read. */
      readonly stagesClaim: string;
      /** Claim holding the caller's quota weight (a number in (0, 100]; default 1). */
      readonly weightClaim: string;
      /** Claim that, when `false`, denies the caller revalidation (`Cache-Control: no-cache` is ignored). */
      readonly revalidateClaim: string;
      /** Claim listing the capabilities (`PUBLISH`, `SUBSCRIBE`) the caller may put into participant tokens. */
      readonly mintClaim: string;
      /** Claim that, when `true`, lets the caller disconnect participants. */
      readonly disconnectClaim: string;
      /** Claim that, when `true`, lets the caller's tokens name any user (else the `sub`). */
      readonly setUserIdClaim: string;
      readonly clockToleranceSeconds: number;
      /** How long fetched JWKS keys are used before they are fetched again: the longest a removed key still works. */
      readonly jwksMaxAgeSeconds: number;
      /** After any JWKS fetch, tokens with an unknown `kid` cause no other one for this long. */
      readonly jwksCooldownSeconds: number;
      /** While the JWKS cannot be fetched, keys past their max age still verify for this long. */
      readonly jwksGraceSeconds: number;
      /** Verified tokens remembered until their `exp`; 0 verifies every request. */
      readonly verifiedTokenCacheEntries: number;
    }
  | {
      readonly mode: 'api-key';
      /** Where the key entries (name, SHA-256 hash, stages) come from: a JSON file or the JSON itself. */
      readonly keys:
        { readonly kind: 'file'; readonly path: string } | { readonly kind: 'inline'; readonly json: string };
    };

/** Validated, immutable settings of one gateway process. */
export type Config = DeepReadonly<ReturnType<typeof buildConfig>>;

type DeepReadonly<T> = T extends readonly (infer Item)[]
  ? readonly DeepReadonly<Item>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** A configuration problem, reported as one line naming the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses and validates the environment once; throws ConfigError on the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const given = blankToUndefined(env);
  const renamed = describeRenamedVariables(given);
  if (renamed !== null) throw new ConfigError(`Invalid configuration: ${renamed}`);
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = issue?.path.join('.') ?? 'environment';
    throw new ConfigError(`Invalid configuration: ${variable}: ${issue?.message ?? 'invalid value'}`);
  }
  const e = parsed.data;
  if (e.UPSTREAM_RETRY_BASE_MS > e.UPSTREAM_RETRY_MAX_MS) {
    throw new ConfigError(
      `Invalid configuration: UPSTREAM_RETRY_BASE_MS: must be at most UPSTREAM_RETRY_MAX_MS (${e.UPSTREAM_RETRY_MAX_MS})`,
    );
  }
  // A delay as long as the whole budget would force every shutdown to exit 1 before the listener closed.
  if (e.SHUTDOWN_DELAY_MS >= e.SHUTDOWN_TIMEOUT_MS) {
    throw new ConfigError(
      `Invalid configuration: SHUTDOWN_DELAY_MS: must be less than SHUTDOWN_TIMEOUT_MS (${e.SHUTDOWN_TIMEOUT_MS})`,
    );
  }
  return deepFreeze(buildConfig(e));
}

type Env = z.infer<typeof envSchema>;

// The one mapping from variables to settings; its doc comments are what `Config` shows in an editor.
function buildConfig(e: Env) {
  const production = e.NODE_ENV === 'production';
  const ivsTarget = chooseIvsTarget(e, production);
  const localDemo = isLocalDemo(e.HOST, ivsTarget);
  return {
    env: e.NODE_ENV,
    /** Loopback host and the built-in emulator: the only place anything is open without being asked for (src/localDemo.ts). */
    localDemo,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    /** `'*'` or an explicit list of allowed browser origins. */
    corsOrigins: parseOrigins(e.HTTP_CORS_ORIGINS),
    ivsTarget,
    ivs: {
      /** Socket-level timeout of one HTTP attempt. */
      attemptTimeoutMs: e.IVS_ATTEMPT_TIMEOUT_MS,
      maxSockets: e.IVS_MAX_SOCKETS,
    },
    lookup: {
      /** Overall budget of one participant lookup: quota queueing, retries and calls. */
      deadlineMs: e.UPSTREAM_DEADLINE_MS,
      /** Overall budget of all lookups of one HTTP request: each lookup's deadline is capped by what is left. */
      requestDeadlineMs: e.UPSTREAM_REQUEST_DEADLINE_MS,
    },
    /** The protection layer between the per-request loaders and IVS; see src/upstream/. */
    upstream: {
      /**
       * Calls of each IVS operation allowed to start in any sliding window of one second plus `quotaMarginMs`:
       * UPSTREAM_QUOTA_TPS for the reads, AWS's 50 and 5 for the writes, unless UPSTREAM_QUOTA_TPS_BY_OPERATION says otherwise.
       */
      quotaTpsByOperation: {
        ...(Object.fromEntries(ivsReadOperations.map((operation) => [operation, e.UPSTREAM_QUOTA_TPS])) as Record<
          IvsReadOperation,
          number
        >),
        ...writeQuotaTps,
        ...e.UPSTREAM_QUOTA_TPS_BY_OPERATION,
      } as Record<IvsOperation, number>,
      /** Lengthens the window so network jitter cannot squeeze quotaTps + 1 arrivals into one IVS second. */
      quotaMarginMs: e.UPSTREAM_QUOTA_MARGIN_MS,
      /** Lookups that may wait for quota; one more fails THROTTLED at once. */
      queueMax: e.UPSTREAM_QUEUE_MAX,
      /**
       * Lookups one caller may have waiting; one more fails THROTTLED (CALLER_QUEUE_FULL) while others still
       * queue. Default: half the queue, so one caller can never fill it alone.
       */
      queueMaxPerCaller: e.UPSTREAM_QUEUE_MAX_PER_CALLER ?? Math.ceil(e.UPSTREAM_QUEUE_MAX / 2),
      /** `fair`: callers take turns (weighted); `fifo`: one line for everybody. */
      queuePolicy: e.UPSTREAM_QUEUE_POLICY,
      /** A `Cache-Control: no-cache` lookup this soon after IVS last answered for the key is served that answer. */
      revalidateMinIntervalMs: e.UPSTREAM_REVALIDATE_MIN_INTERVAL_MS,
      /** GetParticipant calls per lookup, the first included; the SDK itself never retries. */
      maxAttempts: e.UPSTREAM_MAX_ATTEMPTS,
      retryBaseDelayMs: e.UPSTREAM_RETRY_BASE_MS,
      retryMaxDelayMs: e.UPSTREAM_RETRY_MAX_MS,
      breaker: {
        /** Consecutive failed calls (5xx, network, timeout) that open the circuit. */
        threshold: e.UPSTREAM_BREAKER_THRESHOLD,
        /** How long an open circuit refuses calls before one probe may go through. */
        coolDownMs: e.UPSTREAM_BREAKER_COOLDOWN_MS,
      },
      cache: {
        /** 0 turns the cache off. */
        maxEntries: e.UPSTREAM_CACHE_MAX_ENTRIES,
        maxBytes: e.UPSTREAM_CACHE_MAX_BYTES,
        /** Freshness of a CONNECTED participant (or one without a state). */
        connectedTtlMs: e.UPSTREAM_CACHE_TTL_MS_BY_OPERATION.GetParticipant,
        /** Freshness of a DISCONNECTED participant: IVS never reconnects a participant ID. */
        disconnectedTtlMs: e.UPSTREAM_CACHE_DISCONNECTED_TTL_MS,
        notFoundTtlMs: e.UPSTREAM_CACHE_NOT_FOUND_TTL_MS,
        /** How long a participant is kept past its freshness, to be served stale when IVS cannot answer. */
        staleMs: e.UPSTREAM_CACHE_STALE_MS,
        /** Freshness of the stage reads (stages, sessions, rosters, participant events); each descriptor (src/ivs/operations/) says which gets which. */
        stageReads: {
          stageTtlMs: e.UPSTREAM_CACHE_TTL_MS_BY_OPERATION.GetStage,
          sessionsTtlMs: e.UPSTREAM_CACHE_TTL_MS_BY_OPERATION.ListStageSessions,
          rosterTtlMs: e.UPSTREAM_CACHE_TTL_MS_BY_OPERATION.ListParticipants,
          eventsTtlMs: e.UPSTREAM_CACHE_TTL_MS_BY_OPERATION.ListParticipantEvents,
          /** Answers that can no longer change: an ended session, a full page of events, a history that ended with LEFT. */
          settledTtlMs: e.UPSTREAM_CACHE_SETTLED_TTL_MS,
        },
      },
      serveStale: e.UPSTREAM_SERVE_STALE,
    },
    /**
     * Whole responses of identical queries by callers with the same grants. `ttlSeconds` is 0 (off) when the
     * participant cache is off, and never exceeds a CONNECTED participant's freshness.
     */
    responseCache: {
      ttlSeconds:
        e.UPSTREAM_CACHE_MAX_ENTRIES === 0
          ? 0
          : Math.min(
              e.GRAPHQL_RESPONSE_CACHE_TTL_SECONDS,
              Math.floor(e.UPSTREAM_CACHE_TTL_MS_BY_OPERATION.GetParticipant / 1000),
            ),
      maxBytes: e.GRAPHQL_RESPONSE_CACHE_MAX_BYTES,
    },
    emulator: {
      quotaTps: e.EMULATOR_QUOTA_TPS,
      /** One step of the demo town hall's activity script this often; 0 = none (the default under NODE_ENV=test). */
      activityIntervalMs: e.EMULATOR_ACTIVITY_INTERVAL_MS ?? (e.NODE_ENV === 'test' ? 0 : 4000),
    },
    events: chooseEvents(e, ivsTarget),
    auth: chooseAuth(e, localDemo, ivsTarget),
    /** How participant tokens are made (src/tokens/): `null` calls CreateParticipantToken; else the gateway signs them. */
    tokenSigning: chooseTokenSigning(e),
    /** Checked before execution; a request over any of them costs no IVS call. */
    limits: {
      /** Participant lookups an operation may cause: distinct `participant` keys, `_entities` representations, participant `node` IDs and roster detail lookups. */
      maxParticipants: e.LIMIT_PARTICIPANTS_PER_REQUEST,
      /** List calls (roster, session and event pages) an operation may cause, counted for every connection it can reach. */
      maxListCalls: e.LIMIT_LIST_CALLS_PER_REQUEST,
      /** GetStage and GetStageSession lookups a request may cause: distinct keys, plus `activeSession` per stage and `session` per roster page. */
      maxStageLookups: e.LIMIT_STAGE_LOOKUPS_PER_REQUEST,
      /** Operations one batched HTTP request may carry; more is refused BATCH_TOO_LARGE before anything runs. */
      maxBatchOperations: e.GRAPHQL_BATCH_MAX_OPERATIONS,
      maxDepth: e.LIMIT_QUERY_DEPTH,
      maxAliases: e.LIMIT_ALIASES,
      maxDirectives: e.LIMIT_DIRECTIVES,
      maxTokens: e.LIMIT_TOKENS,
    },
    http: {
      bodyLimitBytes: e.HTTP_BODY_LIMIT_BYTES,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      /** A connection that has not sent a whole request head within this is closed (a half-sent request). */
      // A head cannot take longer than its whole request (and Node refuses a longer head timeout).
      headersTimeoutMs: Math.min(e.HTTP_HEADERS_TIMEOUT_MS, e.HTTP_REQUEST_TIMEOUT_MS),
      /** An idle keep-alive connection is closed after this; behind a load balancer, longer than its idle timeout. */
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      /** A socket with no activity at all for this long is closed; 0 never. */
      connectionTimeoutMs: e.HTTP_CONNECTION_TIMEOUT_MS,
      /** Open connections at most; one more is closed at once. 0: no cap. */
      maxConnections: e.HTTP_MAX_CONNECTIONS,
    },
    graphql: {
      batching: e.GRAPHQL_BATCHING,
      introspection: e.GRAPHQL_INTROSPECTION ?? localDemo,
      landingPage: e.GRAPHQL_LANDING_PAGE ?? localDemo,
      /** Stack traces in error responses: a developer's aid that tells an attacker file paths and versions. */
      stackTraces: e.GRAPHQL_STACK_TRACES ?? (localDemo && e.NODE_ENV === 'development'),
      /** Bound of the automatic-persisted-query store; 0 turns APQ off. */
      apqMaxBytes: e.GRAPHQL_APQ_MAX_BYTES,
      /** A manifest of the only operations accepted (sha256 → document); null accepts any document. */
      trustedDocumentsFile: e.GRAPHQL_TRUSTED_DOCUMENTS_FILE ?? null,
    },
    /** Signs connection cursors; `null`: a random secret of this process (see src/resolvers/cursor.ts). */
    cursorSecret: chooseCursorSecret(e),
    /** `port: null` serves /metrics on the main port; `token: null` serves it without a bearer token. */
    metrics: chooseMetrics(e),
    /** `null`: no tracing, and no OpenTelemetry code is loaded. */
    tracing: { otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT ?? null },
    /** `null`: one process on its own, everything in memory. Otherwise replicas share quota, cache and flights. */
    redis:
      e.REDIS_URL === undefined
        ? null
        : {
            url: e.REDIS_URL,
            /** Starts every key and channel, so several gateways (or environments) can share one Redis. */
            keyPrefix: e.REDIS_KEY_PREFIX,
            /** A command slower than this counts as Redis failing: the lookup goes on locally. */
            commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
            /** The fleet size a replica assumes for its local share of the quota if it never reached Redis. */
            fleetSizeHint: e.REDIS_FLEET_SIZE_HINT,
            /** How long a replica keeps its own copy of a shared cache entry. */
            nearCacheTtlMs: e.REDIS_NEAR_CACHE_TTL_MS,
          },
    /** Subscriptions (src/live/): limits, the quota share of background refreshes, the fleet-wide watcher lease. */
    live: {
      /** Open subscriptions of this process, all callers together. */
      maxSubscriptions: e.LIVE_MAX_SUBSCRIPTIONS,
      /** Open subscriptions of one caller on this process. */
      maxSubscriptionsPerCaller: e.LIVE_MAX_SUBSCRIPTIONS_PER_CALLER,
      /** The part of each operation's quota that background refreshes may use; queries keep the rest. */
      quotaShare: e.LIVE_QUOTA_SHARE,
      /** No watched key is refreshed more often than this, however few keys are watched. */
      minIntervalMs: e.LIVE_MIN_INTERVAL_MS,
      /** A watcher lease not renewed for this long is taken over by another replica. */
      leaseTtlMs: e.LIVE_LEASE_TTL_MS,
      /** WebSocket ping interval (0: none); a socket that does not answer within it is dropped. */
      keepAliveMs: e.LIVE_KEEP_ALIVE_MS,
      /** A WebSocket whose unsent data exceeds this is closed (1013): a consumer that cannot keep up. */
      maxBufferedBytes: e.LIVE_MAX_BUFFERED_BYTES,
      /** Updates one subscription may have waiting; past it they are replaced by the current state (a reset). */
      maxPendingUpdates: e.LIVE_MAX_PENDING_UPDATES,
    },
    shutdown: {
      /** Past this, the process gives up on in-flight requests and exits non-zero. */
      timeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      /** How long /readyz reports 503 before the listener closes, so load balancers stop sending first. */
      delayMs: e.SHUTDOWN_DELAY_MS,
    },
  };
}

// Replicas behind one load balancer must accept each other's cursors: a random secret per process would
// make a client's next page fail whenever it lands on another replica.
function chooseCursorSecret(e: Env): string | null {
  if (e.GRAPHQL_CURSOR_SECRET === undefined && e.NODE_ENV === 'production' && e.REDIS_URL !== undefined) {
    throw new ConfigError(
      'Invalid configuration: GRAPHQL_CURSOR_SECRET: required with NODE_ENV=production and REDIS_URL (every replica must accept the cursors of the others)',
    );
  }
  return e.GRAPHQL_CURSOR_SECRET ?? null;
}

// The gateway's AWS identity can read every participant of the account: serving it without caller
// authentication anywhere but the local demo must be a deliberate, visible choice.
function chooseAuth(e: Env, localDemo: boolean, target: IvsTarget): AuthConfig {
  if (e.AUTH_MODE === 'none') {
    if (!localDemo && !e.AUTH_ALLOW_ANONYMOUS) {
      const where =
        e.NODE_ENV === 'production'
          ? 'with NODE_ENV=production'
          : `beyond the local demo (HOST=${e.HOST} on loopback with the built-in emulator)`;
      throw new ConfigError(
        `Invalid configuration: AUTH_MODE: none is refused ${where}; set AUTH_MODE=jwt or api-key, or AUTH_ALLOW_ANONYMOUS=true to let anyone who reaches the port read every stage`,
      );
    }
    // Anyone who reaches the port could mint tokens for real stages: against AWS only when granted explicitly.
    return { mode: 'none', anonymousWrites: target.kind === 'embedded-emulator' || e.AUTH_ANONYMOUS_WRITES };
  }
  if (e.AUTH_MODE === 'api-key') {
    const keys = exactlyOne('AUTH_API_KEYS_FILE', e.AUTH_API_KEYS_FILE, 'AUTH_API_KEYS', e.AUTH_API_KEYS);
    return {
      mode: 'api-key',
      keys:
        keys.name === 'AUTH_API_KEYS_FILE' ? { kind: 'file', path: keys.value } : { kind: 'inline', json: keys.value },
    };
  }
  const keys = exactlyOne('AUTH_JWKS_URL', e.AUTH_JWKS_URL, 'AUTH_JWT_PUBLIC_KEY_FILE', e.AUTH_JWT_PUBLIC_KEY_FILE);
  if (keys.name === 'AUTH_JWKS_URL' && e.NODE_ENV === 'production' && !keys.value.startsWith('https:')) {
    throw new ConfigError('Invalid configuration: AUTH_JWKS_URL: must be https with NODE_ENV=production');
  }
  return {
    mode: 'jwt',
    keys:
      keys.name === 'AUTH_JWKS_URL'
        ? { kind: 'jwks-url', url: keys.value }
        : { kind: 'public-key-file', path: keys.value },
    issuer: required('AUTH_ISSUER', e.AUTH_ISSUER),
    audience: required('AUTH_AUDIENCE', e.AUTH_AUDIENCE),
    algorithms: e.AUTH_JWT_ALGORITHMS,
    stagesClaim: `${e.AUTH_CLAIM_PREFIX}stages`,
    weightClaim: `${e.AUTH_CLAIM_PREFIX}weight`,
    revalidateClaim: `${e.AUTH_CLAIM_PREFIX}revalidate`,
    mintClaim: `${e.AUTH_CLAIM_PREFIX}mint`,
    disconnectClaim: `${e.AUTH_CLAIM_PREFIX}disconnect`,
    setUserIdClaim: `${e.AUTH_CLAIM_PREFIX}set_user_id`,
    clockToleranceSeconds: e.AUTH_CLOCK_TOLERANCE_SECONDS,
    jwksMaxAgeSeconds: e.AUTH_JWKS_MAX_AGE_SECONDS,
    jwksCooldownSeconds: e.AUTH_JWKS_COOLDOWN_SECONDS,
    jwksGraceSeconds: e.AUTH_JWKS_GRACE_SECONDS,
    verifiedTokenCacheEntries: e.AUTH_JWT_CACHE_MAX_ENTRIES,
  };
}

function chooseTokenSigning(e: Env): { readonly key: string; readonly publicKeyArn: string } | null {
  if (e.IVS_TOKEN_SIGNING_KEY === undefined && e.IVS_TOKEN_PUBLIC_KEY_ARN === undefined) return null;
  if (e.IVS_TOKEN_SIGNING_KEY === undefined) {
    throw new ConfigError('Invalid configuration: IVS_TOKEN_SIGNING_KEY: required with IVS_TOKEN_PUBLIC_KEY_ARN');
  }
  if (e.IVS_TOKEN_PUBLIC_KEY_ARN === undefined) {
    throw new ConfigError('Invalid configuration: IVS_TOKEN_PUBLIC_KEY_ARN: required with IVS_TOKEN_SIGNING_KEY');
  }
  /** `key`: a P-384 private key in PEM, or the path of a file holding one (read at start). */
  return { key: e.IVS_TOKEN_SIGNING_KEY, publicKeyArn: e.IVS_TOKEN_PUBLIC_KEY_ARN };
}

function exactlyOne(nameA: string, a: string | undefined, nameB: string, b: string | undefined) {
  if (a !== undefined && b !== undefined) {
    throw new ConfigError(`Invalid configuration: ${nameA}: set either ${nameA} or ${nameB}, not both`);
  }
  if (a !== undefined) return { name: nameA, value: a };
  if (b !== undefined) return { name: nameB, value: b };
  throw new ConfigError(`Invalid configuration: ${nameA}: required by this AUTH_MODE (or ${nameB})`);
}

function required(name: string, value: string | undefined): string {
  if (value === undefined) throw new ConfigError(`Invalid configuration: ${name}: required when AUTH_MODE=jwt`);
  return value;
}

// /metrics names API keys (the per-caller series) and quota domains (the AWS account): beyond this
// machine, or in production, it needs a token or a port of its own.
function chooseMetrics(e: Env): { port: number | null; token: string | null } {
  const port = chooseMetricsPort(e.METRICS_PORT, e.PORT);
  const token = e.METRICS_TOKEN ?? null;
  if (port === null && token === null && (e.NODE_ENV === 'production' || !isLoopbackHost(e.HOST))) {
    throw new ConfigError(
      `Invalid configuration: METRICS_TOKEN: required for /metrics on the main port ${e.NODE_ENV === 'production' ? 'with NODE_ENV=production' : `with HOST=${e.HOST} (beyond loopback)`}; set METRICS_TOKEN, or METRICS_PORT to serve it on a port of its own`,
    );
  }
  return { port, token };
}

function chooseMetricsPort(metricsPort: number | undefined, mainPort: number): number | null {
  if (metricsPort === undefined) return null;
  if (metricsPort !== 0 && metricsPort === mainPort) {
    throw new ConfigError(
      'Invalid configuration: METRICS_PORT: must differ from PORT (leave it unset to serve /metrics on PORT)',
    );
  }
  return metricsPort;
}

/**
 * The EventBridge endpoint: off without EVENTS_API_KEY, except in front of the embedded emulator, whose
 * demo posts its events with a key generated here (it never leaves the process).
 */
function chooseEvents(e: Env, ivsTarget: IvsTarget) {
  const demo = ivsTarget.kind === 'embedded-emulator';
  const apiKey = e.EVENTS_API_KEY ?? (demo ? randomBytes(24).toString('base64url') : undefined);
  if (apiKey === undefined) return null;
  return { path: e.EVENTS_PATH, apiKey, apiKeyHeader: e.EVENTS_API_KEY_HEADER.toLowerCase() };
}

/** The account and regions of the emulator's demo data (src/emulator/seed.json). */
export const emulatorAccount = { regions: ['us-east-1', 'eu-central-1'], accountId: '123456789012' } as const;

function chooseIvsTarget(e: Env, production: boolean): IvsTarget {
  const accountId = e.IVS_ACCOUNT_ID ?? null;
  const endpoints = new Map(e.IVS_REGION_ENDPOINTS ?? []);
  const listed = e.IVS_REGIONS ?? (endpoints.size > 0 ? [...endpoints.keys()] : e.AWS_REGION && [e.AWS_REGION]);
  const regions = [...new Set(listed || [])];
  if (e.IVS_ENDPOINT !== undefined || endpoints.size > 0) {
    if (regions.length === 0) regions.push('us-east-1');
    for (const name of endpoints.keys()) {
      if (!regions.includes(name)) {
        throw new ConfigError(`Invalid configuration: IVS_REGION_ENDPOINTS: ${name} is not one of IVS_REGIONS`);
      }
    }
    const endpointOf = (name: string): string => {
      const endpoint = endpoints.get(name) ?? e.IVS_ENDPOINT;
      if (endpoint !== undefined) return endpoint;
      throw new ConfigError(
        `Invalid configuration: IVS_REGION_ENDPOINTS: no endpoint for ${name} (or set IVS_ENDPOINT)`,
      );
    };
    return {
      kind: 'endpoint',
      regions,
      accountId,
      endpoints: Object.fromEntries(regions.map((name) => [name, endpointOf(name)])),
    };
  }
  if (regions.length > 0) return { kind: 'aws', regions, accountId };
  if (production) {
    throw new ConfigError(
      'Invalid configuration: AWS_REGION: required with NODE_ENV=production (or IVS_REGIONS, IVS_ENDPOINT); the built-in emulator only serves demo data',
    );
  }
  return { kind: 'embedded-emulator', ...emulatorAccount };
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
