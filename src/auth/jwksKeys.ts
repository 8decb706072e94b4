import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../clock.js';

export interface JwksKeysOptions {
  readonly url: string;
  /** Keys this old are fetched again before use: the longest a key removed from the JWKS still verifies. */
  readonly maxAgeMs: number;
  /** After any fetch, a token with an unknown `kid` triggers no other one for this long; failed fetches wait as long. */
  readonly cooldownMs: number;
  /** While the endpoint cannot be fetched, keys past their max age still verify for this long. */
  readonly graceMs: number;
  readonly timeoutMs: number;
  readonly clock: Clock;
}

/** The verification keys of a remote JWKS, as jose's key lookup plus the version of the set in use. */
export interface JwksKeys {
  readonly getKey: JWTVerifyGetKey;
  /**
   * Changes only when a fetch brings different keys, so a refetch that changes nothing keeps every
   * remembered token valid. Undefined once the keys are past their max age: tokens are checked again.
   */
  version(): number | undefined;
}

/** The JWKS endpoint could not be fetched and no key set is usable: the caller's token is not at fault. */
class JwksUnavailableError extends Error {
  override name = 'JwksUnavailableError';
}

interface KeySet {
  readonly getKey: JWTVerifyGetKey;
  /** The keys as fetched, to tell a changed set from the same one fetched again. */
  readonly text: string;
  readonly version: number;
  readonly fetchedAt: number;
}

/**
 * A remote JWKS fetched once, then again when its keys reach `maxAgeMs` or a token names an unknown `kid`
 * (at most once per `cooldownMs`, so anonymous callers cannot make the gateway hammer the endpoint).
 * jose's createRemoteJWKSet is not used: its cooldown counts only successful fetches, so a failing endpoint
 * is fetched for every request, and it has no grace period for an endpoint that is down.
 */
export function createJwksKeys(options: JwksKeysOptions): JwksKeys {
  const { url, maxAgeMs, cooldownMs, graceMs, timeoutMs, clock } = options;
  let current: KeySet | undefined;
  let pending: Promise<KeySet> | undefined;
  let lastAttemptAt = -Infinity;
  let lastFailureAt = -Infinity;

  const fetchOnce = async (): Promise<KeySet> => {
    lastAttemptAt = clock.now();
    try {
      const jwks = await fetchKeySet(url, timeoutMs);
      const text = JSON.stringify(jwks.keys);
      const version = current === undefined ? 1 : current.text === text ? current.version : current.version + 1;
      current = { getKey: createLocalJWKSet(jwks), text, version, fetchedAt: clock.now() };
      return current;
    } catch (error) {
      lastFailureAt = clock.now();
      throw new JwksUnavailableError('the JWKS could not be fetched', { cause: error });
    }
  };
  // Concurrent requests share one fetch.
  const refresh = (): Promise<KeySet> => {
    pending ??= fetchOnce().finally(() => (pending = undefined));
    return pending;
  };

  const usableSet = async (): Promise<KeySet> => {
    if (current === undefined) return refresh();
    const age = clock.now() - current.fetchedAt;
    if (age < maxAgeMs) return current;
    if (clock.now() - lastFailureAt >= cooldownMs) {
      try {
        return await refresh();
      } catch (error) {
        if (age >= maxAgeMs + graceMs) throw error;
      }
    }
    if (age < maxAgeMs + graceMs) return current;
    throw new JwksUnavailableError('the JWKS has been unreachable for longer than its max age and grace period');
  };

  return {
    async getKey(header, token) {
      const set = await usableSet();
      try {
        return await set.getKey(header, token);
      } catch (error) {
        if (!(error instanceof errors.JWKSNoMatchingKey) || clock.now() - lastAttemptAt < cooldownMs) throw error;
        return (await refresh()).getKey(header, token);
      }
    },
    version() {
      if (current === undefined || clock.now() - current.fetchedAt >= maxAgeMs) return undefined;
      return current.version;
    },
  };
}

async function fetchKeySet(url: string, timeoutMs: number): Promise<JSONWebKeySet> {
  const response = await fetch(url, {
    redirect: 'manual',
    headers: { accept: 'application/json, application/jwk-set+json' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (response.status !== 200) throw new Error(`the JWKS endpoint answered HTTP ${response.status}`);
  const json: unknown = await response.json();
  if (!isKeySet(json)) throw new Error('the JWKS endpoint did not answer a JSON Web Key Set');
  return json;
}

/** `{ "keys": [...] }`: the shape of a JSON Web Key Set. */
export function isKeySet(json: unknown): json is JSONWebKeySet {
  return typeof json === 'object' && json !== null && Array.isArray((json as { keys?: unknown }).keys);
}
