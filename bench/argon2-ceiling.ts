/*
 * What argon2id alone allows: verifies per second at OneDoor's parameters, `concurrency` at a
 * time, for `seconds`. Run pinned (taskset) by bench/run.ts; prints one JSON line.
 * argv: memoryKiB timeCost parallelism concurrency seconds
 */
import argon2 from 'argon2'

const [memoryCost, timeCost, parallelism, concurrency, seconds] = process.argv.slice(2).map(Number)
const hash = await argon2.hash('bench password 基准', { type: argon2.argon2id, memoryCost, timeCost, parallelism })
await argon2.verify(hash, 'bench password 基准') // warm-up
let done = 0
const started = performance.now()
const deadline = started + seconds * 1000
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (performance.now() < deadline) {
    if (!(await argon2.verify(hash, 'bench password 基准'))) throw new Error('verify failed')
    done += 1
  }
}))
const elapsed = (performance.now() - started) / 1000
process.stdout.write(`${JSON.stringify({ verifies: done, seconds: elapsed, perSecond: done / elapsed })}\n`)
