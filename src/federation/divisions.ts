/*
 * The administrative-division tree (province → prefecture → county) as a read-only, in-memory
 * structure: 140 rows of reference data, so queries are synchronous once loaded. Admin scope
 * checks (isWithin) and sync validation read it.
 */
import type { Division, DivisionCodeChange, DivisionStore } from './types.js'

export interface DivisionTree {
  readonly all: readonly Division[]
  get(code: string): Division | undefined
  /** Parent first, province last; empty for the province or an unknown code. */
  ancestors(code: string): Division[]
  /** Every division below `code` (children, grandchildren…), in code order. */
  descendants(code: string, options?: { includeNonStandard?: boolean }): Division[]
  children(code: string): Division[]
  /** True when `code` is `scopeCode` itself or lies below it. Unknown codes are within nothing. */
  isWithin(code: string, scopeCode: string): boolean
  /** Successor codes of a retired code (old → new, since 2010); empty when the code did not change. */
  successorsOf(oldCode: string): DivisionCodeChange[]
  /** The current division for a code that may be retired: itself if current, else its single successor. */
  resolveCurrent(code: string): Division | undefined
  readonly codeChanges: readonly DivisionCodeChange[]
}

export function buildDivisionTree(divisions: Division[], codeChanges: DivisionCodeChange[]): DivisionTree {
  const byCode = new Map(divisions.map((d) => [d.code, d]))
  const childrenOf = new Map<string, Division[]>()
  for (const d of divisions) {
    if (d.parentCode === null) continue
    const list = childrenOf.get(d.parentCode) ?? []
    list.push(d)
    childrenOf.set(d.parentCode, list)
  }
  const changesFrom = new Map<string, DivisionCodeChange[]>()
  for (const change of codeChanges) changesFrom.set(change.oldCode, [...(changesFrom.get(change.oldCode) ?? []), change])

  const tree: DivisionTree = {
    all: Object.freeze([...divisions]),
    codeChanges: Object.freeze([...codeChanges]),
    get: (code) => byCode.get(code),
    ancestors(code) {
      const out: Division[] = []
      let current = byCode.get(code)
      while (current?.parentCode) {
        const parent = byCode.get(current.parentCode)
        if (!parent) break
        out.push(parent)
        current = parent
      }
      return out
    },
    children: (code) => [...(childrenOf.get(code) ?? [])],
    descendants(code, options = {}) {
      const out: Division[] = []
      const queue = [...(childrenOf.get(code) ?? [])]
      while (queue.length > 0) {
        const next = queue.shift()!
        if (options.includeNonStandard !== false || !next.nonStandard) out.push(next)
        queue.push(...(childrenOf.get(next.code) ?? []))
      }
      return out.sort((a, b) => a.code.localeCompare(b.code))
    },
    isWithin(code, scopeCode) {
      if (!byCode.has(code) || !byCode.has(scopeCode)) return false
      return code === scopeCode || tree.ancestors(code).some((a) => a.code === scopeCode)
    },
    successorsOf: (oldCode) => [...(changesFrom.get(oldCode) ?? [])],
    resolveCurrent(code) {
      const current = byCode.get(code)
      if (current) return current
      const successors = changesFrom.get(code) ?? []
      return successors.length === 1 ? byCode.get(successors[0].newCode) : undefined
    },
  }
  return tree
}

/** Loads the tree once and keeps it: the data changes only with a migration. */
export function createDivisions(store: DivisionStore) {
  let loading: Promise<DivisionTree> | undefined
  return {
    tree(): Promise<DivisionTree> {
      loading ??= Promise.all([store.listDivisions(), store.listCodeChanges()]).then(([d, c]) => buildDivisionTree(d, c))
      loading.catch(() => {
        loading = undefined
      })
      return loading
    },
  }
}

export type Divisions = ReturnType<typeof createDivisions>
