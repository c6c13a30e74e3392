/**
 * Published on-demand prices in us-east-1 that the cost benchmark (bench/cost.ts)
 * multiplies its measured counts by. Free tiers are left out: the figures are what a
 * busy account pays at the margin. Update the date with the prices.
 */
export const PRICES_AS_OF = '2026-11-23';

export const PRICES = {
  apiGateway: {
    /** REST API requests, per million (first 333 million a month). */
    restRequestsPerMillion: 3.5,
  },
  lambda: {
    requestsPerMillion: 0.2,
    /** x86_64, per GB-second (first 6 billion GB-seconds a month). */
    x86GbSecond: 0.0000166667,
    arm64GbSecond: 0.0000133334,
  },
  dynamodb: {
    /** On-demand, standard table class (after the November 2024 reduction). */
    writeRequestUnitsPerMillion: 0.625,
    readRequestUnitsPerMillion: 0.125,
    /** Per GB-month of table storage. */
    storageGbMonth: 0.25,
  },
  sqs: {
    /** Standard queue requests (each 64 KiB of payload is one), per million. */
    requestsPerMillion: 0.4,
  },
  scheduler: {
    /** EventBridge Scheduler invocations, per million. */
    invocationsPerMillion: 1.0,
  },
  logs: {
    /** CloudWatch Logs standard ingestion, per GB. */
    ingestionGb: 0.5,
  },
  network: {
    /** NAT gateway, per hour and per GB processed (both directions). */
    natGatewayHour: 0.045,
    natGatewayGb: 0.045,
    /** Data transfer out to the internet, per GB (first 10 TB a month). */
    transferOutGb: 0.09,
    /** Public IPv4 address (an Elastic IP), per hour. */
    publicIpv4Hour: 0.005,
  },
  cloudwatch: {
    /** Standard-resolution alarm, per month. */
    alarmMonth: 0.1,
    /** Dashboard, per month. */
    dashboardMonth: 3.0,
    /** Custom metric (EMF creates one per name and dimension set), per month. */
    metricMonth: 0.3,
  },
  kms: {
    /** Customer-managed key, per month. */
    keyMonth: 1.0,
  },
  secretsManager: {
    secretMonth: 0.4,
  },
} as const;

export const HOURS_PER_MONTH = 730;
