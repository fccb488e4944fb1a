/** `{ debug?, info?, warn?, error? }`, each `(msg, meta?) => void`. Never receives a token. */
export interface Logger {
  debug?: (msg: string, meta?: object) => void;
  info?: (msg: string, meta?: object) => void;
  warn?: (msg: string, meta?: object) => void;
  error?: (msg: string, meta?: object) => void;
}
