import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLES, type TableDefinition, TTL_ATTRIBUTE } from '../lambdas/contract/tables';

export interface StorageProps {
  /**
   * What happens to the tables when the stack is deleted.
   * @default RemovalPolicy.RETAIN: webhook history outlives a mistaken `cdk destroy`
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Hookpost's DynamoDB tables, as `lambdas/contract/tables.ts` defines them (key design in
 * README, "Tables"): on demand, point-in-time recovery, encrypted, expiring items through
 * `expiresAt`. The messages table's stream (NEW_IMAGE) is the outbox that drives fan-out.
 * The tables' names are left to CloudFormation, so a retained table never blocks a later
 * deployment of the same stack.
 */
export class Storage extends Construct {
  readonly catalogTable: dynamodb.Table;
  readonly messagesTable: dynamodb.Table;
  readonly deliveriesTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.catalogTable = this.table('Catalog', TABLES.catalog, removalPolicy);
    this.messagesTable = this.table('Messages', TABLES.messages, removalPolicy);
    this.deliveriesTable = this.table('Deliveries', TABLES.deliveries, removalPolicy);
  }

  private table(id: string, definition: TableDefinition, removalPolicy: RemovalPolicy): dynamodb.Table {
    const stringKey = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
    const table = new dynamodb.Table(this, id, {
      partitionKey: stringKey(definition.partitionKey),
      sortKey: stringKey(definition.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy,
      stream: definition.stream === 'NEW_IMAGE' ? dynamodb.StreamViewType.NEW_IMAGE : undefined,
    });
    for (const [indexName, index] of Object.entries(definition.indexes)) {
      table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: stringKey(index.partitionKey),
        sortKey: stringKey(index.sortKey),
        ...(index.projection === undefined
          ? {}
          : { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...index.projection] }),
      });
    }
    return table;
  }
}
