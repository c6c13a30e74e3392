import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The rules of the house (ARCHITECTURE.md), checked on the import lines of the source. */
const root = join(import.meta.dirname, '..', '..', 'lambdas');

function importsOf(directory: string): { file: string; specifier: string }[] {
  return readdirSync(join(root, directory), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => {
      const source = readFileSync(join(root, directory, file), 'utf8');
      return [...source.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((match) => ({
        file: join(directory, file),
        specifier: match[1] as string,
      }));
    });
}

describe('architecture', () => {
  it('keeps the core pure: no AWS SDK, no adapters, no handlers, no I/O modules', () => {
    const allowed = /^(\.\/|node:crypto$|ulid$|zod$|ipaddr\.js$)/;
    const offending = importsOf('core').filter(({ specifier }) => !allowed.test(specifier));
    expect(offending).toEqual([]);
  });

  it('has services depend on ports and the core only', () => {
    const allowed = /^(\.\/|\.\.\/core\/|\.\.\/ports$)/;
    const offending = importsOf('services').filter(({ specifier }) => !allowed.test(specifier));
    expect(offending).toEqual([]);
  });

  it('reads process.env in config.ts alone', () => {
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) =>
      file.endsWith('.ts'),
    );
    const readers = files.filter((file) => readFileSync(join(root, file), 'utf8').includes('process.env'));
    expect(readers).toEqual(['config.ts']);
  });
});
