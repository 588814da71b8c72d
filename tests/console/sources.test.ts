/**
 * Own sources in the console, through its real input/output streams: an OPML file named by its path is
 * imported (a real feed reader export: tests/fixtures/sources/feedly-export.opml), `/sources` lists them with
 * their health, `/sources export` writes an OPML file whose feeds are the same (round trip), `/unsubscribe`
 * by number, and a private address is refused.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app/compose.js';
import { runConsole } from '../../bots/console/index.js';
import { defaultConfig } from '../../core/config.js';
import { silentLogger } from '../../core/ports.js';
import { parseOpml } from '../../core/sources/opml.js';
import { nextEvent } from '../discord/harness.js';
import { topicCatalog } from '../helpers/items.js';

const FIXTURE = 'tests/fixtures/sources/feedly-export.opml';
const NOW = new Date('2026-03-10T01:00:00Z');
const noDns = async (host: string) => {
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};

describe('console: /subscribe, /sources, /unsubscribe, OPML files', () => {
  const input = new PassThrough();
  const output = new PassThrough();
  const handled = new EventEmitter();
  const dataDir = mkdtempSync(join(tmpdir(), 'deep-reco-console-sources-'));
  let app: App;
  let done: Promise<void>;
  let out = '';
  let lines = 0;

  const line = async (text: string): Promise<string> => {
    const from = out.length;
    const n = ++lines;
    const wait = nextEvent<number>(handled, 'line', (x) => x === n);
    input.write(`${text}\n`);
    await wait;
    return out.slice(from);
  };

  beforeAll(async () => {
    app = await createApp({
      config: defaultConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, SCRAPE_ALLOW_PRIVATE: 'false' }),
      logger: silentLogger,
      memory: true,
      seedItems: topicCatalog(NOW),
      now: () => NOW,
      sources: { resolve: noDns },
    });
    output.setEncoding('utf8');
    output.on('data', (d: string) => (out += d));
    done = runConsole(app, { input, output, user: 'mina', onLineHandled: (n) => handled.emit('line', n) });
  });
  afterAll(async () => {
    input.end();
    await done;
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('GIVEN /subscribe to a link-local address THEN it is refused and nothing is kept', async () => {
    expect(await line('/subscribe http://169.254.169.254/latest/meta-data/')).toMatch(
      /I will not fetch http:\/\/169\.254\.169\.254\/latest\/meta-data\/: 169\.254\.169\.254 is a linkLocal address/,
    );
    expect(await line('/sources')).toMatch(/No sources yet/);
  });

  it('GIVEN the path of a feed reader OPML export THEN it is imported, listed, exported and unsubscribed', async () => {
    expect(await line(`/subscribe ${FIXTURE}`)).toMatch(/Imported 15 of 18 from the OPML file/);

    const listed = await line('/sources');
    expect(listed).toMatch(/Your sources \(15 of 20\):/);
    expect(listed).toMatch(/· not fetched yet/); // the health line of a source not fetched yet

    const exported = await line('/sources export');
    const path = /Your 15 sources as OPML: import the file into any feed reader\. (\S+\.opml)/.exec(exported)?.[1];
    expect(path?.startsWith(dataDir)).toBe(true);
    const back = parseOpml(readFileSync(path!, 'utf8')).entries.map((e) => e.url);
    const original = parseOpml(readFileSync(FIXTURE, 'utf8')).entries.map((e) => e.url);
    expect(back).toHaveLength(15);
    for (const url of back) expect(original).toContain(url);

    expect(await line('/unsubscribe 1')).toMatch(/^Unsubscribed from /m);
    expect(await line('/sources')).toMatch(/Your sources \(14 of 20\):/);
  });

  it('GIVEN /subscribe without an argument THEN the usage is shown', async () => {
    expect(await line('/subscribe')).toMatch(/\/subscribe <url> follows an RSS/);
  });
});
