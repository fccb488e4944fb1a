export { codeList, isCodedError } from './coded-errors.js';
export { isHeaders } from './headers.js';
export {
  type AtLeastRule,
  type IntegerRule,
  isPlainObject,
  numberAtLeast,
  optionalBoolean,
  optionalFunction,
  optionalObject,
  type PositiveNumberRule,
  positiveInteger,
  positiveNumber,
  show,
  stringList,
  urlPath,
} from './options.js';
export { type ReadAtMostOptions, readAtMost } from './read-at-most.js';
export { isScopeToken, unionScopes } from './scopes.js';
