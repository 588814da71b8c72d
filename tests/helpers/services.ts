/**
 * Suites that need a system service (redis-server, chromium) call `requireService`.
 * Locally a missing service skips the suite; in CI (`REQUIRE_SERVICES=1`) it fails it, so no suite may skip there.
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export const servicesRequired = process.env.REQUIRE_SERVICES === '1';

/** True when the binary is on PATH (or at the given absolute path). */
export function hasBinary(nameOrPath: string): boolean {
  if (nameOrPath.startsWith('/')) return existsSync(nameOrPath);
  try {
    execFileSync('sh', ['-c', `command -v ${nameOrPath}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns true when the suite should run. Throws when the service is missing and REQUIRE_SERVICES=1.
 * @example
 * const run = requireService('redis-server', hasBinary('redis-server'));
 * describe.runIf(run)('redis store', () => { ... });
 */
export function requireService(name: string, available: boolean): boolean {
  if (available) return true;
  if (servicesRequired) {
    throw new Error(`${name} is required (REQUIRE_SERVICES=1) but is not installed; .ci/run must install it`);
  }
  return false;
}
