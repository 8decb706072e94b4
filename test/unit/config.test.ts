import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, configVariableNames, loadConfig } from '../../src/config.js';
import { renamedVariables } from '../../src/configRenames.js';

// Anonymous callers beyond the local demo (the tests below that configure an IVS backend) must be allowed explicitly.
const anonymous = { AUTH_ALLOW_ANONYMOUS: 'true' } as const;
// In production or beyond loopback, /metrics needs a token (or a port of its own).
const scrapeToken = { METRICS_TOKEN: 'scrape-token-0123456789' } as const;
const jwt = { AUTH_MODE: 'jwt', AUTH_JWKS_URL: 'https://idp.example.com/jwks', AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' };

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.doesNotMatch(error.message, /\n/, 'one line');
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

describe('configuration: authentication', () => {
  test('production refuses AUTH_MODE=none, in one line that names the way out', () => {
    const message = refusal({ NODE_ENV: 'production', AWS_REGION: 'us-east-1' });
    assert.match(message, /AUTH_MODE/);
    assert.match(message, /AUTH_ALLOW_ANONYMOUS=true/);
  });

  test('production with AUTH_MODE=none starts when AUTH_ALLOW_ANONYMOUS=true says so explicitly', () => {
    assert.equal(
      loadConfig({ NODE_ENV: 'production', AWS_REGION: 'us-east-1', ...anonymous, ...scrapeToken }).auth.mode,
      'none',
    );
  });

  test('development defaults to AUTH_MODE=none; anonymous writes only against the embedded emulator', () => {
    assert.deepEqual(loadConfig({}).auth, { mode: 'none', anonymousWrites: true });
    const anonymous = { AUTH_ALLOW_ANONYMOUS: 'true' };
    assert.deepEqual(loadConfig({ ...anonymous, AWS_REGION: 'us-east-1' }).auth, {
      mode: 'none',
      anonymousWrites: false,
    });
    assert.deepEqual(
      loadConfig({ ...anonymous, IVS_ENDPOINT: 'http://127.0.0.1:1', AUTH_ANONYMOUS_WRITES: 'true' }).auth,
      {
        mode: 'none',
        anonymousWrites: true,
      },
    );
    assert.match(refusal({ AUTH_ANONYMOUS_WRITES: 'yes' }), /AUTH_ANONYMOUS_WRITES/);
  });

  test('the claims are named ivs_stages, ivs_weight, ivs_revalidate, ivs_mint, ivs_disconnect, ivs_set_user_id; AUTH_CLAIM_PREFIX changes the prefix', () => {
    const claims = (env: Record<string, string>) => {
      const auth = loadConfig(env).auth;
      assert.equal(auth.mode, 'jwt');
      const { stagesClaim, weightClaim, revalidateClaim, mintClaim, disconnectClaim, setUserIdClaim } = auth;
      return [stagesClaim, weightClaim, revalidateClaim, mintClaim, disconnectClaim, setUserIdClaim];
    };
    const names = ['stages', 'weight', 'revalidate', 'mint', 'disconnect', 'set_user_id'];
    assert.deepEqual(
      claims(jwt),
      names.map((name) => `ivs_${name}`),
    );
    assert.deepEqual(
      claims({ ...jwt, AUTH_CLAIM_PREFIX: 'https://example.com/' }),
      names.map((name) => `https://example.com/${name}`),
    );
  });

  test('self-signed tokens need both the signing key and the public key ARN', () => {
    const arn = 'arn:aws:ivs:us-east-1:123456789012:public-key/f99cde61-c2b0-4df3-8941-ca7d38acca1a';
    assert.equal(loadConfig({}).tokenSigning, null);
    assert.deepEqual(
      loadConfig({ IVS_TOKEN_SIGNING_KEY: '/keys/ivs.pem', IVS_TOKEN_PUBLIC_KEY_ARN: arn }).tokenSigning,
      {
        key: '/keys/ivs.pem',
        publicKeyArn: arn,
      },
    );
    assert.match(refusal({ IVS_TOKEN_SIGNING_KEY: '/keys/ivs.pem' }), /IVS_TOKEN_PUBLIC_KEY_ARN: required/);
    assert.match(refusal({ IVS_TOKEN_PUBLIC_KEY_ARN: arn }), /IVS_TOKEN_SIGNING_KEY: required/);
    assert.match(
      refusal({ IVS_TOKEN_SIGNING_KEY: '/k', IVS_TOKEN_PUBLIC_KEY_ARN: 'arn:aws:ivs:us-east-1:1:stage/x' }),
      /IVS_TOKEN_PUBLIC_KEY_ARN: must be an IVS public-key ARN/,
    );
  });

  test('AUTH_MODE=none serves anonymous callers without more ado only on the local demo: loopback and the emulator', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) {
      const config = loadConfig({ HOST: host });
      assert.equal(config.localDemo, true, host);
      assert.equal(config.auth.mode, 'none', host);
    }
    const beyondTheDemo: Record<string, string>[] = [
      { HOST: '0.0.0.0' },
      { HOST: '::' },
      { HOST: '10.0.0.5' },
      { HOST: 'gateway.internal' },
      { AWS_REGION: 'us-east-1' },
      { IVS_ENDPOINT: 'http://127.0.0.1:4010' },
    ];
    for (const env of beyondTheDemo) {
      const message = refusal(env);
      assert.match(message, /AUTH_MODE: none is refused beyond the local demo/, JSON.stringify(env));
      assert.match(message, /AUTH_ALLOW_ANONYMOUS=true/);
      assert.equal(loadConfig({ ...env, ...anonymous, ...scrapeToken }).localDemo, false, JSON.stringify(env));
    }
  });

  test('jwt needs an issuer, an audience, and exactly one key source', () => {
    assert.match(refusal({ ...jwt, AUTH_ISSUER: '' }), /AUTH_ISSUER/);
    assert.match(refusal({ ...jwt, AUTH_AUDIENCE: '' }), /AUTH_AUDIENCE/);
    assert.match(refusal({ ...jwt, AUTH_JWKS_URL: '' }), /AUTH_JWKS_URL/);
    assert.match(refusal({ ...jwt, AUTH_JWT_PUBLIC_KEY_FILE: '/k.pem' }), /not both/);
  });

  test('jwt defaults: RS256 and ES256, the ivs_stages claim', () => {
    const { auth } = loadConfig(jwt);
    assert.equal(auth.mode, 'jwt');
    assert.deepEqual(auth.mode === 'jwt' && auth.algorithms, ['RS256', 'ES256']);
    assert.equal(auth.mode === 'jwt' && auth.stagesClaim, 'ivs_stages');
  });

  test('the algorithm list refuses none and shared-secret algorithms', () => {
    for (const algorithms of ['none', 'HS256', 'RS256,HS512']) {
      assert.match(refusal({ ...jwt, AUTH_JWT_ALGORITHMS: algorithms }), /AUTH_JWT_ALGORITHMS/);
    }
  });

  test('production refuses a JWKS over plain http', () => {
    assert.match(
      refusal({ ...jwt, NODE_ENV: 'production', AWS_REGION: 'us-east-1', AUTH_JWKS_URL: 'http://idp/jwks' }),
      /https/,
    );
  });

  test('api-key needs AUTH_API_KEYS_FILE or AUTH_API_KEYS', () => {
    assert.match(refusal({ AUTH_MODE: 'api-key' }), /AUTH_API_KEYS/);
  });
});

