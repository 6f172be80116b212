// Administration: the item list and the process-definition editor (7.6.3,
// 7.5 c/d), the onboarding of an integrator (A.3: apply, review, a key
// issued once, revoked), positions (7.6.4), the audit log and its
// verification (8.2 d), and the three administrators each seeing only
// their own pages. Each check makes its own accounts (account()), so
// E2E_ONLY on one works.
import { account, apiSignIn, base, check, expect, shot, signIn, state, text } from '../lib.mjs'

const stamp = Date.now().toString(36)

async function sysadmin() {
  state.sysadmin ??= await account({ roles: ['sysadmin'] })
  return state.sysadmin
}
async function secadmin() {
  state.secadmin ??= await account({ roles: ['secadmin'] })
  return state.secadmin
}

/** signInAs ends whoever is signed in on page and signs user in. */
async function signInAs(page, user) {
  await page.context().clearCookies()
  await signIn(page, user.login, user.password)
  await page.waitForURL((u) => u.pathname === '/')
}

/** menu returns the texts of the main menu. */
async function menu(page) {
  const nav = page.getByRole('navigation', { name: '主菜单' })
  await nav.getByText('首页').waitFor()
  return (await nav.innerText()).split('\n').map((s) => s.trim()).filter(Boolean)
}

// The dropdown of the select whose input is selector (Element Plus names it
// in aria-controls). Looking only there, an option of the select chosen just
// before, whose dropdown is still fading out, is never the one clicked.
async function listOf(page, selector) {
  const id = await field(page, selector).getAttribute('aria-controls')
  return page.locator(`[id="${id}"]`)
}

/** selectOf is the Element Plus select around the input selector. */
function selectOf(page, selector) {
  return field(page, selector).locator(`xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' el-select ')][1]`)
}

/**
 * tag adds name to the tag select with id, as a person types and confirms it.
 * The input is focused directly, never clicked at its coordinates, and the
 * mouse is parked away from every dropdown: in full CI runs a click there
 * landed on the dropdown of the select above (still closing, or under a form
 * that had just shifted), and an option under a resting mouse pointer is
 * the one Enter chooses in Element Plus.
 */
async function tag(page, selector, name) {
  await page.mouse.move(0, 0)
  const input = page.locator(selector)
  await input.focus()
  await page.waitForFunction((sel) => document.activeElement === document.querySelector(sel), selector, { timeout: 5_000 })
  await page.keyboard.type(name)
  // The keys went where they were meant to, or nothing is confirmed.
  const typed = await input.inputValue()
  expect(typed === name, `typed into ${selector}: ${JSON.stringify(typed)}, want ${JSON.stringify(name)}`)
  await (await listOf(page, selector)).locator('.el-select-dropdown__item', { hasText: name }).first().waitFor()
  await page.keyboard.press('Enter')
  await selectOf(page, selector).getByText(name, { exact: true }).first().waitFor()
  await page.keyboard.press('Escape')
  await (await listOf(page, selector)).waitFor({ state: 'hidden' })
}

/** field is the input selector names, or selector itself when it is a locator. */
function field(page, selector) {
  return typeof selector === 'string' ? page.locator(selector) : selector
}

/** choose picks the option whose label contains label in the select whose input is selector. */
async function choose(page, selector, label) {
  await field(page, selector).click()
  const list = await listOf(page, selector)
  const option = list.locator('.el-select-dropdown__item', { hasText: label }).first()
  await option.waitFor()
  // A click event on the option itself: a click at its coordinates landed on
  // another option while the dropdown was still placing itself (CI, twice).
  await option.dispatchEvent('click')
  await expectAttr(field(page, selector), 'aria-expanded', 'false')
  // Until its dropdown is gone it still lies over the fields below.
  await list.waitFor({ state: 'hidden' })
  await shows(page, selector, label)
}

/** expectAttr waits until the element has attribute name with value. */
async function expectAttr(locator, name, value) {
  await locator.and(locator.page().locator(`[${name}="${value}"]`)).waitFor({ state: 'attached' })
}

/** shows waits until the select with id shows label as its choice. */
async function shows(page, selector, label) {
  await selectOf(page, selector).getByText(label).first().waitFor({ timeout: 5_000 })
}

