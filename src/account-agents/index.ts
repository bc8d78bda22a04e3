/* Account-centre pages for legal representatives (issue 3, identity-B). */
export { agentsExtension, type AgentsDeps } from './routes.js'
export { totpExtension, type TotpPagesDeps } from './totp-routes.js'
