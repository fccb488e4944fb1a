export {
  type CodeChallengeMethod,
  computeCodeChallenge,
  createPkcePair,
  generateCodeVerifier,
  isCodeVerifier,
  MAX_VERIFIER_LENGTH,
  MIN_VERIFIER_LENGTH,
  type PkcePair,
  type VerifyCodeChallengeOptions,
  verifyCodeChallenge,
} from './pkce.js';
export { generateState } from './state.js';
