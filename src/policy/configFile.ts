/** Reads a policy config file (JSON with fields of PolicyConfig), with errors that name the file and the field. */
import { readFileSync } from 'node:fs';
import { resolvePolicyConfig, type PolicyConfig } from './config.js';

export function readPolicyConfig(path: string): Partial<PolicyConfig> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(`${path}: ${missing ? 'not found' : `not valid JSON (${(e as Error).message})`}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${path}: expected a JSON object of policy config fields`);
  try {
    resolvePolicyConfig(json as Partial<PolicyConfig>);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return json as Partial<PolicyConfig>;
}
