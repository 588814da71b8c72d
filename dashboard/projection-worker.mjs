// Worker bootstrap: registers tsx's TypeScript loader in this thread (loader hooks are per thread),
// then runs the TypeScript worker (same pattern as models/twotower/retrain-worker.mjs).
import { register } from 'tsx/esm/api';

register();
await import('./projection-worker.ts');
