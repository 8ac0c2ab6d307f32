import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import {
  actionlint,
  asWorkflow,
  lintWorkflow,
  REPO,
  thisActionErrors,
  workflowParserErrors,
  yamlBlocks,
} from '../support/workflow-lint.js'

// The repository's workflows and every YAML example of the README, linted as GitHub
// would read them, so neither can rot unnoticed.

const workflowDir = path.join(REPO, '.github', 'workflows')
const workflows = readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f))
const readWorkflow = (name: string) => readFileSync(path.join(workflowDir, name), 'utf8')

describe('the linters themselves', () => {
  const broken = [
    'on: push',
    'jobs:',
    '  a:',
    '    runs-on: ubuntu-24.04',
    '    steps:',
    '      - id: layer',
    '        uses: ./',
    '        with:',
    '          picolisp-versio: "26.9"',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not JavaScript's
    '      - run: echo ${{ matrix.nope }} ${{ steps.layer.outputs.layer-zipp }}',
    '      - uses: actions/checkout@v4',
    '        with:',
    '          reff: main',
  ].join('\n')

  it('actionlint finds an undefined expression and an unknown input of a known action', async () => {
    const errors = await actionlint(broken, 'broken.yml')
    expect(errors.join('\n')).toMatch(/property "nope" is not defined/)
    expect(errors.join('\n')).toMatch(/input "reff" is not defined in action "actions\/checkout/)
  })

  it('actionlint knows the ubuntu-24.04 and ubuntu-24.04-arm runners', async () => {
    for (const runner of ['ubuntu-24.04', 'ubuntu-24.04-arm']) {
      const text = `on: push\njobs:\n  a:\n    runs-on: ${runner}\n    steps:\n      - run: "true"\n`
      expect(await actionlint(text, 'runner.yml')).toEqual([])
    }
    const unknown =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-99.04\n    steps:\n      - run: "true"\n'
    expect((await actionlint(unknown, 'runner.yml')).join('\n')).toMatch(/label "ubuntu-99.04"/)
  })

  it("GitHub's parser finds a key a job cannot have", () => {
    const text =
      'on: push\njobs:\n  a:\n    runs-onn: ubuntu-24.04\n    steps:\n      - run: "true"\n'
    expect(workflowParserErrors(text, 'typo.yml').join('\n')).toMatch(/runs-onn/)
  })

  it('finds inputs and outputs of this action that action.yml does not have', () => {
    expect(thisActionErrors(broken, 'broken.yml')).toEqual([
      "broken.yml: job a: input 'picolisp-versio' is not in action.yml",
      "broken.yml: output 'layer-zipp' of step 'layer' is not in action.yml",
    ])
  })
})

describe('the workflows of .github/workflows', () => {
  it('are ci, e2e and release', () => {
    expect(workflows.sort()).toEqual(['ci.yml', 'e2e.yml', 'release.yml'])
  })

  it.each(workflows)('%s passes actionlint, GitHub’s parser and action.yml', async (name) => {
    expect(await lintWorkflow(readWorkflow(name), name)).toEqual([])
  })

  it("e2e builds the action's default version and rolling, on x86_64 and arm64 runners", () => {
    const { layer } = parse(readWorkflow('e2e.yml')).jobs
    expect(layer.strategy.matrix.picolisp).toEqual(['default', 'rolling'])
    const build = layer.steps.find((step: { id?: string }) => step.id === 'layer')
    // 'default' leaves the input empty, so the action picks its own default release.
    expect(build.with['picolisp-version']).toBe(
      `\${{ matrix.picolisp != 'default' && matrix.picolisp || '' }}`,
    )
    expect(layer.strategy.matrix.include).toEqual([
      { arch: 'x86_64', runner: 'ubuntu-24.04' },
      { arch: 'arm64', runner: 'ubuntu-24.04-arm' },
    ])
  })

  it('dependabot updates npm packages and GitHub Actions', () => {
    const config = parse(readFileSync(path.join(REPO, '.github', 'dependabot.yml'), 'utf8'))
    expect(config.version).toBe(2)
    const ecosystems = config.updates.map(
      (u: { 'package-ecosystem': string }) => u['package-ecosystem'],
    )
    expect(ecosystems.sort()).toEqual(['github-actions', 'npm'])
  })
})

describe('examples/template.yaml', () => {
  it('is read as a SAM template, not linted as a workflow, should it be shown in the README', () => {
    const template = readFileSync(path.join(REPO, 'examples', 'template.yaml'), 'utf8')
    expect(asWorkflow(template)).toBeUndefined()
  })
})

describe("the README's YAML examples", () => {
  const blocks = yamlBlocks(readFileSync(path.join(REPO, 'README.md'), 'utf8'))

  it('are found', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3)
  })

  it.each(blocks.map((b) => [b.line, b]))(
    'the block at README.md line %i lints clean as a workflow (or is a SAM template)',
    async (_line, block) => {
      const workflow = asWorkflow(block.text)
      if (workflow === undefined) {
        expect(block.text).toMatch(/Type: AWS::/)
        return
      }
      expect(await lintWorkflow(workflow, `README.md:${block.line}`)).toEqual([])
    },
  )
})
