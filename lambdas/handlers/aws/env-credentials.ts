/**
 * What the functions' bundles carry in place of the AWS SDK's default credential chain
 * (`@aws-sdk/credential-provider-node`, swapped for this module by lib/hookpost-function.ts).
 * On Lambda a function's credentials are its role's, always in its environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN): the first place the chain
 * looks. The rest of the chain (profiles, SSO, web identity, container and instance
 * metadata) never answers there, and was about 90 KB of every bundle and some milliseconds
 * of every cold start. Local mode and the tests run the unbundled code, with the whole chain.
 */
export { fromEnv as defaultProvider } from '@aws-sdk/credential-provider-env';
