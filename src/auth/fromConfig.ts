import type { AuthConfig } from '../config.js';
import { createApiKeyAuthenticator, loadApiKeys } from './apiKeys.js';
import type { Authenticator } from './authenticator.js';
import { createJwtAuthenticator } from './jwt.js';
import { anonymousPrincipal } from './principal.js';

/** Builds the configured authenticator; reads key files now, so a bad file stops the start (ConfigError). */
export async function createAuthenticator(config: AuthConfig): Promise<Authenticator> {
  switch (config.mode) {
    case 'none': {
      const anonymous = anonymousPrincipal(config.anonymousWrites);
      return { mode: 'none', challenge: null, authenticate: async () => anonymous };
    }
    case 'api-key':
      return createApiKeyAuthenticator(await loadApiKeys(config.keys));
    case 'jwt':
      return createJwtAuthenticator(config);
  }
}
