import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The rules of the house (README, "How it is built"), checked on the import lines of the source. */
const root = join(import.meta.dirname, '..', '..', 'lambdas');

function importsOf(directory: string, base = root): { file: string; specifier: string }[] {
  return readdirSync(join(base, directory), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => {
      const source = readFileSync(join(base, directory, file), 'utf8');
      return [...source.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((match) => ({
        file: join(directory, file),
        specifier: match[1] as string,
      }));
    });
}

describe('architecture', () => {
  it('keeps the contract pure: it imports nothing but itself', () => {
    const offending = importsOf('contract').filter(({ specifier }) => !specifier.startsWith('./'));
    expect(offending).toEqual([]);
  });

  it('keeps the core pure: no AWS SDK, no adapters, no handlers, no I/O modules', () => {
    const allowed =
      /^(\.\/|\.\.\/contract\/|node:crypto$|ulid$|zod(\/mini)?$|ipaddr\.js$|ajv$|ajv\/dist\/2020$|ajv-formats$)/;
    const offending = importsOf('core').filter(({ specifier }) => !allowed.test(specifier));
    expect(offending).toEqual([]);
  });

  it('has services depend on ports, the core and the contract only', () => {
    const allowed = /^(\.\/|\.\.\/core\/|\.\.\/contract\/|\.\.\/ports$)/;
    const offending = importsOf('services').filter(({ specifier }) => !allowed.test(specifier));
    expect(offending).toEqual([]);
  });

  it('has the infrastructure import nothing of the functions but the contract', () => {
    const repository = join(root, '..');
    const offending = ['lib', 'bin']
      .flatMap((directory) => importsOf(directory, repository))
      .filter(({ specifier }) => specifier.includes('lambdas/') && !specifier.includes('lambdas/contract/'));
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
