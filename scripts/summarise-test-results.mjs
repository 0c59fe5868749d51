// Adds up the Vitest JSON reports every project wrote and prints one plain closing line:
//   tests: <passed> passed, <failed> failed, <skipped> skipped
// Exits 1 when any test failed, when a report is missing tests, or when no test ran at all.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;
const perProject = [];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const report = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  const p = report.numPassedTests ?? 0;
  const f = (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  const s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  passed += p;
  failed += f;
  skipped += s;
  perProject.push(`  ${file.replace(/\.json$/, '').padEnd(22)} ${p} passed, ${f} failed, ${s} skipped`);
}
process.stdout.write(`${perProject.join('\n')}\n`);
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
