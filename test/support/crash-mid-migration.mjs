// Preloaded into local mode (NODE_OPTIONS=--import) by test/e2e/crash-recovery.test.ts:
// SIGKILLs the process while it moves a pre-sharding data directory's message log to its
// shards (lambdas/local/data-format.ts), as it deletes the sixth item from its old key:
// that item's copy at its new key written and its old index entries gone, the item itself
// not yet deleted.
import { createRequire } from 'node:module';

const KILL_AT_DELETE = 6;
const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
const { Level } = fromDynalite('level');
const del = Level.prototype.del;
let deletes = 0;
Level.prototype.del = function delOrDie(key, ...rest) {
  if (typeof key === 'string' && /^item-.*-messages~/.test(key) && ++deletes === KILL_AT_DELETE) {
    process.kill(process.pid, 'SIGKILL');
  }
  return del.call(this, key, ...rest);
};
