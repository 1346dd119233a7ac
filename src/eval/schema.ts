/**
 * The JSON `vla eval --json` prints on its last line (and shard reports carry): an Evaluation, with
 * languageSensitivity and attentionOnTarget when measured. Readers of that JSON (the recipe's evaluation protocol,
 * `vla eval --merge`) parse it with these schemas and say which field is wrong instead of trusting a cast.
 */
import { z } from 'zod';

const Count = z.number().int().nonnegative();
const Counts = z.record(z.string(), Count);

export const RateSchema = z.object({ episodes: Count, successes: Count, successRate: z.number(), ci95: z.tuple([z.number(), z.number()]) });

const FailureSitesSchema = z.object({ byTarget: Count, byOther: Count, never: Count });

export const TaskTableSchema = RateSchema.extend({
  meanSteps: z.number(),
  perSplit: z.record(z.string(), RateSchema),
  failures: Counts,
  parked: Count,
  approach: z.object({ measured: Count, median: z.number().nullable(), close: Count }),
  failedBy: FailureSitesSchema.nullable(),
  perTarget: z.record(z.string(), RateSchema.extend({ cameDownBy: Counts })),
});

export const EvaluationSchema = z.object({
  successRate: z.number(),
  episodes: Count,
  meanSteps: z.number(),
  seconds: z.number(),
  perTask: z.record(z.string(), TaskTableSchema),
});

export const LanguageSensitivitySchema = z.object({
  task: z.enum(['pick', 'place']),
  scenes: Count,
  commands: Count,
  successes: Count,
  rate: z.number(),
  failures: Counts,
  failedBy: FailureSitesSchema,
  confusions: Counts,
});

export const AttentionOnTargetSchema = z.object({
  episodes: Count,
  targetShare: z.number(),
  uniformShare: z.number(),
  ratio: z.number(),
  keypointErrorPx: z.number(),
  pointing: z.object({ words: Count, atTarget: Count, sameColour: Count, sameShape: Count, other: Count }),
});

/** The whole `vla eval --json` line. */
export const EvalOutputSchema = EvaluationSchema.extend({
  languageSensitivity: LanguageSensitivitySchema.optional(),
  attentionOnTarget: AttentionOnTargetSchema.optional(),
});
export type EvalOutput = z.infer<typeof EvalOutputSchema>;
