// What the alliance pages share: a change written on chain through the
// outbox is accepted at once (202) and shows in the lists once its block is
// committed and projected, so a page reloads a few times after it; and the
// prompt that asks why (every suspension, retirement and abolition says
// why, as the chain records it).
import { ElMessage, ElMessageBox } from 'element-plus'
import type { Composer } from 'vue-i18n'
import { notifyError } from '@/api/notify'

/** settle reloads now and again while the chain write lands. */
export function settle(reload: () => Promise<void>, delays = [800, 2000, 4500]): void {
  void reload()
  for (const ms of delays) setTimeout(() => void reload(), ms)
}

/** queued tells the person the change went to the chain and reloads. */
export function queued(t: Composer['t'], reload: () => Promise<void>): void {
  ElMessage.success(t('alliance.queued'))
  settle(reload)
}

/** withReason asks for a reason, then runs act with it; a cancel does nothing. */
export async function withReason(t: Composer['t'], title: string, message: string, act: (note: string) => Promise<void>): Promise<void> {
  let note: string
  try {
    const { value } = await ElMessageBox.prompt(message, title, {
      type: 'warning',
      inputPlaceholder: t('alliance.note'),
      inputValidator: (v: string) => (v && v.trim() ? true : t('alliance.noteRequired')),
    })
    note = value
  } catch {
    return
  }
  try {
    await act(note)
  } catch (e) {
    notifyError(e, t)
  }
}
