/** Reads the prompt files (`prompts/*.md`, `*.txt`) for the LLM layer, which parses and renders them. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePrompts, type PromptTemplate } from '../../core/llm/prompt.js';

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
