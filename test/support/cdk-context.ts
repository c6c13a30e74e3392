import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The context the CDK CLI gives the app from cdk.json (its feature flags above all), so
 * that a test synthesizes the template `cdk synth` would, not a variant of it.
 */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}
