import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, errors, jwtVerify, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import { ConfigError, type AuthConfig } from '../config.js';
import { systemClock } from '../clock.js';
import { AuthenticationError, type Authenticator } from './authenticator.js';
import { createJwksKeys, isKeySet, type JwksKeys } from './jwksKeys.js';
import {
  capabilitiesOf,
  createStageAccess,
  defaultQuotaShare,
  isQuotaWeight,
  type Principal,
  type QuotaShare,
  type WriteRights,
} from './principal.js';

type JwtConfig = Extract<AuthConfig, { mode: 'jwt' }>;

// Far above any real access token; refusing longer ones bounds the parsing work per request.
const maxTokenLength = 8192;
const bearer = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i;

/**
 * Verifies `Authorization: Bearer <JWT>`: signature against the configured keys, issuer,
 * audience, expiry (required) and the algorithm allow-list. The stage grants come from
 * `stagesClaim` (an array of patterns, or one space-separated string).
 */
export async function createJwtAuthenticator(config: JwtConfig): Promise<Authenticator> {
  const { keys, remote } = await keySourceOf(config);
  const options = {
    issuer: config.issuer,
    audience: config.audience,
    algorithms: [...config.algorithms],
    clockTolerance: config.clockToleranceSeconds,
    requiredClaims: ['exp'],
  };
  const verified = createVerifiedTokens(config.verifiedTokenCacheEntries);
  // A remembered token is as good as the keys it was checked with: once they are due for a refetch, or
  // a refetch changed them (a rotation may have removed its key), it is checked again.
  const keysVersion = (): number | undefined => (remote === null ? 0 : remote.version());

  return {
    mode: 'jwt',
    challenge: 'Bearer realm="ivs-realtime-graphql"',
    async authenticate(headers) {
      const header = headers.authorization;
      if (header === undefined || header === '') throw new AuthenticationError('missing', 'no Authorization header');
      const token = header.length <= maxTokenLength + 16 ? bearer.exec(header)?.[1] : undefined;
      if (token === undefined) throw new AuthenticationError('invalid', 'Authorization is not a Bearer token');
      const id = verified === null ? '' : tokenId(token);
      // Read before verifying: if a reload replaces the keys meanwhile, the token is remembered under the old
      // version, so it is checked again against the new keys instead of riding on a key that may be gone.
      const version = keysVersion();
      const remembered = verified?.recall(id, version);
      if (remembered !== undefined) return remembered;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, options));
      } catch (error) {
        throw classifyVerificationFailure(error, remote !== null);
      }
      const principal: Principal = {
        id: `jwt:${payload.sub ?? '(no sub)'}`,
        label: 'jwt',
        stages: createStageAccess(stagePatterns(payload[config.stagesClaim])),
        share: quotaShare(payload[config.weightClaim], payload[config.revalidateClaim]),
        rights: writeRights(payload, config),
      };
      // `exp` is required, so it is there; jose accepts a token until exp + tolerance.
      const validUntilMs = ((payload.exp ?? 0) + config.clockToleranceSeconds) * 1000;
      verified?.remember(id, principal, validUntilMs, version);
      return principal;
    },
  };
}

