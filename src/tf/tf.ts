/**
 * The one TensorFlow.js import of the project: `import * as tf from '../tf/tf.js'`.
 *
 * tfjs-core's Node bundle registers no gradients; the umbrella package @tensorflow/tfjs does (and brings the
 * cpu backend), so importing it here makes tf.grads / tf.variableGrads work wherever `tf` is used. The wasm
 * backend registers itself on import; its Identity kernel is then replaced by one that shares data instead of copying
 * it (wasmIdentity.ts).
 */
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { shareIdentityOnWasm } from './wasmIdentity.js';

shareIdentityOnWasm();

export * from '@tensorflow/tfjs-core';
