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

  it('draw their randomness evenly and never repeat it, across many pools of random bytes', () => {
    // 20,000 ids in distinct milliseconds take 320,000 random bytes: some 78 refills of the pool.
    const start = Date.parse('2026-11-22T10:00:00.000Z');
    const randomParts = Array.from({ length: 20_000 }, (_, index) =>
      newId('message', new Date(start + index)).slice('msg_'.length + 10),
    );
    expect(new Set(randomParts).size).toBe(randomParts.length);
    const firstCharacters = new Map<string, number>();
    for (const part of randomParts)
      firstCharacters.set(part[0] ?? '', (firstCharacters.get(part[0] ?? '') ?? 0) + 1);
    // Each of the 32 characters expects 625 of them (five standard deviations either side):
    // a pool read past its end, or never refilled, gives one character or repeats.
    expect(firstCharacters.size).toBe(32);
    for (const count of firstCharacters.values()) {
      expect(count).toBeGreaterThan(500);
      expect(count).toBeLessThan(750);
    }
  });

  it.each(['msg_', 'msg_123', 'app_01KAAAAAAAAAAAAAAAAAAAAAAA', 'msg_01KAAAAAAAAAAAAAAAAAAAAAAI'])(
    'rejects %s as a message id',
    (candidate) => {
      expect(isId('message', candidate)).toBe(false);
    },
  );
});
