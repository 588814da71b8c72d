/**
 * Planning a day's digest for a chat: the subject (the owner, or the group's members blended), the
 * sections (because you liked …, new in your categories, something different), explanations and intro.
 */
import { randomUUID } from 'node:crypto';
import type { CatalogService } from '../catalog/catalog.js';
import type { Evidence, Lang, Platform } from '../domain.js';
import { displayPrefs, type ChatSettings, type Layout } from '../filters/settings.js';
import { categoryName, t } from '../messages.js';
import type { Logger } from '../ports.js';
import type { Ranked } from '../recommend.js';
import type { Explanations } from '../recommend/explanations.js';
import type { Ranker, Subject } from '../recommend/ranker.js';
import type { UserDoc } from '../users/doc.js';
import type { UserRepository } from '../users/repository.js';
import { blendSubject } from './blend.js';
import { localParts, partOfDay, type PartOfDay } from './time.js';
import { chatKeyOf, type DigestPart, type DigestRun, type DigestSchedule } from './types.js';

export interface DigestPlannerOptions {
  users: UserRepository;
  ranker: Ranker;
  explanations: Explanations;
  catalog: CatalogService;
  /** Items per digest. */
  size: number;
  /** The most items one ranking call returns (RECO_MAX_COUNT). */
  maxCount: number;
  owner: string;
  logger: Logger;
  /** The identity keys (`platform:externalId`) of a group's members. */
  members: (chat: { platform: Platform; chatId: string }) => Promise<string[]>;
  /**
   * Rewords the template intro line from the picked items' evidence (the LLM layer's `introLine`); must
   * return the template itself when it cannot do better. Absent: the template is used.
   */
  introWriter?: (input: { userId: string; lang: Lang; template: string; evidence: Evidence[] }) => Promise<string>;
  /**
   * The chat's own settings (core/filters, set by its admins): its hard filters apply on top of the subject's,
   * its layout choice over the slot's.
   */
  chatSettings?: (chat: { platform: Platform; chatId: string }) => Promise<ChatSettings | undefined>;
}

export class DigestPlanner {
  constructor(private readonly o: DigestPlannerOptions) {}

  /** The subject a chat's digest is made for, with the chat's hard filters on top of its own. */
  async subjectFor(s: DigestSchedule): Promise<Subject> {
    return (await this.audienceOf(s)).subject;
  }

  /**
   * The subject with the chat's filters, and the layout someone chose for this digest: the chat's (its admins'
   * `/layout`), else in a private chat the person's own; absent: nobody chose (the slot decides).
   */
  private async audienceOf(s: DigestSchedule): Promise<{ subject: Subject; layout?: Layout }> {
    const [own, chat] = await Promise.all([this.subjectOf(s), this.o.chatSettings?.(s)]);
    const filters = chat?.filters ?? [];
    const subject = filters.length
      ? { ...own.subject, filters: [...(own.subject.filters ?? []), ...filters] }
      : own.subject;
    const layout = chat?.layout ?? own.layout;
    return { subject, ...(layout ? { layout } : {}) };
  }

  private async subjectOf(s: DigestSchedule): Promise<{ subject: Subject; layout?: Layout }> {
    const { users, ranker } = this.o;
    if (s.kind === 'private') {
      const owner = s.owner ?? { platform: s.platform, externalId: s.chatId };
      const doc = await users.resolve(owner);
      const layout = displayPrefs(doc).layout;
      const subject = { ...ranker.subjectOf(doc, s.platform, undefined, s.chatId), lang: doc.user.lang };
      return { subject, ...(layout ? { layout } : {}) };
    }
    const group = await users.resolve({ platform: s.platform, externalId: `chat:${s.chatId}` });
    const members: UserDoc[] = [];
    for (const idn of await this.o.members(s)) {
      const sep = idn.indexOf(':');
      const userId = await users.findUserId(idn.slice(0, sep) as Platform, idn.slice(sep + 1));
      const doc = userId ? await users.get(userId) : undefined;
      if (doc && !members.some((m) => m.user.id === doc.user.id)) members.push(doc);
    }
    const blended = blendSubject(group, members, s.platform, s.lang, this.o.catalog.textEncoder.id);
    // The sources the group follows boost its digest as they boost its /recommend lists.
    const sources = [...(blended.sources ?? []), ...ranker.sourcesOfChat(s.platform, s.chatId)];
    return { subject: sources.length ? { ...blended, sources: [...new Set(sources)] } : blended };
  }

