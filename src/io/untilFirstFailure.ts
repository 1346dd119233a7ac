/**
 * Runs the jobs together and waits for all of them; the first that fails aborts the others through the signal and its
 * error is thrown, instead of the others running to their end first (collect's workers, a recipe evaluation's lanes).
 */
export async function untilFirstFailure(jobs: Array<(stop: AbortSignal) => Promise<void>>): Promise<void> {
  const stop = new AbortController();
  let first: unknown = null;
  await Promise.all(
    jobs.map((job) =>
      job(stop.signal).catch((e: unknown) => {
        if (first === null) first = e;
        stop.abort();
      }),
    ),
  );
  if (first !== null) throw first;
}
