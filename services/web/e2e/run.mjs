// End-to-end tests of the portal in a real headless Chromium (Debian's,
// driven by playwright-core; nothing is downloaded). scripts/e2e.sh starts
// the server and calls this with BASE_URL; each check saves a screenshot
// into ARTIFACTS (default artifacts/e2e). Every request the page makes must
// stay on BASE_URL's origin (no CDN, no fonts from elsewhere), and an
// uncaught error in the page fails the check it happened in.
//
// The checks are in e2e/checks/*.mjs, run in file-name order (a check may
// use what an earlier one left in `state`; see lib.mjs). Adding a view: a
// `check('name', async (page) => { ... })` in its area's file that opens it,
// asserts what a person would see, and calls shot(page, 'name').
// E2E_ONLY=<regexp> runs only the checks whose names match.
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { artifacts, checks, hasApi, origin, shot } from './lib.mjs'

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium'

// The flags this machine needs: without the background-networking ones
// Chromium keeps trying hosts the closed network refuses.
const args = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const dir = new URL('./checks/', import.meta.url)
for (const f of (await readdir(dir)).filter((f) => f.endsWith('.mjs')).sort()) await import(new URL(f, dir).href)
const only = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY) : null

await mkdir(artifacts, { recursive: true })
// Only this run's screenshots stay.
for (const f of await readdir(artifacts)) if (f.endsWith('.png')) await rm(join(artifacts, f))
// launch() runs Chromium on a new, empty profile of its own (the fresh
// --user-data-dir), and each check gets a new context: no cookie, storage
// or language left over from the one before.
const browser = await chromium.launch({ executablePath, args, headless: true })

let passed = 0
let failed = 0
let skipped = 0
for (const { name, fn, needsApi } of checks) {
  if (only && !only.test(name)) continue
  if (needsApi && !hasApi) {
    skipped++
    console.log(`skip  ${name} (no API accounts: the static stand-in)`)
    continue
  }
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  const problems = []
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`))
  page.on('request', (r) => {
    const u = new URL(r.url())
    if (u.protocol.startsWith('http') && u.origin !== origin) problems.push(`request to another origin: ${r.url()}`)
  })
  const began = Date.now()
  try {
    await fn(page)
    if (problems.length) throw new Error(problems.join('; '))
    passed++
    console.log(`ok    ${name} (${Date.now() - began} ms)`)
  } catch (e) {
    failed++
    console.log(`FAIL  ${name}: ${e instanceof Error ? e.message : e}`)
    await shot(page, `FAILED-${name.replace(/\W+/g, '-')}`).catch(() => undefined)
  }
  await context.close()
}
await browser.close()
console.log(`screenshots in ${artifacts}`)
console.log(`e2e: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed === 0 ? 0 : 1)
