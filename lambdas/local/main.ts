import { ConfigError, loadLocalConfig } from '../config';
import { createJsonLogger, describeError } from '../logger';
import { DataDirInUseError } from './data-dir-lock';
import { UnsupportedDataFormatError } from './data-format';
import { startLocalMode } from './local-mode';

/** `npm start`: the whole of Hookpost in one process on 127.0.0.1 (README, "Local mode settings"). */
async function main(): Promise<void> {
  const config = loadLocalConfig();
  const logger = createJsonLogger(config.logLevel);
  const local = await startLocalMode(config, logger);
  const { admin, url } = local;

  // One write, so that whoever waits for the listening line has the key line too.
  const banner = [`Hookpost listening on ${url}`];
  if (admin.source === 'generated') banner.push(`Admin key (generated, kept in ${admin.file}): ${admin.key}`);
  if (admin.source === 'file') banner.push(`Admin key (from ${admin.file}): ${admin.key}`);
  banner.push(quickStart(url, admin.source === 'environment' ? '$HOOKPOST_ADMIN_KEY' : admin.key));
  console.log(banner.join('\n'));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    await local.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

function quickStart(url: string, key: string): string {
  return [
    '',
    'Quick start:',
    `  curl -s ${url}/v1/event-types -H "Authorization: Bearer ${key}" -H 'Content-Type: application/json' -d '{"name":"invoice.paid"}'`,
    `  curl -s ${url}/v1/apps -H "Authorization: Bearer ${key}" -H 'Content-Type: application/json' -d '{"name":"Acme"}'`,
    '  (then register an endpoint and send a message: see README.md)',
  ].join('\n');
}

main().catch((error: unknown) => {
  if (
    error instanceof ConfigError ||
    error instanceof DataDirInUseError ||
    error instanceof UnsupportedDataFormatError
  )
    console.error(error.message);
  else console.error('Hookpost could not start:', describeError(error));
  process.exit(1);
});
