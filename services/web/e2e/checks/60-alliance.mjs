// Alliance administration (7.4.2 a, c, g; 7.4.3 e; 7.6.5): a system
// administrator governs the members on chain (changes a member's operation
// permissions and restores them, each with a reason, through the chain
// outbox), a contract
// version goes through the registry — registered by one administrator,
// refused a self-review, approved by another, deployed to the test channel
// and promoted to production — and the operations page shows the component
// versions and the configuration with its secrets masked. Screenshots of
// each main view.
//
// Under `kaiban dev` every devnet organisation is admitted at start, so no
// organisation is left to file a new admission application here; the
// application → review path runs against devnet in the Go REST test
// (TestAllianceHTTP_MembersNodesAssetTypes_Devnet).
import { account, base, check, expect, shot, signIn, state, text } from '../lib.mjs'

const stamp = Date.now().toString(36)

async function sysadmins() {
  state.allianceAdmins ??= [await account({ roles: ['sysadmin'] }), await account({ roles: ['sysadmin'] })]
  return state.allianceAdmins
}

async function signInAs(page, user) {
  await page.context().clearCookies()
  await signIn(page, user.login, user.password)
  await page.waitForURL((u) => u.pathname === '/')
}

/** until clicks refresh until the locator's text is want (the chain write lands in a block or two). */
async function until(page, locator, want) {
  const deadline = Date.now() + 60_000
  for (;;) {
    if ((await text(locator).catch(() => '')) === want) return
    if (Date.now() > deadline) throw new Error(`${want}: not after 60s (is ${await text(locator).catch(() => '?')})`)
    await page.waitForTimeout(1500)
    await page.getByRole('button', { name: '刷新' }).click()
  }
}

check(
  'a system administrator changes an alliance member’s operation permissions on chain',
  async (page) => {
    // Not a suspension: the simulated departments are still deciding
    // establishments, and a suspended department's chain writes are refused.
    // The departments hold no member permission, so granting one and taking
    // it back leaves them as they were. Suspension runs in the Go REST test.
    const [sys] = await sysadmins()
    await signInAs(page, sys)
    await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '联盟成员' }).click()
    await page.getByRole('heading', { name: '联盟成员' }).waitFor()
    await until(page, page.locator('[data-testid="member-status-BankMSP"]'), '正常')
    expect((await text(page.locator('.el-table__row', { hasText: 'OperatorMSP' }))).includes('成员管理'), 'the operator holds the member permission')
    const row = page.locator('.el-table__row', { hasText: 'BankMSP' })
    const perms = row.locator('td').nth(4)
    const before = await text(perms)
    await shot(page, 'alliance-members')

    const setPermissions = async (label, note) => {
      await page.getByRole('button', { name: '设置 BankMSP 的权限' }).click()
      const dialog = page.getByRole('dialog', { name: '设置 BankMSP 的权限' })
      await dialog.getByText(label, { exact: true }).click()
      await dialog.locator('textarea[name="note"]').fill(note)
      await dialog.getByRole('button', { name: '提交' }).click()
      await dialog.waitFor({ state: 'hidden' })
    }
    await setPermissions('节点管理', `端到端检查 ${stamp}`)
    await until(page, perms, before === '—' ? '节点管理' : `${before}、节点管理`)
    await setPermissions('节点管理', '检查完毕，恢复原权限')
    await until(page, perms, before)
  },
  { needsApi: true },
)

check(
  'a contract version goes through review by another administrator, the test channel and production',
  async (page) => {
    const [author, reviewer] = await sysadmins()
    const version = `e2e-${stamp}`
    await signInAs(page, author)
    await page.goto(`${base}/alliance/contracts`)
    await page.getByRole('heading', { name: '智能合约' }).waitFor()
    await page.locator('[data-testid="running-chaincode"]').first().waitFor()
    await page.getByRole('button', { name: '登记合约版本' }).click()
    const dialog = page.getByRole('dialog', { name: '登记合约版本' })
    await dialog.locator('input[name="chaincode"]').fill('approval')
    await dialog.locator('input[name="version"]').fill(version)
    await dialog.locator('input[name="name"]').fill('审批流程合约')
    await dialog.locator('textarea[name="purpose"]').fill('企业开办各环节的审批与统一出件')
    await dialog.locator('input[name="packageDigest"]').fill('ab'.repeat(32))
    await dialog.getByRole('button', { name: '提交' }).click()
    const drawer = page.locator('.el-drawer')
    await drawer.getByText('提交人不能审核自己登记的合约').waitFor()
    expect((await text(drawer.locator('[data-testid="contract-status"]'))) === '待审核', 'a new version waits for review')
    await shot(page, 'alliance-contract-submitted')

    await signInAs(page, reviewer)
    await page.goto(`${base}/alliance/contracts`)
    await page.getByRole('button', { name: `查看 approval ${version}` }).click()
    const status = drawer.locator('[data-testid="contract-status"]')
    await drawer.locator('textarea[name="reviewNote"]').fill('业务定义清楚，同意')
    await drawer.getByRole('button', { name: '批准' }).click()
    await status.getByText('已批准').waitFor()
    await drawer.getByRole('button', { name: '部署到测试通道' }).click()
    await status.getByText('测试通道').waitFor()
    await drawer.getByRole('button', { name: '上线到生产' }).click()
    await status.getByText('生产').waitFor()
    const history = await text(drawer.locator('.el-timeline'))
    expect(history.includes('部署到测试通道') && history.includes('上线到生产'), `history ${history}`)
    await shot(page, 'alliance-contract-production')
  },
  { needsApi: true },
)

check(
  'the operations page shows the component versions and masks the secrets of the configuration',
  async (page) => {
    const [sys] = await sysadmins()
    await signInAs(page, sys)
    await page.goto(`${base}/alliance/ops`)
    await page.getByRole('heading', { name: '运维配置' }).waitFor()
    const versions = page.locator('[data-testid="versions"]')
    await versions.getByText('PostgreSQL').waitFor()
    const v = await text(versions)
    expect(v.includes('kaiban') && v.includes('chaincode subject') && v.includes('devnet'), `versions ${v}`)
    const config = page.locator('[data-testid="configuration"]')
    const setting = (key) => config.locator('.el-table__row').filter({ has: page.locator('code', { hasText: new RegExp(`^${key.replace('.', '\\.')}$`) }) })
    const row = setting('secrets.masterKey')
    await row.waitFor()
    const masked = (await text(row)).replace('secrets.masterKey', '').trim()
    expect(masked === '***' || masked === '', `the master key is shown as ${masked}`)
    const db = (await text(setting('database.url'))).replace('database.url', '')
    expect(!/:[^:@/*]+@/.test(db), `the database URL shows a password: ${db}`)
    await shot(page, 'alliance-ops')
    await page.goto(`${base}/alliance/nodes`)
    await page.getByRole('heading', { name: '节点管理' }).waitFor()
    await page.goto(`${base}/alliance/asset-types`)
    await page.locator('.el-table__row', { hasText: 'business-licence' }).first().waitFor()
    await shot(page, 'alliance-asset-types')
  },
  { needsApi: true },
)
