/**
 * `npm run models:pull -- <name> [--quantized] [--dir <MODELS_DIR>]`: downloads a registered model's files
 * (resumable, verified) through `pullModel` (models/pull.ts).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../core/ports.js';
import { loadConfig } from '../infra/config.js';
import { pullModel } from '../models/pull.js';
import { MODEL_REGISTRY, findModel, type ModelVariant } from '../models/registry.js';

function usage(): string {
  const names = MODEL_REGISTRY.map(
    (m) => `  ${m.name.padEnd(48)} ${m.kind.padEnd(5)} ${String(m.dim).padStart(4)}-d  ${m.repo}`,
  ).join('\n');
  return `usage: npm run models:pull -- <name> [--quantized] [--dir <MODELS_DIR>]\n\nmodels:\n${names}\n\nHF_ENDPOINT overrides https://huggingface.co (mirrors); HF_TOKEN is sent for gated models.`;
}

async function main(argv: string[]): Promise<number> {
  const args = argv.filter((a) => !a.startsWith('--'));
  if (argv.includes('--list') || argv.includes('--help') || args.length === 0) {
    console.log(usage());
    return args.length === 0 && !argv.includes('--list') && !argv.includes('--help') ? 1 : 0;
  }
  const dirIdx = argv.indexOf('--dir');
  const config = loadConfig();
  const modelsDir = dirIdx >= 0 && argv[dirIdx + 1] ? argv[dirIdx + 1]! : config.MODELS_DIR;
  const names = args.filter((a) => a !== argv[dirIdx + 1]);
  const consoleLogger: Logger = {
    debug() {},
    info: (obj, msg) => console.error(`${msg ?? ''} ${JSON.stringify(obj)}`),
    warn: (obj, msg) => console.error(`warning: ${msg ?? ''} ${JSON.stringify(obj)}`),
    error: (obj, msg) => console.error(`error: ${msg ?? ''} ${JSON.stringify(obj)}`),
    child: () => consoleLogger,
  };
  for (const name of names) {
    const entry = findModel(name);
    if (!entry) {
      console.error(`unknown model "${name}"\n\n${usage()}`);
      return 1;
    }
    const variant: ModelVariant = argv.includes('--quantized') ? 'quantized' : 'fp32';
    console.error(`pulling ${entry.name} (${variant}) from ${entry.repo} into ${resolve(modelsDir, entry.name)}`);
    try {
      const result = await pullModel(entry, {
        modelsDir,
        variant,
        logger: consoleLogger,
        endpoint: config.HF_ENDPOINT,
        ...(config.HF_TOKEN ? { token: config.HF_TOKEN } : {}),
      });
      for (const f of result.files) {
        console.log(
          `${f.skipped ? 'present   ' : 'downloaded'} ${f.path}  ${f.size} bytes  sha256 ${f.sha256}  (verified: ${f.verifiedBy})`,
        );
      }
      console.log(`done: ${result.dir}`);
    } catch (e) {
      console.error(e instanceof Error ? e.message : String(e));
      return 1;
    }
  }
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
