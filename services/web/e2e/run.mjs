// End-to-end tests of the portal in a real headless Chromium (Debian's,
// driven by playwright-core; nothing is downloaded). scripts/e2e.sh starts
// the server and calls this with BASE_URL; each check saves a screenshot
// into ARTIFACTS (default artifacts/e2e). Every request the page makes must
// stay on BASE_URL's origin (no CDN, no fonts from elsewhere), and an
// uncaught error in the page fails the check it happened in.
//
// Adding a view: one `check('name', async (page) => { ... })` that opens it,
// asserts what a person would see, and calls shot(page, 'name').
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

const base = process.env.BASE_URL ?? 'http://127.0.0.1:8080'
const origin = new URL(base).origin
const artifacts = process.env.ARTIFACTS ?? new URL('../artifacts/e2e/', import.meta.url).pathname
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

const checks = []
function check(name, fn) {
  checks.push({ name, fn })
}

async function shot(page, name) {
  await page.waitForLoadState('networkidle')
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true })
}

function expect(cond, what) {
  if (!cond) throw new Error(what)
}

async function text(locator) {
  return (await locator.textContent({ timeout: 5000 }))?.trim() ?? ''
}

// --- checks -------------------------------------------------------------

check('login page in Chinese by default', async (page) => {
  await page.goto(`${base}/`)
  await page.waitForURL(/\/login\?redirect=/)
  await page.getByRole('heading', { level: 1 }).waitFor()
  expect((await text(page.getByRole('heading', { level: 1 }))) === '用户登录', 'the login heading is 用户登录')
  expect((await page.locator('html').getAttribute('lang')) === 'zh-CN', '<html lang> is zh-CN')
  expect((await page.title()).includes('开办'), 'the title names the platform')
  // A CJK font is there: the heading is wider than boxes of a missing glyph would make it tall.
  const box = await page.getByRole('heading', { level: 1 }).boundingBox()
  expect(box && box.width > 60, 'the Chinese heading renders')
  await shot(page, 'login-zh')
})

check('empty login shows the errors next to the fields', async (page) => {
  await page.goto(`${base}/login`)
  await page.getByRole('button', { name: '登录' }).click()
  const errors = page.locator('.el-form-item__error')
  await errors.first().waitFor()
  const all = await errors.allTextContents()
  expect(all.map((s) => s.trim()).join('|') === '请填写账号|请填写密码', `field errors: ${all.join('|')}`)
  await shot(page, 'login-field-errors')
})

check('login by keyboard alone, and a refusal said in words', async (page) => {
  await page.goto(`${base}/login`)
  // The account field has the focus on arrival; Tab moves to the password.
  await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'username')
  await page.keyboard.type('e2e-nobody')
  await page.keyboard.press('Tab')
  expect(
    await page.evaluate(() => document.activeElement?.getAttribute('name') === 'password'),
    'Tab moves from the account to the password',
  )
  await page.keyboard.type('not-the-password')
  await page.keyboard.press('Enter')
  // Either the identity API's refusal, or (without it) the problem the API answered.
  const said = page.locator('[role="alert"]').filter({ hasText: /不正确|不存在|不可用|失败/ })
  await said.first().waitFor({ timeout: 10_000 })
  await page.waitForTimeout(400) // the message's entrance transition
  await shot(page, 'login-refused')
})

check('language switches to English and is remembered', async (page) => {
  await page.goto(`${base}/login`)
  // By keyboard: focus the switch, open it, choose.
  await page.getByRole('combobox', { name: '语言' }).focus()
  await page.keyboard.press('Enter')
  await page.getByRole('option', { name: 'English' }).click()
  await page.getByRole('heading', { name: 'Sign in' }).waitFor()
  expect((await page.locator('html').getAttribute('lang')) === 'en', '<html lang> is en')
  await page.reload()
  await page.getByRole('heading', { name: 'Sign in' }).waitFor()
  await shot(page, 'login-en')
})

check('public verification page without signing in', async (page) => {
  await page.goto(`${base}/verify`)
  await page.getByRole('heading', { name: '公开核验' }).waitFor()
  expect(page.url().endsWith('/verify'), 'no redirect to the login page')
  await shot(page, 'verify')
})

check('unknown page needs a session first', async (page) => {
  await page.goto(`${base}/no/such/page`)
  await page.waitForURL(/\/login\?redirect=%2Fno%2Fsuch%2Fpage|\/login\?redirect=\/no\/such\/page/)
})

// --- runner -------------------------------------------------------------

await mkdir(artifacts, { recursive: true })
// launch() runs Chromium on a new, empty profile of its own (the fresh
// --user-data-dir), and each check gets a new context: no cookie, storage
// or language left over from the one before.
const browser = await chromium.launch({ executablePath, args, headless: true })

let passed = 0
let failed = 0
for (const { name, fn } of checks) {
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
console.log(`e2e: ${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
