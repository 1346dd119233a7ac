/**
 * A log that prints a line of each kind at most once per `repeatMs`, and says with the next one how many were
 * suppressed in between: a robot sending a bad message at 500 Hz gets one line a second, not 500.
 */
export class RateLimitedLog {
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly repeatMs = 1000,
  ) {}

  /** Logs `line` unless a line of `key` was logged within repeatMs. */
  line(key: string, line: string, now = performance.now()): void {
    const last = this.lastLogged.get(key);
    if (last && now - last.at < this.repeatMs) {
      last.suppressed++;
      return;
    }
    const extra = last && last.suppressed > 0 ? ` (+${last.suppressed} more ${key} in the last ${((now - last.at) / 1000).toFixed(1)} s)` : '';
    this.lastLogged.set(key, { at: now, suppressed: 0 });
    this.log(line + extra);
  }
}
