/*
 * The account centre's public surface. Other modules extend it through `AccountExtension`
 * (passed to accountCentreRoutes in app.ts): an extension gets the /account router, and
 * `requireAccountSession(ctx)`, `renderAccountPage` and `checkCsrf` for its pages.
 */
export { accountCentreRoutes, type AccountCentreDeps, type AccountExtension, type AccountExtensionContext, type AccountNavItem } from './routes.js'
export { createSignIn, safeReturnTo, type AccountSession, SESSION_COOKIE } from './sign-in.js'
export { createCookieCodec, type CookieCodec } from './session-cookie.js'
export { ensureAccountCentreClient, ACCOUNT_CENTRE_CLIENT_ID, accountCentreRedirectUri } from './first-party-client.js'
export { createEndEverything } from './end-everything.js'
export { privacyRoutes } from './privacy.js'
export { requireAccountSession } from './require-session.js'
