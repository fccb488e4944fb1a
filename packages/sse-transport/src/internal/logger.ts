// The one Logger shape of @mcp-auth lives in @mcp-auth/cache (the package every other one depends on):
// `{ debug?, info?, warn?, error? }`, each `(msg, meta?) => void`. Never receives a token.
export type { Logger } from '@mcp-auth/cache';
