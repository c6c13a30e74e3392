#!/usr/bin/env node
/**
 * A consumer of a Hookpost poll endpoint, for customers who cannot receive pushes: it
 * pulls notifications one by one, oldest first, hands each to `handle`, and deletes it
 * only after `handle` succeeded, so a crash means the same notification comes again,
 * never that one is skipped. Plain Node.js 20+, no dependencies.
 *
 *   HOOKPOST_API=http://127.0.0.1:8080/v1 HOOKPOST_KEY=hpk_… \
 *     node examples/poll-consumer.mjs <appId> <endpointId> [--max N]
 *
 * With --max N it stops after N notifications, or when none arrives within a wait.
 */

const api = process.env.HOOKPOST_API ?? 'http://127.0.0.1:8080/v1';
const key = process.env.HOOKPOST_KEY;
const [appId, endpointId, flag, maxText] = process.argv.slice(2);
if (key === undefined || appId === undefined || endpointId === undefined) {
  console.error('usage: HOOKPOST_KEY=… node examples/poll-consumer.mjs <appId> <endpointId> [--max N]');
  process.exit(2);
}
const max = flag === '--max' ? Number(maxText) : Number.POSITIVE_INFINITY;
const notifications = `${api}/apps/${appId}/endpoints/${endpointId}/notifications`;
const headers = { authorization: `Bearer ${key}` };

/** Your processing. Throwing leaves the notification in place: it is received again. */
async function handle(notification) {
  console.log(JSON.stringify(notification));
}

let handled = 0;
while (handled < max) {
  // A long poll: answers as soon as a notification is there, or 204 after 20 s of nothing.
  const received = await fetch(`${notifications}/receive?wait=20`, { method: 'POST', headers });
  if (received.status === 204) {
    if (Number.isFinite(max)) break;
    continue;
  }
  if (!received.ok) throw new Error(`receive answered ${received.status}: ${await received.text()}`);
  const { receiptId, notification } = await received.json();
  await handle(notification);
  const deleted = await fetch(`${notifications}/${receiptId}`, { method: 'DELETE', headers });
  // 404: the receipt went stale (an earlier message turned up late); this one comes again after it.
  if (deleted.status === 404) continue;
  if (deleted.status !== 204) throw new Error(`delete answered ${deleted.status}: ${await deleted.text()}`);
  handled += 1;
}
