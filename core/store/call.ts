/** Runs store calls so that a driver failure reaches callers as `STORE_UNAVAILABLE` (RecoErrors pass through). */
import { RecoError } from '../errors.js';

export async function storeCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RecoError) throw e;
    throw new RecoError('STORE_UNAVAILABLE', `store operation failed: ${(e as Error)?.message ?? e}`, { cause: e });
  }
}