  /**
   * Makes the plan (not yet written: the caller stores it before anything is sent). `when.sendAt` is when it
   * will go out (the greeting follows that local time); `when.layout` the slot's layout, used unless the chat
   * (or, in a private chat, the person) chose one with `/layout`.
   */
  async plan(
    s: DigestSchedule,
    date: string,
    now: Date,
    when: { sendAt?: Date; layout?: Layout } = {},
  ): Promise<DigestRun> {
    const { subject, layout: chosen } = await this.audienceOf(s);
    const layout = chosen ?? when.layout;
    const lang = subject.lang;
    const sections = this.o.catalog.size > 0 ? await this.pick(subject) : [];
    const picked = sections.flatMap((sec) => sec.items);
    const lines = picked.length
      ? await this.o.explanations.explain(
          subject.userId,
          lang,
          picked.map((r) => r.evidence),
        )
      : [];
    const parts: DigestPart[] = [];
    if (picked.length > 0) {
      const local = localParts(when.sendAt ?? now, s.tz);
      parts.push({ kind: 'intro', text: await this.intro(s, subject, date, picked, partOfDay(local.minutes)) });
      let k = 0;
      for (const sec of sections) {
        sec.items.forEach((r, j) => {
          const part: DigestPart = {
            kind: 'item',
            itemId: r.evidence.itemId,
            position: k + 1,
            explanation: lines[k] ?? '',
          };
          if (j === 0) part.header = sec.header;
          parts.push(part);
          k++;
        });
      }
    }
    return {
      chatKey: chatKeyOf(s),
      date,
      state: parts.length ? 'sending' : 'done',
      lang,
      subjectUserId: subject.userId,
      impressionId: `imp_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
      impressionRecorded: false,
      parts,
      results: parts.map(() => null),
      failures: 0,
      plannedAt: now.toISOString(),
      ...(when.sendAt ? { sendAt: when.sendAt.toISOString() } : {}),
      ...(layout ? { layout } : {}),
      plannedBy: this.o.owner,
      ...(parts.length ? {} : { completedAt: now.toISOString() }),
    };
  }

  private async intro(
    s: DigestSchedule,
    subject: Subject,
    date: string,
    picked: Ranked[],
    part: PartOfDay,
  ): Promise<string> {
    const lang = subject.lang;
    const greeting = t(lang, `digest.greeting.${part}`);
    const template = t(lang, s.kind === 'group' ? 'digest.introGroup' : 'digest.intro', {
      greeting,
      date,
      count: picked.length,
    });
    if (!this.o.introWriter) return template;
    try {
      return (
        (await this.o.introWriter({
          userId: subject.userId,
          lang,
          template,
          evidence: picked.map((r) => r.evidence),
        })) || template
      );
    } catch (e) {
      this.o.logger.warn({ err: e }, 'digest intro rewording failed; template used');
      return template;
    }
  }

  /** Picks the sections: because you liked …, new in your categories, something different. */
  private async pick(subject: Subject): Promise<{ key: string; header: string; items: Ranked[] }[]> {
    const lang = subject.lang;
    const size = this.o.size;
    const exclude = new Set(Object.keys(subject.shown));
    const chosen: Ranked[] = [];
    const take = (list: Ranked[], n: number, ok: (r: Ranked) => boolean = () => true): Ranked[] => {
      const out: Ranked[] = [];
      for (const r of list) {
        if (out.length >= n) break;
        if (exclude.has(r.evidence.itemId) || !ok(r)) continue;
        out.push(r);
        exclude.add(r.evidence.itemId);
        chosen.push(r);
      }
      return out;
    };
    const likes = Object.values(subject.feedback).filter((f) => f.signal === 'like');
    const nDiff = size >= 3 ? Math.max(1, Math.round(size / 6)) : 0;
    const nLiked = likes.length > 0 ? Math.min(size - nDiff, Math.ceil(size / 3)) : 0;
    const sections: { key: string; header: string; items: Ranked[] }[] = [];

    if (nLiked > 0) {
      const { ranked } = await this.o.ranker.rankFor(subject, {
        count: Math.min(this.o.maxCount, nLiked * 3),
        exclude,
      });
      // The scorer lists liked items in the evidence only where the resemblance is real (see rankItems).
      const items = take(ranked, nLiked, (r) => r.evidence.likedSimilar.length > 0);
      if (items.length > 0) {
        const counts = new Map<string, number>();
        for (const r of items)
          counts.set(r.evidence.likedSimilar[0]!.title, (counts.get(r.evidence.likedSimilar[0]!.title) ?? 0) + 1);
        const title = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
        sections.push({ key: 'liked', header: t(lang, 'digest.section.liked', { title: shorten(title) }), items });
      }
    }

    const nCat = size - nDiff - chosen.length;
    const cats = (Object.entries(subject.persona.categories) as [Evidence['category'], number][])
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([c]) => c);
    if (nCat > 0) {
      const pool: Ranked[] = [];
      for (const c of cats)
        pool.push(...(await this.o.ranker.rankFor(subject, { count: nCat, category: c, exclude })).ranked);
      pool.sort((a, b) => b.score - a.score);
      const items = take(pool, nCat);
      if (items.length < nCat)
        items.push(
          ...take(
            (await this.o.ranker.rankFor(subject, { count: Math.min(this.o.maxCount, nCat * 2), exclude })).ranked,
            nCat - items.length,
          ),
        );
      if (items.length > 0) {
        const header = cats.length
          ? t(lang, 'digest.section.categories', { list: cats.map((c) => categoryName(c, lang)).join(', ') })
          : t(lang, 'digest.section.new');
        sections.push({ key: 'categories', header, items });
      }
    }

    const nRest = size - chosen.length;
    if (nRest > 0) {
      const usedCats = new Set<string>([...cats, ...chosen.map((r) => r.evidence.category)]);
      const { ranked } = await this.o.ranker.rankFor({ ...subject, explore: 3 }, { count: this.o.maxCount, exclude });
      let items = take(ranked, nRest, (r) => !usedCats.has(r.evidence.category));
      if (items.length < nRest) items = items.concat(take(ranked, nRest - items.length));
      if (items.length > 0) sections.push({ key: 'different', header: t(lang, 'digest.section.different'), items });
    }
    return sections;
  }
}

function shorten(title: string, max = 48): string {
  const chars = Array.from(title);
  return chars.length <= max ? title : `${chars.slice(0, max - 1).join('')}…`;
}
