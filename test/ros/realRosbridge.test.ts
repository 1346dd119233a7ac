/**
 * Against a real rosbridge_server (ROS 1 or 2): skipped unless env ROSBRIDGE_URL is set, e.g.
 *   ros2 launch rosbridge_server rosbridge_websocket_launch.xml   # then
 *   ROSBRIDGE_URL=ws://127.0.0.1:9090 npx vitest run test/ros/realRosbridge.test.ts
 * Runs `vla ros-sim` and `vla ros --command ...` as the user would and checks that joint commands went round.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';

const URL = process.env.ROSBRIDGE_URL;

function vla(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/vla.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!URL)('vla ros-sim and vla ros against a real rosbridge (ROSBRIDGE_URL)', () => {
  it('drives the simulated arm through rosbridge', async () => {
    const sim = vla(['ros-sim', '--url', URL!, '--duration', '25']);
    await new Promise((r) => setTimeout(r, 4000));
    const ros = await vla(['ros', '--url', URL!, '--command', 'pick up the red ball', '--duration', '12', '--json']);
    const simOut = await sim;
    expect(ros.code, ros.stderr).toBe(0);
    const summary = JSON.parse(ros.stdout.trim().split('\n').at(-1)!);
    expect(summary.published).toBeGreaterThan(10);
    expect(summary.jointStates).toBeGreaterThan(10);
    expect(simOut.stdout).toMatch(/vla ros-sim: 1 episodes, [1-9]\d* joint commands obeyed, 0 refused/);
  }, 60_000);
});

// Needs a live rosbridge_server: .ci/run starts one from ../shared/rosbridge and sets ROSBRIDGE_URL. Without one (a
// plain `npm test`), this placeholder says so in the test report instead of passing silently.
if (!URL) {
  describe('real rosbridge', () => {
    it.skip('skipped: set ROSBRIDGE_URL=ws://HOST:9090 (a running rosbridge_server) to run vla ros-sim and vla ros against it', () => {});
  });
}
