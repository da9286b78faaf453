// The detector's thread runs TypeScript through tsx, as bin/vigil.js does.
import { register } from 'tsx/esm/api';

register();
await import('./detector-thread-main.ts');
