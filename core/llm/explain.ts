/**
 * LLM rewording of the template explanations: ONE call per recommendation list, the evidence
 * records as delimited data, JSON output validated with zod, then the grounding checker per item
 * with the template as the fallback. Digest intro lines go through the same path.
 *
 * Latency: a reply waits at most `waitMs` (LLM_REPLY_WAIT_MS) for the LLM. When it has not
 * answered by then the templates are returned; with `onImproved` the call goes on in the
 * background (bounded by LLM_TIMEOUT_MS) and `onImproved(lines)` delivers the better text, so an
 * adapter can edit the message it already sent. `waitMs: 0` + `onImproved` = "template now,
 * better text later".
 */
import { z } from 'zod';
import type { Evidence, Lang } from '../domain.js';
import { silentLogger, type Logger } from '../ports.js';
import type { LlmClient } from './client.js';
import { factsOf, FRESH_HOURS, DEFAULT_MAX_CHARS, type GroundingChecker } from './grounding.js';

export interface ExplainItem {
  evidence: Evidence;
  /** The template sentence (core/explain.ts `explainTemplate`): the fallback and the model's starting point. */
  template: string;
}

export interface ExplainOptions {
  /** How long the reply may wait for the LLM (ms). Default: LLM_REPLY_WAIT_MS. */
  waitMs?: number;
  /**
   * Called once, later, with the improved lines when the LLM answers after the wait (only when at
   * least one line differs from what was returned). Not called when the LLM fails or changes nothing.
   */
  onImproved?: (lines: string[]) => void | Promise<void>;
  /** Cancels the LLM call (e.g. the message was deleted). */
  signal?: AbortSignal;
}

export interface IntroRequest {
  /** The template intro line (the fallback). */
  template: string;
  /** The evidence of the digest's items. */
  evidence: readonly Evidence[];
}

export interface LlmExplainerOptions {
  replyWaitMs: number;
  logger?: Logger;
  /** The grounding checker every LLM sentence must pass (core/llm/grounding.ts). */
  checker: GroundingChecker;
  /** Maximum characters per sentence told to the model (default DEFAULT_MAX_CHARS). */
  maxChars?: number;
}

export const LANGUAGE_NAMES: Record<Lang, string> = { en: 'English', ko: 'Korean (한국어)' };

const ExplainOutput = z.object({
  lines: z.array(z.union([z.string(), z.object({ i: z.coerce.number().int().min(0), text: z.string() })])).max(100),
});
const IntroOutput = z.object({ text: z.string() });

/** The facts of an item as the model sees them (no scores, nothing it may not state). */
export function evidenceData(e: Evidence): Record<string, unknown> {
  return {
    title: e.title,
    category: e.category,
    source: e.source,
    similar_to_liked: e.likedSimilar.map((l) => l.title),
    matches_interests: e.interests,
    matches_request: e.topicTerms,
    liked_category: e.likedCategory,
    popular: e.popular,
    fresh: e.ageHours <= FRESH_HOURS,
    age_hours: Math.round(Math.max(0, e.ageHours)),
    exploration: e.exploration,
  };
}

