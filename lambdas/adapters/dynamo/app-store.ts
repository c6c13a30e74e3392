import { API_FUNCTION_TIMEOUT_SECONDS } from '../../contract/settings';
import { ConflictError } from '../../core/errors';
import type { App } from '../../core/model';
import type { AppStore, Page, PageRequest } from '../../ports';
import { asMapAttribute, type Documents } from './documents';
import { kindIndexAttributes, listKind } from './kind-index';
import { isConditionalCheckFailed } from './paging';
import { replaceIfUnchanged } from './replace-if-unchanged';

/**
 * Apps in the catalog table.
 * - app:       pk `APP#{appId}`, sk `#APP`; listed through the byKind index (`APP`, appId)
 * - uid claim: pk `UID#{uid}`,   sk `#UID`; makes `uid` unique with a conditional put
 * Endpoints share the app's partition (see DynamoEndpointStore).
 */
const APP_SK = '#APP';
const UID_SK = '#UID';
const APP_KIND = 'APP';
/**
 * How old a uid claim must be before it can be left over: twice the longest an API request
 * runs, which leaves room for the clocks of two containers to differ.
 */
const CLAIM_SETTLED_MS = 2 * API_FUNCTION_TIMEOUT_SECONDS * 1000;

export const appKey = (appId: string) => ({ pk: `APP#${appId}`, sk: APP_SK });
const uidKey = (uid: string) => ({ pk: `UID#${uid}`, sk: UID_SK });

export class DynamoAppStore implements AppStore {
  constructor(
    private readonly doc: Documents,
    private readonly tableName: string,
  ) {}

  async create(app: App): Promise<void> {
    if (app.uid !== null) await this.claimUid(app.uid, app.id);
    await this.doc.put({
      TableName: this.tableName,
      Item: toItem(app),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  }

  async get(appId: string): Promise<App | undefined> {
    const { Item } = await this.doc.get({
      TableName: this.tableName,
      Key: appKey(appId),
      ConsistentRead: true,
    });
    return Item === undefined ? undefined : fromItem(Item);
  }

  async list(page: PageRequest): Promise<Page<App>> {
    return listKind(this.doc, this.tableName, APP_KIND, page, fromItem);
  }

  async update(previous: App, next: App): Promise<void> {
    if (next.uid !== null && next.uid !== previous.uid) await this.claimUid(next.uid, next.id);
    await replaceIfUnchanged(this.doc, {
      tableName: this.tableName,
      key: appKey(next.id),
      item: toItem(next),
      asRead: { updatedAt: previous.updatedAt },
      resource: 'Application',
      id: next.id,
    });
    if (previous.uid !== null && previous.uid !== next.uid) await this.releaseUid(previous.uid, previous.id);
  }

  async delete(app: App): Promise<void> {
    await this.doc.delete({ TableName: this.tableName, Key: appKey(app.id) });
    if (app.uid !== null) await this.releaseUid(app.uid, app.id);
  }

  /**
   * Claims a uid for an app. A claim outlives its purpose when the create or the update
   * that wrote it died before writing its app: its app is then missing, or holds another
   * uid. Such a claim is taken over rather than blocking the uid forever, but only once it
   * is older than any request can run, so that a create still under way keeps its claim.
   */
  private async claimUid(uid: string, appId: string): Promise<void> {
    const claim = (condition: string, values?: Record<string, unknown>) =>
      this.doc.put({
        TableName: this.tableName,
        Item: { ...uidKey(uid), appId, claimedAt: Date.now() },
        ConditionExpression: condition,
        ExpressionAttributeValues: values,
      });
    try {
      await claim('attribute_not_exists(pk) OR appId = :self', { ':self': appId });
      return;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const { Item } = await this.doc.get({
      TableName: this.tableName,
      Key: uidKey(uid),
      ConsistentRead: true,
    });
    const holder = typeof Item?.appId === 'string' ? Item.appId : undefined;
    // Claims written before they carried their time are older than any request.
    const claimedAt = typeof Item?.claimedAt === 'number' ? Item.claimedAt : undefined;
    const settled = claimedAt === undefined || Date.now() - claimedAt > CLAIM_SETTLED_MS;
    if (holder !== undefined && settled && (await this.get(holder))?.uid !== uid) {
      try {
        await claim(
          claimedAt === undefined
            ? 'appId = :orphan AND attribute_not_exists(claimedAt)'
            : 'appId = :orphan AND claimedAt = :claimedAt',
          { ':orphan': holder, ...(claimedAt === undefined ? {} : { ':claimedAt': claimedAt }) },
        );
        return;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
    throw new ConflictError(`Another application already has uid ${uid}.`);
  }

  private async releaseUid(uid: string, appId: string): Promise<void> {
    try {
      await this.doc.delete({
        TableName: this.tableName,
        Key: uidKey(uid),
        ConditionExpression: 'appId = :self',
        ExpressionAttributeValues: { ':self': appId },
      });
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }
}

function toItem(app: App): Record<string, unknown> {
  return {
    ...appKey(app.id),
    ...kindIndexAttributes(APP_KIND, app.id),
    ...app,
    metadata: asMapAttribute(app.metadata),
  };
}

function fromItem(item: Record<string, unknown>): App {
  return {
    id: item.id as string,
    name: item.name as string,
    uid: (item.uid as string | null | undefined) ?? null,
    metadata: (item.metadata as App['metadata'] | undefined) ?? {},
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}
