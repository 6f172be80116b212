// The department workbench (部门工作台, 7.7): a market officer finds the
// application's licence task in the queue, reads a granted material with the
// department key and a reason, issues the business licence into the
// applicant's locker and approves the step with it; the six other
// departments' simulators then finish theirs (scripts/e2e.sh runs kaiban dev
// with KAIBAN_DEPARTMENTS_MANUAL=market, so only the licence waits for a
// person). Uses state.processId from 10-window.mjs, or accepts an
// application through the REST API itself.
import { account, apiSignIn, base, check, departmentKeyPassword, expect, shot, signIn, state, text } from '../lib.mjs'
import { approveLocker, decideLicence, establish, establishmentForm, poll, residentId, tradeName } from '../flow.mjs'

const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64')

/**
 * withMaterial accepts an application whose articles of association are in
 * the applicant's locker and granted to the market department, all through
 * the REST API as the applicant and the window would: a self-upload into
 * the locker, the market department's review that makes it trusted, the
 * acceptance that pulls it (7.1 c) and the applicant's grant of the access
 * the acceptance requested. It returns the process ID.
 */
async function withMaterial(key) {
  const c = await account({ roles: ['clerk'], department: 'operator' })
  const { api: clerk } = await apiSignIn(c.login, c.password)
  const name = `济南市${tradeName('章程')}信息技术有限公司`
  const locker = { password: `Locker-e2e-${Date.now().toString(36)}` }
  locker.id = (
    await clerk.post('/api/v1/lockers', {
      kind: 'enterprise', enterprise: { name }, legalRepresentative: { name: '张三', idNumber: residentId() }, clerkId: c.login, password: locker.password,
    })
  ).id
  await poll(`locker ${locker.id} on chain`, async () => (await clerk.get(`/api/v1/lockers/${locker.id}`)).status === 'pending')
  await approveLocker(locker.id, clerk)
  const o = await account({ roles: ['officer'], department: 'market' })
  const { api: officer } = await apiSignIn(o.login, o.password)
  const a = await account({ roles: ['applicant'] })
  const { api: applicant } = await apiSignIn(a.login, a.password)
  await applicant.post(`/api/v1/lockers/${locker.id}/holders`, { password: locker.password })
  const up = await applicant.post(`/api/v1/lockers/${locker.id}/uploads`, {
    password: locker.password, type: 'articles-of-association', businessKey: `aoa-${Date.now()}`,
    content: b64({ title: '公司章程', legalRepresentative: { name: '张三' }, registeredCapital: '1000000.00', adoptedOn: '2026-11-01' }),
  })
  const asset = async () => (await applicant.get(`/api/v1/lockers/${locker.id}/assets?type=articles-of-association`)).items.find((a) => a.id === up.assetId)
  await poll('the upload on chain, pending review', async () => (await asset())?.status === 'pending-review', 60_000)
  await officer.post(`/api/v1/locker-assets/${up.assetId}/review`, { member: 'MarketMSP', password: key, approve: true, note: 'e2e：材料真实有效' })
  await poll('the upload trusted', async () => (await asset())?.status === 'available', 60_000)
  const app = await clerk.post('/api/v1/applications', establishmentForm(locker.id, name))
  await applicant.post(`/api/v1/locker-assets/${up.assetId}/grants`, {
    grantor: locker.id, password: locker.password, grantee: 'MarketMSP', granteeMember: true,
    purpose: '企业开办：营业执照审核', expiresAt: new Date(Date.now() + 7 * 86400_000).toISOString(),
  })
  await poll(
    'the licence task with its granted material',
    async () => (await officer.get(`/api/v1/tasks/${app.id}/licence`)).materials.some((m) => m.asset === up.assetId && m.granted),
    90_000,
    1000,
  )
  return app.id
}

