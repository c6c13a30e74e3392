import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createHookpostApp } from '../../bin/app';
import { cdkJsonContext } from '../support/cdk-context';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The cloud assembly the deployed tier runs: template and bundled assets. */
    readonly assemblyDir: string;
    readonly stackName: string;
  }
}

/**
 * Synthesizes the app exactly as `cdk synth` does (the same app and cdk.json context, esbuild bundling, cdk-nag)
 * into a fresh directory, once for the whole tier. HOOKPOST_TEST_ASSEMBLY=<dir> reuses an
 * assembly instead (`npm run synth` writes one to cdk.out).
 */
export default function synthesize(project: TestProject): () => void {
  const reused = process.env.HOOKPOST_TEST_ASSEMBLY;
  const assemblyDir = reused ?? mkdtempSync(join(tmpdir(), 'hookpost-assembly-'));
  const { app, stack } = createHookpostApp({ outdir: assemblyDir, context: cdkJsonContext() });
  if (reused === undefined) app.synth();
  project.provide('assemblyDir', assemblyDir);
  project.provide('stackName', stack.stackName);
  return () => {
    if (reused === undefined) rmSync(assemblyDir, { recursive: true, force: true });
  };
}
