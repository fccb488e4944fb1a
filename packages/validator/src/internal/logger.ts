/** The logger shape every @mcp-auth package accepts. */
export interface Logger {
  debug?: (msg: string, meta?: object) => void;
  info?: (msg: string, meta?: object) => void;
  warn?: (msg: string, meta?: object) => void;
  error?: (msg: string, meta?: object) => void;
}

export const silentLogger: Logger = {};
