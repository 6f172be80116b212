// Public verification (7.6.7): the business licence of an establishment,
// read out of the applicant's locker, is genuine on /verify without
// signing in; a copy with one byte changed is not; the QR payload printed on
// it verifies too. The establishment is the window check's when its licence
// arrives in time (the departments in auto mode), else one driven through
// the API here — never the window check's own market step, which the
// workbench check decides.
import { apiSignIn, account, base, check, expect, shot, state, text } from '../lib.mjs'
import { decideLicence, establish, licenceOf } from '../flow.mjs'

async function licence() {
  const c = await account({ roles: ['clerk'], department: 'operator' })
  const { api } = await apiSignIn(c.login, c.password)
  if (state.processId && state.locker) {
    const got = await licenceOf(api, state.processId, state.locker, 20_000)
    if (got) return got
  }
  // The licence alone (no follow-up services): its bundle needs only the market's decision.
  const own = await establish({ services: [] })
  let got = await licenceOf(own.clerk, own.processId, own.locker, 15_000)
  if (!got) {
    // No market simulator deciding in this run (off, or waiting for a person): decide as the market officer.
    await decideLicence(own.processId)
    got = await licenceOf(own.clerk, own.processId, own.locker, 90_000)
  }
  expect(got, 'a business licence was issued')
  return got
}

async function upload(page, name, buffer) {
  await page.locator('input[type="file"]').setInputFiles({ name, mimeType: 'application/pdf', buffer })
}

check(
  'verify: a licence PDF is genuine on chain, a tampered copy is not, its QR payload verifies',
  async (page) => {
    const { pdf, payload } = await licence()
    expect(pdf.subarray(0, 5).toString() === '%PDF-', 'the locker returned a PDF')

    await page.goto(`${base}/verify`)
    await page.getByRole('heading', { name: '公开核验' }).waitFor()
    await upload(page, 'licence.pdf', pdf)
    const valid = page.locator('[data-verdict="valid"]')
    await valid.waitFor({ timeout: 20_000 })
    const said = await text(valid)
    expect(said.includes('真实有效') && said.includes('营业执照') && said.includes('MarketMSP'), `genuine licence: ${said}`)
    expect(said.includes('最近一次链上交易'), 'the chain record is shown')
    await shot(page, 'verify-genuine')

    // One byte changed in the middle of the file: its digest names no issued document.
    const tampered = Buffer.from(pdf)
    tampered[Math.floor(tampered.length / 2)] ^= 0x20
    await page.getByRole('button', { name: '核验其他证照' }).click()
    await upload(page, 'licence-altered.pdf', tampered)
    const bad = page.locator('[data-verdict="unknown"], [data-verdict="tampered"]')
    await bad.waitFor({ timeout: 20_000 })
    expect((await text(bad)).includes('不真实'), 'the altered copy is not genuine')
    expect((await page.locator('[data-verdict]').count()) === 1, 'one verdict shown')
    await shot(page, 'verify-tampered')

    // The QR code's payload, as a scanner would type it.
    await page.getByRole('tab', { name: '核验二维码内容' }).click()
    await page.locator('textarea[name="payload"]').fill(payload)
    await page.getByRole('button', { name: '核验', exact: true }).click()
    await page.locator('[data-verdict="valid"]').waitFor({ timeout: 20_000 })
    await shot(page, 'verify-payload')
  },
  { needsApi: true },
)
