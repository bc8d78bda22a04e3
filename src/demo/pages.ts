/*
 * The demo portal host's pages: one page per federated system (who is signed in there and what
 * it received), and an index of every system with its state in this browser.
 */
import { html, type Html } from './html.js'
import type { DemoPortal, PortalSession, ReceivedLogout } from './types.js'

export const DEMO_CSS = `
:root { --brand: #1f5fa8; --ink: #1d1b20; --muted: #5f5b66; --line: #d9d4dc; --bg: #f4f6f9; --ok: #1e7b34; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color: var(--ink); background: var(--bg); line-height: 1.5; }
header { background: var(--brand); color: #fff; padding: 0.75rem 1rem; display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
header a { color: #fff; }
main { max-width: 52rem; margin: 1rem auto; padding: 0 1rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; margin-bottom: 1rem; }
h1 { font-size: 1.35rem; margin: 0 0 0.25rem; }
h2 { font-size: 1.1rem; margin: 0 0 0.5rem; }
.muted { color: var(--muted); }
.state { display: inline-block; border-radius: 999px; padding: 0.1rem 0.6rem; font-size: 0.85rem; border: 1px solid var(--line); }
.state.in { background: #e6f4ea; color: var(--ok); border-color: #b7dfc1; }
.state.out { background: #f1f1f1; color: var(--muted); }
.state.down { background: #fdecea; color: #8c1d18; border-color: #f2b8b5; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; word-break: break-all; }
form.inline { display: inline; }
button, .button { font-size: 1rem; padding: 0.5rem 1rem; border-radius: 6px; border: 1px solid var(--brand); cursor: pointer; text-decoration: none; display: inline-block; margin: 0.25rem 0.25rem 0.25rem 0; }
button.primary, .button.primary { background: var(--brand); color: #fff; }
button.secondary, .button.secondary { background: #fff; color: var(--brand); }
ul.portals { list-style: none; padding: 0; margin: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: 0.25rem 1rem; }
ul.portals li { padding: 0.2rem 0; }
`

function layout(title: string, body: Html): string {
  return html`<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <title>${title}</title>
  <link rel="stylesheet" href="/demo.css">
</head>
<body>
  <header><strong>OneDoor demo portals</strong><a href="/">All portals</a></header>
  <main>${body}</main>
</body>
</html>`.toString()
}

export function portalPage(input: {
  portal: DemoPortal
  session: PortalSession | undefined
  neighbours: DemoPortal[]
  received: ReceivedLogout[]
  backchannel: 'up' | 'down'
  issuer: string
}): string {
  const { portal, session } = input
  const base = `/portals/${portal.key}/`
  const signedIn = session
    ? html`<p><span class="state in" data-state="signed-in">Signed in</span> as <strong data-testid="person">${String(session.userinfo?.name ?? session.claims.name ?? session.claims.sub)}</strong></p>
      <table data-testid="claims">
        <tr><th>sub (pairwise)</th><td>${session.claims.sub}</td></tr>
        <tr><th>sid</th><td>${session.claims.sid ?? ''}</td></tr>
        <tr><th>acr / amr</th><td>${String(session.claims.acr ?? '')} / ${Array.isArray(session.claims.amr) ? session.claims.amr.join(', ') : ''}</td></tr>
        <tr><th>auth_time</th><td>${formatEpoch(session.claims.auth_time)}</td></tr>
        <tr><th>signed in here</th><td>${new Date(session.signedInAt).toISOString()}</td></tr>
      </table>
      <h2>Claims received</h2>
      <table>
        ${Object.entries({ ...session.claims, ...(session.userinfo ?? {}) }).map(([k, v]) => html`<tr><th>${k}</th><td>${typeof v === 'object' ? JSON.stringify(v) : String(v)}</td></tr>`)}
      </table>
      <form method="post" action="${base}logout"><button class="primary" type="submit" data-testid="sign-out">Sign out (everywhere)</button></form>`
    : html`<p><span class="state out" data-state="signed-out">Signed out</span></p>
      <p class="muted">Sign in here once and every other portal has a session without a password.</p>
      <a class="button primary" href="${base}login" data-testid="sign-in">Sign in with OneDoor</a>`
  const body = html`
    <div class="card">
      <h1 data-testid="portal-name">${portal.name}</h1>
      <p class="muted" data-testid="division">${portal.divisionPath} (${portal.divisionCode}) · client_id <code>${portal.clientId}</code></p>
      ${signedIn}
    </div>
    <div class="card">
      <h2>Back-channel logout</h2>
      <p class="muted">OneDoor POSTs signed logout tokens to <code>${base}backchannel-logout</code>; this portal verifies them against <code>${input.issuer}/jwks</code> and ends its own sessions.</p>
      <p>Endpoint: ${input.backchannel === 'up' ? html`<span class="state in">reachable</span>` : html`<span class="state down">down (simulated outage)</span>`}
        <form class="inline" method="post" action="${base}outage"><button class="secondary" type="submit">${input.backchannel === 'up' ? 'Simulate outage' : 'End outage'}</button></form></p>
      ${input.received.length === 0 ? html`<p class="muted">No logout token received yet.</p>` : html`<table data-testid="received">
        <tr><th>received</th><th>sid</th><th>sessions ended</th></tr>
        ${input.received.slice(-5).reverse().map((r) => html`<tr><td>${new Date(r.at).toISOString()}</td><td>${r.sid ?? '(sub only)'}</td><td>${r.ended}</td></tr>`)}
      </table>`}
    </div>
    <div class="card">
      <h2>Other portals</h2>
      <ul class="portals">${input.neighbours.map((p) => html`<li><a href="/portals/${p.key}/">${p.name}</a></li>`)}</ul>
    </div>`
  return layout(portal.name, body)
}

export function indexPage(groups: { title: string; portals: { portal: DemoPortal; signedIn: boolean }[] }[], signedInCount: number): string {
  const body = html`
    <div class="card">
      <h1>Heilongjiang service systems (${groups.reduce((n, g) => n + g.portals.length, 0)})</h1>
      <p class="muted">Every system is a relying party of OneDoor. Signed in at <strong data-testid="signed-in-count">${signedInCount}</strong> in this browser.</p>
    </div>
    ${groups.map((g) => html`<div class="card"><h2>${g.title}</h2><ul class="portals">
      ${g.portals.map(({ portal, signedIn }) => html`<li><a href="/portals/${portal.key}/">${portal.name}</a> <span class="state ${signedIn ? 'in' : 'out'}">${signedIn ? 'signed in' : 'signed out'}</span></li>`)}
    </ul></div>`)}`
  return layout('OneDoor demo portals', body)
}

export function messagePage(title: string, message: string, back: string): string {
  return layout(title, html`<div class="card"><h1>${title}</h1><p>${message}</p><a class="button secondary" href="${back}">Back</a></div>`)
}

function formatEpoch(value: unknown): string {
  return typeof value === 'number' ? new Date(value * 1000).toISOString() : ''
}
