/**
 * A throw-away Redis high-availability set on 127.0.0.1: a primary, replicas (two by default, so that after
 * a failover the new primary still has one to confirm `WAIT 1`) and one Sentinel (Debian's `redis-sentinel`,
 * i.e. `redis-server --sentinel`) watching them, all on free ports, with short detection times so a failover
 * completes in a few seconds. Used by the reliability suite.
 *
 * @example
 * const ha = await startSentinelSet();
 * const store = await RedisStore.open('redis://127.0.0.1', { sentinel: { nodes: [ha.sentinel], name: ha.name }, waitReplicas: 1 });
 * await ha.primary.kill(); // kill -9; the sentinel promotes the replica
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { freePort, startRedis, type RedisServer } from './redis.js';
import { hasBinary, requireService } from './services.js';

/** True when redis-server and redis-sentinel can be started; throws when missing and REQUIRE_SERVICES=1. */
export function sentinelAvailable(): boolean {
  return (
    requireService('redis-server', hasBinary('redis-server')) &&
    requireService('redis-sentinel', hasBinary('redis-sentinel'))
  );
}

export interface SentinelSet {
  name: string;
  primary: RedisServer;
  replicas: RedisServer[];
  sentinel: { host: string; port: number };
  /** down-after-milliseconds + failover time the sentinel is configured with (an upper bound to wait for). */
  failoverMs: number;
  /** Asks the sentinel which port the primary is on now. */
  primaryPort(): Promise<number | undefined>;
  /**
   * Whether the server on `port` (the primary the sentinel named) takes replicated writes: it answers as a master
   * and has at least `replicas` replica(s) online (what `WAIT <replicas>` needs).
   */
  writable(port: number | undefined, replicas: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** Sends one inline command, resolves the raw reply text (bounded). */
export function rawCommand(port: number, command: string, ms = 1000): Promise<string> {
  return new Promise((done) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const finish = () => {
      sock.destroy();
      done(buf);
    };
    const timer = setTimeout(finish, ms);
    sock.once('error', () => {
      clearTimeout(timer);
      finish();
    });
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      if (/\r\n$/.test(buf) && !/^\*\d+\r\n$/.test(buf)) {
        // good enough for the short replies used here; the timer ends longer ones
        if (!buf.startsWith('*') || buf.split('\r\n').length > 4) {
          clearTimeout(timer);
          finish();
        }
      }
    });
    sock.once('connect', () => sock.write(`${command}\r\n`));
  });
}

async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startSentinelSet(
  o: { replicas?: number; downAfterMs?: number; failoverTimeoutMs?: number } = {},
): Promise<SentinelSet> {
  const name = 'deepreco';
  const downAfter = o.downAfterMs ?? 1000;
  const failoverTimeout = o.failoverTimeoutMs ?? 5000;
  const primary = await startRedis();
  const replicas: RedisServer[] = [];
  let sentinelProc: ChildProcess | undefined;
  const dir = resolve(mkdtempSync(join('tests/.tmp', 'sentinel-')));
  const stopAll = async () => {
    await primary.stop().catch(() => undefined);
    for (const r of replicas) await r.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < (o.replicas ?? 2); i++) replicas.push(await startRedis({ replicaOf: primary.port }));
    for (const replica of replicas)
      await waitFor(
        async () => /master_link_status:up/.test(await rawCommand(replica.port, 'INFO replication')),
        15_000,
        'replica sync',
      );
    const port = await freePort();
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primary.port} 1`,
        `sentinel down-after-milliseconds ${name} ${downAfter}`,
        `sentinel failover-timeout ${name} ${failoverTimeout}`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    sentinelProc = spawn('redis-sentinel', [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    // SENTINEL_LOG=1 copies the sentinel's own log (+sdown, +failover-end, …) to stderr when debugging a failover.
    if (process.env.SENTINEL_LOG) sentinelProc.stdout?.on('data', (d) => process.stderr.write('[S] ' + String(d)));
    const proc = sentinelProc;
    const primaryPort = async (): Promise<number | undefined> => {
      const reply = await rawCommand(port, `SENTINEL get-master-addr-by-name ${name}`);
      const m = /\r\n(\d+)\r\n$/.exec(reply);
      return m ? Number(m[1]) : undefined;
    };
    const writable = async (p: number | undefined, want: number): Promise<boolean> => {
      if (p === undefined) return false;
      const info = await rawCommand(p, 'INFO replication');
      if (!/role:master/.test(info)) return false;
      return (info.match(/slave\d+:[^\r\n]*state=online/g) ?? []).length >= want;
    };
    // Ready when it knows the primary and has discovered the replica.
    await waitFor(async () => (await primaryPort()) === primary.port, 15_000, 'sentinel start');
    await waitFor(
      async () => {
        const known = await rawCommand(port, `SENTINEL replicas ${name}`);
        return replicas.every((r) => known.includes(String(r.port)));
      },
      15_000,
      'sentinel discovers the replicas',
    );
    return {
      name,
      primary,
      replicas,
      sentinel: { host: '127.0.0.1', port },
      failoverMs: downAfter + failoverTimeout,
      primaryPort,
      writable,
      async stop() {
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill('SIGKILL');
          await new Promise((r) => proc.once('exit', r));
        }
        await stopAll();
      },
    };
  } catch (e) {
    sentinelProc?.kill('SIGKILL');
    await stopAll();
    throw e;
  }
}
