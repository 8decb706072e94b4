import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';

/** How load-generator requests authenticate to the gateway. */
export type AuthMode = 'api-key' | 'jwt' | 'anonymous';
export const authModes: readonly AuthMode[] = ['api-key', 'jwt', 'anonymous'];

export interface BenchAuth {
  /** Gateway environment that turns this mode on. */
  env: Record<string, string>;
  /** Headers every request carries (baselines ignore them). */
  headers: Record<string, string>;
}

/**
 * Credentials made up for this run, granting every stage: an API key (stored as its SHA-256, as
 * operators do), or an ES256 key pair whose public half goes to a file in `dir` and a token signed
 * with the private half. `anonymous` runs the gateway with AUTH_ALLOW_ANONYMOUS instead.
 */
export async function prepareAuth(mode: AuthMode, dir: string): Promise<BenchAuth> {
  switch (mode) {
    case 'anonymous':
      return { env: { AUTH_MODE: 'none', AUTH_ALLOW_ANONYMOUS: 'true' }, headers: {} };
    case 'api-key': {
      const key = randomBytes(32).toString('base64url');
      const sha256 = createHash('sha256').update(key, 'utf8').digest('hex');
      return {
        env: { AUTH_MODE: 'api-key', AUTH_API_KEYS: JSON.stringify([{ name: 'bench', sha256, stages: ['*'] }]) },
        headers: { 'x-api-key': key },
      };
    }
    case 'jwt': {
      const { publicKey, privateKey } = await generateKeyPair('ES256');
      const keyFile = join(dir, 'bench-jwt-public.pem');
      writeFileSync(keyFile, await exportSPKI(publicKey));
      const token = await new SignJWT({ ivs_stages: ['*'] })
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer('ivs-bench')
        .setAudience('ivs-realtime-graphql')
        .setSubject('bench')
        .setExpirationTime('6h')
        .sign(privateKey);
      return {
        env: {
          AUTH_MODE: 'jwt',
          AUTH_JWT_PUBLIC_KEY_FILE: keyFile,
          AUTH_ISSUER: 'ivs-bench',
          AUTH_AUDIENCE: 'ivs-realtime-graphql',
          AUTH_JWT_ALGORITHMS: 'ES256',
        },
        headers: { authorization: `Bearer ${token}` },
      };
    }
  }
}
