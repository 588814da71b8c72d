/**
 * Starts a throw-away `redis-server` on 127.0.0.1 for a test suite.
 *
 * @example
 * const run = redisAvailable();
 * describe.runIf(run)('redis', () => {
 *   let redis: RedisServer;
 *   beforeAll(async () => { redis = await startRedis(); });
 *   afterAll(async () => { await redis.stop(); });
 * });
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { hasBinary, requireService } from './services.js';

/** True when redis-server can be started; throws when it is missing and REQUIRE_SERVICES=1. */
export function redisAvailable(): boolean {
  return requireService('redis-server', hasBinary('redis-server'));
}

export interface StartRedisOptions {
  /** Reuse a port (e.g. to restart a server in place). Default: a free port. */
  port?: number;
  /** `appendonly yes` with `appendfsync always` in `dir`, so data survives a restart. */
  persistent?: boolean;
  /** Working directory (AOF files). Default: a new temp dir under tests/.tmp. */
  dir?: string;
  /** `requirepass`. */
  password?: string;
  /** Start as a replica of the server on this port (127.0.0.1). */
  replicaOf?: number;
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` (no credentials). */
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  /**
   * SIGTERM (Redis flushes the AOF) and wait for exit. Idempotent. Removes `dir` when the helper
   * created it and the server is not persistent (a persistent dir is kept for a restart: the test removes it).
   */
  stop(): Promise<void>;
  /** SIGKILL, as in a crash; waits for exit. */
  kill(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** Sends `PING` (after `AUTH` when a password is set); resolves true on `+PONG`. */
function ping(port: number, password?: string): Promise<boolean> {
  return new Promise((done) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const finish = (ok: boolean): void => {
      sock.destroy();
      done(ok);
    };
    sock.setTimeout(500, () => finish(false));
    sock.once('error', () => finish(false));
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.includes('+PONG')) finish(true);
      else if (buf.includes('-')) finish(false);
    });
    sock.once('connect', () => {
      sock.write(password === undefined ? 'PING\r\n' : `AUTH ${password}\r\nPING\r\n`);
    });
  });
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not exit within ${ms} ms`)), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit();
    });
  });
}

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  mkdirSync('tests/.tmp', { recursive: true });
  const ownDir = options.dir === undefined;
  const dir = resolve(options.dir ?? mkdtempSync(join('tests/.tmp', 'redis-')));
  mkdirSync(dir, { recursive: true });
  // A free port can be taken between freePort() and redis binding it: retry a few times.
  for (let attempt = 0; ; attempt++) {
    const port = options.port ?? (await freePort());
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no', '--save', '', '--dir', dir];
    args.push(
      ...(options.persistent === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    );
    if (options.password !== undefined) args.push('--requirepass', options.password);
    if (options.replicaOf !== undefined) args.push('--replicaof', '127.0.0.1', String(options.replicaOf));
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    let exited = false;
    child.once('exit', () => (exited = true));

    let up = false;
    // Bounded: 200 attempts, 25 ms apart at most (~5-10 s including connect timeouts).
    for (let i = 0; i < 200 && !exited && !up; i++) {
      up = await ping(port, options.password);
      if (!up && !exited) await new Promise((r) => setTimeout(r, 25));
    }
    if (up) {
      let stopped: Promise<void> | undefined;
      const terminate = (signal: NodeJS.Signals): Promise<void> => {
        stopped ??= (async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          await waitExit(child, 10_000);
          if (ownDir && options.persistent !== true) rmSync(dir, { recursive: true, force: true });
        })();
        return stopped;
      };
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        dir,
        process: child,
        stop: () => terminate('SIGTERM'),
        kill: () => terminate('SIGKILL'),
      };
    }
    child.kill('SIGKILL');
    await waitExit(child, 5000).catch(() => undefined);
    if (options.port !== undefined || attempt >= 2) {
      throw new Error(`redis-server did not start on port ${port}: ${output.slice(-2000)}`);
    }
  }
}