check(
  'an administrator adds an item and defines its process with parallel steps in the graph editor',
  async (page) => {
    const sys = await sysadmin()
    await signInAs(page, sys)
    await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '事项清单' }).click()
    await page.getByRole('heading', { name: '事项清单' }).waitFor()
    await page.locator('.el-table__row', { hasText: 'establishment' }).waitFor()

    // A new item through the item list (PUT /api/v1/items/{code}).
    const code = `e2e-item-${stamp}`
    await page.getByRole('button', { name: '新增事项' }).click()
    const dialog = page.getByRole('dialog', { name: '新增事项' })
    await dialog.locator('input[name="code"]').fill(code)
    await dialog.locator('input[name="name"]').fill('测试事项（端到端）')
    await choose(page, dialog.getByRole('combobox', { name: '实施主体' }), '（market）')
    await dialog.locator('textarea[name="legalBasis"]').fill('《优化营商环境条例》')
    await dialog.getByRole('button', { name: '保存' }).click()
    const row = page.locator('.el-table__row', { hasText: code })
    await row.waitFor()
    expect((await text(row)).includes('未定义'), 'the new item has no process yet')
    await shot(page, 'process-items')

    // Its process: one licence step, then two steps in parallel.
    await row.getByRole('link', { name: '流程定义' }).click()
    await page.waitForURL(new RegExp(`/process/items/${code}$`))
    await page.getByText('该事项尚无流程定义').first().waitFor()
    await page.getByRole('button', { name: '新建流程定义' }).click()
    const editor = page.getByRole('heading', { name: '编辑新版本' })
    await editor.waitFor()

    // Step 1 by keyboard and form: key, department, time limit.
    await page.getByRole('button', { name: '添加步骤' }).click()
    await page.locator('#step-0-key').fill('permit')
    await choose(page, '#step-0-department', '（market）')
    await page.locator('#step-0-limit').fill('8')
    await page.locator('#step-0-limit').press('Tab')
    await tag(page, '#step-0-outputs', 'business-licence')
    // Steps 2 and 3 are added after the selected one, so both depend on permit: parallel.
    await page.getByRole('button', { name: '添加步骤' }).click()
    await page.locator('#step-1-key').fill('seal-a')
    await choose(page, '#step-1-department', '（seal）')
    await tag(page, '#step-1-inputs', 'business-licence')
    await page.locator('[data-key="permit"]').click()
    await page.getByRole('button', { name: '添加步骤' }).click()
    await page.locator('#step-2-key').fill('tax-a')
    await choose(page, '#step-2-department', '（tax）')
    await tag(page, '#step-2-pushed', 'enterprise-basics')
    await shows(page, '#step-2-department', '（tax）')
    await page.getByText('校验通过，可以保存').waitFor()

    // An edge drawn by mouse from tax-a back to permit makes a cycle: shown, and saving refused.
    const handle = page.locator('[data-key="tax-a"] circle.handle')
    await handle.dragTo(page.locator('[data-key="permit"] rect'))
    await page.getByText(/位于循环中/).first().waitFor()
    expect(await page.getByRole('button', { name: '保存为新版本' }).isDisabled(), 'a cycle cannot be saved')
    expect((await page.locator('.node.bad').count()) === 3, 'the three steps of the cycle are marked on the graph')
    await shot(page, 'process-editor-cycle')
    // Removed by keyboard: the edge is focusable, Delete removes it.
    await page.locator('[data-edge="tax-a>permit"]').focus()
    await page.keyboard.press('Delete')
    await page.getByText('校验通过，可以保存').waitFor()
    expect((await page.locator('[data-edge]').count()) === 2, 'two edges: permit → seal-a, permit → tax-a')
    await shot(page, 'process-editor')

    await page.getByRole('button', { name: '保存为新版本' }).click()
    await page.getByText('已保存为版本 v1').waitFor()
    await page.getByRole('heading', { name: /版本 v1/ }).waitFor()
    await page.locator('.version-table .el-table__row', { hasText: 'v1' }).waitFor()
    await shot(page, 'process-definition-v1')

    // What the API now serves as version 1 is what the editor drew.
    const { api } = await apiSignIn(sys.login, sys.password)
    const v = await api.get(`/api/v1/items/${code}/definitions/1`)
    const brief = v.steps.map((s) => `${s.key}:${s.department}:${(s.dependsOn ?? []).join('+')}:${s.limitSeconds}`)
    expect(
      brief.join(' ') === 'permit:market::28800 seal-a:seal:permit:14400 tax-a:tax:permit:14400',
      `the stored definition: ${brief.join(' ')}`,
    )
    expect(v.steps[0].outputs?.[0] === 'business-licence' && v.steps[1].inputs?.[0] === 'business-licence', 'outputs and inputs kept')
    expect(v.steps[2].pushed?.[0] === 'enterprise-basics' && v.issuance === 'unified', 'pushed information and unified issuance kept')
    const item = await api.get(`/api/v1/items/${code}`)
    expect(item.currentVersion === 1, `the item's current version: ${item.currentVersion}`)

    // Any stored version opens read-only: the seeded establishment's.
    await page.goto(`${base}/process/items/establishment`)
    await page.getByRole('button', { name: '查看版本 v1' }).click()
    await page.getByText('只读').waitFor()
    expect((await page.locator('[data-step]').count()) === 7, 'the establishment: seven steps')
    expect((await page.locator('circle.handle').count()) === 0, 'nothing to draw with in a read-only version')
    await shot(page, 'process-definition-readonly')
    state.itemCode = code
  },
  { needsApi: true },
)

