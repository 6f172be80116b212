// The digital locker (数字保险箱, 7.6.2, 7.4.4, A.5): the holder (role
// applicant) opens the company's locker with its unlock password and sees
// the bundle's documents by type; views the licence with a reason and finds
// the view in the access history with its block and transaction; grants the
// bank a view, a bank officer reads it with a reason and the bank's key, the
// holder sees that read and revokes the grant; self-uploads a material with
// progress and follows it to trusted after the market's review; and sends
// and receives messages live. A second applicant holding the locker leaves
// it from 持有人 and is refused it after. Uses state.locker and state.processId from
// 10-window.mjs, or opens a locker and drives an establishment through the
// REST API itself.
import { account, apiSignIn, base, check, departmentKeyPassword, expect, shot, signIn, state, text } from '../lib.mjs'
import { decideLicence, establish, poll } from '../flow.mjs'

/** The documents of unified issuance that the bundle puts into the locker. */
const bundle = {
  'business-licence': '营业执照',
  'seal-record': '印章刻制告知单',
  'social-security-registration': '社会保险登记告知单',
  'medical-insurance-registration': '医疗保险登记告知单',
  'housing-fund-account': '住房公积金开户告知单',
  'bank-account-appointment': '银行开户告知单',
  'tax-registration': '涉税事项告知单',
}

/** The follow-up steps of the establishment: step key (= department code) → the document it issues. */
const notices = {
  seal: 'seal-record',
  social: 'social-security-registration',
  medical: 'medical-insurance-registration',
  'housing-fund': 'housing-fund-account',
  bank: 'bank-account-appointment',
  tax: 'tax-registration',
}

/**
 * decideNotices does, through the API, the part of every follow-up
 * department that no simulator did (scripts/e2e.sh may run kaiban dev with
 * the simulators off): its officer issues the department's notice into the
 * applicant's locker with the department's key and approves the step with
 * it. A step decided meanwhile answers 409, which is fine.
 */
async function decideNotices(processId, have) {
  for (const [dept, kind] of Object.entries(notices)) {
    if (have.has(kind)) continue
    const o = await account({ roles: ['officer'], department: dept })
    const { api } = await apiSignIn(o.login, o.password)
    const password = departmentKeyPassword(dept)
    try {
      const doc = await api.post('/api/v1/issuance/documents', {
        process: processId, kind, password, results: [{ key: 'note', label: '办理结果', value: 'e2e：已办结' }],
      })
      await api.post(`/api/v1/tasks/${processId}/${dept}/decision`, {
        approve: true, opinion: '准予办理', approver: o.login, outputs: [doc.asset], password,
      })
    } catch (e) {
      if (e.status !== 409) throw e
    }
  }
}

let prepared
/**
 * ready returns { locker, holder, holderApi, licence } once the locker holds
 * every document of the bundle: the locker of 10-window.mjs, or one this
 * check opens and drives through the API. When the market step waits for a
 * person (scripts/e2e.sh runs the market simulator manual) and no earlier
 * check decided it, the market's part is done through the API.
 */
