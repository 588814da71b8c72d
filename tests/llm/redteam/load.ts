/**
 * The red-team suite of the grounding checker (docs/LLM.md): evidence records and two sets of
 * candidate lines checked against them —
 * - adversarial.jsonl: outputs that must ALL be rejected (invented likes and facts, numbers in words
 *   and digits, brand and person names, statements injected through user messages and item titles,
 *   role prefixes, look-alike letters, zero-width characters), each tagged with its `kind`;
 * - faithful.jsonl: paraphrases of the evidence that should pass (target: at most 5% rejected). The
 *   first 221 lines were written before the vocabulary; the lines tagged `heldout-1` / `heldout-2`
 *   were written later, measured blind, then used to grow the vocabulary (docs/LLM.md has both rates);
 * - faithful-blind.jsonl: paraphrases written after the vocabulary was frozen and never used to
 *   change it: the honest estimate of how often a faithful line of a real model falls back.
 * Used by tests/llm/redteam.test.ts and `npm run bench:grounding`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CATEGORIES, LANGS, type Evidence, type Lang } from '../../../core/domain.js';
import { explainTemplate } from '../../../core/explain.js';

const DIR = fileURLToPath(new URL('./', import.meta.url));

const EvidenceRecord = z.object({
  id: z.string(),
  lang: z.enum(LANGS),
  title: z.string(),
  category: z.enum(CATEGORIES),
  source: z.string(),
  likedSimilar: z.array(z.string()).default([]),
  interests: z.array(z.string()).default([]),
  topicTerms: z.array(z.string()).default([]),
  likedCategory: z.boolean().default(false),
  ageHours: z.number().nonnegative(),
  popular: z.boolean().default(false),
  exploration: z.boolean().default(false),
});
const Line = z.object({ e: z.string(), text: z.string(), kind: z.string().optional(), set: z.string().optional() });

export interface RedTeamLine {
  /** 1-based line number in its file. */
  line: number;
  evidenceId: string;
  lang: Lang;
  evidence: Evidence;
  template: string;
  text: string;
  kind?: string;
  /** Which writing round a line belongs to (undefined: the first). */
  set?: string;
}

export interface RedTeamSuite {
  evidence: Map<string, { lang: Lang; evidence: Evidence }>;
  adversarial: RedTeamLine[];
  faithful: RedTeamLine[];
  blind: RedTeamLine[];
}

function toEvidence(r: z.infer<typeof EvidenceRecord>): Evidence {
  return {
    itemId: r.id,
    title: r.title,
    category: r.category,
    source: r.source,
    likedSimilar: r.likedSimilar.map((title, i) => ({ itemId: `${r.id}-liked-${i}`, title, similarity: 0.8 })),
    interests: r.interests,
    topicTerms: r.topicTerms,
    likedCategory: r.likedCategory,
    ageHours: r.ageHours,
    popular: r.popular,
    exploration: r.exploration,
    components: {},
    score: 0.5,
  };
}

export function loadRedTeam(dir: string = DIR): RedTeamSuite {
  const raw = JSON.parse(readFileSync(`${dir}/evidence.json`, 'utf8')) as { records: unknown[] };
  const evidence = new Map<string, { lang: Lang; evidence: Evidence }>();
  for (const rec of raw.records) {
    const r = EvidenceRecord.parse(rec);
    evidence.set(r.id, { lang: r.lang, evidence: toEvidence(r) });
  }
  const lines = (file: string): RedTeamLine[] =>
    readFileSync(`${dir}/${file}`, 'utf8')
      .split('\n')
      .map((text, i) => ({ text, line: i + 1 }))
      .filter((l) => l.text.trim())
      .map(({ text, line }) => {
        const l = Line.parse(JSON.parse(text));
        const ev = evidence.get(l.e);
        if (!ev) throw new Error(`${file}:${line}: unknown evidence id ${l.e}`);
        return {
          line,
          evidenceId: l.e,
          lang: ev.lang,
          evidence: ev.evidence,
          template: explainTemplate(ev.evidence, ev.lang),
          text: l.text,
          ...(l.kind !== undefined ? { kind: l.kind } : {}),
          ...(l.set !== undefined ? { set: l.set } : {}),
        };
      });
  return {
    evidence,
    adversarial: lines('adversarial.jsonl'),
    faithful: lines('faithful.jsonl'),
    blind: lines('faithful-blind.jsonl'),
  };
}
