/**
 * A trained policy as an episode driver: it sees only the observation (camera image, proprioception, command),
 * never the privileged state. It predicts a chunk of K actions and executes the first `execute` of them before
 * asking again (receding horizon; execute = 1 replans every control step).
 */
import type { Driver } from '../../sim/env/episodes.js';
import type { EeAction } from '../../sim/types.js';
import type { VlaPolicy } from '../policy/index.js';

export function policyDriver(policy: VlaPolicy, execute = 1): Driver {
  let queue: EeAction[] = [];
  return {
    reset: () => {
      queue = [];
    },
    act: (obs) => {
      if (queue.length === 0) queue = policy.act(obs).slice(0, Math.max(1, execute));
      return queue.shift()!;
    },
  };
}
