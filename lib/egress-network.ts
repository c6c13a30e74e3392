import { Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

export interface EgressNetworkProps {
  /** Availability zones with a NAT gateway: the number of egress IPs. @default 2 */
  readonly azCount?: number;
  /**
   * Elastic IP allocation ids to put on the NAT gateways, one per AZ, so that the egress
   * IPs survive a redeploy or a new stack. @default new Elastic IPs owned by the stack
   */
  readonly eipAllocationIds?: readonly string[];
  readonly logRetention: logs.RetentionDays;
}

/**
 * The network the delivery function sends from: private subnets whose traffic leaves
 * through one NAT gateway per AZ, each with an Elastic IP. Those addresses are the fixed
 * egress IPs receivers allow-list. Flow logs record every connection.
 */
export class EgressNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  /** The public IPs deliveries come from. */
  readonly egressIps: string[];

  constructor(scope: Construct, id: string, props: EgressNetworkProps) {
    super(scope, id);
    const azCount = props.azCount ?? 2;
    if (!Number.isInteger(azCount) || azCount < 1 || azCount > 6) {
      throw new Error(`egress AZ count must be a whole number from 1 to 6, not ${azCount}`);
    }
    if (props.eipAllocationIds !== undefined && props.eipAllocationIds.length !== azCount) {
      throw new Error(
        `${azCount} egress AZs need ${azCount} EIP allocation ids, not ${props.eipAllocationIds.length}`,
      );
    }
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: props.logRetention });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      availabilityZones: availabilityZones(this, azCount),
      natGateways: azCount,
      natGatewayProvider: ec2.NatProvider.gateway(
        props.eipAllocationIds === undefined ? {} : { eipAllocationIds: [...props.eipAllocationIds] },
      ),
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'egress', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });
    // DynamoDB traffic stays inside AWS through a free gateway endpoint instead of paying NAT per gigabyte.
    this.vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    this.egressIps =
      props.eipAllocationIds === undefined
        ? this.ownedEips()
        : this.describeAddresses(props.eipAllocationIds);
  }

  private ownedEips(): string[] {
    return this.vpc.publicSubnets.map((subnet) => {
      const eip = subnet.node.tryFindChild('EIP');
      if (!(eip instanceof ec2.CfnEIP)) throw new Error(`No Elastic IP in ${subnet.node.path}`);
      return eip.attrPublicIp;
    });
  }

  /** Brought-in EIPs are not in the template: ask EC2 for their addresses at deploy time. */
  private describeAddresses(allocationIds: readonly string[]): string[] {
    const lookup = new cr.AwsCustomResource(this, 'EgressAddresses', {
      onUpdate: {
        service: 'EC2',
        action: 'describeAddresses',
        parameters: { AllocationIds: [...allocationIds] },
        physicalResourceId: cr.PhysicalResourceId.of(allocationIds.join(',')),
        outputPaths: allocationIds.map((_, index) => `Addresses.${index}.PublicIp`),
      },
      // DescribeAddresses has no resource-level permissions.
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
    });
    Validations.of(lookup).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'ec2:DescribeAddresses has no resource-level permissions; the look-up only reads addresses.',
    });
    // The look-up runs in a Lambda function CDK shares across the stack; it only writes its own logs.
    const providerId = `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replaceAll('-', '')}`;
    const provider = Stack.of(this).node.tryFindChild(providerId);
    if (provider !== undefined) {
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "The custom resource provider's basic execution role only lets it write its own logs.",
      });
    }
    return allocationIds.map((_, index) => lookup.getResponseField(`Addresses.${index}.PublicIp`));
  }
}

/**
 * The AZs to use. When the stack's account and region are known, the region's zones are
 * looked up at synth, and a count the region cannot offer fails right there with a clear
 * message. An environment-agnostic stack (the default) knows the region only at deploy
 * time: it takes the first `count` zones of `Fn::GetAZs`, which fails at deploy in a
 * region with fewer (README, "Deploying to AWS").
 */
function availabilityZones(scope: Construct, count: number): string[] {
  const stack = Stack.of(scope);
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) {
    return Array.from({ length: count }, (_, index) => Fn.select(index, Fn.getAzs()));
  }
  const zones = stack.availabilityZones;
  // Before the CLI has looked the zones up, CDK answers with placeholders: check on the real answer only.
  const lookedUp = !zones.some((zone) => zone.startsWith('dummy'));
  if (lookedUp && zones.length < count) {
    throw new Error(
      `${stack.region} offers ${zones.length} availability zones to account ${stack.account} (${zones.join(', ')}), ` +
        `so it cannot have ${count} egress AZs: set hookpost:egressAzCount to ${zones.length} or less.`,
    );
  }
  return zones.slice(0, count);
}
