import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SignJWT } from 'jose';
import { ConfigError } from '../config.js';
import { newParticipantId } from './participantId.js';
import type { MintedToken, MintRequest } from '../ivs/operations/writes.js';

/** The stage's endpoints a token names, from GetStage's `endpoints`. */
export interface StageEndpoints {
  readonly events: string;
  readonly whip: string;
}

/** Makes participant tokens without calling IVS, as IVS's "Distribute participant tokens" guide specifies. */
export interface TokenSigner {
  sign(request: MintRequest, endpoints: StageEndpoints): Promise<MintedToken>;
}

/**
 * Loads the P-384 private key (PEM text, or the path of a PEM file) and checks it at start, so a wrong key
 * stops the gateway instead of failing every join. `publicKeyArn` is the ARN ImportPublicKey gave its
 * public half: IVS finds the key to verify with by the token's `kid`.
 */
export async function loadTokenSigner(settings: { key: string; publicKeyArn: string }): Promise<TokenSigner> {
  const privateKey = await readSigningKey(settings.key);
  return {
    async sign(request, endpoints) {
      const issuedAt = Math.floor(Date.now() / 1000);
      const expiresAt = issuedAt + request.durationMinutes * 60;
      const participantId = newParticipantId();
      const token = await new SignJWT({
        resource: request.stageArn,
        topic: request.stageArn.slice(request.stageArn.indexOf('stage/') + 'stage/'.length),
        events_url: endpoints.events,
        whip_url: endpoints.whip,
        ...(request.userId !== undefined && { user_id: request.userId }),
        attributes: request.attributes,
        capabilities: {
          allow_publish: request.capabilities.includes('PUBLISH'),
          allow_subscribe: request.capabilities.includes('SUBSCRIBE'),
        },
        version: '1.0',
      })
        .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid: settings.publicKeyArn })
        .setJti(participantId)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(privateKey);
      return {
        token,
        participantId,
        userId: request.userId,
        attributes: request.attributes,
        capabilities: request.capabilities,
        expirationTime: new Date(expiresAt * 1000),
      };
    },
  };
}

async function readSigningKey(setting: string): Promise<KeyObject> {
  const fail = (problem: string, cause?: unknown) =>
    new ConfigError(`Invalid configuration: IVS_TOKEN_SIGNING_KEY: ${problem}`, { cause });
  let pem = setting;
  if (!setting.trimStart().startsWith('-----BEGIN')) {
    try {
      pem = await readFile(setting, 'utf8');
    } catch (error) {
      // The setting may be a key pasted wrongly: never echo it.
      throw fail('neither a PEM private key nor a readable file', error);
    }
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw fail('not a PEM private key', error);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'secp384r1') {
    throw fail('must be an EC P-384 (secp384r1) private key, as IVS verifies ES384');
  }
  return key;
}
