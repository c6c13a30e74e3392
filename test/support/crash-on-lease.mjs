// Preloaded into local mode (NODE_OPTIONS=--import) by test/e2e/crash-recovery.test.ts:
// SIGKILLs the process at the worst moment of a store write, found under load in a chaos
// run. dynalite writes a job's index entries first and its item last; this kill falls
// after the index entries of the first lease of a delivery-queue job, before the item.
import { createRequire } from 'node:module';

const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
const { Level } = fromDynalite('level');
const put = Level.prototype.put;
Level.prototype.put = function putOrDie(key, value, ...rest) {
  if (typeof key === 'string' && /^item-.*-local-jobs~/.test(key) && value?.leased?.BOOL === true) {
    process.kill(process.pid, 'SIGKILL');
  }
  return put.call(this, key, value, ...rest);
};
