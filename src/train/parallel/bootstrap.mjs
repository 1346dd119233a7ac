// Entry of a training worker thread (src/train/parallel/WorkerReplica.ts starts it): the sources are TypeScript
// run through tsx, so the worker registers tsx's loader before it imports its real module, as bin/vla.js does.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
