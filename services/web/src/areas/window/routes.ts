// The front desk (综合受理窗口, DB37/T 4431-2021 7.6.1 and A.5 a), for the
// window clerk: open an enterprise's digital locker and watch it become a
// subject on chain, accept the one establishment form, print its receipt,
// and list the applications accepted.
import { Checked, DocumentAdd, Files, Lock } from '@element-plus/icons-vue'
import { operationPermissions as ops } from '@/api/permissions.gen'
import { defineArea } from '../area'

export default defineArea({
  groups: { 'window.group': { icon: Checked, order: 10 } },
  routes: [
    {
      path: 'window/establish',
      name: 'window-establish',
      component: () => import('./EstablishmentView.vue'),
      meta: { title: 'window.establish', permission: ops.acceptApplication, menu: { icon: DocumentAdd, group: 'window.group', order: 10 } },
    },
    {
      path: 'window/applications',
      name: 'window-applications',
      component: () => import('./ApplicationsView.vue'),
      meta: { title: 'window.applications', permission: ops.listApplications, menu: { icon: Files, group: 'window.group', order: 20 } },
    },
    {
      path: 'window/applications/:id',
      name: 'window-receipt',
      component: () => import('./ReceiptView.vue'),
      props: true,
      meta: { title: 'window.receipt', permission: ops.getApplication },
    },
    {
      path: 'window/lockers/new',
      name: 'window-open-locker',
      component: () => import('./OpenLockerView.vue'),
      meta: { title: 'window.openLocker', permission: ops.openLocker, menu: { icon: Lock, group: 'window.group', order: 30 } },
    },
    {
      path: 'window/lockers/:id',
      name: 'window-locker',
      component: () => import('./LockerStatusView.vue'),
      props: true,
      meta: { title: 'window.locker', permission: ops.getLocker },
    },
  ],
})
