import { describe, expect, it } from 'vitest'
import { parsePublishInputs, splitList } from '../../src/publish/inputs.js'

const parse = (values: Record<string, string>, env: NodeJS.ProcessEnv = {}) =>
  parsePublishInputs((name) => values[name] ?? '', env)

describe('parsePublishInputs', () => {
  it('skips the publish phase unless publish or dry-run asks for it', () => {
    expect(parse({})).toBeUndefined()
    expect(parse({ publish: 'false', 'dry-run': 'False' })).toBeUndefined()
  })

  it('fills in the documented defaults', () => {
    expect(parse({ publish: 'true' }, { AWS_REGION: 'eu-west-1' })).toEqual({
      layerName: 'picolisp',
      regions: ['eu-west-1'],
      description: undefined,
      licenseInfo: 'MIT',
      compatibleRuntimes: ['provided.al2023'],
      shareWith: [],
      skipUnchanged: true,
      keepVersions: 0,
      s3Bucket: undefined,
      dryRun: false,
      timeouts: { connect: 30, idle: 120 },
    })
  })

  it('takes AWS_DEFAULT_REGION when AWS_REGION is not set', () => {
    expect(parse({ publish: 'true' }, { AWS_DEFAULT_REGION: 'ap-southeast-2' })?.regions).toEqual([
      'ap-southeast-2',
    ])
  })

  it('lets dry-run alone preview publishing', () => {
    expect(parse({ 'dry-run': 'true', regions: 'us-east-1' })?.dryRun).toBe(true)
  })

  it('keeps the regions in the order written, split on commas, spaces and newlines', () => {
    expect(
      parse({ publish: 'true', regions: 'us-west-2,eu-west-1\n  us-east-1 us-west-2' })?.regions,
    ).toEqual(['us-west-2', 'eu-west-1', 'us-east-1'])
  })

  it('reads every option', () => {
    const inputs = parse({
      publish: 'TRUE',
      'layer-name': 'pil_21-x86',
      regions: 'us-gov-west-1 cn-north-1',
      description: 'my runtime',
      'license-info': 'MIT-0',
      'compatible-runtimes': 'provided.al2023 provided.al2',
      'share-with': '* 123456789012 o-a1b2c3d4e5',
      'skip-unchanged': 'false',
      'keep-versions': '3',
      's3-bucket': 'layers.{region}',
      'dry-run': 'false',
      'aws-connect-timeout': '5',
      'aws-idle-timeout': '0.5',
    })
    expect(inputs).toMatchObject({
      layerName: 'pil_21-x86',
      description: 'my runtime',
      compatibleRuntimes: ['provided.al2023', 'provided.al2'],
      shareWith: ['*', '123456789012', 'o-a1b2c3d4e5'],
      skipUnchanged: false,
      keepVersions: 3,
      s3Bucket: 'layers.{region}',
      timeouts: { connect: 5, idle: 0.5 },
    })
  })

  const bad: [string, Record<string, string>, RegExp][] = [
    ['a boolean', { publish: 'yes' }, /Input 'publish': must be true or false, got 'yes'/],
    ['a dry-run boolean', { 'dry-run': '1' }, /Input 'dry-run': must be true or false/],
    ['skip-unchanged', { publish: 'true', 'skip-unchanged': 'maybe' }, /Input 'skip-unchanged'/],
    [
      'a layer name with a space',
      { 'layer-name': 'pico lisp' },
      /Input 'layer-name': must be 1 to 140/,
    ],
    [
      'a layer ARN',
      { 'layer-name': 'arn:aws:lambda:us-east-1:123456789012:layer:x' },
      /'layer-name'.*not an ARN/,
    ],
    ['a layer name over 140', { 'layer-name': 'x'.repeat(141) }, /Input 'layer-name'/],
    [
      'a region typo',
      { regions: 'us-east-1 useast1' },
      /Input 'regions': must list AWS region codes.*'useast1'/,
    ],
    [
      'no region at all',
      { regions: '' },
      /Input 'regions': is empty and neither AWS_REGION nor AWS_DEFAULT_REGION/,
    ],
    [
      'a long description',
      { description: 'd'.repeat(257) },
      /Input 'description': must be at most 256 characters \(it has 257\)/,
    ],
    [
      'a long license',
      { 'license-info': 'l'.repeat(513) },
      /Input 'license-info': must be at most 512/,
    ],
    [
      'an unknown runtime',
      { 'compatible-runtimes': 'provided.al2023 picolisp' },
      /Input 'compatible-runtimes'.*'picolisp'/,
    ],
    [
      'an 11-digit account',
      { 'share-with': '12345678901' },
      /Input 'share-with': must list '\*'.*'12345678901'/,
    ],
    ['an organization id too short', { 'share-with': 'o-abc' }, /Input 'share-with'/],
    [
      'a negative keep-versions',
      { 'keep-versions': '-1' },
      /Input 'keep-versions': must be a whole number/,
    ],
    ['a fractional keep-versions', { 'keep-versions': '1.5' }, /Input 'keep-versions'/],
    [
      'an invalid bucket',
      { 's3-bucket': 'My_Bucket' },
      /Input 's3-bucket': must be an S3 bucket name/,
    ],
    [
      'one bucket for many regions',
      { regions: 'us-east-1 eu-west-1', 's3-bucket': 'layers' },
      /Input 's3-bucket': must contain \{region\}/,
    ],
    ['a zero timeout', { 'aws-idle-timeout': '0' }, /Input 'aws-idle-timeout': must be a number/],
    ['a timeout in words', { 'aws-connect-timeout': '1m' }, /Input 'aws-connect-timeout'/],
    ['a timeout over an hour', { 'aws-idle-timeout': '3601' }, /at most 3600, got '3601'/],
  ]
  it.each(bad)('rejects %s, naming the input and what was expected', (_, values, message) => {
    expect(() => parse({ publish: 'true', regions: 'us-east-1', ...values })).toThrow(message)
  })
})

describe('splitList', () => {
  it('drops empty items and duplicates', () => {
    expect(splitList(' a,, b\n\na ,c ')).toEqual(['a', 'b', 'c'])
    expect(splitList('')).toEqual([])
  })
})
