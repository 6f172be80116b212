// The files generated from the contract are what the contract gives today:
// an edit of api-spec/openapi.yaml without `npm run gen:api` fails here.
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { generate, outputs } from '../../scripts/gen-api.mjs'

describe('generated API code', () => {
  it('is current with api-spec/openapi.yaml (run `npm run gen:api`)', async () => {
    const want = await generate()
    expect(await readFile(outputs.schema, 'utf8')).toBe(want.schema)
    expect(await readFile(outputs.permissions, 'utf8')).toBe(want.permissions)
  }, 30_000)
})
