/**
 * Daily token budgets, per user and overall, kept in the store (namespace `llm-budget`, one key per
 * UTC day and scope, expiring after two days). An exhausted budget means "skip the LLM, use the
 * templates"; it is logged once per scope and day (per process).
 *
 * Counts are read-modify-write: serialised within a process; several processes sharing one store may
 * overshoot a limit by the calls in flight at the same moment (a soft limit, by design).
 */
import type { Config } from '../config.js';
import { systemClock, silentLogger, type Clock, type KeyValueStore, type Logger } from '../ports.js';

export { NS_LLM_BUDGET } from '../store/namespaces.js';
import { NS_LLM_BUDGET } from '../store/namespaces.js';
const TTL_MS = 2 * 24 * 3600_000;

export interface BudgetLimits {
  /** Tokens per user per UTC day; 0 = no per-user limit. */
  perUser: number;
  /** Tokens for everyone per UTC day; 0 = no overall limit. */
  total: number;
}

export type BudgetCheck = { ok: true } | { ok: false; scope: 'user' | 'total'; used: number; limit: number };

export interface BudgetUsage {
  day: string;
  total: number;
  totalLimit: number;
  user?: number;
  userLimit: number;
}

export class TokenBudget {
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly logged = new Set<string>();
  private loggedDay = '';

  constructor(
    private readonly store: KeyValueStore,
    readonly limits: BudgetLimits,
    private readonly clock: Clock = systemClock,
    private readonly logger: Logger = silentLogger,
  ) {}

  static fromConfig(
    config: Pick<Config, 'LLM_DAILY_TOKENS_PER_USER' | 'LLM_DAILY_TOKENS_TOTAL'>,
    store: KeyValueStore,
    clock?: Clock,
    logger?: Logger,
  ): TokenBudget {
    return new TokenBudget(
      store,
      { perUser: config.LLM_DAILY_TOKENS_PER_USER, total: config.LLM_DAILY_TOKENS_TOTAL },
      clock,
      logger,
    );
  }

  /** The UTC day, `YYYY-MM-DD`. */
  day(): string {
    return this.clock.now().toISOString().slice(0, 10);
  }

  private key(day: string, userId?: string): string {
    return userId === undefined ? `${day}:total` : `${day}:user:${userId}`;
  }

  private async read(key: string): Promise<number> {
    const v = await this.store.get<number>(NS_LLM_BUDGET, key);
    return typeof v === 'number' && Number.isFinite(v) ? v : 0;
  }

  /** Whether a call for this user may go ahead now. */
  async check(userId: string | undefined): Promise<BudgetCheck> {
    const day = this.day();
    if (this.limits.total > 0) {
      const used = await this.read(this.key(day));
      if (used >= this.limits.total) return this.exhausted(day, 'total', used, this.limits.total);
    }
    if (userId !== undefined && this.limits.perUser > 0) {
      const used = await this.read(this.key(day, userId));
      if (used >= this.limits.perUser) return this.exhausted(day, 'user', used, this.limits.perUser, userId);
    }
    return { ok: true };
  }

  private exhausted(day: string, scope: 'user' | 'total', used: number, limit: number, userId?: string): BudgetCheck {
    if (this.loggedDay !== day) {
      this.logged.clear();
      this.loggedDay = day;
    }
    const tag = `${scope}:${userId ?? ''}`;
    if (!this.logged.has(tag)) {
      this.logged.add(tag);
      this.logger.warn(
        { scope, userId, used, limit, day },
        `LLM daily token budget (${scope === 'user' ? 'LLM_DAILY_TOKENS_PER_USER' : 'LLM_DAILY_TOKENS_TOTAL'}) exhausted; templates serve until the next UTC day`,
      );
    }
    return { ok: false, scope, used, limit };
  }

  private add(key: string, tokens: number): Promise<void> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev
      .catch(() => undefined)
      .then(async () => {
        const used = await this.read(key);
        await this.store.set(NS_LLM_BUDGET, key, used + tokens, TTL_MS);
      });
    this.chains.set(key, next);
    void next
      .finally(() => {
        if (this.chains.get(key) === next) this.chains.delete(key);
      })
      .catch(() => undefined);
    return next;
  }

  /** Adds the tokens a call used to the user's and the overall count. */
  async record(userId: string | undefined, tokens: number): Promise<void> {
    if (!(tokens > 0)) return;
    const day = this.day();
    const writes = [this.add(this.key(day), tokens)];
    if (userId !== undefined) writes.push(this.add(this.key(day, userId), tokens));
    await Promise.all(writes);
  }

  /** Today's counts, for `/status`. */
  async usage(userId?: string): Promise<BudgetUsage> {
    const day = this.day();
    const out: BudgetUsage = {
      day,
      total: await this.read(this.key(day)),
      totalLimit: this.limits.total,
      userLimit: this.limits.perUser,
    };
    if (userId !== undefined) out.user = await this.read(this.key(day, userId));
    return out;
  }
}
