// 部门工作台 (DB37/T 4431-2021 7.7): a department officer's queue of
// process steps, one task with its application, materials and pushed
// information, the department's result document and the decision.
import { Briefcase, Tickets } from '@element-plus/icons-vue'
import { operationPermissions as ops } from '@/api/permissions.gen'
import { defineArea } from '../area'

export default defineArea({
  groups: { 'workbench.nav': { icon: Briefcase, order: 30 } },
  routes: [
    {
      path: 'workbench/tasks',
      name: 'workbench-tasks',
      component: () => import('./TaskQueueView.vue'),
      meta: { title: 'workbench.queue', permission: ops.listTasks, menu: { icon: Tickets, group: 'workbench.nav', order: 10 } },
    },
    {
      path: 'workbench/tasks/:process/:step',
      name: 'workbench-task',
      component: () => import('./TaskView.vue'),
      props: true,
      meta: { title: 'workbench.task', permission: ops.getTask },
    },
  ],
})
