/** `vla eval --policy DIR --recipe FILE`: a recipe's evaluation protocol (report seeds, splits, language) on any policy. */
import { availableParallelism } from 'node:os';
import { cacheRoot, readRecipe } from '../../recipe/index.js';
import { evaluateWithRecipe, formatModelEvaluation } from '../../eval/index.js';

export async function evalWithRecipe(policy: string, recipePath: string, json: boolean): Promise<void> {
  if (policy === 'expert') throw new Error('--recipe evaluates a policy folder; for the scripted expert use --task and --episodes');
  const e = readRecipe(recipePath).evaluation;
  const log = (line: string) => process.stderr.write(`[eval] ${line}\n`);
  const m = await evaluateWithRecipe(policy, e, { cache: cacheRoot(), workers: Math.min(2, availableParallelism()), log });
  console.log(formatModelEvaluation(m, e.splits));
  if (json) console.log(JSON.stringify(m));
}
