/*
 * Preloaded into every cluster node (node --import): a node whose parent (`npm run cluster`, a
 * test, the benchmark) dies, even by kill -9, stops gracefully instead of living on as an
 * orphan holding its port. The parent holds the node's stdin; the kernel closes it when the
 * parent goes, whatever killed it.
 */
process.stdin.once('close', () => process.kill(process.pid, 'SIGTERM'))
process.stdin.resume()
