import { describe, expect, it } from 'vitest';
import { idBoundsAt, isId, newId, timeOfId } from '../../lambdas/core/ids';

describe('ids', () => {
  it.each([
    ['app', 'app_'],
    ['endpoint', 'ep_'],
    ['message', 'msg_'],
    ['attempt', 'atmpt_'],
  ] as const)('%s ids start with %s and carry a ULID', (kind, prefix) => {
    const id = newId(kind, new Date());
    expect(id.startsWith(prefix)).toBe(true);
    expect(isId(kind, id)).toBe(true);
  });

  it('sort by creation time, also within one millisecond', () => {
    const now = new Date('2026-11-22T10:00:00.000Z');
    const ids = [newId('message', new Date(now.getTime() - 1)), newId('message', now), newId('message', now)];
    expect([...ids].sort()).toEqual(ids);
  });

  it('stay in order within a millisecond earlier than one already used, and carry that time', () => {
    const later = new Date('2026-11-22T10:00:00.500Z');
    const earlier = new Date('2026-11-22T10:00:00.100Z');
    newId('message', later);
    const ids = Array.from({ length: 50 }, () => newId('message', earlier));
    expect([...ids].sort()).toEqual(ids);
    expect(ids.every((id) => timeOfId(id).getTime() === earlier.getTime())).toBe(true);
  });

  it('encode their time', () => {
    const now = new Date('2026-11-22T10:00:00.123Z');
    expect(timeOfId(newId('message', now))).toEqual(now);
  });

  it('have bounds at a time that enclose every id of that millisecond', () => {
    const now = new Date('2026-11-22T10:00:00.123Z');
    const { lowest, highest } = idBoundsAt('message', now);
    const id = newId('message', now);
    expect(lowest < id && id < highest).toBe(true);
    expect(idBoundsAt('message', new Date(now.getTime() + 1)).lowest > highest).toBe(true);
  });

  it.each(['msg_', 'msg_123', 'app_01KAAAAAAAAAAAAAAAAAAAAAAA', 'msg_01KAAAAAAAAAAAAAAAAAAAAAAI'])(
    'rejects %s as a message id',
    (candidate) => {
      expect(isId('message', candidate)).toBe(false);
    },
  );
});
