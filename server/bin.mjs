#!/usr/bin/env node
// `npx zeroloss <command>`: loads TypeScript through tsx, then runs server/cli.ts.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
