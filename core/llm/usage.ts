/**
 * LLM token usage for `/status`: today's tokens (UTC day), the asking user's and everyone's, against
 * the daily budgets (LLM_DAILY_TOKENS_PER_USER / LLM_DAILY_TOKENS_TOTAL). The numbers come from
 * `TokenBudget.usage` (core/llm/budget.ts); this module only words them, in ko and en.
 */
import type { Lang } from '../domain.js';
import { t } from '../messages.js';
import type { BudgetUsage } from './budget.js';

function amount(n: number, lang: Lang): string {
  return n.toLocaleString(lang === 'ko' ? 'ko-KR' : 'en-US');
}

function limit(n: number, lang: Lang): string {
  return n > 0 ? amount(n, lang) : t(lang, 'status.llmNoLimit');
}

/**
 * One `/status` line.
 * @example
 * formatLlmUsage({ day: '2026-03-01', user: 1200, userLimit: 20000, total: 5000, totalLimit: 1000000 }, 'en');
 * // "LLM tokens today (2026-03-01 UTC): you 1,200 of 20,000 · everyone 5,000 of 1,000,000"
 */
export function formatLlmUsage(u: BudgetUsage, lang: Lang): string {
  const total = t(lang, 'status.llmUsageTotal', { used: amount(u.total, lang), limit: limit(u.totalLimit, lang) });
  const parts = [total];
  if (u.user !== undefined)
    parts.unshift(t(lang, 'status.llmUsageUser', { used: amount(u.user, lang), limit: limit(u.userLimit, lang) }));
  return t(lang, 'status.llmUsage', { day: u.day, list: parts.join(' · ') });
}