check(
  'an integrator applies for API access, a security administrator approves, a key is shown once and revoked',
  async (page) => {
    const sys = await sysadmin()
    const sec = await secadmin()
    const name = `E2E 税务对接 ${stamp}`

    // The system administrator applies on the integrator's behalf.
    await signInAs(page, sys)
    await page.goto(`${base}/isv/clients`)
    await page.getByRole('heading', { name: '接入管理' }).waitFor()
    const production = await text(page.getByTestId('endpoint-production'))
    expect(production.endsWith('/api/v1'), `production endpoint shown: ${production}`)
    await page.getByTestId('endpoint-test').waitFor()
    expect((await page.getByRole('link', { name: 'OpenAPI 接口文档' }).getAttribute('href'))?.endsWith('/docs'), 'the OpenAPI docs are linked')
    await shot(page, 'isv-clients')
    await page.getByRole('button', { name: '接入申请' }).click()
    const form = page.getByRole('dialog', { name: '接入申请' })
    await form.locator('input[name="name"]').fill(name)
    await choose(page, form.getByRole('combobox', { name: '所属部门' }), '（tax）')
    await form.locator('input[name="vendor"]').fill('某某软件有限公司')
    await form.locator('textarea[name="purpose"]').fill('税务登记系统对接任务接口')
    await form.getByRole('button', { name: '提交' }).click()
    await page.getByTestId('client-status').filter({ hasText: '待审核' }).waitFor()
    expect(await page.getByText('等待安全管理员审核').first().isVisible(), 'the applicant cannot review')
    await shot(page, 'isv-applied')

    // The security administrator reviews it.
    await signInAs(page, sec)
    await page.goto(`${base}/isv/clients`)
    await page.getByRole('button', { name: `查看 ${name} 的详情` }).click()
    await page.getByRole('button', { name: '批准' }).click()
    await page.getByTestId('client-status').filter({ hasText: '已批准' }).waitFor()
    expect((await page.getByRole('button', { name: '发放' }).count()) === 0, 'the security administrator does not issue credentials')
    await shot(page, 'isv-approved')

    // The system administrator issues an HMAC-SM3 key: its secret is shown once.
    await signInAs(page, sys)
    await page.goto(`${base}/isv/clients`)
    await page.getByRole('button', { name: `查看 ${name} 的详情` }).click()
    await page.getByRole('button', { name: '发放', exact: true }).click()
    const keyId = await text(page.getByTestId('issued-key-id'))
    const secret = await text(page.getByTestId('issued-secret'))
    expect(/^kbk_[0-9a-f]{32}$/.test(keyId), `key ID ${keyId}`)
    expect(Buffer.from(secret, 'base64').length === 32, 'a 32-byte secret')
    await shot(page, 'isv-key-once')
    await page.getByRole('button', { name: '我已妥善保存' }).click()
    await page.locator('.el-drawer .el-table__row', { hasText: keyId }).filter({ hasText: '有效' }).waitFor()
    expect(!(await page.content()).includes(secret), 'the secret is not shown again')

    // The security administrator revokes it.
    await signInAs(page, sec)
    await page.goto(`${base}/isv/clients`)
    await page.getByRole('button', { name: `查看 ${name} 的详情` }).click()
    await page.getByRole('button', { name: `吊销凭证 ${keyId}` }).click()
    await page.getByRole('dialog', { name: '吊销凭证' }).getByRole('button', { name: /确定|OK/ }).click()
    await page.locator('.el-drawer .el-table__row', { hasText: keyId }).filter({ hasText: '已吊销' }).waitFor()
    await shot(page, 'isv-revoked')
    const { api } = await apiSignIn(sec.login, sec.password)
    const clients = await api.get('/api/v1/api-clients?status=approved')
    const c = clients.items.find((x) => x.name === name)
    expect(c && c.credentials.find((x) => x.id === keyId)?.revokedAt, 'the API has the credential revoked')
  },
  { needsApi: true },
)

