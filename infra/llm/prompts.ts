/**
 * Reads the LLM layer's data files at the edge: the prompt files (`prompts/*.md`, `*.txt`) and the grounding
 * checker's vocabularies (`prompts/grounding-<lang>.json`); core parses, validates and compiles them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LANGS, type Lang } from '../../core/domain.js';
import { RecoError } from '../../core/errors.js';
import { parsePrompts, type PromptTemplate } from '../../core/llm/prompt.js';
import { compileGroundingVocabularies, type GroundingVocabularies } from '../../core/llm/vocabulary.js';

/** The project's `prompts/` folder. */
export const DEFAULT_PROMPTS_DIR = fileURLToPath(new URL('../../prompts/', import.meta.url));

/** Every `*.md` / `*.txt` prompt in a folder (README.md excepted), keyed by id. */
export function loadPrompts(dir: string = DEFAULT_PROMPTS_DIR): Map<string, PromptTemplate> {
  const files = readdirSync(dir)
    .sort()
    .filter((name) => /\.(md|txt)$/.test(name) && name.toLowerCase() !== 'readme.md')
    .map((name) => {
      const file = join(dir, name);
      return [file, readFileSync(file, 'utf8')] as const;
    });
  return parsePrompts(files);
}

/** The grounding checker's closed vocabularies, one `grounding-<lang>.json` per language, compiled. */
export function loadGroundingVocabularies(dir: string = DEFAULT_PROMPTS_DIR): GroundingVocabularies {
  const files = {} as Record<Lang, { file: string; raw: unknown }>;
  for (const lang of LANGS) {
    const file = join(dir, `grounding-${lang}.json`);
    try {
      files[lang] = { file, raw: JSON.parse(readFileSync(file, 'utf8')) };
    } catch (e) {
      throw new RecoError('INTERNAL', `Grounding vocabulary ${file} cannot be read`, { cause: e, details: { file } });
    }
  }
  return compileGroundingVocabularies(files);
}
