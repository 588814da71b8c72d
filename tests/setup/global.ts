/**
 * Global test setup: nothing global yet beyond making a scratch directory.
 * Suites that need services (Redis, Chromium) start them themselves through tests/helpers.
 */
import { mkdirSync } from 'node:fs';

export default function setup(): void {
  mkdirSync('tests/.tmp', { recursive: true });
}
