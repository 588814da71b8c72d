/**
 * The outbox's scheduling on a virtual clock: which message goes next under the limits, priorities and
 * flood waits. Times below are virtual milliseconds (the clock only moves when the test moves it), so the
 * assertions are about order and about the schedule the limits imply — never about how fast this machine is.
 */
import { describe, expect, it } from 'vitest';
import {
  Outbox,
  OutboxClosedError,
  describeOutbox,
  type OutboxLane,
  type OutboxLimits,
} from '../../core/outbox/outbox.js';

/** A virtual clock with timers; `run(ms)` moves time forward, firing due timers in order and letting sends settle. */
class VirtualTime {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private id = 0;
  now = () => this.t;
  setTimer = (fn: () => void, ms: number) => {
    const timer = { at: this.t + ms, fn, id: ++this.id };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((x) => x !== timer)) };
  };
  async settle(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  }
  async run(ms: number): Promise<void> {
    const end = this.t + ms;
    await this.settle();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
      await this.settle();
    }
    this.t = end;
    await this.settle();
  }
}

class FloodWait extends Error {
  constructor(readonly seconds: number) {
    super(`429: retry after ${seconds}`);
  }
}

function setup(limits: Partial<OutboxLimits>, extra: { yieldMs?: number; reserveTimeoutMs?: number } = {}) {
  const time = new VirtualTime();
  const outbox = new Outbox({
    name: 'test',
    limits: { perSecond: 0, chatIntervalMs: 0, chatBurst: 1, groupPerMinute: 0, ...limits },
    now: time.now,
    setTimer: time.setTimer,
    retryAfterOf: (e) => (e instanceof FloodWait ? e.seconds : undefined),
    ...extra,
  });
  const log: { chat: string; label: string; at: number }[] = [];
  /** A list sender the way ListDelivery drives one: the next message is enqueued after the previous went out. */
  const list = async (
    lane: OutboxLane,
    n: number,
    name = lane.list ?? lane.chat,
    fail?: (i: number) => Error | undefined,
  ) => {
    for (let i = 1; i <= n; i++) {
      let attempt = 0;
      await outbox.send(lane, async () => {
        attempt++;
        const e = fail?.(i * 10 + attempt);
        if (e) throw e;
        log.push({ chat: lane.chat, label: `${name}${i}`, at: time.t });
      });
    }
    outbox.finish(lane);
  };
  return { time, outbox, log, list };
}

