import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { REPO } from '../support/run-action.js'
import { useRuntimeLayer } from '../support/runtime-process.js'

// examples/ must deploy as it is: the template's Handler names a file and a
// function that exist, and that handler answers through the real runtime.

const EXAMPLES = path.join(REPO, 'examples')

/** CloudFormation's short forms, kept as the long forms they stand for. */
const customTags = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }) },
]

interface Resource {
  Type: string
  Properties: Record<string, unknown>
}

const template = parse(readFileSync(path.join(EXAMPLES, 'template.yaml'), 'utf8'), {
  customTags,
}) as {
  Transform: string
  Parameters: Record<string, { Type: string }>
  Resources: Record<string, Resource>
}
const resources = Object.entries(template.Resources)
const [, fn] = resources.find(([, r]) => r.Type === 'AWS::Serverless::Function') ?? []
const props = (fn?.Properties ?? {}) as {
  Handler: string
  CodeUri: string
  Runtime: string
  Layers: { Ref: string }[]
  Role: { 'Fn::GetAtt': string[] }
}
const [handlerFile, handlerFunction] = props.Handler.split('.')
const handlerSource = readFileSync(path.join(EXAMPLES, props.CodeUri, `${handlerFile}.l`), 'utf8')

describe('examples/template.yaml', () => {
  it('is a SAM template with one function on provided.al2023', () => {
    expect(template.Transform).toBe('AWS::Serverless-2016-10-31')
    expect(fn).toBeDefined()
    expect(props.Runtime).toBe('provided.al2023')
  })

  it('takes the layer as an ARN parameter and gives the function an execution role Lambda can assume', () => {
    expect(props.Layers).toHaveLength(1)
    expect(template.Parameters[props.Layers[0].Ref]?.Type).toBe('String')
    const [roleName, attribute] = props.Role['Fn::GetAtt']
    expect(attribute).toBe('Arn')
    const role = template.Resources[roleName]
    expect(role?.Type).toBe('AWS::IAM::Role')
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain(
      '"Service":"lambda.amazonaws.com"',
    )
  })

  it('names a handler file in CodeUri that defines the handler function', () => {
    expect(props.Handler).toMatch(/^[a-z]+\.[a-z]+$/)
    expect(handlerSource).toMatch(
      new RegExp(`^\\(de ${handlerFunction} \\(Event_data Headers\\)`, 'm'),
    )
  })
})

describe('the handler named everywhere', () => {
  const docs = ['README.md', 'examples/README.md', '.github/workflows/e2e.yml']
  it.each(docs)('%s calls hello.l by the template’s Handler', (doc) => {
    const text = readFileSync(path.join(REPO, doc), 'utf8')
    const mentions = [...text.matchAll(/\bhello\.[a-z]+\b/g)].map((m) => m[0])
    const handlers = mentions.filter((m) => m !== 'hello.l')
    expect(handlers.length).toBeGreaterThan(0)
    expect(new Set(handlers)).toEqual(new Set([props.Handler]))
  })
})

describe('the example handler, run through the runtime', () => {
  const runtime = useRuntimeLayer()

  it('answers with the name it was given, and a default without one', async () => {
    const { emulator } = await runtime.start({ [`${handlerFile}.l`]: handlerSource }, props.Handler)
    const named = await emulator.invoke({ name: 'SAM' })
    expect(named.kind).toBe('response')
    expect(JSON.parse(named.body.toString('utf8'))).toEqual({ hello: 'SAM' })
    const unnamed = await emulator.invoke({})
    expect(JSON.parse(unnamed.body.toString('utf8'))).toEqual({ hello: 'world' })
  })
})
