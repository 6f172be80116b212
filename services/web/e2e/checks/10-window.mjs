// The front desk (综合受理, 7.6.1 and A.5 a): a window clerk opens the
// enterprise's digital locker (an ID number with a wrong check character is
// refused next to its field first), an officer approves the opening, the
// locker page follows it to active, and the clerk fills the one
// establishment form — again a bad ID number shown at its field before
// anything is sent — and accepts it; the receipt and the list of
// applications follow. Leaves state.locker {id, password},
// state.applicationId and state.processId for the workbench, locker and
// supervision checks.
import { account, apiSignIn, base, check, expect, shot, signIn, state, text } from '../lib.mjs'
import { approveLocker, residentId, tradeName, wrongCheck } from '../flow.mjs'

/** fieldError is the error shown under the (innermost) form item holding the input named name. */
function fieldError(page, name) {
  return page
    .locator(`[name="${name}"]`)
    .locator('xpath=ancestor::div[contains(concat(" ", @class, " "), " el-form-item ")][1]')
    // Not an old message still leaving (its transition) while the new one shows.
    .locator('> .el-form-item__content > .el-form-item__error:not([class*="-leave"])')
}

check(
  'window: a clerk opens a locker and accepts an establishment, field errors first',
  async (page) => {
    const clerk = await account({ roles: ['clerk'], department: 'operator' })
    const { api } = await apiSignIn(clerk.login, clerk.password)
    await signIn(page, clerk.login, clerk.password)
    await page.waitForURL((u) => !u.pathname.startsWith('/login'))

    // --- the locker (A.5 a) ---
    const name = `济南市${tradeName()}信息技术有限公司`
    const rep = residentId('19880512')
    const password = `Locker-${Date.now().toString(36)}-e2e`
    await page.goto(`${base}/window/lockers/new`)
    await page.getByRole('heading', { name: '数字保险箱开户' }).waitFor()
    await page.locator('[name="enterpriseName"]').fill(name)
    await page.locator('[name="repName"]').fill('王五')
    await page.locator('[name="repId"]').fill(wrongCheck(rep))
    await page.locator('[name="repId"]').press('Tab')
    const repError = fieldError(page, 'repId')
    await repError.waitFor()
    expect((await text(repError)).includes(`校验位错误（按 GB 11643-1999 应为 ${rep[17]}）`), `ID error says the right check character: ${await text(repError)}`)
    await shot(page, 'window-locker-field-error')

    await page.locator('[name="repId"]').fill(rep)
    await page.locator('[name="unlockPassword"]').fill(password)
    await page.locator('[name="confirmPassword"]').fill(password)
    await page.locator('[name="confirmPassword"]').press('Tab')
    await repError.waitFor({ state: 'detached' })
    await page.getByRole('button', { name: '提交开户' }).click()
    await page.waitForURL(/\/window\/lockers\/[0-9a-f]{32}$/)
    const lockerId = await text(page.getByTestId('locker-id'))
    expect(/^[0-9a-f]{32}$/.test(lockerId), `locker ID ${lockerId}`)
    const status = page.getByTestId('locker-status')
    await page.locator('[data-status="pending"]').waitFor({ timeout: 60_000 })
    expect((await text(status)) === '已上链，等待审核', 'pending on chain, waiting for review')
    expect((await page.locator('.facts').textContent()).includes('*'), 'the legal representative is shown masked')
    await shot(page, 'window-locker-pending')

    // A.5 b: an officer approves; the page follows the chain to active.
    await approveLocker(lockerId, api)
    await page.locator('[data-status="active"]').waitFor({ timeout: 30_000 })
    await shot(page, 'window-locker-active')
    state.locker = { id: lockerId, password }

    // --- the establishment form (7.6.1) ---
    await page.getByRole('link', { name: '以此保险箱填写开办申请' }).click()
    await page.waitForURL(/\/window\/establish\?applicant=/)
    await page.getByTestId('applicant-locker').waitFor()
    expect((await page.locator('[name="name"]').inputValue()) === name, 'the locker fills the enterprise name')
    await page.locator('[data-testid="materials"] .el-table__row').first().waitFor()

    const holder = residentId('19900307')
    await page.locator('[name="registeredCapital"]').fill('1000000.00')
    await page.locator('[name="division"]').fill('370102')
    await page.locator('[name="addressDetail"]').fill('历下区经十路 100 号')
    await page.locator('[name="businessScope"]').fill('软件开发；信息技术咨询服务')
    await page.locator('[name="repName"]').fill('王五')
    await page.locator('[name="repId"]').fill(wrongCheck(rep))
    await page.locator('[name="repPhone"]').fill('13800000000')
    await page.locator('[name="holderName0"]').fill('赵六')
    await page.locator('[name="holderId0"]').fill('37010219900307')
    await page.locator('[name="holderContribution0"]').fill('600000')
    await page.locator('[name="holderContribution0"]').press('Tab')
    // Nothing reaches the server while fields are wrong: the submit shows every error.
    let posted = 0
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/v1/applications')) posted++
    })
    await page.getByRole('button', { name: '受理', exact: true }).click()
    await fieldError(page, 'repId').waitFor()
    expect((await text(fieldError(page, 'repId'))).includes('校验位错误'), 'legal representative: check character')
    expect((await text(fieldError(page, 'holderId0'))).includes('18 位'), 'shareholder: length')
    const holders = page.locator('.holders > .el-form-item__content > .el-form-item__error:not([class*="-leave"])')
    expect((await text(holders)).includes('与注册资本不一致'), 'contributions do not add up')
    expect(posted === 0, 'no application sent with errors')
    await shot(page, 'window-establish-field-errors')

    await page.locator('[name="repId"]').fill(rep)
    await page.locator('[name="holderId0"]').fill(holder)
    await page.locator('[name="holderContribution0"]').fill('1000000.00')
    await page.locator('[name="holderContribution0"]').press('Tab')
    await fieldError(page, 'repId').waitFor({ state: 'detached' })
    await shot(page, 'window-establish')
    await page.getByRole('button', { name: '受理', exact: true }).click()

    // --- the receipt ---
    await page.waitForURL(/\/window\/applications\/[A-Za-z0-9]/, { timeout: 30_000 })
    const appId = await text(page.getByTestId('application-id'))
    expect(appId.length > 0 && page.url().endsWith(appId), `application ID ${appId}`)
    expect((await page.locator('.receipt').textContent()).includes(name), 'the receipt names the enterprise')
    const steps = page.locator('[data-testid="steps"] .el-table__row')
    expect((await steps.count()) === 7, `seven steps: ${await steps.count()}`)
    expect((await text(steps.first())).includes('市场监管（营业执照）'), 'the licence first')
    await shot(page, 'window-receipt')
    state.applicationId = appId
    state.processId = appId

    // --- the list ---
    await page.getByRole('link', { name: '受理记录' }).click()
    await page.waitForURL(/\/window\/applications$/)
    const row = page.locator('[data-testid="applications"] .el-table__row', { hasText: name })
    await row.waitFor()
    await shot(page, 'window-applications')

    // The server agrees: the application is there with its locker as applicant.
    const app = await api.get(`/api/v1/applications/${appId}`)
    expect(app.applicant === lockerId && app.name === name, 'application stored for the locker')
  },
  { needsApi: true },
)
