/** One source of truth: the default policy config is the shipped model's, and the recipe's policy adds nothing to it. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_CONFIG, resolvePolicyConfig } from '../../src/policy/config.js';
import { dropRemovedFields, readCheckpointConfig } from '../../src/policy/checkpoint.js';
import { readRecipe } from '../../src/recipe/index.js';

describe('defaults', () => {
  it('the default policy config is the config of models/default', () => {
    // Its config.json still names the switches removed since it was written, all off; loading drops them. Fields
    // added since (fusion) are absent and load at the values it was trained with, which are today's defaults.
    const written = dropRemovedFields(JSON.parse(readFileSync('models/default/config.json', 'utf8')), 'models/default/config.json');
    expect(resolvePolicyConfig({})).toMatchObject(written);
    const shipped = readCheckpointConfig('models/default');
    expect(resolvePolicyConfig({})).toEqual(shipped);
    expect({ ...DEFAULT_POLICY_CONFIG }).toEqual(shipped);
  });

  it('recipes/default.json trains the default policy config', () => {
    const recipe = readRecipe('recipes/default.json');
    expect(resolvePolicyConfig(recipe.policy)).toEqual(resolvePolicyConfig({}));
  });
});