describe('outbox: fairness', () => {
  it('GIVEN three lists and a global limit THEN a started list is finished before the next starts (not advanced together)', async () => {
    const { time, log, list } = setup({ perSecond: 2 });
    const done = [
      list({ chat: 'a', list: 'A', size: 3 }, 3),
      list({ chat: 'b', list: 'B', size: 3 }, 3),
      list({ chat: 'c', list: 'C', size: 3 }, 3),
    ];
    await time.run(10_000);
    await Promise.all(done);
    expect(log.map((x) => x.label)).toEqual(['A1', 'B1', 'A2', 'B2', 'A3', 'B3', 'C1', 'C2', 'C3']);
    // Two per virtual second, never more.
    const perSecond = new Map<number, number>();
    for (const x of log) perSecond.set(Math.floor(x.at / 1000), (perSecond.get(Math.floor(x.at / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(2);
  });

  it('GIVEN a backlog of lists THEN a one-message reply goes out next instead of behind every list', async () => {
    const { time, outbox, log, list } = setup({ perSecond: 1 });
    const lists = [1, 2, 3].map((i) => list({ chat: `c${i}`, list: `L${i}`, size: 5 }, 5));
    await time.run(1500);
    const reply = outbox.send({ chat: 'x' }, async () => log.push({ chat: 'x', label: 'reply', at: time.t }));
    await time.run(60_000);
    await Promise.all([...lists, reply]);
    expect(log.findIndex((x) => x.label === 'reply')).toBe(2);
  });

  it('GIVEN two lists in one group THEN the second waits until the first is complete (no interleaving)', async () => {
    const { time, log, list } = setup({});
    const a = list({ chat: 'g', group: true, list: 'A', size: 3 }, 3);
    const b = list({ chat: 'g', group: true, list: 'B', size: 3 }, 3);
    await time.run(1000);
    await Promise.all([a, b]);
    expect(log.map((x) => x.label)).toEqual(['A1', 'A2', 'A3', 'B1', 'B2', 'B3']);
  });

  it('GIVEN a lane that stops sending THEN the chat goes to the next lane after yieldMs', async () => {
    const { time, outbox, log } = setup({}, { yieldMs: 2000 });
    await outbox.send({ chat: 'g', list: 'A' }, async () => log.push({ chat: 'g', label: 'A1', at: time.t }));
    const b = outbox.send({ chat: 'g', list: 'B' }, async () => log.push({ chat: 'g', label: 'B1', at: time.t }));
    await time.run(1999);
    expect(log.map((x) => x.label)).toEqual(['A1']);
    await time.run(1);
    await b;
    expect(log.map((x) => x.label)).toEqual(['A1', 'B1']);
  });
});

describe('outbox: limits', () => {
  it('GIVEN one message per second per chat after a burst of 2 THEN a list of 4 goes out at 0, 0, 1, 2 s', async () => {
    const { time, log, list } = setup({ chatIntervalMs: 1000, chatBurst: 2 });
    const done = list({ chat: 'a', list: 'A', size: 4 }, 4);
    await time.run(5000);
    await done;
    expect(log.map((x) => x.at)).toEqual([0, 0, 1000, 2000]);
  });

  it('GIVEN 3 per minute in a group THEN the 4th message waits for the minute window', async () => {
    const { time, log, list } = setup({ groupPerMinute: 3 });
    const done = list({ chat: '-1', group: true, list: 'G', size: 5 }, 5);
    await time.run(130_000);
    await done;
    expect(log.map((x) => x.at)).toEqual([0, 0, 0, 60_000, 60_000]);
  });

  it('GIVEN limits off THEN everything is sent at once', async () => {
    const { time, log, list } = setup({});
    const done = [list({ chat: 'a', list: 'A', size: 3 }, 3), list({ chat: 'b', list: 'B', size: 3 }, 3)];
    await time.run(0);
    await Promise.all(done);
    expect(log.every((x) => x.at === 0)).toBe(true);
    expect(log).toHaveLength(6);
  });
});

describe('outbox: priorities', () => {
  it('GIVEN a digest backlog THEN an interactive list asked later goes out before the remaining digest messages', async () => {
    const { time, log, list } = setup({ perSecond: 1 });
    const digests = [1, 2, 3, 4].map((i) => list({ chat: `d${i}`, list: `D${i}-`, size: 3, priority: 'digest' }, 3));
    await time.run(2500);
    const sentBefore = log.length;
    const reco = list({ chat: 'u', list: 'R', size: 3, priority: 'interactive' }, 3);
    await time.run(30_000);
    await Promise.all([...digests, reco]);
    const labels = log.map((x) => x.label);
    expect(labels.slice(sentBefore, sentBefore + 3)).toEqual(['R1', 'R2', 'R3']);
    expect(labels).toHaveLength(15);
  });

  it('GIVEN a digest half sent in a chat THEN an interactive list in the same chat goes first, then the digest resumes', async () => {
    const { time, outbox, log } = setup({ chatIntervalMs: 1000, chatBurst: 1 });
    const digest = (async () => {
      for (let i = 1; i <= 3; i++)
        await outbox.send({ chat: 'g', list: 'D', size: 3, priority: 'digest' }, async () =>
          log.push({ chat: 'g', label: `D${i}`, at: time.t }),
        );
    })();
    await time.run(500);
    const reco = (async () => {
      for (let i = 1; i <= 2; i++)
        await outbox.send({ chat: 'g', list: 'R', size: 2 }, async () =>
          log.push({ chat: 'g', label: `R${i}`, at: time.t }),
        );
    })();
    await time.run(10_000);
    await Promise.all([digest, reco]);
    expect(log.map((x) => x.label)).toEqual(['D1', 'R1', 'R2', 'D2', 'D3']);
  });
});

describe('outbox: flood waits (429)', () => {
  it('GIVEN a 429 with retry_after 3 in one chat THEN that chat waits 3 s and retries first; other chats go on', async () => {
    const { time, outbox, log, list } = setup({});
    const a = list({ chat: 'a', list: 'A', size: 3 }, 3, 'A', (k) => (k === 21 ? new FloodWait(3) : undefined));
    const b = list({ chat: 'b', list: 'B', size: 3 }, 3);
    await time.run(10_000);
    await Promise.all([a, b]);
    expect(log.filter((x) => x.chat === 'a').map((x) => [x.label, x.at])).toEqual([
      ['A1', 0],
      ['A2', 3000],
      ['A3', 3000],
    ]);
    expect(log.filter((x) => x.chat === 'b').every((x) => x.at === 0)).toBe(true);
    expect(outbox.stats().rateLimited).toBe(1);
  });

  it('GIVEN 429s from two chats within a second THEN every chat waits (a global flood wait)', async () => {
    const { time, log, list } = setup({});
    const fail = (k: number) => (k === 11 ? new FloodWait(2) : undefined);
    const a = list({ chat: 'a', list: 'A', size: 1 }, 1, 'A', fail);
    const b = list({ chat: 'b', list: 'B', size: 1 }, 1, 'B', fail);
    await time.run(0);
    const c = list({ chat: 'c', list: 'C', size: 1 }, 1);
    await time.run(5000);
    await Promise.all([a, b, c]);
    expect(log.map((x) => x.at)).toEqual([2000, 2000, 2000]);
  });

  it('GIVEN a flood wait longer than the maximum THEN the send fails with the platform error', async () => {
    const { time, outbox } = setup({});
    const p = outbox.send({ chat: 'a' }, async () => {
      throw new FloodWait(3600);
    });
    const settled = p.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await time.run(0);
    expect(await settled).toBeInstanceOf(FloodWait);
  });
});

describe('outbox: reservations, stats, close', () => {
  it('GIVEN reserve() THEN the next send of the lane uses the granted slot; an unused reservation lapses', async () => {
    const { time, outbox, log } = setup({ perSecond: 1 }, { reserveTimeoutMs: 5000 });
    await outbox.reserve({ chat: 'a', list: 'A', priority: 'digest' });
    await outbox.send({ chat: 'a', list: 'A', priority: 'digest' }, async () =>
      log.push({ chat: 'a', label: 'A1', at: time.t }),
    );
    expect(log.map((x) => [x.label, x.at])).toEqual([['A1', 0]]);
    // An unused reservation holds the chat until it lapses.
    await time.run(1000);
    await outbox.reserve({ chat: 'b', list: 'B' });
    const next = outbox.send({ chat: 'b', list: 'C' }, async () => log.push({ chat: 'b', label: 'C1', at: time.t }));
    await time.run(4999);
    expect(log).toHaveLength(1);
    await time.run(2000);
    await next;
    expect(log.map((x) => x.label)).toEqual(['A1', 'C1']);
  });

  it('GIVEN waiting messages THEN stats count them by priority and describe names the wait; close rejects them', async () => {
    const { time, outbox } = setup({ perSecond: 1 });
    const sends = [
      outbox.send({ chat: 'a', priority: 'interactive' }, async () => 1),
      outbox.send({ chat: 'b', priority: 'interactive' }, async () => 2),
      outbox.send({ chat: 'c', priority: 'digest' }, async () => 3),
    ].map((p) => p.catch((e: unknown) => e));
    await time.run(500);
    const s = outbox.stats();
    expect(s.waiting).toEqual({ interactive: 1, digest: 1 });
    expect(s.oldestWaitMs).toBe(500);
    expect(describeOutbox(s)).toMatch(/Outbox \(test\): 2 waiting \(1 interactive, 1 digest\)/);
    outbox.close();
    const results = await Promise.all(sends);
    expect(results[0]).toBe(1);
    expect(results.slice(1).every((r) => r instanceof OutboxClosedError)).toBe(true);
  });
});