/** A verified token is remembered by its SHA-256: the cache holds no credential. */
function tokenId(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

interface VerifiedTokens {
  recall(id: string, keysVersion: number | undefined): Principal | undefined;
  remember(id: string, principal: Principal, validUntilMs: number, keysVersion: number | undefined): void;
}

/**
 * Tokens whose signature and claims were checked, by token id, each until its expiry and only with
 * the same version of the keys; bounded LRU.
 */
function createVerifiedTokens(maxEntries: number): VerifiedTokens | null {
  if (maxEntries === 0) return null;
  const entries = new LRUCache<string, { principal: Principal; validUntilMs: number; keysVersion: number }>({
    max: maxEntries,
  });
  return {
    recall(id, keysVersion) {
      if (keysVersion === undefined) return undefined;
      const entry = entries.get(id);
      if (entry === undefined) return undefined;
      if (Date.now() < entry.validUntilMs && entry.keysVersion === keysVersion) return entry.principal;
      entries.delete(id);
      return undefined;
    },
    remember(id, principal, validUntilMs, keysVersion) {
      if (keysVersion !== undefined) entries.set(id, { principal, validUntilMs, keysVersion });
    },
  };
}

/** The verification keys; `remote` is set when they come from a JWKS URL and may change while we run. */
async function keySourceOf(config: JwtConfig): Promise<{ keys: JWTVerifyGetKey | KeyObject; remote: JwksKeys | null }> {
  if (config.keys.kind === 'public-key-file') return { keys: await readPublicKeys(config.keys.path), remote: null };
  const remote = createJwksKeys({
    url: config.keys.url,
    maxAgeMs: config.jwksMaxAgeSeconds * 1000,
    cooldownMs: config.jwksCooldownSeconds * 1000,
    graceMs: config.jwksGraceSeconds * 1000,
    timeoutMs: 5000,
    clock: systemClock,
  });
  return { keys: remote.getKey, remote };
}

// A failed JWKS fetch says nothing about the caller's token: 503, so clients retry instead of
// discarding good credentials. Everything else is the token's fault.
function classifyVerificationFailure(error: unknown, remote: boolean): AuthenticationError {
  const keySourceFailed =
    remote &&
    (!(error instanceof errors.JOSEError) ||
      error instanceof errors.JWKSTimeout ||
      error instanceof errors.JWKSInvalid ||
      error.code === 'ERR_JOSE_GENERIC');
  if (keySourceFailed) return new AuthenticationError('unavailable', 'JWKS could not be fetched', { cause: error });
  const code = error instanceof errors.JOSEError ? error.code : 'unknown';
  return new AuthenticationError('invalid', `token rejected (${code})`, { cause: error });
}

// A claim that is no quota weight is ignored rather than refusing the token.
function quotaShare(weightClaim: unknown, revalidateClaim: unknown): QuotaShare {
  const weight = isQuotaWeight(weightClaim) ? weightClaim : defaultQuotaShare.weight;
  return { weight, mayRevalidate: revalidateClaim !== false };
}

/**
 * Minting and disconnecting only when the token says so. A browser's token names its user in `sub`: its
 * participant tokens carry that userId, unless the issuer set `ivs_set_user_id: true` (`setUserIdClaim`); without a `sub`
 * it may only mint with that flag.
 */
function writeRights(payload: JWTPayload, config: JwtConfig): WriteRights {
  const setsUserId = payload[config.setUserIdClaim] === true;
  const fixedUserId = setsUserId ? undefined : payload.sub;
  const identified = setsUserId || payload.sub !== undefined;
  return {
    mint: identified ? capabilitiesOf(payload[config.mintClaim]) : [],
    disconnect: payload[config.disconnectClaim] === true,
    fixedUserId,
  };
}

function stagePatterns(claim: unknown): string[] {
  if (typeof claim === 'string') return claim.split(/\s+/).filter(Boolean);
  if (Array.isArray(claim)) return claim.filter((item): item is string => typeof item === 'string');
  return [];
}

/**
 * The verification keys in a file: a JWKS (keys picked by `kid`), or one key, PEM (SPKI or
 * certificate) or JWK, used for every token whatever its `kid`.
 */
async function readPublicKeys(path: string): Promise<JWTVerifyGetKey | KeyObject> {
  const fail = (problem: string, cause?: unknown) =>
    new ConfigError(`Invalid configuration: AUTH_JWT_PUBLIC_KEY_FILE: ${problem}`, { cause });
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw fail(`cannot read ${path}`, error);
  }
  if (!text.trimStart().startsWith('{')) {
    try {
      return checkedPublicKey(createPublicKey(text), fail);
    } catch (error) {
      throw error instanceof ConfigError ? error : fail('not a PEM public key, JWK or JWKS', error);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw fail('not valid JSON', error);
  }
  const jwks = isKeySet(json) ? json.keys : [json as JWK];
  for (const jwk of jwks) {
    if (typeof jwk !== 'object' || jwk === null || typeof jwk.kty !== 'string') throw fail('a key has no "kty"');
    if (jwk.kty === 'oct') throw fail('symmetric (oct) keys are not accepted; give a public key');
    if ('d' in jwk) throw fail('holds a private key; give the public key only');
  }
  if (isKeySet(json)) return createLocalJWKSet({ keys: jwks });
  try {
    return createPublicKey({ key: json as JsonWebKey, format: 'jwk' });
  } catch (error) {
    throw fail('not a usable JWK', error);
  }
}

// A private PEM would yield its public half: refuse it, so private keys never sit on the gateway.
function checkedPublicKey(key: KeyObject, fail: (problem: string) => ConfigError): KeyObject {
  if (key.type !== 'public') throw fail('holds a private key; give the public key only');
  return key;
}
