// End-to-end tests of the portal in a real headless Chromium (Debian's,
// driven by playwright-core; nothing is downloaded). scripts/e2e.sh starts
// the server and calls this with BASE_URL; each check saves a screenshot
// into ARTIFACTS (default artifacts/e2e). Every request the page makes must
// stay on BASE_URL's origin (no CDN, no fonts from elsewhere), and an
// uncaught error in the page fails the check it happened in.
//
// Adding a view: one `check('name', async (page) => { ... })` that opens it,
// asserts what a person would see, and calls shot(page, 'name').
import { mkdir, readdir, rm } from 'node:fs/promises'
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

// Accounts scripts/e2e.sh created with `kaiban admin create` (none against
// the static stand-in): a security administrator for the signed-in checks
// and an audit administrator to lock out.
const admin = process.env.E2E_LOGIN ? { login: process.env.E2E_LOGIN, password: process.env.E2E_PASSWORD } : null
const victim = process.env.E2E_LOCK_LOGIN ? { login: process.env.E2E_LOCK_LOGIN } : null
// The password the first sign-in sets (policy: 12+ characters, three classes).
const newPassword = 'Kaiban-e2e-' + Date.now().toString(36) + '!Q'

const checks = []
function check(name, fn, { needsApi = false } = {}) {
  checks.push({ name, fn, needsApi })
}

async function signIn(page, login, password) {
  await page.goto(`${base}/login`)
  await page.locator('input[name="username"]').fill(login)
  await page.locator('input[name="password"]').fill(password)
  await page.getByRole('button', { name: '登录' }).click()
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

check(
  'first sign-in must change the password',
  async (page) => {
    await signIn(page, admin.login, admin.password)
    await page.waitForURL(/\/password/)
    await page.getByRole('heading', { name: '修改密码' }).waitFor()
    await shot(page, 'password-change')
    await page.getByLabel('当前密码').fill(admin.password)
    await page.getByLabel('新密码', { exact: true }).fill(newPassword)
    await page.getByLabel('确认新密码').fill(newPassword)
    await page.getByRole('button', { name: '保存' }).click()
    await page.waitForURL((u) => u.pathname === '/')
    await page.getByRole('heading', { name: /欢迎/ }).waitFor()
  },
  { needsApi: true },
)

check(
  'signed-in frame: menu, keyboard skip link, sign out',
  async (page) => {
    await signIn(page, admin.login, newPassword)
    await page.waitForURL((u) => u.pathname === '/')
    const welcome = await text(page.getByRole('heading', { level: 1 }))
    expect(welcome.includes(admin.login), `the welcome names the user: ${welcome}`)
    await page.getByRole('navigation', { name: '主菜单' }).getByText('首页').waitFor()
    await shot(page, 'home')
    // The first Tab of a page reaches the skip link, which leads to the page.
    await page.locator('body').focus()
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.classList.contains('skip-link')), 'Tab reaches the skip link first')
    await page.keyboard.press('Enter')
    expect(await page.evaluate(() => document.activeElement?.id === 'main'), 'the skip link moves focus to the page')
    // The menu is reachable by Tab, and Enter opens its entry.
    let onMenu = false
    for (let i = 0; i < 10 && !onMenu; i++) {
      await page.keyboard.press('Tab')
      onMenu = await page.evaluate(() => !!document.activeElement?.closest('nav[aria-label="主菜单"]'))
    }
    expect(onMenu, 'Tab reaches the menu')
    await page.keyboard.press('Enter')
    await page.waitForURL((u) => u.pathname === '/')
    await page.getByRole('button', { name: '用户菜单' }).click()
    await page.getByRole('menuitem', { name: '退出登录' }).click()
    await page.waitForURL(/\/login/)
    // The session is gone on the server too: a page needing one goes to the login.
    await page.goto(`${base}/`)
    await page.waitForURL(/\/login\?redirect=/)
  },
  { needsApi: true },
)

check(
  'repeated wrong passwords lock the account',
  async (page) => {
    await page.goto(`${base}/login`)
    const alert = page.locator('.notice[role="alert"]')
    for (let i = 1; i <= 6; i++) {
      await page.locator('input[name="username"]').fill(victim.login)
      await page.locator('input[name="password"]').fill(`wrong-password-${i}`)
      await page.getByRole('button', { name: '登录' }).click()
      await alert.filter({ hasText: i < 6 ? '不正确' : '锁定' }).waitFor({ timeout: 10_000 })
      if (i < 6) await page.waitForFunction(() => !document.querySelector('button[type="submit"].is-loading'))
    }
    // With the API's Retry-After the message also says how many minutes
    // (unit-tested); the identity API does not send one for a lock yet.
    const said = await text(alert)
    expect(said.includes('临时锁定'), `the lock is said: ${said}`)
    await shot(page, 'login-locked')
  },
  { needsApi: true },
)

// --- runner -------------------------------------------------------------

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
  if (needsApi && !(admin && victim)) {
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
