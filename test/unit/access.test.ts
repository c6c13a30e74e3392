import { describe, expect, it } from 'vitest';
import type { Principal } from '../../lambdas/contract/auth';
import { ROUTE_IDS, ROUTES } from '../../lambdas/contract/routes';
import { authorize } from '../../lambdas/core/access';
import { ForbiddenError, NotFoundError } from '../../lambdas/core/errors';
import { appKeyId, newAppKey } from '../../lambdas/core/keys';

const admin: Principal = { role: 'admin' };
const appKey: Principal = { role: 'app', appId: 'app_A', keyId: 'key_1' };

/** Every path parameter filled in, with the application given. */
const paramsOf = (path: string, appId: string) =>
  Object.fromEntries(
    [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => [name, name === 'appId' ? appId : 'x']),
  );

describe('access', () => {
  it.each(ROUTE_IDS)('lets the admin key use %s', (id) => {
    expect(() => authorize(ROUTES[id], paramsOf(ROUTES[id].path, 'app_B'), admin)).not.toThrow();
  });

  it.each(ROUTE_IDS.filter((id) => ROUTES[id].path.includes('{appId}')))(
    "answers an application key 404 on another application's %s, never 403",
    (id) => {
      expect(() => authorize(ROUTES[id], paramsOf(ROUTES[id].path, 'app_B'), appKey)).toThrow(NotFoundError);
    },
  );

  it.each(ROUTE_IDS.filter((id) => ROUTES[id].access === 'app'))(
    'lets an application key use %s on its own application',
    (id) => {
      expect(() => authorize(ROUTES[id], paramsOf(ROUTES[id].path, 'app_A'), appKey)).not.toThrow();
    },
  );

  it.each(ROUTE_IDS.filter((id) => ROUTES[id].access === 'admin'))(
    'refuses an application key %s with 403 when the application is its own (or there is none)',
    (id) => {
      expect(() => authorize(ROUTES[id], paramsOf(ROUTES[id].path, 'app_A'), appKey)).toThrow(ForbiddenError);
    },
  );

  it.each(ROUTE_IDS.filter((id) => ['public', 'anyKey'].includes(ROUTES[id].access)))(
    'lets an application key use %s',
    (id) => {
      expect(() => authorize(ROUTES[id], paramsOf(ROUTES[id].path, 'app_A'), appKey)).not.toThrow();
    },
  );
});

describe('application keys', () => {
  it('name the key id they were made for, and are told apart from other keys by their prefix', () => {
    const key = newAppKey('key_01M83RZ3NMF5JJ3TDZYVVKF7FT');
    expect(key).toMatch(/^hpk_app_01M83RZ3NMF5JJ3TDZYVVKF7FT_[A-Za-z0-9_-]{43}$/);
    expect(appKeyId(key)).toBe('key_01M83RZ3NMF5JJ3TDZYVVKF7FT');
    expect(newAppKey('key_01M83RZ3NMF5JJ3TDZYVVKF7FT')).not.toBe(key);
  });

  it.each([
    'hpk_admin_change_me_please',
    'hpk_app_01M83RZ3NMF5JJ3TDZYVVKF7FT_short',
    'hpk_app_not-a-ulid-at-all-000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    'Xq9vT2bLm4nR7sW1yZ3cF6hJ8kP0dG5aE2uI4oQ7tY9wB1xN',
  ])('read %s as no application key', (key) => {
    expect(appKeyId(key)).toBeUndefined();
  });
});