function ready() {
  prepared ??= (async () => {
    if (!state.locker || !state.processId) Object.assign(state, await establish({ services: ['seal', 'social', 'medical', 'housing-fund', 'bank', 'tax'] }))
    const holder = await account({ roles: ['applicant'], name: 'E2E 保险箱持有人' })
    const { api } = await apiSignIn(holder.login, holder.password)
    // An applicant reads only the lockers it holds: refused until it proves
    // the unlock password once (the portal's door does the same).
    const refused = await api.get(`/api/v1/lockers/${state.locker.id}/assets`).then(() => 200, (e) => e.status)
    expect(refused === 403, `an applicant not holding the locker is refused its asset list: ${refused}`)
    await api.post(`/api/v1/lockers/${state.locker.id}/holders`, { password: state.locker.password })
    // Whatever no department (simulated or a person in an earlier check)
    // decides within 20 s is decided here: the licence first, then the notices.
    let waitFrom = Date.now()
    let licenceDecided = false
    let noticesDecided = false
    let licenceSeen = false
    const items = await poll(
      "the bundle's documents in the locker",
      async () => {
        const list = (await api.get(`/api/v1/lockers/${state.locker.id}/assets`)).items
        const have = new Set(list.filter((a) => a.status === 'available').map((a) => a.type))
        if (!have.has('business-licence') && !licenceDecided && Date.now() - waitFrom > 20_000) {
          licenceDecided = true
          await decideLicence(state.processId).catch((e) => {
            if (e.status !== 409) throw e
          })
        }
        if (have.has('business-licence') && !licenceSeen) {
          licenceSeen = true
          waitFrom = Date.now()
        }
        if (licenceSeen && !noticesDecided && Date.now() - waitFrom > 20_000) {
          noticesDecided = true
          await decideNotices(state.processId, have)
        }
        return Object.keys(bundle).every((k) => have.has(k)) && list
      },
      240_000,
      1000,
    )
    const licence = items.find((a) => a.type === 'business-licence')
    return { locker: state.locker, holder, holderApi: api, licence }
  })()
  return prepared
}

/** menu follows an entry of the side menu (the home page links to the same pages). */
const menu = (page, name) => page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name, exact: true }).click()

/** openLocker signs the holder (or who) in and opens the locker at the door of 我的保险箱. */
async function openLocker(page, who) {
  const { locker, holder } = await ready()
  const person = who ?? holder
  await signIn(page, person.login, person.password)
  await page.waitForURL((u) => !u.pathname.startsWith('/login'))
  await menu(page, '我的保险箱')
  await page.getByRole('heading', { name: '打开数字保险箱' }).waitFor()
  // 我的保险箱: the locker bound in ready() is listed; picking it fills in its ID.
  await page.locator('.holdings li', { hasText: locker.id }).getByRole('button').click()
  expect((await page.locator('input[name="lockerId"]').inputValue()) === locker.id, 'picking my locker fills in its ID')
  await page.locator('input[name="unlockPassword"]').fill(locker.password)
  await page.getByRole('button', { name: '打开', exact: true }).click()
  await page.locator('.locker-status').waitFor()
}

/** openLicence goes from the asset list to the licence's page. */
async function openLicence(page) {
  await page.locator('.assets a.asset-link', { hasText: '营业执照' }).first().click()
  await page.getByRole('heading', { name: '营业执照', level: 1 }).waitFor()
  await page.locator('.chain-status').waitFor()
}

