import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export const issuer = 'https://issuer.test';
export const audience = 'ivs-realtime-graphql';

export interface SigningKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

/** A fresh key pair; its public half is what a JWKS would publish. */
export async function signingKey(alg: 'RS256' | 'RS384' | 'ES256', kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, publicKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A signed token: issuer, audience, one hour of validity and `claims`, unless `overrides` say otherwise. */
export async function signToken(
  key: SigningKey,
  claims: JWTPayload,
  overrides: { issuer?: string; audience?: string; expiresAt?: number | null } = {},
): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setSubject('user-123')
    .setIssuedAt()
    .setIssuer(overrides.issuer ?? issuer)
    .setAudience(overrides.audience ?? audience);
  if (overrides.expiresAt !== null) jwt.setExpirationTime(overrides.expiresAt ?? Math.floor(Date.now() / 1000) + 3600);
  return jwt.sign(key.privateKey);
}

/** A JWKS endpoint on 127.0.0.1 that counts its fetches; `failWith(503)` makes it answer that status instead. */
export async function serveJwks(
  keys: JWK[],
): Promise<{ url: string; fetches: () => number; failWith(status: number | null): void; close(): Promise<void> }> {
  let fetches = 0;
  let failure: number | null = null;
  const server: Server = createServer((_req, res) => {
    fetches += 1;
    if (failure !== null) return void res.writeHead(failure).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    fetches: () => fetches,
    failWith: (status) => void (failure = status),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