describe('configuration: request limits and GraphQL surface', () => {
  test('defaults: 50 participants per request, 100 KiB bodies, batching off', () => {
    const config = loadConfig({});
    assert.equal(config.limits.maxParticipants, 50);
    assert.equal(config.http.bodyLimitBytes, 102_400);
    assert.equal(config.graphql.batching, false);
  });

  test('introspection, the landing page and stack traces are on for the local demo, off beyond it unless enabled', () => {
    const persisted = { apqMaxBytes: 8 * 1024 * 1024, trustedDocumentsFile: null };
    const open = { introspection: true, landingPage: true, stackTraces: true };
    const closed = { introspection: false, landingPage: false, stackTraces: false };
    assert.deepEqual(loadConfig({}).graphql, { batching: false, ...open, ...persisted });
    assert.deepEqual(loadConfig({ NODE_ENV: 'test' }).graphql.stackTraces, false, 'stack traces only in development');
    const production = { NODE_ENV: 'production', AWS_REGION: 'us-east-1', ...anonymous, ...scrapeToken };
    const beyondLoopback = { HOST: '0.0.0.0', ...anonymous, ...scrapeToken };
    const realAws = { AWS_REGION: 'us-east-1', ...anonymous };
    for (const env of [production, beyondLoopback, realAws]) {
      assert.deepEqual(loadConfig(env).graphql, { batching: false, ...closed, ...persisted }, JSON.stringify(env));
      const enabled = loadConfig({
        ...env,
        GRAPHQL_INTROSPECTION: 'true',
        GRAPHQL_LANDING_PAGE: '1',
        GRAPHQL_STACK_TRACES: 'true',
      });
      assert.deepEqual(enabled.graphql, { batching: false, ...open, ...persisted });
    }
  });

  test('the head timeout never exceeds the whole request timeout', () => {
    assert.equal(loadConfig({}).http.headersTimeoutMs, 10_000);
    assert.equal(loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000' }).http.headersTimeoutMs, 5000);
  });

  test('a limit must be a positive integer', () => {
    assert.match(refusal({ LIMIT_PARTICIPANTS_PER_REQUEST: '0' }), /LIMIT_PARTICIPANTS_PER_REQUEST/);
    assert.match(refusal({ LIMIT_QUERY_DEPTH: 'deep' }), /LIMIT_QUERY_DEPTH/);
  });
});

describe('configuration: operations', () => {
  test('metrics are served on the main port without a token by default', () => {
    assert.deepEqual(loadConfig({}).metrics, { port: null, token: null });
  });

  test('in production or beyond loopback, /metrics on the main port needs METRICS_TOKEN; METRICS_PORT is the alternative', () => {
    const production = { NODE_ENV: 'production', AWS_REGION: 'us-east-1', ...anonymous };
    const beyondLoopback = { HOST: '0.0.0.0', ...anonymous };
    for (const env of [production, beyondLoopback]) {
      assert.match(
        refusal(env),
        /^Invalid configuration: METRICS_TOKEN: required for \/metrics on the main port.*METRICS_PORT/,
      );
      assert.deepEqual(loadConfig({ ...env, ...scrapeToken }).metrics, {
        port: null,
        token: scrapeToken.METRICS_TOKEN,
      });
      assert.deepEqual(loadConfig({ ...env, METRICS_PORT: '9464' }).metrics, { port: 9464, token: null });
    }
  });

  test('METRICS_PORT must differ from PORT, and METRICS_TOKEN must not be trivially short', () => {
    assert.match(refusal({ PORT: '4000', METRICS_PORT: '4000' }), /METRICS_PORT/);
    assert.match(refusal({ METRICS_TOKEN: 'short' }), /METRICS_TOKEN/);
  });

  test('tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT is set', () => {
    assert.equal(loadConfig({}).tracing.otlpEndpoint, null);
    assert.equal(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).tracing.otlpEndpoint,
      'http://127.0.0.1:4318',
    );
  });

  test('shutdown: 15 s budget, no delay by default', () => {
    assert.deepEqual(loadConfig({}).shutdown, { timeoutMs: 15_000, delayMs: 0 });
  });
});