check(
  "locker: the holder opens the locker and sees the bundle's documents by type",
  async (page) => {
    await openLocker(page)
    expect((await text(page.locator('.locker-status'))) === '已生效', 'the locker is active on chain')
    await page.locator('.assets .el-table__body-wrapper .el-table__row').first().waitFor()
    const tabs = await page.locator('.type-tabs .el-tabs__item').allTextContents()
    for (const name of Object.values(bundle)) {
      expect(tabs.some((t) => t.startsWith(name)), `a tab for ${name}: ${tabs.join(' | ')}`)
    }
    const body = await text(page.locator('.assets .el-table__body-wrapper'))
    expect(body.includes('可信（已生效）') && body.includes('部门签发'), 'documents shown trusted, issued by their departments')
    // The password is in the page's memory only.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie)
    expect(!stored.includes(state.locker.password), 'the unlock password is in no browser storage')
    await page.locator('.type-tabs .el-tabs__item', { hasText: '营业执照' }).click()
    await page.waitForTimeout(300)
    await shot(page, 'locker-assets')

    // 持有人 and 退出持有: a second applicant who proved the password holds the
    // locker too; it leaves from the page, after which it reads nothing of it.
    const { locker, holder } = await ready()
    const second = await account({ roles: ['applicant'], name: 'E2E 临时持有人' })
    const { api: secondApi } = await apiSignIn(second.login, second.password)
    await secondApi.post(`/api/v1/lockers/${locker.id}/holders`, { password: locker.password })
    await menu(page, '持有人')
    const holders = page.locator('.holders .el-table__body-wrapper')
    await holders.locator('.el-table__row', { hasText: second.login }).waitFor()
    expect((await text(holders.locator('.el-table__row', { hasText: holder.login }))).includes('本人'), 'the holder is listed and marked as me')
    const otherContext = await page.context().browser().newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } })
    try {
      const other = await otherContext.newPage()
      await openLocker(other, second)
      await menu(other, '持有人')
      await other.getByRole('button', { name: '退出持有' }).click()
      await other.locator('.el-message-box').getByRole('button', { name: '退出持有' }).click()
      await other.getByRole('heading', { name: '打开数字保险箱' }).waitFor()
      await other.locator('.el-message', { hasText: '已退出持有' }).waitFor()
      expect((await other.locator('.holdings li', { hasText: locker.id }).count()) === 0, 'the locker left is no longer in 我的保险箱')
      await shot(other, 'locker-left')
    } finally {
      await otherContext.close()
    }
    const refused = await secondApi.get(`/api/v1/lockers/${locker.id}/assets`).then(() => 200, (e) => e.status)
    expect(refused === 403, `the applicant who left is refused the locker's assets: ${refused}`)
    await page.getByRole('button', { name: '刷新' }).click()
    await poll('the holder who left gone from 持有人', async () => (await holders.locator('.el-table__row', { hasText: second.login }).count()) === 0, 10_000)
    await page.waitForTimeout(500) // the tags' zoom-in
    await shot(page, 'locker-holders')
  },
  { needsApi: true },
)

check(
  'locker: the licence viewed with a reason, recorded on chain with its time, shown in the page',
  async (page) => {
    const { licence, holderApi } = await ready()
    await openLocker(page)
    await openLicence(page)
    const reason = `e2e：核对营业执照 ${Date.now().toString(36)}`
    await page.locator('input[name="reason"]').fill(reason)
    await page.getByRole('button', { name: '记录并查看' }).click()
    const recorded = await text(page.locator('[data-test="recorded"]'))
    const tx = /交易 (\S+)/.exec(recorded)?.[1]
    expect(tx && /区块 \d+/.test(recorded), `the view names its block and transaction: ${recorded}`)
    expect((await page.locator('iframe.pdf').count()) === 1, 'the licence PDF is shown in the page')
    expect(((await page.locator('a.download').getAttribute('download')) ?? '').endsWith('.pdf'), 'a PDF to download')
    // The access history lists the view with the chain's time of the transaction.
    const row = page.locator('.access-records .el-table__row', { hasText: reason })
    await row.waitFor({ timeout: 20_000 })
    const records = (await holderApi.get(`/api/v1/locker-assets/${licence.id}/access-records`)).items
    const mine = records.find((r) => r.txId === tx)
    expect(mine && mine.reason === reason && mine.block > 0, 'the API lists the same record')
    expect((await row.locator('time').getAttribute('datetime')) === mine.time, 'the page shows the transaction time of the record')
    await page.locator('iframe.pdf').scrollIntoViewIfNeeded()
    await page.waitForTimeout(800) // the PDF viewer draws
    await shot(page, 'locker-view')
    await row.scrollIntoViewIfNeeded()
    await shot(page, 'locker-access-history')
  },
  { needsApi: true },
)

