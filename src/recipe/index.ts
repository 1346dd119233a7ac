/** Recipes: one file that makes a model from nothing (src/recipe/Recipe.ts says what it holds). */
export { RECIPE_FORMAT, RECIPE_VERSION, RecipeSchema, DatasetSpecSchema, StageSchema, EvaluationSpecSchema, parseRecipe, readRecipe, recipeHash, canonicalJson, reportSeeds } from './Recipe.js';
export type { Recipe, DatasetSpec, Stage, EvaluationSpec } from './Recipe.js';
export { cacheRoot, datasetDir, datasetKey, ensureDataset, normaliseSpec, readComplete, contentHash, type DatasetRecord, type Rendering } from './DatasetCache.js';
export { planRecipe, runRecipe, renderingOf, type PlanStep, type Provenance, type RecipeRunOptions } from './RecipeRun.js';
