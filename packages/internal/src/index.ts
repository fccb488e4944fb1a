export { isHeaders } from './headers.js';
export {
  type AtLeastRule,
  type IntegerRule,
  numberAtLeast,
  optionalBoolean,
  optionalFunction,
  type PositiveNumberRule,
  path,
  positiveInteger,
  positiveNumber,
  show,
} from './options.js';
export { type ReadAtMostOptions, readAtMost } from './read-at-most.js';
export { isScopeToken, unionScopes } from './scopes.js';