check(
  'workbench: a market officer reads, issues the licence and approves; the other six departments finish',
  async (page) => {
    const key = departmentKeyPassword('market')
    if (!state.processId) Object.assign(state, await establish())
    const processId = state.processId

    const officer = await account({ roles: ['officer'], department: 'market' })
    await signIn(page, officer.login, officer.password)
    await page.waitForURL((u) => !u.pathname.startsWith('/login'))
    // The menu offers the workbench to an officer.
    await page.getByRole('link', { name: '待办任务', exact: true }).first().click()
    await page.getByRole('heading', { name: '待办任务' }).waitFor()
    // The process reaches the queue once its start is on chain and projected.
    const link = page.locator(`a[href="/workbench/tasks/${processId}/licence"]`).first()
    await poll(
      `the licence task of ${processId} in the queue`,
      async () => {
        if (await link.count()) return true
        await page.getByRole('button', { name: '刷新' }).click()
        await page.waitForLoadState('networkidle')
        return (await link.count()) > 0
      },
      60_000,
      1000,
    )
    await shot(page, 'workbench-queue')

    await link.click()
    await page.waitForURL(new RegExp(`/workbench/tasks/${processId}/licence$`))
    await page.getByRole('heading', { name: /· licence$/ }).waitFor()
    expect((await text(page.locator('[data-test="task-status"]'))) === '待办', 'the task is pending')
    await page.locator('input[name="department-key"]').fill(key)

    // A material granted to the market department, read with the
    // department key and a reason (recorded on chain). When the window's
    // application carries none, a second application is prepared with one
    // through the API, its material read here and its licence decided
    // through the API.
    const readOne = async () => {
      await page.getByRole('button', { name: '查阅', exact: true }).first().click()
      const dialog = page.getByRole('dialog', { name: '查阅材料' })
      await dialog.locator('input[name="read-department-key"]').fill(key)
      await dialog.locator('input[name="reason"]').fill('e2e：审核企业开办申请材料')
      await dialog.getByRole('button', { name: '查阅' }).click()
      await dialog.waitFor({ state: 'hidden' })
      await page.locator('.content').first().waitFor()
      await shot(page, 'workbench-material')
    }
    if (await page.getByRole('button', { name: '查阅', exact: true }).count()) {
      await readOne()
    } else {
      const other = await withMaterial(key)
      await page.goto(`${base}/workbench/tasks/${other}/licence`)
      await page.getByRole('heading', { name: /· licence$/ }).waitFor()
      await page.getByRole('button', { name: '查阅', exact: true }).first().waitFor()
      await readOne()
      expect((await page.locator('.content').first().textContent()).includes('公司章程'), 'the articles of association are shown')
      await decideLicence(other)
      await page.goto(`${base}/workbench/tasks/${processId}/licence`)
      await page.getByRole('heading', { name: /· licence$/ }).waitFor()
      await page.locator('input[name="department-key"]').fill(key)
    }

    // The licence, filled from the application, signed and issued.
    const rep = page.locator('input[name="legalRepresentative"]')
    if (!(await rep.inputValue())) await rep.fill('张三')
    expect((await page.locator('input[name="name"]').inputValue()).length > 0, 'the licence name is filled from the application')
    await page.getByRole('button', { name: '签发并存入申请人保险箱' }).click()
    const issued = page.locator('.issued .el-table__row').first()
    await issued.waitFor({ timeout: 60_000 })
    const asset = (await text(issued.locator('code').first())).trim()
    expect(/^[0-9a-f]{16,}/.test(asset), `issued licence asset ${asset}`)
    expect(await page.locator('.el-checkbox.is-checked').count(), 'the licence is ticked as the decision output')
    await shot(page, 'workbench-task')

    await page.locator('textarea[name="opinion"]').fill('材料齐全，符合法定形式，准予登记（e2e）')
    await page.getByRole('button', { name: '提交审批' }).click()
    await page.getByText('审批已签名并提交上链').waitFor({ timeout: 30_000 })
    // The page follows the decision until the chain's event is projected.
    await page.locator('[data-test="task-status"]', { hasText: '已通过' }).waitFor({ timeout: 60_000 })
    await shot(page, 'workbench-approved')

    // The six other departments' simulators finish their steps.
    const sup = await account({ roles: ['supervisor'] })
    const { api } = await apiSignIn(sup.login, sup.password)
    const tl = await poll(
      `every step of ${processId} approved`,
      async () => {
        const t = await api.get(`/api/v1/supervision/processes/${processId}`)
        return t.steps.every((s) => s.status === 'approved') ? t : null
      },
      120_000,
      1000,
    )
    const licence = tl.steps.find((s) => s.key === 'licence')
    expect(licence.opinion?.includes('e2e'), `the licence step carries the officer's opinion: ${licence.opinion}`)
    state.licenceAsset = asset
  },
  { needsApi: true },
)
