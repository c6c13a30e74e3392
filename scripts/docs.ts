import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { openApiDocument } from '../lambdas/handlers/http/openapi';
import { renderApiReference, renderReadme } from './readme-sections';

/** `npm run docs`: rewrites the generated parts of README.md and docs/api.md (scripts/readme-sections.ts). */
const readmePath = new URL('../README.md', import.meta.url);
const apiPath = new URL('../docs/api.md', import.meta.url);

const readme = readFileSync(readmePath, 'utf8');
writeFileSync(readmePath, renderReadme(readme));
mkdirSync(new URL('../docs/', import.meta.url), { recursive: true });
writeFileSync(apiPath, renderApiReference(openApiDocument() as Parameters<typeof renderApiReference>[0]));
console.log('README.md and docs/api.md are up to date.');
