import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export interface StorageProps {
  /**
   * What happens to the tables when the stack is deleted.
   * @default RemovalPolicy.RETAIN: webhook history outlives a mistaken `cdk destroy`
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Hookpost's DynamoDB tables (key design in README, "Tables"): on demand, point-in-time
 * recovery, encrypted, expiring items through `expiresAt`. The messages table's stream
 * (NEW_IMAGE) is the outbox that drives fan-out.
 */
export class Storage extends Construct {
  readonly catalogTable: dynamodb.Table;
  readonly messagesTable: dynamodb.Table;
  readonly deliveriesTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const common = {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    };
    this.catalogTable = new dynamodb.Table(this, 'Catalog', common);
    this.catalogTable.addGlobalSecondaryIndex({
      indexName: 'byKind',
      partitionKey: { name: 'kindPk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'kindSk', type: dynamodb.AttributeType.STRING },
    });
    this.messagesTable = new dynamodb.Table(this, 'Messages', {
      ...common,
      stream: dynamodb.StreamViewType.NEW_IMAGE,
    });
    this.deliveriesTable = new dynamodb.Table(this, 'Deliveries', common);
  }
}
