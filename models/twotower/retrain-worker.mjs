// Worker bootstrap: registers tsx's TypeScript loader in this thread (loader hooks are per thread),
// then runs the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./retrain-worker.ts');
