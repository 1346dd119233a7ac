/**
 * Which part of a plan this process runs, for `vla collect --shard` and `vla eval --shard`, so the commands map
 * onto a scheduler with no glue:
 *
 *   --shard i/N        part i of N (0 <= i < N)
 *   --shard N          N parts; the index from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job sets it on each pod)
 *   no --shard         VLA_SHARD_COUNT=N with JOB_COMPLETION_INDEX=i in the environment: part i of N; else the whole plan
 *
 * A Kubernetes Indexed Job with `completions: N` gives its pods JOB_COMPLETION_INDEX 0..N-1 but not N itself: set
 * VLA_SHARD_COUNT (or pass --shard N) in the pod template (examples/k8s-eval-job.yaml).
 */
export interface Shard {
  index: number;
  count: number;
}

/** What --shard said: an index and a count, or a count whose index comes from the environment. */
export interface ShardFlag {
  index: number | null;
  count: number;
}

export const INDEX_ENV = 'JOB_COMPLETION_INDEX';
export const COUNT_ENV = 'VLA_SHARD_COUNT';

/** More shards than episodes any command runs (10,000,000) would only be empty. */
const MAX_SHARDS = 10_000_000;

function wholeNumber(text: string, what: string, min: number): number {
  if (!/^\d+$/.test(text.trim())) throw new Error(`${what}: expected a whole number, got "${text}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${what}: expected a whole number of at least ${min}, got "${text}"`);
  return n;
}

/** Parses --shard: "i/N" or "N" (commander's argument parser). */
export function parseShardFlag(value: string): ShardFlag {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (m) {
    const index = Number(m[1]);
    const count = Number(m[2]);
    if (count < 1 || index >= count || count > MAX_SHARDS) throw new Error(`--shard: expected i/N with 0 <= i < N <= ${MAX_SHARDS} (e.g. 0/4), got "${value}"`);
    return { index, count };
  }
  if (/^\s*\d+\s*$/.test(value)) {
    const count = wholeNumber(value, '--shard', 1);
    if (count > MAX_SHARDS) throw new Error(`--shard: at most ${MAX_SHARDS} shards, got "${value}"`);
    return { index: null, count };
  }
  throw new Error(`--shard: expected i/N (e.g. 0/4) or N (the index from ${INDEX_ENV}), got "${value}"`);
}

/** The shard this process runs, from the flag and the environment (see the module comment). */
export function resolveShard(flag: ShardFlag | undefined, env: NodeJS.ProcessEnv = process.env): Shard {
  const rawIndex = env[INDEX_ENV];
  const rawCount = env[COUNT_ENV];
  if (flag && flag.index !== null) return { index: flag.index, count: flag.count };
  const count = flag ? flag.count : rawCount !== undefined && rawCount !== '' ? wholeNumber(rawCount, COUNT_ENV, 1) : null;
  if (count === null) {
    if (rawIndex !== undefined && rawIndex !== '') {
      throw new Error(`${INDEX_ENV}=${rawIndex} is set but not the shard count: set ${COUNT_ENV}=N (the Job's completions) or pass --shard N`);
    }
    return { index: 0, count: 1 };
  }
  if (rawIndex === undefined || rawIndex === '') {
    throw new Error(`${flag ? `--shard ${count}` : `${COUNT_ENV}=${count}`} needs the index from ${INDEX_ENV} (set by a Kubernetes Indexed Job), or give --shard i/${count}`);
  }
  const index = wholeNumber(rawIndex, INDEX_ENV, 0);
  if (index >= count) throw new Error(`${INDEX_ENV}=${index} is not below the shard count ${count}`);
  return { index, count };
}
