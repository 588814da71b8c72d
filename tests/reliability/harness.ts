/**
 * Drives replica processes (fixtures/replica.ts) and checks what the store holds afterwards.
 * Everything is bounded: every wait has a deadline, every child is killed when a suite ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { KeyValueStore } from '../../core/ports.js';
import { NS_IDENTITIES, NS_USERS } from '../../core/store/namespaces.js';
import type { UserDoc } from '../../core/users/doc.js';

const REPLICA = resolve('tests/reliability/fixtures/replica.ts');

export interface ReplicaLine {
  ready?: boolean;
  ack?: string;
  user?: string;
  status?: string;
  err?: string;
  key?: string;
  done?: string;
  ms?: number;
  said?: string;
  forgot?: string;
}

export class Replica {
  readonly lines: ReplicaLine[] = [];
  readonly acks = new Map<string, string>();
  /** The slowest acknowledgement seen (ms from the call to its resolution inside the replica). */
  worstAckMs = 0;
  readonly errors: ReplicaLine[] = [];
  stderr = '';
  private readonly waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (l) => {
      let obj: ReplicaLine;
      try {
        obj = JSON.parse(l) as ReplicaLine;
      } catch {
        return;
      }
      this.lines.push(obj);
      if (obj.ack !== undefined) {
        this.acks.set(obj.ack, obj.user ?? '');
        this.worstAckMs = Math.max(this.worstAckMs, obj.ms ?? 0);
      }
      if (obj.err !== undefined) this.errors.push(obj);
      for (const w of this.waiters.splice(0)) w();
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000);
    });
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
    void this.exited.then(() => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async start(target: string, keyPrefix: string, env: Record<string, string> = {}): Promise<Replica> {
    const child = spawn(process.execPath, ['--import', 'tsx', REPLICA, target, keyPrefix, JSON.stringify(env)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const r = new Replica(child);
    await r.until((l) => l.ready === true, 60_000, 'replica start');
    return r;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  send(cmd: Record<string, unknown>): void {
    this.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Waits (bounded) until a line matching `pred` has arrived. */
  async until(pred: (l: ReplicaLine) => boolean, ms: number, what: string): Promise<ReplicaLine> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit) return hit;
      if (!this.alive) throw new Error(`${what}: the replica exited; stderr: ${this.stderr.slice(-3000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what}: timed out; stderr: ${this.stderr.slice(-3000)}`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
  }

  /** Waits (bounded) until at least `n` acks arrived. */
  async untilAcks(n: number, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.acks.size < n) {
      if (!this.alive) throw new Error(`the replica exited before ${n} acks; stderr: ${this.stderr.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`only ${this.acks.size} of ${n} acks in time`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
  }

  kill9(): Promise<number | null> {
    if (this.alive) this.child.kill('SIGKILL');
    return this.exited;
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    this.send({ op: 'exit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Every user document in the store. */
export async function allUserDocs(store: KeyValueStore): Promise<UserDoc[]> {
  const ids: string[] = [];
  for await (const k of store.keys(NS_USERS)) ids.push(k);
  const docs = await store.getMany<UserDoc>(NS_USERS, ids);
  return docs.filter((d): d is UserDoc => d !== undefined);
}

export interface LossReport {
  acknowledged: number;
  lost: string[];
  /** Identities held by more than one user document. */
  duplicates: string[];
  /** Identities whose key points at a document that does not list them (or at none). */
  dangling: string[];
}

/**
 * Checks acknowledged events against the store: each must be in its user's document (seen keys), each
 * identity in exactly one document, and the identity key pointing at that document.
 */
export async function checkAcks(store: KeyValueStore, acks: ReadonlyMap<string, string>): Promise<LossReport> {
  const docs = await allUserDocs(store);
  const owners = new Map<string, UserDoc[]>();
  for (const d of docs)
    for (const i of d.user.identities) {
      const k = `${i.platform}:${i.externalId}`;
      owners.set(k, [...(owners.get(k) ?? []), d]);
    }
  const duplicates = [...owners].filter(([, ds]) => ds.length > 1).map(([k]) => k);
  const dangling: string[] = [];
  for (const [k, ds] of owners) {
    const id = await store.get<string>(NS_IDENTITIES, k);
    if (id === undefined || !ds.some((d) => d.user.id === id)) dangling.push(k);
  }
  const lost: string[] = [];
  for (const [key, user] of acks) {
    const ds = owners.get(`console:${user}`) ?? [];
    if (!ds.some((d) => d.seenKeys.includes(key))) lost.push(key);
  }
  return { acknowledged: acks.size, lost, duplicates, dangling };
}
