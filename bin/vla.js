#!/usr/bin/env node
// The `vla` command. The sources are TypeScript run directly through tsx's ESM
// loader, so there is no build step between `npm ci` and `npx vla`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv);
process.exitCode = code;
// A command that failed may leave a timer or a socket behind (a control loop, a rosbridge client retrying its
// connection) that would keep the process waiting forever: its error is printed, so end here. stderr is written
// synchronously on Linux (files, pipes and terminals), so the message is not lost.
if (code === 1) process.exit(1);
