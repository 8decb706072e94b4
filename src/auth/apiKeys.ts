import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError, type AuthConfig } from '../config.js';
import { AuthenticationError, type Authenticator } from './authenticator.js';
import {
  capabilitiesOf,
  createStageAccess,
  defaultQuotaShare,
  isQuotaWeight,
  isStagePattern,
  type QuotaShare,
  type StageAccess,
  type WriteRights,
} from './principal.js';

/** One configured API key: only its SHA-256 is stored, so the config file is not a secret store. */
export interface ApiKey {
  readonly name: string;
  readonly sha256: Buffer;
  readonly stages: StageAccess;
  readonly share: QuotaShare;
  readonly rights: WriteRights;
}

const apiKeysSchema = z
  .array(
    z.object({
      name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or underscores'),
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/i, 'must be the 64 hex digits of the key’s SHA-256 (npm run hash-api-key)'),
      stages: z
        .array(z.string().refine(isStagePattern, 'must be *, a stage ARN, or an ARN prefix ending in *'))
        .min(1, 'must list at least one stage pattern'),
      /** Share of the IVS quota while callers compete (default 1). */
      weight: z.number().refine(isQuotaWeight, 'must be above 0 and at most 100').default(defaultQuotaShare.weight),
      /** false: this key's `Cache-Control: no-cache` is ignored (default true). */
      revalidate: z.boolean().default(true),
      /** Capabilities this key may put into participant tokens (default: none, it mints nothing). */
      mint: z.array(z.enum(['PUBLISH', 'SUBSCRIBE'])).default([]),
      /** true: this key may disconnect participants (default false). */
      disconnect: z.boolean().default(false),
    }),
  )
  .min(1, 'must hold at least one key');

// Longer headers are not keys we issued; refusing them bounds the hashing work per request.
const maxKeyLength = 512;

/** SHA-256 of a key as lowercase hex: the form AUTH_API_KEYS / AUTH_API_KEYS_FILE store. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Reads and validates the key list; throws ConfigError naming the source and the first problem. */
export async function loadApiKeys(source: Extract<AuthConfig, { mode: 'api-key' }>['keys']): Promise<ApiKey[]> {
  const variable = source.kind === 'file' ? 'AUTH_API_KEYS_FILE' : 'AUTH_API_KEYS';
  let text: string;
  try {
    text = source.kind === 'file' ? await readFile(source.path, 'utf8') : source.json;
  } catch (error) {
    throw new ConfigError(
      `Invalid configuration: ${variable}: cannot read ${source.kind === 'file' ? source.path : ''}`,
      {
        cause: error,
      },
    );
  }
  return parseApiKeys(text, variable);
}

/** Parses the JSON list `[{ "name", "sha256", "stages": [...], "weight"?, "revalidate"?, "mint"?, "disconnect"? }]`. */
export function parseApiKeys(text: string, variable: string): ApiKey[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`Invalid configuration: ${variable}: not valid JSON`);
  }
  const parsed = apiKeysSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `Invalid configuration: ${variable}: [${issue?.path.join('.') ?? ''}] ${issue?.message ?? ''}`,
    );
  }
  const names = new Set<string>();
  const hashes = new Set<string>();
  for (const { name, sha256 } of parsed.data) {
    if (names.has(name)) throw new ConfigError(`Invalid configuration: ${variable}: duplicate key name ${name}`);
    if (hashes.has(sha256.toLowerCase()))
      throw new ConfigError(`Invalid configuration: ${variable}: duplicate hash (${name})`);
    names.add(name);
    hashes.add(sha256.toLowerCase());
  }
  return parsed.data.map(({ name, sha256, stages, weight, revalidate, mint, disconnect }) => ({
    name,
    sha256: Buffer.from(sha256, 'hex'),
    stages: createStageAccess(stages),
    share: { weight, mayRevalidate: revalidate },
    // A key is a trusted backend's: it may name any userId.
    rights: { mint: capabilitiesOf(mint), disconnect, fixedUserId: undefined },
  }));
}

/** Authenticates the `x-api-key` header against the stored hashes, in constant time per key. */
export function createApiKeyAuthenticator(keys: readonly ApiKey[]): Authenticator {
  return {
    mode: 'api-key',
    challenge: 'ApiKey header="x-api-key"',
    async authenticate(headers) {
      const presented = headers['x-api-key'];
      if (presented === undefined || presented === '') throw new AuthenticationError('missing', 'no x-api-key header');
      if (typeof presented !== 'string' || presented.length > maxKeyLength) {
        throw new AuthenticationError('invalid', 'malformed x-api-key header');
      }
      const digest = Buffer.from(hashApiKey(presented), 'hex');
      // Every stored hash is compared, so the time taken does not depend on which one matched.
      let match: ApiKey | undefined;
      for (const key of keys) {
        if (timingSafeEqual(key.sha256, digest)) match ??= key;
      }
      if (match === undefined) throw new AuthenticationError('invalid', 'unknown API key');
      return {
        id: `api-key:${match.name}`,
        label: match.name,
        stages: match.stages,
        share: match.share,
        rights: match.rights,
      };
    },
  };
}
