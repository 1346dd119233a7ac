/** The ROS controller's rate-limited log: one line per kind per second, the suppressed ones counted in the next. */
import { describe, expect, it } from 'vitest';
import { RateLimitedLog } from '../../src/ros/RateLimitedLog.js';

describe('RateLimitedLog', () => {
  it('prints the first line of a kind, suppresses repeats within the window, and counts them in the next line', () => {
    const lines: string[] = [];
    const log = new RateLimitedLog((l) => lines.push(l), 1000);
    log.line('bad_message', 'refused 1', 0);
    log.line('bad_message', 'refused 2', 10);
    log.line('bad_message', 'refused 3', 999);
    log.line('stale_image', 'no frame', 500); // another kind has its own window
    log.line('bad_message', 'refused 4', 1500);
    log.line('bad_message', 'refused 5', 2600);
    expect(lines).toEqual(['refused 1', 'no frame', 'refused 4 (+2 more bad_message in the last 1.5 s)', 'refused 5']);
  });
});
