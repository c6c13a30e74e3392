/**
 * One Lambda execution environment, as the deployed test tier runs it: a plain Node.js
 * process (no TypeScript loader) in the function's task root, with only the environment
 * the template gives the function plus what the Lambda service itself sets. It loads the
 * handler the way the Node.js runtime does (`index.handler` → `index.js`, `.mjs` or `.cjs`
 * in the task root, export `handler`), then answers invocations sent over IPC, one at a
 * time, as Lambda gives one environment one invocation at a time.
 *
 * argv: <task root> <handler>
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [taskRoot, handlerSetting] = process.argv.slice(2);
const separator = handlerSetting.lastIndexOf('.');
const modulePath = handlerSetting.slice(0, separator);
const exportName = handlerSetting.slice(separator + 1);

function describe(error) {
  return error instanceof Error
    ? { errorType: error.name, errorMessage: error.message, stack: error.stack }
    : { errorType: 'Error', errorMessage: String(error) };
}

let handler;
try {
  const file = ['.js', '.mjs', '.cjs']
    .map((extension) => join(taskRoot, modulePath + extension))
    .find(existsSync);
  if (file === undefined) throw new Error(`Cannot find module '${modulePath}' in ${taskRoot}`);
  const loaded = await import(pathToFileURL(file).href);
  handler = loaded[exportName];
  if (typeof handler !== 'function') throw new Error(`${modulePath}.${exportName} is not a function`);
  process.send({ type: 'ready' });
} catch (error) {
  process.send({ type: 'init-error', error: describe(error) });
  process.exit(1);
}

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  const deadline = Date.now() + message.timeoutMs;
  const context = {
    awsRequestId: randomUUID(),
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: message.functionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(message.event, context);
    process.send({
      type: 'result',
      id: message.id,
      result: result === undefined ? null : result,
      ...memory(),
    });
  } catch (error) {
    process.send({ type: 'result', id: message.id, error: describe(error), ...memory() });
  }
});

/**
 * The environment's peak resident memory so far, what Lambda reports as "Max Memory Used":
 * the high-water mark of this process image (VmHWM). Not getrusage's maxRSS: Linux carries
 * that over from the parent at fork, so it reported the test harness's own size at the
 * moment it started the environment. Off Linux, the resident memory at each invocation's
 * end, the most of them kept by the parent.
 */
function memory() {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const highWater = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    if (highWater !== undefined) return { maxRssKb: Number(highWater) };
  } catch {
    // Not Linux: sampled below.
  }
  return { maxRssKb: Math.ceil(process.memoryUsage.rss() / 1024) };
}
