/*
 * Synthetic but valid identities for `onedoor seed`, each a pure function of (seed, index).
 *
 * Uniqueness does not depend on luck: the n-th seeded person (n counts over every seed run of
 * the database) gets the birth date and sequence number of position p(n) of a fixed permutation
 * of all (date, sequence) pairs, and a phone number from a permutation of its own; the n-th
 * enterprise gets organisation code p'(n). Two seeded persons therefore never share an ID number
 * or a phone, whatever the seed, and reruns continue the numbering. The seed decides everything
 * else (division, names, enterprise type), so the same seed on an empty database gives the same
 * accounts.
 */
import { idNumberCheckChar } from '../accounts/id-number.js'
import { orgCodeCheckChar, usccCheckChar } from '../accounts/uscc.js'
import type { DivisionPicker, SeedDivision } from './population.js'

const DAY_MS = 86_400_000
/** Adults of 2026: born 1940-01-01 … 2007-12-31. */
const FIRST_BIRTH_DAY = Date.UTC(1940, 0, 1) / DAY_MS
const BIRTH_DAYS = Date.UTC(2008, 0, 1) / DAY_MS - FIRST_BIRTH_DAY
/** Distinct (birth date, sequence) pairs, i.e. the most seeded persons a database can hold. */
export const MAX_SEEDED_PERSONS = BIRTH_DAYS * 1000

/** Mobile prefixes in use on the mainland (China Mobile, Unicom, Telecom); 8 digits follow. */
const PHONE_PREFIXES = ['130', '131', '132', '133', '134', '135', '136', '137', '138', '139', '150', '151', '152', '153', '155', '156', '157', '158', '159', '166', '176', '177', '178', '180', '181', '182', '183', '185', '186', '187', '188', '189', '198', '199']
const EIGHT_DIGITS = 100_000_000
/** Organisation-code bodies are 8 digits here: 10^8 seeded enterprises at most. */
export const MAX_SEEDED_ENTERPRISES = EIGHT_DIGITS

// Affine permutations x -> (a·x + b) mod m with a prime multiplier that does not divide m (so
// gcd(a, m) = 1 and the map is a bijection); a·x stays below 2^53.
const ID_PERMUTATION = { a: 15_485_863, b: 7_368_787, m: MAX_SEEDED_PERSONS }
const PHONE_PERMUTATION = { a: 1_000_003, b: 1_234_567_891, m: PHONE_PREFIXES.length * EIGHT_DIGITS }
const ORG_CODE_PERMUTATION = { a: 32_452_843, b: 67_867_967, m: EIGHT_DIGITS }

function permute(p: { a: number; b: number; m: number }, x: number): number {
  return (((p.a * x) % p.m) + p.b) % p.m
}

/** A 32-bit integer hash (lowbias32); chained to derive independent streams from (seed, index). */
function hash32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d)
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b)
  return (x ^ (x >>> 16)) >>> 0
}

/** A reproducible random source for one account: draw() gives the next number in [0, 1). */
export function accountRandom(seed: number, kind: 'person' | 'enterprise', index: number): () => number {
  let state = hash32(hash32(hash32(seed >>> 0) ^ (kind === 'person' ? 0x9e3779b9 : 0x85ebca6b)) ^ (index >>> 0)) ^ Math.floor(index / 2 ** 32)
  return () => {
    state = hash32(state + 0x6d2b79f5)
    return state / 2 ** 32
  }
}

/** The n-th seeded resident ID number (GB 11643) in `areaCode`. */
export function seededIdNumber(n: number, areaCode: string): string {
  const position = permute(ID_PERMUTATION, n)
  const birth = new Date((FIRST_BIRTH_DAY + (position % BIRTH_DAYS)) * DAY_MS).toISOString()
  const sequence = String(Math.floor(position / BIRTH_DAYS)).padStart(3, '0')
  const first17 = `${areaCode}${birth.slice(0, 4)}${birth.slice(5, 7)}${birth.slice(8, 10)}${sequence}`
  return first17 + idNumberCheckChar(first17)
}

/** The n-th seeded mobile number. */
export function seededPhone(n: number): string {
  const position = permute(PHONE_PERMUTATION, n)
  return PHONE_PREFIXES[position % PHONE_PREFIXES.length] + String(Math.floor(position / PHONE_PREFIXES.length)).padStart(8, '0')
}

/** GB 32100 registration authority + type: industry and commerce (9) enterprise, individual business, farmers' cooperative. */
const ENTERPRISE_TYPES = [
  { code: '91', share: 0.7 },
  { code: '92', share: 0.25 },
  { code: '93', share: 0.05 },
] as const
type EnterpriseType = (typeof ENTERPRISE_TYPES)[number]['code']

