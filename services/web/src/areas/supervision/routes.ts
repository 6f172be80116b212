// 监管 (DB37/T 4431-2021 7.6.6, 7.4.3 f and g): the supervisor's view of
// every application's progress against its time limits, with interventions
// and overdue alerts; the monitoring dashboards; the regulator's view of
// the assets and transactions in its remit.
import { DataAnalysis, Histogram, List, View } from '@element-plus/icons-vue'
import { operationPermissions as ops } from '@/api/permissions.gen'
import { defineArea } from '../area'

export default defineArea({
  groups: { 'supervision.nav': { icon: View, order: 40 } },
  routes: [
    {
      path: 'supervision/processes',
      name: 'supervision-processes',
      component: () => import('./ProcessesView.vue'),
      meta: { title: 'supervision.processes', permission: ops.listSupervisedProcesses, menu: { icon: List, group: 'supervision.nav', order: 10 } },
    },
    {
      path: 'supervision/processes/:id',
      name: 'supervision-timeline',
      component: () => import('./TimelineView.vue'),
      props: true,
      meta: { title: 'supervision.timeline', permission: ops.getProcessTimeline },
    },
    {
      path: 'supervision/dashboard',
      name: 'supervision-dashboard',
      component: () => import('./DashboardView.vue'),
      meta: { title: 'supervision.dashboard', permission: ops.getTransactionSeries, menu: { icon: DataAnalysis, group: 'supervision.nav', order: 20 } },
    },
    {
      path: 'supervision/regulator',
      name: 'supervision-regulator',
      component: () => import('./RegulatorView.vue'),
      meta: { title: 'supervision.regulator', permission: ops.listRegulatedAssets, menu: { icon: Histogram, group: 'supervision.nav', order: 30 } },
    },
  ],
})
