import { randomUUID } from 'node:crypto'
import {
  type Answer,
  ApiError,
  type LayerRequest,
  type PolicyStatement,
  versionOf,
} from './model.js'

const STATEMENT_ID = /^[a-zA-Z0-9-_]{1,100}$/
const PRINCIPAL = /^(\d{12}|\*|arn:aws[a-zA-Z-]*:iam::\d{12}:root)$/
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/

/**
 * POST /layers/{name}/versions/{n}/policy: adds one statement granting
 * lambda:GetLayerVersion, 409 when its id is taken.
 */
export function addLayerVersionPermission(request: LayerRequest): Answer {
  const stored = versionOf(request)
  const { StatementId, Action, Principal, OrganizationId } = request.body as Record<
    string,
    string | undefined
  >
  if (!StatementId || !STATEMENT_ID.test(StatementId)) {
    throw new ApiError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${StatementId}' at 'statementId' failed to satisfy constraint`,
    )
  }
  if (Action !== 'lambda:GetLayerVersion') {
    throw new ApiError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${Action}' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: lambda:GetLayerVersion`,
    )
  }
  if (!Principal || !PRINCIPAL.test(Principal)) {
    throw new ApiError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${Principal}' at 'principal' failed to satisfy constraint`,
    )
  }
  if (
    OrganizationId !== undefined &&
    (!ORGANIZATION_ID.test(OrganizationId) || Principal !== '*')
  ) {
    throw new ApiError(
      400,
      'InvalidParameterValueException',
      'OrganizationId requires principal * and must match o-[a-z0-9]{10,32}.',
    )
  }
  if (stored.statements.some((s) => s.Sid === StatementId)) {
    throw new ApiError(
      409,
      'ResourceConflictException',
      `The statement id (${StatementId}) provided already exists. Please explicitly specify a new statement id, or remove the existing statement.`,
    )
  }
  const statement: PolicyStatement = {
    Sid: StatementId,
    Effect: 'Allow',
    Principal: /^\d{12}$/.test(Principal) ? { AWS: `arn:aws:iam::${Principal}:root` } : Principal,
    Action: 'lambda:GetLayerVersion',
    Resource: stored.arn,
    ...(OrganizationId
      ? { Condition: { StringEquals: { 'aws:PrincipalOrgID': OrganizationId } } }
      : {}),
  }
  stored.statements.push(statement)
  return {
    status: 201,
    json: { Statement: JSON.stringify(statement), RevisionId: randomUUID() },
  }
}
