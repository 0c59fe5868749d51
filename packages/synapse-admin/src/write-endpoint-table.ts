// Rewrites the endpoint table in this package's README from the inventory: node src/write-endpoint-table.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { withEndpointTable } from './endpoint-table.ts';

const readme = new URL('../README.md', import.meta.url);
writeFileSync(readme, withEndpointTable(readFileSync(readme, 'utf8')));
