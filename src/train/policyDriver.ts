/**
 * A trained policy as an episode driver: it sees only the observation (camera image, proprioception, command),
 * never the privileged state. Its action chunks are executed by a ChunkExecutor (temporal ensembling by default;
 * see src/policy/ChunkExecutor.ts).
 */
import type { Driver } from '../../sim/env/episodes.js';
import { ChunkExecutor, DEFAULT_EXECUTION, type Execution } from '../policy/ChunkExecutor.js';
import type { VlaPolicy } from '../policy/index.js';

export { DEFAULT_EXECUTION, parseExecution, type Execution } from '../policy/ChunkExecutor.js';

export function policyDriver(policy: VlaPolicy, execution: Execution = DEFAULT_EXECUTION): Driver {
  const executor = new ChunkExecutor(execution);
  return {
    reset: () => executor.reset(),
    act: (obs) => executor.next(() => policy.act(obs)),
  };
}
