import type { Grant } from './sharing.js'

export function describeGrant(grant: Grant): string {
  if (grant.organizationId) return `organization ${grant.organizationId}`
  return grant.principal === '*' ? 'everyone (*)' : `account ${grant.principal}`
}
