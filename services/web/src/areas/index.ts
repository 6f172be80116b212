// Every area of the portal, collected from src/areas/*/ at build time (see
// area.ts). Sorted by folder name, so the order is the same in every build.
import type { Area, AreaMessages } from './area'

const areaModules = import.meta.glob<{ default: Area }>('./*/routes.ts', { eager: true })
const messageModules = import.meta.glob<{ default: AreaMessages<Record<string, object>> }>('./*/i18n.ts', {
  eager: true,
})

function sorted<T>(mods: Record<string, { default: T }>): T[] {
  return Object.keys(mods)
    .sort()
    .map((k) => mods[k]!.default)
}

export const areas: Area[] = sorted(areaModules)
export const areaMessages: AreaMessages<Record<string, object>>[] = sorted(messageModules)
