import { describe, expect, it } from 'vitest';
import { FAN_OUT_STREAM_FILTER } from '../../../lambdas/contract/tables';
import { matchesPattern } from '../../support/deployed/event-source-mappings';

/** The deployed tier's event filtering, on the fan-out mapping's own pattern. */

const record = (eventName: string, kind: string) => ({
  eventName,
  dynamodb: { NewImage: { kind: { S: kind }, id: { S: 'msg_1' } } },
});

describe('event filter patterns', () => {
  it.each([
    [record('INSERT', 'message'), true],
    [record('MODIFY', 'message'), false],
    [record('INSERT', 'event-id'), false],
    [{ eventName: 'INSERT', dynamodb: { NewImage: {} } }, false],
    [{ eventName: 'INSERT' }, false],
  ])('lets %j through the fan-out filter: %s', (candidate, expected) => {
    expect(matchesPattern(FAN_OUT_STREAM_FILTER, candidate)).toBe(expected);
  });

  it('fails loudly on a rule it does not emulate, rather than let everything through', () => {
    expect(() => matchesPattern({ eventName: [{ prefix: 'IN' }] }, { eventName: 'INSERT' })).toThrow(
      /not emulated/,
    );
  });
});