check(
  'locker: the holder grants the bank a view; a bank officer reads it with a reason; the holder sees the read and revokes',
  async (page) => {
    await ready()
    await openLocker(page)
    await openLicence(page)
    const purpose = `银行开户审核 ${Date.now().toString(36)}`
    await page.getByRole('button', { name: '授权 / 委托' }).click()
    const dialog = page.locator('.el-dialog')
    await dialog.locator('input[name="grantee"]').fill('BankMSP')
    await dialog.locator('input[name="purpose"]').fill(purpose)
    await dialog.getByRole('button', { name: '确定' }).click()
    const grantRow = page.locator('.grants .el-table__row', { hasText: purpose })
    await grantRow.waitFor({ timeout: 20_000 })
    expect((await text(grantRow.locator('.grant-status'))) === '有效', 'the grant is active')
    await grantRow.scrollIntoViewIfNeeded()
    await shot(page, 'locker-grant')

    // The bank's side: 授权给我的资产, read with a reason and the bank's key.
    const officer = await account({ roles: ['officer'], department: 'bank', name: 'E2E 银行经办' })
    const bankContext = await page.context().browser().newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } })
    try {
      const bank = await bankContext.newPage()
      await signIn(bank, officer.login, officer.password)
      await bank.waitForURL((u) => !u.pathname.startsWith('/login'))
      await menu(bank, '授权给我的资产')
      const received = bank.locator('.received .el-table__row', { hasText: purpose })
      await received.waitFor({ timeout: 20_000 })
      expect((await text(bank.locator('.grantee'))) === 'BankMSP', 'the page lists what was granted to the bank')
      await received.getByRole('button', { name: '说明事由并读取' }).click()
      const reason = `开户资料核验 ${Date.now().toString(36)}`
      await bank.locator('.el-dialog input[name="reason"]').fill(reason)
      await bank.locator('.el-dialog input[name="keyPassword"]').fill(departmentKeyPassword('bank'))
      await bank.locator('.el-dialog').getByRole('button', { name: '记录并查看' }).click()
      await bank.locator('[data-test="recorded"]').waitFor({ timeout: 20_000 })
      await bank.locator('.access-records .el-table__row', { hasText: reason }).waitFor({ timeout: 30_000 })
      await bank.waitForTimeout(500)
      await shot(bank, 'locker-bank-read')

      // The holder sees the bank's read in the history, then revokes.
      const bankRow = page.locator('.access-records .el-table__row', { hasText: reason })
      await poll(
        "the bank's read in the holder's access history",
        async () => {
          await page.locator('.history').getByRole('button', { name: '刷新' }).click()
          return (await bankRow.count()) === 1
        },
        30_000,
        1000,
      )
      expect((await text(bankRow)).includes('BankMSP'), 'the read is the bank’s')
      await bankRow.scrollIntoViewIfNeeded()
      await shot(page, 'locker-history-bank-read')
      await grantRow.getByRole('button', { name: '撤销' }).click()
      await page.locator('.el-message-box input').fill('开户审核已完成')
      await page.locator('.el-message-box').getByRole('button', { name: '确定' }).click()
      await poll('the grant revoked', async () => (await text(grantRow.locator('.grant-status'))) === '已撤销', 20_000)
      await grantRow.scrollIntoViewIfNeeded()
      await shot(page, 'locker-revoked')

      // The bank can no longer read it.
      await bank.getByRole('button', { name: '刷新' }).first().click()
      await poll('the revocation seen by the bank', async () => (await text(received.locator('.grant-status'))) === '已撤销', 20_000)
      expect((await received.getByRole('button', { name: '说明事由并读取' }).count()) === 0, 'no read after revocation')
    } finally {
      await bankContext.close()
    }
  },
  { needsApi: true },
)