export class LlmExplainer {
  private readonly logger: Logger;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly client: LlmClient,
    private readonly options: LlmExplainerOptions,
  ) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'llm-explain' });
  }

  get enabled(): boolean {
    return this.client.enabled;
  }

  /** For `/status` and `ListExplainer` (core/service.ts): the model id, or `templates` when the LLM is off. */
  get id(): string {
    return this.client.modelId ?? 'templates';
  }

  /** The `ListExplainer` shape core/service.ts expects (one line per item; never throws for LLM trouble). */
  explain(
    input: { userId: string; lang: Lang; items: ExplainItem[] },
    options: { onImproved?: (lines: string[]) => void } = {},
  ): Promise<string[]> {
    return this.explainList(
      { id: input.userId },
      input.lang,
      input.items,
      options.onImproved ? { onImproved: options.onImproved } : {},
    );
  }

  /**
   * One sentence per item, in order: the LLM's where it passed the checker, the template elsewhere.
   * Resolves within `waitMs` (plus a few ms); never rejects for LLM trouble.
   */
  async explainList(
    user: { id: string },
    lang: Lang,
    items: readonly ExplainItem[],
    options: ExplainOptions = {},
  ): Promise<string[]> {
    const templates = items.map((i) => i.template);
    if (items.length === 0) return templates;
    return this.bounded(templates, options, async (signal) => {
      const maxChars = this.options.maxChars ?? DEFAULT_MAX_CHARS[lang];
      const result = await this.client.json({
        prompt: 'explain-list',
        values: {
          language: LANGUAGE_NAMES[lang],
          max_chars: maxChars,
          count: items.length,
          items: items.map((it, i) => ({ i, template: it.template, ...evidenceData(it.evidence) })),
        },
        schema: ExplainOutput,
        userId: user.id,
        signal,
      });
      if (!result.ok) return templates;
      const candidates: (string | undefined)[] = new Array<string | undefined>(items.length).fill(undefined);
      result.value.lines.forEach((line, pos) => {
        if (typeof line === 'string') {
          if (pos < items.length) candidates[pos] = line;
        } else if (line.i < items.length && candidates[line.i] === undefined) candidates[line.i] = line.text;
      });
      const grounded = this.options.checker.lines(items, candidates, lang);
      if (grounded.rejected.length > 0) {
        this.logger.info(
          { userId: user.id, rejected: grounded.rejected.map((r) => ({ index: r.index, reason: r.reason })) },
          'LLM explanations rejected by the grounding checker; templates used for those items',
        );
        for (const r of grounded.rejected) {
          if (r.text === undefined) continue;
          this.logger.debug(
            { userId: user.id, index: r.index, reason: r.reason, word: r.word, text: r.text },
            'rejected LLM line (first unaccounted word in "word")',
          );
        }
      }
      return grounded.lines;
    });
  }

  /** The digest intro line, through the same path (one call, checked against all the digest's evidence). */
  async introLine(
    user: { id: string },
    lang: Lang,
    intro: IntroRequest,
    options: ExplainOptions = {},
  ): Promise<string> {
    const onImproved = options.onImproved;
    const lineOptions: ExplainOptions = { ...options };
    if (onImproved) lineOptions.onImproved = (lines) => onImproved(lines);
    const [line] = await this.bounded([intro.template], lineOptions, async (signal) => {
      const maxChars = this.options.maxChars ?? DEFAULT_MAX_CHARS[lang];
      const result = await this.client.json({
        prompt: 'digest-intro',
        values: {
          language: LANGUAGE_NAMES[lang],
          max_chars: maxChars,
          digest: { template: intro.template, items: intro.evidence.map(evidenceData) },
        },
        schema: IntroOutput,
        userId: user.id,
        signal,
      });
      if (!result.ok) return [intro.template];
      const checked = this.options.checker.check(result.value.text, factsOf(intro.evidence, [intro.template]), lang);
      if (!checked.ok) {
        this.logger.info(
          { userId: user.id, reason: checked.reason },
          'LLM digest intro rejected by the grounding checker; template used',
        );
        this.logger.debug(
          { userId: user.id, reason: checked.reason, word: checked.word, text: result.value.text },
          'rejected LLM digest intro (first unaccounted word in "word")',
        );
        return [intro.template];
      }
      return [checked.text];
    });
    return line ?? intro.template;
  }

  /** Resolves when no background improvement is running (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /**
   * Runs `work` under the wait bound. `work` never rejects (it returns the fallback on failure).
   */
  private async bounded(
    fallback: string[],
    options: ExplainOptions,
    work: (signal: AbortSignal) => Promise<string[]>,
  ): Promise<string[]> {
    if (!this.client.enabled || options.signal?.aborted) return fallback;
    const waitMs = Math.max(0, options.waitMs ?? this.options.replyWaitMs);
    if (waitMs === 0 && !options.onImproved) return fallback;

    const controller = new AbortController();
    const onOuterAbort = (): void => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onOuterAbort, { once: true });
    const task = work(controller.signal)
      .catch((e: unknown) => {
        this.logger.error(
          { error: e instanceof Error ? e.message : String(e) },
          'LLM explanation failed unexpectedly; templates used',
        );
        return fallback;
      })
      .finally(() => options.signal?.removeEventListener('abort', onOuterAbort));

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), waitMs);
    });
    const first = await Promise.race([task, timedOut]);
    clearTimeout(timer);
    if (first !== undefined) return first;

    if (!options.onImproved) {
      controller.abort(new Error('reply wait exceeded'));
      return fallback;
    }
    const onImproved = options.onImproved;
    const background = task.then(async (lines) => {
      if (lines.every((l, i) => l === fallback[i])) return;
      try {
        await onImproved(lines);
      } catch (e) {
        this.logger.warn(
          { error: e instanceof Error ? e.message : String(e) },
          'onImproved callback failed (message not edited)',
        );
      }
    });
    this.pending.add(background);
    void background.finally(() => this.pending.delete(background));
    return fallback;
  }
}
