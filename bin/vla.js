#!/usr/bin/env node
// The `vla` command. The sources are TypeScript run directly through tsx's ESM
// loader, so there is no build step between `npm ci` and `npx vla`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
