/**
 * A training worker thread: its own TensorFlow.js backend and replica of the policy (Replica.ts); it answers the
 * coordinator's messages (protocol.ts) in order. Any error is sent back as one line and ends the thread.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '../../tf/tf.js';
import { Tokenizer, VlaPolicy } from '../../policy/index.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { Replica } from './Replica.js';

const port = parentPort;
if (!port) throw new Error('src/train/parallel/worker.ts runs as a worker thread (started by DataParallel)');
const send = (m: FromWorker) => port.postMessage(m);

let replica: Replica | null = null;
let shared: { weights: Float32Array; grads: Float32Array } | null = null;

async function handle(m: ToWorker): Promise<void> {
  if (m.type === 'init') {
    tf.env().set('PROD', true);
    if (!(await tf.setBackend(m.backend))) throw new Error(`backend "${m.backend}" could not be initialised`);
    await tf.ready();
    const policy = new VlaPolicy(m.config, { tokenizer: Tokenizer.fromJSON(m.tokenizer), stats: m.stats });
    replica = new Replica(policy, m.source, m.batchOptions, m.lossOptions);
    shared = { weights: m.weights, grads: m.grads };
    send({ type: 'ready', sizes: replica.sizes });
    return;
  }
  if (!replica || !shared) throw new Error(`"${m.type}" before init`);
  if (m.type === 'render') {
    send({ type: 'rendered', denominators: replica.render(m.plans) });
  } else {
    replica.writeWeights(shared.weights);
    const r = replica.grads(m.shares, shared.grads);
    send({ type: 'grads', loss: r.loss, present: r.present });
  }
}

// One message at a time, in order (init is asynchronous).
let queue = Promise.resolve();
port.on('message', (m: ToWorker) => {
  queue = queue
    .then(() => handle(m))
    .catch((e: unknown) => {
      send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
      port.close();
    });
});
