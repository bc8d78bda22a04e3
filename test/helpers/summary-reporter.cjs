// Mocha's spec output for people, plus a stats file that scripts/run-tests.js sums up.
const { writeFileSync } = require('node:fs')
const Mocha = require('mocha')

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    runner.once('end', () => {
      const file = process.env.ONEDOOR_TEST_STATS
      if (file) writeFileSync(file, JSON.stringify(runner.stats ?? {}))
    })
  }
}
module.exports = SummaryReporter
