import { readFileSync, writeFileSync } from 'node:fs';
import { renderReadme } from './readme-sections';

/** `npm run readme`: rewrites the generated sections of README.md (scripts/readme-sections.ts). */
const path = new URL('../README.md', import.meta.url);
const current = readFileSync(path, 'utf8');
const next = renderReadme(current);
writeFileSync(path, next);
console.log(next === current ? 'README.md is up to date.' : 'README.md: generated sections rewritten.');
