// Supervision (7.6.6, 7.4.3 f and g): a supervisor follows the whole
// timeline of the establishment (every step against its limit, drawn and
// tabled), records an intervention with a reason on chain, and opens the
// monitoring dashboards, which have data; a regulator sees the assets and
// transactions of its remit and inspects one with a reason. Uses
// state.processId (10-window.mjs, decided by 20-workbench.mjs), or starts
// an establishment through the REST API itself.
import { account, apiSignIn, check, expect, shot, signIn, state, text } from '../lib.mjs'
import { establish, poll } from '../flow.mjs'

async function processId() {
  if (!state.processId) Object.assign(state, await establish())
  return state.processId
}

check(
  'supervision: a supervisor sees the whole timeline, intervenes, and the dashboards have data',
  async (page) => {
    const id = await processId()
    const sup = await account({ roles: ['supervisor'] })
    const { api } = await apiSignIn(sup.login, sup.password)
    // The whole timeline: wait (the market step may wait for a person in
    // another run) until every step is decided.
    await poll(`every step of ${id} decided`, async () => (await api.get(`/api/v1/supervision/processes/${id}`)).steps.every((s) => s.status !== 'pending'), 180_000, 1000)

    await signIn(page, sup.login, sup.password)
    await page.waitForURL((u) => !u.pathname.startsWith('/login'))
    await page.getByRole('link', { name: '办件监管', exact: true }).first().click()
    await page.getByRole('heading', { name: '办件监管' }).waitFor()
    await page.locator(`a[href="/supervision/processes/${id}"]`).first().waitFor()
    await shot(page, 'supervision-processes')

    await page.locator(`a[href="/supervision/processes/${id}"]`).first().click()
    await page.getByRole('heading', { name: '办件时间线' }).waitFor()
    const rows = page.locator('.steps .el-table__row')
    await rows.nth(6).waitFor()
    expect((await rows.count()) === 7, `seven steps: ${await rows.count()}`)
    expect((await text(rows.first())).includes('licence'), 'the licence first')
    for (let i = 0; i < 7; i++) expect((await text(rows.nth(i))).includes('已通过'), `step ${i + 1} approved`)
    // The chart drew a bar per step (SVG paths inside the Gantt).
    const bars = await page.locator('.gantt svg path').count()
    expect(bars >= 7, `the Gantt chart drew its bars (${bars} paths)`)
    await shot(page, 'supervision-timeline')

    // An intervention, recorded on chain with its reason.
    await rows.first().getByRole('button', { name: '干预' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.locator('textarea[name="reason"]').fill('e2e：督办复核营业执照环节')
    await dialog.getByRole('button', { name: '提交干预' }).click()
    await dialog.waitFor({ state: 'hidden' })
    await poll(
      'the intervention on chain',
      async () => {
        await page.getByRole('button', { name: '刷新' }).click()
        await page.waitForLoadState('networkidle')
        return (await page.getByText('e2e：督办复核营业执照环节').count()) > 0
      },
      60_000,
      2000,
    )
    await shot(page, 'supervision-intervention')

    // The dashboards (7.4.3 f) with data.
    await page.getByRole('link', { name: '监测看板', exact: true }).first().click()
    await page.getByRole('heading', { name: '监测看板' }).waitFor()
    const tx = page.locator('figure.chart-panel').first()
    await tx.locator('svg').first().waitFor({ timeout: 30_000 })
    const figures = (await tx.locator('tbody td').allTextContents()).map(Number)
    expect(figures.some((n) => n > 0), 'transactions in the last 24 hours')
    const accounts = page.locator('figure.chart-panel').nth(1)
    expect((await accounts.locator('tbody tr').count()) > 0, 'accounts by kind')
    const totals = page.locator('figure.chart-panel').nth(3)
    expect((await totals.locator('tbody').textContent()).includes('business-licence'), 'asset totals include the licences')
    // Node status: scripts/e2e.sh runs the devnet without its operations
    // endpoint, so no node is monitored and the page says so.
    const nodes = page.getByRole('region', { name: '节点状态' })
    await nodes.getByText(/正常|异常|未配置监测节点/).first().waitFor()
    if (await nodes.locator('.el-table__row').count()) expect((await text(nodes.locator('.el-table__row').first())).includes('正常'), 'the devnet node is up')
    await shot(page, 'supervision-dashboard')
  },
  { needsApi: true },
)

check(
  'supervision: a regulator sees the assets and transactions of its remit and inspects one',
  async (page) => {
    await processId()
    // The system administrator sets the remit (regulator.remits:write).
    const { api: sys } = await apiSignIn(process.env.E2E_SYS_LOGIN, process.env.E2E_SYS_PASSWORD)
    await sys.put('/api/v1/regulators/OperatorMSP/remit', { departments: ['MarketMSP'], assetTypes: ['business-licence'] })

    const reg = await account({ roles: ['regulator'] })
    const { api } = await apiSignIn(reg.login, reg.password)
    await poll('a licence in the remit', async () => (await api.get('/api/v1/regulators/OperatorMSP/assets')).items.length > 0, 120_000, 1000)

    await signIn(page, reg.login, reg.password)
    await page.waitForURL((u) => !u.pathname.startsWith('/login'))
    await page.getByRole('link', { name: '监管服务', exact: true }).first().click()
    await page.getByRole('heading', { name: '监管服务' }).waitFor()
    // The regulators with a remit are offered; the only one is chosen.
    await page.locator('[data-test="remit"]', { hasText: 'business-licence' }).waitFor()
    expect((await page.locator('.member').textContent()).includes('OperatorMSP'), 'acting for OperatorMSP')
    const asset = page.locator('.el-table__row', { hasText: 'business-licence' }).first()
    await asset.waitFor()
    await shot(page, 'supervision-regulator')

    await asset.getByRole('button', { name: '查阅' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.locator('input[name="reason"]').fill('e2e：年度证照抽查')
    await dialog.getByRole('button', { name: '查阅' }).click()
    await dialog.locator('pre.record').waitFor()
    expect((await dialog.locator('pre.record').textContent()).includes('business-licence'), 'the record of the licence')
    await shot(page, 'supervision-regulator-inspection')
    await page.keyboard.press('Escape')

    await page.getByRole('tab', { name: '链上交易' }).click()
    await page.locator('.el-tab-pane .el-table__row').last().waitFor()
    await shot(page, 'supervision-regulator-transactions')
  },
  { needsApi: true },
)
