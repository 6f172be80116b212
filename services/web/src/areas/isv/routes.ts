// Area `isv` (A.3, 7.6.4, 8.2 d): the onboarding of department systems and
// integrators (system administrator applies and issues, security
// administrator reviews and revokes), positions under 系统管理, and the
// audit log for the audit administrator. Each page names the permission
// of its operation, so each of the three administrators sees only theirs.
import { Briefcase, Connection, Finished, Key } from '@element-plus/icons-vue'
import { operationPermissions as ops } from '@/api/permissions.gen'
import { defineArea } from '../area'

export default defineArea({
  groups: {
    'isv.menu': { icon: Connection, order: 80 },
    'auditlog.menu': { icon: Finished, order: 95 },
  },
  routes: [
    {
      path: 'isv/clients',
      name: 'isv-clients',
      component: () => import('./ClientsView.vue'),
      meta: { title: 'isv.title', permission: ops.listApiClients, menu: { icon: Key, group: 'isv.menu', order: 10 } },
    },
    {
      path: 'admin/positions',
      name: 'admin-positions',
      component: () => import('./PositionsView.vue'),
      meta: { title: 'positions.title', permission: ops.listPositions, menu: { icon: Briefcase, group: 'nav.admin', order: 35 } },
    },
    {
      path: 'audit/records',
      name: 'audit-records',
      component: () => import('./AuditView.vue'),
      meta: { title: 'auditlog.title', permission: ops.listAuditRecords, menu: { icon: Finished, group: 'auditlog.menu', order: 10 } },
    },
  ],
})
