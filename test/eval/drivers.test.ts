/** resolveDriver: the cameras a policy's episodes are rendered with follow its config (size, supersampling). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { savePolicy, VlaPolicy } from '../../src/policy/index.js';
import { resolveDriver } from '../../src/eval/index.js';

const tiny = { imageSize: 32, patchSize: 8, width: 16, heads: 2, visionLayers: 1, languageLayers: 1, fusionLayers: 1, actionLayers: 1, stemChannels: 4, chunk: 4 };

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

describe('resolveDriver', () => {
  it('renders a policy\'s cameras at its image size and with its supersampling; the expert at 64x64, one sample', () => {
    for (const supersampling of [1, 3]) {
      const dir = join(mkdtempSync(join(tmpdir(), 'vla-drivers-')), 'p');
      const policy = new VlaPolicy({ ...tiny, supersampling });
      savePolicy(policy, dir);
      policy.dispose();
      const d = resolveDriver(dir);
      expect(d.cameras).toEqual([{ name: 'scene', width: 32, height: 32, supersampling }]);
      d.policy!.dispose();
    }
    expect(resolveDriver('expert').cameras).toEqual([{ name: 'scene', width: 64, height: 64 }]);
    expect(() => resolveDriver('/nonexistent/policy')).toThrow(/--policy: \/nonexistent\/policy not found/);
  });
});
