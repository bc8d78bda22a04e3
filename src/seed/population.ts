/*
 * Where synthetic residents live: each prefecture gets a share of accounts proportional to its
 * resident population in the Seventh National Census (2020, 常住人口, 黑龙江省统计局 bulletin),
 * and inside a prefecture every county-level division (district, county, county-level city)
 * gets an equal share. Rough on purpose: enough for division-scoped administration, dashboards
 * and index statistics to look like the province, not a demographic model.
 */
import type { DivisionTree } from '../federation/index.js'

/** Resident population by prefecture code, 2020 census (province total 31,850,088). */
export const PREFECTURE_POPULATION_2020: Readonly<Record<string, number>> = {
  '230100': 10_009_854, // 哈尔滨市
  '230200': 4_067_489, // 齐齐哈尔市
  '230300': 1_502_060, // 鸡西市
  '230400': 891_271, // 鹤岗市
  '230500': 1_208_803, // 双鸭山市
  '230600': 2_781_562, // 大庆市
  '230700': 878_881, // 伊春市
  '230800': 2_156_505, // 佳木斯市
  '230900': 689_611, // 七台河市
  '231000': 2_290_208, // 牡丹江市
  '231100': 1_286_401, // 黑河市
  '231200': 3_756_167, // 绥化市
  '232700': 331_276, // 大兴安岭地区
}

export interface SeedDivision {
  code: string
  name: string
  prefectureCode: string
  /** The prefecture's name without 市/地区, as enterprise names use it (哈尔滨, 大兴安岭). */
  prefectureShortName: string
}

export interface DivisionPicker {
  readonly divisions: readonly SeedDivision[]
  /** The division for a uniform number in [0, 1). */
  pick(u: number): SeedDivision
}

/** Builds the weighted picker from the division tree (the reference data the migrations load). */
export function divisionPicker(tree: DivisionTree): DivisionPicker {
  const divisions: SeedDivision[] = []
  const cumulative: number[] = []
  let total = 0
  for (const prefecture of tree.all.filter((d) => d.level === 'prefecture')) {
    const population = PREFECTURE_POPULATION_2020[prefecture.code]
    if (!population) continue
    const counties = tree.children(prefecture.code).filter((d) => d.level === 'county' && !d.nonStandard)
    for (const county of counties) {
      total += population / counties.length
      cumulative.push(total)
      divisions.push({ code: county.code, name: county.name, prefectureCode: prefecture.code, prefectureShortName: prefecture.name.replace(/(市|地区)$/, '') })
    }
  }
  if (divisions.length === 0) throw new Error('no divisions of Heilongjiang in the database (the division migration has not run)')
  return {
    divisions,
    pick(u) {
      const target = u * total
      let lo = 0
      let hi = cumulative.length - 1
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (cumulative[mid] > target) hi = mid
        else lo = mid + 1
      }
      return divisions[lo]
    },
  }
}
