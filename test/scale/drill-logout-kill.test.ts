/*
 * Fault drill 5, the hard way (issue 6): `kill -9` of the node in the middle of a logout fan-out
 * whose slowest portal has not answered yet. The dead node never records an outcome, so every
 * delivery of that logout stays leased in the queue; once the lease ends
 * (backchannelLogout.timeoutMs + leaseMarginMs from the first attempt) the other node's retry job
 * sends each one again. At least once: the portal the dead node had already reached gets a
 * second token; no portal gets none, and no queued delivery, grant or audit record is lost.
 *
 * Its own cluster: the portal timeout is long (5 s) so that the kill surely lands while the slow
 * portal is still holding the first attempt, and the lease margin is short (1 s) so that the
 * retry comes within seconds instead of the production minute.
 */
import assert from 'node:assert/strict'
import { useTestCluster } from '../helpers/cluster.js'
import { assertNothingLost, countDurableRows } from '../helpers/durable-counts.js'
import { verifyLogoutToken } from '../helpers/backchannel-receivers.js'
import { eventually } from '../helpers/sign-in.js'
import { UserAgent } from '../helpers/user-agent.js'
import { addPortal, closePortals, logoutAt, signInAt, signInWithoutCredentials, type Portal } from '../federation/slo-helpers.js'

describe('fault drill 5: kill -9 of a node in the middle of a logout fan-out (issue 6)', function () {
  this.timeout(90_000)
  const env = useTestCluster({
    nodes: 2,
    config: { backchannelLogout: { timeoutMs: 5000, userWaitMs: 300, leaseMarginMs: 1000, retry: { intervalSeconds: 1, initialDelaySeconds: 1, maxDelaySeconds: 2 } } },
  })
  const portals: Portal[] = []
  after(() => closePortals(portals))

  it('the other node retries every delivery the dead node held once its lease ends; nothing is lost', async () => {
    const { cluster } = env
    const person = await cluster.addPerson({ name: '周八' })
    const [up, down, slow] = await Promise.all(['Mudanjiang', 'Jiamusi', 'Qiqihar'].map((name) => addPortal(cluster, name)))
    portals.push(up, down, slow)
    const agent = new UserAgent()
    cluster.proxy.pin(0)
    const first = await signInAt(agent, up, person)
    await signInWithoutCredentials(agent, down)
    await signInWithoutCredentials(agent, slow)
    await down.receiver.down()
    slow.receiver.mode = 'hang'
    const before = await countDurableRows(cluster.db)

    cluster.proxy.pin(1)
    try {
      // The person's wait ends after userWaitMs; node B's attempt to the slow portal is still open.
      await logoutAt(agent, up, first.tokens.id_token!)
      await eventually(async () => slow.receiver.pending === 1 || undefined, 'node B holding a delivery to the slow portal')
      const queued = await eventually(async () => {
        const rows = await cluster.db('logout_queue').where({ account_id: person.id })
        return rows.length === 3 ? rows : undefined
      }, 'the three deliveries queued by node B')
      assert.equal(up.receiver.tokens.length, 1, 'the portal that is up has its token at once')
      assert.deepEqual(queued.map((r) => r.status), ['pending', 'pending', 'pending'], 'no outcome recorded yet: the fan-out is still running')

      await cluster.nodes[1].kill('SIGKILL')
      cluster.proxy.pin(undefined)
      slow.receiver.mode = 'ok'
      slow.receiver.release(503) // the request the dead node left behind
      await down.receiver.up()

      // Node A's retry job takes them once the dead node's lease has ended.
      await eventually(async () => {
        const rows = await cluster.db('logout_queue').where({ account_id: person.id, status: 'delivered' })
        return rows.length === 3 || undefined
      }, 'every delivery the dead node held to be delivered by node A', 400)
      for (const portal of [up, down, slow]) {
        assert.ok(portal.receiver.tokens.length >= 1, `${portal.name} received its logout token`)
        await verifyLogoutToken(portal.receiver.tokens.at(-1)!, cluster.url, portal.clientId)
      }
      assert.equal(up.receiver.tokens.length, 2, 'at least once: the dead node never recorded its delivery to the portal that was up, so it is sent again')
      const retried = await cluster.db('logout_queue').where({ account_id: person.id })
      assert.ok(retried.every((r) => r.attempts >= 2), 'each delivered by a retry, not by the first attempt')

      // The logout revoked the session's three grants, and that is all it removed.
      const after = await assertNothingLost(cluster.config, cluster.db, { ...before, grants: before.grants - 3 })
      assert.equal(after.grants, before.grants - 3)
      assert.equal(after.logoutQueue, before.logoutQueue + 3, 'three deliveries queued, none lost')
    } finally {
      cluster.proxy.pin(undefined)
      await cluster.nodes[1].restart()
      await cluster.proxy.checkHealth()
    }
  })
})
