/**
 * A person at the console, for the simulator: writes lines into the real console adapter (`runConsole`: its
 * own parser, then the core) and reads what it prints, one line at a time, waiting for each line to be handled
 * (no sleeps). The lists are read back from the printed text, the way a person reads them.
 */
import { EventEmitter, once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { App } from '../../app/compose.js';
import { runConsole } from '../../bots/console/index.js';

export interface PrintedItem {
  position: number;
  title: string;
  url: string;
}

/** The items of a printed list: "N. title", "   source · category · age", "   url", "   ↳ why". */
export function printedItems(output: string): PrintedItem[] {
  const lines = output.split('\n');
  const out: PrintedItem[] = [];
  for (let i = 0; i + 3 < lines.length; i++) {
    const m = /^(\d+)\. (.+)$/.exec(lines[i]!);
    if (m && lines[i + 3]!.trim().startsWith('↳'))
      out.push({ position: Number(m[1]), title: m[2]!, url: lines[i + 2]!.trim() });
  }
  return out;
}

export class ConsoleChat {
  private readonly input = new PassThrough();
  private readonly output = new PassThrough();
  private readonly handled = new EventEmitter();
  private text = '';
  private sent = 0;
  private done = 0;
  private readonly finished: Promise<void>;

  constructor(app: App, user: string) {
    this.output.setEncoding('utf8');
    this.output.on('data', (d: string) => (this.text += d));
    this.finished = runConsole(app, {
      input: this.input,
      output: this.output,
      user,
      onLineHandled: (n) => {
        this.done = n;
        this.handled.emit('line', n);
      },
    });
  }

  /** Writes one line and resolves with everything printed while it was handled. */
  async send(line: string): Promise<string> {
    const from = this.text.length;
    const n = ++this.sent;
    this.input.write(`${line.replace(/\n/g, ' ')}\n`);
    while (this.done < n) await once(this.handled, 'line');
    // The output stream delivers asynchronously: let it drain before reading.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return this.text.slice(from);
  }

  async close(): Promise<void> {
    this.input.end();
    await this.finished;
  }
}