describe('configuration: backend', () => {
  test('IVS_ENDPOINT wins over AWS_REGION; AWS_REGION alone means real AWS; neither means the embedded emulator', () => {
    assert.deepEqual(
      loadConfig({ ...anonymous, IVS_ENDPOINT: 'http://127.0.0.1:4010', AWS_REGION: 'eu-west-1' }).ivsTarget,
      {
        kind: 'endpoint',
        endpoints: { 'eu-west-1': 'http://127.0.0.1:4010' },
        regions: ['eu-west-1'],
        accountId: null,
      },
    );
    assert.deepEqual(loadConfig({ ...anonymous, AWS_REGION: 'eu-west-1' }).ivsTarget, {
      kind: 'aws',
      regions: ['eu-west-1'],
      accountId: null,
    });
    assert.deepEqual(loadConfig({}).ivsTarget, {
      kind: 'embedded-emulator',
      regions: ['us-east-1', 'eu-central-1'],
      accountId: '123456789012',
    });
  });

  test('IVS_ACCOUNT_ID names the account whose stages are served; it must be 12 digits', () => {
    assert.deepEqual(loadConfig({ ...anonymous, AWS_REGION: 'eu-west-1', IVS_ACCOUNT_ID: '210987654321' }).ivsTarget, {
      kind: 'aws',
      regions: ['eu-west-1'],
      accountId: '210987654321',
    });
    assert.throws(
      () => loadConfig({ ...anonymous, AWS_REGION: 'eu-west-1', IVS_ACCOUNT_ID: '1234' }),
      /IVS_ACCOUNT_ID: must be a 12-digit/,
    );
  });

  test('IVS_REGIONS serves several regions; IVS_REGION_ENDPOINTS gives each its own endpoint', () => {
    assert.deepEqual(
      loadConfig({ ...anonymous, IVS_REGIONS: 'us-east-1, eu-central-1', AWS_REGION: 'eu-west-1' }).ivsTarget,
      {
        kind: 'aws',
        regions: ['us-east-1', 'eu-central-1'],
        accountId: null,
      },
    );
    const endpoints = 'us-east-1=http://127.0.0.1:4010,eu-central-1=http://127.0.0.1:4011';
    assert.deepEqual(loadConfig({ ...anonymous, IVS_REGION_ENDPOINTS: endpoints }).ivsTarget, {
      kind: 'endpoint',
      regions: ['us-east-1', 'eu-central-1'],
      endpoints: { 'us-east-1': 'http://127.0.0.1:4010', 'eu-central-1': 'http://127.0.0.1:4011' },
      accountId: null,
    });
    // IVS_ENDPOINT is the endpoint of every listed region without one of its own.
    assert.deepEqual(
      loadConfig({
        ...anonymous,
        IVS_REGIONS: 'us-east-1,eu-central-1',
        IVS_ENDPOINT: 'http://127.0.0.1:4010',
        IVS_REGION_ENDPOINTS: 'eu-central-1=http://127.0.0.1:4011',
      }).ivsTarget,
      {
        kind: 'endpoint',
        regions: ['us-east-1', 'eu-central-1'],
        endpoints: { 'us-east-1': 'http://127.0.0.1:4010', 'eu-central-1': 'http://127.0.0.1:4011' },
        accountId: null,
      },
    );
  });

  test("UPSTREAM_QUOTA_TPS is every read's quota, the writes have AWS's; UPSTREAM_QUOTA_TPS_BY_OPERATION names the exceptions", () => {
    const quotas = loadConfig({
      UPSTREAM_QUOTA_TPS: '4',
      UPSTREAM_QUOTA_TPS_BY_OPERATION: 'ListParticipants=1, GetStage=10',
    }).upstream.quotaTpsByOperation;
    assert.deepEqual(quotas, {
      GetParticipant: 4,
      GetStage: 10,
      GetStageSession: 4,
      ListStageSessions: 4,
      ListParticipants: 1,
      ListParticipantEvents: 4,
      CreateParticipantToken: 50,
      DisconnectParticipant: 5,
    });
    const writes = loadConfig({ UPSTREAM_QUOTA_TPS_BY_OPERATION: 'CreateParticipantToken=20,DisconnectParticipant=2' })
      .upstream.quotaTpsByOperation;
    assert.equal(writes.CreateParticipantToken, 20);
    assert.equal(writes.DisconnectParticipant, 2);
    for (const bad of ['ListParticipants', 'Nope=3', 'GetStage=0', 'GetStage=1.5', 'GetStage=2=3']) {
      assert.throws(
        () => loadConfig({ UPSTREAM_QUOTA_TPS_BY_OPERATION: bad }),
        /UPSTREAM_QUOTA_TPS_BY_OPERATION: must be a comma-separated list of Operation=calls per second/,
        bad,
      );
    }
  });

  test('UPSTREAM_CACHE_TTL_MS_BY_OPERATION sets the freshness of the operations it names; the others keep theirs', () => {
    const defaults = loadConfig({}).upstream.cache;
    assert.equal(defaults.connectedTtlMs, 3000);
    assert.deepEqual(
      { ...defaults.stageReads },
      { stageTtlMs: 10_000, sessionsTtlMs: 10_000, rosterTtlMs: 2000, eventsTtlMs: 5000, settledTtlMs: 3_600_000 },
    );
    const cache = loadConfig({
      UPSTREAM_CACHE_TTL_MS_BY_OPERATION: 'GetParticipant=60000, ListParticipants=0,ListStageSessions=7000',
    }).upstream.cache;
    assert.equal(cache.connectedTtlMs, 60_000);
    assert.deepEqual(
      { ...cache.stageReads },
      { stageTtlMs: 10_000, sessionsTtlMs: 7000, rosterTtlMs: 0, eventsTtlMs: 5000, settledTtlMs: 3_600_000 },
    );
    for (const bad of ['GetStageSession=1000', 'CreateParticipantToken=1', 'GetStage=-1', 'GetStage']) {
      assert.match(
        refusal({ UPSTREAM_CACHE_TTL_MS_BY_OPERATION: bad }),
        /UPSTREAM_CACHE_TTL_MS_BY_OPERATION: must be a comma-separated list of Operation=milliseconds, the operation one of GetParticipant, GetStage, ListStageSessions, ListParticipants, ListParticipantEvents/,
        bad,
      );
    }
  });

  test('the whole-response cache never outlives a CONNECTED participant: its TTL is capped by GetParticipant freshness', () => {
    const config = loadConfig({
      GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: '30',
      UPSTREAM_CACHE_TTL_MS_BY_OPERATION: 'GetParticipant=2500',
    });
    assert.equal(config.responseCache.ttlSeconds, 2);
  });

  test('region settings that cannot work are refused, naming the variable', () => {
    const refused = (env: Record<string, string>, pattern: RegExp) =>
      assert.throws(
        () => loadConfig(env),
        (error: Error) => error instanceof ConfigError && pattern.test(error.message),
      );
    refused({ IVS_REGIONS: 'us-east-1,EU' }, /IVS_REGIONS/);
    refused(
      { IVS_REGION_ENDPOINTS: 'us-east-1' },
      /IVS_REGION_ENDPOINTS: must be a comma-separated list of region=URL/,
    );
    refused({ IVS_REGION_ENDPOINTS: 'us-east-1=ftp://x' }, /IVS_REGION_ENDPOINTS/);
    refused(
      { IVS_REGIONS: 'us-east-1', IVS_REGION_ENDPOINTS: 'eu-central-1=http://127.0.0.1:4011' },
      /IVS_REGION_ENDPOINTS: eu-central-1 is not one of IVS_REGIONS/,
    );
    refused(
      { IVS_REGIONS: 'us-east-1,eu-central-1', IVS_REGION_ENDPOINTS: 'eu-central-1=http://127.0.0.1:4011' },
      /IVS_REGION_ENDPOINTS: no endpoint for us-east-1/,
    );
  });

  test('production without AWS_REGION or IVS_ENDPOINT is refused instead of serving demo data', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production', AUTH_ALLOW_ANONYMOUS: 'true' }),
      (error: Error) => error instanceof ConfigError && /AWS_REGION/.test(error.message),
    );
  });
});

