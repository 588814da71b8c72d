/**
 * LLM_TIMEOUT_MS holds through retries and backoff: one AbortSignal (deadline + caller) cancels the
 * HTTP attempt, the retry-after wait and the backoff sleep. The backoff is set to a minute here, so
 * a sleep that ignored the signal would hold the call for 60 s; the assertions are on how the call
 * ended (reason, requests sent), with a wall-time bound far below the backoff.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../core/config.js';
import { RecoError } from '../../core/errors.js';
import type { ChatModel } from '../../core/ports.js';
import { createChatModel, retryAfterMs } from '../../infra/llm/openai.js';
import { FakeOpenAI } from '../helpers/fake-openai.js';
import { CapturingLogger } from './support.js';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await FakeOpenAI.start();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  fake.fallback = { status: 500, raw: JSON.stringify({ error: { message: 'boom', type: 'server_error' } }) };
});

const TIMEOUT_MS = 400;
const MINUTE = 60_000;

function model(retries = 3): ChatModel {
  const config = defaultConfig({
    LLM_BASE_URL: fake.baseUrl,
    LLM_API_KEY: 'sk-test',
    LLM_MODEL: 'fake-model',
    LLM_TIMEOUT_MS: String(TIMEOUT_MS),
    LLM_MAX_RETRIES: String(retries),
  });
  return createChatModel(config, new CapturingLogger(), { backoff: { minDelayMs: MINUTE, maxDelayMs: MINUTE } })!;
}

async function failure(p: Promise<unknown>): Promise<RecoError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RecoError);
  return e as RecoError;
}

describe('LLM_TIMEOUT_MS through retries and backoff', () => {
  it('GIVEN a 500 and a one-minute backoff THEN the deadline cancels the backoff sleep: reason timeout, no second attempt', async () => {
    const started = Date.now();
    const e = await failure(model().invoke([{ role: 'user', content: 'hi' }], { json: true }));
    expect(e.details.reason).toBe('timeout');
    expect(e.message).toMatch(/timed out after 400 ms/);
    expect(fake.requests).toHaveLength(1);
    // Far below the 60 s backoff: the sleep was cancelled, not waited out.
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 5_000);
  });

  it('GIVEN the caller aborts during the backoff THEN the call ends as aborted and nothing more is sent', async () => {
    const controller = new AbortController();
    const call = model().invoke([{ role: 'user', content: 'hi' }], { json: true, signal: controller.signal });
    await fake.waitForRequests(1);
    controller.abort(new Error('message deleted'));
    const e = await failure(call);
    expect(e.details.reason).toBe('aborted');
    expect(fake.requests).toHaveLength(1);
  });

  it('GIVEN a 429 whose retry-after outlives the deadline THEN it gives up at once instead of waiting', async () => {
    fake.script({
      status: 429,
      headers: { 'retry-after': '30' },
      raw: JSON.stringify({ error: { message: 'Rate limit reached', type: 'rate_limit' } }),
    });
    const e = await failure(model().invoke([{ role: 'user', content: 'hi' }], { json: true }));
    expect(e.details).toMatchObject({ reason: 'http', status: 429 });
    expect(fake.requests).toHaveLength(1);
  });

  it('GIVEN a 400 THEN it is not retried; GIVEN a 503 then an answer THEN the retry succeeds', async () => {
    fake.script({ status: 400, raw: JSON.stringify({ error: { message: 'bad request' } }) });
    const e = await failure(model().invoke([{ role: 'user', content: 'hi' }], { json: true }));
    expect(e.details).toMatchObject({ reason: 'http', status: 400 });
    expect(fake.requests).toHaveLength(1);
    fake.reset();
    fake.script({ status: 503, headers: { 'retry-after': '0' }, raw: '{}' }, { content: '{"ok":true}' });
    const config = defaultConfig({
      LLM_BASE_URL: fake.baseUrl,
      LLM_MODEL: 'm',
      LLM_TIMEOUT_MS: '5000',
      LLM_MAX_RETRIES: '1',
    });
    const quick = createChatModel(config, new CapturingLogger(), { backoff: { minDelayMs: 10, maxDelayMs: 10 } })!;
    expect(await quick.invoke([{ role: 'user', content: 'hi' }], { json: true })).toBe('{"ok":true}');
    expect(fake.requests).toHaveLength(2);
  });

  it('GIVEN retry-after in seconds or as an HTTP date THEN it is read in ms', () => {
    expect(retryAfterMs({ headers: new Headers({ 'retry-after': '2' }) })).toBe(2000);
    const now = Date.parse('2026-03-01T00:00:00Z');
    expect(retryAfterMs({ headers: { 'retry-after': 'Sun, 01 Mar 2026 00:00:03 GMT' } }, now)).toBe(3000);
    expect(retryAfterMs({ headers: {} })).toBeUndefined();
    expect(retryAfterMs(new Error('x'))).toBeUndefined();
  });
});
