/** Commands in the user's words: reading English and Korean, grounding in a scene, the templates' words. */
export { readCommand } from './understand.js';
export { understandCommand, resetWithCommand, commandWithoutScene, STOP_WORDS, type Understood } from './command.js';
export { canonicalCommand, checkReading, completeReading, groundReading, isComplete } from './ground.js';
export { tagEnglish, englishLemma, ENGLISH_VOCABULARY } from './english.js';
export { tagKorean, hasHangul, koreanVerb } from './korean.js';
export { describeReading } from './describe.js';
export { alignToTokens, type WordPanel } from './align.js';
export { KOREAN_POLICY_VOCABULARY, KOREAN_POLICY_WORDS, koreanCommandWords, koreanPolicyWords, policyReading, readsKorean, type PolicyWords } from './koreanPolicy.js';
export { LANGUAGES, type Language, type Mention, type Reading, type ReadWord, type VerbClass, type WordSlot, type WordTag } from './types.js';
