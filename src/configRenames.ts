/** Where a variable of an earlier version went: a new name, one operation's entry of a by-operation setting, or a setting that covers several. */
type Replacement =
  | { readonly renamedTo: string }
  | { readonly operationOf: string; readonly operation: string }
  | { readonly replacedBy: string; readonly how: string };

const claimPrefix = {
  replacedBy: 'AUTH_CLAIM_PREFIX',
  how: 'the claims are <prefix>stages, <prefix>weight, <prefix>revalidate, <prefix>mint, <prefix>disconnect and <prefix>set_user_id',
} as const;

/** Variables earlier versions read; each is refused at start, since a setting silently ignored is worse than none. */
export const renamedVariables: Readonly<Record<string, Replacement>> = {
  CORS_ORIGINS: { renamedTo: 'HTTP_CORS_ORIGINS' },
  LOOKUP_DEADLINE_MS: { renamedTo: 'UPSTREAM_DEADLINE_MS' },
  REQUEST_DEADLINE_MS: { renamedTo: 'UPSTREAM_REQUEST_DEADLINE_MS' },
  RESPONSE_CACHE_TTL_SECONDS: { renamedTo: 'GRAPHQL_RESPONSE_CACHE_TTL_SECONDS' },
  RESPONSE_CACHE_MAX_BYTES: { renamedTo: 'GRAPHQL_RESPONSE_CACHE_MAX_BYTES' },
  CURSOR_SECRET: { renamedTo: 'GRAPHQL_CURSOR_SECRET' },
  AUTH_STAGES_CLAIM: claimPrefix,
  AUTH_WEIGHT_CLAIM: claimPrefix,
  AUTH_REVALIDATE_CLAIM: claimPrefix,
  AUTH_MINT_CLAIM: claimPrefix,
  AUTH_DISCONNECT_CLAIM: claimPrefix,
  MAX_PARTICIPANTS_PER_REQUEST: { renamedTo: 'LIMIT_PARTICIPANTS_PER_REQUEST' },
  MAX_LIST_CALLS_PER_REQUEST: { renamedTo: 'LIMIT_LIST_CALLS_PER_REQUEST' },
  MAX_STAGE_LOOKUPS_PER_REQUEST: { renamedTo: 'LIMIT_STAGE_LOOKUPS_PER_REQUEST' },
  MAX_QUERY_DEPTH: { renamedTo: 'LIMIT_QUERY_DEPTH' },
  MAX_ALIASES: { renamedTo: 'LIMIT_ALIASES' },
  MAX_DIRECTIVES: { renamedTo: 'LIMIT_DIRECTIVES' },
  MAX_TOKENS: { renamedTo: 'LIMIT_TOKENS' },
  UPSTREAM_CACHE_TTL_MS: { operationOf: 'UPSTREAM_CACHE_TTL_MS_BY_OPERATION', operation: 'GetParticipant' },
  UPSTREAM_CACHE_STAGE_TTL_MS: { operationOf: 'UPSTREAM_CACHE_TTL_MS_BY_OPERATION', operation: 'GetStage' },
  UPSTREAM_CACHE_SESSIONS_TTL_MS: { operationOf: 'UPSTREAM_CACHE_TTL_MS_BY_OPERATION', operation: 'ListStageSessions' },
  UPSTREAM_CACHE_ROSTER_TTL_MS: { operationOf: 'UPSTREAM_CACHE_TTL_MS_BY_OPERATION', operation: 'ListParticipants' },
  UPSTREAM_CACHE_EVENTS_TTL_MS: {
    operationOf: 'UPSTREAM_CACHE_TTL_MS_BY_OPERATION',
    operation: 'ListParticipantEvents',
  },
};

/** One line naming every earlier variable still set and what replaced it, or `null` when none is. */
export function describeRenamedVariables(env: Readonly<Record<string, string | undefined>>): string | null {
  const found = Object.entries(renamedVariables).flatMap(([name, replacement]) => {
    const value = env[name];
    if (value === undefined) return [];
    if ('renamedTo' in replacement) return [`${name} was renamed to ${replacement.renamedTo}`];
    if ('operationOf' in replacement) {
      return [`${name} was replaced by ${replacement.operationOf}=${replacement.operation}=${value}`];
    }
    return [`${name} was replaced by ${replacement.replacedBy} (${replacement.how})`];
  });
  return found.length === 0 ? null : found.join('; ');
}