describe('configuration: settings that contradict each other', () => {
  test('a retry backoff that starts above its cap is refused', () => {
    assert.throws(
      () => loadConfig({ UPSTREAM_RETRY_BASE_MS: '2000', UPSTREAM_RETRY_MAX_MS: '1000' }),
      /UPSTREAM_RETRY_BASE_MS: must be at most UPSTREAM_RETRY_MAX_MS/,
    );
  });

  test('a shutdown delay as long as the shutdown timeout is refused', () => {
    assert.throws(
      () => loadConfig({ SHUTDOWN_DELAY_MS: '15000', SHUTDOWN_TIMEOUT_MS: '15000' }),
      /SHUTDOWN_DELAY_MS: must be less than SHUTDOWN_TIMEOUT_MS/,
    );
  });
});

describe('configuration: Redis', () => {
  test('without REDIS_URL everything stays in the process', () => {
    assert.equal(loadConfig({}).redis, null);
  });

  test('a redis:// or rediss:// URL, with user and password in it, switches to shared mode', () => {
    const { redis } = loadConfig({
      REDIS_URL: 'rediss://gateway:secret@cache.internal:6380/2',
      REDIS_KEY_PREFIX: 'prod:',
    });
    assert.equal(redis?.url, 'rediss://gateway:secret@cache.internal:6380/2');
    assert.equal(redis?.keyPrefix, 'prod:');
  });

  test('any other URL is refused in one line naming REDIS_URL', () => {
    for (const url of ['http://cache.internal:6379', 'cache.internal:6379']) {
      assert.match(
        refusal({ REDIS_URL: url }),
        /^Invalid configuration: REDIS_URL: must be a redis:\/\/ or rediss:\/\//,
      );
    }
  });
});

