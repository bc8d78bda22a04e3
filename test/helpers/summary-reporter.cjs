// Mocha's spec output for people, plus a stats file that scripts/run-tests.js sums up. The stats
// file also lists each failure (title and the start of its error), so the run's last lines name
// what failed even where only the tail of the output is kept (CI shows the tail).
const { writeFileSync } = require('node:fs')
const path = require('node:path')
const Mocha = require('mocha')

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    const failures = []
    runner.on('fail', (test, err) => {
      failures.push({
        title: test.fullTitle(),
        file: test.file ? path.relative(process.cwd(), test.file) : undefined,
        error: String(err?.message ?? err).split('\n').map((line) => line.trim()).filter(Boolean).join(' ').slice(0, 300),
      })
    })
    runner.once('end', () => {
      const file = process.env.ONEDOOR_TEST_STATS
      if (file) writeFileSync(file, JSON.stringify({ ...(runner.stats ?? {}), failureList: failures }))
    })
  }
}
module.exports = SummaryReporter
