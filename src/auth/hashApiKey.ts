/**
 * `npm run hash-api-key -- <key>` prints the SHA-256 to store in AUTH_API_KEYS(_FILE).
 * Without a key it generates one (32 random bytes, base64url) and prints both: hand out the key,
 * store only the hash.
 */
import { randomBytes } from 'node:crypto';
import { hashApiKey } from './apiKeys.js';

const given = process.argv[2];
const key = given ?? randomBytes(32).toString('base64url');
const entry = { name: 'CHANGE-ME', sha256: hashApiKey(key), stages: ['arn:aws:ivs:REGION:ACCOUNT:stage/*'] };
if (given === undefined) console.log(`key (give to the client, store nowhere else): ${key}`);
console.log(`sha256: ${entry.sha256}`);
console.log(`entry for AUTH_API_KEYS_FILE: ${JSON.stringify(entry)}`);