describe('configuration: cursors', () => {
  const production = { NODE_ENV: 'production', AWS_REGION: 'us-east-1', METRICS_TOKEN: 'm'.repeat(16), ...jwt };
  const secret = 'x'.repeat(32);

  test('without GRAPHQL_CURSOR_SECRET a single process signs with a secret of its own', () => {
    assert.equal(loadConfig({}).cursorSecret, null);
    assert.equal(loadConfig(production).cursorSecret, null);
    assert.equal(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).cursorSecret, null);
  });

  test('production replicas sharing Redis need GRAPHQL_CURSOR_SECRET, so a cursor works on every replica', () => {
    const message = refusal({ ...production, REDIS_URL: 'redis://127.0.0.1:6379' });
    assert.match(message, /GRAPHQL_CURSOR_SECRET/);
    assert.equal(
      loadConfig({ ...production, REDIS_URL: 'redis://127.0.0.1:6379', GRAPHQL_CURSOR_SECRET: secret }).cursorSecret,
      secret,
    );
  });

  test('GRAPHQL_CURSOR_SECRET must be at least 32 characters', () => {
    assert.match(
      refusal({ GRAPHQL_CURSOR_SECRET: 'x'.repeat(31) }),
      /GRAPHQL_CURSOR_SECRET: must be at least 32 characters/,
    );
  });
});