check(
  'locker: a self-upload with progress, pending until the market reviews it, then trusted',
  async (page) => {
    const { locker, holderApi } = await ready()
    await openLocker(page)
    await menu(page, '自主上传')
    await page.getByRole('heading', { name: '自主上传', level: 1 }).waitFor()
    const key = `e2e-articles-${Date.now().toString(36)}`
    await page.locator('input[name="assetType"]').fill('articles-of-association')
    await page.locator('input[name="businessKey"]').fill(key)
    // About 600 KB, so the progress bar has something to show.
    const content = Buffer.from(`公司章程\n${'第一条 本公司依据《中华人民共和国公司法》设立。\n'.repeat(9000)}`)
    await page.locator('.upload-field input[type="file"]').setInputFiles({ name: 'articles.txt', mimeType: 'text/plain', buffer: content })
    await page.locator('[role="progressbar"][aria-valuenow="100"]').waitFor({ timeout: 30_000 })
    const result = await text(page.locator('[data-test="upload-result"]'))
    const asset = /资产 ([0-9a-f]{32})/.exec(result)?.[1]
    expect(asset && result.startsWith('已上传，等待部门审核'), `the upload answered: ${result}`)
    const row = page.locator('.uploads .el-table__row', { hasText: key })
    await poll(
      'the upload on chain, pending review',
      async () => {
        await page.locator('button.refresh').click()
        return (await row.count()) === 1 && (await text(row.locator('.upload-status'))) === '待部门审核'
      },
      30_000,
      1000,
    )
    await row.scrollIntoViewIfNeeded()
    await shot(page, 'locker-upload-pending')

    // The market regulator reviews it (its officer, with the market's key).
    const o = await account({ roles: ['officer'], department: 'market' })
    const { api: market } = await apiSignIn(o.login, o.password)
    await market.post(`/api/v1/locker-assets/${asset}/review`, { member: 'MarketMSP', password: departmentKeyPassword('market'), approve: true, note: 'e2e：材料真实有效' })
    await poll(
      'the upload trusted',
      async () => (await holderApi.get(`/api/v1/lockers/${locker.id}/assets?type=articles-of-association`)).items.find((a) => a.id === asset)?.status === 'available',
      30_000,
    )
    await page.locator('button.refresh').click()
    await poll('the page shows it trusted', async () => (await text(row.locator('.upload-status'))) === '可信（已生效）', 10_000)
    await shot(page, 'locker-upload-trusted')
  },
  { needsApi: true },
)

check(
  'locker: messages arrive live, get a read receipt, and are sent from the page',
  async (page) => {
    const { holder } = await ready()
    await signIn(page, holder.login, holder.password)
    await page.waitForURL((u) => !u.pathname.startsWith('/login'))
    await menu(page, '消息')
    await page.locator('.live', { hasText: '实时接收中' }).waitFor({ timeout: 15_000 })

    // A bank officer writes to the holder; it arrives without a reload.
    const officer = await account({ roles: ['officer'], department: 'bank' })
    const { api: bank } = await apiSignIn(officer.login, officer.password)
    const title = `开户资料已收到 ${Date.now().toString(36)}`
    const m = await bank.post('/api/v1/messages', { to: `user:${holder.id}`, topic: 'note', title, body: '请于三日内到网点办理。' })
    const row = page.locator('.inbox .el-table__row', { hasText: title })
    await row.waitFor({ timeout: 15_000 })
    await row.getByRole('button', { name: '标为已读' }).click()
    await poll('the read receipt', async () => (await row.getByRole('button', { name: '标为已读' }).count()) === 0, 10_000)
    const sent = (await bank.get('/api/v1/messages?box=sent')).items.find((x) => x.id === m.id)
    expect(sent?.deliveredAt && sent?.readAt, `the sender sees delivery and read receipts: ${JSON.stringify(sent)}`)
    await shot(page, 'locker-messages')

    // The holder answers from the page.
    await page.getByRole('button', { name: '发送消息' }).click()
    const dialog = page.locator('.el-dialog')
    await dialog.locator('input[name="to"]').fill(`user:${officer.id}`)
    await dialog.locator('input[name="title"]').fill(`回复：${title}`)
    await dialog.locator('textarea[name="body"]').fill('好的，谢谢。')
    await dialog.getByRole('button', { name: '发送消息' }).click()
    await poll('the answer in the bank’s inbox', async () => (await bank.get('/api/v1/messages')).items.some((x) => x.title === `回复：${title}`), 10_000)
    await page.locator('.el-tabs__item', { hasText: '已发送' }).click()
    await page.locator('.sent .el-table__row', { hasText: `回复：${title}` }).waitFor()
    await shot(page, 'locker-messages-sent')
  },
  { needsApi: true },
)
