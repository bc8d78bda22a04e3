import type { Context } from 'koa'
import type { AccountSession } from './sign-in.js'

/**
 * For pages mounted under /account (AccountExtension): the signed-in person's account-centre
 * session, or undefined after answering the request (a redirect to sign-in for GET, a 401 page
 * for other methods). Valid only while the OneDoor session it came from lives.
 */
export async function requireAccountSession(ctx: Context): Promise<AccountSession | undefined> {
  const check = (ctx.state.accountCentre as { requireAccountSession?: (ctx: Context) => Promise<AccountSession | undefined> } | undefined)?.requireAccountSession
  if (!check) throw new Error('requireAccountSession is only available on routes mounted on the account centre router')
  return check(ctx)
}