/** The n-th seeded unified social credit code (GB 32100) of `type`, registered in `areaCode`. */
export function seededUscc(n: number, type: EnterpriseType, areaCode: string): string {
  const body = String(permute(ORG_CODE_PERMUTATION, n)).padStart(8, '0')
  const first17 = `${type}${areaCode}${body}${orgCodeCheckChar(body)}`
  return first17 + usccCheckChar(first17)
}

// Common surnames, most frequent first (drawn with Zipf-like weights 1/(rank + 3)).
const SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万武钱戴严莫孔向常']
const SURNAME_CUMULATIVE = cumulativeWeights(SURNAMES.map((_, rank) => 1 / (rank + 3)))
const GIVEN_MALE = [...'伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林洋东峰亮成建国文志海春松柏岩']
const GIVEN_FEMALE = [...'芳娜敏静丽艳娟霞秀玲桂英慧巧美婷雪琳晶颖倩欣佳红梅莉燕萍月玉兰凤洁丹蕾薇怡璐悦']
const BRAND = [...'华兴盛达鑫源龙江北方金泰恒信宏远通隆祥瑞丰正和美新嘉德安博海天佳利福顺']
const INDUSTRIES = ['商贸', '农业科技', '建筑工程', '物流', '食品', '餐饮管理', '信息技术', '机械制造', '粮油', '木业', '石油化工', '旅游', '医药', '装饰工程', '汽车销售', '电子科技', '环保科技', '文化传媒']
const COMPANY_FORMS = ['有限公司', '有限公司', '有限公司', '有限责任公司', '股份有限公司']
const SHOPS = ['小吃部', '超市', '五金店', '汽车修理部', '烧烤店', '粮油店', '服装店', '便利店', '理发店', '水果店']
const CROPS = ['水稻', '大豆', '玉米', '马铃薯', '蓝莓', '食用菌', '杂粮']

export interface SeededPerson {
  name: string
  idNumber: string
  phone: string
  division: SeedDivision
}

export interface SeededEnterprise {
  uscc: string
  name: string
  division: SeedDivision
  /** Which of the batch's persons represents it: a number in [0, 1) the caller scales. */
  representativeDraw: number
}

/** The n-th seeded person of a database, drawn with `seed`. */
export function seededPerson(seed: number, n: number, divisions: DivisionPicker): SeededPerson {
  const draw = accountRandom(seed, 'person', n)
  const division = divisions.pick(draw())
  const idNumber = seededIdNumber(n, division.code)
  // GB 11643: an odd 17th digit is a man, an even one a woman.
  const given = Number(idNumber[16]) % 2 === 1 ? GIVEN_MALE : GIVEN_FEMALE
  const surname = SURNAMES[pickCumulative(SURNAME_CUMULATIVE, draw())]
  const name = surname + pick(given, draw()) + (draw() < 0.6 ? pick(given, draw()) : '')
  return { name, idNumber, phone: seededPhone(n), division }
}

/** The n-th seeded enterprise of a database, drawn with `seed`. */
export function seededEnterprise(seed: number, n: number, divisions: DivisionPicker): SeededEnterprise {
  const draw = accountRandom(seed, 'enterprise', n)
  const division = divisions.pick(draw())
  const u = draw()
  const type = u < ENTERPRISE_TYPES[0].share ? '91' : u < ENTERPRISE_TYPES[0].share + ENTERPRISE_TYPES[1].share ? '92' : '93'
  const brand = pick(BRAND, draw()) + pick(BRAND, draw())
  const name =
    type === '91'
      ? `${division.prefectureShortName}${brand}${pick(INDUSTRIES, draw())}${pick(COMPANY_FORMS, draw())}`
      : type === '92'
        ? `${division.name}${SURNAMES[pickCumulative(SURNAME_CUMULATIVE, draw())]}记${pick(SHOPS, draw())}`
        : `${division.name}${brand}${pick(CROPS, draw())}种植专业合作社`
  return { uscc: seededUscc(n, type, division.code), name, division, representativeDraw: draw() }
}

function pick<T>(list: readonly T[], u: number): T {
  return list[Math.floor(u * list.length)]
}

function cumulativeWeights(weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0)
  let running = 0
  return weights.map((w) => (running += w / total))
}

function pickCumulative(cumulative: number[], u: number): number {
  const i = cumulative.findIndex((c) => u < c)
  return i < 0 ? cumulative.length - 1 : i
}
