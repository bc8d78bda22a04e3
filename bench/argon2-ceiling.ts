/*
 * What argon2id alone allows: verifies per second at OneDoor's parameters, `concurrency` at a
 * time, for `seconds`. Run pinned (taskset) by bench/run.ts; prints one JSON line, with the CPU
 * time per verify too (all threads: argon2 runs on libuv's pool), which unlike the rate does not
 * count time the machine gave to someone else.
 * argv: memoryKiB timeCost parallelism concurrency seconds
 */
import argon2 from 'argon2'

const [memoryCost, timeCost, parallelism, concurrency, seconds] = process.argv.slice(2).map(Number)
const hash = await argon2.hash('bench password 基准', { type: argon2.argon2id, memoryCost, timeCost, parallelism })
await argon2.verify(hash, 'bench password 基准') // warm-up
let done = 0
const cpuBefore = process.cpuUsage()
const started = performance.now()
const deadline = started + seconds * 1000
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (performance.now() < deadline) {
    if (!(await argon2.verify(hash, 'bench password 基准'))) throw new Error('verify failed')
    done += 1
  }
}))
const elapsed = (performance.now() - started) / 1000
const cpu = process.cpuUsage(cpuBefore)
const cpuMsPerVerify = (cpu.user + cpu.system) / 1000 / done
process.stdout.write(`${JSON.stringify({ verifies: done, seconds: elapsed, perSecond: done / elapsed, cpuMsPerVerify })}\n`)
