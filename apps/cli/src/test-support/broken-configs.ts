import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The directory of broken `matrix-reset.yaml` files (see its README). */
export const BROKEN_CONFIGS_DIR = fileURLToPath(new URL('./broken-configs/', import.meta.url));

/** One broken config: its file, the line its error must name (when the parser has one) and values no output may show. */
export interface BrokenConfig {
  readonly name: string;
  readonly path: string;
  readonly line: number | undefined;
  readonly secrets: readonly string[];
}

/** Every case of {@link BROKEN_CONFIGS_DIR}, read from its `# expect-line: N` and `# secret: VALUE` comments. */
export function brokenConfigs(): BrokenConfig[] {
  return readdirSync(BROKEN_CONFIGS_DIR)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => {
      const path = `${BROKEN_CONFIGS_DIR}${name}`;
      const text = readFileSync(path, 'utf8');
      const line = /^# expect-line: (\d+)$/m.exec(text)?.[1];
      const secrets = [...text.matchAll(/^# secret: (\S+)$/gm)].map((match) => match[1] ?? '');
      return { name, path, line: line === undefined ? undefined : Number(line), secrets };
    });
}
