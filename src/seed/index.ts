export { checkSeedPlan, seedAccounts, SeedError, SEED_LIMITS, type SeedDeps, type SeedPlan, type SeedProgress, type SeedReport } from './seed.js'
export { divisionPicker, PREFECTURE_POPULATION_2020, type DivisionPicker, type SeedDivision } from './population.js'
export { MAX_SEEDED_ENTERPRISES, MAX_SEEDED_PERSONS, seededEnterprise, seededIdNumber, seededPerson, seededPhone, seededUscc } from './synthetic.js'
