#!/usr/bin/env node
// Runs Vigil's TypeScript directly (tsx), so `npx vigil` works right after `npm install`
// with no build step and no stale output to go out of date.
import { register } from 'tsx/esm/api';

register();
await import('../pipeline/cli.ts');
