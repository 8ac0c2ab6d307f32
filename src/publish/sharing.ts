/** One AddLayerVersionPermission call, with a statement id that is the same on every run. */
export interface Grant {
  statementId: string
  principal: string
  organizationId?: string
}

/**
 * Statement ids are derived from the principal, so a rerun finds its own earlier grant
 * instead of adding a duplicate or failing on a conflict.
 */
export function grantFor(shareWith: string): Grant {
  if (shareWith === '*') return { statementId: 'share-public', principal: '*' }
  if (shareWith.startsWith('o-')) {
    return { statementId: `share-org-${shareWith}`, principal: '*', organizationId: shareWith }
  }
  return { statementId: `share-account-${shareWith}`, principal: shareWith }
}

/** Statement ids in a layer version policy document (GetLayerVersionPolicy's `Policy`). */
export function statementIds(policy: string | undefined): Set<string> {
  if (policy === undefined || policy === '') return new Set()
  const document = JSON.parse(policy) as { Statement?: { Sid?: string }[] | { Sid?: string } }
  const statements = Array.isArray(document.Statement)
    ? document.Statement
    : document.Statement
      ? [document.Statement]
      : []
  return new Set(statements.map((s) => s.Sid).filter((sid): sid is string => sid !== undefined))
}

/** The grants `shareWith` asks for that the version's policy does not have yet. */
export function missingGrants(shareWith: readonly string[], policy: string | undefined): Grant[] {
  const existing = statementIds(policy)
  return shareWith.map(grantFor).filter((grant) => !existing.has(grant.statementId))
}
