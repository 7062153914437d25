#!/usr/bin/env node
// The `testbed` CLI. Runs the TypeScript sources through tsx, so there is no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/index.ts');
process.exit(await main(process.argv.slice(2)));
