/**
 * Reads a `vla train --config` file ({"policy": {...}, "train": {...}}) with errors that name the file and the
 * field (an unknown field by its name and the allowed ones), a few problems at most.
 */
import { readFileSync } from 'node:fs';
import { resolvePolicyConfig, type PolicyConfig } from '../policy/config.js';
import { formatZodError } from '../io/zodIssues.js';
import { TrainConfigFileSchema, TrainOptionsSchema, type TrainOptions } from './train.js';

export function readTrainConfigFile(path: string): { policy: Partial<PolicyConfig>; train: Partial<TrainOptions> } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${path}: ${code === 'ENOENT' ? 'not found' : code ? `unreadable (${code})` : `not valid JSON (${(e as Error).message})`}`);
  }
  const top = TrainConfigFileSchema.safeParse(json);
  if (!top.success) throw new Error(`${path}: ${formatZodError(top.error, '', ['policy', 'train'])} (expected {"policy": {...}, "train": {...}})`);
  const train = TrainOptionsSchema.partial().safeParse(top.data.train ?? {});
  if (!train.success) throw new Error(`${path}: ${formatZodError(train.error, 'train', Object.keys(TrainOptionsSchema.shape))}`);
  return { policy: (top.data.policy ?? {}) as Partial<PolicyConfig>, train: train.data as Partial<TrainOptions> };
}

/**
 * Checks a config file's policy section as a policy from scratch (over the defaults), naming the file, before
 * anything is loaded or written. Not for --init, whose fields apply over the initial policy's config instead.
 */
export function checkPolicySection(path: string, policy: Partial<PolicyConfig>): void {
  try {
    resolvePolicyConfig(policy);
  } catch (e) {
    throw new Error(`${path}: policy: ${(e as Error).message}`);
  }
}
