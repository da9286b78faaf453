// The API's read thread runs TypeScript through tsx, as bin/vigil.js does.
import { register } from 'tsx/esm/api';

register();
await import('./read-thread.ts');
