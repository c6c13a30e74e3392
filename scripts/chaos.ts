import { parseArgs } from 'node:util';
import { runChaos } from '../test/support/chaos';

/**
 * `npm run chaos [-- --seed N --runs 5 --messages 2000]`: the chaos run of README "Crash
 * safety", repeated; a failing run prints its seed, and `--seed` replays it. Exit code 1
 * when any run found a problem.
 */
const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    runs: { type: 'string', default: '1' },
    messages: { type: 'string', default: '2000' },
    callers: { type: 'string', default: '8' },
    kills: { type: 'string', default: '3' },
  },
});
const runs = Number(values.runs);
let failed = 0;
for (let run = 0; run < runs; run++) {
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed) + run;
  console.log(`chaos run ${run + 1}/${runs}, seed ${seed}`);
  const report = await runChaos({
    seed,
    messages: Number(values.messages),
    callers: Number(values.callers),
    kills: Number(values.kills),
    failureRate: 0.3,
    retryLadderSeconds: [1, 2, 3, 5],
    settleTimeoutMs: 120_000,
    idleSampleMs: 10_000,
    log: (line) => console.log(`  ${line}`),
  });
  console.log(JSON.stringify(report, null, 2));
  if (report.problems.length > 0) {
    failed++;
    console.log(`FAILED (replay: npm run chaos -- --seed ${seed} --messages ${values.messages})`);
  }
}
console.log(`${runs - failed} of ${runs} chaos runs passed`);
process.exit(failed === 0 ? 0 : 1);