describe('configuration: JWKS fetching', () => {
  test('unknown kids refetch at most every 300 s; the last good keys verify 1 h past their max age', () => {
    const auth = loadConfig(jwt).auth;
    assert.ok(auth.mode === 'jwt');
    assert.equal(auth.jwksCooldownSeconds, 300);
    assert.equal(auth.jwksGraceSeconds, 3600);
    const custom = loadConfig({ ...jwt, AUTH_JWKS_COOLDOWN_SECONDS: '0', AUTH_JWKS_GRACE_SECONDS: '0' }).auth;
    assert.ok(custom.mode === 'jwt');
    assert.deepEqual([custom.jwksCooldownSeconds, custom.jwksGraceSeconds], [0, 0]);
    assert.match(refusal({ ...jwt, AUTH_JWKS_GRACE_SECONDS: '-1' }), /AUTH_JWKS_GRACE_SECONDS/);
  });
});

describe('configuration: variables of earlier versions', () => {
  test('a renamed variable still set stops the start with one line naming its new name', () => {
    assert.equal(refusal({ MAX_ALIASES: '5' }), 'Invalid configuration: MAX_ALIASES was renamed to LIMIT_ALIASES');
    assert.equal(
      refusal({ LOOKUP_DEADLINE_MS: '2000' }),
      'Invalid configuration: LOOKUP_DEADLINE_MS was renamed to UPSTREAM_DEADLINE_MS',
    );
  });

  test('a per-operation variable folded into a by-operation one names the entry to write, with its value', () => {
    assert.equal(
      refusal({ UPSTREAM_CACHE_ROSTER_TTL_MS: '500' }),
      'Invalid configuration: UPSTREAM_CACHE_ROSTER_TTL_MS was replaced by UPSTREAM_CACHE_TTL_MS_BY_OPERATION=ListParticipants=500',
    );
  });

  test('a claim-name variable points to AUTH_CLAIM_PREFIX', () => {
    assert.equal(
      refusal({ AUTH_MINT_CLAIM: 'mint' }),
      'Invalid configuration: AUTH_MINT_CLAIM was replaced by AUTH_CLAIM_PREFIX (the claims are <prefix>stages, <prefix>weight, <prefix>revalidate, <prefix>mint, <prefix>disconnect and <prefix>set_user_id)',
    );
  });

  test('several earlier variables are named together, still in one line', () => {
    const message = refusal({ CURSOR_SECRET: 'x'.repeat(32), UPSTREAM_CACHE_TTL_MS: '1000' });
    assert.match(message, /CURSOR_SECRET was renamed to GRAPHQL_CURSOR_SECRET/);
    assert.match(
      message,
      /UPSTREAM_CACHE_TTL_MS was replaced by UPSTREAM_CACHE_TTL_MS_BY_OPERATION=GetParticipant=1000/,
    );
  });

  test('no earlier name is read again, and each replacement is a variable the gateway reads', () => {
    for (const [name, replacement] of Object.entries(renamedVariables)) {
      assert.ok(!configVariableNames.includes(name), name);
      const target =
        'renamedTo' in replacement
          ? replacement.renamedTo
          : 'operationOf' in replacement
            ? replacement.operationOf
            : replacement.replacedBy;
      assert.ok(configVariableNames.includes(target), `${name} → ${target}`);
    }
  });

  test('an earlier variable set to the empty string counts as not set', () => {
    assert.equal(loadConfig({ MAX_ALIASES: '' }).limits.maxAliases, 100);
  });
});
