/**
 * Drives the real app (`npm start`'s entry point) as a child process over stdin/stdout, waiting for
 * output conditions (never fixed sleeps). Bounded: every wait has a deadline.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export class ConsoleSession {
  readonly child: ChildProcessWithoutNullStreams;
  private out = '';
  private err = '';
  private cursor = 0;
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(env: Record<string, string>, cwd = process.cwd()) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'bots/main.ts'], {
      cwd,
      env: { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'warn', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', (d: string) => {
      this.out += d;
      this.waiters.splice(0).forEach((w) => w());
    });
    this.child.stderr.on('data', (d: string) => (this.err += d));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        this.waiters.splice(0).forEach((w) => w());
        resolve(code);
      }),
    );
  }

  get stdout(): string {
    return this.out;
  }
  get stderr(): string {
    return this.err;
  }

  /** Sends a line and resolves with the output that follows it once `until` matches. */
  async send(line: string, until: RegExp, timeoutMs = 30_000): Promise<string> {
    this.cursor = this.out.length;
    this.child.stdin.write(`${line}\n`);
    return this.waitFor(until, timeoutMs);
  }

  async waitFor(until: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const chunk = this.out.slice(this.cursor);
      if (until.test(chunk)) {
        this.cursor = this.out.length;
        return chunk;
      }
      if (this.child.exitCode !== null)
        throw new Error(
          `process exited (${this.child.exitCode}) before ${until}; stdout:\n${this.out}\nstderr:\n${this.err}`,
        );
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${until}; output since last command:\n${chunk}\nstderr:\n${this.err}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Closes stdin (EOF) and waits for a clean exit. */
  async end(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }

  kill(): Promise<number | null> {
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** Parses a console recommendation list into positions, titles and explanation lines. */
export function parseList(output: string): { position: number; title: string; url: string; why: string }[] {
  const items: { position: number; title: string; url: string; why: string }[] = [];
  const lines = output.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\d+)\. (.+)$/.exec(lines[i]!);
    if (m && lines[i + 3]?.trim().startsWith('↳')) {
      items.push({
        position: Number(m[1]),
        title: m[2]!,
        url: lines[i + 2]!.trim(),
        why: lines[i + 3]!.trim().slice(2),
      });
    }
  }
  return items;
}
