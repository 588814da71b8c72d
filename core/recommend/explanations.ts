/** "Why you got this" lines: templates from the evidence, reworded by the LLM layer when one is configured. */
import type { Evidence, Lang } from '../domain.js';
import { explainTemplate } from '../explain.js';
import type { Logger } from '../ports.js';

/** Rewrites template explanations (the LLM layer). Must return one line per item, or throw. */
export interface ListExplainer {
  readonly id: string;
  explain(
    input: { userId: string; lang: Lang; items: { evidence: Evidence; template: string }[] },
    options: { onImproved?: (lines: string[]) => void },
  ): Promise<string[]>;
}

export class Explanations {
  constructor(
    private readonly explainer: ListExplainer | undefined,
    private readonly log: Logger,
  ) {}

  /** What `/status` says about explanations. */
  get describe(): string | undefined {
    return this.explainer ? `LLM (${this.explainer.id})` : undefined;
  }

  /** One line per item: templates, reworded by the LLM when one is configured (templates when it fails). */
  async explain(
    userId: string,
    lang: Lang,
    evidence: Evidence[],
    onImproved?: (lines: string[]) => void,
  ): Promise<string[]> {
    const templates = evidence.map((e) => explainTemplate(e, lang));
    const ex = this.explainer;
    if (!ex || evidence.length === 0) return templates;
    try {
      const lines = await ex.explain(
        { userId, lang, items: evidence.map((e, i) => ({ evidence: e, template: templates[i]! })) },
        onImproved ? { onImproved } : {},
      );
      return lines.length === templates.length ? lines : templates;
    } catch (e) {
      this.log.warn({ err: e, code: 'LLM_FAILED' }, 'LLM explanations failed; templates used');
      return templates;
    }
  }
}
