import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lambdas/handlers/http/openapi';
import { renderApiReference, renderReadme } from '../../scripts/readme-sections';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('generated documents (run `npm run docs` to rewrite them)', () => {
  it('README.md has every generated section up to date', () => {
    const readme = read('README.md');
    expect(renderReadme(readme)).toBe(readme);
  });

  it('docs/api.md is the reference of the current OpenAPI document', () => {
    expect(read('docs/api.md')).toBe(
      renderApiReference(openApiDocument() as Parameters<typeof renderApiReference>[0]),
    );
  });
});
