import type { Logger } from '@mcp-auth/cache';

// The one Logger shape of @mcp-auth lives in @mcp-auth/cache (the package every other one depends on).
export type { Logger };

export const silentLogger: Logger = {};