check(
  'the audit administrator searches the audit log and verifies its chain',
  async (page) => {
    const auditor = await account({ roles: ['auditadmin'] })
    await signInAs(page, auditor)
    await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '审计日志' }).click()
    await page.getByRole('heading', { name: '审计日志' }).waitFor()
    await page.locator('.el-table__row').first().waitFor()
    await page.getByRole('button', { name: '校验审计链' }).click()
    const verdict = page.getByText(/审计链完整：\d+ 条记录均未被篡改/)
    await verdict.waitFor({ timeout: 30_000 })
    // kaiban dev has a chain: the ledger's latest anchor is compared too.
    await page.getByText('已与区块链上的最新锚点核对').waitFor()
    await shot(page, 'audit-verified')
    // Search: the sign-ins only.
    await page.getByRole('textbox', { name: '操作', exact: true }).fill('identity.login')
    await page.getByRole('button', { name: '查询' }).click()
    // The table is replaced when the filtered page arrives.
    let actions = []
    for (let i = 0; i < 50; i++) {
      actions = (await page.locator('.records-table .el-table__row td:nth-child(4)').allTextContents()).map((a) => a.trim())
      if (actions.length > 0 && actions.every((a) => a === 'identity.login')) break
      await page.waitForTimeout(200)
    }
    expect(actions.length > 0 && actions.every((a) => a === 'identity.login'), `filtered actions: ${[...new Set(actions)].join(',')}`)
    await page.getByRole('tab', { name: '链上锚点' }).click()
    await page.getByText('审计链的链头定期写入区块链').waitFor()
    await shot(page, 'audit-anchors')
  },
  { needsApi: true },
)

check(
  'the three administrators each see only their own pages; positions are managed under 系统管理',
  async (page) => {
    const sys = await sysadmin()
    const sec = await secadmin()
    const auditor = await account({ roles: ['auditadmin'] })
    const has = (m, all) => all.every((x) => m.includes(x))
    const lacks = (m, all) => all.every((x) => !m.includes(x))

    await signInAs(page, sys)
    let m = await menu(page)
    expect(has(m, ['流程配置', '事项清单', '系统接入', '接入管理', '系统管理', '人员管理', '岗位管理', '部门管理']), `system administrator's menu: ${m}`)
    expect(lacks(m, ['安全审计', '审计日志']), `no audit pages for the system administrator: ${m}`)
    // Positions: add one and delete it.
    await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '岗位管理' }).click()
    await page.getByRole('heading', { name: '岗位管理' }).waitFor()
    await page.getByRole('button', { name: '新增岗位' }).click()
    const dialog = page.getByRole('dialog', { name: '新增岗位' })
    await choose(page, dialog.getByRole('combobox', { name: '部门' }), '（market）')
    await dialog.locator('input[name="code"]').fill(`e2e-${stamp}`)
    await dialog.locator('input[name="name"]').fill('登记审核岗')
    await dialog.getByRole('button', { name: '保存' }).click()
    await page.locator('.el-table__row', { hasText: '登记审核岗' }).waitFor()
    await shot(page, 'positions')
    await page.getByRole('button', { name: '删除岗位 登记审核岗' }).click()
    await page.getByRole('dialog', { name: '删除' }).getByRole('button', { name: /确定|OK/ }).click()
    await page.locator('.el-table__row', { hasText: '登记审核岗' }).waitFor({ state: 'detached' })

    await signInAs(page, sec)
    m = await menu(page)
    expect(has(m, ['系统接入', '接入管理', '角色权限']), `security administrator's menu: ${m}`)
    expect(lacks(m, ['流程配置', '事项清单', '安全审计', '审计日志']), `security administrator sees no process or audit pages: ${m}`)
    await shot(page, 'menu-secadmin')
    await page.goto(`${base}/process/items`)
    await page.getByText('无权访问').waitFor()

    await signInAs(page, auditor)
    m = await menu(page)
    expect(has(m, ['安全审计', '审计日志']), `audit administrator's menu: ${m}`)
    expect(lacks(m, ['系统管理', '系统接入', '流程配置', '人员管理']), `audit administrator sees only the audit: ${m}`)
    await shot(page, 'menu-auditadmin')
    await page.goto(`${base}/isv/clients`)
    await page.getByText('无权访问').waitFor()
  },
  { needsApi: true },
)
