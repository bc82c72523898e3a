/**
 * The routing modes a profile or a flag may name. Its own module, free of the zod schemas, so the
 * CLI can validate a flag without loading them.
 */
export const ROUTING = ['shard-aware', 'token-aware', 'round-robin', 'driver'] as const;
