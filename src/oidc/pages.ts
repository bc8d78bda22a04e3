/* Pages the provider itself renders (errors, logout confirmation), drawn with our templates. */
import type { KoaContextWithOIDC } from 'oidc-provider'
import type { Renderer } from '../http/render.js'

export function createProviderPages(renderer: Renderer) {
  return {
    async renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }) {
      const locale = renderer.localeFor(ctx as never)
      const t = renderer.translator(locale)
      renderer.render(ctx as never, 'error', {
        locale,
        title: t('error.title'),
        error: out.error,
        description: t(`error.codes.${out.error}`, { defaultValue: out.error_description ?? '' }),
      })
    },
    async logoutSource(ctx: KoaContextWithOIDC, form: string) {
      const locale = renderer.localeFor(ctx as never, ctx.oidc.params?.ui_locales as string | undefined)
      const t = renderer.translator(locale)
      const client = ctx.oidc.client
      renderer.render(ctx as never, 'logout', { locale, title: t('logout.title'), form, clientName: client?.clientName ?? client?.clientId })
    },
    async postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
      const locale = renderer.localeFor(ctx as never)
      const t = renderer.translator(locale)
      const client = ctx.oidc.client
      renderer.render(ctx as never, 'logged-out', { locale, title: t('logout.doneTitle'), clientName: client?.clientName ?? client?.clientId })
    },
  }
}
